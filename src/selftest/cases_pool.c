/* Op-test cases: MaxPooling2D and AveragePooling2D forward and backward.
 * Input [0] x (N, H, W, C), uniform floats (ties have probability ~0, so the
 * max gradient is well defined at the sampled points). ip: [0] pool h
 * [1] pool w [2] stride h [3] stride w (0: pool size) [4] 1 = 'same'. */
#include "selftest/families.h"
#include "selftest/ref/ref_conv.h"

#include "cltrain/ops_conv.h"

static ct_pool2d_params params_of(const ct_optest_case *c, ct_pool_kind kind)
{
    ct_pool2d_params p = {
        .kind = kind, .ph = (size_t)c->ip[0], .pw = (size_t)c->ip[1], .sh = (size_t)c->ip[2],
        .sw = (size_t)c->ip[3], .padding = c->ip[4] ? CT_PADDING_SAME : CT_PADDING_VALID,
    };
    return p;
}

static ref_window2d window_of(const ct_optest_case *c)
{
    const size_t *x = c->in[0].shape;
    size_t sh = c->ip[2] ? (size_t)c->ip[2] : (size_t)c->ip[0], sw = c->ip[3] ? (size_t)c->ip[3] : (size_t)c->ip[1];
    ref_window2d w = {x[0], x[1], x[2], x[3], (size_t)c->ip[0], (size_t)c->ip[1], sh, sw, (int)c->ip[4]};
    return w;
}

static ct_status pool_shape(const ct_optest_case *c, int *ndim, size_t *shape)
{
    ref_window2d w = window_of(c);
    *ndim = 4;
    ref_window_out_shape(&w, c->in[0].shape[3], shape);
    return CT_OK;
}

static ct_status max_fwd(ct_context *ctx, const ct_optest_case *c, const ct_tensor *in, ct_tensor *out)
{
    ct_pool2d_params p = params_of(c, CT_POOL_MAX);
    return ct_pool2d_forward(ctx, &p, &in[0], out);
}
static ct_status max_bwd(ct_context *ctx, const ct_optest_case *c, const ct_tensor *in, const ct_tensor *out,
                         const ct_tensor *dy, ct_tensor *grad)
{
    (void)out;
    ct_pool2d_params p = params_of(c, CT_POOL_MAX);
    return ct_pool2d_backward(ctx, &p, &in[0], dy, &grad[0]);
}
static void max_ref(const ct_optest_case *c, const double *const *in, double *out)
{
    ref_window2d w = window_of(c);
    ref_max_pool2d(&w, in[0], out);
}

static ct_status avg_fwd(ct_context *ctx, const ct_optest_case *c, const ct_tensor *in, ct_tensor *out)
{
    ct_pool2d_params p = params_of(c, CT_POOL_AVERAGE);
    return ct_pool2d_forward(ctx, &p, &in[0], out);
}
static ct_status avg_bwd(ct_context *ctx, const ct_optest_case *c, const ct_tensor *in, const ct_tensor *out,
                         const ct_tensor *dy, ct_tensor *grad)
{
    (void)out;
    ct_pool2d_params p = params_of(c, CT_POOL_AVERAGE);
    return ct_pool2d_backward(ctx, &p, &in[0], dy, &grad[0]);
}
static void avg_ref(const ct_optest_case *c, const double *const *in, double *out)
{
    ref_window2d w = window_of(c);
    ref_avg_pool2d(&w, in[0], out);
}

/* The pair that saves the argmax (what training runs where windows do not
 * overlap): the forward with a scratch index, the backward from a forward
 * of its own. */
static ct_status with_index(ct_context *ctx, const ct_optest_case *c, const ct_tensor *x, const ct_tensor *out,
                            const ct_tensor *dy, ct_tensor *grad, ct_tensor *y_or_null)
{
    ct_pool2d_params p = params_of(c, CT_POOL_MAX);
    size_t outputs = ct_tensor_count(out), floats = ct_pool2d_index_floats(outputs);
    ct_tensor index = {0}, y = {0};
    ct_status s = ct_tensor_create(ctx, 1, &floats, &index);
    if (s == CT_OK && !y_or_null)
        s = ct_tensor_create(ctx, out->ndim, out->shape, &y);
    if (s == CT_OK)
        s = ct_maxpool2d_forward_indexed(ctx, &p, x, y_or_null ? y_or_null : &y, &index);
    if (s == CT_OK && dy)
        s = ct_maxpool2d_backward_indexed(ctx, &p, &index, dy, grad);
    if (s == CT_OK)
        s = ct_context_finish(ctx);
    ct_tensor_release(&index);
    ct_tensor_release(&y);
    return s;
}
static ct_status max_indexed_fwd(ct_context *ctx, const ct_optest_case *c, const ct_tensor *in, ct_tensor *out)
{
    return with_index(ctx, c, &in[0], out, NULL, NULL, out);
}
static ct_status max_indexed_bwd(ct_context *ctx, const ct_optest_case *c, const ct_tensor *in, const ct_tensor *out,
                                 const ct_tensor *dy, ct_tensor *grad)
{
    return with_index(ctx, c, &in[0], out, dy, &grad[0], NULL);
}

