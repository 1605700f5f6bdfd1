/* Early stopping and the NaN guard against Keras 3's rules.
 *
 * Every expectation in the scenario table was written down from Keras 3.15's
 * keras/src/callbacks/early_stopping.py + monitor_callback.py, and checked
 * by running that source itself on the same sequences (with its imports
 * stubbed: tools-free, only the callback's own logic). The comment on each
 * row says which rule it exercises. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cltrain/callbacks.h"

#define MAX_EPOCHS 40
#define NOT_STOPPED (-1)

typedef struct {
    const char *name;
    /* EarlyStopping(...) arguments; monitor defaults to val_loss. */
    const char *monitor;
    ct_monitor_mode mode;
    int patience;
    double min_delta;
    bool has_baseline;
    double baseline;
    bool restore_best_weights;
    int start_from_epoch;
    /* The monitored value of each epoch. */
    int epochs;
    double values[MAX_EPOCHS];
    /* What Keras does. */
    int stop_epoch;    /* stopped_epoch when stop_training was set, else NOT_STOPPED */
    double best;       /* cb.best at the end */
    int best_epoch;    /* cb.best_epoch at the end */
    int restore_epoch; /* the epoch whose weights on_train_end restores, or -1 */
    int waits[MAX_EPOCHS]; /* cb.wait after each epoch that ran */
} scenario;

