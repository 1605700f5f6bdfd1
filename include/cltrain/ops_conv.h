/* Convolution and pooling on NHWC images, with Keras semantics.
 *
 * Layouts (row-major, channels last, as in Keras/TensorFlow):
 *   images      (N, H, W, C)
 *   conv kernel (KH, KW, Cin, Cout)   — Keras Conv2D kernel layout
 *   conv bias   (Cout)
 *
 * Padding follows Keras/TF: 'valid' gives out = floor((in - k) / stride) + 1
 * (the input must be at least as large as the window); 'same' gives
 * out = ceil(in / stride) with pad_total = max((out - 1) * stride + k - in, 0)
 * split as pad_top = pad_total / 2, the odd extra row/column at the
 * bottom/right.
 *
 * Every function enqueues work on the context's queue and returns without
 * waiting. Gradients overwrite (never accumulate into) their outputs.
 *
 * Flatten needs no kernel: an NHWC tensor (N, H, W, C) is already laid out
 * as (N, H*W*C) in Keras's Flatten order, so a Flatten layer is a
 * ct_tensor_view() of the same buffer with shape (N, H*W*C), and Dense
 * weights imported from Keras line up without any permutation. */
#ifndef CLTRAIN_OPS_CONV_H
#define CLTRAIN_OPS_CONV_H

#include <stdbool.h>

#include "cltrain/tensor.h"
#include "cltrain/types.h" /* ct_activation, ct_padding */

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- Conv2D */

typedef enum {
    CT_CONV2D_AUTO = 0, /* chosen per pass, shape and device (see src/ops/conv.c for the measurements) */
    CT_CONV2D_IM2COL,   /* im2col + GEMM (ct_gemm), col2im for the input gradient */
    CT_CONV2D_DIRECT,   /* direct kernels, no workspace */
    CT_CONV2D_TILED,    /* implicit GEMM in CPU register tiles, no patch matrix (workspace optional, see below) */
    CT_CONV2D_WINOGRAD, /* Winograd F(2x2, 3x3) for 3x3 stride-1 forward and input gradient (CPUs; other
                           shapes and the kernel gradient take the tiled algorithm) */
    CT_CONV2D_ALGORITHM_COUNT
} ct_conv2d_algorithm;

const char *ct_conv2d_algorithm_name(ct_conv2d_algorithm a); /* "auto", "im2col", "direct", "tiled", "winograd" */

typedef struct {
    size_t kh, kw;                 /* kernel size (>= 1) */
    size_t sh, sw;                 /* strides (>= 1) */
    ct_padding padding;
    ct_conv2d_algorithm algorithm; /* CT_CONV2D_AUTO (0) unless benchmarking or testing */
    ct_activation activation;      /* applied by the forward pass (default linear); see ct_conv2d_backward */
} ct_conv2d_params;

/* Everything a convolution's kernels need, resolved from params and shapes. */
typedef struct {
    size_t n, h, w, cin;       /* input (N, H, W, Cin) */
    size_t oh, ow, cout;       /* output (N, OH, OW, Cout) */
    size_t kh, kw, sh, sw;
    size_t pad_top, pad_left;  /* zeros before row 0 / column 0 ('same' only) */
} ct_conv2d_geometry;

/* Validates params against the input shape x_shape = (N, H, W, Cin) and the
 * number of filters, and fills the geometry (output (N, OH, OW, filters)). */
ct_status ct_conv2d_geometry_of(const ct_conv2d_params *p, const size_t x_shape[4], size_t filters,
                                ct_conv2d_geometry *g);

