/* What the Conv2D files share: the geometry as the kernels see it, small
 * size helpers, and one entry per algorithm and pass. conv.c checks the
 * arguments and picks the algorithm; conv_im2col.c, conv_direct.c,
 * conv_tiled.c and conv_winograd.c launch their programs (cl/conv_*.cl, one
 * program per algorithm, see src/core/program.c), conv_bias.c the bias
 * kernels every algorithm uses. */
#ifndef CLTRAIN_OPS_CONV_INTERNAL_H
#define CLTRAIN_OPS_CONV_INTERNAL_H

#include "cltrain/ops_conv.h"
#include "core/launch.h"
#include "ops/window.h"

/* Cap on the im2col workspace ct_conv2d_workspace_size() asks for. */
#define IM2COL_CAP_FLOATS ((size_t)8 << 20)

/* Mirror of conv_geometry in cl/conv_geometry.cl: 16 ints in the same order. */
typedef struct {
    cl_int images, h, w, cin, oh, ow, cout, kh, kw, sh, sw, pad_top, pad_left, unused[3];
} conv_geometry_cl;
#include "ops/conv_layout.h" /* _Static_asserts against cl/conv_geometry.cl */

/* The register tile of the tiled kernels (TM x TN in cl/conv_tile.cl): the
 * device profile's conv tile, which the kernels are built with (-DCT_CONV_TM,
 * -DCT_CONV_NV, src/core/profile.c), so the launchers split the work by the
 * same numbers. */
static inline size_t conv_tile_rows(ct_context *ctx) { return (size_t)ct_context_device(ctx)->profile.conv.rows; }
static inline size_t conv_tile_cols(ct_context *ctx)
{
    const ct_device_profile *p = &ct_context_device(ctx)->profile;
    return (size_t)p->conv.vectors * ct_profile_kernel_vector(p);
}

/* A Winograd block (WB x WN in cl/conv_winograd_tiles.cl): tiles per block
 * and output channels per panel, fixed whatever the register tile (which
 * divides them); input channels per chunk of V (WC). */
enum { WINOGRAD_BLOCK = 12, WINOGRAD_PANEL = 32, WINOGRAD_CHUNK = 32 };

/* The tiled kernel gradient's K ranges: at most this many, each at least
 * this many output rows (conv.c sizes the workspace for them). */
#define DW_MAX_RANGES 32
#define DW_MIN_ROWS 4

static inline size_t ceil_div(size_t a, size_t b) { return (a + b - 1) / b; }
static inline size_t patch_size(const ct_conv2d_geometry *g) { return g->kh * g->kw * g->cin; }
static inline size_t out_pixels(const ct_conv2d_geometry *g) { return g->oh * g->ow; }
static inline size_t patch_floats_per_image(const ct_conv2d_geometry *g) { return out_pixels(g) * patch_size(g); }

/* 1x1 kernel, stride 1 (no padding then, even with 'same'): x is its own patch matrix. */
static inline int is_pointwise(const ct_conv2d_geometry *g)
{
    return g->kh == 1 && g->kw == 1 && g->sh == 1 && g->sw == 1;
}

/* The shapes Winograd covers: 3x3, stride 1. */
static inline int winograd_shape(const ct_conv2d_geometry *g)
{
    return g->kh == 3 && g->kw == 3 && g->sh == 1 && g->sw == 1;
}

/* F(4x4, 3x3) (conv2d_winograd4: full 32-channel panels, 16 or 32 input
 * channels), else F(2x2, 3x3). */
static inline int winograd_f4(size_t cin, size_t cout)
{
    return cout % WINOGRAD_PANEL == 0 && (cin == 16 || cin == 32);
}

/* The transformed kernel U[16 or 36][channels reduced over][channels out,
 * rounded up to 32]. */
static inline size_t winograd_u_floats(size_t cin, size_t cout)
{
    return (winograd_f4(cin, cout) ? 36 : 16) * cin * ceil_div(cout, WINOGRAD_PANEL) * WINOGRAD_PANEL;
}

static inline size_t workspace_floats_of(const ct_tensor *ws) { return ws && ws->buf ? ct_tensor_count(ws) : 0; }

/* t moved on by `elements` (a chunk's start), same buffer. */
static inline ct_tensor advanced(const ct_tensor *t, size_t elements)
{
    ct_tensor v = *t;
    v.offset += elements;
    v.owns = 0;
    return v;
}

static inline conv_geometry_cl to_cl(const ct_conv2d_geometry *g, size_t images)
{
    conv_geometry_cl c = {
        .images = (cl_int)images, .h = (cl_int)g->h, .w = (cl_int)g->w, .cin = (cl_int)g->cin,
        .oh = (cl_int)g->oh, .ow = (cl_int)g->ow, .cout = (cl_int)g->cout, .kh = (cl_int)g->kh,
        .kw = (cl_int)g->kw, .sh = (cl_int)g->sh, .sw = (cl_int)g->sw, .pad_top = (cl_int)g->pad_top,
        .pad_left = (cl_int)g->pad_left,
    };
    return c;
}

