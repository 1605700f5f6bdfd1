/* Dropout with a counter-based RNG: the mask of element i is a pure function
 * of (seed, layer id, step, i), so forward and backward recompute it, and
 * every device (and the C reference, src/selftest/ref/ref_nn.c) draws the same mask.
 *
 * Philox-4x32-10 (cl/philox.cl). One evaluation yields four 32-bit words,
 * used by four consecutive elements: counter (g low, g high, step, layer_id)
 * with g = i / 4, word i % 4, key (seed low, seed high). */

/* Element i of x has mask index first + i (a replica's share of a batch
 * split over devices). Item k handles mask indices 4g .. 4g+3, g = first / 4
 * + k: y = x * scale where the element's word r >= threshold (threshold =
 * floor(rate * 2^32)), else 0 (even for Inf/NaN x, as TensorFlow's where()).
 * The backward pass is this kernel applied to dy. When want_mask, mask
 * receives the multiplier (0 or scale). In place safe. */
__kernel void dropout_apply(ulong n, ulong first, uint threshold, float scale, uint seed_lo, uint seed_hi,
                            uint step, uint layer_id, __global const float *x, ulong x_off, __global float *y,
                            ulong y_off, int want_mask, __global float *mask, ulong mask_off)
{
    const ulong g = get_global_id(0) + first / 4;
    if (g * 4 >= first + n)
        return;
    const uint4 r = philox4x32_10((uint)g, (uint)(g >> 32), step, layer_id, seed_lo, seed_hi);
    const uint words[4] = {r.x, r.y, r.z, r.w};
    for (int w = 0; w < 4; w++) {
        if (g * 4 + w < first)
            continue;
        const size_t i = g * 4 + w - first;
        if (i >= n)
            break;
        const int keep = words[w] >= threshold;
        y[y_off + i] = keep ? x[x_off + i] * scale : 0.0f;
        if (want_mask)
            mask[mask_off + i] = keep ? scale : 0.0f;
    }
}
