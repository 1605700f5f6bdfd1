/* `cltrain run` and `cltrain evaluate`: an experiment from file to run
 * directory. The CLI gives a stream for the progress report; the library
 * writes nothing else to the terminal. */
#ifndef CLTRAIN_RUN_H
#define CLTRAIN_RUN_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "cltrain/experiment.h"
#include "cltrain/model.h"
#include "cltrain/report.h"
#include "cltrain/train.h"
#include "run/dataset.h"

typedef struct {
    const char *data_dir;    /* NULL: $CLTRAIN_DATA_DIR, then the dataset cache */
    const char *out_dir;     /* NULL: output.dir of the experiment, else runs/NAME-TIMESTAMP */
    const char *device_spec; /* NULL: $CLTRAIN_DEVICE, then the default device */
    FILE *report;            /* progress, summary, results; NULL for silence */
    /* The one line per finished epoch ("Epoch 3/200  1.9ms  loss: ..."):
     * here when set, else to report. --quiet sets it alone, so that the
     * epoch lines are all it prints. */
    FILE *epoch_report;
    FILE *live;              /* a terminal for the in-epoch progress bar, or NULL */
    const char *resume_dir;  /* continue this run directory from its checkpoint.bin */
    /* Set (by a signal handler) to stop training after the current step: a
     * checkpoint is written and ct_run_experiment returns CT_OK with
     * *interrupted set. May be NULL. */
    volatile sig_atomic_t *stop;
    uint64_t stop_at_step;   /* also stop once this many optimizer steps are done (0: never; for tests) */
    bool *interrupted;       /* out, may be NULL: training was stopped and can be resumed */
    size_t *checkpoint_writes; /* out, may be NULL: checkpoint.bin writes added (for tests) */
    bool overwrite;          /* replace the run files of an existing out_dir (else it must be empty) */
    /* init.from's reader: the file's weights named and shaped as the plan's
     * tensors, and the standardisation the file's graph applies (count 0 if
     * none). cli/ passes onnx/'s ct_weights_import (run/ and onnx/ are peers).
     * NULL: an experiment with init fails. */
    ct_status (*import_weights)(const char *path, const ct_model_plan *plan, ct_named_tensor **tensors, size_t *n,
                                ct_feature_columns *standardization);
} ct_run_options;

/* Train, evaluate and write the run directory. *run_dir (malloc'd) names it,
 * also on failure once it exists, so partial results can be found.
 *
 * The first epoch, every epoch that ends train.checkpoint_every seconds or
 * more after the last checkpoint, and the last replace the directory's
 * history.csv and checkpoint.bin (atomically; synced to disk at most every
 * few seconds and at the end), so a killed run loses at most the epoch in
 * progress, or with epochs shorter than train.checkpoint_every, at most
 * that much training. With o->resume_dir, the run
 * continues from that checkpoint: exp must be the experiment it was started
 * with (ct_run_check_config_change says which changes are allowed), and on
 * the same device the weights, history values (not their seconds) and test
 * results come out bit for bit as without the interruption. */
ct_status ct_run_experiment(const ct_experiment *exp, const ct_run_options *o, char **run_dir);

/* A run, reopened: its experiment (from config.yaml), data, and a trainer
 * whose model holds the saved weights: weights.bin, or for an interrupted
 * run its best or last checkpoint (ct_run_weights_read). */
typedef struct {
    ct_experiment *exp;
    ct_dataset data;
    ct_context *ctx;
    ct_trainer *trainer;
    bool final_weights;        /* weights.bin; else an interrupted run's best or last checkpoint */
    char weights_source[1024]; /* which (ct_run_weights_read) */
} ct_run;

ct_status ct_run_open(const char *run_dir, const ct_run_options *o, ct_run *out);

/* An experiment's model with its init.from weights (o->import_weights), not
 * trained, for `cltrain evaluate EXPERIMENT.yaml`: takes exp (freed by
 * ct_run_close, also on failure). */
ct_status ct_run_open_experiment(ct_experiment *exp, const ct_run_options *o, ct_run *out);
void ct_run_close(ct_run *run);

/* Evaluate the reopened run on its test split and print the results; with
 * predictions (else NULL), also write that file as predictions.csv is
 * written (ct_run_write_predictions). */
ct_status ct_run_evaluate(ct_run *run, const char *predictions, FILE *report);

/* Evaluate it on a labelled file of the same form as its data (see
 * ct_dataset_load_file) and print the results under the file's name. */
ct_status ct_run_evaluate_file(ct_run *run, const char *path, const char *predictions, FILE *report);

/* Load weights.bin of a run into a model (names and shapes must match). */
ct_status ct_run_load_weights(ct_model *model, const char *path);
/* The same from tensors read elsewhere; `path` names them in errors. */
ct_status ct_run_set_weights(ct_model *model, const ct_named_tensor *tensors, size_t n, const char *path);

/* init.from: the file's weights (o->import_weights) for exp's model with
 * per-sample input (in_ndim, in_shape): *tensors as ct_model_tensor names
 * them, *sha256 the file's. Errors point at init.from in the experiment.
 * report (may be NULL) gets a warning when the file's standardisation
 * (a cltrain ONNX export of a CSV model) differs from d's. */
ct_status ct_run_import_init(const ct_experiment *exp, const ct_run_options *o, const ct_dataset *d,
                             const ct_model_plan *plan, ct_named_tensor **tensors, size_t *n, char sha256[65],
                             FILE *report);
/* Write tensors into the model, matched by name (any order). */
ct_status ct_run_set_weights_by_name(ct_model *model, const ct_named_tensor *tensors, size_t n, const char *path);

#endif
