/* Launchers for cl/batchnorm.cl. */
#include "cltrain/ops_nn.h"

#include "core/launch_groups.h"

static const ct_batchnorm_params KERAS_DEFAULTS = {CT_BATCHNORM_MOMENTUM, CT_BATCHNORM_EPSILON};

/* Each per-feature tensor must hold one value per column of x. */
static ct_status check_per_feature(const char *op, const char *what, const ct_tensor *t, size_t cols)
{
    if (!t)
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "%s: %s missing", op, what);
    if (ct_tensor_count(t) == cols)
        return CT_OK;
    char s[96];
    return ct_fail(CT_ERR_SHAPE, "%s: %s %s should hold %zu values, one per feature of the last axis", op, what,
                   ct_shape_str(t->ndim, t->shape, s, sizeof s), cols);
}

static ct_status check_saved(const char *op, const ct_tensor *saved, size_t cols)
{
    if (saved && ct_tensor_count(saved) == 2 * cols)
        return CT_OK;
    if (!saved)
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "%s: the saved-statistics workspace is missing", op);
    char s[96];
    return ct_fail(CT_ERR_SHAPE, "%s: saved statistics %s should be (2, %zu)", op,
                   ct_shape_str(saved->ndim, saved->shape, s, sizeof s), cols);
}

static ct_status check_epsilon(const char *op, const ct_batchnorm_params *p)
{
    if (p->epsilon > 0.0f)
        return CT_OK;
    return ct_fail(CT_ERR_INVALID_ARGUMENT, "%s: epsilon %g must be positive", op, (double)p->epsilon);
}

/* The tensor arguments of a column kernel after its scalars (arguments
 * [0, i) are set, err their status so far), then the launch: one work-group
 * per column block (core/launch_groups.h). */
static ct_status launch_columns(ct_context *ctx, cl_kernel k, cl_uint i, cl_int err, const ct_tensor *const *tensors,
                                size_t count, size_t rows, size_t cols, const char *name)
{
    for (size_t t = 0; t < count; t++)
        err |= ct_arg_tensor(k, &i, tensors[t]);
    CT_TRY(ct_args_ok(err, name));
    return ct_nn_launch_columns(ctx, k, i, rows, cols, name);
}

ct_status ct_batchnorm_forward_train(ct_context *ctx, const ct_batchnorm_params *p, const ct_tensor *x,
                                     const ct_tensor *gamma, const ct_tensor *beta, ct_tensor *moving_mean,
                                     ct_tensor *moving_variance, ct_tensor *saved, ct_tensor *y)
{
    const char *op = "batch normalisation (training)";
    if (!p)
        p = &KERAS_DEFAULTS;
    CT_TRY(check_epsilon(op, p));
    size_t rows, cols;
    ct_nn_rows_cols(x, &rows, &cols);
    CT_TRY(ct_same_count(op, x, y));
    CT_TRY(check_per_feature(op, "gamma", gamma, cols));
    CT_TRY(check_per_feature(op, "beta", beta, cols));
    CT_TRY(check_per_feature(op, "moving_mean", moving_mean, cols));
    CT_TRY(check_per_feature(op, "moving_variance", moving_variance, cols));
    CT_TRY(check_saved(op, saved, cols));
    cl_kernel k;
    CT_TRY(ct_context_kernel(ctx, "batchnorm", "bn_forward_train", &k));
    cl_ulong r = rows, c = cols;
    /* 1 - momentum in double, as Keras computes it from the Python float. */
    cl_float momentum = p->momentum, one_minus = (float)(1.0 - (double)p->momentum), eps = p->epsilon;
    cl_uint i = 0;
    cl_int err = CT_ARG(k, i++, r);
    err |= CT_ARG(k, i++, c);
    err |= CT_ARG(k, i++, momentum);
    err |= CT_ARG(k, i++, one_minus);
    err |= CT_ARG(k, i++, eps);
    const ct_tensor *tensors[] = {x, gamma, beta, moving_mean, moving_variance, saved, y};
    return launch_columns(ctx, k, i, err, tensors, sizeof tensors / sizeof tensors[0], rows, cols, "bn_forward_train");
}

