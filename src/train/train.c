/* The fit loop on a device (see train.h). Data is uploaded once; each step
 * gathers its batch on the device, and nothing is read back until the end of
 * the epoch, so a training step never waits for the host.
 * Longer than 600 lines: the fit loop, the batch pipeline and the evaluation
 * pass share the trainer's private state; the split is due with the graph
 * model of issue #14 (a layer list becomes a node list there). The
 * data-parallel step (train.devices) drives the same private state of each
 * replica, so it lives here too; its host arithmetic (gradient sums,
 * accumulator folding) is in data_parallel.c. */
#include "cltrain/train.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cltrain/batch.h"
#include "cltrain/loss.h"
#include "cltrain/optim.h"
#include "core/collective.h"
#include "core/context.h"
#include "train/data_parallel.h"
#include "train/loss_internal.h"

#define MAX_VALUES (2 * (1 + CT_METRICS_MAX) + 1) /* (val_)loss, (val_)metrics, learning_rate */
/* Activations (input and every layer's output, per sample, times the
 * rows) an evaluation batch may hold: see eval_batch_size(). */
#define EVAL_BATCH_FLOATS (1024 * 1024)

/* A split on the device: samples (n, in...) and targets (n, width); or the
 * samples as bytes (x_u8, turned into floats times scale per batch). */
typedef struct {
    size_t n;
    ct_tensor x, y;
    cl_mem x_u8;
    float scale;
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
    ct_tensor eval_x;             /* (eval_batch, in...): an evaluation pass over 8-bit samples */
    ct_loss_accum loss;
    ct_metric_state *metrics;
    size_t metric_count;
    size_t next_batch;            /* ct_trainer_run_steps position */
    int epoch;                    /* fit position: the epoch in progress or next */
    size_t epoch_batch;           /* its batches done; 0: not started */
    int64_t order_epoch;          /* epoch whose shuffled order `order` holds; -1 identity */
    size_t value_count;
    /* train.learning_rate_schedule when enabled, else NULL: the rate of each
     * step comes from the optimizer's step count, which is all its state. */
    const ct_lr_schedule_spec *schedule;
    bool log_learning_rate; /* a schedule or ReduceLROnPlateau: the last value is "learning_rate" */
    bool stepped, evaluated; /* the first step and the first evaluation batch are behind us (hold_first) */
    ct_tensor class_weights; /* train.class_weight on the device; empty (no buffer) when not set */
    /* kernel_regularizer of each dense / conv2d layer that has one: views of
     * its kernel and of the kernel's gradient in the parameter arena. */
    struct regularized {
        ct_tensor weights, grads;
        double l1, l2;
    } *regularized;
    size_t regularized_count;
    char names[MAX_VALUES][96];
    float *snapshot;
    /* Data parallelism (ct_trainer_create_replicated): this process's other
     * replicas, each a whole trainer on its own device, and the host side of
     * the gradient exchange. NULL in a one-device trainer and in the peers
     * themselves, which the first replica drives. */
    ct_trainer **peers;
    size_t peer_count;
    ct_dp_exchange *dp;
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
    CT_TRY(ct_tensor_create(ctx, 2, ys, &d->y));
    if (h->x_u8) {
        size_t bytes = h->n;
        for (int i = 0; i < in_ndim; i++)
            bytes *= in_shape[i];
        cl_int err;
        d->x_u8 = clCreateBuffer(ct_context_cl(ctx), CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, bytes, (void *)h->x_u8,
                                 &err);
        if (err != CL_SUCCESS) {
            d->x_u8 = NULL;
            return ct_cl_fail(err, "uploading 8-bit image samples");
        }
        d->scale = h->x_scale;
    } else {
        CT_TRY(ct_tensor_create(ctx, rows_shape(h->n, in_ndim, in_shape, xs), xs, &d->x));
        CT_TRY(ct_tensor_write(ctx, &d->x, h->x));
    }
    return ct_tensor_write(ctx, &d->y, h->y);
}

