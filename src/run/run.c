/* An experiment from spec to run directory: data, device, model summary,
 * the epoch loop with early stopping and the NaN guard, test evaluation next
 * to the baselines, and every output file written atomically as it becomes
 * known (config first, history after every epoch), so an interrupted run
 * keeps what it had.
 * Somewhat over 600 lines: the one sequence of a run, step after step;
 * each step's own work lives in the run_*.c files beside it. */
#include "run/run.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cltrain/callbacks.h"
#include "cltrain/loss.h"
#include "cltrain/plot.h"
#include "cltrain/report.h"
#include "core/clock.h"
#include "core/collective.h"
#include "core/fs.h"
#include "run/checkpoint_io.h"
#include "run/devices.h"
#include "run/progress_bar.h"
#include "run/memory_check.h"
#include "run/nonfinite.h"
#include "run/run_dir.h"
#include "run/run_files.h"
#include "run/summary.h"

/* Below this many floating-point operations per training step (batch x
 * ct_model_plan_train_flops), a CPU device under PoCL trains faster on one
 * worker thread than on one per core: each of a step's ~10 kernels then
 * runs for a few microseconds, and waking the second thread costs as much
 * as it saves. Sunshine nets of 163-U-U/2-1 units, batch 32, 50 epochs,
 * training seconds (median of 3) with one thread / one per core on 2 cores:
 * 4 MFLOP per step 0.121 / 0.121 (200 epochs: 0.44-0.55 / 0.54-0.93 s),
 * 10 MFLOP 0.214 / 0.253, 18 MFLOP 0.340 / 0.366, 40 MFLOP 0.694 / 0.651,
 * 86 MFLOP 1.435 / 1.079. */
#define ONE_CPU_THREAD_BELOW_FLOPS 25e6

/* How much training a power cut may take from history.csv (see fit()). */
#define HISTORY_SYNC_SECONDS 5.0

typedef struct {
    double train_seconds, evaluate_seconds, startup_seconds;
    int epochs_run;
    int best_epoch;
    double best_value;
    int stopped_epoch; /* -1: ran all epochs */
    char stop_reason[512];
    int restored;
    bool interrupted; /* stopped by a request; the checkpoint can resume it */
    double test_values[1 + CT_METRICS_MAX];
    double baseline_rmse;
    int has_baseline;
    double baseline_val_rmse; /* on the validation split, NaN without one: what a sweep compares its val_ metric to */
    size_t parameters, trainable_parameters; /* of the model plan, for summary.yaml */
    double flops_per_sample;                 /* forward pass, as `cltrain summary` counts */
    char init_sha256[65]; /* init.from's SHA-256 when training started from it ("" unknown) */
} run_result;

static ct_status choose_run_dir(const ct_experiment *exp, const ct_run_options *o, char **out)
{
    char buf[4096];
    if (o->out_dir && *o->out_dir)
        snprintf(buf, sizeof buf, "%s", o->out_dir);
    else if (exp->output.dir)
        snprintf(buf, sizeof buf, "%s", exp->output.dir);
    else {
        time_t t = time(NULL);
        struct tm tm;
        localtime_r(&t, &tm);
        char stamp[32];
        strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
        snprintf(buf, sizeof buf, "runs/%s-%s", exp->name, stamp);
        /* Two runs in the same second get -2, -3, ... */
        struct stat st;
        for (int k = 2; stat(buf, &st) == 0 && k < 1000; k++)
            snprintf(buf, sizeof buf, "runs/%s-%s-%d", exp->name, stamp, k);
    }
    CT_TRY(ct_run_dir_claim(buf, o->overwrite));
    *out = strdup(buf); /* only now: the folder exists and is this run's */
    if (!*out)
        return ct_fail(CT_ERR_NO_MEMORY, "run directory name");
    return CT_OK;
}

static ct_status write_config(const ct_experiment *exp, const char *dir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/config.yaml", dir);
    ct_atomic_file *f;
    CT_TRY(ct_atomic_open(path, &f));
    ct_status s = ct_experiment_write_yaml(exp, ct_atomic_stream(f));
    if (s != CT_OK) {
        ct_atomic_abort(f);
        return s;
    }
    return ct_atomic_commit(f);
}

static int is_classification(const ct_experiment *exp)
{
    ct_loss l = exp->train.loss;
    return l == CT_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY || l == CT_LOSS_CATEGORICAL_CROSSENTROPY ||
           l == CT_LOSS_BINARY_CROSSENTROPY;
}

static void print_epoch(FILE *r, int epoch, int epochs, double seconds, const ct_trainer *t, const double *values)
{
    if (!r)
        return;
    fprintf(r, "Epoch %*d/%d  ", epochs >= 100 ? 3 : epochs >= 10 ? 2 : 1, epoch + 1, epochs);
    if (seconds < 1) /* fast epochs in milliseconds, so they do not all read 0.00s */
        fprintf(r, "%5.1fms", seconds * 1e3);
    else
        fprintf(r, "%6.2fs ", seconds);
    for (size_t i = 0; i < ct_trainer_value_count(t); i++) {
        const char *name = ct_trainer_value_name(t, i);
        /* a learning rate of 1e-05 must not print as 0.0000 */
        fprintf(r, strcmp(name, "learning_rate") == 0 ? "  %s: %.4g" : "  %s: %.4f", name, values[i]);
    }
    fprintf(r, "\n");
    fflush(r);
}

static void write_device(ct_yaml_writer *w, const ct_device_info *dev)
{
    ct_yaml_begin_map(w);
    ct_yaml_key(w, "name"), ct_yaml_value_str(w, dev->name);
    ct_yaml_key(w, "platform"), ct_yaml_value_str(w, dev->platform_name);
    ct_yaml_key(w, "driver"), ct_yaml_value_str(w, dev->driver_version);
    ct_yaml_key(w, "type"), ct_yaml_value_str(w, ct_device_type_name(dev->type));
    ct_yaml_key(w, "compute_units"), ct_yaml_value_int(w, dev->compute_units);
    ct_yaml_end_map(w);
}

