/* `cltrain predict`: a finished run's model applied to new data, without the
 * training data. The model is rebuilt from RUN_DIR/config.yaml and given the
 * tensors of RUN_DIR/weights.bin; inputs are prepared exactly as training
 * prepared its samples:
 *
 *   CSV rows   the columns named in RUN_DIR/features.csv, found by name and
 *              taken in that order, standardised with its mean and scale
 *              ((x - mean) / scale; mean 0, scale 1 when training did not
 *              standardise);
 *   images     PNG or JPEG of any size, resized to the model's 32x32x3
 *              input, pixels in [0, 1] or 0..255 as data.cifar10.scale says.
 *
 * Outputs: regression models give their output values; classifiers give
 * class probabilities (softmax of logits when the experiment trained with
 * from_logits, else the outputs as they are; a one-unit binary classifier
 * gives two classes, P(0) = 1 - P(1)), with the class names of
 * RUN_DIR/summary.yaml.
 *
 * Library code: nothing is printed. Errors name the file and what is wrong:
 *   rows.csv: no column "humidity", which the model was trained on (did you mean "humidty"?) ...
 *   rows.csv: column "pressure" was not a feature in training: remove it ...
 *   rows.csv:7: row 5, column humidity: expected a number, got "n/a"
 *   runs/x/weights.bin: no such file: ... */
#ifndef CLTRAIN_RUN_PREDICT_H
#define CLTRAIN_RUN_PREDICT_H

#include <stdbool.h>
#include <stddef.h>

#include "cltrain/device.h"
#include "cltrain/status.h"

typedef struct ct_predictor ct_predictor;

/* Open a run directory for prediction on ctx (borrowed: it must outlive the
 * predictor). Errors: CT_ERR_IO naming config.yaml, weights.bin or
 * features.csv when missing; the loaders' errors when they are broken or do
 * not fit the model. Release with ct_predictor_free(). */
ct_status ct_predictor_open(const char *run_dir, ct_context *ctx, ct_predictor **out);
void ct_predictor_free(ct_predictor *p); /* NULL is fine */

/* The model reads images (else CSV rows). */
bool ct_predictor_takes_images(const ct_predictor *p);

/* Which weights it uses: weights.bin (*final), or an interrupted run's best
 * or last checkpoint (see ct_run_weights_read). */
const char *ct_predictor_weights_source(const ct_predictor *p, bool *final);
/* The model is a classifier: predictions are class probabilities. */
bool ct_predictor_classifies(const ct_predictor *p);
/* Values per prediction: the class count of a classifier, else the model's
 * output units (1 for the workshop's regressors). */
size_t ct_predictor_width(const ct_predictor *p);
/* Name of class c: from summary.yaml, else its number ("3"). */
const char *ct_predictor_class_name(const ct_predictor *p, size_t c);

/* The predictions for one input file. */
typedef struct {
    bool image;    /* an image (one prediction), else CSV rows */
    size_t n;      /* predictions */
    size_t width;  /* values per prediction: ct_predictor_width() */
    float *values; /* n x width: output values, or class probabilities */
    size_t *rows;  /* n: data row of each CSV prediction (0-based, header excluded,
                      like pandas' default index); NULL for an image */
    size_t n_kept; /* ct_predictor_keep()'s columns */
    char **kept;   /* n x n_kept: their fields as written, or NULL */
} ct_prediction;

void ct_prediction_free(ct_prediction *pr); /* zeroes it; a zeroed one is fine */

/* Pass these CSV columns (ID columns: names, keys) through to each
 * prediction, as written in the file; they may be columns training never
 * saw. Borrowed: the names must outlive the predictor. A named column a CSV
 * input lacks is an error naming it. */
void ct_predictor_keep(ct_predictor *p, const char *const *columns, size_t n);

/* Index of the most probable class of prediction i (classifiers). */
size_t ct_prediction_class(const ct_prediction *pr, size_t i);

/* Predict for a file of either kind, as the model takes it: an image model
 * reads every input as an image except a *.csv file, which is an error; a
 * CSV model reads every input as CSV except a PNG/JPEG file (by name or by
 * its first bytes), which is an error. *out is zeroed on failure. */
ct_status ct_predict_file(ct_predictor *p, const char *path, ct_prediction *out);

/* Every row of a CSV file. Every feature column must be there; any other
 * column is an error unless training ignored it too: the target column, and
 * columns the experiment's feature selection leaves out (its drop list, such
 * as DATE and MONTH, or columns outside its include list). Every feature
 * cell must be a number. */
ct_status ct_predict_csv(ct_predictor *p, const char *path, ct_prediction *out);

/* One PNG or JPEG image (an image model). */
ct_status ct_predict_image(ct_predictor *p, const char *path, ct_prediction *out);

/* n samples already prepared as the model sees them (n x input size) into
 * values (n x ct_predictor_width()). */
ct_status ct_predict_samples(ct_predictor *p, const float *x, size_t n, float *values);

#endif
