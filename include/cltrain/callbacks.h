/* Training callbacks that need no device: early stopping and the NaN guard.
 *
 * Both look at the values of one finished epoch, given as parallel arrays of
 * Keras log names and values ("loss", "root_mean_squared_error", "val_loss",
 * ...), and tell the training loop what to do. They never touch weights: the
 * loop copies weights when told to (decision.save_weights) and restores them
 * at the end (ct_early_stopping_end).
 *
 * Epoch numbers in the API count from 0, as Keras' callbacks receive them;
 * epoch numbers in human-readable text count from 1, as Keras' progress
 * lines ("Epoch 31/200") and its "Epoch 31: early stopping" message do.
 *
 * The early-stopping loop, with the runner's side of it:
 *
 *     ct_early_stopping es;
 *     CT_TRY(ct_early_stopping_init(&es, &exp->callbacks.early_stopping));
 *     for (int epoch = 0; epoch < epochs; epoch++) {
 *         ... train, validate, collect names[] and values[] ...
 *         CT_TRY(ct_nan_guard_check(epoch, names, values, n));
 *         ct_early_stopping_decision d;
 *         CT_TRY(ct_early_stopping_update(&es, epoch, names, values, n, &d));
 *         if (d.save_weights) copy the weights aside;
 *         if (d.stop) break;
 *     }
 *     int restore_epoch;
 *     if (ct_early_stopping_end(&es, &restore_epoch)) put the copied weights back;
 *     char why[256];
 *     ct_early_stopping_reason(&es, why, sizeof why);
 */
#ifndef CLTRAIN_CALLBACKS_H
#define CLTRAIN_CALLBACKS_H

#include <stdbool.h>
#include <stddef.h>

#include "cltrain/monitor.h" /* ct_early_stopping_spec, ct_monitor_mode */
#include "cltrain/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ============================================================ direction
 * Whether a larger value of the quantity `name` is better. mode min / max
 * decide on their own. mode auto follows Keras 3 (EarlyStopping.
 * _set_monitor_op): with any "val_" prefix removed, "loss" is minimised and a
 * metric goes the way of its `_direction` (up for the accuracy metrics, down
 * for the errors rmse/mse/mae); metric names may be the Keras name
 * ("root_mean_squared_error") or cltrain's short one ("rmse", "acc").
 * Any other name in auto mode is CT_ERR_CONFIG, as Keras raises ValueError:
 * the caller has to say min or max. */
ct_status ct_monitor_maximizes(const char *name, ct_monitor_mode mode, bool *maximize);

/* ======================================================= early stopping
 * Keras 3 keras.callbacks.EarlyStopping, decision for decision. Rules, from
 * keras/src/callbacks/early_stopping.py and monitor_callback.py (Keras 3.15):
 *   - min_delta is used as |min_delta|. An epoch improves on a reference r
 *     when value + |min_delta| < r (min) or value - |min_delta| > r (max);
 *     a NaN value or reference never compares as an improvement.
 *   - There is no best before the first monitored epoch, which therefore
 *     always improves (whatever its value, NaN included; older Keras 3
 *     releases started from +-inf instead, which differs only for a
 *     non-finite first value).
 *   - Epochs before start_from_epoch are not monitored at all.
 *   - Each monitored epoch first adds one to `wait`. An improvement becomes
 *     the new best; it resets wait to 0 only when it also improves on the
 *     baseline (if one is set). The baseline is never the best itself.
 *   - An epoch that does not improve stops training when wait >= patience
 *     (and epoch > 0).
 *   - restore_best_weights: the weights of the first monitored epoch are kept
 *     when none are yet, and those of every improving epoch; at the end of
 *     training they are restored, whether training stopped early or ran all
 *     its epochs (Keras 3 restores in on_train_end). */

#define CT_EARLY_STOPPING_NAME_MAX 128

typedef struct {
    /* Settings, copied and resolved from the spec by ct_early_stopping_init. */
    bool enabled;          /* false: update never monitors, never stops */
    char monitor[CT_EARLY_STOPPING_NAME_MAX];   /* as written: "val_loss", "val_rmse" */
    char log_name[CT_EARLY_STOPPING_NAME_MAX];  /* its Keras log name: "val_root_mean_squared_error" */
    bool maximize;         /* mode resolved (ct_monitor_maximizes) */
    double min_delta;      /* >= 0 */
    int patience;
    bool has_baseline;
    double baseline;
    bool restore_best_weights;
    int start_from_epoch;

    /* Progress. */
    int wait;             /* Keras' wait: monitored epochs since the last reset */
    double best;          /* best monitored value; NaN before the first */
    int best_epoch;       /* epoch of `best`; -1 before the first monitored epoch */
    int weights_epoch;    /* epoch whose weights the caller saved; -1 none */
    int stopped_epoch;    /* epoch after which training stopped; -1 not stopped */
    int last_epoch;       /* last epoch given to update; -1 none */
} ct_early_stopping;