static const scenario scenarios[] = {
    /* wait += 1 before the test, stop at wait >= patience: two epochs
     * without improvement after the best at epoch 1 stop at epoch 3. */
    {.name = "patience 2", .patience = 2, .epochs = 5, .values = {1.0, 0.9, 0.95, 0.91, 0.8},
     .stop_epoch = 3, .best = 0.9, .best_epoch = 1, .restore_epoch = -1, .waits = {0, 0, 1, 2}},
    /* One more epoch of patience reaches the improvement at epoch 4. */
    {.name = "patience 3", .patience = 3, .epochs = 5, .values = {1.0, 0.9, 0.95, 0.91, 0.8},
     .stop_epoch = NOT_STOPPED, .best = 0.8, .best_epoch = 4, .restore_epoch = -1,
     .waits = {0, 0, 1, 2, 0}},
    /* Equal is not better (ops.less is strict). */
    {.name = "flat", .patience = 2, .epochs = 4, .values = {1, 1, 1, 1}, .stop_epoch = 2,
     .best = 1, .best_epoch = 0, .restore_epoch = -1, .waits = {0, 1, 2}},
    /* patience 0 stops at the first epoch that does not improve. */
    {.name = "patience 0", .patience = 0, .epochs = 3, .values = {1.0, 0.9, 0.95},
     .stop_epoch = 2, .best = 0.9, .best_epoch = 1, .restore_epoch = -1, .waits = {0, 0, 1}},
    /* min_delta: 0.96 is lower but not by more than 0.05, so best stays 1.0. */
    {.name = "min_delta", .patience = 2, .min_delta = 0.05, .epochs = 4,
     .values = {1.0, 0.96, 0.90, 0.87}, .stop_epoch = NOT_STOPPED, .best = 0.90,
     .best_epoch = 2, .restore_epoch = -1, .waits = {0, 1, 0, 1}},
    /* self.min_delta = abs(min_delta) */
    {.name = "negative min_delta", .patience = 2, .min_delta = -0.05, .epochs = 4,
     .values = {1.0, 0.96, 0.90, 0.87}, .stop_epoch = NOT_STOPPED, .best = 0.90,
     .best_epoch = 2, .restore_epoch = -1, .waits = {0, 1, 0, 1}},
    {.name = "min_delta patience 1", .patience = 1, .min_delta = 0.05, .epochs = 3,
     .values = {1.0, 0.96, 0.90}, .stop_epoch = 1, .best = 1.0, .best_epoch = 0,
     .restore_epoch = -1, .waits = {0, 1}},
    /* Exactly min_delta better is not enough: less(0.75 + 0.25, 1.0) is false. */
    {.name = "min_delta edge", .patience = 5, .min_delta = 0.25, .epochs = 3,
     .values = {1.0, 0.75, 0.7}, .stop_epoch = NOT_STOPPED, .best = 0.7, .best_epoch = 2,
     .restore_epoch = -1, .waits = {0, 1, 0}},
    /* auto on an accuracy maximises (Accuracy._direction == "up"). */
    {.name = "accuracy auto", .monitor = "val_accuracy", .patience = 2, .epochs = 4,
     .values = {0.5, 0.6, 0.6, 0.55}, .stop_epoch = 3, .best = 0.6, .best_epoch = 1,
     .restore_epoch = -1, .waits = {0, 0, 1, 2}},
    /* max mode: greater(value - min_delta, best). */
    {.name = "accuracy min_delta", .monitor = "val_accuracy", .patience = 5, .min_delta = 0.05,
     .epochs = 4, .values = {0.5, 0.54, 0.56, 0.6}, .stop_epoch = NOT_STOPPED, .best = 0.56,
     .best_epoch = 2, .restore_epoch = -1, .waits = {0, 1, 0, 1}},
    /* auto on an error minimises (RootMeanSquaredError._direction == "down"). */
    {.name = "rmse auto", .monitor = "val_root_mean_squared_error", .patience = 1, .epochs = 3,
     .values = {3.0, 2.0, 2.5}, .stop_epoch = 2, .best = 2.0, .best_epoch = 1,
     .restore_epoch = -1, .waits = {0, 0, 1}},
    /* An explicit mode wins over the name. */
    {.name = "accuracy mode min", .monitor = "val_accuracy", .mode = CT_MODE_MIN, .patience = 1,
     .epochs = 3, .values = {0.5, 0.6, 0.4}, .stop_epoch = 1, .best = 0.5, .best_epoch = 0,
     .restore_epoch = -1, .waits = {0, 1}},
    /* Baseline never beaten: improvements do not reset wait, and the first
     * epoch that does not improve stops once wait >= patience. */
    {.name = "baseline never beaten", .patience = 3, .has_baseline = true, .baseline = 0.5,
     .epochs = 5, .values = {1.0, 0.9, 0.8, 0.85, 0.84}, .stop_epoch = 3, .best = 0.8,
     .best_epoch = 2, .restore_epoch = -1, .waits = {1, 2, 3, 4}},
    {.name = "baseline flat", .patience = 2, .has_baseline = true, .baseline = 0.5, .epochs = 3,
     .values = {1.0, 1.0, 1.0}, .stop_epoch = 1, .best = 1.0, .best_epoch = 0,
     .restore_epoch = -1, .waits = {1, 2}},
    /* Beating the baseline resets wait like any improvement. */
    {.name = "baseline beaten", .patience = 2, .has_baseline = true, .baseline = 0.5,
     .epochs = 4, .values = {0.6, 0.4, 0.45, 0.45}, .stop_epoch = 3, .best = 0.4,
     .best_epoch = 1, .restore_epoch = -1, .waits = {1, 0, 1, 2}},
    {.name = "baseline max", .monitor = "val_accuracy", .patience = 2, .has_baseline = true,
     .baseline = 0.8, .epochs = 4, .values = {0.3, 0.35, 0.32, 0.31}, .stop_epoch = 2,
     .best = 0.35, .best_epoch = 1, .restore_epoch = -1, .waits = {1, 2, 3}},
    /* Epochs before start_from_epoch are not monitored: the best is 3.5 of
     * epoch 3, not 3 of epoch 2. */
    {.name = "start_from_epoch", .patience = 1, .start_from_epoch = 3, .epochs = 6,
     .values = {5, 4, 3, 3.5, 3.6, 3.7}, .stop_epoch = 4, .best = 3.5, .best_epoch = 3,
     .restore_epoch = -1, .waits = {0, 0, 0, 0, 1}},
    {.name = "start_from_epoch rising", .patience = 0, .start_from_epoch = 3, .epochs = 6,
     .values = {1, 2, 3, 4, 5, 6}, .stop_epoch = 4, .best = 4, .best_epoch = 3,
     .restore_epoch = -1, .waits = {0, 0, 0, 0, 1}},
    /* Keras 3 restores in on_train_end: also when all epochs ran. */
    {.name = "restore after all epochs", .patience = 10, .restore_best_weights = true,
     .epochs = 4, .values = {1.0, 0.5, 0.7, 0.8}, .stop_epoch = NOT_STOPPED, .best = 0.5,
     .best_epoch = 1, .restore_epoch = 1, .waits = {0, 0, 1, 2}},
    {.name = "restore after stop", .patience = 2, .restore_best_weights = true, .epochs = 4,
     .values = {1.0, 0.5, 0.7, 0.8}, .stop_epoch = 3, .best = 0.5, .best_epoch = 1,
     .restore_epoch = 1, .waits = {0, 0, 1, 2}},
    {.name = "no restore", .patience = 10, .epochs = 4, .values = {1.0, 0.5, 0.7, 0.8},
     .stop_epoch = NOT_STOPPED, .best = 0.5, .best_epoch = 1, .restore_epoch = -1,
     .waits = {0, 0, 1, 2}},
    /* _is_improvement(x, None) is True: a NaN first value becomes the best,
     * and nothing compares better than NaN afterwards. */
    {.name = "NaN first", .patience = 5, .restore_best_weights = true, .epochs = 3,
     .values = {NAN, 1.0, 1.1}, .stop_epoch = NOT_STOPPED, .best = NAN, .best_epoch = 0,
     .restore_epoch = 0, .waits = {0, 1, 2}},
    {.name = "NaN later", .patience = 1, .restore_best_weights = true, .epochs = 3,
     .values = {1.0, NAN, NAN}, .stop_epoch = 1, .best = 1.0, .best_epoch = 0,
     .restore_epoch = 0, .waits = {0, 1}},
};

