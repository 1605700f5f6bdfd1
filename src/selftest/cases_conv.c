/* Op-test cases: Conv2D forward and backward (input, kernel and bias
 * gradients against finite differences), each case through every algorithm.
 * Inputs: [0] x (N, H, W, Cin), [1] kernel (KH, KW, Cin, Cout), [2] bias (Cout)
 * when n_in is 3. ip: [0] stride h [1] stride w [2] 1 = 'same' [3] workspace
 * in images (0: what ct_conv2d_workspace_size asks for, -1: none) [4] algorithm
 * [5] activation (the backward pass then starts with ct_activation_backward,
 * as a model's does). */
#include <stdlib.h>

#include "selftest/families.h"
#include "selftest/ref/ref_conv.h"
#include "selftest/ref/ref_nn.h"

#include "cltrain/ops_conv.h"
#include "cltrain/ops_nn.h"
#include "ops/conv_internal.h"

static ct_conv2d_params params_of(const ct_optest_case *c)
{
    ct_conv2d_params p = {
        .kh = c->in[1].shape[0], .kw = c->in[1].shape[1], .sh = (size_t)c->ip[0], .sw = (size_t)c->ip[1],
        .padding = c->ip[2] ? CT_PADDING_SAME : CT_PADDING_VALID, .algorithm = (ct_conv2d_algorithm)c->ip[4],
        .activation = (ct_activation)c->ip[5],
    };
    return p;
}

static ref_window2d window_of(const ct_optest_case *c)
{
    const size_t *x = c->in[0].shape, *k = c->in[1].shape;
    ref_window2d w = {x[0], x[1], x[2], x[3], k[0], k[1], (size_t)c->ip[0], (size_t)c->ip[1], (int)c->ip[2]};
    return w;
}

/* The reference decides the output shape, so a wrong device geometry fails the shape check. */
static ct_status conv_shape(const ct_optest_case *c, int *ndim, size_t *shape)
{
    ref_window2d w = window_of(c);
    *ndim = 4;
    ref_window_out_shape(&w, c->in[1].shape[3], shape);
    return CT_OK;
}

static void conv_ref(const ct_optest_case *c, const double *const *in, double *out)
{
    ref_window2d w = window_of(c);
    size_t shape[4], cout = c->in[1].shape[3];
    ref_conv2d(&w, cout, in[0], in[1], c->n_in > 2 ? in[2] : NULL, out);
    ref_window_out_shape(&w, cout, shape);
    ref_bias_activation((ct_activation)c->ip[5], shape[0] * shape[1] * shape[2], cout, out, NULL, out);
}

/* Workspace as a model would allocate it, or for ip[3] images only (chunking). */
static ct_status workspace_create(ct_context *ctx, const ct_optest_case *c, ct_tensor *ws)
{
    ct_conv2d_params p = params_of(c);
    size_t x_shape[4] = {c->in[0].shape[0], c->in[0].shape[1], c->in[0].shape[2], c->in[0].shape[3]};
    if (c->ip[3] > 0)
        x_shape[0] = (size_t)c->ip[3];
    size_t floats;
    CT_TRY(ct_conv2d_workspace_size(&p, x_shape, c->in[1].shape[3], &floats));
    ws->buf = NULL;
    if (c->ip[3] < 0)
        return CT_OK;
    return floats ? ct_tensor_create(ctx, 1, &floats, ws) : CT_OK;
}

static ct_status finish_and_release(ct_context *ctx, ct_status s, ct_tensor *ws)
{
    ct_status f = ct_context_finish(ctx);
    ct_tensor_release(ws);
    return s != CT_OK ? s : f;
}

static ct_status conv_fwd(ct_context *ctx, const ct_optest_case *c, const ct_tensor *in, ct_tensor *out)
{
    ct_conv2d_params p = params_of(c);
    ct_tensor ws;
    CT_TRY(workspace_create(ctx, c, &ws));
    ct_status s = ct_conv2d_forward(ctx, &p, &in[0], &in[1], c->n_in > 2 ? &in[2] : NULL, out, &ws);
    return finish_and_release(ctx, s, &ws);
}

