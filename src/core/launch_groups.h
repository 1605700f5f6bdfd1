/* Launch geometry shared by the neural-network op launchers (gemm/activations.c,
 * ops/batchnorm.c, train/loss.c): row kernels (one work-group per row) and
 * column kernels (one work-group per block of adjacent columns, owning them
 * over all rows). On CPUs every reduction uses the profile's one group size
 * (reduction_group), so PoCL compiles each kernel once. */
#ifndef CLTRAIN_CORE_LAUNCH_GROUPS_H
#define CLTRAIN_CORE_LAUNCH_GROUPS_H

#include "core/launch.h"

/* Upper bound on the work-group size of reduction kernels: beyond this, more
 * items per group only lengthen the local-memory tree. */
#define CT_NN_MAX_GROUP 256
/* Columns per work-group in column kernels; CB in cl/reduce.cl. Each item
 * reads this many adjacent floats of a row. */
#define CT_NN_COLUMN_BLOCK 16

/* (rows, cols) view of a tensor: the last axis is the columns. */
static inline void ct_nn_rows_cols(const ct_tensor *t, size_t *rows, size_t *cols)
{
    size_t n = ct_tensor_count(t);
    *cols = t->ndim > 0 ? t->shape[t->ndim - 1] : 1;
    *rows = *cols ? n / *cols : 0;
}

static inline size_t ct_nn_pow2_at_most(size_t n)
{
    size_t p = 1;
    while (p * 2 <= n)
        p *= 2;
    return p;
}

static inline size_t ct_nn_pow2_at_least(size_t n)
{
    size_t p = 1;
    while (p < n)
        p *= 2;
    return p;
}

/* The largest work-group a reduction kernel may use on this device (a power
 * of two): the kernel's limit (which the device's bounds) and CT_NN_MAX_GROUP. */
static inline size_t ct_nn_group_limit(ct_context *ctx, cl_kernel k)
{
    size_t limit = ct_launch_group_limit(ctx, k);
    return ct_nn_pow2_at_most(limit < CT_NN_MAX_GROUP ? limit : CT_NN_MAX_GROUP);
}

/* The device profile's fixed work-group size for reduction kernels (CPUs:
 * one compile per kernel), held to the kernel's limit; 0 where the launcher
 * sizes the group from the shape (GPUs). */
static inline size_t ct_nn_fixed_group(ct_context *ctx, cl_kernel k)
{
    size_t fixed = ct_context_device(ctx)->profile.reduction_group;
    if (fixed == 0)
        return 0;
    size_t limit = ct_nn_group_limit(ctx, k);
    return ct_nn_pow2_at_most(fixed < limit ? fixed : limit);
}

/* Row kernel: one group of L items (power of two, at most cols rounded up,
 * or the profile's fixed size) per row. Sets the __local scratch argument
 * `scratch_arg` (L floats) too. */
static inline ct_status ct_nn_launch_rows(ct_context *ctx, cl_kernel k, cl_uint scratch_arg, size_t rows,
                                          size_t cols, const char *name)
{
    if (rows == 0 || cols == 0)
        return CT_OK;
    size_t local = ct_nn_fixed_group(ctx, k);
    if (local == 0) {
        size_t limit = ct_nn_group_limit(ctx, k);
        local = ct_nn_pow2_at_least(cols);
        if (local > limit)
            local = limit;
    }
    cl_int err = clSetKernelArg(k, scratch_arg, local * sizeof(float), NULL);
    CT_TRY(ct_args_ok(err, name));
    size_t global = rows * local;
    return ct_launch(ctx, k, 1, &global, &local, name);
}

/* Column kernel: one group of `lanes` items per block of CT_NN_COLUMN_BLOCK
 * columns, lanes a power of two (at most the rows, rounded up, or the
 * profile's fixed size), with
 * CT_NN_COLUMN_BLOCK floats of __local scratch per item in `scratch_arg`. */
static inline ct_status ct_nn_launch_columns(ct_context *ctx, cl_kernel k, cl_uint scratch_arg, size_t rows,
                                             size_t cols, const char *name)
{
    if (rows == 0 || cols == 0)
        return CT_OK;
    const size_t bytes_per_lane = CT_NN_COLUMN_BLOCK * sizeof(float);
    size_t fixed = ct_nn_fixed_group(ctx, k);
    size_t lanes = fixed ? fixed : ct_nn_group_limit(ctx, k), rows_pow2 = ct_nn_pow2_at_least(rows);
    /* leave half the local memory to the implementation */
    while (lanes > 1 && lanes * bytes_per_lane > ct_context_device(ctx)->local_mem_bytes / 2)
        lanes /= 2;
    if (!fixed && lanes > rows_pow2)
        lanes = rows_pow2;
    size_t blocks = (cols + CT_NN_COLUMN_BLOCK - 1) / CT_NN_COLUMN_BLOCK;
    size_t global = blocks * lanes;
    cl_int err = clSetKernelArg(k, scratch_arg, lanes * bytes_per_lane, NULL);
    CT_TRY(ct_args_ok(err, name));
    return ct_launch(ctx, k, 1, &global, &lanes, name);
}

#endif
