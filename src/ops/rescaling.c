/* Launchers for cl/rescaling.cl (Keras's Rescaling layer). */
#include "cltrain/ops_rescaling.h"

#include <math.h>

#include "cltrain/ops.h"
#include "core/launch.h"

static ct_status check_finite(const char *what, float v)
{
    if (isfinite(v))
        return CT_OK;
    return ct_fail(CT_ERR_INVALID_ARGUMENT, "rescaling: %s %g is not a finite number", what, (double)v);
}

ct_status ct_rescaling_forward(ct_context *ctx, float scale, float offset, const ct_tensor *x, ct_tensor *y)
{
    CT_TRY(check_finite("scale", scale));
    CT_TRY(check_finite("offset", offset));
    CT_TRY(ct_same_count("rescaling", x, y));
    cl_kernel k;
    CT_TRY(ct_context_kernel(ctx, "rescaling", "rescale", &k));
    cl_ulong n = ct_tensor_count(y);
    cl_uint i = 0;
    cl_int err = CT_ARG(k, i++, n);
    err |= CT_ARG(k, i++, scale);
    err |= CT_ARG(k, i++, offset);
    err |= ct_arg_tensor(k, &i, x);
    err |= ct_arg_tensor(k, &i, y);
    CT_TRY(ct_args_ok(err, "rescale"));
    return ct_launch_1d(ctx, k, n, "rescale");
}

ct_status ct_rescaling_backward(ct_context *ctx, float scale, const ct_tensor *dy, ct_tensor *dx)
{
    CT_TRY(check_finite("scale", scale));
    return ct_scale(ctx, scale, dy, dx);
}
