/* The fit loop on a device (see train.h). Data is uploaded once; each step
 * gathers its batch on the device, and nothing is read back until the end of
 * the epoch, so a training step never waits for the host. */
#include "cltrain/train.h"

#include <stdlib.h>
#include <string.h>

#include "cltrain/batch.h"
#include "cltrain/loss.h"
#include "cltrain/optim.h"

#define MAX_VALUES (2 * (1 + CT_METRICS_MAX))
/* Activations (input and every layer's output, per sample, times the
 * rows) an evaluation batch may hold: see eval_batch_size(). */
#define EVAL_BATCH_FLOATS (1024 * 1024)

/* A split on the device: samples (n, in...) and targets (n, width). */
typedef struct {
    size_t n;
    ct_tensor x, y;
} device_split;

struct ct_trainer {
    ct_context *ctx;
    const ct_experiment *exp;
    ct_model *model;
    ct_optimizer *opt;
    int in_ndim;
    size_t in_shape[3], sample_size, target_width, batch_size;
    size_t eval_batch; /* rows per forward pass when evaluating */
    device_split train, validation;
    cl_mem order;                 /* uint32 sample order of the current epoch */
    ct_tensor batch_x, batch_y;   /* (batch, in...), (batch, width) */
    ct_loss_accum loss;
    ct_metric_state *metrics;
    size_t metric_count;
    size_t next_batch;            /* ct_trainer_run_steps position */
    size_t value_count;
    char names[MAX_VALUES][96];
    float *snapshot;
};

/* shape = (rows, in_shape...); returns its number of dimensions. */
static int rows_shape(size_t rows, int in_ndim, const size_t *in_shape, size_t *shape)
{
    shape[0] = rows;
    memcpy(shape + 1, in_shape, (size_t)in_ndim * sizeof *in_shape);
    return in_ndim + 1;
}

static ct_status upload_split(ct_context *ctx, const ct_host_split *h, int in_ndim, const size_t *in_shape,
                              size_t width, device_split *d)
{
    memset(d, 0, sizeof *d);
    d->n = h ? h->n : 0;
    if (d->n == 0)
        return CT_OK;
    size_t xs[CT_MAX_DIMS], ys[2] = {h->n, width};
    CT_TRY(ct_tensor_create(ctx, rows_shape(h->n, in_ndim, in_shape, xs), xs, &d->x));
    CT_TRY(ct_tensor_create(ctx, 2, ys, &d->y));
    CT_TRY(ct_tensor_write(ctx, &d->x, h->x));
    return ct_tensor_write(ctx, &d->y, h->y);
}

static void release_split(device_split *d)
{
    ct_tensor_release(&d->x);
    ct_tensor_release(&d->y);
}

static void name_values(ct_trainer *t, int with_validation)
{
    size_t k = 0;
    for (int v = 0; v <= with_validation; v++) {
        const char *prefix = v ? "val_" : "";
        snprintf(t->names[k++], sizeof t->names[0], "%sloss", prefix);
        for (size_t i = 0; i < t->exp->train.metric_count; i++)
            snprintf(t->names[k++], sizeof t->names[0], "%s%s", prefix,
                     ct_metric_keras_name(t->exp->train.metrics[i]));
    }
    t->value_count = k;
}

/* Rows per evaluation pass: the whole split when the model's activations
 * are small (a Dense net), else the training batch. With small layers a
 * pass costs its launches, not its arithmetic, and results differ from
 * batch-sized passes only in summation order. batch on any error (which
 * creating the model then reports). */
static size_t eval_batch_size(const ct_model_spec *spec, int in_ndim, const size_t *in_shape, size_t batch,
                              size_t rows)
{
    ct_model_plan plan;
    if (ct_model_plan_create(spec, in_ndim, in_shape, &plan) != CT_OK)
        return batch;
    size_t per_sample = 1;
    for (int i = 0; i < in_ndim; i++)
        per_sample *= in_shape[i];
    for (size_t l = 0; l < plan.layer_count; l++) {
        size_t out = 1;
        for (int i = 0; i < plan.layers[l].out_ndim; i++)
            out *= plan.layers[l].out_shape[i];
        per_sample += out;
    }
    ct_model_plan_free(&plan);
    size_t fit = EVAL_BATCH_FLOATS / per_sample, eval = fit < rows ? fit : rows;
    return eval > batch ? eval : batch;
}

