/* Early stopping (Keras 3 EarlyStopping), ReduceLROnPlateau and the NaN
 * guard (Keras' TerminateOnNaN, extended to every logged value).
 *
 * The early-stopping rules are those of Keras 3.15's
 * keras/src/callbacks/early_stopping.py and its base class in
 * monitor_callback.py; each rule below quotes the lines it reproduces. They
 * are summarised in cltrain/callbacks.h. */
#include "cltrain/callbacks.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* ------------------------------------------------------------ names */

static bool starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* The metric a name stands for, by cltrain's short name ("rmse"), Keras'
 * name ("root_mean_squared_error") or Keras' "acc" shorthand. */
static bool find_metric(const char *name, ct_metric *out)
{
    if (strcmp(name, "acc") == 0) {
        *out = CT_METRIC_ACCURACY;
        return true;
    }
    for (int m = 0; m < CT_METRIC_COUNT; m++) {
        if (strcmp(name, ct_metric_name((ct_metric)m)) == 0 ||
            strcmp(name, ct_metric_keras_name((ct_metric)m)) == 0) {
            *out = (ct_metric)m;
            return true;
        }
    }
    return false;
}

/* Keras 3 metrics carry `_direction`: "up" for the accuracy family, "down"
 * for errors; the Keras name says which. */
static bool metric_goes_up(ct_metric m)
{
    return strstr(ct_metric_keras_name(m), "accuracy") != NULL;
}

ct_status ct_monitor_maximizes(const char *name, ct_monitor_mode mode, bool *maximize)
{
    if (!name || !maximize)
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "ct_monitor_maximizes: NULL argument");
    /* monitor_callback.py, _set_monitor_op: "min" -> ops.less, "max" -> ops.greater. */
    if (mode == CT_MODE_MIN || mode == CT_MODE_MAX) {
        *maximize = mode == CT_MODE_MAX;
        return CT_OK;
    }
    if (mode != CT_MODE_AUTO)
        return ct_fail(CT_ERR_CONFIG, "monitor mode %d is not auto, min or max", (int)mode);

    /* auto: metric_name = self.monitor.removeprefix("val_");
     *       if metric_name == "loss": self.monitor_op = ops.less
     *       ... m._direction == "up" -> ops.greater, else ops.less */
    const char *metric_name = starts_with(name, "val_") ? name + 4 : name;
    ct_metric metric;
    if (strcmp(metric_name, "loss") == 0) {
        *maximize = false;
        return CT_OK;
    }
    if (find_metric(metric_name, &metric)) {
        *maximize = metric_goes_up(metric);
        return CT_OK;
    }
    /* if self.monitor_op is None: raise ValueError(...) */
    return ct_fail(CT_ERR_CONFIG,
                   "cannot tell whether monitor '%s' should be maximized or minimized: "
                   "set mode: max (highest value is best) or mode: min (lowest value is best)",
                   name);
}

/* "val_rmse" -> "val_root_mean_squared_error": the name the training loop
 * logs. Names that are no known metric are kept as they are. */
static void keras_log_name(const char *monitor, char *buf, size_t size)
{
    bool validation = starts_with(monitor, "val_");
    const char *metric_name = validation ? monitor + 4 : monitor;
    ct_metric metric;
    if (find_metric(metric_name, &metric))
        snprintf(buf, size, "%s%s", validation ? "val_" : "", ct_metric_keras_name(metric));
    else
        snprintf(buf, size, "%s", monitor);
}

/* ------------------------------------------------------------ early stopping */

