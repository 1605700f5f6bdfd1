/* Conv2D forward and backward (cl/conv.cl): im2col + GEMM, direct, tiled or Winograd kernels.
 *
 * im2col + GEMM, row-major, NHWC: the patch matrix P (rows = N*OH*OW,
 * K = KH*KW*Cin, patch elements in (ky, kx, ci) order) times the Keras kernel
 * seen as a K x Cout matrix W is the output seen as rows x Cout:
 *   y  = P W (+ bias, written into y first and accumulated with beta = 1)
 *   dW = P^T dy                (summed over chunks with beta = 1)
 *   dP = dy W^T, then col2im folds dP onto dx
 *   db = column sums of dy
 * P lives in the caller's workspace, a chunk of images at a time. A 1x1
 * kernel with stride 1 needs no P at all: x itself is P.
 *
 * The tiled algorithm computes each pass as an implicit GEMM in the
 * register tiles of the own GEMM kernel: the forward pass straight from x,
 * the kernel gradient from x and dy (split over ranges of output rows when
 * the workspace holds partial results), the input gradient (stride 1) as a
 * forward convolution of dy with the flipped kernel.
 *
 * Winograd (3x3, stride 1: the forward pass and the input gradient, the
 * latter again as a forward convolution of dy) transforms the kernel into
 * the workspace, then computes F(4x4, 3x3) or F(2x2, 3x3) tiles in one
 * kernel per pass (see winograd_cl); the kernel gradient stays tiled.
 *
 * The choice of algorithm (CT_CONV2D_AUTO) is made per pass (forward,
 * input gradient, kernel gradient) by measurement, see
 * choose_by_measurement() below. */
#include "cltrain/ops_conv.h"

#include <string.h>

#include "cltrain/gemm.h"
#include "cltrain/ops_nn.h"
#include "core/launch.h"
#include "ops/window.h"

/* Cap on the im2col workspace ct_conv2d_workspace_size() asks for. */
#define IM2COL_CAP_FLOATS ((size_t)8 << 20)

/* Mirror of conv_geometry in cl/conv.cl: 16 ints in the same order. */
typedef struct {
    cl_int images, h, w, cin, oh, ow, cout, kh, kw, sh, sw, pad_top, pad_left, unused[3];
} conv_geometry_cl;
#include "ops/conv_layout.h" /* _Static_asserts against cl/conv.cl */

const char *ct_conv2d_algorithm_name(ct_conv2d_algorithm a)
{
    static const char *const names[CT_CONV2D_ALGORITHM_COUNT] = {"auto", "im2col", "direct", "tiled", "winograd"};
    return (a >= 0 && a < CT_CONV2D_ALGORITHM_COUNT) ? names[a] : "unknown";
}

/* ---------------------------------------------------------------- geometry */

ct_status ct_conv2d_geometry_of(const ct_conv2d_params *p, const size_t x_shape[4], size_t filters,
                                ct_conv2d_geometry *g)
{
    if (!p || !x_shape || !g)
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "conv2d: NULL params, shape or geometry");
    if (x_shape[0] == 0 || x_shape[3] == 0 || filters == 0 || x_shape[0] > CT_WINDOW_MAX_EXTENT ||
        x_shape[3] > CT_WINDOW_MAX_EXTENT || filters > CT_WINDOW_MAX_EXTENT)
        return ct_fail(CT_ERR_SHAPE, "conv2d: batch %zu, channels %zu and filters %zu must be positive (and sane)",
                       x_shape[0], x_shape[3], filters);
    if ((unsigned)p->algorithm >= CT_CONV2D_ALGORITHM_COUNT)
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "conv2d: unknown algorithm %d", (int)p->algorithm);
    memset(g, 0, sizeof *g);
    CT_TRY(ct_window_axis("conv2d", "height", x_shape[1], p->kh, p->sh, p->padding, &g->oh, &g->pad_top));
    CT_TRY(ct_window_axis("conv2d", "width", x_shape[2], p->kw, p->sw, p->padding, &g->ow, &g->pad_left));
    g->n = x_shape[0];
    g->h = x_shape[1];
    g->w = x_shape[2];
    g->cin = x_shape[3];
    g->cout = filters;
    g->kh = p->kh;
    g->kw = p->kw;
    g->sh = p->sh;
    g->sw = p->sw;
    if (!ct_fits_int(g->n, g->h, g->w, g->cin) || !ct_fits_int(g->n, g->oh, g->ow, g->cout) ||
        !ct_fits_int(g->n, g->oh, g->ow, g->kh) || !ct_fits_int(g->kh, g->kw, g->cin, g->cout))
        return ct_fail(CT_ERR_SHAPE, "conv2d: input, output or kernel has more than %d elements", INT_MAX);
    return CT_OK;
}

static size_t patch_size(const ct_conv2d_geometry *g) { return g->kh * g->kw * g->cin; }
static size_t out_pixels(const ct_conv2d_geometry *g) { return g->oh * g->ow; }
static size_t patch_floats_per_image(const ct_conv2d_geometry *g) { return out_pixels(g) * patch_size(g); }

/* 1x1 kernel, stride 1 (no padding then, even with 'same'): x is its own patch matrix. */
static int is_pointwise(const ct_conv2d_geometry *g) { return g->kh == 1 && g->kw == 1 && g->sh == 1 && g->sw == 1; }

/* The im2col matrix of as many images as fit under the cap. */
static size_t im2col_floats(const ct_conv2d_geometry *g)
{
    if (is_pointwise(g))
        return 0;
    size_t per_image = patch_floats_per_image(g);
    size_t images = per_image > IM2COL_CAP_FLOATS ? 1 : IM2COL_CAP_FLOATS / per_image;
    return per_image * (images < g->n ? images : g->n);
}

/* The tiled algorithm: the kernel gradient's partial results (see
 * dw_ranges, under the cap), the flipped kernel and padding zeros of
 * dx_tiled, or the forward pass's padding zeros, whichever is largest;
 * after dz for a relu layer. */
#define DW_MAX_RANGES 32
#define DW_MIN_ROWS 4
static size_t tiled_floats(const ct_conv2d_geometry *g, ct_activation act)
{
    /* relu: dz, the gradient through the activation, first (see backward_relu_tiled) */
    size_t dz = act == CT_ACTIVATION_RELU ? g->n * out_pixels(g) * g->cout : 0;
    size_t per_range = (patch_size(g) + 1) * g->cout, ranges = (g->n * g->oh + DW_MIN_ROWS - 1) / DW_MIN_ROWS;
    if (ranges > DW_MAX_RANGES)
        ranges = DW_MAX_RANGES;
    if (ranges * per_range > IM2COL_CAP_FLOATS)
        ranges = IM2COL_CAP_FLOATS / per_range;
    size_t parts = ranges > 1 ? ranges * per_range : 0, flipped = (patch_size(g) + g->kw) * g->cout;
    size_t most = parts > flipped ? parts : flipped, zeros = g->kw * g->cin;
    return dz + (most > zeros ? most : zeros);
}

/* The Winograd algorithm (3x3, stride 1): the transformed kernel,
 * U[16 or 36][channels reduced over][channels out, rounded up to 32], of
 * the forward pass or the input gradient, whichever is larger. */
static int winograd_shape(const ct_conv2d_geometry *g)
{
    return g->kh == 3 && g->kw == 3 && g->sh == 1 && g->sw == 1;
}
/* F(4x4, 3x3) (conv2d_winograd4: full 32-channel panels, 16 or 32 input
 * channels), else F(2x2, 3x3). */