static void release_split(device_split *d)
{
    ct_tensor_release(&d->x);
    ct_tensor_release(&d->y);
    if (d->x_u8)
        clReleaseMemObject(d->x_u8);
    d->x_u8 = NULL;
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
    /* Keras' ReduceLROnPlateau (and LearningRateScheduler) add it to the logs
     * after the loss and metrics; existing histories keep their columns. */
    if (t->log_learning_rate)
        snprintf(t->names[k++], sizeof t->names[0], "learning_rate");
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

/* The kernels with a kernel_regularizer, found by the model's tensor names
 * ("dense_1/kernel"); their gradients sit at the same offset of the arena's
 * gradient buffer. */
static ct_status find_regularized(ct_trainer *t)
{
    const ct_model_spec *spec = &t->exp->model;
    ct_tensor all_grads;
    CT_TRY(ct_param_arena_grads(ct_model_arena(t->model), &all_grads));
    for (size_t l = 0; l < spec->layer_count; l++) {
        const ct_layer_spec *layer = &spec->layers[l];
        const ct_regularizer_spec *r = layer->kind == CT_LAYER_DENSE    ? &layer->dense.kernel_regularizer
                                       : layer->kind == CT_LAYER_CONV2D ? &layer->conv2d.kernel_regularizer
                                                                        : NULL;
        if (!r || !r->enabled)
            continue;
        char want[160];
        snprintf(want, sizeof want, "%s/kernel", layer->name ? layer->name : "");
        size_t i = 0;
        const char *name = NULL;
        ct_tensor view;
        for (; i < ct_model_tensor_count(t->model); i++) {
            CT_TRY(ct_model_tensor(t->model, i, &name, &view));
            if (!strcmp(name, want))
                break;
        }
        if (i == ct_model_tensor_count(t->model))
            return ct_fail(CT_ERR_INTERNAL, "kernel_regularizer: the model has no tensor %s", want);
        if (!t->regularized && !(t->regularized = calloc(spec->layer_count, sizeof *t->regularized)))
            return ct_fail(CT_ERR_NO_MEMORY, "kernel regularizers");
        struct regularized *g = &t->regularized[t->regularized_count++];
        g->weights = view;
        CT_TRY(ct_tensor_view(&all_grads, view.offset, view.ndim, view.shape, &g->grads));
        g->l1 = r->l1;
        g->l2 = r->l2;
    }
    return CT_OK;
}

/* Every kernel_regularizer: the penalty into acc (NULL: none), its
 * gradient when training. */
static ct_status regularize(ct_trainer *t, bool training, ct_loss_accum *acc, size_t rows)
{
    for (size_t i = 0; i < t->regularized_count; i++) {
        struct regularized *g = &t->regularized[i];
        CT_TRY(ct_loss_regularize(t->ctx, &g->weights, training ? &g->grads : NULL, g->l1, g->l2, acc, rows));
    }
    return CT_OK;
}

/* train.class_weight as floats on the device, one weight per class: as
 * many as the model has classes (2 for one sigmoid output). */
static ct_status upload_class_weights(ct_context *ctx, const ct_experiment *exp, size_t outputs, ct_tensor *out)
{
    size_t k = exp->train.class_weight_count, classes = outputs == 1 ? 2 : outputs;
    if (k != classes)
        return ct_fail(CT_ERR_CONFIG, "train.class_weight: %zu weights for a model with %zu classes%s", k, classes,
                       outputs == 1 ? " (one output: classes 0 and 1)" : "");
    float w[CT_CLASS_WEIGHT_MAX];
    for (size_t i = 0; i < k; i++)
        w[i] = (float)exp->train.class_weight[i];
    CT_TRY(ct_tensor_create(ctx, 1, &k, out));
    return ct_tensor_write(ctx, out, w);
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
    t->order_epoch = -1;
    t->schedule = exp->train.learning_rate_schedule.enabled ? &exp->train.learning_rate_schedule : NULL;
    t->log_learning_rate = t->schedule || exp->callbacks.reduce_lr_on_plateau.enabled;
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
        s = find_regularized(t);
    if (s == CT_OK && exp->train.class_weight_count)
        s = upload_class_weights(ctx, exp, ct_model_output_size(t->model), &t->class_weights);
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
    for (size_t i = 0; i < t->peer_count; i++)
        ct_trainer_free(t->peers[i]);
    free(t->peers);
    ct_dp_exchange_free(t->dp);
    if (t->metrics)
        ct_metrics_destroy(t->metrics);
    ct_loss_accum_release(&t->loss);
    ct_tensor_release(&t->class_weights);
    free(t->regularized);
    if (t->order)
        clReleaseMemObject(t->order);
    ct_tensor_release(&t->batch_x);
    ct_tensor_release(&t->batch_y);
    ct_tensor_release(&t->eval_x);
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

/* The schedule's rate for the next step, from the steps taken so far. */
static ct_status apply_schedule(ct_trainer *t)
{
    double lr = ct_lr_schedule_value(t->schedule, ct_optimizer_iterations(t->opt));
    ct_status s = ct_optimizer_set_learning_rate(t->opt, lr);
    return s == CT_OK ? CT_OK
                      : ct_fail_context(s, "%s at step %llu", ct_lr_schedule_name(t->schedule->kind),
                                        (unsigned long long)ct_optimizer_iterations(t->opt));
}

/* Rows [first, first + rows) of the current order: gather, forward, loss,
 * metrics, backward, the regularizers' gradient; no update. */
static ct_status forward_backward(ct_trainer *t, size_t first, size_t rows, ct_loss_accum *acc,
                                  ct_metric_state *metrics)
{
    ct_tensor x, y, out, dy;
    CT_TRY(batch_views(t, rows, &x, &y));
    if (t->train.x_u8) {
        CT_TRY(ct_gather_u8_scaled(t->ctx, t->train.x_u8, t->sample_size, t->order, (uint32_t)first, t->train.scale,
                                   &x));
        CT_TRY(ct_gather_rows_device(t->ctx, &t->train.y, t->order, (uint32_t)first, &y));
    } else {
        CT_TRY(ct_gather_batch_device(t->ctx, t->order, (uint32_t)first, &t->train.x, &x, &t->train.y, &y));
    }
    CT_TRY(ct_model_forward(t->model, &x, 1, &out));
    CT_TRY(ct_model_output_grad(t->model, rows, &dy));
    ct_loss_options options = {t->exp->train.label_smoothing, &t->class_weights};
    CT_TRY(ct_loss_and_metrics_ex(t->ctx, t->exp->train.loss, t->exp->train.from_logits, &options, &out, &y, &dy, acc,
                                  t->metric_count ? metrics : NULL));
    CT_TRY(ct_model_backward(t->model, &x, &dy));
    return regularize(t, true, acc, rows);
}

static ct_status optimizer_step(ct_trainer *t)
{
    if (t->schedule)
        CT_TRY(apply_schedule(t));
    return ct_optimizer_step(t->ctx, t->opt);
}

static ct_status data_parallel_batch(ct_trainer *t, size_t first, size_t rows, bool accumulate);

/* The first training step and the first evaluation batch meet most of a
 * run's kernels for the first time: their launches are held back until the
 * whole batch is enqueued, so that the compile-ahead helper hears of every
 * kernel before PoCL's worker starts on the first (core/context.h); without
 * a helper (the default, see core/prebuild.h) nothing is held. The
 * watchdog's 10 s bound only matters should something wait for the queue
 * in between without releasing it. */
#define HOLD_FIRST_SECONDS 10.0

static void hold_first(ct_trainer *t, bool *done)
{
    if (!*done && !t->dp)
        ct_context_hold_queue(t->ctx, HOLD_FIRST_SECONDS);
}

static void release_first(ct_trainer *t, bool *done)
{
    if (!*done && !t->dp)
        ct_context_release_queue(t->ctx);
    *done = true;
}

/* Batch `b` of the current order: gather, forward, loss, metrics, backward, update. */
static ct_status train_batch(ct_trainer *t, size_t b, ct_loss_accum *acc, ct_metric_state *metrics)
{
    size_t first = b * t->batch_size;
    size_t rows = t->train.n - first < t->batch_size ? t->train.n - first : t->batch_size;
    if (t->dp)
        return data_parallel_batch(t, first, rows, acc != NULL);
    hold_first(t, &t->stepped);
    ct_status s = forward_backward(t, first, rows, acc, metrics);
    if (s == CT_OK)
        s = optimizer_step(t);
    release_first(t, &t->stepped);
    return s;
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
        if (d->x_u8) {
            if (!t->eval_x.buf) {
                size_t es[CT_MAX_DIMS];
                CT_TRY(ct_tensor_create(t->ctx, rows_shape(t->eval_batch, t->in_ndim, t->in_shape, es), es,
                                        &t->eval_x));
            }
            CT_TRY(ct_tensor_view(&t->eval_x, 0, rows_shape(rows, t->in_ndim, t->in_shape, xs), xs, &x));
            CT_TRY(ct_gather_u8_scaled(t->ctx, d->x_u8, t->sample_size, NULL, (uint32_t)first, d->scale, &x));
        } else {
            CT_TRY(ct_tensor_view(&d->x, first * t->sample_size, rows_shape(rows, t->in_ndim, t->in_shape, xs), xs,
                                  &x));
        }
        CT_TRY(ct_tensor_view(&d->y, first * t->target_width, 2, ys, &y));
        hold_first(t, &t->evaluated);
        ct_status s = ct_model_forward(t->model, &x, 0, &out);
        /* Keras weights the training batches only: no class_weight here. */
        ct_loss_options options = {t->exp->train.label_smoothing, NULL};
        if (s == CT_OK)
            s = ct_loss_and_metrics_ex(t->ctx, t->exp->train.loss, t->exp->train.from_logits, &options, &out, &y,
                                       NULL, &t->loss, t->metric_count ? t->metrics : NULL);
        release_first(t, &t->evaluated);
        CT_TRY(s);
        if (predictions)
            CT_TRY(ct_tensor_read(t->ctx, &out, predictions + first * out_size));
    }
    /* The weights do not change while evaluating: the penalty once for all rows. */
    CT_TRY(regularize(t, false, &t->loss, d->n));
    return ct_loss_and_metrics_read(t->ctx, &t->loss, t->metric_count ? t->metrics : NULL, values);
}

size_t ct_trainer_batches(const ct_trainer *t) { return batch_count(t->train.n, t->batch_size); }

/* The sample order of `epoch` (the identity without shuffling). */
static ct_status load_order(ct_trainer *t, int64_t epoch)
{
    if (epoch < 0 || t->order_epoch == epoch)
        return CT_OK;
    CT_TRY(ct_shuffle_indices(t->ctx, t->order, (uint32_t)t->train.n, (uint64_t)t->exp->seed, (uint64_t)epoch));
    t->order_epoch = epoch;
    return CT_OK;
}

/* Progress tracking (ct_epoch_hooks.progress): after each step, one
 * non-blocking read of the accumulators whose completion says the step is
 * done; a ring of CT_PROGRESS_IN_FLIGHT such reads. */
typedef struct {
    cl_event done;
    size_t batch; /* batches done when it completes */
    uint64_t loss_count, samples;
    float loss_sums[2], metric_sums[2 * CT_METRICS_MAX];
} progress_slot;

typedef struct {
    progress_slot slots[CT_PROGRESS_IN_FLIGHT];
    size_t next, pending;
} progress_ring;

static ct_status progress_enqueue(ct_trainer *t, progress_ring *r, size_t batch)
{
    progress_slot *p = &r->slots[r->next];
    cl_command_queue q = ct_context_queue(t->ctx);
    p->batch = batch;
    p->loss_count = t->loss.count;
    p->samples = t->metric_count ? ct_metrics_samples(t->metrics) : 0;
    cl_int err = CL_SUCCESS;
    if (t->metric_count) {
        ct_tensor sums = ct_metrics_sums(t->metrics);
        err = clEnqueueReadBuffer(q, sums.buf, CL_FALSE, sums.offset * sizeof(float),
                                  2 * t->metric_count * sizeof(float), p->metric_sums, 0, NULL, NULL);
    }
    if (err == CL_SUCCESS)
        err = clEnqueueReadBuffer(q, t->loss.sums.buf, CL_FALSE, t->loss.sums.offset * sizeof(float),
                                  sizeof p->loss_sums, p->loss_sums, 0, NULL, &p->done);
    if (err == CL_SUCCESS)
        err = clFlush(q);
    if (err != CL_SUCCESS)
        return ct_cl_fail(err, "reading the running loss");
    r->next = (r->next + 1) % CT_PROGRESS_IN_FLIGHT;
    r->pending++;
    return CT_OK;
}

/* Waits for the oldest pending read and reports it. */
static ct_status progress_complete_oldest(ct_trainer *t, progress_ring *r, size_t batches, const ct_epoch_hooks *h)
{
    progress_slot *p = &r->slots[(r->next + CT_PROGRESS_IN_FLIGHT - r->pending) % CT_PROGRESS_IN_FLIGHT];
    cl_int err = clWaitForEvents(1, &p->done);
    clReleaseEvent(p->done);
    p->done = NULL;
    r->pending--;
    if (err != CL_SUCCESS)
        return ct_cl_fail(err, "waiting for a training step");
    double running[1 + CT_METRICS_MAX];
    running[0] = p->loss_count ? ct_kahan_value(p->loss_sums[0], p->loss_sums[1]) / (double)p->loss_count : 0.0;
    if (t->metric_count)
        ct_metrics_values(t->metrics, p->metric_sums, p->samples, running + 1);
    h->progress(h->user, p->batch, batches, running);
    return CT_OK;
}

static void progress_drop(progress_ring *r)
{
    for (size_t i = 0; i < CT_PROGRESS_IN_FLIGHT; i++)
        if (r->slots[i].done) {
            clWaitForEvents(1, &r->slots[i].done); /* the host buffers must outlive the reads */
            clReleaseEvent(r->slots[i].done);
            r->slots[i].done = NULL;
        }
    r->pending = 0;
}

/* ======================================================= data parallelism
 * Synchronous: every replica holds the same weights; each step splits the
 * batch over all replicas (ct_dp_split), each replica runs forward and
 * backward on its rows, the host sums the gradients (ct_dp_reduce: weighted
 * by rows, replica order, double), writes the sum back to every replica,
 * and every replica applies the same optimizer step to it. */

/* Local replica i: the trainer itself, then its peers. */
static ct_trainer *replica(ct_trainer *t, size_t i) { return i == 0 ? t : t->peers[i - 1]; }
static size_t local_replicas(const ct_trainer *t) { return 1 + t->peer_count; }
/* Whether some replicas are on other ranks (every collective call then matters). */
static bool spans_ranks(const ct_trainer *t) { return t->dp && ct_dp_local(t->dp) < ct_dp_replicas(t->dp); }
/* Whether this process holds replica 0, the one that validates and keeps the epoch's totals. */
static bool holds_first_replica(const ct_trainer *t) { return !t->dp || ct_dp_first(t->dp) == 0; }

static ct_status arena_transfer(ct_trainer *r, bool grads, bool write, float *host)
{
    ct_tensor v;
    ct_param_arena *arena = ct_model_arena(r->model);
    CT_TRY(grads ? ct_param_arena_grads(arena, &v) : ct_param_arena_weights(arena, &v));
    size_t bytes = ct_tensor_count(&v) * sizeof(float), at = v.offset * sizeof(float);
    cl_command_queue q = ct_context_queue(r->ctx);
    cl_int err = write ? clEnqueueWriteBuffer(q, v.buf, CL_FALSE, at, bytes, host, 0, NULL, NULL)
                       : clEnqueueReadBuffer(q, v.buf, CL_FALSE, at, bytes, host, 0, NULL, NULL);
    if (err == CL_SUCCESS)
        err = clFlush(q);
    return err == CL_SUCCESS ? CT_OK : ct_cl_fail(err, write ? "writing a replica's parameters"
                                                             : "reading a replica's gradients");
}

static ct_status data_parallel_batch(ct_trainer *t, size_t first, size_t rows, bool accumulate)
{
    ct_dp_exchange *x = t->dp;
    size_t n = local_replicas(t);
    uint64_t step = ct_model_dropout_step(t->model);
    /* Every replica's work is enqueued and flushed before any is waited for,
     * so the devices run side by side. */
    for (size_t i = 0; i < n; i++) {
        ct_trainer *r = replica(t, i);
        size_t offset, count;
        ct_dp_split(rows, ct_dp_replicas(x), ct_dp_first(x) + i, &offset, &count);
        if (count == 0)
            continue;
        ct_model_set_first_row(r->model, offset); /* Dropout masks of the rows in the whole batch */
        CT_TRY(forward_backward(r, first + offset, count, accumulate ? &r->loss : NULL,
                                accumulate ? r->metrics : NULL));
        CT_TRY(arena_transfer(r, true, false, ct_dp_local_grads(x, i)));
    }
    for (size_t i = 0; i < n; i++)
        CT_TRY(ct_context_finish(replica(t, i)->ctx));
    const float *sum;
    CT_TRY(ct_dp_reduce(x, rows, &sum));
    /* The writes need not be waited for: the next reduce, which replaces the
     * sum, comes after this step's queues are finished. */
    for (size_t i = 0; i < n; i++) {
        ct_trainer *r = replica(t, i);
        CT_TRY(arena_transfer(r, true, true, (float *)sum));
        ct_model_set_dropout_step(r->model, step + 1); /* also where a replica had no rows */
        CT_TRY(optimizer_step(r));
    }
    return CT_OK;
}

/* The epoch's loss and metric accumulators of every replica into replica
 * 0's (the others start again from zero), so that reading them, or saving
 * them in a checkpoint, gives the whole batch's values. Collective. */
static ct_status fold_accumulators(ct_trainer *t)
{
    size_t n = local_replicas(t);
    ct_dp_accum *local = calloc(n, sizeof *local), total;
    if (!local)
        return ct_fail(CT_ERR_NO_MEMORY, "accumulators");
    ct_status s = CT_OK;
    for (size_t i = 0; s == CT_OK && i < n; i++) {
        ct_trainer *r = replica(t, i);
        float sums[2 * CT_METRICS_MAX], loss[2];
        s = ct_tensor_read(r->ctx, &r->loss.sums, loss);
        ct_tensor metric_sums = r->metric_count ? ct_metrics_sums(r->metrics) : r->loss.sums;
        if (s == CT_OK && r->metric_count)
            s = ct_tensor_read(r->ctx, &metric_sums, sums);
        local[i].loss = ct_kahan_value(loss[0], loss[1]);
        local[i].loss_count = r->loss.count;
        for (size_t m = 0; s == CT_OK && m < r->metric_count; m++)
            local[i].metrics[m] = ct_kahan_value(sums[2 * m], sums[2 * m + 1]);
        local[i].samples = r->metric_count ? ct_metrics_samples(r->metrics) : 0;
    }
    if (s == CT_OK)
        s = ct_dp_fold_accums(t->dp, local, &total);
    free(local);
    for (size_t i = 0; s == CT_OK && i < n; i++) {
        ct_trainer *r = replica(t, i);
        if (ct_dp_first(t->dp) + i != 0) {
            s = ct_loss_accum_reset(r->ctx, &r->loss);
            if (s == CT_OK && r->metric_count)
                s = ct_metrics_reset(r->ctx, r->metrics);
            continue;
        }
        float loss[2], sums[2 * CT_METRICS_MAX];
        ct_dp_kahan_pair(total.loss, loss);
        for (size_t m = 0; m < r->metric_count; m++)
            ct_dp_kahan_pair(total.metrics[m], sums + 2 * m);
        s = ct_tensor_write(r->ctx, &r->loss.sums, loss);
        r->loss.count = total.loss_count;
        if (s == CT_OK && r->metric_count)
            s = ct_metrics_load(r->ctx, r->metrics, sums, total.samples);
    }
    return s;
}

/* Replica 0's weights to every replica (the same already when the devices
 * round alike; devices of different kinds may differ in the last bit after
 * an epoch of steps), and the mean of every replica's non-trainable tensors
 * (BatchNormalization's moving statistics, each replica's from its own
 * batches; their updates are linear, so the mean once per epoch equals the
 * mean after every step, as MirroredStrategy reads them). Collective. */
static ct_status sync_replicas(ct_trainer *t)
{
    size_t n = local_replicas(t), params = ct_param_arena_used(ct_model_arena(t->model));
    float *host = malloc((params ? params : 1) * sizeof *host);
    if (!host)
        return ct_fail(CT_ERR_NO_MEMORY, "replica weights");
    ct_status s = holds_first_replica(t) ? arena_transfer(t, false, false, host) : CT_OK;
    if (s == CT_OK)
        s = ct_context_finish(t->ctx);
    if (s == CT_OK)
        s = ct_collective_broadcast(host, params * sizeof *host, 0);
    for (size_t i = holds_first_replica(t) ? 1 : 0; s == CT_OK && i < n; i++)
        s = arena_transfer(replica(t, i), false, true, host);
    for (size_t i = 0; s == CT_OK && i < n; i++)
        s = ct_context_finish(replica(t, i)->ctx);
    free(host);
    ct_tensor arena_weights;
    if (s == CT_OK)
        s = ct_param_arena_weights(ct_model_arena(t->model), &arena_weights);
    for (size_t k = 0; s == CT_OK && k < ct_model_tensor_count(t->model); k++) {
        const char *name;
        ct_tensor view;
        CT_TRY(ct_model_tensor(t->model, k, &name, &view));
        if (view.buf == arena_weights.buf)
            continue;
        size_t count = ct_tensor_count(&view);
        float *local = malloc(n * count * sizeof *local), *mean = malloc(count * sizeof *mean);
        s = local && mean ? CT_OK : ct_fail(CT_ERR_NO_MEMORY, "averaging %s", name);
        for (size_t i = 0; s == CT_OK && i < n; i++) {
            ct_trainer *r = replica(t, i);
            ct_tensor v;
            s = ct_model_tensor(r->model, k, &name, &v);
            if (s == CT_OK)
                s = ct_tensor_read(r->ctx, &v, local + i * count);
        }
        if (s == CT_OK)
            s = ct_dp_average(t->dp, local, count, mean);
        for (size_t i = 0; s == CT_OK && i < n; i++) {
            ct_trainer *r = replica(t, i);
            ct_tensor v;
            s = ct_model_tensor(r->model, k, &name, &v);
            if (s == CT_OK)
                s = ct_tensor_write(r->ctx, &v, mean);
        }
        free(local);
        free(mean);
    }
    return s;
}

/* Where an epoch ends or stops: the replicas agree again. */
static ct_status join_replicas(ct_trainer *t)
{
    if (!t->dp)
        return CT_OK;
    CT_TRY(fold_accumulators(t));
    return sync_replicas(t);
}

static ct_status train_batches(ct_trainer *t, int epoch, const ct_epoch_hooks *h, bool *stopped)
{
    size_t batches = batch_count(t->train.n, t->batch_size);
    bool track = h && h->progress;
    progress_ring ring;
    memset(&ring, 0, sizeof ring);
    ct_status s = CT_OK;
    *stopped = false;
    while (t->epoch_batch < batches) {
        size_t b = t->epoch_batch;
        s = train_batch(t, b, &t->loss, t->metrics);
        if (s != CT_OK) {
            s = ct_fail_context(s, "epoch %d, batch %zu", epoch + 1, b + 1);
            break;
        }
        t->epoch_batch = b + 1;
        if (track) {
            if (ring.pending == CT_PROGRESS_IN_FLIGHT && (s = progress_complete_oldest(t, &ring, batches, h)) != CT_OK)
                break;
            if ((s = progress_enqueue(t, &ring, b + 1)) != CT_OK)
                break;
        }
        /* Asked after every step (the caller counts them); the last step of
         * the epoch ends it anyway. */
        bool stop = h && h->should_stop && h->should_stop(h->user);
        /* Over several ranks all stop together, or the others wait forever. */
        if (spans_ranks(t) && (s = ct_collective_any(stop, &stop)) != CT_OK)
            break;
        if (stop && t->epoch_batch < batches) {
            *stopped = true;
            break;
        }
    }
    while (s == CT_OK && track && ring.pending)
        s = progress_complete_oldest(t, &ring, batches, h);
    progress_drop(&ring);
    return s;
}

ct_status ct_trainer_epoch(ct_trainer *t, int epoch, double *values, const ct_epoch_hooks *hooks, bool *finished)
{
    if (finished)
        *finished = false;
    if (t->epoch != epoch || t->epoch_batch == 0) { /* a fresh epoch, else continue where it stopped */
        t->epoch = epoch;
        t->epoch_batch = 0;
        for (size_t i = 0; i < local_replicas(t); i++) {
            ct_trainer *r = replica(t, i);
            if (t->exp->train.shuffle)
                CT_TRY(load_order(r, epoch));
            CT_TRY(ct_loss_accum_reset(r->ctx, &r->loss));
            if (r->metric_count)
                CT_TRY(ct_metrics_reset(r->ctx, r->metrics));
        }
    }
    bool stopped;
    CT_TRY(train_batches(t, epoch, hooks, &stopped));
    CT_TRY(join_replicas(t));
    if (stopped)
        return ct_context_finish(t->ctx);
    if (holds_first_replica(t)) {
        /* The one read of the epoch's training values. */
        CT_TRY(ct_loss_and_metrics_read(t->ctx, &t->loss, t->metric_count ? t->metrics : NULL, values));
        /* Validation on the first device alone. */
        if (t->validation.n)
            CT_TRY(evaluate_split(t, &t->validation, values + 1 + t->metric_count, NULL));
    }
    if (spans_ranks(t))
        CT_TRY(ct_collective_broadcast(values, t->value_count * sizeof *values, 0));
    if (t->log_learning_rate) {
        /* What Keras' float(optimizer.learning_rate) reads at the epoch's
         * end: with a schedule, its value at the steps taken so far. */
        if (t->schedule)
            CT_TRY(apply_schedule(t));
        values[t->value_count - 1] = ct_optimizer_learning_rate(t->opt);
    }
    t->epoch = epoch + 1;
    t->epoch_batch = 0;
    if (finished)
        *finished = true;
    return CT_OK;
}

/* The first model tensor holding a NaN or infinity (name into `tensor`), if any. */
static ct_status first_nonfinite_tensor(ct_trainer *t, char *tensor, size_t size)
{
    float *host = malloc(ct_model_state_size(t->model) * sizeof *host + sizeof *host);
    if (!host)
        return ct_fail(CT_ERR_NO_MEMORY, "checking the weights");
    ct_status s = ct_model_read_state(t->model, host);
    const float *p = host;
    for (size_t i = 0; s == CT_OK && i < ct_model_tensor_count(t->model); i++) {
        const char *name;
        ct_tensor view;
        s = ct_model_tensor(t->model, i, &name, &view);
        size_t n = s == CT_OK ? ct_tensor_count(&view) : 0;
        for (size_t j = 0; j < n; j++)
            if (!isfinite(p[j])) {
                snprintf(tensor, size, "%s", name);
                free(host);
                return CT_OK;
            }
        p += n;
    }
    free(host);
    return s;
}

ct_status ct_trainer_find_nonfinite(ct_trainer *t, int epoch, ct_nonfinite_step *out)
{
    memset(out, 0, sizeof *out);
    if (t->epoch != epoch || t->epoch_batch != 0)
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "ct_trainer_find_nonfinite: the trainer is not at the start of "
                                                "epoch %d", epoch + 1);
    if (t->exp->train.shuffle)
        CT_TRY(load_order(t, epoch));
    CT_TRY(ct_loss_accum_reset(t->ctx, &t->loss));
    if (t->metric_count)
        CT_TRY(ct_metrics_reset(t->ctx, t->metrics));
    size_t batches = ct_trainer_batches(t);
    for (size_t b = 0; b < batches; b++) {
        CT_TRY(train_batch(t, b, &t->loss, t->metric_count ? t->metrics : NULL));
        t->epoch_batch = b + 1;
        double mean;
        CT_TRY(ct_loss_accum_read(t->ctx, &t->loss, &mean)); /* the running mean stays non-finite once it is */
        out->loss_finite = isfinite(mean);
        CT_TRY(first_nonfinite_tensor(t, out->tensor, sizeof out->tensor));
        if (!out->loss_finite || out->tensor[0]) {
            out->batch = b + 1;
            return CT_OK;
        }
    }
    out->loss_finite = true;
    return CT_OK;
}

