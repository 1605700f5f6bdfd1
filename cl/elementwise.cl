/* Element-wise arithmetic, ReLU and a sum reduction. Every tensor argument is a
 * buffer plus an element offset, so ops work on views. */

__kernel void add(ulong n, __global const float *a, ulong a_off, __global const float *b, ulong b_off,
                  __global float *y, ulong y_off)
{
    CT_GID_OR_RETURN(i, n)
    y[y_off + i] = a[a_off + i] + b[b_off + i];
}

__kernel void mul(ulong n, __global const float *a, ulong a_off, __global const float *b, ulong b_off,
                  __global float *y, ulong y_off)
{
    CT_GID_OR_RETURN(i, n)
    y[y_off + i] = a[a_off + i] * b[b_off + i];
}

__kernel void scale(ulong n, float alpha, __global const float *x, ulong x_off, __global float *y, ulong y_off)
{
    CT_GID_OR_RETURN(i, n)
    y[y_off + i] = alpha * x[x_off + i];
}

__kernel void relu_forward(ulong n, __global const float *x, ulong x_off, __global float *y, ulong y_off)
{
    CT_GID_OR_RETURN(i, n)
    y[y_off + i] = x[x_off + i] < 0.0f ? 0.0f : x[x_off + i]; /* NaN passes, unlike fmax */
}

/* dx = dy where x > 0, else 0 (Keras/TF: the gradient at exactly 0 is 0). */
__kernel void relu_backward(ulong n, __global const float *x, ulong x_off, __global const float *dy, ulong dy_off,
                            __global float *dx, ulong dx_off)
{
    CT_GID_OR_RETURN(i, n)
    dx[dx_off + i] = x[x_off + i] <= 0.0f ? 0.0f : dy[dy_off + i];
}

/* One work-group sums all n elements: strided partial sums, then a tree in
 * local memory. Loss and metric reductions are small, so one group is enough
 * and keeps the result deterministic. local_size must be a power of two. */
__kernel void sum_all(ulong n, __global const float *x, ulong x_off, __global float *y, ulong y_off,
                      __local float *scratch)
{
    const size_t lid = get_local_id(0), lsize = get_local_size(0);
    float acc = 0.0f;
    for (size_t i = lid; i < n; i += lsize)
        acc += x[x_off + i];
    const float total = group_sum_1d(scratch, acc); /* cl/reduce.cl */
    if (lid == 0)
        y[y_off] = total;
}