static int winograd_f4(size_t cin, size_t cout) { return cout % 32 == 0 && (cin == 16 || cin == 32); }
static size_t winograd_u_floats(size_t cin, size_t cout)
{
    return (winograd_f4(cin, cout) ? 36 : 16) * cin * ((cout + 31) / 32 * 32);
}
static size_t winograd_floats(const ct_conv2d_geometry *g)
{
    if (!winograd_shape(g))
        return 0;
    size_t fwd = winograd_u_floats(g->cin, g->cout), dx = winograd_u_floats(g->cout, g->cin);
    return fwd > dx ? fwd : dx;
}

ct_status ct_conv2d_workspace_size(const ct_conv2d_params *p, const size_t x_shape[4], size_t filters,
                                   size_t *floats)
{
    ct_conv2d_geometry g;
    CT_TRY(ct_conv2d_geometry_of(p, x_shape, filters, &g));
    size_t im2col = im2col_floats(&g), tiled = tiled_floats(&g, p->activation);
    /* after dz for a relu layer, as the tiled algorithm's */
    size_t dz = p->activation == CT_ACTIVATION_RELU ? g.n * out_pixels(&g) * g.cout : 0;
    size_t wino = winograd_floats(&g) ? dz + winograd_floats(&g) : 0;
    if (wino < tiled)
        wino = tiled;
    switch (p->algorithm) {
    case CT_CONV2D_DIRECT: *floats = 0; break;
    case CT_CONV2D_IM2COL: *floats = im2col; break;
    case CT_CONV2D_TILED: *floats = tiled; break;
    case CT_CONV2D_WINOGRAD: *floats = wino; break;
    default: *floats = im2col > wino ? im2col : wino; break;
    }
    return CT_OK;
}

/* Images whose patch matrix fits in the workspace at once (0: not even one). */
static size_t images_per_chunk(const ct_conv2d_geometry *g, size_t workspace_floats)
{
    if (is_pointwise(g))
        return g->n;
    size_t fit = workspace_floats / patch_floats_per_image(g);
    return fit < g->n ? fit : g->n;
}

/* The rule for CT_CONV2D_AUTO, per pass, measured with tools/convbench on
 * PoCL 3.1's CPU device (2-core AMD EPYC, AVX-512, shared and noisy),
 * batch 32, 3x3 'valid', no activation, milliseconds (medians
 * of 5 runs of convbench --runs 7), forward / input gradient / kernel
 * gradient:
 *
 *   shape                 im2col+own GEMM     direct              tiled
 *   32x32x3  -> 30x30x32  3.69 / 1.02 / 1.02  1.03 / 1.44 / 0.49  0.46 / 3.96 / 0.66
 *   30x30x32 -> 28x28x32  4.56 / 6.22 / 3.78  4.41 / 5.26 / 4.95  2.41 / 2.78 / 2.31
 *   15x15x32 -> 13x13x32  0.88 / 1.01 / 0.76  1.21 / 1.23 / 0.92  0.50 / 0.79 / 0.58
 *   30x30x32 -> 28x28x16  2.88 / 4.83 / 3.39  2.23 / 3.82 / 2.06  1.18 / 1.53 / 1.19
 *
 * (the first row is the noisiest: its best runs were 1.92 / 0.96 / 0.97,
 * 0.79 / 0.77 / 0.40 and 0.38 / 3.86 / 0.36). The tiled kernels reach
 * 190-205 GFLOP/s on the 32-channel layers, about 85% of the machine's
 * FMA peak.
 *
 * Winograd (3x3 stride 1 only; forward / input gradient, the kernel
 * gradient stays tiled), medians of 5 interleaved convbench runs against
 * the tiled kernels of the same build, F(2x2, 3x3) and, where it applies
 * (full 32-channel output panels, 16 or 32 channels reduced over),
 * F(4x4, 3x3):
 *
 *   shape                 tiled          F(2x2)         F(4x4)
 *   30x30x32 -> 28x28x32  2.29 / 2.82    1.30 / 1.49    1.07 / 1.31   (431 / 353 GFLOP/s counted as direct)
 *   15x15x32 -> 13x13x32  0.50 / 0.74    0.42 / 0.47    0.37 / 0.38
 *   30x30x32 -> 28x28x16  1.15 / 1.51    0.75 / 0.88    -    / 0.67
 *   30x30x16 -> 28x28x32  2.53 / 3.05    1.52 / 1.88                  (3 runs, F(2x2) only)
 *   30x30x8  -> 28x28x32  1.25 / -       0.95 / -                     (3 runs)
 *   32x32x3  -> 30x30x32  0.70 / -       0.86 / -                     (3 input channels: the transforms dominate)
 *   6x6x32   -> 4x4x32    0.10 / 0.28    -              0.17 / 0.25   (wall, 5 runs; 32 F(4x4) tiles: 3 work-items)
 *
 * F(4x4)'s error is larger (op tests: forward nmse ~1.5e-12 against F(2x2)'s
 * ~4e-14 and the table's 1e-10) and so is its kernel (PoCL JIT ~1.3 s
 * against ~0.9 s).
 *
 * CPUs take Winograd for the forward pass of a 3x3 stride-1 layer with at
 * least 8 input channels and for its input gradient (the products then
 * run over the output channels) when the pass has at least 2048 output
 * pixels (over all images; fewer leave too few blocks of tiles to share
 * out), otherwise the tiled kernels, except for the input gradient of a
 * layer with few input channels (most of a 32-channel tile would be
 * padding) or a stride above 1 (the tiled input gradient needs stride 1),
 * which the direct kernel computes. Winograd
 * needs the transformed kernel in the workspace (else tiled). GPUs take
 * im2col, which hands the work to a vendor-class GEMM, while the direct,
 * tiled and Winograd kernels there run without local-memory tiling or one
 * work-item per group: a choice by construction, not yet measured (run
 * convbench there). */
#define DX_TILED_MIN_CIN 16
#define WINOGRAD_MIN_CHANNELS 8   /* channels the products run over */
#define WINOGRAD_MIN_PIXELS 2048 /* output pixels of the pass, all images */
static ct_conv2d_algorithm choose_by_measurement(const ct_device_info *dev, const ct_conv2d_geometry *g,
                                                 ct_conv2d_pass pass)
{
    if (!dev->profile.is_cpu_class)
        return CT_CONV2D_IM2COL;
    if (pass == CT_CONV2D_PASS_DX && (g->cin < DX_TILED_MIN_CIN || g->sh != 1 || g->sw != 1))
        return CT_CONV2D_DIRECT;
    if (pass == CT_CONV2D_PASS_FORWARD && winograd_shape(g) && g->cin >= WINOGRAD_MIN_CHANNELS &&
        g->n * g->oh * g->ow >= WINOGRAD_MIN_PIXELS)
        return CT_CONV2D_WINOGRAD;
    if (pass == CT_CONV2D_PASS_DX && winograd_shape(g) && g->cout >= WINOGRAD_MIN_CHANNELS &&
        g->n * g->h * g->w >= WINOGRAD_MIN_PIXELS)
        return CT_CONV2D_WINOGRAD;
    return CT_CONV2D_TILED;
}

ct_conv2d_algorithm ct_conv2d_choose_pass(ct_context *ctx, const ct_conv2d_geometry *g, size_t workspace_floats,
                                          ct_conv2d_pass pass)
{
    ct_conv2d_algorithm a = choose_by_measurement(ct_context_device(ctx), g, pass);
    if (a == CT_CONV2D_IM2COL && images_per_chunk(g, workspace_floats) == 0)
        return CT_CONV2D_DIRECT; /* no room for even one image's patches */
    if (a == CT_CONV2D_WINOGRAD && workspace_floats < winograd_floats(g))
        return CT_CONV2D_TILED; /* no room for the transformed kernel */
    return a;
}