/* Enqueues a non-blocking read of t into host; the caller waits once for all. */
static cl_int enqueue_read(ct_context *ctx, const ct_tensor *t, float *host)
{
    return clEnqueueReadBuffer(ct_context_queue(ctx), t->buf, CL_FALSE, t->offset * sizeof(float),
                               ct_tensor_count(t) * sizeof(float), host, 0, NULL, NULL);
}

/* Every model tensor, the optimizer state and the accumulators with one
 * wait for the device: a checkpoint after every epoch must cost little next
 * to a small net's epoch of a millisecond or two. */
static ct_status read_state(ct_trainer *t, ct_trainer_state *out)
{
    cl_int err = CL_SUCCESS;
    float *host = out->model;
    for (size_t i = 0; err == CL_SUCCESS && i < ct_model_tensor_count(t->model); i++) {
        const char *name;
        ct_tensor view;
        CT_TRY(ct_model_tensor(t->model, i, &name, &view));
        err = enqueue_read(t->ctx, &view, host);
        host += ct_tensor_count(&view);
    }
    ct_tensor opt_state = ct_optimizer_state(t->opt);
    if (err == CL_SUCCESS && out->optimizer_floats)
        err = enqueue_read(t->ctx, &opt_state, out->optimizer);
    if (err == CL_SUCCESS)
        err = enqueue_read(t->ctx, &t->loss.sums, out->loss_sums);
    ct_tensor sums = t->metric_count ? ct_metrics_sums(t->metrics) : t->loss.sums;
    if (err == CL_SUCCESS && t->metric_count)
        err = enqueue_read(t->ctx, &sums, out->metric_sums);
    cl_int done = clFinish(ct_context_queue(t->ctx));
    if (err != CL_SUCCESS || done != CL_SUCCESS)
        return ct_cl_fail(err != CL_SUCCESS ? err : done, "reading the training state");
    out->iterations = ct_optimizer_iterations(t->opt);
    out->loss_count = t->loss.count;
    out->metric_samples = t->metric_count ? ct_metrics_samples(t->metrics) : 0;
    return CT_OK;
}

