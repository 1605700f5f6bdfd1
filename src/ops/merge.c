/* Launchers for cl/merge.cl and the merge layers built on element-wise ops. */
#include "cltrain/ops_merge.h"

#include "cltrain/ops.h"
#include "core/launch.h"

ct_status ct_add_n_forward(ct_context *ctx, size_t count, const ct_tensor *x, ct_tensor *y)
{
    if (count < 2)
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "add: %zu inputs, a merge takes two or more", count);
    CT_TRY(ct_add(ctx, &x[0], &x[1], y));
    for (size_t k = 2; k < count; k++)
        CT_TRY(ct_add(ctx, y, &x[k], y));
    return CT_OK;
}

ct_status ct_grad_accumulate(ct_context *ctx, const ct_tensor *src, ct_tensor *dst, bool accumulate)
{
    return accumulate ? ct_add(ctx, dst, src, dst) : ct_scale(ctx, 1.0f, src, dst);
}

static size_t last_axis(const ct_tensor *t) { return t->ndim ? t->shape[t->ndim - 1] : 1; }

/* dst[:, dst_col + c] (+)= src[:, src_col + c] for c < cols. */
static ct_status copy_columns(ct_context *ctx, const ct_tensor *src, size_t src_col, ct_tensor *dst, size_t dst_col,
                              size_t cols, bool accumulate)
{
    cl_kernel k;
    CT_TRY(ct_context_kernel(ctx, "merge", "copy_columns", &k));
    cl_ulong rows = ct_tensor_count(dst) / last_axis(dst), ncols = cols, src_ld = last_axis(src),
             dst_ld = last_axis(dst), scol = src_col, dcol = dst_col;
    cl_int acc = accumulate ? 1 : 0;
    cl_uint i = 0;
    cl_int err = CT_ARG(k, i++, rows);
    err |= CT_ARG(k, i++, ncols);
    err |= ct_arg_tensor(k, &i, src);
    err |= CT_ARG(k, i++, src_ld);
    err |= CT_ARG(k, i++, scol);
    err |= ct_arg_tensor(k, &i, dst);
    err |= CT_ARG(k, i++, dst_ld);
    err |= CT_ARG(k, i++, dcol);
    err |= CT_ARG(k, i++, acc);
    CT_TRY(ct_args_ok(err, "copy_columns"));
    return ct_launch_1d(ctx, k, (size_t)(rows * ncols), "copy_columns");
}

/* The parts' last axes add up to the whole's, and the rows agree. */
static ct_status check_concat(size_t count, const ct_tensor *parts, const ct_tensor *whole)
{
    size_t width = last_axis(whole), rows = ct_tensor_count(whole) / (width ? width : 1), sum = 0;
    if (count < 2)
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "concatenate: %zu inputs, a merge takes two or more", count);
    for (size_t k = 0; k < count; k++) {
        size_t c = last_axis(&parts[k]);
        if (parts[k].buf && ct_tensor_count(&parts[k]) != rows * c)
            return ct_fail(CT_ERR_SHAPE, "concatenate: input %zu has %zu values, expected %zu rows of %zu", k,
                           ct_tensor_count(&parts[k]), rows, c);
        sum += c;
    }
    if (sum != width)
        return ct_fail(CT_ERR_SHAPE, "concatenate: the inputs' last axes sum to %zu, the output's is %zu", sum,
                       width);
    return CT_OK;
}

ct_status ct_concat_forward(ct_context *ctx, size_t count, const ct_tensor *x, ct_tensor *y)
{
    CT_TRY(check_concat(count, x, y));
    size_t col = 0;
    for (size_t k = 0; k < count; k++) {
        CT_TRY(copy_columns(ctx, &x[k], 0, y, col, last_axis(&x[k]), false));
        col += last_axis(&x[k]);
    }
    return CT_OK;
}

ct_status ct_concat_backward(ct_context *ctx, const ct_tensor *dy, size_t count, ct_tensor *dx,
                             const bool *accumulate)
{
    CT_TRY(check_concat(count, dx, dy));
    size_t col = 0;
    for (size_t k = 0; k < count; k++) {
        if (dx[k].buf)
            CT_TRY(copy_columns(ctx, dy, col, &dx[k], 0, last_axis(&dx[k]), accumulate && accumulate[k]));
        col += last_axis(&dx[k]);
    }
    return CT_OK;
}