ct_conv2d_algorithm ct_conv2d_choose(ct_context *ctx, const ct_conv2d_geometry *g, size_t workspace_floats)
{
    return ct_conv2d_choose_pass(ctx, g, workspace_floats, CT_CONV2D_PASS_FORWARD);
}

/* ---------------------------------------------------------------- checks */

static size_t workspace_floats_of(const ct_tensor *ws) { return ws && ws->buf ? ct_tensor_count(ws) : 0; }

/* Geometry from x and kernel, and the checks every entry point shares. */
static ct_status conv_setup(const char *op, const ct_conv2d_params *p, const ct_tensor *x, const ct_tensor *kernel,
                            ct_conv2d_geometry *g)
{
    if (!p)
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "%s: NULL params", op);
    if (!x || !x->buf || x->ndim != 4)
        return ct_fail(CT_ERR_SHAPE, "%s: the input must be a 4-D NHWC tensor (N, H, W, C)", op);
    if (!kernel || !kernel->buf || kernel->ndim != 4)
        return ct_fail(CT_ERR_SHAPE, "%s: the kernel must be a 4-D tensor (KH, KW, Cin, Cout)", op);
    char xs[96], ks[96];
    if (kernel->shape[0] != p->kh || kernel->shape[1] != p->kw)
        return ct_fail(CT_ERR_SHAPE, "%s: kernel %s does not match kernel_size %zux%zu", op,
                       ct_shape_str(4, kernel->shape, ks, sizeof ks), p->kh, p->kw);
    if (kernel->shape[2] != x->shape[3])
        return ct_fail(CT_ERR_SHAPE, "%s: input %s has %zu channels, kernel %s expects %zu", op,
                       ct_shape_str(4, x->shape, xs, sizeof xs), x->shape[3],
                       ct_shape_str(4, kernel->shape, ks, sizeof ks), kernel->shape[2]);
    return ct_conv2d_geometry_of(p, x->shape, kernel->shape[3], g);
}

static int present(const ct_tensor *t) { return t && t->buf; }

static ct_status check_bias(const char *op, const char *what, const ct_tensor *b, size_t cout)
{
    if (ct_tensor_count(b) == cout && b->ndim == 1)
        return CT_OK;
    char s[96];
    return ct_fail(CT_ERR_SHAPE, "%s: %s has shape %s, expected (%zu)", op, what, ct_shape_str(b->ndim, b->shape, s, sizeof s),
                   cout);
}

static ct_status resolve_algorithm(ct_context *ctx, const char *op, const ct_conv2d_params *p,
                                   const ct_conv2d_geometry *g, const ct_tensor *ws, ct_conv2d_pass pass,
                                   ct_conv2d_algorithm *out)
{
    size_t have = workspace_floats_of(ws);
    *out = p->algorithm == CT_CONV2D_AUTO ? ct_conv2d_choose_pass(ctx, g, have, pass) : p->algorithm;
    if (*out == CT_CONV2D_WINOGRAD && (pass == CT_CONV2D_PASS_DW || !winograd_shape(g)))
        *out = CT_CONV2D_TILED; /* what Winograd does not cover */
    if (*out == CT_CONV2D_IM2COL && images_per_chunk(g, have) == 0)
        return ct_fail(CT_ERR_INVALID_ARGUMENT,
                       "%s: the im2col algorithm needs a workspace of at least %zu floats (one image), got %zu; "
                       "see ct_conv2d_workspace_size",
                       op, patch_floats_per_image(g), have);
    return CT_OK;
}

/* ---------------------------------------------------------------- launches */

static conv_geometry_cl to_cl(const ct_conv2d_geometry *g, size_t images)
{
    conv_geometry_cl c = {
        .images = (cl_int)images, .h = (cl_int)g->h, .w = (cl_int)g->w, .cin = (cl_int)g->cin,
        .oh = (cl_int)g->oh, .ow = (cl_int)g->ow, .cout = (cl_int)g->cout, .kh = (cl_int)g->kh,
        .kw = (cl_int)g->kw, .sh = (cl_int)g->sh, .sw = (cl_int)g->sw, .pad_top = (cl_int)g->pad_top,
        .pad_left = (cl_int)g->pad_left,
    };
    return c;
}

/* t moved on by `elements` (a chunk's start), same buffer. */
static ct_tensor advanced(const ct_tensor *t, size_t elements)
{
    ct_tensor v = *t;
    v.offset += elements;
    v.owns = 0;
    return v;
}

static ct_status launch_im2col(ct_context *ctx, const ct_conv2d_geometry *g, size_t images, const ct_tensor *x,
                               const ct_tensor *col)
{
    cl_kernel k;
    CT_TRY(ct_context_kernel(ctx, "conv", "conv2d_im2col", &k));
    conv_geometry_cl gc = to_cl(g, images);
    cl_int per_item = ct_channels_per_item(ctx, g->kw * g->cin);
    cl_uint i = 0;
    cl_int err = clSetKernelArg(k, i++, sizeof gc, &gc);
    err |= CT_ARG(k, i++, per_item);
    err |= ct_arg_tensor(k, &i, x);
    err |= ct_arg_tensor(k, &i, col);
    CT_TRY(ct_args_ok(err, "conv2d_im2col"));
    return ct_launch_rows(ctx, k, ct_items_for(g->kw * g->cin, per_item), images * out_pixels(g) * g->kh,
                       "conv2d_im2col");
}

static ct_status launch_col2im(ct_context *ctx, const ct_conv2d_geometry *g, size_t images, const ct_tensor *dcol,
                               const ct_tensor *dx)
{
    cl_kernel k;
    CT_TRY(ct_context_kernel(ctx, "conv", "conv2d_col2im", &k));
    conv_geometry_cl gc = to_cl(g, images);
    cl_int per_item = ct_channels_per_item(ctx, g->cin);
    cl_uint i = 0;
    cl_int err = clSetKernelArg(k, i++, sizeof gc, &gc);
    err |= CT_ARG(k, i++, per_item);
    err |= ct_arg_tensor(k, &i, dcol);
    err |= ct_arg_tensor(k, &i, dx);
    CT_TRY(ct_args_ok(err, "conv2d_col2im"));
    return ct_launch_rows(ctx, k, ct_items_for(g->cin, per_item), images * g->h * g->w, "conv2d_col2im");
}

static ct_status launch_fill_bias(ct_context *ctx, const ct_conv2d_geometry *g, const ct_tensor *bias,
                                  const ct_tensor *y)
{
    cl_kernel k;
    CT_TRY(ct_context_kernel(ctx, "conv", "conv2d_fill_bias", &k));
    cl_ulong rows = g->n * out_pixels(g);
    cl_int cout = (cl_int)g->cout;
    cl_uint i = 0;
    cl_int err = CT_ARG(k, i++, rows);
    err |= CT_ARG(k, i++, cout);
    err |= ct_arg_tensor(k, &i, bias);
    err |= ct_arg_tensor(k, &i, y);
    CT_TRY(ct_args_ok(err, "conv2d_fill_bias"));
    return ct_launch_1d(ctx, k, rows * g->cout, "conv2d_fill_bias");
}

/* One work-group per 16 channels on CPUs (one float16 per row), per channel
 * elsewhere; the group size is a power of two. */