static ct_early_stopping_spec spec_of(const scenario *sc)
{
    ct_early_stopping_spec spec;
    memset(&spec, 0, sizeof spec);
    spec.enabled = true;
    spec.monitor = (char *)(sc->monitor ? sc->monitor : "val_loss");
    spec.mode = sc->mode;
    spec.patience = sc->patience;
    spec.min_delta = sc->min_delta;
    spec.has_baseline = sc->has_baseline;
    spec.baseline = sc->baseline;
    spec.restore_best_weights = sc->restore_best_weights;
    spec.start_from_epoch = sc->start_from_epoch;
    return spec;
}

static bool same_double(double a, double b) { return (isnan(a) && isnan(b)) || a == b; }

START_TEST(test_keras_scenarios)
{
    const scenario *sc = &scenarios[_i];
    ct_early_stopping_spec spec = spec_of(sc);
    ct_early_stopping es;
    ck_assert_msg(ct_early_stopping_init(&es, &spec) == CT_OK, "%s: %s", sc->name,
                  ct_last_error());

    const char *names[] = {"loss", spec.monitor};
    int stop_epoch = NOT_STOPPED, saved_weights = -1;
    for (int epoch = 0; epoch < sc->epochs; epoch++) {
        double values[] = {0.0, sc->values[epoch]};
        ct_early_stopping_decision d;
        ck_assert_int_eq(ct_early_stopping_update(&es, epoch, names, values, 2, &d), CT_OK);
        ck_assert_msg(d.wait == sc->waits[epoch], "%s: epoch %d: wait %d, Keras %d", sc->name,
                      epoch, d.wait, sc->waits[epoch]);
        ck_assert_msg(d.monitored == (epoch >= sc->start_from_epoch), "%s: epoch %d monitored",
                      sc->name, epoch);
        if (d.save_weights)
            saved_weights = epoch;
        if (d.stop) {
            stop_epoch = epoch;
            break;
        }
    }
    ck_assert_msg(stop_epoch == sc->stop_epoch, "%s: stopped at %d, Keras at %d", sc->name,
                  stop_epoch, sc->stop_epoch);
    ck_assert_int_eq(ct_early_stopping_stopped(&es), sc->stop_epoch != NOT_STOPPED);
    ck_assert_msg(same_double(es.best, sc->best), "%s: best %g, Keras %g", sc->name, es.best,
                  sc->best);
    ck_assert_msg(es.best_epoch == sc->best_epoch, "%s: best epoch %d, Keras %d", sc->name,
                  es.best_epoch, sc->best_epoch);

    int restore_epoch = 99;
    bool restore = ct_early_stopping_end(&es, &restore_epoch);
    ck_assert_int_eq(restore, sc->restore_epoch >= 0);
    ck_assert_msg(restore_epoch == sc->restore_epoch, "%s: restore %d, Keras %d", sc->name,
                  restore_epoch, sc->restore_epoch);
    /* The weights the caller saved last are the ones to restore. */
    if (restore)
        ck_assert_int_eq(saved_weights, restore_epoch);
    else
        ck_assert_int_eq(saved_weights, -1);
}
END_TEST

