/* Conv2D forward and backward (cl/conv.cl): im2col + GEMM or direct kernels.
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
 * The choice between im2col and direct (CT_CONV2D_AUTO) is made by
 * measurement, see choose_by_measurement() below. */
#include "cltrain/ops_conv.h"

#include <string.h>

#include "cltrain/gemm.h"
#include "ops/launch.h"
#include "ops/window.h"

/* Cap on the im2col workspace ct_conv2d_workspace_size() asks for. */
#define IM2COL_CAP_FLOATS ((size_t)8 << 20)

/* Mirror of conv_geometry in cl/conv.cl: 16 ints in the same order. */
typedef struct {
    cl_int images, h, w, cin, oh, ow, cout, kh, kw, sh, sw, pad_top, pad_left, unused[3];
} conv_geometry_cl;

const char *ct_conv2d_algorithm_name(ct_conv2d_algorithm a)
{
    static const char *const names[CT_CONV2D_ALGORITHM_COUNT] = {"auto", "im2col", "direct"};
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

ct_status ct_conv2d_workspace_size(const ct_conv2d_params *p, const size_t x_shape[4], size_t filters,
                                   size_t *floats)
{
    ct_conv2d_geometry g;
    CT_TRY(ct_conv2d_geometry_of(p, x_shape, filters, &g));
    *floats = 0;
    if (p->algorithm == CT_CONV2D_DIRECT || is_pointwise(&g))
        return CT_OK;
    size_t per_image = patch_floats_per_image(&g);
    size_t images = per_image > IM2COL_CAP_FLOATS ? 1 : IM2COL_CAP_FLOATS / per_image;
    *floats = per_image * (images < g.n ? images : g.n);
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

/* The rule for CT_CONV2D_AUTO, measured with tools/convbench on PoCL 3.1's
 * CPU device (2-core AMD EPYC, AVX-512, shared and noisy), batch 32, 3x3
 * 'valid', 32 filters, best of 3 medians of 9 runs, milliseconds,
 * forward / backward (dx+dW+db):
 *
 *   shape                 direct        im2col+own GEMM   im2col+CLBlast
 *   32x32x3  -> 30x30x32  0.85 / 1.4    2.9 / 3.5         14.2 / 23.8
 *   30x30x32 -> 28x28x32  8.3 / 19.9    9.2 / 24.4        74.2 / 225.7
 *   15x15x32 -> 13x13x32  1.2 / 2.9     0.9 / 2.6         14.7 / 36.2
 *
 * CPUs take the direct kernels: far ahead of im2col with CLBlast, ahead or
 * within 30% of im2col with the own GEMM (which is still being tuned), the
 * same whichever GEMM engine a device ends up with, and no workspace. GPUs
 * take im2col, which hands the work to a vendor-class GEMM, while the direct
 * kernels there run one channel per work-item without local-memory tiling:
 * a choice by construction, not yet measured (run convbench there). */
static ct_conv2d_algorithm choose_by_measurement(const ct_device_info *dev, const ct_conv2d_geometry *g)
{
    (void)g;
    return dev->type == CT_DEVICE_CPU ? CT_CONV2D_DIRECT : CT_CONV2D_IM2COL;
}

ct_conv2d_algorithm ct_conv2d_choose(ct_context *ctx, const ct_conv2d_geometry *g, size_t workspace_floats)
{
    ct_conv2d_algorithm a = choose_by_measurement(ct_context_device(ctx), g);
    if (a == CT_CONV2D_IM2COL && images_per_chunk(g, workspace_floats) == 0)
        return CT_CONV2D_DIRECT; /* no room for even one image's patches */
    return a;
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
                                   const ct_conv2d_geometry *g, const ct_tensor *ws, ct_conv2d_algorithm *out)
{
    size_t have = workspace_floats_of(ws);
    *out = p->algorithm == CT_CONV2D_AUTO ? ct_conv2d_choose(ctx, g, have) : p->algorithm;
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
    cl_int cout = (cl_int)g->cout, lanes = ct_context_device(ctx)->type == CT_DEVICE_CPU ? 16 : 1;
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
    CT_TRY(resolve_algorithm(ctx, "conv2d", p, &g, workspace, &algo));
    if (algo == CT_CONV2D_DIRECT)
        return forward_direct(ctx, &g, x, kernel, bias, y);
    return forward_im2col(ctx, &g, x, kernel, bias, y, workspace);
}

ct_status ct_conv2d_backward(ct_context *ctx, const ct_conv2d_params *p, const ct_tensor *x,
                             const ct_tensor *kernel, const ct_tensor *dy, ct_tensor *dx, ct_tensor *dkernel,
                             ct_tensor *dbias, const ct_tensor *workspace)
{
    const char *op = "conv2d backward";
    ct_conv2d_geometry g;
    ct_conv2d_algorithm algo;
    CT_TRY(conv_setup(op, p, x, kernel, &g));
    CT_TRY(ct_check_shape4(op, "output gradient", dy, g.n, g.oh, g.ow, g.cout));
    dx = present(dx) ? dx : NULL;
    dkernel = present(dkernel) ? dkernel : NULL;
    dbias = present(dbias) ? dbias : NULL;
    if (dx)
        CT_TRY(ct_check_shape4(op, "input gradient", dx, g.n, g.h, g.w, g.cin));
    if (dkernel)
        CT_TRY(ct_check_shape4(op, "kernel gradient", dkernel, g.kh, g.kw, g.cin, g.cout));
    if (dbias)
        CT_TRY(check_bias(op, "bias gradient", dbias, g.cout));
    if (dx || dkernel) {
        CT_TRY(resolve_algorithm(ctx, op, p, &g, workspace, &algo));
        if (algo == CT_CONV2D_DIRECT)
            CT_TRY(backward_direct(ctx, &g, x, kernel, dy, dx, dkernel));
        else
            CT_TRY(backward_im2col(ctx, &g, x, kernel, dy, dx, dkernel, workspace));
    }
    return dbias ? launch_bias_grad(ctx, &g, dy, dbias) : CT_OK;
}
