/* Reductions over a 1-D work-group, one copy for every program that needs
 * them (activations, batchnorm, loss, elementwise). Each is a tree in local
 * memory in a fixed order: deterministic, no atomics. The local size must be
 * a power of two. */

/* Sum of v over the work-group; every item gets the result. scratch holds
 * local-size floats; the trailing barrier frees it for the next reduction. */
inline float group_sum_1d(__local float *scratch, float v)
{
    const size_t lid = get_local_id(0), lsize = get_local_size(0);
    scratch[lid] = v;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (size_t s = lsize / 2; s > 0; s /= 2) {
        if (lid < s)
            scratch[lid] += scratch[lid + s];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    const float total = scratch[0];
    barrier(CLK_LOCAL_MEM_FENCE); /* scratch is free again for the next reduction */
    return total;
}

/* As group_sum_1d, the maximum (fmax: a NaN item loses to a number). */
inline float group_max_1d(__local float *scratch, float v)
{
    const size_t lid = get_local_id(0), lsize = get_local_size(0);
    scratch[lid] = v;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (size_t s = lsize / 2; s > 0; s /= 2) {
        if (lid < s)
            scratch[lid] = fmax(scratch[lid], scratch[lid + s]);
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    const float total = scratch[0];
    barrier(CLK_LOCAL_MEM_FENCE);
    return total;
}

/* Column kernels (bias_act_backward, batch normalisation): one work-group of
 * `lanes` items per block of CB adjacent columns, owning them over all rows;
 * lane l walks rows l, l + lanes, ... Each item reads CB adjacent floats of a
 * row (one 64-byte line) into private accumulators: contiguous, vectorisable
 * on CPUs, whole cache lines on GPUs. CT_NN_COLUMN_BLOCK in
 * src/ops/nn_internal.h is the host's copy. */
#define CB 16

/* Sum acc[0..CB-1] over the group's lanes; every lane gets the column totals
 * back in acc. scratch holds CB * local-size floats. */
inline void lanes_sum_block(__local float *scratch, float *acc)
{
    const size_t lane = get_local_id(0), lanes = get_local_size(0);
    for (int j = 0; j < CB; j++)
        scratch[lane * CB + j] = acc[j];
    barrier(CLK_LOCAL_MEM_FENCE);
    for (size_t s = lanes / 2; s > 0; s /= 2) {
        if (lane < s)
            for (int j = 0; j < CB; j++)
                scratch[lane * CB + j] += scratch[(lane + s) * CB + j];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    for (int j = 0; j < CB; j++)
        acc[j] = scratch[j];
    barrier(CLK_LOCAL_MEM_FENCE);
}
