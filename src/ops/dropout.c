/* Launcher for cl/dropout.cl. */
#include "cltrain/ops_nn.h"

#include <math.h>

#include "core/launch.h"

/* floor(rate * 2^32): element kept when its 32-bit draw is >= this. Exact in
 * double for a float rate, so host, device and reference agree bit for bit. */
static cl_uint keep_threshold(float rate)
{
    double t = floor((double)rate * 4294967296.0);
    return t >= 4294967295.0 ? 0xFFFFFFFFu : (cl_uint)t;
}

static ct_status dropout_apply(ct_context *ctx, const ct_dropout_params *p, const ct_tensor *x, ct_tensor *y,
                               ct_tensor *mask)
{
    if (!p)
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "dropout: parameters missing");
    if (!(p->rate >= 0.0f && p->rate < 1.0f))
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "dropout: rate %g is outside [0, 1)", (double)p->rate);
    CT_TRY(ct_same_count("dropout", x, y));
    if (mask)
        CT_TRY(ct_same_count("dropout mask", x, mask));
    cl_kernel k;
    CT_TRY(ct_context_kernel(ctx, "dropout", "dropout_apply", &k));
    cl_ulong n = ct_tensor_count(x), first = p->first;
    cl_uint threshold = keep_threshold(p->rate);
    cl_float scale = (float)(1.0 / (1.0 - (double)p->rate));
    cl_uint seed_lo = (cl_uint)(p->seed & 0xFFFFFFFFu), seed_hi = (cl_uint)(p->seed >> 32);
    cl_uint step = p->step, layer = p->layer_id;
    cl_int want_mask = mask != NULL;
    cl_uint i = 0;
    cl_int err = CT_ARG(k, i++, n);
    err |= CT_ARG(k, i++, first);
    err |= CT_ARG(k, i++, threshold);
    err |= CT_ARG(k, i++, scale);
    err |= CT_ARG(k, i++, seed_lo);
    err |= CT_ARG(k, i++, seed_hi);
    err |= CT_ARG(k, i++, step);
    err |= CT_ARG(k, i++, layer);
    err |= ct_arg_tensor(k, &i, x);
    err |= ct_arg_tensor(k, &i, y);
    err |= CT_ARG(k, i++, want_mask);
    err |= ct_arg_tensor(k, &i, mask ? mask : y); /* any valid buffer when unused */
    CT_TRY(ct_args_ok(err, "dropout_apply"));
    return ct_launch_1d(ctx, k, (first % 4 + n + 3) / 4, "dropout_apply"); /* one item per 4 mask indices */
}

ct_status ct_dropout_forward(ct_context *ctx, const ct_dropout_params *p, const ct_tensor *x, ct_tensor *y,
                             ct_tensor *mask)
{
    return dropout_apply(ctx, p, x, y, mask);
}

ct_status ct_dropout_backward(ct_context *ctx, const ct_dropout_params *p, const ct_tensor *dy, ct_tensor *dx)
{
    return dropout_apply(ctx, p, dy, dx, NULL);
}
