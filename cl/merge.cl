/* Keras' Concatenate on the last axis, and its gradient: a block of columns
 * copied between two row-major matrices (all axes but the last are rows).
 * dst[r, dst_col + c] = src[r, src_col + c], or += where accumulate is set:
 * the gradient of a tensor that several layers use is their sum. */
__kernel void copy_columns(ulong rows, ulong cols, __global const float *src, ulong src_off, ulong src_ld,
                           ulong src_col, __global float *dst, ulong dst_off, ulong dst_ld, ulong dst_col,
                           int accumulate)
{
    CT_GID_OR_RETURN(i, rows * cols)
    const ulong r = i / cols, c = i % cols;
    const float v = src[src_off + r * src_ld + src_col + c];
    const ulong at = dst_off + r * dst_ld + dst_col + c;
    dst[at] = accumulate ? dst[at] + v : v;
}
