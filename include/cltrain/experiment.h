/* Experiment files: one YAML file describes data, model, training, callbacks,
 * evaluation and output of one run. This module turns such a file into the
 * plain structs below, with every default filled in, so the runner reads
 * values and never has to know what the file left out.
 *
 * Life of an experiment:
 *
 *     ct_experiment *exp;
 *     CT_TRY(ct_experiment_load("experiments/sunshine.yaml", &exp)); // syntax + every field
 *     CT_TRY(ct_experiment_set(exp, "train.epochs=5"));             // --set, same checks
 *     CT_TRY(ct_experiment_validate(exp));                          // cross-field checks
 *     ... exp->train.epochs, exp->model.layers[i].dense.units ...
 *     ct_experiment_free(exp);
 *
 * or ct_experiment_open(), which does those three steps in one call. (The
 * functions above return on error and leak exp; real callers free it.)
 *
 * Names and defaults are Keras' wherever Keras has them: a file reads like
 * the Python it replaces (units, activation, kernel_size, pool_size, rate,
 * learning_rate, batch_size, epochs, monitor, patience, min_delta, ...).
 * experiments/README.md documents every key with its type, default and an
 * example.
 *
 * Errors (library code never prints): the detail from ct_last_error() names
 * the file, line and column (1-based), the key path and what was expected:
 *     sunshine.yaml:14:7: model[2].dense.units: expected a positive integer, got "ten"
 *     sunshine.yaml:20:5: callbacks.early_stopping: unknown key 'patiense' (did you mean 'patience'?)
 * List indices in key paths count from 0, as --set paths do. A value that
 * came from --set is located by the assignment instead of a line:
 *     --set train.epochs=0: train.epochs: expected a positive integer, got "0"
 * Status codes: CT_ERR_IO (cannot read the file), CT_ERR_PARSE (not valid
 * YAML), CT_ERR_CONFIG (valid YAML, wrong experiment), CT_ERR_NO_MEMORY,
 * CT_ERR_INVALID_ARGUMENT (NULL arguments).
 *
 * What this module cannot check, because it needs the data, is left to the
 * data loader: that the CSV file has the target and feature columns the
 * file names, that the rows exist, that the CIFAR-10 files are there. Those
 * errors can still point into the experiment file: see ct_experiment_where().
 * Full shape inference (and parameter counts) belongs to the network code;
 * ct_experiment_validate() checks what the spec alone decides. */
#ifndef CLTRAIN_EXPERIMENT_H
#define CLTRAIN_EXPERIMENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cltrain/model_spec.h"     /* ct_model_spec, ct_layer_kind, ct_initializer */
#include "cltrain/loss_kind.h"      /* ct_loss, ct_metric */
#include "cltrain/monitor.h"        /* ct_monitor_mode, ct_early_stopping_spec */
#include "cltrain/optimizer_spec.h" /* ct_optimizer_kind, ct_optimizer_spec */
#include "cltrain/status.h"
#include "cltrain/types.h"          /* ct_activation, ct_padding */

