#include "core/launch.h"

#include <stdio.h>

cl_int ct_arg_tensor(cl_kernel kernel, cl_uint *index, const ct_tensor *t)
{
    cl_ulong offset = t->offset;
    cl_int err = clSetKernelArg(kernel, (*index)++, sizeof(cl_mem), &t->buf);
    err |= clSetKernelArg(kernel, (*index)++, sizeof offset, &offset);
    return err;
}

ct_status ct_args_ok(cl_int err, const char *kernel_name)
{
    if (err == CL_SUCCESS)
        return CT_OK;
    return ct_fail(CT_ERR_OPENCL, "setting the arguments of kernel %s failed", kernel_name);
}

static size_t round_up(size_t n, size_t m) { return (n + m - 1) / m * m; }

ct_status ct_launch_1d(ct_context *ctx, cl_kernel kernel, size_t n, const char *kernel_name)
{
    if (n == 0)
        return CT_OK;
    size_t local = 64;
    size_t max_wg = ct_context_device(ctx)->max_work_group_size;
    if (local > max_wg)
        local = max_wg;
    size_t global = round_up(n, local);
    cl_int err = clEnqueueNDRangeKernel(ct_context_queue(ctx), kernel, 1, NULL, &global, &local, 0, NULL, NULL);
    if (err != CL_SUCCESS) {
        char what[160];
        snprintf(what, sizeof what, "launching kernel %s over %zu items", kernel_name, n);
        return ct_cl_fail(err, what);
    }
    return CT_OK;
}

ct_status ct_launch_nd(ct_context *ctx, cl_kernel kernel, cl_uint dims, const size_t *global, const char *kernel_name)
{
    /* 2-D: 8x8 tiles; 3-D: 4x4x4; shrunk for small devices. */
    size_t local[3] = {dims == 2 ? 8 : 4, dims == 2 ? 8 : 4, 4};
    size_t max_wg = ct_context_device(ctx)->max_work_group_size;
    while (local[0] * local[1] * (dims == 3 ? local[2] : 1) > max_wg) {
        local[0] = local[0] > 1 ? local[0] / 2 : 1;
        local[1] = local[1] > 1 ? local[1] / 2 : 1;
    }
    size_t rounded[3];
    for (cl_uint d = 0; d < dims; d++) {
        if (global[d] == 0)
            return CT_OK;
        rounded[d] = round_up(global[d], local[d]);
    }
    cl_int err = clEnqueueNDRangeKernel(ct_context_queue(ctx), kernel, dims, NULL, rounded, local, 0, NULL, NULL);
    if (err != CL_SUCCESS) {
        char what[160];
        snprintf(what, sizeof what, "launching kernel %s", kernel_name);
        return ct_cl_fail(err, what);
    }
    return CT_OK;
}

ct_status ct_same_count(const char *op, const ct_tensor *a, const ct_tensor *b)
{
    if (ct_tensor_count(a) == ct_tensor_count(b))
        return CT_OK;
    char sa[96], sb[96];
    return ct_fail(CT_ERR_SHAPE, "%s: shapes %s and %s have different sizes", op,
                   ct_shape_str(a->ndim, a->shape, sa, sizeof sa), ct_shape_str(b->ndim, b->shape, sb, sizeof sb));
}