/* ------------------------------------------------------------ decisions */

static ct_early_stopping_spec val_loss_spec(int patience)
{
    ct_early_stopping_spec spec;
    memset(&spec, 0, sizeof spec);
    spec.enabled = true;
    spec.monitor = "val_loss";
    spec.patience = patience;
    return spec;
}

START_TEST(test_improved_and_save_weights)
{
    ct_early_stopping_spec spec = val_loss_spec(3);
    spec.restore_best_weights = true;
    ct_early_stopping es;
    ck_assert_int_eq(ct_early_stopping_init(&es, &spec), CT_OK);
    const char *names[] = {"val_loss"};
    const double seq[] = {2.0, 1.0, 1.5, 0.5};
    const bool improved[] = {true, true, false, true};
    for (int e = 0; e < 4; e++) {
        ct_early_stopping_decision d;
        ck_assert_int_eq(ct_early_stopping_update(&es, e, names, &seq[e], 1, &d), CT_OK);
        ck_assert_int_eq(d.improved, improved[e]);
        ck_assert_int_eq(d.save_weights, improved[e]);
        ck_assert(d.value == seq[e]);
        ck_assert(!d.stop);
    }
    /* Without restore_best_weights nothing asks for a copy. */
    spec.restore_best_weights = false;
    ck_assert_int_eq(ct_early_stopping_init(&es, &spec), CT_OK);
    for (int e = 0; e < 4; e++) {
        ct_early_stopping_decision d;
        ck_assert_int_eq(ct_early_stopping_update(&es, e, names, &seq[e], 1, &d), CT_OK);
        ck_assert(!d.save_weights);
    }
}
END_TEST

