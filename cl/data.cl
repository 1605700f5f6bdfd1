/* Batches on the device: a seeded shuffle of sample indices and row gathers,
 * so a dataset uploaded once is never copied through the host again. */

/* splitmix64 finaliser; the same function as ct_counter_hash's mixing in
 * src/model/init.c, so host and device agree. */
ulong ct_mix64(ulong z)
{
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
    return z ^ (z >> 31);
}

/* Fisher-Yates on one work-item: an epoch's permutation of n indices, a pure
 * function of (seed, epoch). Once per epoch over a few thousand indices, so a
 * single work-item is fast enough and gives the same order on every device. */
__kernel void shuffle_indices(uint n, ulong seed, ulong epoch, __global uint *idx)
{
    if (get_global_id(0) != 0)
        return;
    for (uint i = 0; i < n; i++)
        idx[i] = i;
    ulong key = ct_mix64(ct_mix64(seed + 0x9E3779B97F4A7C15UL) ^ (epoch + 0x5DEECE66DUL));
    for (uint i = n - 1; i > 0; i--) {
        ulong r = ct_mix64(key ^ (ulong)i);
        uint j = (uint)(r % (ulong)(i + 1));
        uint t = idx[i];
        idx[i] = idx[j];
        idx[j] = t;
    }
}

/* A batch of one or two tensors (samples and their targets) in one launch:
 * row r of dst_a / dst_b = row idx[first + r] of src_a / src_b, rows of len_a /
 * len_b floats (len_b = 0: no second tensor).
 * CPU-class devices: work-item r copies row r (src/ops/batch.c launches one
 * work-item per row): a row is one sequential copy, 2-3x faster on PoCL than
 * a work-item per float (32 CIFAR rows: 10-20 us against 34-60 us).
 * Other devices: work-item (c, r) copies column c of row r, so neighbouring
 * work-items touch neighbouring floats. */
__kernel void gather_rows(uint rows, uint first, __global const uint *idx, uint len_a, __global const float *src_a,
                          __global float *dst_a, ulong dst_a_off, uint len_b, __global const float *src_b,
                          __global float *dst_b, ulong dst_b_off)
{
#if CT_IS_CPU
    const uint r = (uint)get_global_id(0);
    if (r >= rows)
        return;
    const ulong j = idx[first + r];
    __global const float *from_a = src_a + j * len_a, *from_b = src_b + j * len_b;
    __global float *to_a = dst_a + dst_a_off + (ulong)r * len_a, *to_b = dst_b + dst_b_off + (ulong)r * len_b;
    for (uint c = 0; c < len_a; c++)
        to_a[c] = from_a[c];
    for (uint c = 0; c < len_b; c++)
        to_b[c] = from_b[c];
#else
    const uint c = (uint)get_global_id(0), r = (uint)get_global_id(1);
    if (r >= rows)
        return;
    const ulong j = idx[first + r];
    if (c < len_a)
        dst_a[dst_a_off + (ulong)r * len_a + c] = src_a[j * len_a + c];
    if (c < len_b)
        dst_b[dst_b_off + (ulong)r * len_b + c] = src_b[j * len_b + c];
#endif
}
