/* Training step time and throughput of the experiments given with
 * --experiment: the experiment's model, optimizer and data on the device
 * (ct_trainer), timed over consecutive training steps (forward, loss,
 * backward, optimizer) with nothing read back, which is how an epoch runs
 * minus its once-per-epoch metric read and validation.
 *
 * Two rows per experiment: "NAME step" in ms per step of batch_size samples,
 * and "NAME throughput" in images/s (CIFAR-10) or rows/s (CSV), which is
 * batch_size / step time (its spread is the step time's spread, inverted). A
 * run times several steps, as many as fill about a fifth of --max-time
 * (at most one epoch); a final partial batch is counted as its share of a
 * step, so every value is per full batch. */
#include <stdlib.h>
#include <string.h>

#include "cltrain/experiment.h"
#include "cltrain/model.h"
#include "cltrain/train.h"
#include "run/dataset.h"

#include "devbench.h"

typedef struct {
    ct_context *ctx;
    ct_trainer *trainer;
    size_t n, batch, batches; /* training samples, samples per step, steps per epoch */
    size_t position;          /* next batch, as the trainer counts it */
    size_t steps;             /* per timed run */
} step_job;

static size_t samples_in_batch(const step_job *j, size_t i)
{
    return i + 1 < j->batches ? j->batch : j->n - i * j->batch;
}

/* *seconds: the run's time per full batch. */
static ct_status steps_run(void *user, double *seconds)
{
    step_job *j = user;
    double t0 = db_now_s();
    CT_TRY(ct_trainer_run_steps(j->trainer, j->steps));
    CT_TRY(ct_context_finish(j->ctx));
    double elapsed = db_now_s() - t0;
    size_t samples = 0;
    for (size_t i = 0; i < j->steps; i++) {
        samples += samples_in_batch(j, j->position);
        j->position = (j->position + 1) % j->batches;
    }
    *seconds = elapsed * (double)j->batch / (double)samples;
    return CT_OK;
}

/* Steps per run: about a fifth of the row budget, from one timed step. */
static ct_status choose_steps(step_job *j, double max_time_s)
{
    double seconds;
    j->steps = 1;
    CT_TRY(steps_run(j, &seconds)); /* compiles the model's kernels */
    CT_TRY(steps_run(j, &seconds));
    double wanted = max_time_s / 5 / (seconds > 0 ? seconds : 1e-6);
    j->steps = wanted < 1 ? 1 : wanted > (double)j->batches ? j->batches : (size_t)wanted;
    return CT_OK;
}

/* The experiment's name for rows: its `name`, else the file name. */
static void row_name(const char *path, const ct_experiment *exp, char *buf, size_t size)
{
    if (exp && exp->name && *exp->name) {
        snprintf(buf, size, "%s", exp->name);
        return;
    }
    const char *slash = strrchr(path, '/');
    snprintf(buf, size, "%s", slash ? slash + 1 : path);
}

static void fail_rows(db_bench *b, const char *name, const char *unit, db_status status, const char *why)
{
    char metric[96];
    snprintf(metric, sizeof metric, "%s step", name);
    db_row *row = db_device_add_failed_row(b->dev, "experiment", metric, "ms", status, "%s", why);
    if (row)
        row->better = DB_LOWER_IS_BETTER;
    snprintf(metric, sizeof metric, "%s throughput", name);
    db_device_add_failed_row(b->dev, "experiment", metric, unit, status, "%s", why);
}

/* throughput = batch / step time, so the step time's order statistics,
 * inverted, are the throughput's (min <-> max, q1 <-> q3). */
static void add_throughput_row(db_bench *b, const char *name, const char *unit, size_t step_row, double batch)
{
    char metric[96];
    snprintf(metric, sizeof metric, "%s throughput", name);
    db_row *row = db_device_add_row(b->dev, "experiment", metric, unit, DB_HIGHER_IS_BETTER);
    if (!row)
        return;
    const db_row *step = &b->dev->rows[step_row];
    double per_ms = batch * 1e3;
    row->median = per_ms / step->median;
    row->min = per_ms / step->max;
    row->max = per_ms / step->min;
    row->q1 = per_ms / step->q3;
    row->q3 = per_ms / step->q1;
    row->runs = step->runs;
    snprintf(row->note, sizeof row->note, "batch %.0f / step time", batch);
}

/* Floats of optimizer state per parameter (src/train/optim.c). */
static size_t state_slots(const ct_optimizer_spec *o)
{
    switch (o->kind) {
    case CT_OPTIMIZER_ADAM:
        return 2;
    case CT_OPTIMIZER_SGD:
        return o->sgd.momentum != 0 ? 1 : 0;
    default:
        return o->rmsprop.momentum > 0 ? 2 : 1;
    }
}

static void bench_one(db_bench *b, const char *path)
{
    ct_experiment *exp = NULL;
    ct_dataset data;
    memset(&data, 0, sizeof data);
    step_job j = {b->ctx, NULL, 0, 0, 0, 0, 1};
    char name[64];

    ct_status s = ct_experiment_open(path, NULL, 0, &exp);
    row_name(path, s == CT_OK ? exp : NULL, name, sizeof name);
    const char *unit = s == CT_OK && ct_data_takes_images(&exp->data) ? "images/s" : "rows/s";
    if (s == CT_OK) {
        if (b->opt->progress)
            b->opt->progress(b->opt->progress_user, b->dev, "experiment", "loading the data");
        s = ct_dataset_load(exp, b->opt->data_dir, &data);
    }
    if (s == CT_OK) {
        /* No validation split: only training steps are timed. */
        ct_host_split train = ct_split_data_host(&data.train), none = {0, NULL, NULL, NULL, 0};
        s = ct_trainer_create(b->ctx, exp, data.in_ndim, data.in_shape, data.target_width, &train, &none, &j.trainer);
        j.n = data.train.n;
        j.batch = (size_t)exp->train.batch_size < j.n ? (size_t)exp->train.batch_size : j.n;
        j.batches = j.batch ? (j.n + j.batch - 1) / j.batch : 1;
    }
    if (s == CT_OK)
        s = choose_steps(&j, b->opt->max_time_s);
    if (s != CT_OK) {
        fail_rows(b, name, unit, DB_ERROR, *ct_last_error() ? ct_last_error() : ct_status_message(s));
    } else {
        char metric[96];
        snprintf(metric, sizeof metric, "%s step", name);
        db_row_spec spec = {"experiment", metric, "ms", DB_DURATION, 1e3};
        db_row *row;
        if (db_measure(b, &spec, steps_run, &j, &row) == CT_OK) {
            snprintf(row->note, sizeof row->note, "batch %zu, %zu training samples, %zu steps per run", j.batch, j.n,
                     j.steps);
            db_step_work(ct_model_get_plan(ct_trainer_model(j.trainer)), j.batch, state_slots(&exp->train.optimizer),
                         &row->step_flops, &row->step_bytes, &row->step_launches);
            add_throughput_row(b, name, unit, (size_t)(row - b->dev->rows), (double)j.batch);
        } else {
            snprintf(metric, sizeof metric, "%s throughput", name);
            db_device_add_failed_row(b->dev, "experiment", metric, unit, DB_ERROR, "the steps failed: see the step row");
        }
    }
    ct_trainer_free(j.trainer);
    ct_dataset_free(&data);
    ct_experiment_free(exp);
}

ct_status db_bench_experiments(db_bench *b)
{
    for (size_t i = 0; i < b->opt->experiment_count; i++)
        bench_one(b, b->opt->experiments[i]);
    return CT_OK;
}