/* devs: the run's devices; `device` is the first (the one that validates
 * and tests), `devices` every replica's of this process when there are
 * several, `replicas` the count over all MPI ranks. */
static ct_status write_summary(const ct_experiment *exp, const ct_dataset *d, const ct_run_devices *devs,
                               const ct_trainer *t, const run_result *res, const char *dir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/summary.yaml", dir);
    ct_atomic_file *f;
    CT_TRY(ct_atomic_open(path, &f));
    ct_yaml_writer *w;
    ct_status s = ct_yaml_writer_open(ct_atomic_stream(f), &w);
    if (s != CT_OK) {
        ct_atomic_abort(f);
        return s;
    }
    ct_yaml_begin_map(w);
    ct_yaml_key(w, "experiment"), ct_yaml_value_str(w, exp->name);
    ct_yaml_key(w, "source"), ct_yaml_value_str(w, exp->source_path);
    ct_yaml_key(w, "task"), ct_yaml_value_str(w, is_classification(exp) ? "classification" : "regression");
    ct_yaml_key(w, "device"), write_device(w, &devs->local[0]);
    if (devs->replicas > 1) {
        ct_yaml_key(w, "replicas"), ct_yaml_value_int(w, (int64_t)devs->replicas);
        ct_yaml_key(w, "devices"), ct_yaml_begin_list(w);
        for (size_t i = 0; i < devs->local_count; i++)
            write_device(w, &devs->local[i]);
        ct_yaml_end_list(w);
    }
    ct_yaml_key(w, "samples"), ct_yaml_begin_map(w);
    ct_yaml_key(w, "train"), ct_yaml_value_int(w, (int64_t)d->train.n);
    ct_yaml_key(w, "validation"), ct_yaml_value_int(w, (int64_t)d->validation.n);
    ct_yaml_key(w, "test"), ct_yaml_value_int(w, (int64_t)d->test.n);
    ct_yaml_end_map(w);
    if (d->class_names) {
        ct_yaml_key(w, "class_names"), ct_yaml_begin_list(w);
        for (size_t i = 0; i < d->n_classes; i++)
            ct_yaml_value_str(w, d->class_names[i]);
        ct_yaml_end_list(w);
    }
    /* The model's size, so that a sweep's table (src/sweep/) reads it from
     * the run directory alone. */
    ct_yaml_key(w, "model"), ct_yaml_begin_map(w);
    ct_yaml_key(w, "parameters"), ct_yaml_value_int(w, (int64_t)res->parameters);
    ct_yaml_key(w, "trainable_parameters"), ct_yaml_value_int(w, (int64_t)res->trainable_parameters);
    ct_yaml_key(w, "flops_per_sample"), ct_yaml_value_double(w, res->flops_per_sample);
    ct_yaml_end_map(w);
    ct_yaml_key(w, "epochs_run"), ct_yaml_value_int(w, res->epochs_run);
    ct_yaml_key(w, "best_epoch"), res->best_epoch >= 0 ? ct_yaml_value_int(w, res->best_epoch) : ct_yaml_value_null(w);
    ct_yaml_key(w, "best_value"), res->best_epoch >= 0 ? ct_yaml_value_double(w, res->best_value) : ct_yaml_value_null(w);
    ct_yaml_key(w, "stopped_epoch"),
        res->stopped_epoch >= 0 ? ct_yaml_value_int(w, res->stopped_epoch) : ct_yaml_value_null(w);
    ct_yaml_key(w, "stop_reason"), ct_yaml_value_str(w, res->stop_reason);
    ct_yaml_key(w, "restored_best_weights"), ct_yaml_value_bool(w, res->restored);
    ct_yaml_key(w, "test"), ct_yaml_begin_map(w);
    for (size_t i = 0; i <= exp->train.metric_count; i++) {
        ct_yaml_key(w, ct_trainer_value_name(t, i));
        ct_yaml_value_double(w, res->test_values[i]);
    }
    ct_yaml_end_map(w);
    if (res->has_baseline) {
        ct_yaml_key(w, "baselines"), ct_yaml_begin_map(w);
        ct_yaml_key(w, d->baseline_name), ct_yaml_begin_map(w);
        ct_yaml_key(w, "root_mean_squared_error"), ct_yaml_value_double(w, res->baseline_rmse);
        if (!isnan(res->baseline_val_rmse))
            ct_yaml_key(w, "val_root_mean_squared_error"), ct_yaml_value_double(w, res->baseline_val_rmse);
        ct_yaml_end_map(w);
        ct_yaml_end_map(w);
    }
    if (exp->init.enabled) {
        ct_yaml_key(w, "init"), ct_yaml_begin_map(w);
        ct_yaml_key(w, "from"), ct_yaml_value_str(w, exp->init.from);
        ct_yaml_key(w, "sha256"), ct_yaml_value_str(w, res->init_sha256[0] ? res->init_sha256 : NULL);
        ct_yaml_end_map(w);
    }
    ct_yaml_key(w, "seconds"), ct_yaml_begin_map(w);
    ct_yaml_key(w, "startup"), ct_yaml_value_double(w, res->startup_seconds);
    ct_yaml_key(w, "training"), ct_yaml_value_double(w, res->train_seconds);
    ct_yaml_key(w, "evaluation"), ct_yaml_value_double(w, res->evaluate_seconds);
    ct_yaml_end_map(w);
    ct_yaml_end_map(w);
    s = ct_yaml_writer_close(w);
    if (s != CT_OK) {
        ct_atomic_abort(f);
        return s;
    }
    return ct_atomic_commit(f);
}

