/* Op-test cases: GlobalMaxPooling2D and GlobalAveragePooling2D forward and
 * backward. Input [0] x (N, H, W, C), uniform floats (ties have probability
 * ~0, so the max gradient is well defined); output (N, C). ip: [0] 1 = the
 * output shaped (N, 1, 1, C), as Keras' keepdims=True. */
#include "selftest/families.h"
#include "selftest/ref/ref_conv.h"

#include "cltrain/ops_conv.h"

static ct_status global_shape(const ct_optest_case *c, int *ndim, size_t *shape)
{
    const size_t *x = c->in[0].shape;
    if (c->ip[0]) {
        *ndim = 4;
        shape[0] = x[0];
        shape[1] = shape[2] = 1;
        shape[3] = x[3];
    } else {
        *ndim = 2;
        shape[0] = x[0];
        shape[1] = x[3];
    }
    return CT_OK;
}

static ct_status max_fwd(ct_context *ctx, const ct_optest_case *c, const ct_tensor *in, ct_tensor *out)
{
    (void)c;
    return ct_global_pool2d_forward(ctx, CT_POOL_MAX, &in[0], out);
}
static ct_status max_bwd(ct_context *ctx, const ct_optest_case *c, const ct_tensor *in, const ct_tensor *out,
                         const ct_tensor *dy, ct_tensor *grad)
{
    (void)c;
    (void)out;
    return ct_global_pool2d_backward(ctx, CT_POOL_MAX, &in[0], dy, &grad[0]);
}
static void max_ref(const ct_optest_case *c, const double *const *in, double *out)
{
    const size_t *x = c->in[0].shape;
    ref_global_max_pool2d(x[0], x[1], x[2], x[3], in[0], out);
}

static ct_status avg_fwd(ct_context *ctx, const ct_optest_case *c, const ct_tensor *in, ct_tensor *out)
{
    (void)c;
    return ct_global_pool2d_forward(ctx, CT_POOL_AVERAGE, &in[0], out);
}
static ct_status avg_bwd(ct_context *ctx, const ct_optest_case *c, const ct_tensor *in, const ct_tensor *out,
                         const ct_tensor *dy, ct_tensor *grad)
{
    (void)c;
    (void)out;
    return ct_global_pool2d_backward(ctx, CT_POOL_AVERAGE, &in[0], dy, &grad[0]);
}
static void avg_ref(const ct_optest_case *c, const double *const *in, double *out)
{
    const size_t *x = c->in[0].shape;
    ref_global_avg_pool2d(x[0], x[1], x[2], x[3], in[0], out);
}

static const ct_optest_op op_max = {"global_max_pooling2d", global_shape, max_fwd, max_ref, max_bwd, NULL};
static const ct_optest_op op_avg = {"global_average_pooling2d", global_shape, avg_fwd, avg_ref, avg_bwd, NULL};

#define X4(n, h, w, c) {4, {n, h, w, c}, -1, 1, 0, 1}
/* max: exact (a copy); average: a float sum of up to H*W terms and a division */
#define GLOBAL_CASE(label, x, keepdims)                               \
    {&op_max, label, 1, {x}, {keepdims}, {0}, 1e-14, 1e-8},         \
    {&op_avg, label, 1, {x}, {keepdims}, {0}, 1e-11, 1e-8}

static const ct_optest_case cases[] = {
    GLOBAL_CASE("8x10 images, 3 channels", X4(2, 8, 10, 3), 0),
    GLOBAL_CASE("odd sizes, keepdims", X4(3, 7, 5, 5), 1),
    GLOBAL_CASE("1x1 images (a copy)", X4(2, 1, 1, 4), 0),
    GLOBAL_CASE("one row", X4(2, 1, 9, 3), 0),
    /* 16-lane vectors plus a 3-channel tail on devices that vectorise channels */
    GLOBAL_CASE("6x7 images, 19 channels", X4(2, 6, 7, 19), 0),
    GLOBAL_CASE("batch 1, 35 channels", X4(1, 5, 4, 35), 1),
    GLOBAL_CASE("32x32 images (CIFAR-10 size)", X4(2, 32, 32, 8), 0),
};

const ct_optest_family ct_optest_family_global_pool = CT_OPTEST_FAMILY("global_pool", cases);
