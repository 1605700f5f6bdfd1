/* GlobalAveragePooling2D / GlobalMaxPooling2D forward and backward.
 *
 * A global pool is a pool whose one window is the whole image (pool size
 * (H, W), valid padding), so it runs on cl/pool.cl's kernels: their argmax
 * and averaging rules, already checked against the C references, then hold
 * for the global layers too, and no new program is built. */
#include "cltrain/ops_conv.h"

static const char *global_op_name(ct_pool_kind kind)
{
    return kind == CT_POOL_MAX ? "global_max_pooling2d" : "global_average_pooling2d";
}

/* The window of the whole image of x, and y (N * C values) viewed as
 * (N, 1, 1, C) for the pooling kernels. */
static ct_status global_setup(ct_pool_kind kind, const char *what, const ct_tensor *x, const ct_tensor *y,
                              const char *y_role, ct_pool2d_params *p, ct_tensor *y4)
{
    const char *op = global_op_name(kind);
    if (kind != CT_POOL_MAX && kind != CT_POOL_AVERAGE)
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "global pooling %s: unknown kind %d", what, (int)kind);
    if (!x || !x->buf || x->ndim != 4)
        return ct_fail(CT_ERR_SHAPE, "%s %s: the input must be a 4-D NHWC tensor (N, H, W, C)", op, what);
    if (!y || !y->buf || y->ndim < 1 || y->shape[0] != x->shape[0] || ct_tensor_count(y) != x->shape[0] * x->shape[3])
        return ct_fail(CT_ERR_SHAPE, "%s %s: the %s must hold N * C = %zu x %zu values", op, what, y_role,
                       x->shape[0], x->shape[3]);
    ct_pool2d_params q = {kind, x->shape[1], x->shape[2], x->shape[1], x->shape[2], CT_PADDING_VALID};
    *p = q;
    *y4 = *y;
    y4->ndim = 4;
    y4->shape[0] = x->shape[0];
    y4->shape[1] = y4->shape[2] = 1;
    y4->shape[3] = x->shape[3];
    return CT_OK;
}

ct_status ct_global_pool2d_forward(ct_context *ctx, ct_pool_kind kind, const ct_tensor *x, ct_tensor *y)
{
    ct_pool2d_params p;
    ct_tensor y4;
    CT_TRY(global_setup(kind, "forward", x, y, "output", &p, &y4));
    return ct_pool2d_forward(ctx, &p, x, &y4);
}

ct_status ct_global_pool2d_backward(ct_context *ctx, ct_pool_kind kind, const ct_tensor *x, const ct_tensor *dy,
                                    ct_tensor *dx)
{
    ct_pool2d_params p;
    ct_tensor dy4;
    CT_TRY(global_setup(kind, "backward", x, dy, "output gradient", &p, &dy4));
    return ct_pool2d_backward(ctx, &p, x, &dy4, dx);
}
