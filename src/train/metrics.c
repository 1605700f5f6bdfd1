/* Metrics accumulated on the device, read once per epoch (cl/loss.cl). */
#include "cltrain/loss.h"

#include <math.h>
#include <stdlib.h>

#include "train/loss_internal.h"
#include "core/launch.h"

struct ct_metric_state {
    size_t count;
    ct_metric kinds[CT_METRICS_MAX]; /* resolved */
    size_t classes;
    int sparse_targets;
    ct_tensor sums;   /* device: (sum, compensation) per metric */
    uint64_t samples; /* since the last reset */
};

/* Besides ct_metric_name() and ct_metric_keras_name(). */
static const ct_name_alias metric_aliases[] = {
    {"acc", CT_METRIC_ACCURACY},
};

static const char *metric_names(int kind, int which)
{
    if (which == 0)
        return ct_metric_name((ct_metric)kind);
    return which == 1 ? ct_metric_keras_name((ct_metric)kind) : NULL;
}

ct_status ct_metric_from_name(const char *name, ct_metric *out)
{
    static const ct_name_table table = {
        CT_METRIC_COUNT, metric_names, metric_aliases, sizeof metric_aliases / sizeof metric_aliases[0],
        "rmse, mse, mae, accuracy, binary_accuracy, categorical_accuracy, sparse_categorical_accuracy"};
    int kind;
    CT_TRY(ct_kind_from_name("metric", name, &table, &kind));
    *out = (ct_metric)kind;
    return CT_OK;
}

/* keras/src/trainers/compile_utils.py get_metric(): binary first, then sparse. */
ct_metric ct_metric_resolve(ct_metric metric, size_t output_units, int sparse_targets)
{
    if (metric != CT_METRIC_ACCURACY)
        return metric;
    if (output_units == 1)
        return CT_METRIC_BINARY_ACCURACY;
    return sparse_targets ? CT_METRIC_SPARSE_CATEGORICAL_ACCURACY : CT_METRIC_CATEGORICAL_ACCURACY;
}

static ct_status check_metric_targets(ct_metric kind, int sparse_targets)
{
    int wants_sparse = kind == CT_METRIC_SPARSE_CATEGORICAL_ACCURACY;
    if (wants_sparse == !!sparse_targets)
        return CT_OK;
    if (wants_sparse)
        return ct_fail(CT_ERR_CONFIG, "sparse_categorical_accuracy needs class-id targets (a sparse loss)");
    return ct_fail(CT_ERR_CONFIG, "%s needs targets shaped like the predictions, but the targets are class ids",
                   ct_metric_name(kind));
}

ct_status ct_metrics_create(ct_context *ctx, const ct_metric *metrics, size_t count, size_t output_units,
                            int sparse_targets, ct_metric_state **out)
{
    *out = NULL;
    if (count > CT_METRICS_MAX)
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "metrics: %zu metrics, at most %d", count, CT_METRICS_MAX);
    if (output_units == 0)
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "metrics: the model has no output units");
    ct_metric_state *s = calloc(1, sizeof *s);
    if (!s)
        return ct_fail(CT_ERR_NO_MEMORY, "metric state");
    s->count = count;
    s->classes = output_units;
    s->sparse_targets = sparse_targets ? 1 : 0;
    for (size_t i = 0; i < count; i++) {
        if ((unsigned)metrics[i] >= CT_METRIC_COUNT) {
            free(s);
            return ct_fail(CT_ERR_INVALID_ARGUMENT, "metrics: unknown metric %d", (int)metrics[i]);
        }
        s->kinds[i] = ct_metric_resolve(metrics[i], output_units, sparse_targets);
        ct_status st = check_metric_targets(s->kinds[i], sparse_targets);
        if (st != CT_OK) {
            free(s);
            return st;
        }
    }
    size_t floats = 2 * (count ? count : 1);
    ct_status st = ct_tensor_zeros(ctx, 1, &floats, &s->sums);
    if (st != CT_OK) {
        free(s);
        return st;
    }
    *out = s;
    return CT_OK;
}