static ct_status launch_bias_grad(ct_context *ctx, const ct_conv2d_geometry *g, const ct_tensor *dy,
                                  const ct_tensor *db)
{
    cl_kernel k;
    CT_TRY(ct_context_kernel(ctx, "conv", "conv2d_bias_grad", &k));
    size_t limit = 64, kernel_max = 0, local = 1;
    clGetKernelWorkGroupInfo(k, ct_context_device(ctx)->device, CL_KERNEL_WORK_GROUP_SIZE, sizeof kernel_max,
                             &kernel_max, NULL);
    if (kernel_max && kernel_max < limit)
        limit = kernel_max;
    while (local * 2 <= limit)
        local *= 2;
    cl_ulong rows = g->n * out_pixels(g);
    cl_int cout = (cl_int)g->cout, lanes = ct_context_device(ctx)->profile.is_cpu_class ? 16 : 1;
    cl_uint i = 0;
    cl_int err = CT_ARG(k, i++, rows);
    err |= CT_ARG(k, i++, cout);
    err |= CT_ARG(k, i++, lanes);
    err |= ct_arg_tensor(k, &i, dy);
    err |= ct_arg_tensor(k, &i, db);
    err |= clSetKernelArg(k, i++, local * 16 * sizeof(float), NULL);
    CT_TRY(ct_args_ok(err, "conv2d_bias_grad"));
    size_t global = local * ct_items_for(g->cout, lanes);
    cl_int e = clEnqueueNDRangeKernel(ct_context_queue(ctx), k, 1, NULL, &global, &local, 0, NULL, NULL);
    return e == CL_SUCCESS ? CT_OK : ct_cl_fail(e, "launching conv2d_bias_grad");
}

static ct_status gemm(ct_context *ctx, ct_transpose ta, ct_transpose tb, size_t m, size_t n, size_t k, float beta,
                      const ct_tensor *a, size_t lda, const ct_tensor *b, size_t ldb, const ct_tensor *c, size_t ldc)
{
    ct_gemm_args args = {
        .trans_a = ta, .trans_b = tb, .m = m, .n = n, .k = k, .alpha = 1.0f, .beta = beta,
        .a = a->buf, .a_offset = a->offset, .lda = lda,
        .b = b->buf, .b_offset = b->offset, .ldb = ldb,
        .c = c->buf, .c_offset = c->offset, .ldc = ldc,
    };
    return ct_gemm(ctx, &args);
}

/* ---------------------------------------------------------------- im2col + GEMM */

/* The patch matrix of images [first, first + images): x itself when pointwise,
 * else built in the workspace. */
static ct_status patches(ct_context *ctx, const ct_conv2d_geometry *g, const ct_tensor *x, size_t first,
                         size_t images, const ct_tensor *ws, ct_tensor *out)
{
    ct_tensor x_chunk = advanced(x, first * g->h * g->w * g->cin);
    if (is_pointwise(g)) {
        *out = x_chunk;
        return CT_OK;
    }
    *out = advanced(ws, 0);
    return launch_im2col(ctx, g, images, &x_chunk, out);
}

static ct_status forward_im2col(ct_context *ctx, const ct_conv2d_geometry *g, const ct_tensor *x,
                                const ct_tensor *kernel, const ct_tensor *bias, ct_tensor *y, const ct_tensor *ws)
{
    const size_t K = patch_size(g), chunk = images_per_chunk(g, workspace_floats_of(ws));
    if (bias)
        CT_TRY(launch_fill_bias(ctx, g, bias, y));
    for (size_t first = 0; first < g->n; first += chunk) {
        size_t images = g->n - first < chunk ? g->n - first : chunk;
        size_t rows = images * out_pixels(g);
        ct_tensor p, y_chunk = advanced(y, first * out_pixels(g) * g->cout);
        CT_TRY(patches(ctx, g, x, first, images, ws, &p));
        CT_TRY(gemm(ctx, CT_NO_TRANS, CT_NO_TRANS, rows, g->cout, K, bias ? 1.0f : 0.0f, &p, K, kernel, g->cout,
                    &y_chunk, g->cout));
    }
    return CT_OK;
}

static ct_status backward_im2col(ct_context *ctx, const ct_conv2d_geometry *g, const ct_tensor *x,
                                 const ct_tensor *kernel, const ct_tensor *dy, ct_tensor *dx, ct_tensor *dkernel,
                                 const ct_tensor *ws)
{
    const size_t K = patch_size(g), chunk = images_per_chunk(g, workspace_floats_of(ws));
    for (size_t first = 0; first < g->n; first += chunk) {
        size_t images = g->n - first < chunk ? g->n - first : chunk;
        size_t rows = images * out_pixels(g);
        ct_tensor dy_chunk = advanced(dy, first * out_pixels(g) * g->cout);
        if (dkernel) { /* dW (K x Cout) (+)= P^T dy */
            ct_tensor p;
            CT_TRY(patches(ctx, g, x, first, images, ws, &p));
            CT_TRY(gemm(ctx, CT_TRANS, CT_NO_TRANS, K, g->cout, rows, first ? 1.0f : 0.0f, &p, K, &dy_chunk,
                        g->cout, dkernel, g->cout));
        }
        if (dx) { /* dP (rows x K) = dy W^T overwrites P: the queue is in order, the dW GEMM has read P */
            ct_tensor dx_chunk = advanced(dx, first * g->h * g->w * g->cin);
            const ct_tensor *dp = is_pointwise(g) ? &dx_chunk : ws;
            CT_TRY(gemm(ctx, CT_NO_TRANS, CT_TRANS, rows, K, g->cout, 0.0f, &dy_chunk, g->cout, kernel, g->cout, dp,
                        K));
            if (!is_pointwise(g))
                CT_TRY(launch_col2im(ctx, g, images, ws, &dx_chunk));
        }
    }
    return CT_OK;
}

/* ---------------------------------------------------------------- direct */

/* Output pixels per work-item in conv2d_forward_direct (FW_PIXELS there). */
#define FW_PIXELS 4

static ct_status forward_direct(ct_context *ctx, const ct_conv2d_geometry *g, const ct_tensor *x,
                                const ct_tensor *kernel, const ct_tensor *bias, ct_tensor *y)
{
    cl_kernel k;
    CT_TRY(ct_context_kernel(ctx, "conv", "conv2d_forward_direct", &k));
    conv_geometry_cl gc = to_cl(g, g->n);
    cl_int per_item = ct_channels_per_item(ctx, g->cout), has_bias = bias != NULL;
    const ct_tensor *b = bias ? bias : kernel; /* any valid buffer when there is no bias */
    cl_uint i = 0;
    cl_int err = clSetKernelArg(k, i++, sizeof gc, &gc);
    err |= CT_ARG(k, i++, per_item);
    err |= ct_arg_tensor(k, &i, x);
    err |= ct_arg_tensor(k, &i, kernel);
    err |= ct_arg_tensor(k, &i, b);
    err |= CT_ARG(k, i++, has_bias);
    err |= ct_arg_tensor(k, &i, y);
    CT_TRY(ct_args_ok(err, "conv2d_forward_direct"));
    size_t pixel_blocks = g->n * g->oh * ((g->ow + FW_PIXELS - 1) / FW_PIXELS);
    return ct_launch_rows(ctx, k, ct_items_for(g->cout, per_item), pixel_blocks, "conv2d_forward_direct");
}

/* kernel(geometry, per_item, a, b, c) over (ceil(channels / per_item), outer). */
static ct_status launch_direct_grad(ct_context *ctx, const char *name, const ct_conv2d_geometry *g,
                                    size_t channels, size_t outer, const ct_tensor *a, const ct_tensor *b,
                                    const ct_tensor *c)
{
    cl_kernel k;
    CT_TRY(ct_context_kernel(ctx, "conv", name, &k));
    conv_geometry_cl gc = to_cl(g, g->n);
    cl_int per_item = ct_channels_per_item(ctx, channels);
    cl_uint i = 0;
    cl_int err = clSetKernelArg(k, i++, sizeof gc, &gc);
    err |= CT_ARG(k, i++, per_item);
    err |= ct_arg_tensor(k, &i, a);
    err |= ct_arg_tensor(k, &i, b);
    err |= ct_arg_tensor(k, &i, c);
    CT_TRY(ct_args_ok(err, name));
    return ct_launch_rows(ctx, k, ct_items_for(channels, per_item), outer, name);
}

