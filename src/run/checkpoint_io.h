/* A run's checkpoint (checkpoint.bin, format in cltrain/report.h): the fit
 * loop's whole state gathered into records and put back. */
#ifndef CLTRAIN_RUN_CHECKPOINT_IO_H
#define CLTRAIN_RUN_CHECKPOINT_IO_H

#include <stdbool.h>

#include "cltrain/callbacks.h"
#include "cltrain/report.h"
#include "cltrain/train.h"

#define CT_CHECKPOINT_FILE "checkpoint.bin"

/* What the fit loop keeps besides the trainer; borrowed pointers. */
typedef struct {
    ct_trainer *trainer;
    ct_history *history;
    ct_early_stopping *early_stopping;
    ct_early_stopping *model_checkpoint; /* tracks the best value for model_checkpoint */
    ct_reduce_lr *reduce_lr;             /* ReduceLROnPlateau (its rate is the optimizer's) */
    double train_seconds;                /* training time so far, earlier sessions included */
    bool finished;                       /* training has ended (all epochs, early stopping) */
    const char *experiment_yaml;         /* the effective configuration (ct_run_experiment_yaml),
                                            made once per run: it does not change between epochs */
    const char *init_sha256;             /* init.from's SHA-256 (hex) when training started from
                                            it, else NULL: record "init/sha256", for summary.yaml */
} ct_fit_state;

/* Gathers the state (reads the device) and writes it atomically to path. */
ct_status ct_run_checkpoint_save(const char *path, const ct_experiment *exp, const ct_fit_state *f, bool durable);

/* Puts a checkpoint read with ct_checkpoint_read back: the trainer (from
 * the same experiment and data), an empty history with the trainer's
 * columns, initialised callbacks. CT_ERR_PARSE or CT_ERR_SHAPE naming the
 * record that does not fit. */
ct_status ct_run_checkpoint_restore(const ct_checkpoint *c, ct_fit_state *f);

/* Only the trainer's part of that: weights, optimizer, counters, position. */
ct_status ct_run_checkpoint_restore_trainer(const ct_checkpoint *c, ct_trainer *t);

/* Position and flags of a checkpoint without a device: the epoch in
 * progress or next, the batches of it done, whether training ended. */
ct_status ct_run_checkpoint_position(const ct_checkpoint *c, int *epoch, uint64_t *batch, bool *finished);

/* The effective configuration the checkpoint was written with (NUL-terminated, malloc'd). */
ct_status ct_run_checkpoint_experiment(const ct_checkpoint *c, char **yaml);

/* The effective configuration as YAML text (malloc'd), as config.yaml holds it. */
ct_status ct_run_experiment_yaml(const ct_experiment *exp, char **yaml);

/* Changes between the configuration a run was started with and the one it
 * is resumed with. Safe: train.epochs (not below epochs_done),
 * train.checkpoint_every, description, output.plots, output.dir. Anything else is CT_ERR_CONFIG naming each
 * changed key with its old and new value. */
ct_status ct_run_check_config_change(const char *saved_yaml, const char *new_yaml, int epochs_done);

#endif