ct_status ct_trainer_save(ct_trainer *t, ct_trainer_state *out)
{
    memset(out, 0, sizeof *out);
    out->epoch = t->epoch;
    out->batch = t->epoch_batch;
    out->order_epoch = t->order_epoch;
    out->dropout_step = ct_model_dropout_step(t->model);
    out->learning_rate = ct_optimizer_learning_rate(t->opt);
    out->model_floats = ct_model_state_size(t->model);
    out->optimizer_floats = ct_optimizer_state_size(t->opt);
    out->model = malloc((out->model_floats ? out->model_floats : 1) * sizeof(float));
    out->optimizer = malloc((out->optimizer_floats ? out->optimizer_floats : 1) * sizeof(float));
    ct_status s = out->model && out->optimizer ? CT_OK : ct_fail(CT_ERR_NO_MEMORY, "checkpoint of %zu floats",
                                                                   out->model_floats + out->optimizer_floats);
    if (s == CT_OK)
        s = read_state(t, out);
    if (s != CT_OK)
        ct_trainer_state_free(out);
    return s;
}

/* st into one replica; with_accumulators false: they start from zero (replica 0 holds the epoch's totals). */
static ct_status load_replica(ct_trainer *t, const ct_trainer_state *st, bool with_accumulators)
{
    if (st->model_floats != ct_model_state_size(t->model))
        return ct_fail(CT_ERR_SHAPE, "the checkpoint's model holds %zu floats, this model %zu", st->model_floats,
                       ct_model_state_size(t->model));
    if (st->optimizer_floats != ct_optimizer_state_size(t->opt))
        return ct_fail(CT_ERR_SHAPE, "the checkpoint's optimizer state holds %zu floats, this optimizer %zu",
                       st->optimizer_floats, ct_optimizer_state_size(t->opt));
    if (st->epoch < 0 || st->batch >= ct_trainer_batches(t) + (st->batch == 0))
        return ct_fail(CT_ERR_PARSE, "the checkpoint's position (epoch %d, batch %llu) is not in an epoch of %zu "
                                     "batches", st->epoch, (unsigned long long)st->batch, ct_trainer_batches(t));
    if (st->batch > 0 && t->exp->train.shuffle && st->order_epoch != st->epoch)
        return ct_fail(CT_ERR_PARSE, "the checkpoint stopped in epoch %d but holds the sample order of epoch %lld",
                       st->epoch + 1, (long long)st->order_epoch);
    CT_TRY(ct_model_write_state(t->model, st->model));
    CT_TRY(ct_optimizer_load(t->ctx, t->opt, st->optimizer, st->iterations));
    CT_TRY(ct_optimizer_set_learning_rate(t->opt, st->learning_rate));
    ct_model_set_dropout_step(t->model, st->dropout_step);
    if (with_accumulators) {
        CT_TRY(ct_tensor_write(t->ctx, &t->loss.sums, st->loss_sums));
        t->loss.count = st->loss_count;
        if (t->metric_count)
            CT_TRY(ct_metrics_load(t->ctx, t->metrics, st->metric_sums, st->metric_samples));
    } else {
        CT_TRY(ct_loss_accum_reset(t->ctx, &t->loss));
        if (t->metric_count)
            CT_TRY(ct_metrics_reset(t->ctx, t->metrics));
    }
    if (st->batch > 0 && t->exp->train.shuffle)
        CT_TRY(load_order(t, st->order_epoch));
    t->epoch = st->epoch;
    t->epoch_batch = (size_t)st->batch;
    return ct_context_finish(t->ctx);
}