void ct_metrics_destroy(ct_metric_state *state)
{
    if (!state)
        return;
    ct_tensor_release(&state->sums);
    free(state);
}

size_t ct_metrics_count(const ct_metric_state *state)
{
    return state->count;
}

ct_metric ct_metrics_kind(const ct_metric_state *state, size_t i)
{
    return state->kinds[i];
}

ct_status ct_metrics_reset(ct_context *ctx, ct_metric_state *state)
{
    float zero = 0.0f;
    cl_int err = clEnqueueFillBuffer(ct_context_queue(ctx), state->sums.buf, &zero, sizeof zero, 0,
                                     ct_tensor_count(&state->sums) * sizeof(float), 0, NULL, NULL);
    if (err != CL_SUCCESS)
        return ct_cl_fail(err, "resetting the metric accumulators");
    state->samples = 0;
    return CT_OK;
}

static ct_status check_update_shapes(const ct_metric_state *s, const ct_tensor *pred, const ct_tensor *target,
                                     size_t *rows)
{
    size_t classes;
    CT_TRY(ct_batch_dims("metrics", pred, rows, &classes));
    char sp[96], st[96];
    if (classes != s->classes)
        return ct_fail(CT_ERR_SHAPE, "metrics: predictions %s have %zu values per sample, the metrics expect %zu",
                       ct_shape_str(pred->ndim, pred->shape, sp, sizeof sp), classes, s->classes);
    size_t want = s->sparse_targets ? *rows : ct_tensor_count(pred);
    if (!target->buf || ct_tensor_count(target) != want)
        return ct_fail(CT_ERR_SHAPE, "metrics: predictions %s need %s targets, got %s",
                       ct_shape_str(pred->ndim, pred->shape, sp, sizeof sp),
                       s->sparse_targets ? "one class id per sample as" : "the same number of",
                       ct_shape_str(target->ndim, target->shape, st, sizeof st));
    return CT_OK;
}

static cl_uint packed_kinds(const ct_metric_state *state)
{
    cl_uint kinds = 0;
    for (size_t m = 0; m < state->count; m++)
        kinds |= (cl_uint)state->kinds[m] << (4 * m);
    return kinds;
}

ct_status ct_metrics_update(ct_context *ctx, ct_metric_state *state, const ct_tensor *pred, const ct_tensor *target)
{
    size_t rows;
    CT_TRY(check_update_shapes(state, pred, target, &rows));
    if (state->count == 0)
        return CT_OK;
    cl_kernel k;
    CT_TRY(ct_context_kernel(ctx, "loss", "metrics_update", &k));
    cl_uint kinds = packed_kinds(state);
    cl_uint n_metrics = (cl_uint)state->count, n = (cl_uint)rows, c = (cl_uint)state->classes;
    cl_uint target_stride = state->sparse_targets ? 1 : c, i = 0;
    cl_float threshold = CT_BINARY_ACCURACY_THRESHOLD;
    cl_int err = CT_ARG(k, i++, n_metrics);
    err |= CT_ARG(k, i++, kinds);
    err |= CT_ARG(k, i++, threshold);
    err |= CT_ARG(k, i++, n);
    err |= CT_ARG(k, i++, c);
    err |= CT_ARG(k, i++, target_stride);
    err |= ct_arg_tensor(k, &i, pred);
    err |= ct_arg_tensor(k, &i, target);
    err |= ct_arg_tensor(k, &i, &state->sums);
    CT_TRY(ct_args_ok(err, "metrics_update"));
    CT_TRY(ct_launch_one_group(ctx, k, i, rows, "metrics_update"));
    state->samples += rows;
    return CT_OK;
}

