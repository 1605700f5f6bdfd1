/* Keras's Rescaling layer: y = x * scale + offset, element-wise. Two
 * roundings, a product then a sum, as Keras computes it: no fused
 * multiply-add. The backward is dx = scale * dy (elementwise.cl's scale). */
#pragma OPENCL FP_CONTRACT OFF

__kernel void rescale(ulong n, float scale, float offset, __global const float *x, ulong x_off, __global float *y,
                      ulong y_off)
{
    CT_GID_OR_RETURN(i, n)
    const float product = x[x_off + i] * scale;
    y[y_off + i] = product + offset;
}
