/* Launchers for cl/elementwise.cl. */
#include "cltrain/ops.h"

#include "core/launch.h"

static ct_status binary(ct_context *ctx, const char *name, const ct_tensor *a, const ct_tensor *b, ct_tensor *y)
{
    CT_TRY(ct_same_count(name, a, b));
    CT_TRY(ct_same_count(name, a, y));
    cl_kernel k;
    CT_TRY(ct_context_kernel(ctx, "elementwise", name, &k));
    cl_ulong n = ct_tensor_count(y);
    cl_uint i = 0;
    cl_int err = clSetKernelArg(k, i++, sizeof n, &n);
    err |= ct_arg_tensor(k, &i, a);
    err |= ct_arg_tensor(k, &i, b);
    err |= ct_arg_tensor(k, &i, y);
    CT_TRY(ct_args_ok(err, name));
    return ct_launch_1d(ctx, k, n, name);
}

ct_status ct_add(ct_context *ctx, const ct_tensor *a, const ct_tensor *b, ct_tensor *y)
{
    return binary(ctx, "add", a, b, y);
}

ct_status ct_mul(ct_context *ctx, const ct_tensor *a, const ct_tensor *b, ct_tensor *y)
{
    return binary(ctx, "mul", a, b, y);
}

ct_status ct_scale(ct_context *ctx, float alpha, const ct_tensor *x, ct_tensor *y)
{
    CT_TRY(ct_same_count("scale", x, y));
    cl_kernel k;
    CT_TRY(ct_context_kernel(ctx, "elementwise", "scale", &k));
    cl_ulong n = ct_tensor_count(y);
    cl_uint i = 0;
    cl_int err = clSetKernelArg(k, i++, sizeof n, &n);
    err |= clSetKernelArg(k, i++, sizeof alpha, &alpha);
    err |= ct_arg_tensor(k, &i, x);
    err |= ct_arg_tensor(k, &i, y);
    CT_TRY(ct_args_ok(err, "scale"));
    return ct_launch_1d(ctx, k, n, "scale");
}

ct_status ct_relu_forward(ct_context *ctx, const ct_tensor *x, ct_tensor *y)
{
    CT_TRY(ct_same_count("relu", x, y));
    cl_kernel k;
    CT_TRY(ct_context_kernel(ctx, "elementwise", "relu_forward", &k));
    cl_ulong n = ct_tensor_count(y);
    cl_uint i = 0;
    cl_int err = clSetKernelArg(k, i++, sizeof n, &n);
    err |= ct_arg_tensor(k, &i, x);
    err |= ct_arg_tensor(k, &i, y);
    CT_TRY(ct_args_ok(err, "relu_forward"));
    return ct_launch_1d(ctx, k, n, "relu_forward");
}

ct_status ct_relu_backward(ct_context *ctx, const ct_tensor *x, const ct_tensor *dy, ct_tensor *dx)
{
    return binary(ctx, "relu_backward", x, dy, dx);
}

ct_status ct_sum(ct_context *ctx, const ct_tensor *x, ct_tensor *y)
{
    if (ct_tensor_count(y) != 1)
        return ct_fail(CT_ERR_SHAPE, "sum: the output must hold exactly one element");
    cl_kernel k;
    CT_TRY(ct_context_kernel(ctx, "elementwise", "sum_all", &k));
    size_t local = 1, limit = ct_launch_group_limit(ctx, k);
    if (limit > 256)
        limit = 256;
    while (local * 2 <= limit)
        local *= 2;
    cl_ulong n = ct_tensor_count(x);
    cl_uint i = 0;
    cl_int err = clSetKernelArg(k, i++, sizeof n, &n);
    err |= ct_arg_tensor(k, &i, x);
    err |= ct_arg_tensor(k, &i, y);
    err |= clSetKernelArg(k, i++, local * sizeof(float), NULL);
    CT_TRY(ct_args_ok(err, "sum_all"));
    return ct_launch(ctx, k, 1, &local, &local, "sum_all"); /* one work-group */
}