/* Input channels per work-item in conv2d_dw_direct (DW_BLOCK there). */
#define DW_BLOCK 4
static size_t channel_blocks(const ct_conv2d_geometry *g) { return (g->cin + DW_BLOCK - 1) / DW_BLOCK; }

static ct_status backward_direct(ct_context *ctx, const ct_conv2d_geometry *g, const ct_tensor *x,
                                 const ct_tensor *kernel, const ct_tensor *dy, ct_tensor *dx, ct_tensor *dkernel)
{
    if (dx)
        CT_TRY(launch_direct_grad(ctx, "conv2d_dx_direct", g, g->cin, g->n * g->h * g->w, dy, kernel, dx));
    if (dkernel)
        CT_TRY(launch_direct_grad(ctx, "conv2d_dw_direct", g, g->cout, g->kh * g->kw * channel_blocks(g), x, dy,
                                  dkernel));
    return CT_OK;
}

/* ---------------------------------------------------------------- tiled */

/* Must match TM and TN in cl/conv.cl. */
enum { TILE_ROWS = 12, TILE_COLS = 32 };

static size_t ceil_div(size_t a, size_t b) { return (a + b - 1) / b; }

/* Tiles per work-item: 8 (96 output pixels) outweigh taking them; 2 to 16
 * measured the same on CIFAR shapes, 32 and more slower (convbench, PoCL,
 * 2 cores). Fewer on small layers, to leave a few items per compute unit. */
#define TILES_PER_ITEM 8
static cl_int tiles_per_item(ct_context *ctx, size_t tiles, size_t panels)
{
    const ct_device_info *dev = ct_context_device(ctx);
    size_t cu = dev->compute_units ? dev->compute_units : 1;
    size_t per = ceil_div(tiles * panels, 4 * cu);
    return (cl_int)(per < 1 ? 1 : per > TILES_PER_ITEM ? TILES_PER_ITEM : per);
}

/* Full channel panels through kernel `full`, the partial last one (if
 * any) through `edge`; global (panels, items), one work-item per group. */
static ct_status launch_panels(ct_context *ctx, const char *name, cl_kernel full, cl_kernel edge, size_t channels,
                               size_t tiles, cl_int per_item)
{
    size_t items = ceil_div(tiles, (size_t)per_item), local[2] = {1, 1};
    size_t full_panels = channels / TILE_COLS;
    if (full_panels) {
        size_t global[2] = {full_panels, items};
        cl_int e = clEnqueueNDRangeKernel(ct_context_queue(ctx), full, 2, NULL, global, local, 0, NULL, NULL);
        if (e != CL_SUCCESS)
            return ct_cl_fail(e, name);
    }
    if (channels % TILE_COLS) {
        size_t global[2] = {1, items};
        cl_int e = clEnqueueNDRangeKernel(ct_context_queue(ctx), edge, 2, NULL, global, local, 0, NULL, NULL);
        if (e != CL_SUCCESS)
            return ct_cl_fail(e, name);
    }
    return CT_OK;
}

/* 1 when some window of this geometry reaches past the input on any side
 * ('same' padding, and the input gradient's view); a stride that merely
 * leaves the last rows or columns unread does not count. */
static int has_padding(const conv_geometry_cl *g)
{
    return g->pad_top > 0 || g->pad_left > 0 || (g->oh - 1) * g->sh - g->pad_top + g->kh > g->h ||
           (g->ow - 1) * g->sw - g->pad_left + g->kw > g->w;
}

/* y = conv(x, kernel) (+ bias, then relu if asked) with the tile kernels,
 * for a geometry as the kernels see it (also the input gradient's, see
 * dx_tiled). zeros: KW*Cin zero floats that windows reaching into the
 * padding read, or NULL (the kernels then mask those values). */
static ct_status forward_tiled_cl(ct_context *ctx, const conv_geometry_cl *gc, const ct_tensor *x,
                                  const ct_tensor *kernel, const ct_tensor *bias, cl_int relu, const ct_tensor *zeros,
                                  const ct_tensor *y)
{
    cl_kernel k[2];
    CT_TRY(ct_context_kernel(ctx, "conv", "conv2d_forward_tile", &k[0]));
    CT_TRY(ct_context_kernel(ctx, "conv", "conv2d_forward_tile_edge", &k[1]));
    size_t cout = (size_t)gc->cout;
    size_t tiles = ceil_div((size_t)gc->images * (size_t)gc->oh * (size_t)gc->ow, TILE_ROWS);
    cl_int per_item = tiles_per_item(ctx, tiles, ceil_div(cout, TILE_COLS));
    cl_int has_bias = bias != NULL, has_zeros = zeros != NULL;
    const ct_tensor *b = bias ? bias : kernel, *z = zeros ? zeros : kernel; /* any valid buffer when unused */
    for (int v = 0; v < 2; v++) {
        cl_int first_panel = v ? (cl_int)(cout / TILE_COLS) : 0;
        cl_uint i = 0;
        cl_int err = clSetKernelArg(k[v], i++, sizeof *gc, gc);
        err |= CT_ARG(k[v], i++, per_item);
        err |= CT_ARG(k[v], i++, first_panel);
        err |= ct_arg_tensor(k[v], &i, x);
        err |= ct_arg_tensor(k[v], &i, kernel);
        err |= ct_arg_tensor(k[v], &i, b);
        err |= CT_ARG(k[v], i++, has_bias);
        err |= CT_ARG(k[v], i++, relu);
        err |= ct_arg_tensor(k[v], &i, z);
        err |= CT_ARG(k[v], i++, has_zeros);
        err |= ct_arg_tensor(k[v], &i, y);
        CT_TRY(ct_args_ok(err, "conv2d_forward_tile"));
    }
    return launch_panels(ctx, "launching conv2d_forward_tile", k[0], k[1], cout, tiles, per_item);
}

/* The forward pass; padding zeros at the start of the workspace when it has room. */
static ct_status forward_tiled(ct_context *ctx, const ct_conv2d_geometry *g, const ct_tensor *x,
                               const ct_tensor *kernel, const ct_tensor *bias, int relu, ct_tensor *y,
                               const ct_tensor *ws)
{
    conv_geometry_cl gc = to_cl(g, g->n);
    size_t zero_floats = g->kw * g->cin;
    if (!has_padding(&gc) || workspace_floats_of(ws) < zero_floats)
        return forward_tiled_cl(ctx, &gc, x, kernel, bias, relu, NULL, y);
    const float zero = 0.0f;
    cl_int e = clEnqueueFillBuffer(ct_context_queue(ctx), ws->buf, &zero, sizeof zero, ws->offset * sizeof(float),
                                   zero_floats * sizeof(float), 0, NULL, NULL);
    if (e != CL_SUCCESS)
        return ct_cl_fail(e, "zeroing the tiled convolution's padding block");
    return forward_tiled_cl(ctx, &gc, x, kernel, bias, relu, ws, y);
}

/* The input gradient as a forward convolution, for stride 1: dx = dy
 * convolved with the kernel flipped in (ky, kx) and transposed in
 * (ci, co), dy padded with KH-1-pad_top rows above and KW-1-pad_left
 * columns to the left (and what makes the output H x W below and to the
 * right). The flipped kernel goes to the workspace, followed by the zeros
 * for the padding (conv2d_flip_transpose writes both). */
