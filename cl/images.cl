/* Images kept on the device as 8-bit pixels (a quarter of the float memory
 * and of the upload), turned into the model's floats batch by batch. */

/* Row r of dst (at dst_off) = row (indexed ? idx[first + r] : first + r) of
 * src, each of len bytes, times scale: 1/255 gives [0, 1], 1 keeps 0..255.
 * A work-item per pixel value, rows along the second dimension, so
 * neighbouring work-items read neighbouring bytes. */
__kernel void gather_u8_scaled(uint rows, uint first, uint indexed, __global const uint *idx, uint len,
                               __global const uchar *src, float scale, __global float *dst, ulong dst_off)
{
    const uint c = (uint)get_global_id(0), r = (uint)get_global_id(1);
    if (c >= len || r >= rows)
        return;
    const ulong j = indexed ? idx[first + r] : (ulong)first + r;
    dst[dst_off + (ulong)r * len + c] = (float)src[j * len + c] * scale;
}