#ifdef __cplusplus
extern "C" {
#endif

/* ================================================================ enumerations
 * The YAML spelling of each value is its Keras name; ct_*_name() returns it.
 * Values listed as "also" are accepted aliases and read as the first name.
 * The kinds the device code shares (activation, padding, initializer, layer,
 * loss, metric, optimizer, monitor mode) live in the small headers included
 * above, with their spellings in src/core/names.c: the schema uses them. */

typedef enum {
    CT_DATA_CSV,     /* "csv": a table with a header row */
    CT_DATA_CIFAR10, /* "cifar10": CIFAR-10 in the official binary layout */
    CT_DATA_IMAGES,  /* "images": a folder of class sub-folders of PNG/JPEG files */
    CT_DATA_COUNT
} ct_data_kind;

typedef enum {
    CT_BASELINE_PERSISTENCE, /* "persistence": predict target[row + shift] by column[row] */
    CT_BASELINE_COUNT
} ct_baseline_kind;

/* Bits of ct_output_spec.plots. */
typedef enum {
    CT_PLOT_HISTORY = 1u << 0,          /* "history": loss and metrics per epoch, train and validation */
    CT_PLOT_PREDICTIONS = 1u << 1,      /* "predictions": predicted vs true on the test split (regression) */
    CT_PLOT_CONFUSION_MATRIX = 1u << 2, /* "confusion_matrix": on the test split (classification) */
    CT_PLOT_ALL = (1u << 3) - 1         /* `plots: true`: every plot that applies */
} ct_plot;

/* The YAML spelling of a data source ("csv"); "?" when out of range. */
const char *ct_data_kind_name(ct_data_kind k);

/* ====================================================================== data */

/* ct_string_list: cltrain/types.h (a layer's inputs use it too). */

/* data.csv.rows: which data rows (0-based, header excluded, like pandas'
 * default index) give samples. Inclusive at both ends, like data.loc[a:b]. */
typedef struct {
    int first;     /* `first`, default 0 */
    bool has_last; /* false (`last: null`, the default): as far as the file and the shift allow */
    int last;      /* `last`, >= first; meaningful only when has_last */
} ct_row_range;

/* data.csv.features: the feature columns, in file order. With columns,
 * prefixes and globs all empty, every column is selected; otherwise the
 * union of what they select. Then `drop` (exact names or globs) is removed.
 * The target column stays a feature unless dropped (the workshop feeds
 * today's sunshine to predict tomorrow's). Maps 1:1 onto ct_column_selection. */
typedef struct {
    ct_string_list columns;  /* `columns`: exact names, default [] */
    ct_string_list prefixes; /* `prefixes`: "BASEL_" selects BASEL_*, default [] */
    ct_string_list globs;    /* `globs`: fnmatch patterns like "*_temp_mean", default [] */
    ct_string_list drop;     /* `drop`: exact names or globs, default [] */
} ct_feature_selection;

/* data.csv.target. Sample i (data row r) has features from row r and label
 * target[r + shift]; shift 1 means "predict tomorrow". Writing just
 * `target: NAME` sets the column. */
typedef struct {
    char *column; /* `column`, required */
    int shift;    /* `shift` >= 0, default 0 */
} ct_target_spec;

/* data.csv.split: fractions of the samples, each in [0,1], summing to 1
 * (checked by ct_experiment_validate). Sizes and order: see ct_split_make. */
typedef struct {
    double train;      /* `train`, default 0.7 */
    double validation; /* `validation`, default 0.15 */
    double test;       /* `test`, default 0.15 */
    bool shuffle;      /* `shuffle`, default true (seeded by the experiment's seed);
                          false keeps row order: train | validation | test */
    int64_t random_state;  /* `random_state`, default null: when set, the rows
                              sklearn's train_test_split(random_state=N) picks */
    bool has_random_state;
} ct_split_spec;

/* data: {csv: {...}} */
typedef struct {
    char *file;   /* `file`, required: a name looked up in the data dir / cache
                     (--data-dir, $CLTRAIN_DATA_DIR, ~/.cache/cltrain/datasets), or a path */
    char *url;    /* `url`, default null (NULL): where to download `file` when missing */
    char *sha256; /* `sha256`, default null (NULL): 64 hex digits of the file */
    ct_row_range rows;
    ct_feature_selection features;
    ct_target_spec target; /* required */
    ct_split_spec split;
    bool standardize;  /* `standardize`, default false: scale features to mean 0, std 1,
                          fitted on the training split only */
    bool drop_missing; /* `drop_missing`, default false: drop samples with missing
                          values instead of failing on them */
} ct_csv_spec;

/* data: {cifar10: {...}}: defaults describe the official download. */
typedef struct {
    char *dir;    /* `dir`, default "cifar-10-batches-bin": folder name looked up
                     like data.csv.file, unpacked from the archive at `url` */
    char *url;    /* `url`, default https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz */
    char *sha256; /* `sha256` of the archive, default c4a38c50...a1dd (the official one) */
    int train_batches; /* `train_batches`, 1..5, default 5: data_batch_1 .. data_batch_N */
    int train_subset;  /* `train_subset` >= 0, default 0 (all): keep the first n training images */
    int test_subset;   /* `test_subset` >= 0, default 0 (all): keep the first n test images */
    bool scale;        /* `scale`, default true: pixels / 255 into [0,1] (false keeps 0..255) */
    bool use_test_as_validation; /* `use_test_as_validation`, default false: validate on the
                                    test set each epoch, as the workshop's
                                    fit(validation_data=(test_images, test_labels)) */
} ct_cifar10_spec;

typedef enum { CT_COLOR_RGB, CT_COLOR_GRAYSCALE, CT_COLOR_COUNT } ct_color_mode;
/* ct_interpolation: cltrain/model_spec.h (the augmentation layers share it). */
typedef enum { CT_ON_ERROR_FAIL, CT_ON_ERROR_SKIP, CT_ON_ERROR_COUNT } ct_on_error;

/* data: {images: {...}}: keras.utils.image_dataset_from_directory. The class
 * names are the sorted names of dir's sub-folders; every PNG or JPEG file in
 * a sub-folder (sorted by name) is an image of that class. */
typedef struct {
    char *dir;             /* `dir`, required: a folder name looked up like data.csv.file, or a
                              path relative to the experiment file, or absolute */
    int image_size[2];     /* `image_size`, default [256, 256] (Keras'): height, width; every
                              image is resized to it (`32` means [32, 32]) */
    int color_mode;        /* `color_mode`, ct_color_mode: rgb (default, 3 channels) or
                              grayscale (1 channel) */
    double validation_split; /* `validation_split` in [0, 1), default 0: this fraction of dir's
                                images, picked by the seeded shuffle, validates */
    char *test_dir;        /* `test_dir`, default null: a folder of the same classes to test on */
    int64_t seed;          /* `seed` in [0, 2^32), default null: the experiment's seed; numpy's seed
                              for the shuffle of the split, as Keras' */
    bool has_seed;
    int interpolation;     /* `interpolation`, ct_interpolation: bilinear (default) or nearest */
    int on_error;          /* `on_error`, ct_on_error: error (default: a broken file stops the
                              run, named) or skip (skipped and counted) */
    bool scale;            /* `scale`, default true: pixels / 255 into [0,1] on the device (false
                              keeps 0..255, as Keras' loader gives them) */
} ct_images_spec;

/* data: exactly one of csv / cifar10 / images. */
typedef struct {
    ct_data_kind kind;
    union {
        ct_csv_spec csv;         /* kind == CT_DATA_CSV */
        ct_cifar10_spec cifar10; /* kind == CT_DATA_CIFAR10 */
        ct_images_spec images;   /* kind == CT_DATA_IMAGES */
    };
} ct_data_spec;

/* ===================================================================== model
 * model: the layer specs (ct_model_spec, ct_layer_spec and each layer's
 * settings) are in cltrain/model_spec.h, which the model code reads too. */

/* ===================================================================== train */

#define CT_CLASS_WEIGHT_MAX 1024

typedef struct {
    ct_loss loss;     /* `loss`, required */
    bool from_logits; /* `from_logits`, default false: the model outputs logits and the
                         crossentropy applies the sigmoid/softmax itself */
    double label_smoothing; /* `label_smoothing` in [0, 1], default 0.0: Keras' argument of
                               BinaryCrossentropy and CategoricalCrossentropy */
    double class_weight[CT_CLASS_WEIGHT_MAX]; /* `class_weight`, default [] (none): fit()'s
                                                 class_weight, weight k for class k */
    size_t class_weight_count;
    ct_metric metrics[CT_METRIC_COUNT]; /* `metrics`, default []: a list, each at most once */
    size_t metric_count;
    ct_optimizer_spec optimizer; /* `optimizer`, default rmsprop */
    ct_lr_schedule_spec learning_rate_schedule; /* `learning_rate_schedule`, default null (off) */
    int batch_size;              /* `batch_size` >= 1, default 32 */
    int epochs;                  /* `epochs` >= 1, default 1 */
    bool shuffle;                /* `shuffle`, default true: reshuffle training samples each epoch */
    double validation_split;     /* `validation_split` in [0, 1), default 0.0: Keras' fit():
                                    the last fraction of the training samples (before
                                    shuffling) becomes validation data */
    ct_string_list devices;      /* `devices`, default [] (the one device of --device /
                                    CLTRAIN_DEVICE): device specs (P:D, cpu, gpu, accelerator or
                                    part of a name) to train on side by side, data-parallel;
                                    under mpirun, split over the ranks */
    double checkpoint_every;     /* `checkpoint_every` >= 0 seconds, default 1.0: checkpoint.bin and
                                    history.csv after an epoch that ends at least this long after
                                    the last write (and after the first epoch, at the end, on a stop);
                                    0: after every epoch. Not Keras' (BackupAndRestore saves every
                                    epoch): a checkpoint costs as much as a small net's epoch */
} ct_train_spec;

/* ================================================================= callbacks */

/* callbacks.model_checkpoint, Keras 3 ModelCheckpoint writing weights only
 * (save_weights_only): the run directory's best.weights.bin, in weights.bin's
 * format. Present (a mapping, an empty value or `true`) enables it. With
 * save_best_only the file is replaced only when the monitored value improves
 * on the best so far (the first monitored epoch always does; NaN never
 * does), else after every epoch. The best value survives a resume in the
 * run's checkpoint. */
typedef struct {
    bool enabled;
    char *monitor;        /* `monitor`, default "val_loss": as early_stopping.monitor */
    bool save_best_only;  /* `save_best_only`, default false */
    ct_monitor_mode mode; /* `mode`, default auto */
} ct_model_checkpoint_spec;

typedef struct {
    ct_early_stopping_spec early_stopping;
    ct_model_checkpoint_spec model_checkpoint;
    ct_reduce_lr_spec reduce_lr_on_plateau;
} ct_callbacks_spec;

/* ================================================================== evaluate */

/* evaluate.baselines items: `- persistence: BASEL_sunshine` (or
 * `- persistence: {column: BASEL_sunshine}`): "tomorrow = today", the value of
 * COLUMN on the sample's own row predicts the target. Evaluated on the test
 * split next to the model. */
typedef struct {
    ct_baseline_kind kind;
    char *column; /* required */
} ct_baseline_spec;

typedef struct {
    ct_baseline_spec *baselines; /* `baselines`, default [] */
    size_t baseline_count;
} ct_evaluate_spec;

/* ==================================================================== output */

typedef struct {
    char *dir; /* `dir`, default null (NULL): runs/NAME-TIMESTAMP; --out overrides */
    unsigned plots; /* `plots`: true (default, CT_PLOT_ALL: all that apply), false (0), or a
                       list of names (history, predictions, confusion_matrix) */
} ct_output_spec;

/* ====================================================================== init */

/* init: the weights training (or `cltrain evaluate EXPERIMENT.yaml`) starts
 * from, as Keras' model.load_weights() before fit(). Present (a mapping)
 * enables it; `from` is then required. The file is a Keras 3 .weights.h5 or
 * an .onnx model; its weighted layers (Dense, Conv2D, BatchNormalization)
 * are matched to the model's in order and must have the model's shapes. A
 * relative path is relative to the experiment file's folder and is made
 * absolute on loading, as data paths with a folder are. A resumed run continues from its checkpoint and
 * does not read the file again. */
typedef struct {
    bool enabled;
    char *from; /* `from`, required when init is written */
} ct_init_spec;

/* ================================================================ experiment */

struct ct_experiment_source; /* private: the parsed YAML, kept for --set and locations */

typedef struct ct_experiment {
    char *name;        /* `name`, default: the file name without .yaml; letters, digits, _ - . */
    char *description; /* `description`, default null (NULL): free text */
    int64_t seed;      /* `seed` >= 0, default 0: initialisation, split, shuffling, dropout */
    ct_data_spec data; /* required */
    ct_model_spec model;
    ct_train_spec train;
    ct_callbacks_spec callbacks;
    ct_evaluate_spec evaluate;
    ct_output_spec output;
    ct_init_spec init; /* `init`, default null (off) */

    char *source_path; /* the file read, or name_for_errors */
    struct ct_experiment_source *source;
} ct_experiment;

/* Read and convert an experiment file (syntax and every field; no cross-field
 * checks: overrides may still change things). *out is set only on success;
 * release with ct_experiment_free(). */
ct_status ct_experiment_load(const char *path, ct_experiment **out);

/* The same from text; name_for_errors (may be NULL: "<string>") stands for the
 * file name in messages and gives the default experiment name. */
ct_status ct_experiment_parse_string(const char *text, const char *name_for_errors,
                                     ct_experiment **out);

void ct_experiment_free(ct_experiment *exp); /* NULL is fine */

/* Apply one `--set KEY.PATH=VALUE` override, e.g. "train.epochs=5",
 * "model[1].dense.units=10", "callbacks.early_stopping.patience=3",
 * "train.optimizer=sgd", "train.metrics=[rmse, mae]". The value is YAML (a
 * scalar, or a flow list / mapping) and replaces the value at the path as if
 * the file had said so; missing mappings on the path are created, list
 * indices must exist. A name set as a bare value (`optimizer: adam`,
 * `- flatten`) may be refined: "train.optimizer.adam.learning_rate=0.01".
 * Checked like the file; on failure exp is unchanged. */
ct_status ct_experiment_set(ct_experiment *exp, const char *assignment);

/* Cross-field checks, run after all overrides and before training: split
 * fractions sum to 1; validation data exists for val_* monitors; the
 * monitor names the loss or a compiled metric; metrics fit the loss;
 * from_logits fits the last activation; layer order (no Dense on images
 * without Flatten, no Conv2D/pooling on CSV features); kernel and pool sizes
 * fit the 32x32 CIFAR-10 images; output units fit the labels; baselines fit
 * the data; unique layer names; ... The message points at the offending key. */
ct_status ct_experiment_validate(const ct_experiment *exp);

/* Load, apply n overrides in order, validate. */
ct_status ct_experiment_open(const char *path, const char *const *assignments, size_t n,
                             ct_experiment **out);

/* The model reads images (data.cifar10 or data.images), else CSV rows. */
bool ct_data_takes_images(const ct_data_spec *d);
/* Height, width and channels of an image sample (32x32x3 for CIFAR-10). */
void ct_data_image_shape(const ct_data_spec *d, int *height, int *width, int *channels);
/* Pixels are scaled to [0, 1] (cifar10.scale, images.scale). */
bool ct_data_scales_pixels(const ct_data_spec *d);

/* True when training will have validation data (a CSV validation split,
 * CIFAR-10's test set as validation, or train.validation_split). */
bool ct_experiment_has_validation(const ct_experiment *exp);

/* The effective configuration, every default filled in, as YAML that
 * ct_experiment_parse_string() reads back into the same spec. Backs
 * `cltrain check` and the run directory's config copy. */
ct_status ct_experiment_write_yaml(const ct_experiment *exp, FILE *out);

/* Where a key path ("data.csv.target.column", "model[2].dense") was set:
 * "sunshine.yaml:9:13", "--set data.csv.target.column=X", or, for a key
 * left to its default, the place of the nearest enclosing key that was
 * written. For errors found later, such as the data loader's unknown target
 * column:  ct_fail(CT_ERR_CONFIG, "%s: data.csv.target.column: no column ...",
 * ct_experiment_where(exp, "data.csv.target.column", buf, sizeof buf)).
 * Returns buf. */
const char *ct_experiment_where(const ct_experiment *exp, const char *key_path, char *buf,
                                size_t size);

#ifdef __cplusplus
}
#endif
#endif