static int dx_tiled_fits(const ct_conv2d_geometry *g, size_t ws_floats)
{
    return g->sh == 1 && g->sw == 1 && ws_floats >= (patch_size(g) + g->kw) * g->cout;
}

static ct_status dx_tiled(ct_context *ctx, const ct_conv2d_geometry *g, const ct_tensor *kernel,
                          const ct_tensor *dy, const ct_tensor *dx, const ct_tensor *ws)
{
    cl_kernel k;
    CT_TRY(ct_context_kernel(ctx, "conv", "conv2d_flip_transpose", &k));
    conv_geometry_cl gc = to_cl(g, g->n);
    cl_uint i = 0;
    cl_int err = clSetKernelArg(k, i++, sizeof gc, &gc);
    err |= ct_arg_tensor(k, &i, kernel);
    err |= ct_arg_tensor(k, &i, ws);
    CT_TRY(ct_args_ok(err, "conv2d_flip_transpose"));
    CT_TRY(ct_launch_1d(ctx, k, (patch_size(g) + g->kw) * g->cout, "conv2d_flip_transpose"));
    conv_geometry_cl t = {
        .images = (cl_int)g->n, .h = (cl_int)g->oh, .w = (cl_int)g->ow, .cin = (cl_int)g->cout,
        .oh = (cl_int)g->h, .ow = (cl_int)g->w, .cout = (cl_int)g->cin, .kh = (cl_int)g->kh, .kw = (cl_int)g->kw,
        .sh = 1, .sw = 1, .pad_top = (cl_int)(g->kh - 1 - g->pad_top), .pad_left = (cl_int)(g->kw - 1 - g->pad_left),
    };
    ct_tensor zeros = advanced(ws, patch_size(g) * g->cout);
    return forward_tiled_cl(ctx, &t, dy, ws, NULL, 0, &zeros, dx);
}

/* K ranges of the tiled kernel gradient: enough (element tile, range)
 * tasks for every compute unit, each range at least a few output rows,
 * and as many partial K x Cout results as the workspace holds (none
 * without one: a single range then writes dkernel directly). */
#define DW_TASKS_PER_CU 16
static size_t dw_ranges(ct_context *ctx, const ct_conv2d_geometry *g, size_t tasks_per_range, size_t ws_floats)
{
    const ct_device_info *dev = ct_context_device(ctx);
    size_t cu = dev->compute_units ? dev->compute_units : 1, out_rows = g->n * g->oh;
    size_t ranges = ceil_div(DW_TASKS_PER_CU * cu, tasks_per_range);
    size_t fit = ws_floats / ((patch_size(g) + 1) * g->cout), longest = ceil_div(out_rows, DW_MIN_ROWS);
    if (ranges > fit)
        ranges = fit;
    if (ranges > longest)
        ranges = longest;
    if (ranges > DW_MAX_RANGES)
        ranges = DW_MAX_RANGES;
    return ranges < 1 ? 1 : ranges;
}

/* dw (and db, when not NULL) = the sums of the ranges' partial results. */
static ct_status sum_parts(ct_context *ctx, const ct_conv2d_geometry *g, size_t ranges, const ct_tensor *part,
                           const ct_tensor *dw, const ct_tensor *db)
{
    cl_kernel k;
    CT_TRY(ct_context_kernel(ctx, "conv", "conv2d_sum_parts", &k));
    cl_int count = (cl_int)(patch_size(g) * g->cout), cout = (cl_int)g->cout, r = (cl_int)ranges, has_db = db != NULL;
    cl_uint i = 0;
    cl_int err = CT_ARG(k, i++, count);
    err |= CT_ARG(k, i++, cout);
    err |= CT_ARG(k, i++, r);
    err |= CT_ARG(k, i++, has_db);
    err |= ct_arg_tensor(k, &i, part);
    err |= ct_arg_tensor(k, &i, dw);
    err |= ct_arg_tensor(k, &i, db ? db : dw);
    CT_TRY(ct_args_ok(err, "conv2d_sum_parts"));
    return ct_launch_1d(ctx, k, (size_t)count + (db ? g->cout : 0), "conv2d_sum_parts");
}

/* The kernel gradient and, when db is not NULL, the bias gradient (summed
 * from the dy rows the kernel gradient loads anyway). relu: dy is the
 * gradient of the relu output y, and dz (dy where y > 0) is written out on
 * the way (y and dz: NULL without relu). */
static ct_status dw_tiled(ct_context *ctx, const ct_conv2d_geometry *g, const ct_tensor *x, const ct_tensor *dy,
                          const ct_tensor *y, const ct_tensor *dz, const ct_tensor *dkernel, const ct_tensor *db,
                          const ct_tensor *ws)
{
    cl_kernel k[2];
    CT_TRY(ct_context_kernel(ctx, "conv", y ? "conv2d_dw_tile_relu" : "conv2d_dw_tile", &k[0]));
    CT_TRY(ct_context_kernel(ctx, "conv", y ? "conv2d_dw_tile_relu_edge" : "conv2d_dw_tile_edge", &k[1]));
    conv_geometry_cl gc = to_cl(g, g->n);
    size_t tiles = ceil_div(patch_size(g), TILE_ROWS), out_rows = g->n * g->oh;
    size_t ranges = dw_ranges(ctx, g, tiles * ceil_div(g->cout, TILE_COLS), workspace_floats_of(ws));
    cl_int rows_per_range = (cl_int)ceil_div(out_rows, ranges), has_db = db != NULL;
    ranges = ceil_div(out_rows, (size_t)rows_per_range);
    /* any valid buffer where one is unused */
    const ct_tensor *part = ranges > 1 ? ws : dkernel, *yv = y ? y : dy, *dzv = dz ? dz : dkernel;
    for (int v = 0; v < 2; v++) {
        cl_int first_panel = v ? (cl_int)(g->cout / TILE_COLS) : 0;
        cl_uint i = 0;
        cl_int err = clSetKernelArg(k[v], i++, sizeof gc, &gc);
        err |= CT_ARG(k[v], i++, rows_per_range);
        err |= CT_ARG(k[v], i++, first_panel);
        err |= ct_arg_tensor(k[v], &i, x);
        err |= ct_arg_tensor(k[v], &i, dy);
        err |= ct_arg_tensor(k[v], &i, yv);
        err |= ct_arg_tensor(k[v], &i, dzv);
        err |= ct_arg_tensor(k[v], &i, dkernel);
        err |= CT_ARG(k[v], i++, has_db);
        err |= ct_arg_tensor(k[v], &i, db ? db : dkernel);
        err |= ct_arg_tensor(k[v], &i, part);
        CT_TRY(ct_args_ok(err, "conv2d_dw_tile"));
    }
    CT_TRY(launch_panels(ctx, "launching conv2d_dw_tile", k[0], k[1], g->cout, tiles * ranges, 1));
    return ranges > 1 ? sum_parts(ctx, g, ranges, ws, dkernel, db) : CT_OK;
}

/* db: the bias gradient, computed along with dkernel (NULL: not here). */
static ct_status backward_tiled(ct_context *ctx, const ct_conv2d_geometry *g, const ct_tensor *x,
                                const ct_tensor *kernel, const ct_tensor *dy, ct_tensor *dx, ct_tensor *dkernel,
                                ct_tensor *db, const ct_tensor *ws)
{
    /* dx first: dW's partial results then overwrite the flipped kernel (in-order queue). */
    if (dx && dx_tiled_fits(g, workspace_floats_of(ws)))
        CT_TRY(dx_tiled(ctx, g, kernel, dy, dx, ws));
    else if (dx)
        CT_TRY(launch_direct_grad(ctx, "conv2d_dx_direct", g, g->cin, g->n * g->h * g->w, dy, kernel, dx));
    return dkernel ? dw_tiled(ctx, g, x, dy, NULL, NULL, dkernel, db, ws) : CT_OK;
}

