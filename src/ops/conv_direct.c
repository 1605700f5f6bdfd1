/* Conv2D by the direct kernels (cl/conv_direct.cl): no workspace, every
 * device. Each work-item computes a block of outputs (channels x pixels). */
#include "ops/conv_internal.h"

/* Output pixels per work-item in conv2d_forward_direct (FW_PIXELS there). */
#define FW_PIXELS 4

ct_status ct_conv_forward_direct(ct_context *ctx, const ct_conv2d_geometry *g, const ct_tensor *x,
                                 const ct_tensor *kernel, const ct_tensor *bias, ct_tensor *y)
{
    cl_kernel k;
    CT_TRY(ct_context_kernel(ctx, "conv_direct", "conv2d_forward_direct", &k));
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
    CT_TRY(ct_context_kernel(ctx, "conv_direct", name, &k));
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

ct_status ct_conv_dx_direct(ct_context *ctx, const ct_conv2d_geometry *g, const ct_tensor *kernel,
                            const ct_tensor *dy, const ct_tensor *dx)
{
    return launch_direct_grad(ctx, "conv2d_dx_direct", g, g->cin, g->n * g->h * g->w, dy, kernel, dx);
}

ct_status ct_conv_backward_direct(ct_context *ctx, const ct_conv2d_geometry *g, const ct_tensor *x,
                                  const ct_tensor *kernel, const ct_tensor *dy, ct_tensor *dx, ct_tensor *dkernel)
{
    if (dx)
        CT_TRY(ct_conv_dx_direct(ctx, g, kernel, dy, dx));
    if (dkernel)
        CT_TRY(launch_direct_grad(ctx, "conv2d_dw_direct", g, g->cout, g->kh * g->kw * channel_blocks(g), x, dy,
                                  dkernel));
    return CT_OK;
}
