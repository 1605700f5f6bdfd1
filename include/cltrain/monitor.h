/* What a callback watches: the monitor mode and the early-stopping settings
 * of an experiment file (callbacks.early_stopping), shared by the schema,
 * the callbacks (cltrain/callbacks.h) and the history file's best-epoch
 * lookup (cltrain/report.h). Plain data; spellings in src/core/names.c. */
#ifndef CLTRAIN_MONITOR_H
#define CLTRAIN_MONITOR_H

#include <stdbool.h>

#include "cltrain/loss_kind.h" /* ct_metric */

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    CT_MODE_AUTO, /* "auto": max for accuracy metrics, min for losses and errors */
    CT_MODE_MIN,  /* "min" */
    CT_MODE_MAX,  /* "max" */
    CT_MODE_COUNT
} ct_monitor_mode;

/* The YAML spelling ("auto"); "?" when out of range. */
const char *ct_monitor_mode_name(ct_monitor_mode m);

/* callbacks.early_stopping, Keras 3 EarlyStopping. Present (a mapping, an
 * empty value or `true`) enables it; absent or `false` disables it. */
typedef struct {
    bool enabled;
    char *monitor;        /* `monitor`, default "val_loss": "loss", a metric ("rmse" or its
                             Keras name "root_mean_squared_error"), or either with "val_" */
    double min_delta;     /* `min_delta` >= 0, default 0.0 */
    int patience;         /* `patience` >= 0, default 0 */
    ct_monitor_mode mode; /* `mode`, default auto */
    bool has_baseline;    /* `baseline`, default null (false) */
    double baseline;
    bool restore_best_weights; /* `restore_best_weights`, default false (Keras 3: restored
                                  at the end even when training ran all epochs) */
    int start_from_epoch;      /* `start_from_epoch` >= 0, default 0 */

    /* Derived from monitor, mode and train.metrics whenever the spec is built
     * (not written back). ct_experiment_validate() rejects a monitor that names
     * neither the loss nor a compiled metric. */
    bool monitor_validation; /* monitor starts with "val_" */
    bool monitor_loss;       /* monitors the loss, else monitor_metric */
    ct_metric monitor_metric;
    bool maximize; /* mode resolved: max, or auto with an accuracy metric */
} ct_early_stopping_spec;

/* callbacks.reduce_lr_on_plateau, Keras 3 ReduceLROnPlateau. Present (a
 * mapping, an empty value or `true`) enables it. */
typedef struct {
    bool enabled;
    char *monitor;        /* `monitor`, default "val_loss": as early_stopping's */
    double factor;        /* `factor` in [0, 1), default 0.1: new lr = lr * factor */
    int patience;         /* `patience` >= 0, default 10 */
    ct_monitor_mode mode; /* `mode`, default auto: max when the monitor's name contains
                             "acc" (Keras' rule for this callback), else min */
    double min_delta;     /* `min_delta` >= 0, default 0.0001 */
    int cooldown;         /* `cooldown` >= 0, default 0: epochs to wait after a reduction */
    double min_lr;        /* `min_lr` >= 0, default 0.0: the lower bound */
} ct_reduce_lr_spec;

#ifdef __cplusplus
}
#endif
#endif