/* ---------------------------------------------------------------- Winograd */

/* y = conv(x, kernel) (+ bias, then relu if asked) by the Winograd kernels
 * of cl/conv.cl for a 3x3 stride-1 geometry as the kernels see it (also the input
 * gradient's, flip: the kernel is the forward pass's, read flipped and
 * transposed). The transformed kernel goes to the start of ws. */
static ct_status winograd_cl(ct_context *ctx, const conv_geometry_cl *gc, cl_int flip, const ct_tensor *kernel,
                             const ct_tensor *x, const ct_tensor *bias, cl_int relu, const ct_tensor *y,
                             const ct_tensor *ws)
{
    cl_kernel kw, k[2];
    int f4 = winograd_f4((size_t)gc->cin, (size_t)gc->cout);
    CT_TRY(ct_context_kernel(ctx, "conv", f4 ? "conv2d_winograd4_weights" : "conv2d_winograd_weights", &kw));
    CT_TRY(ct_context_kernel(ctx, "conv", f4 ? "conv2d_winograd4" : "conv2d_winograd", &k[0]));
    CT_TRY(ct_context_kernel(ctx, "conv", "conv2d_winograd_any", &k[1]));
    size_t cout = (size_t)gc->cout;
    cl_int ldu = (cl_int)(ceil_div(cout, TILE_COLS) * TILE_COLS);
    cl_uint i = 0;
    cl_int err = clSetKernelArg(kw, i++, sizeof *gc, gc);
    err |= CT_ARG(kw, i++, flip);
    err |= CT_ARG(kw, i++, ldu);
    err |= ct_arg_tensor(kw, &i, kernel);
    err |= ct_arg_tensor(kw, &i, ws);
    CT_TRY(ct_args_ok(err, "conv2d_winograd_weights"));
    CT_TRY(ct_launch_1d(ctx, kw, (size_t)gc->cin * (size_t)ldu, "conv2d_winograd_weights"));

    size_t edge = f4 ? 4 : 2; /* output tile */
    size_t tiles = (size_t)gc->images * ceil_div((size_t)gc->oh, edge) * ceil_div((size_t)gc->ow, edge);
    size_t blocks = ceil_div(tiles, TILE_ROWS), panels = ceil_div(cout, TILE_COLS);
    cl_int per_item = tiles_per_item(ctx, blocks, panels), has_bias = bias != NULL;
    const ct_tensor *b = bias ? bias : kernel; /* any valid buffer when there is no bias */
    size_t items = ceil_div(blocks, (size_t)per_item), local[2] = {1, 1}, full = cout / TILE_COLS;
    /* conv2d_winograd4 or conv2d_winograd takes the full panels when there
     * are at most 32 input channels, conv2d_winograd_any the others and
     * the partial last panel (F(2x2) both) */
    for (int v = 0; v < 2; v++) {
        size_t global[2] = {v ? panels - full : full, items};
        if (!global[0])
            continue;
        cl_kernel kv = v || gc->cin > TILE_COLS ? k[1] : k[0];
        cl_int first_panel = v ? (cl_int)full : 0;
        i = 0;
        err = clSetKernelArg(kv, i++, sizeof *gc, gc);
        err |= CT_ARG(kv, i++, per_item);
        err |= CT_ARG(kv, i++, first_panel);
        err |= CT_ARG(kv, i++, ldu);
        err |= ct_arg_tensor(kv, &i, x);
        err |= ct_arg_tensor(kv, &i, ws);
        err |= ct_arg_tensor(kv, &i, b);
        err |= CT_ARG(kv, i++, has_bias);
        err |= CT_ARG(kv, i++, relu);
        err |= ct_arg_tensor(kv, &i, y);
        CT_TRY(ct_args_ok(err, "conv2d_winograd"));
        cl_int e = clEnqueueNDRangeKernel(ct_context_queue(ctx), kv, 2, NULL, global, local, 0, NULL, NULL);
        if (e != CL_SUCCESS)
            return ct_cl_fail(e, "launching conv2d_winograd");
    }
    return CT_OK;
}

static ct_status forward_winograd(ct_context *ctx, const ct_conv2d_geometry *g, const ct_tensor *x,
                                  const ct_tensor *kernel, const ct_tensor *bias, int relu, ct_tensor *y,
                                  const ct_tensor *ws)
{
    if (workspace_floats_of(ws) < winograd_u_floats(g->cin, g->cout))
        return forward_tiled(ctx, g, x, kernel, bias, relu, y, ws);
    conv_geometry_cl gc = to_cl(g, g->n);
    return winograd_cl(ctx, &gc, 0, kernel, x, bias, relu, y, ws);
}

/* The input gradient as the forward convolution of dy (see dx_tiled) by
 * Winograd; the tiled algorithm's when the workspace lacks room. */
static ct_status dx_winograd(ct_context *ctx, const ct_conv2d_geometry *g, const ct_tensor *kernel,
                             const ct_tensor *dy, ct_tensor *dx, const ct_tensor *ws)
{
    if (workspace_floats_of(ws) < winograd_u_floats(g->cout, g->cin))
        return backward_tiled(ctx, g, NULL, kernel, dy, dx, NULL, NULL, ws);
    conv_geometry_cl t = {
        .images = (cl_int)g->n, .h = (cl_int)g->oh, .w = (cl_int)g->ow, .cin = (cl_int)g->cout,
        .oh = (cl_int)g->h, .ow = (cl_int)g->w, .cout = (cl_int)g->cin, .kh = 3, .kw = 3,
        .sh = 1, .sw = 1, .pad_top = (cl_int)(2 - g->pad_top), .pad_left = (cl_int)(2 - g->pad_left),
    };
    return winograd_cl(ctx, &t, 1, kernel, dy, NULL, 0, dx, ws);
}

/* ---------------------------------------------------------------- entry points */

ct_status ct_conv2d_forward(ct_context *ctx, const ct_conv2d_params *p, const ct_tensor *x, const ct_tensor *kernel,
                            const ct_tensor *bias, ct_tensor *y, const ct_tensor *workspace)
{
    ct_conv2d_geometry g;
    ct_conv2d_algorithm algo;
    CT_TRY(conv_setup("conv2d", p, x, kernel, &g));
    if (present(bias))
        CT_TRY(check_bias("conv2d", "bias", bias, g.cout));
    else
        bias = NULL;
    CT_TRY(ct_check_shape4("conv2d", "output", y, g.n, g.oh, g.ow, g.cout));
    if ((unsigned)p->activation >= CT_ACTIVATION_COUNT)
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "conv2d: unknown activation %d", (int)p->activation);
    CT_TRY(resolve_algorithm(ctx, "conv2d", p, &g, workspace, CT_CONV2D_PASS_FORWARD, &algo));
    int fused = (algo == CT_CONV2D_TILED || algo == CT_CONV2D_WINOGRAD) && p->activation == CT_ACTIVATION_RELU;
    if (algo == CT_CONV2D_WINOGRAD)
        CT_TRY(forward_winograd(ctx, &g, x, kernel, bias, fused, y, workspace));
    else if (algo == CT_CONV2D_DIRECT)
        CT_TRY(forward_direct(ctx, &g, x, kernel, bias, y));
    else if (algo == CT_CONV2D_TILED)
        CT_TRY(forward_tiled(ctx, &g, x, kernel, bias, fused, y, workspace));
    else
        CT_TRY(forward_im2col(ctx, &g, x, kernel, bias, y, workspace));
    if (fused || p->activation == CT_ACTIVATION_LINEAR)
        return CT_OK;
    return ct_activation_forward(ctx, p->activation, y, y);
}