/* Workspace, in floats, that ct_conv2d_forward/backward want for this layer
 * (0 for CT_CONV2D_DIRECT). Allocate it once per model (one workspace
 * shared by all layers: take the maximum). For CT_CONV2D_IM2COL it holds
 * the im2col matrix of as many images as fit under a cap of 8 Mi floats
 * (32 MiB; none for 1x1 stride-1 kernels), so large batches run in chunks
 * of images; any workspace holding at least one image's im2col works, a
 * smaller one just means more, smaller chunks. For CT_CONV2D_TILED it holds
 * partial kernel gradients (computed in parallel over ranges of output
 * rows) and the flipped kernel of the input gradient; it is optional: with
 * less, the kernel gradient runs in fewer ranges and the input gradient
 * falls back to the direct kernel; for a relu layer it also holds dL/dz
 * (see ct_conv2d_backward_activated). CT_CONV2D_WINOGRAD needs room for
 * the transformed kernel (16 x Cin x Cout floats, the channels rounded up
 * to 32, after dL/dz) besides, else those passes take the tiled algorithm.
 * CT_CONV2D_AUTO asks for the largest; a device may choose the direct
 * algorithm for a pass and leave it unused (ct_conv2d_choose_pass says
 * which). */
ct_status ct_conv2d_workspace_size(const ct_conv2d_params *p, const size_t x_shape[4], size_t filters,
                                   size_t *floats);

typedef enum { CT_CONV2D_PASS_FORWARD = 0, CT_CONV2D_PASS_DX, CT_CONV2D_PASS_DW } ct_conv2d_pass;

/* The algorithm CT_CONV2D_AUTO resolves to for one pass (forward, input
 * gradient, kernel gradient) of this geometry on this context's device,
 * given `workspace_floats` of workspace. The passes of one layer may differ. */
ct_conv2d_algorithm ct_conv2d_choose_pass(ct_context *ctx, const ct_conv2d_geometry *g, size_t workspace_floats,
                                          ct_conv2d_pass pass);

/* The forward pass's choice (ct_conv2d_choose_pass with CT_CONV2D_PASS_FORWARD). */
ct_conv2d_algorithm ct_conv2d_choose(ct_context *ctx, const ct_conv2d_geometry *g, size_t workspace_floats);

/* y = act(conv2d(x, kernel) + bias), act = p->activation.
 *   x (N, H, W, Cin), kernel (KH, KW, Cin, Cout), bias (Cout) or NULL,
 *   y (N, OH, OW, Cout), workspace: a tensor of any shape (only its element
 *   count matters; it must not overlap the others) or NULL; NULL or too
 *   small selects the direct algorithm under CT_CONV2D_AUTO and is an error
 *   under CT_CONV2D_IM2COL.
 * The tiled algorithm applies relu as it stores y; other activations and
 * algorithms run ct_activation_forward on y afterwards. */
ct_status ct_conv2d_forward(ct_context *ctx, const ct_conv2d_params *p, const ct_tensor *x, const ct_tensor *kernel,
                            const ct_tensor *bias, ct_tensor *y, const ct_tensor *workspace);

/* Gradients of L with respect to x, kernel and bias given dy = dL/dz
 * (N, OH, OW, Cout), the gradient with respect to the convolution's output
 * before its activation, z = conv2d(x, kernel) + bias: p->activation is
 * ignored here (ct_conv2d_backward_activated starts from dL/dy):
 *   dx (N, H, W, Cin), dkernel (KH, KW, Cin, Cout), dbias (Cout) = sum of dy
 *   over N, OH, OW.
 * Any of dx, dkernel, dbias may be NULL or have a NULL buffer: that gradient is
 * skipped (the first layer of a net needs no dx). Workspace as in forward. */
ct_status ct_conv2d_backward(ct_context *ctx, const ct_conv2d_params *p, const ct_tensor *x,
                             const ct_tensor *kernel, const ct_tensor *dy, ct_tensor *dx, ct_tensor *dkernel,
                             ct_tensor *dbias, const ct_tensor *workspace);

/* The same for a layer with an activation: dy = dL/dy, the gradient with
 * respect to the forward output y = act(z) (p->activation), y as
 * ct_conv2d_forward wrote it (needed unless the activation is linear). dy
 * is scratch: it may be overwritten (with dL/dz). With relu and the tiled
 * kernel gradient, dL/dz is formed as the kernel gradient loads dy and y,
 * with no pass of its own (it then takes workspace, see
 * ct_conv2d_workspace_size); otherwise ct_activation_backward runs first. */