static double rmse_of(const float *a, const float *b, size_t n, size_t stride_a)
{
    double sum = 0;
    for (size_t i = 0; i < n; i++) {
        double d = (double)a[i * stride_a] - b[i];
        sum += d * d;
    }
    return n ? sqrt(sum / (double)n) : NAN;
}

/* Asks for one PoCL worker thread when the net is small (see
 * ONE_CPU_THREAD_BELOW_FLOPS) and returns whether it did; must run before
 * OpenCL is first used. *step_flops: the estimate, for the report. */
static int choose_cpu_threads(const ct_experiment *exp, const ct_model_plan *plan, double *step_flops)
{
    *step_flops = ct_model_plan_train_flops(plan) * (double)exp->train.batch_size;
    return *step_flops < ONE_CPU_THREAD_BELOW_FLOPS && ct_device_limit_cpu_threads(1);
}

/* The run's devices (train.devices or device_spec), and a context on each
 * of this process's (*ctxs[0]: the first, which validates and tests). The
 * caller frees both, also after a failure (close_contexts,
 * ct_run_devices_free). */
static ct_status open_contexts(const ct_experiment *exp, const char *device_spec, ct_run_devices *devs,
                               ct_context ***ctxs)
{
    CT_TRY(ct_run_devices_resolve(exp, device_spec, devs));
    if (!(*ctxs = calloc(devs->local_count, sizeof **ctxs)))
        return ct_fail(CT_ERR_NO_MEMORY, "contexts");
    for (size_t i = 0; i < devs->local_count; i++)
        CT_TRY(ct_context_create(&devs->local[i], &(*ctxs)[i]));
    return CT_OK;
}

static void close_contexts(ct_context **ctxs, size_t n)
{
    for (size_t i = 0; ctxs && i < n; i++)
        ct_context_destroy(ctxs[i]);
    free(ctxs);
}

static ct_status create_trainer(const ct_experiment *exp, const ct_dataset *d, const ct_run_devices *devs,
                                ct_context **ctxs, ct_trainer **t)
{
    ct_host_split train = ct_split_data_host(&d->train);
    ct_host_split val = ct_split_data_host(&d->validation);
    return ct_trainer_create_replicated(ctxs, devs->local_count, devs->replicas, devs->first, exp, d->in_ndim,
                                        d->in_shape, d->target_width, &train, &val, t);
}

/* Over several MPI ranks, rank 0 runs the fit loop's callbacks and files;
 * after every epoch it tells the others whether training goes on and at
 * which learning rate (ReduceLROnPlateau). */
typedef struct {
    int32_t stop;
    int32_t first_epoch;
    double learning_rate;
} rank_control;

static ct_status send_control(const ct_trainer *t, bool stop, int first_epoch)
{
    if (ct_collective_size() <= 1)
        return CT_OK;
    rank_control c = {stop, first_epoch, ct_trainer_learning_rate(t)};
    return ct_collective_broadcast(&c, sizeof c, 0);
}

static bool follower_should_stop(void *user)
{
    const ct_run_options *o = user;
    return o->stop && *o->stop;
}

/* The fit loop of ranks other than 0: the same epochs, no files; the values
 * and decisions come from rank 0. */
static ct_status follow_rank0(const ct_experiment *exp, ct_trainer *t, const ct_run_options *o)
{
    CT_TRY(ct_trainer_share_state(t));
    rank_control c;
    CT_TRY(ct_collective_broadcast(&c, sizeof c, 0));
    ct_epoch_hooks hooks = {NULL, follower_should_stop, (void *)o};
    for (int epoch = c.first_epoch; epoch < exp->train.epochs; epoch++) {
        double values[2 * (1 + CT_METRICS_MAX) + 2];
        bool finished = false;
        CT_TRY(ct_trainer_epoch(t, epoch, values, &hooks, &finished));
        if (!finished)
            return CT_OK; /* every rank stopped at the same step */
        CT_TRY(ct_collective_broadcast(&c, sizeof c, 0));
        if (c.learning_rate != ct_trainer_learning_rate(t))
            CT_TRY(ct_trainer_set_learning_rate(t, c.learning_rate));
        if (c.stop)
            break;
    }
    return CT_OK;
}

/* The fit loop's hooks: the live bar and the stop request. */
typedef struct {
    const ct_run_options *o;
    ct_progress_bar *bar;
    uint64_t steps; /* optimizer steps so far, for o->stop_at_step */
} fit_hooks;

static bool stop_requested(const ct_run_options *o, uint64_t steps)
{
    return (o->stop && *o->stop) || (o->stop_at_step && steps >= o->stop_at_step);
}

static bool hook_should_stop(void *user)
{
    fit_hooks *h = user;
    h->steps++;
    return stop_requested(h->o, h->steps);
}

static void hook_progress(void *user, size_t done, size_t batches, const double *running)
{
    fit_hooks *h = user;
    ct_progress_bar_update(h->bar, done, batches, running);
}

/* model_checkpoint: best.weights.bin after an improving epoch (or every
 * epoch without save_best_only). The tracker is an early-stopping state
 * that never stops: it has Keras' improvement rule for `monitor` and `mode`. */
static ct_status model_checkpoint_init(const ct_experiment *exp, ct_early_stopping *tracker)
{
    const ct_model_checkpoint_spec *mc = &exp->callbacks.model_checkpoint;
    ct_early_stopping_spec spec = {.enabled = mc->enabled, .monitor = mc->monitor ? mc->monitor : "val_loss",
                                   .patience = INT_MAX, .mode = mc->mode};
    return ct_early_stopping_init(tracker, &spec);
}

