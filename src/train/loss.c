/* Losses: names, the loss accumulator and the launcher for cl/loss.cl. */
#include "cltrain/loss.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>

#include "train/loss_internal.h"
#include "core/launch.h"
#include "core/launch_groups.h"

/* ------------------------------------------------------------------ helpers */

int ct_name_matches(const char *given, const char *canonical)
{
    const char *a = given, *b = canonical;
    for (;;) {
        while (*a == '_')
            a++;
        while (*b == '_')
            b++;
        if (!*a || !*b)
            return !*a && !*b;
        if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
            return 0;
        a++, b++;
    }
}

double ct_kahan_value(float sum, float compensation)
{
    if (!isfinite(sum))
        return sum;
    return (double)sum - (double)compensation;
}

ct_status ct_batch_dims(const char *what, const ct_tensor *pred, size_t *rows, size_t *classes)
{
    size_t count = ct_tensor_count(pred);
    if (!pred->buf || count == 0)
        return ct_fail(CT_ERR_SHAPE, "%s: the predictions are empty", what);
    *rows = pred->shape[0];
    *classes = count / *rows;
    if (count > UINT32_MAX)
        return ct_fail(CT_ERR_SHAPE, "%s: %zu predictions are more than one launch handles (2^32)", what, count);
    return CT_OK;
}

static size_t pow2_floor(size_t n)
{
    size_t p = 1;
    while (p * 2 <= n)
        p *= 2;
    return p;
}

ct_status ct_launch_one_group(ct_context *ctx, cl_kernel k, cl_uint scratch_arg, size_t rows, const char *name)
{
    size_t local = ct_nn_fixed_group(ctx, k); /* CPUs: one size, one compile */
    if (local == 0) {
        size_t limit = ct_launch_group_limit(ctx, k);
        local = pow2_floor(limit < 256 ? limit : 256);
        while (local > 1 && local / 2 >= rows) /* a batch of 5 needs no 256 work-items */
            local /= 2;
    }
    cl_int err = clSetKernelArg(k, scratch_arg, local * sizeof(float), NULL);
    if (err != CL_SUCCESS)
        return ct_args_ok(err, name);
    return ct_launch(ctx, k, 1, &local, &local, name); /* one work-group */
}

/* -------------------------------------------------------------------- names */

ct_status ct_kind_from_name(const char *what, const char *name, const ct_name_table *t, int *kind)
{
    if (!name)
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "%s name is NULL", what);
    for (int k = 0; k < t->count; k++)
        for (int which = 0; t->names(k, which); which++)
            if (ct_name_matches(name, t->names(k, which))) {
                *kind = k;
                return CT_OK;
            }
    for (size_t i = 0; i < t->alias_count; i++)
        if (ct_name_matches(name, t->aliases[i].name)) {
            *kind = t->aliases[i].kind;
            return CT_OK;
        }
    return ct_fail(CT_ERR_NOT_FOUND, "unknown %s '%s' (known: %s)", what, name, t->known);
}

/* Besides ct_loss_name(); underscores are ignored, so Keras' class names
 * ("MeanSquaredError", "BinaryCrossentropy") match too. */
static const ct_name_alias loss_aliases[] = {
    {"mean_squared_error", CT_LOSS_MSE},
    {"mean_absolute_error", CT_LOSS_MAE},
};

static const char *loss_names(int kind, int which)
{
    return which == 0 ? ct_loss_name((ct_loss)kind) : NULL;
}

ct_status ct_loss_from_name(const char *name, ct_loss *out)
{
    static const ct_name_table table = {
        CT_LOSS_COUNT, loss_names, loss_aliases, sizeof loss_aliases / sizeof loss_aliases[0],
        "mse, mae, binary_crossentropy, categorical_crossentropy, sparse_categorical_crossentropy"};
    int kind;
    CT_TRY(ct_kind_from_name("loss", name, &table, &kind));
    *out = (ct_loss)kind;
    return CT_OK;
}

int ct_loss_has_from_logits(ct_loss loss)
{
    return loss == CT_LOSS_BINARY_CROSSENTROPY || loss == CT_LOSS_CATEGORICAL_CROSSENTROPY ||
           loss == CT_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY;
}

int ct_loss_sparse_targets(ct_loss loss)
{
    return loss == CT_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY;
}