ct_status ct_early_stopping_init(ct_early_stopping *es, const ct_early_stopping_spec *spec)
{
    if (!es || !spec)
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "ct_early_stopping_init: NULL argument");
    memset(es, 0, sizeof *es);
    es->best_epoch = es->weights_epoch = es->stopped_epoch = es->last_epoch = -1;
    es->enabled = spec->enabled;
    if (!spec->enabled)
        return CT_OK;

    const char *monitor = spec->monitor ? spec->monitor : "";
    if (!*monitor)
        return ct_fail(CT_ERR_CONFIG, "early_stopping.monitor: empty name");
    if (strlen(monitor) >= sizeof es->monitor)
        return ct_fail(CT_ERR_CONFIG, "early_stopping.monitor: name longer than %zu characters",
                       sizeof es->monitor - 1);
    if (spec->patience < 0)
        return ct_fail(CT_ERR_CONFIG, "early_stopping.patience: %d is negative", spec->patience);
    if (spec->start_from_epoch < 0)
        return ct_fail(CT_ERR_CONFIG, "early_stopping.start_from_epoch: %d is negative",
                       spec->start_from_epoch);
    if (!isfinite(spec->min_delta))
        return ct_fail(CT_ERR_CONFIG, "early_stopping.min_delta: %g is not finite", spec->min_delta);
    if (spec->has_baseline && !isfinite(spec->baseline))
        return ct_fail(CT_ERR_CONFIG, "early_stopping.baseline: %g is not finite", spec->baseline);
    CT_TRY(ct_monitor_maximizes(monitor, spec->mode, &es->maximize));

    snprintf(es->monitor, sizeof es->monitor, "%s", monitor);
    keras_log_name(monitor, es->log_name, sizeof es->log_name);
    es->min_delta = fabs(spec->min_delta); /* __init__: self.min_delta = abs(min_delta) */
    es->patience = spec->patience;
    es->has_baseline = spec->has_baseline;
    es->baseline = spec->baseline;
    es->restore_best_weights = spec->restore_best_weights;
    es->start_from_epoch = spec->start_from_epoch;
    /* on_train_begin: self.best = None (no best until the first monitored epoch) */
    es->best = NAN;
    return CT_OK;
}

/* MonitorCallback._is_improvement: monitor_op(monitor_value - min_delta,
 * reference_value), where min_delta was negated for ops.less. Comparisons
 * with NaN are false, as ops.less / ops.greater are. */
static bool is_improvement(const ct_early_stopping *es, double value, double reference)
{
    if (es->maximize)
        return value - es->min_delta > reference;
    return value + es->min_delta < reference;
}

/* Index of `name` in names[], or -1. */
static long find_name(const char *name, const char *const *names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (names[i] && strcmp(names[i], name) == 0)
            return (long)i;
    return -1;
}

static ct_status missing_monitor(const char *callback, const char *monitor, const char *const *names, size_t n)
{
    char available[1024] = "";
    size_t used = 0;
    for (size_t i = 0; i < n && used < sizeof available; i++) {
        int w = snprintf(available + used, sizeof available - used, "%s%s", i ? ", " : "",
                         names[i] ? names[i] : "(null)");
        if (w < 0)
            break;
        used += (size_t)w;
    }
    return ct_fail(CT_ERR_CONFIG,
                   "%s monitors '%s', which is not among this epoch's values "
                   "(available: %s)",
                   callback, monitor, n ? available : "none");
}

static ct_status lookup_monitored_value(const ct_early_stopping *es, const char *const *names,
                                        const double *values, size_t n, double *value)
{
    long i = find_name(es->monitor, names, n);
    if (i < 0)
        i = find_name(es->log_name, names, n);
    if (i < 0)
        return missing_monitor("early stopping", es->monitor, names, n);
    *value = values[i];
    return CT_OK;
}

