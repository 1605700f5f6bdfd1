/* Shuffling and batch gathering on the device. */
#ifndef CLTRAIN_BATCH_H
#define CLTRAIN_BATCH_H

#include <stdint.h>

#include "cltrain/tensor.h"

/* idx (a buffer of n uint32) = a permutation of 0..n-1 that depends only on
 * (seed, epoch). */
ct_status ct_shuffle_indices(ct_context *ctx, cl_mem idx, uint32_t n, uint64_t seed, uint64_t epoch);

/* Row r of dst = row idx[first + r] of src, for rows = dst->shape[0]; every
 * row has ct_tensor_count(dst) / rows floats. src must start at offset 0. */
ct_status ct_gather_rows_device(ct_context *ctx, const ct_tensor *src, cl_mem idx, uint32_t first, ct_tensor *dst);

/* A training batch in one launch: the rows idx[first ...] of the samples
 * (src_x -> dst_x) and of their targets (src_y -> dst_y), which must have the
 * same number of rows. */
ct_status ct_gather_batch_device(ct_context *ctx, cl_mem idx, uint32_t first, const ct_tensor *src_x, ct_tensor *dst_x,
                                 const ct_tensor *src_y, ct_tensor *dst_y);

/* Images kept as 8-bit pixels: row r of dst (float, rows = dst->shape[0],
 * row_len values each) = row idx[first + r] of src (bytes, row_len per row),
 * times scale (1/255: [0, 1]). idx NULL: rows first, first + 1, ... in order
 * (an evaluation pass). */
ct_status ct_gather_u8_scaled(ct_context *ctx, cl_mem src, size_t row_len, cl_mem idx, uint32_t first, float scale,
                              ct_tensor *dst);

#endif
