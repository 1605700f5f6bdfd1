/* The bias of a convolution, for every algorithm: the starting value of the
 * im2col GEMM's output, and the bias gradient when the kernel gradient does
 * not sum it on the way (the tiled one does). */

/* y[row][co] = bias[co]: the starting value the im2col GEMM accumulates onto (beta = 1). */
__kernel void conv2d_fill_bias(ulong rows, int cout, __global const float *bias, ulong bias_off,
                               __global float *y, ulong y_off)
{
    CT_GID_OR_RETURN(i, rows * cout)
    y[y_off + i] = bias[bias_off + i % cout];
}

/* dbias[co] = sum over rows of dy[row][co]. One work-group per `lanes`
 * consecutive channels (CT_VW on CPUs, read as one floatv per row; 1 on
 * GPUs; never more than CT_VW);
 * its items take rows lid, lid + lsize, ... and a tree in local memory adds
 * their partial sums (get_local_size(0) a power of two). */
__kernel void conv2d_bias_grad(ulong rows, int cout, int lanes, __global const float *dy, ulong dy_off,
                               __global float *db, ulong db_off, __local floatv *scratch)
{
    const int c = (int)get_group_id(0) * lanes;
    const int width = min(lanes, cout - c);
    const size_t lid = get_local_id(0), lsize = get_local_size(0);
    __global const float *col = dy + dy_off + c;
    floatv acc = (floatv)(0.0f);
    if (width == CT_VW) {
        for (size_t r = lid; r < rows; r += lsize)
            acc += VLOADV(0, col + r * cout);
    } else {
        float part[CT_VW];
        for (int j = 0; j < CT_VW; j++)
            part[j] = 0.0f;
        for (size_t r = lid; r < rows; r += lsize)
            for (int j = 0; j < width; j++)
                part[j] += col[r * cout + j];
        acc = VLOADV(0, part);
    }
    scratch[lid] = acc;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (size_t s = lsize / 2; s > 0; s /= 2) {
        if (lid < s)
            scratch[lid] += scratch[lid + s];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (lid == 0) {
        float total[CT_VW];
        VSTOREV(scratch[0], 0, total);
        for (int j = 0; j < width; j++)
            db[db_off + c + j] = total[j];
    }
}