typedef struct {
    bool monitored;    /* false before start_from_epoch (or when disabled) */
    double value;      /* the monitored value this epoch (NaN when not monitored) */
    bool improved;     /* this epoch is the new best */
    bool save_weights; /* restore_best_weights: copy the current weights now; the
                          copy replaces any earlier one */
    bool stop;         /* stop training after this epoch */
    int wait;          /* Keras' wait after this epoch; stop comes at wait >= patience */
} ct_early_stopping_decision;

/* Copy and check the settings (monitor name, patience >= 0, start_from_epoch
 * >= 0, finite min_delta and baseline, a mode that can be resolved). The
 * spec is not referenced afterwards. A disabled spec gives an inert state.
 * CT_ERR_CONFIG with a message naming the setting. */
ct_status ct_early_stopping_init(ct_early_stopping *es, const ct_early_stopping_spec *spec);

/* Feed the values of a finished epoch (0-based; epochs must increase). The
 * monitored quantity is looked up by the name as written, then by its Keras
 * log name ("val_rmse" finds "val_root_mean_squared_error"); when neither is
 * there: CT_ERR_CONFIG listing the names available. */
ct_status ct_early_stopping_update(ct_early_stopping *es, int epoch, const char *const *names,
                                   const double *values, size_t n,
                                   ct_early_stopping_decision *decision);

/* End of training. Returns true when the caller must restore the weights it
 * saved (restore_best_weights and some epoch was monitored); *restore_epoch
 * (may be NULL) is then that epoch, else -1. */
bool ct_early_stopping_end(const ct_early_stopping *es, int *restore_epoch);

/* Why training stopped (or that it did not), one line, epochs from 1:
 *   "val_loss did not improve for 10 epochs (best 3.215 at epoch 21); stopped at epoch 31"
 *   "val_loss did not improve on the baseline 0.5 within 2 epochs (best 0.7 at epoch 1); stopped at epoch 2"
 *   "val_loss did not stop training (best 3.215 at epoch 21)"
 * min_delta > 0 adds "by more than 0.01". Returns buf. */
const char *ct_early_stopping_reason(const ct_early_stopping *es, char *buf, size_t size);

static inline bool ct_early_stopping_stopped(const ct_early_stopping *es)
{
    return es->stopped_epoch >= 0;
}

/* =============================================== ReduceLROnPlateau
 * Keras 3 keras.callbacks.ReduceLROnPlateau (keras/src/callbacks/
 * reduce_lr_on_plateau.py), decision for decision:
 *   - mode auto means max when the monitor's name contains "acc" (this
 *     callback's own rule, unlike EarlyStopping's), else min. An epoch
 *     improves when value < best - min_delta (min) or value > best +
 *     min_delta (max); best starts at +-infinity; NaN never improves.
 *   - Each epoch: during a cooldown the counter drops by one and wait is
 *     reset. Then an improvement becomes best with wait = 0; otherwise,
 *     outside a cooldown, wait grows, and at wait >= patience the learning
 *     rate, read as the float32 the optimizer holds, becomes
 *     max(lr * factor, min_lr) if it is above float32(min_lr), the cooldown
 *     starts (cooldown epochs) and wait returns to 0.
 * The learning rate the epoch trained with is what Keras logs as
 * "learning_rate" before this runs. */
typedef struct {
    /* Settings, copied and resolved from the spec by ct_reduce_lr_init. */
    bool enabled;
    char monitor[CT_EARLY_STOPPING_NAME_MAX];  /* as written */
    char log_name[CT_EARLY_STOPPING_NAME_MAX]; /* its Keras log name */
    bool maximize;
    double factor, min_delta, min_lr;
    int patience, cooldown;

    /* Progress: plain values, all a checkpoint needs to resume it. */
    int wait;             /* Keras' wait */
    int cooldown_counter; /* Keras' cooldown_counter */
    double best;          /* +-infinity before the first epoch */
} ct_reduce_lr;

/* Copy and check the settings (factor in [0, 1), as Keras raises for
 * factor >= 1; patience, cooldown, min_delta, min_lr >= 0). A disabled spec
 * gives an inert state. */
ct_status ct_reduce_lr_init(ct_reduce_lr *r, const ct_reduce_lr_spec *spec);

/* Feed a finished epoch's values (names looked up as early stopping does).
 * *learning_rate: the rate in use, replaced by the reduced one when
 * *reduced comes back true. CT_ERR_CONFIG when the monitor is missing. */
ct_status ct_reduce_lr_update(ct_reduce_lr *r, const char *const *names, const double *values, size_t n,
                              double *learning_rate, bool *reduced);

/* ============================================================= NaN guard
 * Keras' TerminateOnNaN checks the loss; this checks every value given (the
 * loss, metrics and their validation twins: any of them non-finite means
 * the model's outputs are). CT_ERR_NUMERIC with a detail such as
 *   "loss became NaN at epoch 5" / "val_loss became infinite at epoch 5"
 * naming the first non-finite value in array order; epoch is 0-based and
 * printed from 1. */
ct_status ct_nan_guard_check(int epoch, const char *const *names, const double *values,
                             size_t n);

#ifdef __cplusplus
}
#endif
#endif