static ct_status model_checkpoint_update(const ct_experiment *exp, ct_early_stopping *tracker, ct_trainer *t,
                                         int epoch, const char *const *names, const double *values, size_t n,
                                         const char *dir)
{
    if (!tracker->enabled)
        return CT_OK;
    ct_early_stopping_decision d;
    CT_TRY(ct_early_stopping_update(tracker, epoch, names, values, n, &d));
    if (exp->callbacks.model_checkpoint.save_best_only && !d.improved)
        return CT_OK;
    char path[4096];
    snprintf(path, sizeof path, "%s/best.weights.bin", dir);
    return ct_run_write_weights_file(ct_trainer_model(t), path);
}

/* ReduceLROnPlateau after an epoch (Keras runs callbacks in the order
 * given; this one before early stopping, which does not change the rate). */
static ct_status reduce_learning_rate(ct_reduce_lr *r, ct_trainer *t, FILE *report, int epoch,
                                      const char *const *names, const double *values, size_t n)
{
    if (!r->enabled)
        return CT_OK;
    double lr = ct_trainer_learning_rate(t);
    bool reduced;
    CT_TRY(ct_reduce_lr_update(r, names, values, n, &lr, &reduced));
    if (!reduced)
        return CT_OK;
    if (report)
        fprintf(report, "Epoch %d: ReduceLROnPlateau reducing learning rate to %g.\n", epoch + 1, lr);
    return ct_trainer_set_learning_rate(t, lr);
}

/* The NaN guard stopped the run (status s, its message current). With
 * restore_best_weights and a best epoch seen, that epoch's weights (finite:
 * they are checked before every snapshot) go to weights.bin so the run
 * keeps its best model; NaN weights are never written. The message says
 * which happened. */
static ct_status keep_best_after_nan(ct_status s, const ct_early_stopping *es, ct_trainer *t, const char *dir)
{
    char why[1024];
    snprintf(why, sizeof why, "%s", ct_last_error());
    int epoch = -1;
    if (!ct_early_stopping_end(es, &epoch))
        return ct_fail(s, "%s; no weights were written (callbacks.early_stopping with restore_best_weights "
                          "keeps the best epoch's)", why);
    ct_status w = ct_trainer_restore(t);
    if (w == CT_OK)
        w = ct_run_write_weights(ct_trainer_model(t), dir);
    if (w != CT_OK)
        return ct_fail(s, "%s; writing the best epoch's weights failed too: %s", why, ct_last_error());
    return ct_fail(s, "%s; kept the weights of epoch %d (best %s %.6g) in %s/weights.bin", why, epoch + 1,
                   es->monitor, es->best, dir);
}

/* The NaN guard failed after `epoch` (status s, its message "... at epoch
 * N ..." current): the message gains the batch (replayed from the last
 * checkpoint), where the last good state is, and what to try. A non-finite
 * epoch is logged but never checkpointed. */
static ct_status explain_nonfinite(ct_status s, const ct_experiment *exp, ct_trainer *t, const ct_history *history,
                                   int epoch, int checkpoint_epoch, const char *checkpoint_path,
                                   const ct_trainer_state *initial)
{
    char why[512], where[256] = "", advice[512];
    snprintf(why, sizeof why, "%s", ct_last_error());
    /* Data-parallel: the replay would need every replica's (and rank's) steps; the epoch alone is named. */
    if (ct_trainer_replicas(t) == 1)
        ct_run_explain_nonfinite(exp, t, checkpoint_epoch > 0 ? checkpoint_path : NULL, initial, history, epoch,
                                 where, sizeof where, advice, sizeof advice);
    else
        ct_run_explain_nonfinite(exp, t, NULL, NULL, history, epoch, where, sizeof where, advice, sizeof advice);
    /* ", batch B of N (...)" right after "at epoch E". */
    char *at = strstr(why, "at epoch "), *after = at ? at + strlen("at epoch ") : why + strlen(why);
    while (*after >= '0' && *after <= '9')
        after++;
    char last_good[4200] = "";
    if (checkpoint_epoch > 0)
        snprintf(last_good, sizeof last_good, "; the last good state (after epoch %d) is in %s", checkpoint_epoch,
                 checkpoint_path);
    return ct_fail(s, "%.*s%s%s%s; %s", (int)(after - why), why, where, after, last_good, advice);
}