ct_status ct_conv2d_backward_activated(ct_context *ctx, const ct_conv2d_params *p, const ct_tensor *x,
                                       const ct_tensor *kernel, const ct_tensor *y, ct_tensor *dy, ct_tensor *dx,
                                       ct_tensor *dkernel, ct_tensor *dbias, const ct_tensor *workspace);

/* ---------------------------------------------------------------- pooling */

typedef enum { CT_POOL_MAX = 0, CT_POOL_AVERAGE = 1 } ct_pool_kind;

/* MaxPooling2D / AveragePooling2D. Strides of 0 mean "= pool size" (the
 * Keras default strides=None). */
typedef struct {
    ct_pool_kind kind;
    size_t ph, pw; /* pool size */
    size_t sh, sw; /* strides; 0 = pool size */
    ct_padding padding;
} ct_pool2d_params;

typedef struct {
    size_t n, h, w, c;
    size_t oh, ow;
    size_t ph, pw, sh, sw;
    size_t pad_top, pad_left;
} ct_pool2d_geometry;

/* Validates params against x_shape = (N, H, W, C); output is (N, OH, OW, C). */
ct_status ct_pool2d_geometry_of(const ct_pool2d_params *p, const size_t x_shape[4], ct_pool2d_geometry *g);

/* y (N, OH, OW, C) = pool(x (N, H, W, C)). Padded positions never take part:
 * max ignores them (as TF pads with -inf), average divides by the number of
 * real (non-padded) elements in the window, as TF does. */
ct_status ct_pool2d_forward(ct_context *ctx, const ct_pool2d_params *p, const ct_tensor *x, ct_tensor *y);

/* dx = dL/dx given x and dy = dL/dy. Max pooling sends each window's
 * gradient to its maximum, the first one in row-major window order on ties;
 * the argmax is recomputed from x here (no workspace, no saved indices), each
 * input element gathering from the windows that contain it, so overlapping
 * windows need no atomics and the result is deterministic. */
ct_status ct_pool2d_backward(ct_context *ctx, const ct_pool2d_params *p, const ct_tensor *x, const ct_tensor *dy,
                             ct_tensor *dx);

/* Max pooling that keeps, per output element, where in its window the
 * first maximum was (an int each; 255: a NaN maximum, which passes no
 * gradient): the backward then reads those and dy instead of x, and
 * recomputes no window. Same y and dx as the two calls above. Only for max
 * pooling whose windows do not overlap (strides at least the pool size) and
 * hold at most 254 elements: ct_pool2d_indexable. `index` is any float
 * tensor of at least ct_pool2d_index_floats(N * OH * OW * C) elements,
 * holding ints; the backward's dx has x's shape. */
bool ct_pool2d_indexable(const ct_pool2d_params *p);
size_t ct_pool2d_index_floats(size_t outputs);
ct_status ct_maxpool2d_forward_indexed(ct_context *ctx, const ct_pool2d_params *p, const ct_tensor *x, ct_tensor *y,
                                       ct_tensor *index);
ct_status ct_maxpool2d_backward_indexed(ct_context *ctx, const ct_pool2d_params *p, const ct_tensor *index,
                                        const ct_tensor *dy, ct_tensor *dx);

/* GlobalAveragePooling2D / GlobalMaxPooling2D (channels_last): y holds
 * N * C values, the mean or the maximum over height and width of each
 * channel of x (N, H, W, C); its shape may be (N, C) or (N, 1, 1, C)
 * (Keras' keepdims). The same kernels as a pool of one (H, W) window. */
ct_status ct_global_pool2d_forward(ct_context *ctx, ct_pool_kind kind, const ct_tensor *x, ct_tensor *y);

/* dx (N, H, W, C) from x and dy (N * C values). Average spreads dy evenly;
 * max sends it to the first maximum in row-major (h, w) order, as
 * ct_pool2d_backward does. Keras's backends split it evenly among exact
 * ties instead; the two differ only when a channel's maximum is repeated. */
ct_status ct_global_pool2d_backward(ct_context *ctx, ct_pool_kind kind, const ct_tensor *x, const ct_tensor *dy,
                                    ct_tensor *dx);

#ifdef __cplusplus
}
#endif
#endif
