/* Launchers for cl/data.cl. */
#include "cltrain/batch.h"

#include "ops/launch.h"

ct_status ct_shuffle_indices(ct_context *ctx, cl_mem idx, uint32_t n, uint64_t seed, uint64_t epoch)
{
    if (n == 0)
        return CT_OK;
    cl_kernel k;
    CT_TRY(ct_context_kernel(ctx, "data", "shuffle_indices", &k));
    cl_uint count = n;
    cl_ulong s = seed, e = epoch;
    cl_int err = CT_ARG(k, 0, count) | CT_ARG(k, 1, s) | CT_ARG(k, 2, e) | CT_ARG(k, 3, idx);
    CT_TRY(ct_args_ok(err, "shuffle_indices"));
    size_t one = 1;
    err = clEnqueueNDRangeKernel(ct_context_queue(ctx), k, 1, NULL, &one, &one, 0, NULL, NULL);
    return err == CL_SUCCESS ? CT_OK : ct_cl_fail(err, "launching shuffle_indices");
}

ct_status ct_gather_rows_device(ct_context *ctx, const ct_tensor *src, cl_mem idx, uint32_t first, ct_tensor *dst)
{
    if (src->offset != 0)
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "gather_rows: the source must start at offset 0");
    cl_uint rows = (cl_uint)dst->shape[0];
    cl_uint row_len = rows ? (cl_uint)(ct_tensor_count(dst) / rows) : 0;
    if (rows == 0)
        return CT_OK;
    cl_kernel k;
    CT_TRY(ct_context_kernel(ctx, "data", "gather_rows", &k));
    cl_ulong dst_off = dst->offset;
    cl_uint f = first;
    cl_int err = CT_ARG(k, 0, rows) | CT_ARG(k, 1, row_len) | CT_ARG(k, 2, src->buf) | CT_ARG(k, 3, idx) |
                 CT_ARG(k, 4, f) | CT_ARG(k, 5, dst->buf) | CT_ARG(k, 6, dst_off);
    CT_TRY(ct_args_ok(err, "gather_rows"));
    return ct_launch_1d(ctx, k, (size_t)rows * row_len, "gather_rows");
}