/* The epoch loop, from the start or from the checkpoint c. */
static ct_status fit(const ct_experiment *exp, ct_trainer *t, const ct_run_options *o, const char *dir,
                     const ct_checkpoint *c, run_result *res)
{
    size_t nv = ct_trainer_value_count(t);
    const char *names[2 * (1 + CT_METRICS_MAX) + 2]; /* + learning_rate, seconds */
    for (size_t i = 0; i < nv; i++)
        names[i] = ct_trainer_value_name(t, i);
    names[nv] = "seconds";
    ct_history *history;
    CT_TRY(ct_history_create(names, nv + 1, &history));
    ct_early_stopping es, best_tracker;
    ct_status s = ct_early_stopping_init(&es, &exp->callbacks.early_stopping);
    if (s == CT_OK)
        s = model_checkpoint_init(exp, &best_tracker);
    ct_reduce_lr reduce_lr;
    if (s == CT_OK)
        s = ct_reduce_lr_init(&reduce_lr, &exp->callbacks.reduce_lr_on_plateau);
    char *experiment_yaml = NULL;
    if (s == CT_OK)
        s = ct_run_experiment_yaml(exp, &experiment_yaml);
    ct_fit_state state = {t, history, &es, &best_tracker, &reduce_lr, 0, false, experiment_yaml,
                          res->init_sha256[0] ? res->init_sha256 : NULL};
    char history_path[4096], checkpoint_path[4096];
    snprintf(history_path, sizeof history_path, "%s/history.csv", dir);
    snprintf(checkpoint_path, sizeof checkpoint_path, "%s/" CT_CHECKPOINT_FILE, dir);
    int first_epoch = 0;
    uint64_t resume_batch = 0;
    if (s == CT_OK && c) {
        s = ct_run_checkpoint_restore(c, &state);
        /* The run started from init.from: its hash stays with the run. */
        const void *sha = NULL;
        uint64_t sha_len = 0;
        if (s == CT_OK && ct_checkpoint_get(c, "init/sha256", CT_RECORD_TEXT, &sha, &sha_len) == CT_OK &&
            sha_len < sizeof res->init_sha256) {
            memcpy(res->init_sha256, sha, (size_t)sha_len);
            res->init_sha256[sha_len] = '\0';
            state.init_sha256 = res->init_sha256;
        }
        ct_clear_error();
        first_epoch = (int)ct_history_rows(history);
        /* A finished run resumed with more epochs is under way again. */
        state.finished = state.finished && first_epoch >= exp->train.epochs;
        /* history.csv may be an epoch ahead of the checkpoint (killed between the two writes). */
        if (s == CT_OK)
            s = ct_history_write_csv(history, history_path);
        int epoch = 0;
        bool finished;
        if (s == CT_OK)
            s = ct_run_checkpoint_position(c, &epoch, &resume_batch, &finished);
        if (s == CT_OK && o->report) {
            if (resume_batch)
                fprintf(o->report, "Resuming %s in epoch %d, after batch %llu of %zu\n", dir, epoch + 1,
                        (unsigned long long)resume_batch, ct_trainer_batches(t));
            else
                fprintf(o->report, "Resuming %s after epoch %d\n", dir, epoch);
        }
    }
    /* Every replica (over MPI ranks too) takes this state: init.from's
     * weights, a resumed checkpoint; the other ranks also the first epoch. */
    if (s == CT_OK)
        s = ct_trainer_share_state(t);
    if (s == CT_OK)
        s = send_control(t, false, first_epoch);
    double earlier_seconds = state.train_seconds, start = ct_now_seconds();
    ct_progress_bar *bar = NULL;
    if (s == CT_OK && o->live)
        s = ct_progress_bar_create(o->live, names, 1 + exp->train.metric_count, &bar);
    fit_hooks hooks = {o, bar, (uint64_t)first_epoch * ct_trainer_batches(t)};
    ct_epoch_hooks epoch_hooks = {bar ? hook_progress : NULL, hook_should_stop, &hooks};
    /* history.csv, then checkpoint.bin, are replaced atomically after the
     * first epoch, after an epoch that ends train.checkpoint_every seconds
     * or more after the last write, and at the end: a killed run keeps
     * every epoch up to that write. Writing them costs as much as a small
     * net's epoch of a millisecond or two (creating, writing and renaming
     * the files), and syncing them to disk (against a power cut) more, so
     * that happens at most every HISTORY_SYNC_SECONDS and once at the end. */
    /* A fresh run's state before its first epoch, to replay up to a NaN there. */
    ct_trainer_state initial;
    memset(&initial, 0, sizeof initial);
    if (s == CT_OK && !c && ct_trainer_replicas(t) == 1)
        s = ct_trainer_save(t, &initial);
    double last_sync = start, last_write = start;
    int checkpoint_epoch = first_epoch; /* epochs in the newest checkpoint (a resumed one's) */
    bool flushed = true, interrupted = false; /* flushed: history.csv holds every row, synced */
    for (int epoch = first_epoch; s == CT_OK && epoch < exp->train.epochs; epoch++) {
        double values[2 * (1 + CT_METRICS_MAX) + 2], t0 = ct_now_seconds(); /* + learning_rate, seconds */
        bool finished = false;
        if (bar)
            ct_progress_bar_start(bar, epoch, exp->train.epochs);
        hooks.steps = (uint64_t)epoch * ct_trainer_batches(t) + (epoch == first_epoch ? resume_batch : 0);
        s = ct_trainer_epoch(t, epoch, values, &epoch_hooks, &finished);
        if (bar)
            ct_progress_bar_clear(bar);
        if (s != CT_OK)
            break;
        if (!finished) { /* stopped between two steps: keep the position */
            interrupted = true;
            if (o->report)
                fprintf(o->report, "Stopped in epoch %d after batch %llu of %zu\n", epoch + 1,
                        (unsigned long long)(hooks.steps - (uint64_t)epoch * ct_trainer_batches(t)),
                        ct_trainer_batches(t));
            break;
        }
        values[nv] = ct_now_seconds() - t0;
        res->epochs_run = epoch + 1;
        print_epoch(o->epoch_report ? o->epoch_report : o->report, epoch, exp->train.epochs, values[nv], t, values);
        s = ct_history_append(history, values, nv + 1);
        flushed = false;
        if (s == CT_OK && ((s = ct_nan_guard_check(epoch, names, values, nv)) != CT_OK ||
                           (s = ct_run_check_weights_finite(ct_trainer_model(t), epoch)) != CT_OK))
            s = explain_nonfinite(s, exp, t, history, epoch, checkpoint_epoch, checkpoint_path,
                                  initial.model ? &initial : NULL);
        ct_early_stopping_decision d = {0};
        if (s == CT_OK)
            s = reduce_learning_rate(&reduce_lr, t, o->report, epoch, names, values, nv);
        if (s == CT_OK)
            s = ct_early_stopping_update(&es, epoch, names, values, nv, &d);
        if (s == CT_OK && d.save_weights)
            s = ct_trainer_snapshot(t);
        if (s == CT_OK)
            s = model_checkpoint_update(exp, &best_tracker, t, epoch, names, values, nv, dir);
        state.finished = d.stop || epoch + 1 == exp->train.epochs;
        double now = ct_now_seconds();
        state.train_seconds = earlier_seconds + now - start;
        if (s == CT_OK &&
            (state.finished || epoch == first_epoch || now - last_write >= exp->train.checkpoint_every)) {
            bool durable = state.finished || now - last_sync >= HISTORY_SYNC_SECONDS;
            s = ct_history_write_csv_durability(history, history_path, durable);
            if (s == CT_OK)
                s = ct_run_checkpoint_save(checkpoint_path, exp, &state, durable);
            if (s == CT_OK) {
                flushed = durable;
                checkpoint_epoch = epoch + 1;
                ct_trainer_state_free(&initial); /* replays start from the checkpoint now */
                last_write = ct_now_seconds();
                if (durable)
                    last_sync = last_write;
                if (o->checkpoint_writes)
                    ++*o->checkpoint_writes;
            }
        }
        bool stop_now = !state.finished && stop_requested(o, hooks.steps); /* asked once: a signal may come */
        if (s == CT_OK)
            s = send_control(t, d.stop || stop_now, 0);
        if (s == CT_OK && d.stop) {
            res->stopped_epoch = epoch;
            break;
        }
        if (s == CT_OK && stop_now) {
            interrupted = true;
            if (o->report)
                fprintf(o->report, "Stopped after epoch %d\n", epoch + 1);
            break;
        }
    }
    ct_progress_bar_free(bar);
    ct_trainer_state_free(&initial);
    res->train_seconds = earlier_seconds + ct_now_seconds() - start;
    if (!flushed) { /* also after a failed epoch: what was logged stays */
        ct_status w = ct_history_write_csv(history, history_path);
        if (s == CT_OK)
            s = w;
    }
    if (s == CT_OK && interrupted) {
        state.train_seconds = res->train_seconds;
        s = ct_run_checkpoint_save(checkpoint_path, exp, &state, true);
        res->interrupted = true;
        if (o->interrupted)
            *o->interrupted = true;
        if (s == CT_OK && o->checkpoint_writes)
            ++*o->checkpoint_writes;
    }
    if (s == CT_OK && first_epoch >= exp->train.epochs && !state.finished)
        s = ct_fail(CT_ERR_INTERNAL, "resumed after epoch %d of %d without finishing", first_epoch,
                    exp->train.epochs);
    if (s == CT_OK && !interrupted && es.stopped_epoch >= 0)
        res->stopped_epoch = es.stopped_epoch;
    res->epochs_run = (int)ct_history_rows(history);
    ct_history_free(history);
    free(experiment_yaml);
    if (s == CT_ERR_NUMERIC)
        return keep_best_after_nan(s, &es, t, dir);
    if (s != CT_OK || interrupted)
        return s;
    int restore_epoch = -1;
    if (ct_early_stopping_end(&es, &restore_epoch)) {
        CT_TRY(ct_trainer_restore(t));
        res->restored = 1;
    }
    res->best_epoch = es.enabled ? es.best_epoch : -1;
    res->best_value = es.best;
    if (es.enabled)
        ct_early_stopping_reason(&es, res->stop_reason, sizeof res->stop_reason);
    else
        snprintf(res->stop_reason, sizeof res->stop_reason, "ran all %d epochs", exp->train.epochs);
    if (o->report) {
        if (res->stopped_epoch >= 0 || es.enabled)
            fprintf(o->report, "Early stopping: %s\n", res->stop_reason);
        if (res->restored)
            fprintf(o->report, "Restored the weights of epoch %d (best %s %.4f)\n", restore_epoch + 1,
                    es.monitor, es.best);
    }
    return CT_OK;
}