ct_status ct_early_stopping_update(ct_early_stopping *es, int epoch, const char *const *names,
                                   const double *values, size_t n,
                                   ct_early_stopping_decision *decision)
{
    if (!es || !decision || (n && (!names || !values)))
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "ct_early_stopping_update: NULL argument");
    if (epoch < 0 || epoch <= es->last_epoch)
        return ct_fail(CT_ERR_INVALID_ARGUMENT,
                       "ct_early_stopping_update: epoch %d after epoch %d", epoch, es->last_epoch);
    memset(decision, 0, sizeof *decision);
    decision->value = NAN;
    decision->wait = es->wait;
    if (!es->enabled)
        return CT_OK;

    /* A missing quantity is a configuration mistake here (Keras warns and
     * skips the epoch), so it is reported even during the warm-up. */
    double current = NAN;
    CT_TRY(lookup_monitored_value(es, names, values, n, &current));
    es->last_epoch = epoch;

    /* if current is None or epoch < self.start_from_epoch: return */
    if (epoch < es->start_from_epoch)
        return CT_OK;
    decision->monitored = true;
    decision->value = current;

    /* if self.restore_best_weights and self.best_weights is None:
     *     self.best_weights = self.model.get_weights() */
    if (es->restore_best_weights && es->weights_epoch < 0) {
        es->weights_epoch = epoch;
        decision->save_weights = true;
    }

    es->wait += 1; /* self.wait += 1 (before the improvement test) */
    /* _is_improvement(current, self.best): "if reference_value is None:
     * return True", so the first monitored epoch always improves. */
    bool has_best = es->best_epoch >= 0;
    if (!has_best || is_improvement(es, current, es->best)) {
        es->best = current;
        es->best_epoch = epoch;
        decision->improved = true;
        if (es->restore_best_weights) {
            es->weights_epoch = epoch;
            decision->save_weights = true;
        }
        /* Only restart wait if we beat both the baseline and our previous best. */
        if (!es->has_baseline || is_improvement(es, current, es->baseline))
            es->wait = 0;
        decision->wait = es->wait;
        return CT_OK; /* an improving epoch never stops training */
    }

    /* if self.wait >= self.patience and epoch > 0: stop. (Since the first
     * monitored epoch always improves, epoch 0 never gets here; the test is
     * kept to read like the source.) */
    if (es->wait >= es->patience && epoch > 0) {
        es->stopped_epoch = epoch;
        decision->stop = true;
    }
    decision->wait = es->wait;
    return CT_OK;
}

bool ct_early_stopping_end(const ct_early_stopping *es, int *restore_epoch)
{
    /* on_train_end: if self.restore_best_weights and self.best_weights is not
     * None: self.model.set_weights(self.best_weights), stopped early or not. */
    bool restore = es && es->enabled && es->restore_best_weights && es->weights_epoch >= 0;
    if (restore_epoch)
        *restore_epoch = restore ? es->weights_epoch : -1;
    return restore;
}

/* "(best 3.215 at epoch 21)"; epochs from 1. */
static void describe_best(const ct_early_stopping *es, char *buf, size_t size)
{
    if (es->best_epoch >= 0)
        snprintf(buf, size, "(best %.6g at epoch %d)", es->best, es->best_epoch + 1);
    else
        snprintf(buf, size, "(no epoch monitored yet)");
}

const char *ct_early_stopping_reason(const ct_early_stopping *es, char *buf, size_t size)
{
    if (!buf || size == 0)
        return buf;
    if (!es || !es->enabled) {
        snprintf(buf, size, "early stopping is off");
        return buf;
    }
    char best[96], by[64] = "";
    describe_best(es, best, sizeof best);
    if (es->min_delta > 0)
        snprintf(by, sizeof by, " by more than %g", es->min_delta);

    if (es->stopped_epoch < 0) {
        snprintf(buf, size, "%s did not stop training %s", es->monitor, best);
        return buf;
    }
    /* Training stops with a best that missed the baseline only when no epoch
     * beat it: patience ran out counting from the first monitored epoch. */
    bool baseline_missed = es->has_baseline &&
                           !(es->best_epoch >= 0 && is_improvement(es, es->best, es->baseline));
    if (baseline_missed)
        snprintf(buf, size, "%s did not improve%s on the baseline %g within %d epoch%s %s; "
                 "stopped at epoch %d",
                 es->monitor, by, es->baseline, es->wait, es->wait == 1 ? "" : "s", best,
                 es->stopped_epoch + 1);
    else
        snprintf(buf, size, "%s did not improve%s for %d epoch%s %s; stopped at epoch %d",
                 es->monitor, by, es->wait, es->wait == 1 ? "" : "s", best,
                 es->stopped_epoch + 1);
    return buf;
}

/* ------------------------------------------------------------ NaN guard */