static const ct_optest_op op_max = {"max_pooling2d", pool_shape, max_fwd, max_ref, max_bwd, NULL};
static const ct_optest_op op_max_indexed = {"max_pooling2d_indexed", pool_shape, max_indexed_fwd, max_ref,
                                            max_indexed_bwd, NULL};
static const ct_optest_op op_avg = {"average_pooling2d", pool_shape, avg_fwd, avg_ref, avg_bwd, NULL};

#define X4(n, h, w, c) {4, {n, h, w, c}, -1, 1, 0, 1}
/* max: exact (a copy); average: a float sum of at most 9 terms and a division */
#define POOL_CASE(label, x, ph, pw, sh, sw, same)                                 \
    {&op_max, label, 1, {x}, {ph, pw, sh, sw, same}, {0}, 1e-14, 1e-8},         \
    {&op_avg, label, 1, {x}, {ph, pw, sh, sw, same}, {0}, 1e-12, 1e-8}

#define INDEXED_CASE(label, x, ph, pw, sh, sw, same) \
    {&op_max_indexed, label, 1, {x}, {ph, pw, sh, sw, same}, {0}, 1e-14, 1e-8}

static const ct_optest_case cases[] = {
    POOL_CASE("2x2 stride 2 valid", X4(2, 8, 10, 3), 2, 2, 0, 0, 0),
    POOL_CASE("2x2 valid, odd sizes drop the last row/column", X4(2, 9, 11, 5), 2, 2, 0, 0, 0),
    POOL_CASE("2x2 same, odd sizes pad the last row/column", X4(2, 9, 11, 5), 2, 2, 0, 0, 1),
    POOL_CASE("3x3 stride 2 same, odd sizes", X4(2, 11, 13, 5), 3, 3, 2, 2, 1),
    POOL_CASE("3x3 stride 2 valid (overlapping)", X4(2, 11, 13, 3), 3, 3, 2, 2, 0),
    POOL_CASE("3x3 stride 1 same (pool > stride)", X4(2, 7, 9, 3), 3, 3, 1, 1, 1),
    POOL_CASE("2x3 pool, strides (1,2)", X4(2, 7, 9, 3), 2, 3, 1, 2, 0),
    POOL_CASE("1x1 pool stride 2 (subsampling)", X4(2, 7, 6, 3), 1, 1, 2, 2, 0),
    POOL_CASE("2x2 pool stride 3, gaps between windows", X4(2, 10, 11, 3), 2, 2, 3, 3, 0),
    POOL_CASE("2x1 pool, strides (3,2), same", X4(2, 10, 9, 19), 2, 1, 3, 2, 1),
    POOL_CASE("pool > input, same", X4(1, 2, 3, 3), 4, 4, 1, 1, 1),
    POOL_CASE("batch 1, 7 channels", X4(1, 6, 6, 7), 2, 2, 0, 0, 0),
    /* 16-lane vectors plus a 3-channel tail on devices that vectorise channels */
    POOL_CASE("2x2 valid, 19 channels", X4(2, 6, 7, 19), 2, 2, 0, 0, 0),
    POOL_CASE("3x3 stride 2 same, 35 channels", X4(1, 7, 9, 35), 3, 3, 2, 2, 1),
    POOL_CASE("width above work-group", X4(1, 2, CT_OPTEST_ABOVE_WG, 3), 2, 2, 0, 0, 1),
    /* blocks of 4, 2 and 1 vectors and a tail at 8 lanes (4 and 1 at 16) */
    POOL_CASE("2x2 valid, 91 channels", X4(1, 4, 6, 91), 2, 2, 0, 0, 0),
    /* the saved-argmax pair: windows that do not overlap only */
    INDEXED_CASE("2x2 stride 2 valid", X4(2, 8, 10, 3), 2, 2, 0, 0, 0),
    INDEXED_CASE("2x2 valid, odd sizes drop the last row/column", X4(2, 9, 11, 5), 2, 2, 0, 0, 0),
    INDEXED_CASE("2x2 same, odd sizes pad the last row/column", X4(2, 9, 11, 5), 2, 2, 0, 0, 1),
    INDEXED_CASE("1x1 pool stride 2 (subsampling)", X4(2, 7, 6, 3), 1, 1, 2, 2, 0),
    INDEXED_CASE("2x2 pool stride 3, gaps between windows", X4(2, 10, 11, 3), 2, 2, 3, 3, 0),
    INDEXED_CASE("2x1 pool, strides (3,2), same", X4(2, 10, 9, 19), 2, 1, 3, 2, 1),
    INDEXED_CASE("3x3 same, 35 channels", X4(1, 7, 9, 35), 3, 3, 0, 0, 1),
    INDEXED_CASE("2x2 valid, 91 channels", X4(1, 4, 6, 91), 2, 2, 0, 0, 0),
    INDEXED_CASE("width above work-group", X4(1, 2, CT_OPTEST_ABOVE_WG, 3), 2, 2, 0, 0, 1),
};

const ct_optest_family ct_optest_family_pool = CT_OPTEST_FAMILY("pool", cases);