static ct_status evaluate_test(const ct_experiment *exp, const ct_dataset *d, ct_trainer *t, FILE *r,
                               const char *dir, run_result *res)
{
    if (d->test.n == 0)
        return CT_OK;
    size_t out_size = ct_model_output_size(ct_trainer_model(t));
    float *pred = malloc(d->test.n * out_size * sizeof *pred);
    if (!pred)
        return ct_fail(CT_ERR_NO_MEMORY, "test predictions");
    double t0 = ct_now_seconds();
    ct_host_split test = ct_split_data_host(&d->test);
    ct_status s = ct_trainer_evaluate(t, &test, res->test_values, pred);
    res->evaluate_seconds = ct_now_seconds() - t0;
    if (s == CT_OK && d->test.baseline) {
        res->has_baseline = 1;
        res->baseline_rmse = rmse_of(d->test.baseline, d->test.y, d->test.n, 1);
        /* Keras-style val_ name, after the test value (readers look for the test one first). */
        res->baseline_val_rmse = d->validation.baseline ? rmse_of(d->validation.baseline, d->validation.y,
                                                                  d->validation.n, 1) : NAN;
    }
    if (s == CT_OK && r) {
        fprintf(r, "\nTest set (%zu samples):\n", d->test.n);
        fprintf(r, "  %-32s", "model");
        for (size_t i = 0; i <= exp->train.metric_count; i++)
            fprintf(r, "  %s: %.4f", ct_trainer_value_name(t, i), res->test_values[i]);
        fprintf(r, "\n");
        if (res->has_baseline) {
            double model_rmse = rmse_of(pred, d->test.y, d->test.n, out_size);
            fprintf(r, "  %-32s  root_mean_squared_error: %.4f\n", d->baseline_name, res->baseline_rmse);
            fprintf(r, "  model RMSE %.4f vs baseline %.4f: the model is %s\n", model_rmse, res->baseline_rmse,
                    model_rmse < res->baseline_rmse ? "better" : "not better");
        }
    }
    if (s == CT_OK)
        s = ct_run_write_predictions(dir, &d->test, pred, out_size, d->target_width, is_classification(exp),
                                     exp->train.from_logits);
    if (s == CT_OK && d->in_ndim == 3)
        s = ct_run_write_test_images(dir, &d->test, ct_dataset_sample_size(d));
    free(pred);
    return s;
}

/* failure.txt: how a run that failed in training ended (the error, with
 * the NaN guard's epoch, batch and advice), beside what it wrote before.
 * Best effort: the error itself is what matters, and may be a full disk. */
