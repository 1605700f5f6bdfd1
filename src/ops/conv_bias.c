/* The bias kernels of every convolution algorithm (cl/conv_bias.cl). */
#include "ops/conv_internal.h"

ct_status ct_conv_fill_bias(ct_context *ctx, const ct_conv2d_geometry *g, const ct_tensor *bias, const ct_tensor *y)
{
    cl_kernel k;
    CT_TRY(ct_context_kernel(ctx, "conv_bias", "conv2d_fill_bias", &k));
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

/* One work-group per CT_VW channels on CPUs (one vector per row), per
 * channel elsewhere; the group size is a power of two. */
ct_status ct_conv_bias_grad(ct_context *ctx, const ct_conv2d_geometry *g, const ct_tensor *dy, const ct_tensor *db)
{
    cl_kernel k;
    CT_TRY(ct_context_kernel(ctx, "conv_bias", "conv2d_bias_grad", &k));
    size_t limit = ct_launch_group_limit(ctx, k), local = 1;
    if (limit > 64)
        limit = 64;
    while (local * 2 <= limit)
        local *= 2;
    cl_ulong rows = g->n * out_pixels(g);
    const ct_device_profile *p = &ct_context_device(ctx)->profile;
    const unsigned vector = ct_profile_kernel_vector(p); /* the kernel's scratch holds one per item */
    cl_int cout = (cl_int)g->cout, lanes = p->is_cpu_class ? (cl_int)vector : 1;
    cl_uint i = 0;
    cl_int err = CT_ARG(k, i++, rows);
    err |= CT_ARG(k, i++, cout);
    err |= CT_ARG(k, i++, lanes);
    err |= ct_arg_tensor(k, &i, dy);
    err |= ct_arg_tensor(k, &i, db);
    err |= clSetKernelArg(k, i++, local * vector * sizeof(float), NULL);
    CT_TRY(ct_args_ok(err, "conv2d_bias_grad"));
    size_t global = local * ct_items_for(g->cout, lanes);
    return ct_launch(ctx, k, 1, &global, &local, "conv2d_bias_grad");
}
