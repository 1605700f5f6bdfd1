/* Launchers for cl/data.cl. */
#include "cltrain/batch.h"

#include "core/launch.h"

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
    return ct_launch(ctx, k, 1, &one, &one, "shuffle_indices");
}

/* Rows and row length of a gather's destination; src must start at offset 0. */
static ct_status gather_dims(const ct_tensor *src, const ct_tensor *dst, cl_uint *rows, cl_uint *row_len)
{
    if (src->offset != 0)
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "gather_rows: the source must start at offset 0");
    *rows = (cl_uint)dst->shape[0];
    *row_len = *rows ? (cl_uint)(ct_tensor_count(dst) / *rows) : 0;
    return CT_OK;
}

/* One launch of gather_rows; b may be NULL (no second tensor). */
static ct_status gather(ct_context *ctx, cl_mem idx, uint32_t first, const ct_tensor *src_a, ct_tensor *dst_a,
                        const ct_tensor *src_b, ct_tensor *dst_b)
{
    cl_uint rows, len_a, len_b = 0, rows_b = 0;
    CT_TRY(gather_dims(src_a, dst_a, &rows, &len_a));
    if (src_b) {
        CT_TRY(gather_dims(src_b, dst_b, &rows_b, &len_b));
        if (rows_b != rows)
            return ct_fail(CT_ERR_SHAPE, "gather_rows: %u sample rows but %u target rows", rows, rows_b);
    } else {
        src_b = src_a; /* a valid buffer for the unused arguments */
        dst_b = dst_a;
    }
    if (rows == 0)
        return CT_OK;
    cl_kernel k;
    CT_TRY(ct_context_kernel(ctx, "data", "gather_rows", &k));
    cl_ulong off_a = dst_a->offset, off_b = dst_b->offset;
    cl_uint f = first;
    cl_int err = CT_ARG(k, 0, rows) | CT_ARG(k, 1, f) | CT_ARG(k, 2, idx) | CT_ARG(k, 3, len_a) |
                 CT_ARG(k, 4, src_a->buf) | CT_ARG(k, 5, dst_a->buf) | CT_ARG(k, 6, off_a) | CT_ARG(k, 7, len_b) |
                 CT_ARG(k, 8, src_b->buf) | CT_ARG(k, 9, dst_b->buf) | CT_ARG(k, 10, off_b);
    CT_TRY(ct_args_ok(err, "gather_rows"));
    /* The two forms of cl/data.cl's gather_rows. CPU-class: a work-item per
     * row, work-groups of 32 rows (one size for every batch: PoCL compiles
     * the kernel once per work-group size). Others: work-groups of 64
     * columns of one row. */
    if (ct_context_device(ctx)->profile.is_cpu_class) {
        size_t local = 32, global = rows;
        return ct_launch(ctx, k, 1, &global, &local, "gather_rows");
    }
    size_t local[2] = {64, 1}, global[2] = {len_a > len_b ? len_a : len_b, rows};
    return ct_launch(ctx, k, 2, global, local, "gather_rows");
}

ct_status ct_gather_rows_device(ct_context *ctx, const ct_tensor *src, cl_mem idx, uint32_t first, ct_tensor *dst)
{
    return gather(ctx, idx, first, src, dst, NULL, NULL);
}

ct_status ct_gather_batch_device(ct_context *ctx, cl_mem idx, uint32_t first, const ct_tensor *src_x, ct_tensor *dst_x,
                                 const ct_tensor *src_y, ct_tensor *dst_y)
{
    return gather(ctx, idx, first, src_x, dst_x, src_y, dst_y);
}