ct_status ct_nan_guard_check(int epoch, const char *const *names, const double *values, size_t n)
{
    if (n && !values)
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "ct_nan_guard_check: NULL values");
    for (size_t i = 0; i < n; i++) {
        if (isfinite(values[i]))
            continue;
        const char *name = names && names[i] ? names[i] : "a logged value";
        return ct_fail(CT_ERR_NUMERIC, "%s became %s at epoch %d", name,
                       isnan(values[i]) ? "NaN" : "infinite", epoch + 1);
    }
    return CT_OK;
}

/* ------------------------------------------------------ ReduceLROnPlateau */

ct_status ct_reduce_lr_init(ct_reduce_lr *r, const ct_reduce_lr_spec *spec)
{
    if (!r || !spec)
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "ct_reduce_lr_init: NULL argument");
    memset(r, 0, sizeof *r);
    if (!spec->enabled)
        return CT_OK;
    const char *monitor = spec->monitor ? spec->monitor : "val_loss";
    if (strlen(monitor) >= sizeof r->monitor)
        return ct_fail(CT_ERR_CONFIG, "reduce_lr_on_plateau.monitor: '%s' is too long", monitor);
    /* __init__: if factor >= 1.0: raise ValueError */
    if (!(spec->factor >= 0 && spec->factor < 1))
        return ct_fail(CT_ERR_CONFIG, "reduce_lr_on_plateau.factor: %g is not in [0, 1) (Keras does not "
                       "support a factor >= 1.0)", spec->factor);
    if (spec->patience < 0 || spec->cooldown < 0 || !(spec->min_delta >= 0) || !(spec->min_lr >= 0) ||
        !isfinite(spec->min_delta) || !isfinite(spec->min_lr))
        return ct_fail(CT_ERR_CONFIG, "reduce_lr_on_plateau: patience, cooldown, min_delta and min_lr must be "
                       "finite and >= 0");
    /* _reset: mode == "min" or (mode == "auto" and "acc" not in monitor) -> ops.less */
    if (spec->mode == CT_MODE_AUTO)
        r->maximize = strstr(monitor, "acc") != NULL;
    else if (spec->mode == CT_MODE_MIN || spec->mode == CT_MODE_MAX)
        r->maximize = spec->mode == CT_MODE_MAX;
    else
        return ct_fail(CT_ERR_CONFIG, "reduce_lr_on_plateau: monitor mode %d is not auto, min or max",
                       (int)spec->mode);
    r->enabled = true;
    snprintf(r->monitor, sizeof r->monitor, "%s", monitor);
    keras_log_name(monitor, r->log_name, sizeof r->log_name);
    r->factor = spec->factor;
    r->min_delta = spec->min_delta;
    r->min_lr = spec->min_lr;
    r->patience = spec->patience;
    r->cooldown = spec->cooldown;
    r->best = r->maximize ? -INFINITY : INFINITY;
    return CT_OK;
}

ct_status ct_reduce_lr_update(ct_reduce_lr *r, const char *const *names, const double *values, size_t n,
                              double *learning_rate, bool *reduced)
{
    if (!r || !learning_rate || !reduced || (n && (!names || !values)))
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "ct_reduce_lr_update: NULL argument");
    *reduced = false;
    if (!r->enabled)
        return CT_OK;
    long i = find_name(r->monitor, names, n);
    if (i < 0)
        i = find_name(r->log_name, names, n);
    if (i < 0)
        return missing_monitor("reduce_lr_on_plateau", r->monitor, names, n);
    double current = values[i];
    if (r->cooldown_counter > 0) { /* in_cooldown() */
        r->cooldown_counter--;
        r->wait = 0;
    }
    bool improved = r->maximize ? current > r->best + r->min_delta : current < r->best - r->min_delta;
    if (improved) {
        r->best = current;
        r->wait = 0;
    } else if (r->cooldown_counter <= 0) {
        r->wait++;
        if (r->wait >= r->patience) {
            /* The optimizer's learning rate is a float32 variable in Keras. */
            double old_lr = (double)(float)*learning_rate;
            if (old_lr > (double)(float)r->min_lr) {
                *learning_rate = fmax(old_lr * r->factor, r->min_lr);
                *reduced = true;
                r->cooldown_counter = r->cooldown;
                r->wait = 0;
            }
        }
    }
    return CT_OK;
}