ct_status ct_trainer_create(ct_context *ctx, const ct_experiment *exp, int in_ndim, const size_t *in_shape,
                            size_t target_width, const ct_host_split *train, const ct_host_split *validation,
                            ct_trainer **out)
{
    *out = NULL;
    if (!train || train->n == 0)
        return ct_fail(CT_ERR_DATA, "training needs at least one sample");
    if (exp->train.metric_count > CT_METRICS_MAX)
        return ct_fail(CT_ERR_CONFIG, "at most %d metrics", CT_METRICS_MAX);
    ct_trainer *t = calloc(1, sizeof *t);
    if (!t)
        return ct_fail(CT_ERR_NO_MEMORY, "trainer");
    t->ctx = ctx;
    t->exp = exp;
    t->in_ndim = in_ndim;
    memcpy(t->in_shape, in_shape, (size_t)in_ndim * sizeof *in_shape);
    t->sample_size = 1;
    for (int i = 0; i < in_ndim; i++)
        t->sample_size *= in_shape[i];
    t->target_width = target_width;
    t->batch_size = (size_t)exp->train.batch_size < train->n ? (size_t)exp->train.batch_size : train->n;
    t->metric_count = exp->train.metric_count;
    name_values(t, validation && validation->n > 0);

    t->eval_batch = eval_batch_size(&exp->model, in_ndim, in_shape, t->batch_size, validation ? validation->n : 0);
    ct_status s =
        ct_model_create(ctx, &exp->model, in_ndim, in_shape, t->eval_batch, (uint64_t)exp->seed, &t->model);
    if (s == CT_OK)
        s = ct_optimizer_create(ctx, &exp->train.optimizer, ct_model_arena(t->model), &t->opt);
    if (s == CT_OK)
        s = upload_split(ctx, train, in_ndim, in_shape, target_width, &t->train);
    if (s == CT_OK)
        s = upload_split(ctx, validation, in_ndim, in_shape, target_width, &t->validation);
    if (s == CT_OK) {
        size_t xs[CT_MAX_DIMS], ys[2] = {t->batch_size, target_width};
        s = ct_tensor_create(ctx, rows_shape(t->batch_size, in_ndim, in_shape, xs), xs, &t->batch_x);
        if (s == CT_OK)
            s = ct_tensor_create(ctx, 2, ys, &t->batch_y);
    }
    if (s == CT_OK) {
        /* Identity order until the first shuffle (and for shuffle: false). */
        uint32_t *identity = malloc(train->n * sizeof *identity);
        cl_int err = CL_SUCCESS;
        if (!identity)
            s = ct_fail(CT_ERR_NO_MEMORY, "sample order");
        else {
            for (size_t i = 0; i < train->n; i++)
                identity[i] = (uint32_t)i;
            t->order = clCreateBuffer(ct_context_cl(ctx), CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR,
                                      train->n * sizeof *identity, identity, &err);
            free(identity);
            if (err != CL_SUCCESS)
                s = ct_cl_fail(err, "allocating the sample order");
        }
    }
    if (s == CT_OK)
        s = ct_loss_accum_create(ctx, &t->loss);
    if (s == CT_OK)
        s = ct_metrics_create(ctx, exp->train.metrics, exp->train.metric_count, ct_model_output_size(t->model),
                              ct_loss_sparse_targets(exp->train.loss), &t->metrics);
    if (s != CT_OK) {
        ct_trainer_free(t);
        return s;
    }
    *out = t;
    return CT_OK;
}

void ct_trainer_free(ct_trainer *t)
{
    if (!t)
        return;
    if (t->metrics)
        ct_metrics_destroy(t->metrics);
    ct_loss_accum_release(&t->loss);
    if (t->order)
        clReleaseMemObject(t->order);
    ct_tensor_release(&t->batch_x);
    ct_tensor_release(&t->batch_y);
    release_split(&t->train);
    release_split(&t->validation);
    ct_optimizer_free(t->opt);
    ct_model_free(t->model);
    free(t->snapshot);
    free(t);
}

ct_model *ct_trainer_model(ct_trainer *t) { return t->model; }
size_t ct_trainer_value_count(const ct_trainer *t) { return t->value_count; }
const char *ct_trainer_value_name(const ct_trainer *t, size_t i) { return i < t->value_count ? t->names[i] : NULL; }

/* Views (rows, in...) and (rows, width) of the batch buffers. */
static ct_status batch_views(ct_trainer *t, size_t rows, ct_tensor *x, ct_tensor *y)
{
    size_t xs[CT_MAX_DIMS], ys[2] = {rows, t->target_width};
    CT_TRY(ct_tensor_view(&t->batch_x, 0, rows_shape(rows, t->in_ndim, t->in_shape, xs), xs, x));
    return ct_tensor_view(&t->batch_y, 0, 2, ys, y);
}