START_TEST(test_reason_strings)
{
    char why[256];
    ct_early_stopping_spec spec = val_loss_spec(10);
    ct_early_stopping es;
    ck_assert_int_eq(ct_early_stopping_init(&es, &spec), CT_OK);
    const char *names[] = {"loss", "val_loss"};
    int epoch = 0;
    ct_early_stopping_decision d = {0};
    /* 20 improving epochs, the best 3.215 at epoch index 20, then a plateau. */
    for (; epoch <= 20 && !d.stop; epoch++) {
        double values[] = {1.0, epoch == 20 ? 3.215 : 4.0 - 0.03 * epoch};
        ck_assert_int_eq(ct_early_stopping_update(&es, epoch, names, values, 2, &d), CT_OK);
    }
    ck_assert_str_eq(ct_early_stopping_reason(&es, why, sizeof why),
                     "val_loss did not stop training (best 3.215 at epoch 21)");
    for (; epoch < 40 && !d.stop; epoch++) {
        double values[] = {1.0, 3.3};
        ck_assert_int_eq(ct_early_stopping_update(&es, epoch, names, values, 2, &d), CT_OK);
    }
    ck_assert(d.stop);
    ck_assert_int_eq(es.stopped_epoch, 30); /* Keras: stopped_epoch 30, "Epoch 31: early stopping" */
    ck_assert_str_eq(ct_early_stopping_reason(&es, why, sizeof why),
                     "val_loss did not improve for 10 epochs (best 3.215 at epoch 21); "
                     "stopped at epoch 31");

    /* min_delta is part of the sentence. */
    spec = val_loss_spec(1);
    spec.min_delta = 0.01;
    ck_assert_int_eq(ct_early_stopping_init(&es, &spec), CT_OK);
    const double seq[] = {1.0, 0.995};
    for (int e = 0; e < 2; e++)
        ck_assert_int_eq(ct_early_stopping_update(&es, e, names + 1, &seq[e], 1, &d), CT_OK);
    ck_assert(d.stop);
    ck_assert_str_eq(ct_early_stopping_reason(&es, why, sizeof why),
                     "val_loss did not improve by more than 0.01 for 1 epoch (best 1 at epoch 1); "
                     "stopped at epoch 2");

    /* A baseline that was never beaten is what the sentence says. */
    spec = val_loss_spec(2);
    spec.has_baseline = true;
    spec.baseline = 0.5;
    ck_assert_int_eq(ct_early_stopping_init(&es, &spec), CT_OK);
    const double flat[] = {1.0, 1.0};
    for (int e = 0; e < 2; e++)
        ck_assert_int_eq(ct_early_stopping_update(&es, e, names + 1, &flat[e], 1, &d), CT_OK);
    ck_assert(d.stop);
    ck_assert_str_eq(ct_early_stopping_reason(&es, why, sizeof why),
                     "val_loss did not improve on the baseline 0.5 within 2 epochs "
                     "(best 1 at epoch 1); stopped at epoch 2");

    /* Before any epoch, and when off. */
    ck_assert_int_eq(ct_early_stopping_init(&es, &spec), CT_OK);
    ck_assert_str_eq(ct_early_stopping_reason(&es, why, sizeof why),
                     "val_loss did not stop training (no epoch monitored yet)");
    spec.enabled = false;
    ck_assert_int_eq(ct_early_stopping_init(&es, &spec), CT_OK);
    ck_assert_str_eq(ct_early_stopping_reason(&es, why, sizeof why), "early stopping is off");
}
END_TEST

START_TEST(test_disabled_is_inert)
{
    ct_early_stopping_spec spec = val_loss_spec(0);
    spec.enabled = false;
    spec.restore_best_weights = true;
    ct_early_stopping es;
    ck_assert_int_eq(ct_early_stopping_init(&es, &spec), CT_OK);
    const char *names[] = {"loss"}; /* no val_loss: not an error when off */
    for (int e = 0; e < 5; e++) {
        double v = 1.0;
        ct_early_stopping_decision d;
        ck_assert_int_eq(ct_early_stopping_update(&es, e, names, &v, 1, &d), CT_OK);
        ck_assert(!d.monitored && !d.stop && !d.save_weights);
    }
    int restore_epoch = 7;
    ck_assert(!ct_early_stopping_end(&es, &restore_epoch));
    ck_assert_int_eq(restore_epoch, -1);
}
END_TEST

/* ------------------------------------------------------------ names */

START_TEST(test_missing_monitor_lists_names)
{
    ct_early_stopping_spec spec = val_loss_spec(2);
    ct_early_stopping es;
    ck_assert_int_eq(ct_early_stopping_init(&es, &spec), CT_OK);
    const char *names[] = {"loss", "root_mean_squared_error"};
    const double values[] = {1.0, 2.0};
    ct_early_stopping_decision d;
    ck_assert_int_eq(ct_early_stopping_update(&es, 0, names, values, 2, &d), CT_ERR_CONFIG);
    ck_assert_str_eq(ct_last_error(),
                     "early stopping monitors 'val_loss', which is not among this epoch's "
                     "values (available: loss, root_mean_squared_error)");
    /* Also during the warm-up: the names do not change from epoch to epoch. */
    spec.start_from_epoch = 5;
    ck_assert_int_eq(ct_early_stopping_init(&es, &spec), CT_OK);
    ck_assert_int_eq(ct_early_stopping_update(&es, 0, names, values, 2, &d), CT_ERR_CONFIG);
}
END_TEST

