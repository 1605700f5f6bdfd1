/* Launcher for cl/images.cl: 8-bit image rows into float batches. */
#include "cltrain/batch.h"

#include "core/launch.h"

ct_status ct_gather_u8_scaled(ct_context *ctx, cl_mem src, size_t row_len, cl_mem idx, uint32_t first, float scale,
                              ct_tensor *dst)
{
    if (!src || !dst || !dst->buf || dst->ndim < 1)
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "gather_u8_scaled: NULL source or destination");
    size_t rows = dst->shape[0];
    if (rows == 0)
        return CT_OK;
    if (ct_tensor_count(dst) != rows * row_len)
        return ct_fail(CT_ERR_SHAPE, "gather_u8_scaled: %zu rows of %zu bytes do not fill %zu floats", rows, row_len,
                       ct_tensor_count(dst));
    cl_kernel k;
    CT_TRY(ct_context_kernel(ctx, "images", "gather_u8_scaled", &k));
    cl_uint n = (cl_uint)rows, f = first, indexed = idx != NULL, len = (cl_uint)row_len;
    cl_mem index = idx ? idx : src; /* any valid buffer when unused */
    cl_ulong off = dst->offset;
    cl_int err = CT_ARG(k, 0, n) | CT_ARG(k, 1, f) | CT_ARG(k, 2, indexed) | CT_ARG(k, 3, index) | CT_ARG(k, 4, len) |
                 CT_ARG(k, 5, src) | CT_ARG(k, 6, scale) | CT_ARG(k, 7, dst->buf) | CT_ARG(k, 8, off);
    CT_TRY(ct_args_ok(err, "gather_u8_scaled"));
    size_t local[2] = {64, 1}, global[2] = {row_len, rows}; /* the launcher rounds and clamps */
    return ct_launch(ctx, k, 2, global, local, "gather_u8_scaled");
}