/* -------------------------------------------------------------- accumulator */

ct_status ct_loss_accum_create(ct_context *ctx, ct_loss_accum *out)
{
    size_t two = 2;
    out->count = 0;
    return ct_tensor_zeros(ctx, 1, &two, &out->sums);
}

ct_status ct_loss_accum_reset(ct_context *ctx, ct_loss_accum *acc)
{
    float zero = 0.0f;
    cl_int err = clEnqueueFillBuffer(ct_context_queue(ctx), acc->sums.buf, &zero, sizeof zero,
                                     acc->sums.offset * sizeof(float), 2 * sizeof(float), 0, NULL, NULL);
    if (err != CL_SUCCESS)
        return ct_cl_fail(err, "resetting the loss accumulator");
    acc->count = 0;
    return CT_OK;
}

ct_status ct_loss_accum_read(ct_context *ctx, const ct_loss_accum *acc, double *mean)
{
    float sums[2];
    CT_TRY(ct_tensor_read(ctx, &acc->sums, sums));
    *mean = acc->count ? ct_kahan_value(sums[0], sums[1]) / (double)acc->count : 0.0;
    return CT_OK;
}

void ct_loss_accum_release(ct_loss_accum *acc)
{
    ct_tensor_release(&acc->sums);
    acc->count = 0;
}

/* ------------------------------------------------------------------ launcher */

static ct_status check_loss_shapes(ct_loss loss, int from_logits, const ct_tensor *pred, const ct_tensor *target,
                                   const ct_tensor *dpred, size_t *rows, size_t *classes)
{
    const char *name = ct_loss_name(loss);
    if ((unsigned)loss >= CT_LOSS_COUNT)
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "loss: unknown loss %d", (int)loss);
    if (from_logits && !ct_loss_has_from_logits(loss))
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "%s: from_logits applies to the crossentropy losses only", name);
    CT_TRY(ct_batch_dims(name, pred, rows, classes));
    char sp[96], st[96];
    size_t want = ct_loss_sparse_targets(loss) ? *rows : ct_tensor_count(pred);
    if (!target->buf || ct_tensor_count(target) != want)
        return ct_fail(CT_ERR_SHAPE, "%s: predictions %s need %s targets, got %s", name,
                       ct_shape_str(pred->ndim, pred->shape, sp, sizeof sp),
                       ct_loss_sparse_targets(loss) ? "one class id per sample as" : "the same number of",
                       ct_shape_str(target->ndim, target->shape, st, sizeof st));
    if (dpred && ct_tensor_count(dpred) != ct_tensor_count(pred))
        return ct_fail(CT_ERR_SHAPE, "%s: the gradient %s must be shaped like the predictions %s", name,
                       ct_shape_str(dpred->ndim, dpred->shape, st, sizeof st),
                       ct_shape_str(pred->ndim, pred->shape, sp, sizeof sp));
    return CT_OK;
}