static void write_failure(ct_status s, const char *dir)
{
    char path[4096], why[4096];
    snprintf(why, sizeof why, "%s", ct_last_error());
    snprintf(path, sizeof path, "%s/failure.txt", dir);
    ct_atomic_file *f;
    if (ct_atomic_open(path, &f) == CT_OK) {
        fprintf(ct_atomic_stream(f), "The run failed: %s\n", why);
        (void)ct_atomic_commit(f); /* on failure it removed its temporary file */
    }
    ct_fail(s, "%s", why); /* the run's error stays the current message */
}

/* The checkpoint of o->resume_dir, checked against exp before any data is
 * loaded: the same experiment (safe changes aside) and training left to do. */
static ct_status open_resume(const ct_experiment *exp, const ct_run_options *o, ct_checkpoint **out)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/" CT_CHECKPOINT_FILE, o->resume_dir);
    ct_status s = ct_checkpoint_read(path, out);
    if (s == CT_ERR_NOT_FOUND)
        return ct_fail(s, "%s has no " CT_CHECKPOINT_FILE ": not a run directory, or its run stopped before its "
                          "first epoch ended (start it again with `cltrain run`)", o->resume_dir);
    if (s != CT_OK)
        return ct_fail_context(s, "cannot resume %s", o->resume_dir);
    char *saved = NULL, *now_yaml = NULL;
    int epoch = 0;
    uint64_t batch = 0;
    bool finished = false;
    double es[6];
    s = ct_run_checkpoint_position(*out, &epoch, &batch, &finished);
    if (s == CT_OK)
        s = ct_checkpoint_get_array(*out, "early_stopping", CT_RECORD_F64, es, 6);
    if (s == CT_OK)
        s = ct_run_checkpoint_experiment(*out, &saved);
    if (s == CT_OK)
        s = ct_run_experiment_yaml(exp, &now_yaml);
    if (s == CT_OK)
        s = ct_run_check_config_change(saved, now_yaml, epoch);
    if (s == CT_OK && finished && es[4] >= 0)
        s = ct_fail(CT_ERR_CONFIG, "%s: early stopping ended this run after epoch %d; there is nothing to resume",
                    o->resume_dir, (int)es[4] + 1);
    else if (s == CT_OK && finished && epoch >= exp->train.epochs)
        s = ct_fail(CT_ERR_CONFIG, "%s: the run has finished all its %d epochs; to train longer, resume it with "
                                   "--set train.epochs=N (N > %d)", o->resume_dir, epoch, epoch);
    free(saved);
    free(now_yaml);
    if (s != CT_OK) {
        ct_checkpoint_free(*out);
        *out = NULL;
    }
    return s;
}

/* The temporary files of atomic writes that a killed run left in the run
 * directory and in plots/ (ct_atomic_remove_stale: only the writer's own
 * ".NAME.PID-N.tmp" files whose process is gone). */
static ct_status clear_stale_temp_files(const ct_run_options *o)
{
    size_t removed = 0, in_plots = 0;
    CT_TRY(ct_atomic_remove_stale(o->resume_dir, &removed));
    char plots[4096];
    snprintf(plots, sizeof plots, "%s/plots", o->resume_dir);
    struct stat st;
    if (stat(plots, &st) == 0 && S_ISDIR(st.st_mode))
        CT_TRY(ct_atomic_remove_stale(plots, &in_plots));
    if (removed + in_plots && o->report)
        fprintf(o->report, "Removed %zu temporary file%s left by the interrupted run\n", removed + in_plots,
                removed + in_plots == 1 ? "" : "s");
    return CT_OK;
}

/* A rank other than 0 of an MPI run: its share of the replicas, nothing
 * written; rank 0 has the run directory. */
static ct_status run_follower(const ct_experiment *exp, const ct_run_options *o)
{
    ct_dataset d;
    CT_TRY(ct_dataset_load(exp, o->data_dir, &d));
    ct_model_plan plan;
    ct_status s = ct_model_plan_create(&exp->model, d.in_ndim, d.in_shape, &plan);
    if (s != CT_OK) {
        ct_dataset_free(&d);
        return s;
    }
    double step_flops;
    choose_cpu_threads(exp, &plan, &step_flops);
    ct_model_plan_free(&plan);
    ct_run_devices devs;
    ct_context **ctxs = NULL;
    ct_trainer *t = NULL;
    s = open_contexts(exp, o->device_spec, &devs, &ctxs);
    if (s == CT_OK)
        s = create_trainer(exp, &d, &devs, ctxs, &t);
    if (s == CT_OK)
        s = follow_rank0(exp, t, o);
    ct_trainer_free(t);
    close_contexts(ctxs, devs.local_count);
    ct_run_devices_free(&devs);
    ct_dataset_free(&d);
    return s;
}