START_TEST(test_short_metric_names)
{
    /* "val_rmse" as written in an experiment finds Keras' log name. */
    ct_early_stopping_spec spec = val_loss_spec(0);
    spec.monitor = "val_rmse";
    ct_early_stopping es;
    ck_assert_int_eq(ct_early_stopping_init(&es, &spec), CT_OK);
    ck_assert_str_eq(es.log_name, "val_root_mean_squared_error");
    ck_assert(!es.maximize);
    const char *names[] = {"loss", "val_root_mean_squared_error"};
    const double values[] = {1.0, 2.0};
    ct_early_stopping_decision d;
    ck_assert_int_eq(ct_early_stopping_update(&es, 0, names, values, 2, &d), CT_OK);
    ck_assert(d.monitored && d.value == 2.0);

    spec.monitor = "acc";
    ck_assert_int_eq(ct_early_stopping_init(&es, &spec), CT_OK);
    ck_assert_str_eq(es.log_name, "accuracy");
    ck_assert(es.maximize);
}
END_TEST

START_TEST(test_monitor_direction)
{
    bool up = true;
    ck_assert_int_eq(ct_monitor_maximizes("val_loss", CT_MODE_AUTO, &up), CT_OK);
    ck_assert(!up);
    ck_assert_int_eq(ct_monitor_maximizes("loss", CT_MODE_AUTO, &up), CT_OK);
    ck_assert(!up);
    ck_assert_int_eq(ct_monitor_maximizes("val_accuracy", CT_MODE_AUTO, &up), CT_OK);
    ck_assert(up);
    ck_assert_int_eq(ct_monitor_maximizes("sparse_categorical_accuracy", CT_MODE_AUTO, &up), CT_OK);
    ck_assert(up);
    ck_assert_int_eq(ct_monitor_maximizes("val_acc", CT_MODE_AUTO, &up), CT_OK);
    ck_assert(up);
    ck_assert_int_eq(ct_monitor_maximizes("val_mean_absolute_error", CT_MODE_AUTO, &up), CT_OK);
    ck_assert(!up);
    ck_assert_int_eq(ct_monitor_maximizes("rmse", CT_MODE_AUTO, &up), CT_OK);
    ck_assert(!up);
    ck_assert_int_eq(ct_monitor_maximizes("val_loss", CT_MODE_MAX, &up), CT_OK);
    ck_assert(up);
    ck_assert_int_eq(ct_monitor_maximizes("val_accuracy", CT_MODE_MIN, &up), CT_OK);
    ck_assert(!up);
    /* Keras raises ValueError when auto cannot tell. */
    ck_assert_int_eq(ct_monitor_maximizes("val_f1_score", CT_MODE_AUTO, &up), CT_ERR_CONFIG);
    ck_assert_ptr_nonnull(strstr(ct_last_error(), "val_f1_score"));
    ck_assert_ptr_nonnull(strstr(ct_last_error(), "mode: max"));
    ck_assert_int_eq(ct_monitor_maximizes("val_f1_score", CT_MODE_MAX, &up), CT_OK);
}
END_TEST

/* ------------------------------------------------------------ misuse */