/* A device copy of t (the backward pass with an activation overwrites its dy). */
static ct_status scratch_copy(ct_context *ctx, const ct_tensor *t, ct_tensor *out)
{
    size_t n = ct_tensor_count(t);
    float *host = malloc(n * sizeof *host);
    if (!host)
        return ct_fail(CT_ERR_NO_MEMORY, "conv test scratch");
    ct_status s = ct_tensor_create(ctx, t->ndim, t->shape, out);
    if (s == CT_OK)
        s = ct_tensor_read(ctx, t, host);
    if (s == CT_OK)
        s = ct_tensor_write(ctx, out, host);
    free(host);
    return s;
}

static ct_status conv_bwd(ct_context *ctx, const ct_optest_case *c, const ct_tensor *in, const ct_tensor *out,
                          const ct_tensor *dy, ct_tensor *grad)
{
    ct_conv2d_params p = params_of(c);
    ct_tensor ws, scratch = {0}, *db = c->n_in > 2 ? &grad[2] : NULL;
    CT_TRY(workspace_create(ctx, c, &ws));
    ct_status s;
    if (p.activation == CT_ACTIVATION_LINEAR) {
        s = ct_conv2d_backward(ctx, &p, &in[0], &in[1], dy, &grad[0], &grad[1], db, &ws);
    } else { /* from dL/dy and y, as a model does */
        s = scratch_copy(ctx, dy, &scratch);
        if (s == CT_OK)
            s = ct_conv2d_backward_activated(ctx, &p, &in[0], &in[1], out, &scratch, &grad[0], &grad[1], db, &ws);
    }
    s = finish_and_release(ctx, s, &ws);
    ct_tensor_release(&scratch);
    return s;
}

static const ct_optest_op op_conv_auto = {"conv2d", conv_shape, conv_fwd, conv_ref, conv_bwd, NULL};
static const ct_optest_op op_conv_im2col = {"conv2d_im2col", conv_shape, conv_fwd, conv_ref, conv_bwd, NULL};
static const ct_optest_op op_conv_direct = {"conv2d_direct", conv_shape, conv_fwd, conv_ref, conv_bwd, NULL};
/* Tiled and Winograd run on CPU devices only (their programs are CPU-only). */
static int algorithm_runs(ct_context *ctx, const ct_optest_case *c)
{
    return ct_conv2d_algorithm_runs_on(ctx, (ct_conv2d_algorithm)c->ip[4]);
}
static const ct_optest_op op_conv_tiled = {"conv2d_tiled", conv_shape, conv_fwd, conv_ref, conv_bwd, algorithm_runs};
static const ct_optest_op op_conv_winograd = {"conv2d_winograd", conv_shape, conv_fwd, conv_ref, conv_bwd,
                                              algorithm_runs};

/* Shapes are passed as parenthesised tuples, (n, h, w, c), so they survive nested macros. */
#define UNPACK(...) __VA_ARGS__
#define INPUT(shape, grad) {4, {UNPACK shape}, -1, 1, 0, grad}
#define BIAS(cout) {1, {cout}, -1, 1, 0, 1}
/* float sums of up to a few hundred products against double: ~1e-12 expected */
#define TOL_FWD 1e-10
#define TOL_GRAD 1e-8

#define CONV_CASE(op, algo, label, x, k, cout, sh, sw, same, ws_images) \
    {&(op), label, 3, {INPUT(x, 1), INPUT(k, 1), BIAS(cout)}, {sh, sw, same, ws_images, algo}, {0}, TOL_FWD, TOL_GRAD}
#define CONV_CASE_NO_BIAS(op, algo, label, x, k, sh, sw, same) \
    {&(op), label, 2, {INPUT(x, 1), INPUT(k, 1)}, {sh, sw, same, 0, algo}, {0}, TOL_FWD, TOL_GRAD}
#define CONV_CASE_ACT(op, algo, label, act, x, k, cout, sh, sw, same) \
    {&(op), label, 3, {INPUT(x, 1), INPUT(k, 1), BIAS(cout)}, {sh, sw, same, 0, algo, act}, {0}, TOL_FWD, TOL_GRAD}
#define CONV_CASE_ACT_WS(op, algo, label, act, x, k, cout, sh, sw, same, ws_images)                          \
    {&(op), label, 3, {INPUT(x, 1), INPUT(k, 1), BIAS(cout)}, {sh, sw, same, ws_images, algo, act}, {0}, TOL_FWD, \
     TOL_GRAD}
#define CONV_CASE_ACT_NO_DX(op, algo, label, act, x, k, cout, sh, sw, same) \
    {&(op), label, 3, {INPUT(x, 0), INPUT(k, 1), BIAS(cout)}, {sh, sw, same, 0, algo, act}, {0}, TOL_FWD, TOL_GRAD}