ct_status ct_loss_launch(ct_context *ctx, ct_loss loss, int from_logits, const ct_loss_options *options,
                         const ct_tensor *pred, const ct_tensor *target, ct_tensor *dpred, ct_loss_accum *acc,
                         const ct_metric_args *metrics)
{
    double label_smoothing = options ? options->label_smoothing : 0.0;
    const ct_tensor *class_weights = options && options->class_weights && options->class_weights->buf
                                         ? options->class_weights
                                         : NULL;
    if (!(label_smoothing >= 0 && label_smoothing <= 1))
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "label_smoothing must be in [0, 1], got %g", label_smoothing);
    if (label_smoothing > 0 && loss != CT_LOSS_BINARY_CROSSENTROPY && loss != CT_LOSS_CATEGORICAL_CROSSENTROPY)
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "label_smoothing applies to binary_crossentropy and "
                       "categorical_crossentropy, not %s", ct_loss_name(loss));
    size_t rows = 0, classes = 0;
    CT_TRY(check_loss_shapes(loss, from_logits, pred, target, dpred, &rows, &classes));
    cl_uint n_metrics = metrics ? metrics->count : 0;
    if (!dpred && !acc && !n_metrics)
        return CT_OK; /* nothing asked for */
    cl_kernel k;
    CT_TRY(ct_context_kernel(ctx, "loss", "loss_forward_backward", &k));
    /* Unused outputs still need a valid buffer argument; the kernel skips them. */
    const ct_tensor *grad_arg = dpred ? dpred : pred;
    const ct_tensor *acc_arg = acc ? &acc->sums : pred;
    const ct_tensor *metric_arg = n_metrics ? metrics->sums : pred;
    cl_int kind = (cl_int)loss, logits = from_logits ? 1 : 0, write_grad = dpred != NULL, accumulate = acc != NULL;
    cl_uint n = (cl_uint)rows, c = (cl_uint)classes, kinds = n_metrics ? metrics->kinds : 0, i = 0;
    cl_float threshold = CT_BINARY_ACCURACY_THRESHOLD;
    cl_float smoothing = (float)label_smoothing;
    cl_uint n_class_weights = class_weights ? (cl_uint)ct_tensor_count(class_weights) : 0;
    cl_int err = CT_ARG(k, i++, kind);
    err |= CT_ARG(k, i++, logits);
    err |= CT_ARG(k, i++, smoothing);
    err |= CT_ARG(k, i++, n);
    err |= CT_ARG(k, i++, c);
    err |= ct_arg_tensor(k, &i, class_weights ? class_weights : pred); /* unused when n_class_weights is 0 */
    err |= CT_ARG(k, i++, n_class_weights);
    err |= ct_arg_tensor(k, &i, pred);
    err |= ct_arg_tensor(k, &i, target);
    err |= CT_ARG(k, i++, write_grad);
    err |= ct_arg_tensor(k, &i, grad_arg);
    err |= CT_ARG(k, i++, accumulate);
    err |= ct_arg_tensor(k, &i, acc_arg);
    err |= CT_ARG(k, i++, n_metrics);
    err |= CT_ARG(k, i++, kinds);
    err |= CT_ARG(k, i++, threshold);
    err |= ct_arg_tensor(k, &i, metric_arg);
    CT_TRY(ct_args_ok(err, "loss_forward_backward"));
    CT_TRY(ct_launch_one_group(ctx, k, i, rows, "loss_forward_backward"));
    if (acc)
        acc->count += rows;
    return CT_OK;
}

ct_status ct_loss_forward_backward(ct_context *ctx, ct_loss loss, int from_logits, const ct_tensor *pred,
                                   const ct_tensor *target, ct_tensor *dpred, ct_loss_accum *acc)
{
    return ct_loss_launch(ctx, loss, from_logits, NULL, pred, target, dpred, acc, NULL);
}

ct_status ct_loss_regularize(ct_context *ctx, const ct_tensor *weights, ct_tensor *grads, double l1, double l2,
                             ct_loss_accum *acc, size_t rows)
{
    if (!(l1 >= 0) || !(l2 >= 0) || isinf(l1) || isinf(l2))
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "regularizer: l1 and l2 must be finite and >= 0, got %g and %g", l1,
                       l2);
    if (grads && ct_tensor_count(grads) != ct_tensor_count(weights))
        return ct_fail(CT_ERR_SHAPE, "regularizer: %zu gradients for %zu weights", ct_tensor_count(grads),
                       ct_tensor_count(weights));
    if ((!grads && !acc) || ct_tensor_count(weights) == 0)
        return CT_OK;
    cl_kernel k;
    CT_TRY(ct_context_kernel(ctx, "loss", "regularize", &k));
    cl_ulong n = ct_tensor_count(weights);
    cl_float a = (float)l1, b = (float)l2;
    cl_int write_grad = grads != NULL, accumulate = acc != NULL;
    cl_uint r = (cl_uint)rows, i = 0;
    cl_int err = CT_ARG(k, i++, n);
    err |= ct_arg_tensor(k, &i, weights);
    err |= ct_arg_tensor(k, &i, grads ? grads : weights); /* not written when write_grad is 0 */
    err |= CT_ARG(k, i++, a);
    err |= CT_ARG(k, i++, b);
    err |= CT_ARG(k, i++, write_grad);
    err |= CT_ARG(k, i++, accumulate);
    err |= ct_arg_tensor(k, &i, acc ? &acc->sums : weights);
    err |= CT_ARG(k, i++, r);
    CT_TRY(ct_args_ok(err, "regularize"));
    return ct_launch_one_group(ctx, k, i, (size_t)n, "regularize");
}