ct_status ct_batchnorm_forward_inference(ct_context *ctx, const ct_batchnorm_params *p, const ct_tensor *x,
                                         const ct_tensor *gamma, const ct_tensor *beta,
                                         const ct_tensor *moving_mean, const ct_tensor *moving_variance, ct_tensor *y)
{
    const char *op = "batch normalisation (inference)";
    if (!p)
        p = &KERAS_DEFAULTS;
    CT_TRY(check_epsilon(op, p));
    size_t rows, cols;
    ct_nn_rows_cols(x, &rows, &cols);
    CT_TRY(ct_same_count(op, x, y));
    CT_TRY(check_per_feature(op, "gamma", gamma, cols));
    CT_TRY(check_per_feature(op, "beta", beta, cols));
    CT_TRY(check_per_feature(op, "moving_mean", moving_mean, cols));
    CT_TRY(check_per_feature(op, "moving_variance", moving_variance, cols));
    cl_kernel k;
    CT_TRY(ct_context_kernel(ctx, "batchnorm", "bn_forward_inference", &k));
    cl_ulong r = rows, c = cols;
    cl_float eps = p->epsilon;
    cl_uint i = 0;
    cl_int err = CT_ARG(k, i++, r);
    err |= CT_ARG(k, i++, c);
    err |= CT_ARG(k, i++, eps);
    err |= ct_arg_tensor(k, &i, x);
    err |= ct_arg_tensor(k, &i, gamma);
    err |= ct_arg_tensor(k, &i, beta);
    err |= ct_arg_tensor(k, &i, moving_mean);
    err |= ct_arg_tensor(k, &i, moving_variance);
    err |= ct_arg_tensor(k, &i, y);
    CT_TRY(ct_args_ok(err, "bn_forward_inference"));
    size_t global[2] = {cols, rows};
    return ct_launch_nd(ctx, k, 2, global, "bn_forward_inference");
}

/* Both backward modes: statistics as (mean, inv_std) or (mean, variance). */
static ct_status bn_backward(ct_context *ctx, const char *op, int training, float epsilon, const ct_tensor *x,
                             const ct_tensor *gamma, const ct_tensor *mean, const ct_tensor *spread,
                             const ct_tensor *dy, ct_tensor *dx, ct_tensor *dgamma, ct_tensor *dbeta)
{
    size_t rows, cols;
    ct_nn_rows_cols(x, &rows, &cols);
    CT_TRY(ct_same_count(op, x, dy));
    CT_TRY(ct_same_count(op, x, dx));
    CT_TRY(check_per_feature(op, "gamma", gamma, cols));
    CT_TRY(check_per_feature(op, "dgamma", dgamma, cols));
    CT_TRY(check_per_feature(op, "dbeta", dbeta, cols));
    cl_kernel k;
    CT_TRY(ct_context_kernel(ctx, "batchnorm", "bn_backward", &k));
    cl_ulong r = rows, c = cols;
    cl_int train = training, stats_are_variance = !training;
    cl_float eps = epsilon;
    cl_uint i = 0;
    cl_int err = CT_ARG(k, i++, r);
    err |= CT_ARG(k, i++, c);
    err |= CT_ARG(k, i++, train);
    err |= CT_ARG(k, i++, stats_are_variance);
    err |= CT_ARG(k, i++, eps);
    const ct_tensor *tensors[] = {x, gamma, mean, spread, dy, dx, dgamma, dbeta};
    return launch_columns(ctx, k, i, err, tensors, sizeof tensors / sizeof tensors[0], rows, cols, "bn_backward");
}

ct_status ct_batchnorm_backward_train(ct_context *ctx, const ct_tensor *x, const ct_tensor *gamma,
                                      const ct_tensor *saved, const ct_tensor *dy, ct_tensor *dx, ct_tensor *dgamma,
                                      ct_tensor *dbeta)
{
    const char *op = "batch normalisation backward (training)";
    size_t rows, cols;
    ct_nn_rows_cols(x, &rows, &cols);
    CT_TRY(check_saved(op, saved, cols));
    /* saved is (2, C): row 0 the batch mean, row 1 inv_std. */
    size_t shape[1] = {cols};
    ct_tensor mean, inv_std;
    CT_TRY(ct_tensor_view(saved, 0, 1, shape, &mean));
    CT_TRY(ct_tensor_view(saved, cols, 1, shape, &inv_std));
    return bn_backward(ctx, op, 1, 0.0f, x, gamma, &mean, &inv_std, dy, dx, dgamma, dbeta);
}

ct_status ct_batchnorm_backward_inference(ct_context *ctx, const ct_batchnorm_params *p, const ct_tensor *x,
                                          const ct_tensor *gamma, const ct_tensor *moving_mean,
                                          const ct_tensor *moving_variance, const ct_tensor *dy, ct_tensor *dx,
                                          ct_tensor *dgamma, ct_tensor *dbeta)
{
    const char *op = "batch normalisation backward (inference)";
    if (!p)
        p = &KERAS_DEFAULTS;
    CT_TRY(check_epsilon(op, p));
    size_t rows, cols;
    ct_nn_rows_cols(x, &rows, &cols);
    CT_TRY(check_per_feature(op, "moving_mean", moving_mean, cols));
    CT_TRY(check_per_feature(op, "moving_variance", moving_variance, cols));
    return bn_backward(ctx, op, 0, p->epsilon, x, gamma, moving_mean, moving_variance, dy, dx, dgamma, dbeta);
}