/* 1 when the context's device builds the algorithm's programs (tiled and
 * Winograd: CPUs only; CT_CONV2D_AUTO always). The op table skips the
 * others. */
int ct_conv2d_algorithm_runs_on(ct_context *ctx, ct_conv2d_algorithm a);

/* conv_bias.c: y[row][co] = bias[co] (the im2col GEMM accumulates onto it);
 * db = column sums of dy. */
ct_status ct_conv_fill_bias(ct_context *ctx, const ct_conv2d_geometry *g, const ct_tensor *bias, const ct_tensor *y);
ct_status ct_conv_bias_grad(ct_context *ctx, const ct_conv2d_geometry *g, const ct_tensor *dy, const ct_tensor *db);

/* conv_im2col.c: the patch matrix of as many images as fit under the cap
 * (0 when pointwise); images whose patches fit in the workspace at once
 * (0: not even one); the passes. */
size_t ct_conv_im2col_floats(const ct_conv2d_geometry *g);
size_t ct_conv_images_per_chunk(const ct_conv2d_geometry *g, size_t workspace_floats);
ct_status ct_conv_forward_im2col(ct_context *ctx, const ct_conv2d_geometry *g, const ct_tensor *x,
                                 const ct_tensor *kernel, const ct_tensor *bias, ct_tensor *y, const ct_tensor *ws);
ct_status ct_conv_backward_im2col(ct_context *ctx, const ct_conv2d_geometry *g, const ct_tensor *x,
                                  const ct_tensor *kernel, const ct_tensor *dy, ct_tensor *dx, ct_tensor *dkernel,
                                  const ct_tensor *ws);

/* conv_direct.c: no workspace; dx and/or dkernel may be NULL. */
ct_status ct_conv_forward_direct(ct_context *ctx, const ct_conv2d_geometry *g, const ct_tensor *x,
                                 const ct_tensor *kernel, const ct_tensor *bias, ct_tensor *y);
ct_status ct_conv_dx_direct(ct_context *ctx, const ct_conv2d_geometry *g, const ct_tensor *kernel,
                            const ct_tensor *dy, const ct_tensor *dx);
ct_status ct_conv_backward_direct(ct_context *ctx, const ct_conv2d_geometry *g, const ct_tensor *x,
                                  const ct_tensor *kernel, const ct_tensor *dy, ct_tensor *dx, ct_tensor *dkernel);

/* conv_tiled.c (CPUs): the workspace the tiled algorithm wants; tile blocks
 * of tile_outputs outputs each per work-item (Winograd's too); the passes. relu: fused into the forward
 * pass; db: the bias gradient along with dkernel (NULL: not here); y and dz
 * (NULL without relu): dy is relu's output gradient and dz, dy where y > 0,
 * is written out. */
size_t ct_conv_tiled_floats(const ct_conv2d_geometry *g, ct_activation act);
cl_int ct_conv_tiles_per_item(ct_context *ctx, size_t tiles, size_t panels, size_t tile_outputs);
ct_status ct_conv_forward_tiled(ct_context *ctx, const ct_conv2d_geometry *g, const ct_tensor *x,
                                const ct_tensor *kernel, const ct_tensor *bias, int relu, ct_tensor *y,
                                const ct_tensor *ws);
ct_status ct_conv_dw_tiled(ct_context *ctx, const ct_conv2d_geometry *g, const ct_tensor *x, const ct_tensor *dy,
                           const ct_tensor *y, const ct_tensor *dz, const ct_tensor *dkernel, const ct_tensor *db,
                           const ct_tensor *ws);
ct_status ct_conv_backward_tiled(ct_context *ctx, const ct_conv2d_geometry *g, const ct_tensor *x,
                                 const ct_tensor *kernel, const ct_tensor *dy, ct_tensor *dx, ct_tensor *dkernel,
                                 ct_tensor *db, const ct_tensor *ws);

/* conv_winograd.c (CPUs; 3x3 stride 1): the transformed kernel's workspace
 * (0 for other shapes); the forward pass and the input gradient, each the
 * tiled algorithm's when the workspace lacks room. */
size_t ct_conv_winograd_floats(const ct_conv2d_geometry *g);
ct_status ct_conv_forward_winograd(ct_context *ctx, const ct_conv2d_geometry *g, const ct_tensor *x,
                                   const ct_tensor *kernel, const ct_tensor *bias, int relu, ct_tensor *y,
                                   const ct_tensor *ws);
ct_status ct_conv_dx_winograd(ct_context *ctx, const ct_conv2d_geometry *g, const ct_tensor *kernel,
                              const ct_tensor *dy, ct_tensor *dx, const ct_tensor *ws);

#endif
