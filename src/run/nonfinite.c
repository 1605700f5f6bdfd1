/* Explaining a run the NaN guard stopped (see nonfinite.h). The fit loop
 * reads nothing back within an epoch, so it only learns at the epoch's end
 * that a value went non-finite; the replay from the last checkpoint, which
 * is bit for bit the run's own trajectory, finds the batch at no cost to
 * runs that never fail. */
#include "run/nonfinite.h"

#include <stdio.h>
#include <string.h>

#include "core/names.h"
#include "run/checkpoint_io.h"

/* The learning rate history.csv logged for epoch `row`, or NaN. */
static double logged_learning_rate(const ct_history *h, size_t row)
{
    for (size_t j = 0; j < ct_history_columns(h); j++)
        if (!strcmp(ct_history_column_name(h, j), "learning_rate"))
            return ct_history_value(h, row, j);
    return 0.0 / 0.0;
}

/* Replays from the checkpoint to the start of `epoch`, then finds the batch. */
static ct_status replay(const ct_experiment *exp, ct_trainer *t, const char *checkpoint_path,
                        const ct_trainer_state *initial, const ct_history *history, int epoch,
                        ct_nonfinite_step *step)
{
    int from = 0;
    uint64_t batch = 0;
    bool finished = false;
    ct_status s = CT_OK;
    if (checkpoint_path) {
        ct_checkpoint *c;
        CT_TRY(ct_checkpoint_read(checkpoint_path, &c));
        s = ct_run_checkpoint_position(c, &from, &batch, &finished);
        if (s == CT_OK)
            s = ct_run_checkpoint_restore_trainer(c, t);
        ct_checkpoint_free(c);
    } else if (initial) {
        from = initial->epoch;
        batch = initial->batch;
        s = ct_trainer_load(t, initial);
    } else
        s = ct_fail(CT_ERR_INTERNAL, "no state to replay from");
    if (s == CT_OK && (batch != 0 || from > epoch))
        s = ct_fail(CT_ERR_INTERNAL, "the saved state is not at the start of an epoch before %d", epoch + 1);
    /* ReduceLROnPlateau set the rate of each epoch after the one before; the
     * history logged it (a schedule's follows from the step count alone). */
    bool logged_rates = exp->callbacks.reduce_lr_on_plateau.enabled && !exp->train.learning_rate_schedule.enabled;
    double values[2 * (1 + CT_METRICS_MAX) + 2];
    for (int e = from; s == CT_OK && e <= epoch; e++) {
        if (logged_rates)
            s = ct_trainer_set_learning_rate(t, logged_learning_rate(history, (size_t)e));
        if (s == CT_OK && e < epoch)
            s = ct_trainer_epoch(t, e, values, NULL, &finished);
    }
    return s == CT_OK ? ct_trainer_find_nonfinite(t, epoch, step) : s;
}

void ct_run_explain_nonfinite(const ct_experiment *exp, ct_trainer *t, const char *checkpoint_path,
                              const ct_trainer_state *initial, const ct_history *history, int epoch, char *where, size_t size, char *advice,
                              size_t advice_size)
{
    where[0] = '\0';
    const char *optimizer = ct_optimizer_name(exp->train.optimizer.kind);
    char rate[160];
    if (exp->train.learning_rate_schedule.enabled)
        snprintf(rate, sizeof rate, "train.learning_rate_schedule reached %g", ct_trainer_learning_rate(t));
    else
        snprintf(rate, sizeof rate, "train.optimizer: {%s: {learning_rate: %g}} is a tenth of this one", optimizer,
                 ct_trainer_learning_rate(t) / 10);
    snprintf(advice, advice_size,
             "try a lower learning rate (%s), gradient clipping (clipnorm: 1.0 in train.optimizer's settings)%s, "
             "or look for extreme values in the data",
             rate, exp->data.kind == CT_DATA_CSV && !exp->data.csv.standardize
                       ? ", standardized features (data.csv.standardize: true)"
                       : "");
    ct_nonfinite_step step;
    ct_status s = replay(exp, t, checkpoint_path, initial, history, epoch, &step);
    if (s != CT_OK || step.batch == 0) {
        ct_clear_error(); /* the guard's own message is the one to give */
        return;
    }
    size_t batches = ct_trainer_batches(t);
    if (!step.loss_finite && step.tensor[0])
        snprintf(where, size, ", batch %zu of %zu (its loss; after it %s holds NaN or inf)", step.batch, batches,
                 step.tensor);
    else if (!step.loss_finite)
        snprintf(where, size, ", batch %zu of %zu (its loss, with finite weights)", step.batch, batches);
    else
        snprintf(where, size, ", batch %zu of %zu (its update made %s NaN or inf)", step.batch, batches,
                 step.tensor);
}
