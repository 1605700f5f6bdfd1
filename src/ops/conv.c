/* Conv2D forward and backward: the checks, the workspace, the choice of
 * algorithm per pass, and the passes put together. The algorithms live one
 * per file, each launching its own program (conv_internal.h): im2col + GEMM
 * (conv_im2col.c), direct (conv_direct.c), tiled (conv_tiled.c, CPUs) and
 * Winograd (conv_winograd.c, CPUs; its kernel gradient is the tiled one's).
 *
 * The choice of algorithm (CT_CONV2D_AUTO) is made per pass (forward,
 * input gradient, kernel gradient) by measurement, see
 * choose_by_measurement() below. */
#include "ops/conv_internal.h"

#include <string.h>

#include "cltrain/ops_nn.h"
#include "core/program.h"

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


/* Every algorithm but direct wants a workspace: the largest of them for AUTO. */
ct_status ct_conv2d_workspace_size(const ct_conv2d_params *p, const size_t x_shape[4], size_t filters,
                                   size_t *floats)
{
    ct_conv2d_geometry g;
    CT_TRY(ct_conv2d_geometry_of(p, x_shape, filters, &g));
    size_t im2col = ct_conv_im2col_floats(&g), tiled = ct_conv_tiled_floats(&g, p->activation);
    /* after dz for a relu layer, as the tiled algorithm's */
    size_t dz = p->activation == CT_ACTIVATION_RELU ? g.n * out_pixels(&g) * g.cout : 0;
    size_t wino = ct_conv_winograd_floats(&g) ? dz + ct_conv_winograd_floats(&g) : 0;
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

/* The rule for CT_CONV2D_AUTO, per pass, from convbench measurements of
 * every algorithm on PoCL's CPU device (the tables: tools/performance.md,
 * "Convolution algorithms"). F(4x4) Winograd's error is larger than
 * F(2x2)'s (op tests: forward nmse ~1.5e-12 against ~4e-14; the table's
 * tolerance is 1e-10) and so is its kernel's compile time.
 *
 * CPUs take Winograd for the forward pass of a 3x3 stride-1 layer with at
 * least 8 input channels and for its input gradient (the products then
 * run over the output channels) when the pass has at least 2048 output
 * pixels (over all images; fewer leave too few blocks of tiles to share
 * out), otherwise the tiled kernels, except for the input gradient of a
 * layer with few input channels (most of a 32-channel tile would be
 * padding) or a stride above 1 (the tiled input gradient needs stride 1),
 * which the direct kernel computes. Winograd needs the transformed kernel
 * in the workspace (else tiled). GPUs take im2col, which hands the work to
 * a vendor-class GEMM (the tiled and Winograd programs are CPU-only, and the
 * direct kernels have no local-memory tiling): a choice by construction,
 * not yet measured (run convbench there). */
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
    if (a == CT_CONV2D_IM2COL && ct_conv_images_per_chunk(g, workspace_floats) == 0)
        return CT_CONV2D_DIRECT; /* no room for even one image's patches */
    if (a == CT_CONV2D_WINOGRAD && workspace_floats < ct_conv_winograd_floats(g))
        return CT_CONV2D_TILED; /* no room for the transformed kernel */
    return a;
}

ct_conv2d_algorithm ct_conv2d_choose(ct_context *ctx, const ct_conv2d_geometry *g, size_t workspace_floats)
{
    return ct_conv2d_choose_pass(ctx, g, workspace_floats, CT_CONV2D_PASS_FORWARD);
}

/* ---------------------------------------------------------------- checks */

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
    if (!ct_conv2d_algorithm_runs_on(ctx, *out))
        return ct_fail(CT_ERR_UNSUPPORTED, "%s: the %s algorithm runs on CPU devices only (%s is a %s)", op,
                       ct_conv2d_algorithm_name(*out), ct_context_device(ctx)->name,
                       ct_device_type_name(ct_context_device(ctx)->type));
    if (*out == CT_CONV2D_WINOGRAD && (pass == CT_CONV2D_PASS_DW || !winograd_shape(g)))
        *out = CT_CONV2D_TILED; /* what Winograd does not cover */
    if (*out == CT_CONV2D_IM2COL && ct_conv_images_per_chunk(g, have) == 0)
        return ct_fail(CT_ERR_INVALID_ARGUMENT,
                       "%s: the im2col algorithm needs a workspace of at least %zu floats (one image), got %zu; "
                       "see ct_conv2d_workspace_size",
                       op, patch_floats_per_image(g), have);
    return CT_OK;
}

int ct_conv2d_algorithm_runs_on(ct_context *ctx, ct_conv2d_algorithm a)
{
    const char *program = a == CT_CONV2D_TILED ? "conv_tiled" : a == CT_CONV2D_WINOGRAD ? "conv_winograd" : NULL;
    const ct_program_def *def = program ? ct_program_find(program) : NULL;
    return !def || ct_program_for_device(def, ct_context_device(ctx));
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
        CT_TRY(ct_conv_forward_winograd(ctx, &g, x, kernel, bias, fused, y, workspace));
    else if (algo == CT_CONV2D_DIRECT)
        CT_TRY(ct_conv_forward_direct(ctx, &g, x, kernel, bias, y));
    else if (algo == CT_CONV2D_TILED)
        CT_TRY(ct_conv_forward_tiled(ctx, &g, x, kernel, bias, fused, y, workspace));
    else
        CT_TRY(ct_conv_forward_im2col(ctx, &g, x, kernel, bias, y, workspace));
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
            CT_TRY(ct_conv_dx_winograd(ctx, g, kernel, dy, dx, ws));
        return dkernel ? ct_conv_dw_tiled(ctx, g, x, dy, NULL, NULL, dkernel, db, ws) : CT_OK;
    }
    if (algo == CT_CONV2D_TILED)
        return ct_conv_backward_tiled(ctx, g, x, kernel, dy, dx, dkernel, db, ws);
    if (algo == CT_CONV2D_DIRECT)
        return ct_conv_backward_direct(ctx, g, x, kernel, dy, dx, dkernel);
    return ct_conv_backward_im2col(ctx, g, x, kernel, dy, dx, dkernel, ws);
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
    CT_TRY(ct_conv_dw_tiled(ctx, g, x, dy, y, &dz, dkernel, db, &rest));
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
    return dbias && !db_fused ? ct_conv_bias_grad(ctx, &g, dy, dbias) : CT_OK;
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