#define CONV_CASE_NO_DX(op, algo, label, x, k, cout, sh, sw, same) \
    {&(op), label, 3, {INPUT(x, 0), INPUT(k, 1), BIAS(cout)}, {sh, sw, same, 0, algo}, {0}, TOL_FWD, TOL_GRAD}

#define ALL_ALGORITHMS(label, x, k, cout, sh, sw, same)                                   \
    CONV_CASE(op_conv_im2col, CT_CONV2D_IM2COL, label, x, k, cout, sh, sw, same, 0),   \
    CONV_CASE(op_conv_direct, CT_CONV2D_DIRECT, label, x, k, cout, sh, sw, same, 0),   \
    CONV_CASE(op_conv_tiled, CT_CONV2D_TILED, label, x, k, cout, sh, sw, same, 0),     \
    CONV_CASE(op_conv_winograd, CT_CONV2D_WINOGRAD, label, x, k, cout, sh, sw, same, 0)

static const ct_optest_case cases[] = {
    ALL_ALGORITHMS("3x3 valid CIFAR-like 3->32", (2, 9, 9, 3), (3, 3, 3, 32), 32, 1, 1, 0),
    ALL_ALGORITHMS("3x3 valid 32->32", (2, 7, 7, 32), (3, 3, 32, 32), 32, 1, 1, 0),
    ALL_ALGORITHMS("5x5 same", (2, 8, 9, 5), (5, 5, 5, 7), 7, 1, 1, 1),
    ALL_ALGORITHMS("4x4 same (padding 1 before, 2 after)", (2, 7, 6, 3), (4, 4, 3, 5), 5, 1, 1, 1),
    ALL_ALGORITHMS("3x3 same stride 2 odd sizes", (2, 11, 13, 3), (3, 3, 3, 5), 5, 2, 2, 1),
    ALL_ALGORITHMS("1x1 kernel (pointwise)", (2, 5, 7, 7), (1, 1, 7, 3), 3, 1, 1, 0),
    ALL_ALGORITHMS("1x1 kernel stride 2 same", (2, 7, 6, 3), (1, 1, 3, 5), 5, 2, 2, 1),
    ALL_ALGORITHMS("2x3 kernel valid", (2, 8, 9, 3), (2, 3, 3, 5), 5, 1, 1, 0),
    ALL_ALGORITHMS("2x3 kernel same", (2, 8, 9, 3), (2, 3, 3, 5), 5, 1, 1, 1),
    ALL_ALGORITHMS("stride (2,1) same", (2, 9, 8, 5), (3, 3, 5, 7), 7, 2, 1, 1),
    ALL_ALGORITHMS("stride (2,1) valid", (2, 9, 8, 5), (3, 3, 5, 7), 7, 2, 1, 0),
    ALL_ALGORITHMS("stride 3 > kernel 2 (uncovered inputs)", (2, 10, 11, 3), (2, 2, 3, 5), 5, 3, 3, 0),
    ALL_ALGORITHMS("kernel = input (1x1 output)", (2, 5, 5, 3), (5, 5, 3, 4), 4, 1, 1, 0),
    ALL_ALGORITHMS("kernel > input, same", (1, 3, 3, 2), (5, 5, 2, 3), 3, 1, 1, 1),
    ALL_ALGORITHMS("batch 1", (1, 6, 6, 7), (3, 3, 7, 3), 3, 1, 1, 0),
    /* 16-lane vectors plus tails (and 4-channel blocks plus a tail) in the direct kernels; full and
     * partial 32-channel panels and 12-row tiles in the tiled ones */
    ALL_ALGORITHMS("17 -> 19 channels same", (2, 6, 7, 17), (3, 3, 17, 19), 19, 1, 1, 1),
    ALL_ALGORITHMS("35 -> 33 channels stride 2", (1, 7, 6, 35), (3, 2, 35, 33), 33, 2, 2, 1),
    ALL_ALGORITHMS("64 filters (two full panels) same", (2, 5, 7, 5), (3, 3, 5, 64), 64, 1, 1, 1),
    ALL_ALGORITHMS("3x3 valid 16 -> 48 (full and half panel)", (3, 6, 9, 16), (3, 3, 16, 48), 48, 1, 1, 0),
    ALL_ALGORITHMS("width above work-group", (1, 2, CT_OPTEST_ABOVE_WG, 3), (2, 3, 3, 2), 2, 1, 2, 1),
    CONV_CASE_NO_BIAS(op_conv_im2col, CT_CONV2D_IM2COL, "no bias", (2, 6, 5, 3), (3, 3, 3, 5), 1, 1, 1),
    CONV_CASE_NO_BIAS(op_conv_direct, CT_CONV2D_DIRECT, "no bias", (2, 6, 5, 3), (3, 3, 3, 5), 1, 1, 1),
    CONV_CASE_NO_BIAS(op_conv_tiled, CT_CONV2D_TILED, "no bias", (2, 6, 5, 3), (3, 3, 3, 5), 1, 1, 1),
    /* The first layer of a net: no input gradient (dx has no buffer). */
    CONV_CASE_NO_DX(op_conv_im2col, CT_CONV2D_IM2COL, "no input gradient", (2, 6, 7, 3), (3, 3, 3, 5), 5, 1, 1, 0),
    CONV_CASE_NO_DX(op_conv_direct, CT_CONV2D_DIRECT, "no input gradient", (2, 6, 7, 3), (3, 3, 3, 5), 5, 1, 1, 0),
    CONV_CASE_NO_DX(op_conv_tiled, CT_CONV2D_TILED, "no input gradient", (2, 6, 7, 3), (3, 3, 3, 5), 5, 1, 1, 0),
    /* Winograd (3x3 stride 1; other shapes above take the tiled algorithm), F(4x4) for 16 or 32
     * input channels and full 32-channel output panels, F(2x2) otherwise: odd output sizes (a last
     * tile partly outside), 'same' padding, input channels in 32-channel chunks with 16-lane vectors
     * and a tail, full and partial output panels (of up to 16 channels and of more), relu fused,
     * several blocks of tiles per work-item, no workspace (the tiled algorithm). Relu cases stay
     * small: the more outputs, the likelier one lies within the finite differences' step of relu's
     * kink. */
    CONV_CASE(op_conv_winograd, CT_CONV2D_WINOGRAD, "40 -> 33 channels valid", (2, 9, 8, 40), (3, 3, 40, 33), 33, 1,
              1, 0, 0),
    CONV_CASE(op_conv_winograd, CT_CONV2D_WINOGRAD, "33 -> 16 channels same", (2, 5, 6, 33), (3, 3, 33, 16), 16, 1,
              1, 1, 0),
    CONV_CASE_NO_BIAS(op_conv_winograd, CT_CONV2D_WINOGRAD, "no bias", (2, 6, 5, 3), (3, 3, 3, 5), 1, 1, 1),
    CONV_CASE(op_conv_winograd, CT_CONV2D_WINOGRAD, "no workspace", (3, 7, 8, 3), (3, 3, 3, 35), 35, 1, 1, 1, -1),
    CONV_CASE_ACT(op_conv_winograd, CT_CONV2D_WINOGRAD, "relu", CT_ACTIVATION_RELU, (2, 7, 9, 5), (3, 3, 5, 35), 35,
                  1, 1, 1),
    CONV_CASE_ACT(op_conv_winograd, CT_CONV2D_WINOGRAD, "relu, 16 filters (half tile)", CT_ACTIVATION_RELU,
                  (2, 7, 9, 16), (3, 3, 16, 16), 16, 1, 1, 1),
    CONV_CASE_ACT(op_conv_winograd, CT_CONV2D_WINOGRAD, "relu 32 -> 32 valid", CT_ACTIVATION_RELU, (3, 10, 11, 32),
                  (3, 3, 32, 32), 32, 1, 1, 0),
    CONV_CASE(op_conv_winograd, CT_CONV2D_WINOGRAD, "32 -> 48 valid, F(2x2) in 10 blocks of 12 tiles",
              (4, 12, 13, 32), (3, 3, 32, 48), 48, 1, 1, 0, 0),
    CONV_CASE(op_conv_winograd, CT_CONV2D_WINOGRAD, "32 -> 32 valid, F(4x4) in 9 blocks of 12 tiles",
              (4, 20, 22, 32), (3, 3, 32, 32), 32, 1, 1, 0, 0),
    CONV_CASE(op_conv_winograd, CT_CONV2D_WINOGRAD, "32 -> 32 same, odd sizes", (2, 9, 7, 32), (3, 3, 32, 32), 32, 1,
              1, 1, 0),
    CONV_CASE(op_conv_winograd, CT_CONV2D_WINOGRAD, "16 -> 32 valid", (2, 8, 10, 16), (3, 3, 16, 32), 32, 1, 1, 0,
              0),
    /* Tiled without a workspace: the kernel gradient in one K range, no partial sums. */
    CONV_CASE(op_conv_tiled, CT_CONV2D_TILED, "no workspace", (3, 7, 8, 3), (3, 3, 3, 35), 35, 1, 1, 1, -1),
    /* With an activation: relu fused into the tiled forward pass and, with
     * room for dz in the workspace, into the tiled kernel gradient; applied
     * as a separate op by the other algorithms and for other activations. */
    CONV_CASE_ACT(op_conv_tiled, CT_CONV2D_TILED, "relu", CT_ACTIVATION_RELU, (2, 7, 9, 5), (3, 3, 5, 35), 35, 1, 1, 1),
    CONV_CASE_ACT(op_conv_im2col, CT_CONV2D_IM2COL, "relu", CT_ACTIVATION_RELU, (2, 7, 9, 5), (3, 3, 5, 35), 35, 1, 1,
                  1),
    CONV_CASE_ACT(op_conv_direct, CT_CONV2D_DIRECT, "relu", CT_ACTIVATION_RELU, (2, 7, 9, 5), (3, 3, 5, 35), 35, 1, 1,
                  1),
    CONV_CASE_ACT(op_conv_tiled, CT_CONV2D_TILED, "tanh", CT_ACTIVATION_TANH, (2, 6, 5, 3), (3, 3, 3, 5), 5, 1, 1, 0),
    CONV_CASE_ACT(op_conv_tiled, CT_CONV2D_TILED, "relu, 16 filters (half tile)", CT_ACTIVATION_RELU, (2, 7, 9, 16),
                  (3, 3, 16, 16), 16, 1, 1, 1),
    /* The tile is the profile's: 24 filters are a full panel and a half tile with AVX2's 6 x 16,
     * a partial panel with AVX-512's 12 x 32. */
    CONV_CASE_ACT(op_conv_tiled, CT_CONV2D_TILED, "relu, 24 filters (half tile of 16)", CT_ACTIVATION_RELU,
                  (1, 6, 5, 3), (3, 3, 3, 24), 24, 1, 1, 1),
    CONV_CASE_ACT(op_conv_tiled, CT_CONV2D_TILED, "relu stride 2", CT_ACTIVATION_RELU, (2, 9, 8, 5), (3, 3, 5, 33), 33,
                  2, 2, 1),
    CONV_CASE_ACT_WS(op_conv_tiled, CT_CONV2D_TILED, "relu, no workspace", CT_ACTIVATION_RELU, (2, 7, 6, 3),
                     (3, 3, 3, 5), 5, 1, 1, 1, -1),
    CONV_CASE_ACT_NO_DX(op_conv_tiled, CT_CONV2D_TILED, "relu, no input gradient", CT_ACTIVATION_RELU, (2, 7, 6, 3),
                        (3, 3, 3, 35), 35, 1, 1, 0),
    CONV_CASE_ACT(op_conv_auto, CT_CONV2D_AUTO, "relu 3 -> 32", CT_ACTIVATION_RELU, (2, 10, 9, 3), (3, 3, 3, 32), 32, 1,
                  1, 0),
    CONV_CASE_ACT(op_conv_auto, CT_CONV2D_AUTO, "relu", CT_ACTIVATION_RELU, (2, 9, 9, 32), (3, 3, 32, 32), 32, 1, 1,
                  0),
    /* Workspace for one image: the batch of 3 runs in 3 chunks (dW summed over them). */
    CONV_CASE(op_conv_im2col, CT_CONV2D_IM2COL, "chunks of 1 image", (3, 7, 8, 3), (3, 3, 3, 5), 5, 1, 1, 1, 1),
    CONV_CASE(op_conv_im2col, CT_CONV2D_IM2COL, "chunks of 2 images", (5, 6, 5, 3), (3, 2, 3, 4), 4, 2, 1, 0, 2),
    CONV_CASE(op_conv_auto, CT_CONV2D_AUTO, "automatic choice", (2, 9, 9, 5), (3, 3, 5, 7), 7, 1, 1, 1, 0),
};

const ct_optest_family ct_optest_family_conv = CT_OPTEST_FAMILY("conv", cases);
