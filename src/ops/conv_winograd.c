/* Conv2D by Winograd (cl/conv_winograd.cl and cl/conv_winograd4.cl, CPUs
 * only; 3x3, stride 1: the forward pass and the input gradient, the latter
 * again as a forward convolution of dy): the kernel is transformed into the
 * workspace, then one kernel per pass computes F(4x4, 3x3) or F(2x2, 3x3)
 * tiles; the kernel gradient stays tiled. */
#include "ops/conv_internal.h"

/* The transformed kernel of the forward pass or the input gradient,
 * whichever is larger. */
size_t ct_conv_winograd_floats(const ct_conv2d_geometry *g)
{
    if (!winograd_shape(g))
        return 0;
    size_t fwd = winograd_u_floats(g->cin, g->cout), dx = winograd_u_floats(g->cout, g->cin);
    return fwd > dx ? fwd : dx;
}


/* y = conv(x, kernel) (+ bias, then relu if asked) by the Winograd kernels
 * for a 3x3 stride-1 geometry as the kernels see it (also the input
 * gradient's, flip: the kernel is the forward pass's, read flipped and
 * transposed). The transformed kernel goes to the start of ws. */
static ct_status winograd_cl(ct_context *ctx, const conv_geometry_cl *gc, cl_int flip, const ct_tensor *kernel,
                             const ct_tensor *x, const ct_tensor *bias, cl_int relu, const ct_tensor *y,
                             const ct_tensor *ws)
{
    cl_kernel kw, kfull;
    int f4 = winograd_f4((size_t)gc->cin, (size_t)gc->cout);
    const char *program = f4 ? "conv_winograd4" : "conv_winograd";
    CT_TRY(ct_context_kernel(ctx, program, f4 ? "conv2d_winograd4_weights" : "conv2d_winograd_weights", &kw));
    CT_TRY(ct_context_kernel(ctx, program, f4 ? "conv2d_winograd4" : "conv2d_winograd", &kfull));
    size_t cout = (size_t)gc->cout;
    cl_int ldu = (cl_int)(ceil_div(cout, WINOGRAD_PANEL) * WINOGRAD_PANEL);
    cl_uint i = 0;
    cl_int err = clSetKernelArg(kw, i++, sizeof *gc, gc);
    err |= CT_ARG(kw, i++, flip);
    err |= CT_ARG(kw, i++, ldu);
    err |= ct_arg_tensor(kw, &i, kernel);
    err |= ct_arg_tensor(kw, &i, ws);
    CT_TRY(ct_args_ok(err, "conv2d_winograd_weights"));
    /* conv2d_winograd4_weights: a vector of CT_VW output channels per work-item */
    size_t lanes = f4 ? ct_profile_kernel_vector(&ct_context_device(ctx)->profile) : 1;
    CT_TRY(ct_launch_1d(ctx, kw, (size_t)gc->cin * (size_t)ldu / lanes, "conv2d_winograd_weights"));

    size_t edge = f4 ? 4 : 2; /* output tile */
    size_t tiles = (size_t)gc->images * ceil_div((size_t)gc->oh, edge) * ceil_div((size_t)gc->ow, edge);
    size_t blocks = ceil_div(tiles, WINOGRAD_BLOCK), panels = ceil_div(cout, WINOGRAD_PANEL);
    cl_int blocks_per_item = ct_conv_tiles_per_item(ctx, blocks, panels, WINOGRAD_BLOCK * WINOGRAD_PANEL);
    cl_int has_bias = bias != NULL;
    const ct_tensor *b = bias ? bias : kernel; /* any valid buffer when there is no bias */
    size_t items = ceil_div(blocks, (size_t)blocks_per_item), local[2] = {1, 1}, full = cout / WINOGRAD_PANEL;
    /* conv2d_winograd4 or conv2d_winograd takes the full panels when there
     * are at most 32 input channels, conv2d_winograd_any the others and
     * the partial last panel (F(2x2) both; F(4x4) never has them, so its
     * runs never build the F(2x2) program) */
    for (int v = 0; v < 2; v++) {
        size_t global[2] = {v ? panels - full : full, items};
        if (!global[0])
            continue;
        cl_kernel kv = kfull;
        if (v || gc->cin > WINOGRAD_CHUNK)
            CT_TRY(ct_context_kernel(ctx, "conv_winograd", "conv2d_winograd_any", &kv));
        cl_int first_panel = v ? (cl_int)full : 0;
        i = 0;
        err = clSetKernelArg(kv, i++, sizeof *gc, gc);
        err |= CT_ARG(kv, i++, blocks_per_item);
        err |= CT_ARG(kv, i++, first_panel);
        err |= CT_ARG(kv, i++, ldu);
        err |= ct_arg_tensor(kv, &i, x);
        err |= ct_arg_tensor(kv, &i, ws);
        err |= ct_arg_tensor(kv, &i, b);
        err |= CT_ARG(kv, i++, has_bias);
        err |= CT_ARG(kv, i++, relu);
        err |= ct_arg_tensor(kv, &i, y);
        CT_TRY(ct_args_ok(err, "conv2d_winograd"));
        CT_TRY(ct_launch(ctx, kv, 2, global, local, "conv2d_winograd"));
    }
    return CT_OK;
}

ct_status ct_conv_forward_winograd(ct_context *ctx, const ct_conv2d_geometry *g, const ct_tensor *x,
                                   const ct_tensor *kernel, const ct_tensor *bias, int relu, ct_tensor *y,
                                   const ct_tensor *ws)
{
    if (workspace_floats_of(ws) < winograd_u_floats(g->cin, g->cout))
        return ct_conv_forward_tiled(ctx, g, x, kernel, bias, relu, y, ws);
    conv_geometry_cl gc = to_cl(g, g->n);
    return winograd_cl(ctx, &gc, 0, kernel, x, bias, relu, y, ws);
}

/* The input gradient as the forward convolution of dy (see dx_tiled) by
 * Winograd; the tiled algorithm's when the workspace lacks room. */
ct_status ct_conv_dx_winograd(ct_context *ctx, const ct_conv2d_geometry *g, const ct_tensor *kernel,
                              const ct_tensor *dy, ct_tensor *dx, const ct_tensor *ws)
{
    if (workspace_floats_of(ws) < winograd_u_floats(g->cout, g->cin))
        return ct_conv_backward_tiled(ctx, g, NULL, kernel, dy, dx, NULL, NULL, ws);
    conv_geometry_cl t = {
        .images = (cl_int)g->n, .h = (cl_int)g->oh, .w = (cl_int)g->ow, .cin = (cl_int)g->cout,
        .oh = (cl_int)g->h, .ow = (cl_int)g->w, .cout = (cl_int)g->cin, .kh = 3, .kw = 3,
        .sh = 1, .sw = 1, .pad_top = (cl_int)(2 - g->pad_top), .pad_left = (cl_int)(2 - g->pad_left),
    };
    return winograd_cl(ctx, &t, 1, kernel, dy, NULL, 0, dx, ws);
}