START_TEST(test_bad_settings)
{
    ct_early_stopping es;
    ct_early_stopping_spec spec = val_loss_spec(-1);
    ck_assert_int_eq(ct_early_stopping_init(&es, &spec), CT_ERR_CONFIG);
    ck_assert_ptr_nonnull(strstr(ct_last_error(), "patience"));
    spec = val_loss_spec(1);
    spec.start_from_epoch = -2;
    ck_assert_int_eq(ct_early_stopping_init(&es, &spec), CT_ERR_CONFIG);
    spec = val_loss_spec(1);
    spec.monitor = NULL;
    ck_assert_int_eq(ct_early_stopping_init(&es, &spec), CT_ERR_CONFIG);
    spec = val_loss_spec(1);
    spec.min_delta = NAN;
    ck_assert_int_eq(ct_early_stopping_init(&es, &spec), CT_ERR_CONFIG);
    spec = val_loss_spec(1);
    spec.has_baseline = true;
    spec.baseline = INFINITY;
    ck_assert_int_eq(ct_early_stopping_init(&es, &spec), CT_ERR_CONFIG);
    spec = val_loss_spec(1);
    spec.monitor = "val_f1_score"; /* auto cannot tell */
    ck_assert_int_eq(ct_early_stopping_init(&es, &spec), CT_ERR_CONFIG);
    ck_assert_int_eq(ct_early_stopping_init(NULL, &spec), CT_ERR_INVALID_ARGUMENT);

    /* Epochs must increase. */
    spec = val_loss_spec(1);
    ck_assert_int_eq(ct_early_stopping_init(&es, &spec), CT_OK);
    const char *names[] = {"val_loss"};
    double v = 1.0;
    ct_early_stopping_decision d;
    ck_assert_int_eq(ct_early_stopping_update(&es, 3, names, &v, 1, &d), CT_OK);
    ck_assert_int_eq(ct_early_stopping_update(&es, 3, names, &v, 1, &d), CT_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(ct_early_stopping_update(&es, -1, names, &v, 1, &d),
                     CT_ERR_INVALID_ARGUMENT);
}
END_TEST

/* ------------------------------------------------------------ NaN guard */

/* ===================================================== ReduceLROnPlateau */

/* ReduceLROnPlateau(patience=2, factor=0.5, cooldown=1, min_lr=0.1) from a
 * learning rate of 1, traced by hand through reduce_lr_on_plateau.py's
 * on_epoch_end: the cooldown epoch resets wait before the comparison, a
 * NaN never improves, the rate stops at min_lr and, once there, no longer
 * reduces (old_lr > float32(min_lr) fails) while wait keeps growing. */
START_TEST(test_reduce_lr_keras_trace)
{
    ct_reduce_lr_spec spec = {.enabled = true, .monitor = "val_loss", .factor = 0.5, .patience = 2,
                              .mode = CT_MODE_AUTO, .min_delta = 1e-4, .cooldown = 1, .min_lr = 0.1};
    ct_reduce_lr r;
    ck_assert_int_eq(ct_reduce_lr_init(&r, &spec), CT_OK);
    ck_assert(!r.maximize && r.best == INFINITY);
    const double loss[] = {5, 4, 4, 4, 4, 4, 3, 3, 3, 3, 3, NAN, 3, 3};
    const double lr_after[] = {1, 1, 1, 0.5, 0.5, 0.25, 0.25, 0.25, 0.125, 0.125, 0.1, 0.1, 0.1, 0.1};
    const int wait_after[] = {0, 0, 1, 0, 1, 0, 0, 1, 0, 1, 0, 1, 2, 3};
    const bool reduced_at[] = {0, 0, 0, 1, 0, 1, 0, 0, 1, 0, 1, 0, 0, 0};
    double lr = 1.0;
    const char *names[] = {"loss", "val_loss"};
    for (int e = 0; e < 14; e++) {
        double values[2] = {0, loss[e]};
        bool reduced;
        ck_assert_int_eq(ct_reduce_lr_update(&r, names, values, 2, &lr, &reduced), CT_OK);
        ck_assert_msg(fabs(lr - lr_after[e]) < 1e-9 && reduced == reduced_at[e] && r.wait == wait_after[e],
                      "epoch %d: lr %g reduced %d wait %d; Keras: lr %g reduced %d wait %d", e, lr, reduced, r.wait,
                      lr_after[e], reduced_at[e], wait_after[e]);
    }
    ck_assert(r.best == 3);
}
END_TEST

START_TEST(test_reduce_lr_modes_and_settings)
{
    /* auto: max when the monitor's name contains "acc" (this callback's rule). */
    ct_reduce_lr_spec spec = {.enabled = true, .monitor = "val_sparse_categorical_accuracy", .factor = 0.1,
                              .patience = 0, .mode = CT_MODE_AUTO, .min_delta = 0, .min_lr = 0};
    ct_reduce_lr r;
    ck_assert_int_eq(ct_reduce_lr_init(&r, &spec), CT_OK);
    ck_assert(r.maximize && r.best == -INFINITY);
    spec.monitor = "val_rmse";
    ck_assert_int_eq(ct_reduce_lr_init(&r, &spec), CT_OK);
    ck_assert(!r.maximize);
    /* patience 0: every epoch that does not improve reduces; the short name finds the Keras one. */
    const char *names[] = {"val_root_mean_squared_error"};
    double lr = 0.01, v = 2.0;
    bool reduced;
    ck_assert_int_eq(ct_reduce_lr_update(&r, names, &v, 1, &lr, &reduced), CT_OK);
    ck_assert(!reduced && lr == 0.01);
    ck_assert_int_eq(ct_reduce_lr_update(&r, names, &v, 1, &lr, &reduced), CT_OK);
    ck_assert(reduced && fabs(lr - 0.001) < 1e-9); /* from float32(0.01), as Keras reads it */
    /* A missing monitor names what there is; factor >= 1 is refused, as Keras does. */
    spec.monitor = "val_mae";
    ck_assert_int_eq(ct_reduce_lr_init(&r, &spec), CT_OK);
    ck_assert_int_eq(ct_reduce_lr_update(&r, names, &v, 1, &lr, &reduced), CT_ERR_CONFIG);
    ck_assert_ptr_nonnull(strstr(ct_last_error(), "val_root_mean_squared_error"));
    spec.factor = 1.0;
    ck_assert_int_eq(ct_reduce_lr_init(&r, &spec), CT_ERR_CONFIG);
    /* Disabled: inert. */
    spec.enabled = false;
    ck_assert_int_eq(ct_reduce_lr_init(&r, &spec), CT_OK);
    ck_assert_int_eq(ct_reduce_lr_update(&r, names, &v, 1, &lr, &reduced), CT_OK);
    ck_assert(!reduced);
}
END_TEST

START_TEST(test_nan_guard)
{
    const char *names[] = {"loss", "root_mean_squared_error", "val_loss"};
    double ok[] = {0.5, 0.7, 0.6};
    ck_assert_int_eq(ct_nan_guard_check(0, names, ok, 3), CT_OK);
    ck_assert_int_eq(ct_nan_guard_check(0, names, NULL, 0), CT_OK);

    double nan_loss[] = {NAN, NAN, 0.6};
    ck_assert_int_eq(ct_nan_guard_check(4, names, nan_loss, 3), CT_ERR_NUMERIC);
    ck_assert_str_eq(ct_last_error(), "loss became NaN at epoch 5");

    double inf_val[] = {0.5, 0.7, INFINITY};
    ck_assert_int_eq(ct_nan_guard_check(0, names, inf_val, 3), CT_ERR_NUMERIC);
    ck_assert_str_eq(ct_last_error(), "val_loss became infinite at epoch 1");

    double minus_inf[] = {0.5, -INFINITY, 0.6};
    ck_assert_int_eq(ct_nan_guard_check(9, names, minus_inf, 3), CT_ERR_NUMERIC);
    ck_assert_str_eq(ct_last_error(), "root_mean_squared_error became infinite at epoch 10");
}
END_TEST

static Suite *callbacks_suite(void)
{
    Suite *s = suite_create("callbacks");
    TCase *keras = tcase_create("keras");
    tcase_add_loop_test(keras, test_keras_scenarios, 0,
                        (int)(sizeof scenarios / sizeof scenarios[0]));
    tcase_add_test(keras, test_improved_and_save_weights);
    tcase_add_test(keras, test_reason_strings);
    tcase_add_test(keras, test_disabled_is_inert);
    suite_add_tcase(s, keras);

    TCase *names = tcase_create("names");
    tcase_add_test(names, test_missing_monitor_lists_names);
    tcase_add_test(names, test_short_metric_names);
    tcase_add_test(names, test_monitor_direction);
    tcase_add_test(names, test_bad_settings);
    suite_add_tcase(s, names);

    TCase *guard = tcase_create("nan_guard");
    tcase_add_test(guard, test_nan_guard);
    tcase_add_test(guard, test_reduce_lr_keras_trace);
    tcase_add_test(guard, test_reduce_lr_modes_and_settings);
    suite_add_tcase(s, guard);
    return s;
}

int main(void)
{
    SRunner *runner = srunner_create(callbacks_suite());
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