ct_status ct_loss_and_metrics(ct_context *ctx, ct_loss loss, int from_logits, const ct_tensor *pred,
                              const ct_tensor *target, ct_tensor *dpred, ct_loss_accum *acc, ct_metric_state *metrics)
{
    return ct_loss_and_metrics_ex(ctx, loss, from_logits, NULL, pred, target, dpred, acc, metrics);
}

ct_status ct_loss_and_metrics_ex(ct_context *ctx, ct_loss loss, int from_logits, const ct_loss_options *options,
                                 const ct_tensor *pred, const ct_tensor *target, ct_tensor *dpred, ct_loss_accum *acc,
                                 ct_metric_state *metrics)
{
    if (!metrics || metrics->count == 0)
        return ct_loss_launch(ctx, loss, from_logits, options, pred, target, dpred, acc, NULL);
    if (metrics->sparse_targets != ct_loss_sparse_targets(loss))
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "%s takes %s targets but the metrics were made for %s targets",
                       ct_loss_name(loss), ct_loss_sparse_targets(loss) ? "class-id" : "dense",
                       metrics->sparse_targets ? "class-id" : "dense");
    size_t rows;
    CT_TRY(check_update_shapes(metrics, pred, target, &rows));
    ct_metric_args args = {(cl_uint)metrics->count, packed_kinds(metrics), &metrics->sums};
    CT_TRY(ct_loss_launch(ctx, loss, from_logits, options, pred, target, dpred, acc, &args));
    metrics->samples += rows;
    return CT_OK;
}

/* metrics->sums -> values; sums as read from the device. */
void ct_metrics_values(const ct_metric_state *state, const float *sums, uint64_t samples, double *values)
{
    for (size_t m = 0; m < state->count; m++) {
        double mean = samples ? ct_kahan_value(sums[2 * m], sums[2 * m + 1]) / (double)samples : 0.0;
        values[m] = state->kinds[m] == CT_METRIC_RMSE ? sqrt(mean) : mean;
    }
}

static void metric_values(const ct_metric_state *state, const float *sums, double *values)
{
    ct_metrics_values(state, sums, state->samples, values);
}

uint64_t ct_metrics_samples(const ct_metric_state *state) { return state->samples; }

ct_tensor ct_metrics_sums(const ct_metric_state *state)
{
    ct_tensor view = state->sums;
    view.owns = 0;
    return view;
}

ct_status ct_metrics_load(ct_context *ctx, ct_metric_state *state, const float *sums, uint64_t samples)
{
    state->samples = samples;
    return state->count ? ct_tensor_write(ctx, &state->sums, sums) : CT_OK;
}

ct_status ct_metrics_read(ct_context *ctx, const ct_metric_state *state, double *values)
{
    if (state->count == 0)
        return CT_OK;
    float sums[2 * CT_METRICS_MAX];
    CT_TRY(ct_tensor_read(ctx, &state->sums, sums));
    metric_values(state, sums, values);
    return CT_OK;
}

ct_status ct_loss_and_metrics_read(ct_context *ctx, const ct_loss_accum *acc, const ct_metric_state *metrics,
                                   double *values)
{
    if (!metrics || metrics->count == 0)
        return ct_loss_accum_read(ctx, acc, &values[0]);
    /* The loss sums without waiting, then the metric sums with: the queue is
     * in order, so when the second read returns the first is done too. */
    float loss_sums[2], sums[2 * CT_METRICS_MAX];
    cl_int err = clEnqueueReadBuffer(ct_context_queue(ctx), acc->sums.buf, CL_FALSE, acc->sums.offset * sizeof(float),
                                     sizeof loss_sums, loss_sums, 0, NULL, NULL);
    if (err != CL_SUCCESS)
        return ct_cl_fail(err, "reading the loss accumulator");
    CT_TRY(ct_tensor_read(ctx, &metrics->sums, sums));
    values[0] = acc->count ? ct_kahan_value(loss_sums[0], loss_sums[1]) / (double)acc->count : 0.0;
    metric_values(metrics, sums, values + 1);
    return CT_OK;
}