ct_status ct_trainer_load(ct_trainer *t, const ct_trainer_state *st)
{
    for (size_t i = 0; i < local_replicas(t); i++)
        CT_TRY(load_replica(replica(t, i), st, holds_first_replica(t) && i == 0));
    return CT_OK;
}

void ct_trainer_state_free(ct_trainer_state *st)
{
    free(st->model);
    free(st->optimizer);
    st->model = st->optimizer = NULL;
}

double ct_trainer_learning_rate(const ct_trainer *t)
{
    return ct_optimizer_learning_rate(t->opt);
}

ct_status ct_trainer_set_learning_rate(ct_trainer *t, double learning_rate)
{
    if (t->schedule)
        return ct_fail(CT_ERR_CONFIG, "the learning rate follows train.learning_rate_schedule and cannot be set");
    for (size_t i = 0; i < local_replicas(t); i++)
        CT_TRY(ct_optimizer_set_learning_rate(replica(t, i)->opt, learning_rate));
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

const float *ct_trainer_snapshot_data(const ct_trainer *t) { return t->snapshot; }

ct_status ct_trainer_set_snapshot(ct_trainer *t, const float *state)
{
    size_t n = ct_model_state_size(t->model);
    if (!t->snapshot && !(t->snapshot = malloc(n * sizeof(float))))
        return ct_fail(CT_ERR_NO_MEMORY, "weights snapshot");
    memcpy(t->snapshot, state, n * sizeof(float));
    return CT_OK;
}

ct_status ct_trainer_restore(ct_trainer *t)
{
    if (!t->snapshot)
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "no weights snapshot to restore");
    for (size_t i = 0; i < local_replicas(t); i++)
        CT_TRY(ct_model_write_state(replica(t, i)->model, t->snapshot));
    return CT_OK;
}