/* Batch `b` of the current order: gather, forward, loss, metrics, backward, update. */
static ct_status train_batch(ct_trainer *t, size_t b, ct_loss_accum *acc, ct_metric_state *metrics)
{
    size_t first = b * t->batch_size;
    size_t rows = t->train.n - first < t->batch_size ? t->train.n - first : t->batch_size;
    ct_tensor x, y, out, dy;
    CT_TRY(batch_views(t, rows, &x, &y));
    CT_TRY(ct_gather_batch_device(t->ctx, t->order, (uint32_t)first, &t->train.x, &x, &t->train.y, &y));
    CT_TRY(ct_model_forward(t->model, &x, 1, &out));
    CT_TRY(ct_model_output_grad(t->model, rows, &dy));
    CT_TRY(ct_loss_and_metrics(t->ctx, t->exp->train.loss, t->exp->train.from_logits, &out, &y, &dy, acc,
                               t->metric_count ? metrics : NULL));
    CT_TRY(ct_model_backward(t->model, &x, &dy));
    return ct_optimizer_step(t->ctx, t->opt);
}

static size_t batch_count(size_t n, size_t batch) { return (n + batch - 1) / batch; }

/* Loss and metrics of a device split, in inference mode; values: loss then metrics. */
static ct_status evaluate_split(ct_trainer *t, const device_split *d, double *values, float *predictions)
{
    CT_TRY(ct_loss_accum_reset(t->ctx, &t->loss));
    if (t->metric_count)
        CT_TRY(ct_metrics_reset(t->ctx, t->metrics));
    size_t out_size = ct_model_output_size(t->model);
    for (size_t first = 0; first < d->n; first += t->eval_batch) {
        size_t rows = d->n - first < t->eval_batch ? d->n - first : t->eval_batch;
        size_t xs[CT_MAX_DIMS], ys[2] = {rows, t->target_width};
        ct_tensor x, y, out;
        CT_TRY(ct_tensor_view(&d->x, first * t->sample_size, rows_shape(rows, t->in_ndim, t->in_shape, xs), xs, &x));
        CT_TRY(ct_tensor_view(&d->y, first * t->target_width, 2, ys, &y));
        CT_TRY(ct_model_forward(t->model, &x, 0, &out));
        CT_TRY(ct_loss_and_metrics(t->ctx, t->exp->train.loss, t->exp->train.from_logits, &out, &y, NULL, &t->loss,
                                   t->metric_count ? t->metrics : NULL));
        if (predictions)
            CT_TRY(ct_tensor_read(t->ctx, &out, predictions + first * out_size));
    }
    return ct_loss_and_metrics_read(t->ctx, &t->loss, t->metric_count ? t->metrics : NULL, values);
}

ct_status ct_trainer_epoch(ct_trainer *t, int epoch, double *values, ct_progress_fn progress, void *user)
{
    if (t->exp->train.shuffle)
        CT_TRY(ct_shuffle_indices(t->ctx, t->order, (uint32_t)t->train.n, (uint64_t)t->exp->seed, (uint64_t)epoch));
    CT_TRY(ct_loss_accum_reset(t->ctx, &t->loss));
    if (t->metric_count)
        CT_TRY(ct_metrics_reset(t->ctx, t->metrics));
    size_t batches = batch_count(t->train.n, t->batch_size);
    for (size_t b = 0; b < batches; b++) {
        ct_status s = train_batch(t, b, &t->loss, t->metrics);
        if (s != CT_OK)
            return ct_fail_context(s, "epoch %d, batch %zu", epoch + 1, b + 1);
        if (progress)
            progress(user, b + 1, batches);
    }
    /* The one read of the epoch's training values. */
    CT_TRY(ct_loss_and_metrics_read(t->ctx, &t->loss, t->metric_count ? t->metrics : NULL, values));
    if (t->validation.n)
        CT_TRY(evaluate_split(t, &t->validation, values + 1 + t->metric_count, NULL));
    return CT_OK;
}

ct_status ct_trainer_run_steps(ct_trainer *t, size_t steps)
{
    size_t batches = batch_count(t->train.n, t->batch_size);
    for (size_t i = 0; i < steps; i++) {
        CT_TRY(train_batch(t, t->next_batch, NULL, NULL));
        t->next_batch = (t->next_batch + 1) % batches;
    }
    return CT_OK;
}

ct_status ct_trainer_evaluate(ct_trainer *t, const ct_host_split *split, double *values, float *predictions)
{
    device_split d;
    ct_status s = upload_split(t->ctx, split, t->in_ndim, t->in_shape, t->target_width, &d);
    if (s == CT_OK && d.n)
        s = evaluate_split(t, &d, values, predictions);
    release_split(&d);
    return s;
}

ct_status ct_trainer_snapshot(ct_trainer *t)
{
    if (!t->snapshot && !(t->snapshot = malloc(ct_model_state_size(t->model) * sizeof(float))))
        return ct_fail(CT_ERR_NO_MEMORY, "weights snapshot");
    return ct_model_read_state(t->model, t->snapshot);
}

ct_status ct_trainer_restore(ct_trainer *t)
{
    if (!t->snapshot)
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "no weights snapshot to restore");
    return ct_model_write_state(t->model, t->snapshot);
}