/* The gradients dx and/or dkernel (either may be NULL) with one algorithm;
 * db (not NULL only with the tiled algorithm and dkernel) along with dkernel. */
static ct_status backward_with(ct_context *ctx, ct_conv2d_algorithm algo, const ct_conv2d_geometry *g,
                               const ct_tensor *x, const ct_tensor *kernel, const ct_tensor *dy, ct_tensor *dx,
                               ct_tensor *dkernel, ct_tensor *db, const ct_tensor *ws)
{
    if (algo == CT_CONV2D_WINOGRAD) { /* the input gradient (the kernel gradient is the tiled one's) */
        if (dx)
            CT_TRY(dx_winograd(ctx, g, kernel, dy, dx, ws));
        return dkernel ? dw_tiled(ctx, g, x, dy, NULL, NULL, dkernel, db, ws) : CT_OK;
    }
    if (algo == CT_CONV2D_TILED)
        return backward_tiled(ctx, g, x, kernel, dy, dx, dkernel, db, ws);
    if (algo == CT_CONV2D_DIRECT)
        return backward_direct(ctx, g, x, kernel, dy, dx, dkernel);
    return backward_im2col(ctx, g, x, kernel, dy, dx, dkernel, ws);
}

/* The workspace from element `first` on (a view of the same buffer). */
static ct_tensor workspace_from(const ct_tensor *ws, size_t first)
{
    ct_tensor v = advanced(ws, first);
    v.ndim = 1;
    v.shape[0] = workspace_floats_of(ws) - first;
    return v;
}

/* A relu layer's gradients with the tiled kernel gradient: it forms dz
 * from dy and y as it loads them and writes it to the start of the
 * workspace, from where the input gradient reads it; no separate pass of
 * the activation's backward over dy. */
static int relu_fusable(const ct_conv2d_params *p, const ct_conv2d_geometry *g, const ct_tensor *dkernel,
                        ct_conv2d_algorithm for_dx, ct_conv2d_algorithm for_dw, const ct_tensor *ws)
{
    return p->activation == CT_ACTIVATION_RELU && dkernel && for_dw == CT_CONV2D_TILED &&
           for_dx != CT_CONV2D_IM2COL && workspace_floats_of(ws) >= g->n * out_pixels(g) * g->cout;
}

static ct_status backward_relu_tiled(ct_context *ctx, ct_conv2d_algorithm for_dx, const ct_conv2d_geometry *g,
                                     const ct_tensor *x, const ct_tensor *kernel, const ct_tensor *y,
                                     const ct_tensor *dy, ct_tensor *dx, ct_tensor *dkernel, ct_tensor *db,
                                     const ct_tensor *ws)
{
    size_t dz_floats = g->n * out_pixels(g) * g->cout;
    ct_tensor dz = advanced(dy, 0), rest = workspace_from(ws, dz_floats);
    dz.buf = ws->buf;
    dz.offset = ws->offset;
    CT_TRY(dw_tiled(ctx, g, x, dy, y, &dz, dkernel, db, &rest));
    return dx ? backward_with(ctx, for_dx, g, x, kernel, &dz, dx, NULL, NULL, &rest) : CT_OK;
}

/* Both entry points: y (the forward output) NULL when dy is already dL/dz. */
static ct_status backward(ct_context *ctx, const ct_conv2d_params *p, const ct_tensor *x, const ct_tensor *kernel,
                          const ct_tensor *y, ct_tensor *dy, ct_tensor *dx, ct_tensor *dkernel, ct_tensor *dbias,
                          const ct_tensor *workspace)
{
    const char *op = "conv2d backward";
    ct_conv2d_geometry g;
    ct_conv2d_algorithm for_dx = CT_CONV2D_AUTO, for_dw = CT_CONV2D_AUTO;
    CT_TRY(conv_setup(op, p, x, kernel, &g));
    CT_TRY(ct_check_shape4(op, "output gradient", dy, g.n, g.oh, g.ow, g.cout));
    if (y)
        CT_TRY(ct_check_shape4(op, "output", y, g.n, g.oh, g.ow, g.cout));
    dx = present(dx) ? dx : NULL;
    dkernel = present(dkernel) ? dkernel : NULL;
    dbias = present(dbias) ? dbias : NULL;
    if (dx)
        CT_TRY(ct_check_shape4(op, "input gradient", dx, g.n, g.h, g.w, g.cin));
    if (dkernel)
        CT_TRY(ct_check_shape4(op, "kernel gradient", dkernel, g.kh, g.kw, g.cin, g.cout));
    if (dbias)
        CT_TRY(check_bias(op, "bias gradient", dbias, g.cout));
    if (dx)
        CT_TRY(resolve_algorithm(ctx, op, p, &g, workspace, CT_CONV2D_PASS_DX, &for_dx));
    if (dkernel)
        CT_TRY(resolve_algorithm(ctx, op, p, &g, workspace, CT_CONV2D_PASS_DW, &for_dw));
    /* The tiled kernel gradient sums the bias gradient on the way. */
    ct_tensor *db_fused = dkernel && for_dw == CT_CONV2D_TILED ? dbias : NULL;
    if (y && p->activation != CT_ACTIVATION_LINEAR) {
        if (relu_fusable(p, &g, dkernel, for_dx, for_dw, workspace)) /* then db_fused is dbias */
            return backward_relu_tiled(ctx, for_dx, &g, x, kernel, y, dy, dx, dkernel, db_fused, workspace);
        CT_TRY(ct_activation_backward(ctx, p->activation, NULL, y, dy, dy)); /* dz in place of dy */
    }
    /* One call when both passes share an algorithm (im2col builds the patch
     * matrix once for both); otherwise dx first, as the tiled one wants. */
    if (dx && dkernel && for_dx == for_dw) {
        CT_TRY(backward_with(ctx, for_dx, &g, x, kernel, dy, dx, dkernel, db_fused, workspace));
    } else {
        if (dx)
            CT_TRY(backward_with(ctx, for_dx, &g, x, kernel, dy, dx, NULL, NULL, workspace));
        if (dkernel)
            CT_TRY(backward_with(ctx, for_dw, &g, x, kernel, dy, NULL, dkernel, db_fused, workspace));
    }
    return dbias && !db_fused ? launch_bias_grad(ctx, &g, dy, dbias) : CT_OK;
}

ct_status ct_conv2d_backward(ct_context *ctx, const ct_conv2d_params *p, const ct_tensor *x,
                             const ct_tensor *kernel, const ct_tensor *dy, ct_tensor *dx, ct_tensor *dkernel,
                             ct_tensor *dbias, const ct_tensor *workspace)
{
    ct_tensor dz = advanced(dy, 0); /* read only: no activation to undo */
    return backward(ctx, p, x, kernel, NULL, &dz, dx, dkernel, dbias, workspace);
}

ct_status ct_conv2d_backward_activated(ct_context *ctx, const ct_conv2d_params *p, const ct_tensor *x,
                                       const ct_tensor *kernel, const ct_tensor *y, ct_tensor *dy, ct_tensor *dx,
                                       ct_tensor *dkernel, ct_tensor *dbias, const ct_tensor *workspace)
{
    if (p && p->activation != CT_ACTIVATION_LINEAR && !present(y))
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "conv2d backward: the %s activation needs the forward output",
                       ct_activation_name(p->activation));
    return backward(ctx, p, x, kernel, present(y) ? y : NULL, dy, dx, dkernel, dbias, workspace);
}