ct_status ct_trainer_create_replicated(ct_context *const *ctxs, size_t local, size_t replicas, size_t first,
                                       const ct_experiment *exp, int in_ndim, const size_t *in_shape,
                                       size_t target_width, const ct_host_split *train,
                                       const ct_host_split *validation, ct_trainer **out)
{
    *out = NULL;
    if (local == 0 || first + local > replicas)
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "replicas %zu..%zu of %zu", first, first + local, replicas);
    ct_trainer *t;
    CT_TRY(ct_trainer_create(ctxs[0], exp, in_ndim, in_shape, target_width, train, validation, &t));
    if (replicas == 1) {
        *out = t;
        return CT_OK;
    }
    ct_status s = CT_OK;
    if (local > 1 && !(t->peers = calloc(local - 1, sizeof *t->peers)))
        s = ct_fail(CT_ERR_NO_MEMORY, "replicas");
    for (size_t i = 1; s == CT_OK && i < local; i++) {
        /* Validation runs on the first device only: the others need none. */
        s = ct_trainer_create(ctxs[i], exp, in_ndim, in_shape, target_width, train, NULL, &t->peers[i - 1]);
        if (s == CT_OK)
            t->peer_count++;
        else
            s = ct_fail_context(s, "replica %zu (%s)", first + i, ct_context_device(ctxs[i])->name);
    }
    if (s == CT_OK)
        s = ct_dp_exchange_create(replicas, local, first, ct_param_arena_used(ct_model_arena(t->model)), &t->dp);
    /* The same seed initialises every replica alike; copying the first's
     * weights makes sure of it. */
    float *state = NULL;
    if (s == CT_OK && t->peer_count &&
        !(state = malloc((ct_model_state_size(t->model) ? ct_model_state_size(t->model) : 1) * sizeof *state)))
        s = ct_fail(CT_ERR_NO_MEMORY, "initial weights");
    if (s == CT_OK && state)
        s = ct_model_read_state(t->model, state);
    for (size_t i = 0; s == CT_OK && i < t->peer_count; i++)
        s = ct_model_write_state(t->peers[i]->model, state);
    free(state);
    if (s != CT_OK) {
        ct_trainer_free(t);
        return s;
    }
    *out = t;
    return CT_OK;
}