ct_status ct_run_experiment(const ct_experiment *exp, const ct_run_options *o, char **run_dir)
{
    *run_dir = NULL;
    double t_start = ct_now_seconds();
    ct_checkpoint *resume = NULL;
    if (o->interrupted)
        *o->interrupted = false;
    if (ct_collective_rank() != 0)
        return run_follower(exp, o);
    if (o->resume_dir) {
        CT_TRY(open_resume(exp, o, &resume));
        ct_status cleared = clear_stale_temp_files(o);
        if (cleared != CT_OK) {
            ct_checkpoint_free(resume);
            return cleared;
        }
    }
    ct_dataset d;
    ct_status ds = ct_dataset_load(exp, o->data_dir, &d);
    if (ds != CT_OK) {
        ct_checkpoint_free(resume);
        return ds;
    }
    ct_context *ctx = NULL, **ctxs = NULL;
    ct_run_devices devs = {0};
    ct_trainer *t = NULL;
    run_result res;
    memset(&res, 0, sizeof res);
    res.stopped_epoch = -1;
    res.best_epoch = -1;
    ct_model_plan plan;
    ct_status s = ct_model_plan_create(&exp->model, d.in_ndim, d.in_shape, &plan);
    if (s != CT_OK) {
        ct_dataset_free(&d);
        return s;
    }
    res.parameters = plan.total_params;
    res.trainable_parameters = plan.trainable_params;
    for (size_t i = 0; i < plan.layer_count; i++)
        res.flops_per_sample += ct_layer_forward_flops(&plan.layers[i]);
    double step_flops = 0;
    int one_thread = choose_cpu_threads(exp, &plan, &step_flops);
    s = open_contexts(exp, o->device_spec, &devs, &ctxs);
    if (s == CT_OK)
        ctx = ctxs[0];
    if (s == CT_OK && o->report) {
        const ct_device_info *dev = ct_context_device(ctx);
        fprintf(o->report, "Device: %s (%s, %s)\n", dev->name, ct_device_type_name(dev->type), dev->platform_name);
        for (size_t i = 1; i < devs.local_count; i++)
            fprintf(o->report, "Device: %s (%s, %s)\n", devs.local[i].name, ct_device_type_name(devs.local[i].type),
                    devs.local[i].platform_name);
        if (devs.replicas > 1)
            fprintf(o->report, "Data parallel: %zu replicas (%zu in this process%s), batch %d split equally\n",
                    devs.replicas, devs.local_count,
                    devs.ranks > 1 ? ", the rest on other MPI ranks" : "", exp->train.batch_size);
        if (one_thread && dev->type == CT_DEVICE_CPU && strstr(dev->platform_name, "Portable Computing Language"))
            fprintf(o->report, "One worker thread: a small net (%.1f MFLOP per training step); set "
                               "POCL_MAX_PTHREAD_COUNT to choose\n",
                    step_flops / 1e6);
        fprintf(o->report, "Data: %zu training, %zu validation, %zu test samples\n", d.train.n, d.validation.n,
                d.test.n);
        if (d.n_skipped)
            fprintf(o->report, "Skipped %zu files that are not readable PNG or JPEG images (on_error: skip)\n",
                    d.n_skipped);
    }
    if (s == CT_OK && o->report) {
        char *text = NULL;
        s = ct_model_plan_summary(&plan, NULL, &text);
        if (s == CT_OK)
            fprintf(o->report, "%s\n", text);
        free(text);
    }
    for (size_t i = 0; s == CT_OK && i < devs.local_count; i++)
        s = ct_run_check_device_memory(exp, &plan, &d, ct_context_device(ctxs[i]));
    /* init.from before the run directory exists: a wrong file leaves nothing behind. */
    ct_named_tensor *init = NULL;
    size_t n_init = 0;
    if (s == CT_OK && exp->init.enabled && !resume) {
        s = ct_run_import_init(exp, o, &d, &plan, &init, &n_init, res.init_sha256, o->report);
        if (s == CT_OK && o->report)
            fprintf(o->report, "Initial weights: %s (SHA-256 %.16s...)\n", exp->init.from, res.init_sha256);
    }
    ct_model_plan_free(&plan);
    if (s == CT_OK && resume)
        s = (*run_dir = strdup(o->resume_dir)) ? CT_OK : ct_fail(CT_ERR_NO_MEMORY, "run directory name");
    else if (s == CT_OK)
        s = choose_run_dir(exp, o, run_dir);
    if (s == CT_OK)
        s = write_config(exp, *run_dir);
    if (s == CT_OK)
        s = ct_dataset_write_features(&d, *run_dir);
    if (s == CT_OK)
        s = ct_run_memory_hint(create_trainer(exp, &d, &devs, ctxs, &t), exp);
    if (s == CT_OK && init)
        s = ct_run_set_weights_by_name(ct_trainer_model(t), init, n_init, exp->init.from);
    ct_weights_free(init, n_init);
    if (s == CT_OK) {
        res.startup_seconds = ct_now_seconds() - t_start;
        s = fit(exp, t, o, *run_dir, resume, &res);
    }
    ct_checkpoint_free(resume);
    if (s != CT_OK && *run_dir)
        write_failure(s, *run_dir);
    if (s == CT_OK && res.interrupted) { /* the checkpoint holds it all; no results yet */
        ct_trainer_free(t);
        close_contexts(ctxs, devs.local_count);
        ct_run_devices_free(&devs);
        ct_dataset_free(&d);
        return CT_OK;
    }
    if (s == CT_OK)
        s = evaluate_test(exp, &d, t, o->report, *run_dir, &res);
    if (s == CT_OK)
        s = ct_run_write_weights(ct_trainer_model(t), *run_dir);
    if (s == CT_OK)
        s = write_summary(exp, &d, &devs, t, &res, *run_dir);
    if (s == CT_OK && exp->output.plots) {
        /* Pictures are a convenience: a failure is reported, the run stands. */
        if (ct_plot_run(*run_dir, exp->output.plots, NULL) != CT_OK && o->report)
            fprintf(o->report, "Plots not drawn: %s (redraw with `cltrain plot %s`)\n", ct_last_error(), *run_dir);
    }
    if (s == CT_OK) { /* a failure.txt of an earlier session no longer says how the run ended */
        char failure[4096];
        snprintf(failure, sizeof failure, "%s/failure.txt", *run_dir);
        unlink(failure);
    }
    if (s == CT_OK && o->report)
        fprintf(o->report, "\nRun directory: %s (%.1f s %s, %.1f s training%s)\n", *run_dir,
                ct_now_seconds() - t_start, o->resume_dir ? "this session" : "in all", res.train_seconds,
                o->resume_dir ? " in all sessions" : "");
    ct_trainer_free(t);
    close_contexts(ctxs, devs.local_count);
    ct_run_devices_free(&devs);
    ct_dataset_free(&d);
    return s;
}
