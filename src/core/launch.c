/* The kernel launcher (launch.h). */
#include "core/launch.h"

#include <stdio.h>

#include "core/context.h"

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

size_t ct_launch_group_limit(ct_context *ctx, cl_kernel kernel) { return ct_context_kernel_group_limit(ctx, kernel); }

static size_t round_up(size_t n, size_t m) { return (n + m - 1) / m * m; }

/* "over 100 x 30 items in groups of 1 x 64" for error messages. */
static void describe(char *buf, size_t size, cl_uint dims, const size_t *global, const size_t *local)
{
    int n = snprintf(buf, size, "over ");
    for (cl_uint d = 0; d < dims && n > 0 && (size_t)n < size; d++)
        n += snprintf(buf + n, size - (size_t)n, d ? " x %zu" : "%zu", global[d]);
    if (!local || n <= 0 || (size_t)n >= size)
        return;
    n += snprintf(buf + n, size - (size_t)n, " items in groups of ");
    for (cl_uint d = 0; d < dims && n > 0 && (size_t)n < size; d++)
        n += snprintf(buf + n, size - (size_t)n, d ? " x %zu" : "%zu", local[d]);
}

ct_status ct_launch(ct_context *ctx, cl_kernel kernel, cl_uint dims, const size_t *global, const size_t *local,
                    const char *name)
{
    if (dims < 1 || dims > 3)
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "launching kernel %s: %u dimensions", name, dims);
    size_t g[3] = {1, 1, 1}, l[3] = {1, 1, 1};
    for (cl_uint d = 0; d < dims; d++) {
        if (global[d] == 0)
            return CT_OK;
        g[d] = global[d];
        l[d] = local ? (local[d] ? local[d] : 1) : 1;
    }
    if (local) {
        size_t limit = ct_launch_group_limit(ctx, kernel);
        while (l[0] * l[1] * l[2] > limit) {
            cl_uint big = 0;
            for (cl_uint d = 1; d < dims; d++)
                if (l[d] > l[big])
                    big = d;
            l[big] = (l[big] + 1) / 2;
        }
        for (cl_uint d = 0; d < dims; d++)
            g[d] = round_up(g[d], l[d]);
    }
    cl_int err =
        clEnqueueNDRangeKernel(ct_context_queue(ctx), kernel, dims, NULL, g, local ? l : NULL, 0, NULL, NULL);
    if (err == CL_SUCCESS) {
        if (local) /* a size the runtime chooses is not known here */
            ct_context_note_launch(ctx, kernel, dims, g, l);
        return CT_OK;
    }
    char what[256], range[160];
    describe(range, sizeof range, dims, global, local ? l : NULL);
    snprintf(what, sizeof what, "launching kernel %s %s", name, range);
    return ct_cl_fail(err, what);
}

ct_status ct_launch_1d(ct_context *ctx, cl_kernel kernel, size_t n, const char *kernel_name)
{
    size_t local = 64;
    return ct_launch(ctx, kernel, 1, &n, &local, kernel_name);
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
    return ct_launch(ctx, kernel, dims, global, local, kernel_name);
}

ct_status ct_same_count(const char *op, const ct_tensor *a, const ct_tensor *b)
{
    if (ct_tensor_count(a) == ct_tensor_count(b))
        return CT_OK;
    char sa[96], sb[96];
    return ct_fail(CT_ERR_SHAPE, "%s: shapes %s and %s have different sizes", op,
                   ct_shape_str(a->ndim, a->shape, sa, sizeof sa), ct_shape_str(b->ndim, b->shape, sb, sizeof sb));
}