size_t ct_trainer_replicas(const ct_trainer *t) { return t->dp ? ct_dp_replicas(t->dp) : 1; }

ct_status ct_trainer_share_state(ct_trainer *t)
{
    if (!t->dp)
        return CT_OK;
    ct_trainer_state st;
    memset(&st, 0, sizeof st);
    bool root = holds_first_replica(t);
    ct_status s = root ? ct_trainer_save(t, &st) : CT_OK;
    if (spans_ranks(t)) {
        /* The fixed part first (its pointers are meaningless elsewhere), then the arrays. */
        if (s == CT_OK)
            s = ct_collective_broadcast(&st, sizeof st, 0);
        if (s == CT_OK && !root) {
            st.model = malloc((st.model_floats ? st.model_floats : 1) * sizeof(float));
            st.optimizer = malloc((st.optimizer_floats ? st.optimizer_floats : 1) * sizeof(float));
            if (!st.model || !st.optimizer)
                s = ct_fail(CT_ERR_NO_MEMORY, "the training state from rank 0");
        }
        if (s == CT_OK)
            s = ct_collective_broadcast(st.model, st.model_floats * sizeof(float), 0);
        if (s == CT_OK)
            s = ct_collective_broadcast(st.optimizer, st.optimizer_floats * sizeof(float), 0);
    }
    /* Replica 0 keeps its own (and the epoch's accumulators). */
    for (size_t i = root ? 1 : 0; s == CT_OK && i < local_replicas(t); i++)
        s = load_replica(replica(t, i), &st, false);
    ct_trainer_state_free(&st);
    return s;
}
