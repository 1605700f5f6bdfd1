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

/* dst row r = src row idx[first + r], rows of row_len floats. */
__kernel void gather_rows(uint rows, uint row_len, __global const float *src, __global const uint *idx, uint first,
                          __global float *dst, ulong dst_off)
{
    const size_t i = get_global_id(0);
    if (i >= (size_t)rows * row_len)
        return;
    const uint r = (uint)(i / row_len), c = (uint)(i % row_len);
    dst[dst_off + i] = src[(size_t)idx[first + r] * row_len + c];
}
