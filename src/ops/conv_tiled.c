/* Conv2D by the tiled kernels (cl/conv_tiled.cl, CPUs only): each pass as
 * an implicit GEMM in the register tiles of the own GEMM kernel: the forward
 * pass straight from x, the kernel gradient from x and dy (split over ranges
 * of output rows when the workspace holds partial results), the input
 * gradient (stride 1) as a forward convolution of dy with the flipped
 * kernel. */
#include "ops/conv_internal.h"

/* The kernel gradient's partial results (see dw_ranges, under the cap), the
 * flipped kernel and padding zeros of dx_tiled, or the forward pass's padding
 * zeros, whichever is largest; after dz for a relu layer. */
size_t ct_conv_tiled_floats(const ct_conv2d_geometry *g, ct_activation act)
{
    /* relu: dz, the gradient through the activation, first (see backward_relu_tiled in conv.c) */
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

/* Tiles per work-item: 8 tiles of 12 x 32 (3072 outputs) outweigh taking
 * them; 2 to 16 measured the same on CIFAR shapes, 32 and more slower
 * (tools/performance.md, "Convolution algorithms"), so a smaller register
 * tile takes as many outputs per item. Fewer on small layers, to leave a
 * few items per compute unit. tile_outputs: rows x columns of one tile. */
#define OUTPUTS_PER_ITEM (8 * 12 * 32)
cl_int ct_conv_tiles_per_item(ct_context *ctx, size_t tiles, size_t panels, size_t tile_outputs)
{
    const ct_device_info *dev = ct_context_device(ctx);
    size_t cu = dev->compute_units ? dev->compute_units : 1;
    size_t most = OUTPUTS_PER_ITEM / tile_outputs, per = ceil_div(tiles * panels, 4 * cu);
    return (cl_int)(per < 1 ? 1 : per > most ? most : per);
}

/* Full channel panels through `full_kernel`, the partial last one (if
 * any) through `edge_kernel`; global (panels, items), one work-item per
 * group. */
static ct_status launch_panels(ct_context *ctx, const char *name, cl_kernel full_kernel, cl_kernel edge_kernel,
                               size_t channels, size_t tiles, cl_int per_item)
{
    size_t items = ceil_div(tiles, (size_t)per_item), local[2] = {1, 1}, tn = conv_tile_cols(ctx);
    size_t full[2] = {channels / tn, items}, partial[2] = {channels % tn ? 1 : 0, items};
    CT_TRY(ct_launch(ctx, full_kernel, 2, full, local, name));
    return ct_launch(ctx, edge_kernel, 2, partial, local, name);
}

/* 1 when some window of this geometry reaches past the input on any side
 * ('same' padding, and the input gradient's view); a stride that merely
 * leaves the last rows or columns unread does not count. */
static int has_padding(const conv_geometry_cl *g)
{
    return g->pad_top > 0 || g->pad_left > 0 || (g->oh - 1) * g->sh - g->pad_top + g->kh > g->h ||
           (g->ow - 1) * g->sw - g->pad_left + g->kw > g->w;
}

/* The largest patch (KH*KW*Cin) the _small forward kernels take (SMALL_PATCH
 * in cl/conv_tiled.cl). */
#define SMALL_PATCH 64

/* y = conv(x, kernel) (+ bias, then relu if asked) with the tile kernels,
 * for a geometry as the kernels see it (also the input gradient's, see
 * dx_tiled). zeros: KW*Cin zero floats that windows reaching into the
 * padding read, or NULL (the kernels then mask those values). */
static ct_status forward_tiled_cl(ct_context *ctx, const conv_geometry_cl *gc, const ct_tensor *x,
                                  const ct_tensor *kernel, const ct_tensor *bias, cl_int relu, const ct_tensor *zeros,
                                  const ct_tensor *y)
{
    cl_kernel k[2];
    int small = (size_t)gc->kh * (size_t)gc->kw * (size_t)gc->cin <= SMALL_PATCH;
    CT_TRY(ct_context_kernel(ctx, "conv_tiled", small ? "conv2d_forward_tile_small" : "conv2d_forward_tile", &k[0]));
    CT_TRY(ct_context_kernel(ctx, "conv_tiled", small ? "conv2d_forward_tile_small_edge" : "conv2d_forward_tile_edge",
                             &k[1]));
    size_t cout = (size_t)gc->cout, tm = conv_tile_rows(ctx), tn = conv_tile_cols(ctx);
    size_t tiles = ceil_div((size_t)gc->images * (size_t)gc->oh * (size_t)gc->ow, tm);
    cl_int per_item = ct_conv_tiles_per_item(ctx, tiles, ceil_div(cout, tn), tm * tn);
    cl_int has_bias = bias != NULL, has_zeros = zeros != NULL;
    const ct_tensor *b = bias ? bias : kernel, *z = zeros ? zeros : kernel; /* any valid buffer when unused */
    for (int v = 0; v < 2; v++) {
        cl_int first_panel = v ? (cl_int)(cout / tn) : 0;
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
    return launch_panels(ctx, "conv2d_forward_tile", k[0], k[1], cout, tiles, per_item);
}

/* The forward pass; padding zeros at the start of the workspace when it has room. */
ct_status ct_conv_forward_tiled(ct_context *ctx, const ct_conv2d_geometry *g, const ct_tensor *x,
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
    CT_TRY(ct_context_kernel(ctx, "conv_tiled", "conv2d_flip_transpose", &k));
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

/* K ranges of the tiled kernel gradient, one work-item per range and
 * channel panel: enough work-items for every compute unit, and ranges
 * short enough that the x and dz rows of one stay in a core's cache while
 * the item's element tiles, which run one after another, read them again;
 * each range at least a few output rows, and as many partial K x Cout
 * results as the workspace holds (none without one: a single range then
 * writes dkernel directly). */
#define DW_TASKS_PER_CU 16
#define DW_RANGE_BYTES ((size_t)256 << 10)
static size_t dw_ranges(ct_context *ctx, const ct_conv2d_geometry *g, size_t panels, size_t ws_floats)
{
    const ct_device_info *dev = ct_context_device(ctx);
    size_t cu = dev->compute_units ? dev->compute_units : 1, out_rows = g->n * g->oh;
    size_t ranges = ceil_div(DW_TASKS_PER_CU * cu, panels);
    size_t row_bytes = (g->ow * g->cout + g->sh * g->w * g->cin) * sizeof(float);
    size_t cached = ceil_div(out_rows * row_bytes, DW_RANGE_BYTES);
    if (ranges < cached)
        ranges = cached;
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
    CT_TRY(ct_context_kernel(ctx, "conv_tiled", "conv2d_sum_parts", &k));
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
ct_status ct_conv_dw_tiled(ct_context *ctx, const ct_conv2d_geometry *g, const ct_tensor *x, const ct_tensor *dy,
                           const ct_tensor *y, const ct_tensor *dz, const ct_tensor *dkernel, const ct_tensor *db,
                           const ct_tensor *ws)
{
    cl_kernel k[2];
    CT_TRY(ct_context_kernel(ctx, "conv_tiled", y ? "conv2d_dw_tile_relu" : "conv2d_dw_tile", &k[0]));
    CT_TRY(ct_context_kernel(ctx, "conv_tiled", y ? "conv2d_dw_tile_relu_edge" : "conv2d_dw_tile_edge", &k[1]));
    conv_geometry_cl gc = to_cl(g, g->n);
    size_t tn = conv_tile_cols(ctx), out_rows = g->n * g->oh;
    size_t ranges = dw_ranges(ctx, g, ceil_div(g->cout, tn), workspace_floats_of(ws));
    cl_int rows_per_range = (cl_int)ceil_div(out_rows, ranges), has_db = db != NULL;
    ranges = ceil_div(out_rows, (size_t)rows_per_range);
    /* any valid buffer where one is unused */
    const ct_tensor *part = ranges > 1 ? ws : dkernel, *yv = y ? y : dy, *dzv = dz ? dz : dkernel;
    for (int v = 0; v < 2; v++) {
        cl_int first_panel = v ? (cl_int)(g->cout / tn) : 0;
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
    CT_TRY(launch_panels(ctx, "conv2d_dw_tile", k[0], k[1], g->cout, ranges, 1));
    return ranges > 1 ? sum_parts(ctx, g, ranges, ws, dkernel, db) : CT_OK;
}

/* db: the bias gradient, computed along with dkernel (NULL: not here). */
ct_status ct_conv_backward_tiled(ct_context *ctx, const ct_conv2d_geometry *g, const ct_tensor *x,
                                 const ct_tensor *kernel, const ct_tensor *dy, ct_tensor *dx, ct_tensor *dkernel,
                                 ct_tensor *db, const ct_tensor *ws)
{
    /* dx first: dW's partial results then overwrite the flipped kernel (in-order queue). */
    if (dx && dx_tiled_fits(g, workspace_floats_of(ws)))
        CT_TRY(dx_tiled(ctx, g, kernel, dy, dx, ws));
    else if (dx)
        CT_TRY(ct_conv_dx_direct(ctx, g, kernel, dy, dx));
    return dkernel ? ct_conv_dw_tiled(ctx, g, x, dy, NULL, NULL, dkernel, db, ws) : CT_OK;
}

