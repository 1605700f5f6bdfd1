/* Batch normalisation over the last axis (Keras axis=-1): x is a (rows, cols)
 * matrix, cols = features/channels, rows = everything else.
 *
 * The training kernels are column kernels: one work-group of `lanes` items
 * (a power of two) per block of CB adjacent columns, so a group owns its
 * columns over all rows and can reduce, then normalise, in one launch. Lane l
 * walks rows l, l+lanes, ...; the lanes' partial sums meet in a local-memory
 * tree: a fixed order, no atomics, deterministic. */

/* CB (columns per work-group) and lanes_sum_block: cl/reduce.cl. */

/* for (j over the block's columns) with a constant trip count for full
 * blocks, so compilers unroll and keep the private arrays in registers. */
#define FOR_BLOCK(j, width, body)            \
    if ((width) == CB) {                     \
        for (int j = 0; j < CB; j++) body    \
    } else {                                 \
        for (int j = 0; j < (width); j++) body \
    }

/* Training forward. Pass 1: mean; pass 2: biased variance sum((x-mean)^2)/rows
 * (two passes: no cancellation); pass 3: y = (x - mean) * gamma * inv_std + beta.
 * Lane 0 stores mean and inv_std in saved (row 0, row 1) and updates the
 * moving statistics: moving = moving * momentum + batch * one_minus_momentum.
 * y may alias x: each element is read and written by the same item, after
 * every read of the column by the reductions. */
__kernel void bn_forward_train(ulong rows, ulong cols, float momentum, float one_minus_momentum, float epsilon,
                               __global const float *x, ulong x_off, __global const float *gamma, ulong gamma_off,
                               __global const float *beta, ulong beta_off, __global float *moving_mean,
                               ulong mm_off, __global float *moving_var, ulong mv_off, __global float *saved,
                               ulong saved_off, __global float *y, ulong y_off, __local float *scratch)
{
    const size_t c0 = get_group_id(0) * CB, lane = get_local_id(0), lanes = get_local_size(0);
    const int width = (int)min((ulong)CB, cols - c0);
    float mean[CB], var[CB];
    for (int j = 0; j < CB; j++)
        mean[j] = var[j] = 0.0f;
    for (size_t r = lane; r < rows; r += lanes) {
        __global const float *xr = x + x_off + r * cols + c0;
        FOR_BLOCK(j, width, { mean[j] += xr[j]; })
    }
    lanes_sum_block(scratch, mean);
    for (int j = 0; j < CB; j++)
        mean[j] /= (float)rows;

    for (size_t r = lane; r < rows; r += lanes) {
        __global const float *xr = x + x_off + r * cols + c0;
        FOR_BLOCK(j, width, {
            const float d = xr[j] - mean[j];
            var[j] += d * d;
        })
    }
    lanes_sum_block(scratch, var);

    float scale[CB], shift[CB];
    for (int j = 0; j < width; j++) {
        var[j] /= (float)rows;
        const float inv_std = 1.0f / sqrt(var[j] + epsilon);
        scale[j] = gamma[gamma_off + c0 + j] * inv_std;
        shift[j] = beta[beta_off + c0 + j];
        if (lane == 0) {
            const size_t c = c0 + j;
            saved[saved_off + c] = mean[j];
            saved[saved_off + cols + c] = inv_std;
            moving_mean[mm_off + c] = moving_mean[mm_off + c] * momentum + mean[j] * one_minus_momentum;
            moving_var[mv_off + c] = moving_var[mv_off + c] * momentum + var[j] * one_minus_momentum;
        }
    }
    for (size_t r = lane; r < rows; r += lanes) {
        const size_t base = r * cols + c0;
        FOR_BLOCK(j, width, { y[y_off + base + j] = (x[x_off + base + j] - mean[j]) * scale[j] + shift[j]; })
    }
}

/* Inference forward over a 2-D range (column, row):
 * y = (x - mean) * gamma / sqrt(var + eps) + beta with the moving statistics.
 * In place safe. */
__kernel void bn_forward_inference(ulong rows, ulong cols, float epsilon, __global const float *x, ulong x_off,
                                   __global const float *gamma, ulong gamma_off, __global const float *beta,
                                   ulong beta_off, __global const float *moving_mean, ulong mm_off,
                                   __global const float *moving_var, ulong mv_off, __global float *y, ulong y_off)
{
    const size_t c = get_global_id(0), r = get_global_id(1);
    if (c >= cols || r >= rows)
        return;
    const size_t i = r * cols + c;
    const float scale = gamma[gamma_off + c] / sqrt(moving_var[mv_off + c] + epsilon);
    y[y_off + i] = (x[x_off + i] - moving_mean[mm_off + c]) * scale + beta[beta_off + c];
}

/* Backward, both modes. The statistics come as mean (row of `mean`) and
 * either inv_std directly (training: saved row 1) or a variance to turn into
 * inv_std (inference: moving_variance, stats_are_variance = 1).
 * dbeta = sum(dy), dgamma = sum(dy * xhat), xhat = (x - mean) * inv_std;
 * training:  dx = gamma * inv_std * (dy - dbeta/rows - xhat * dgamma/rows)
 *            (the batch statistics depend on x);
 * inference: dx = gamma * inv_std * dy.
 * dx may alias dy or x (same argument as the forward kernel). */
__kernel void bn_backward(ulong rows, ulong cols, int training, int stats_are_variance, float epsilon,
                          __global const float *x, ulong x_off, __global const float *gamma, ulong gamma_off,
                          __global const float *mean, ulong mean_off, __global const float *spread,
                          ulong spread_off, __global const float *dy, ulong dy_off, __global float *dx, ulong dx_off,
                          __global float *dgamma, ulong dgamma_off, __global float *dbeta, ulong dbeta_off,
                          __local float *scratch)
{
    const size_t c0 = get_group_id(0) * CB, lane = get_local_id(0), lanes = get_local_size(0);
    const int width = (int)min((ulong)CB, cols - c0);
    float mu[CB], inv_std[CB], sum_dy[CB], sum_dy_xhat[CB];
    for (int j = 0; j < CB; j++) {
        mu[j] = inv_std[j] = sum_dy[j] = sum_dy_xhat[j] = 0.0f;
        if (j < width) {
            mu[j] = mean[mean_off + c0 + j];
            const float s = spread[spread_off + c0 + j];
            inv_std[j] = stats_are_variance ? 1.0f / sqrt(s + epsilon) : s;
        }
    }
    for (size_t r = lane; r < rows; r += lanes) {
        const size_t base = r * cols + c0;
        FOR_BLOCK(j, width, {
            const float g = dy[dy_off + base + j];
            sum_dy[j] += g;
            sum_dy_xhat[j] += g * ((x[x_off + base + j] - mu[j]) * inv_std[j]);
        })
    }
    lanes_sum_block(scratch, sum_dy);
    lanes_sum_block(scratch, sum_dy_xhat);

    float scale[CB], mean_dy[CB], mean_dy_xhat[CB];
    for (int j = 0; j < width; j++) {
        scale[j] = gamma[gamma_off + c0 + j] * inv_std[j];
        mean_dy[j] = training ? sum_dy[j] / (float)rows : 0.0f;
        mean_dy_xhat[j] = training ? sum_dy_xhat[j] / (float)rows : 0.0f;
        if (lane == 0) {
            dgamma[dgamma_off + c0 + j] = sum_dy_xhat[j];
            dbeta[dbeta_off + c0 + j] = sum_dy[j];
        }
    }
    for (size_t r = lane; r < rows; r += lanes) {
        const size_t base = r * cols + c0;
        FOR_BLOCK(j, width, {
            const float xhat = (x[x_off + base + j] - mu[j]) * inv_std[j];
            dx[dx_off + base + j] = scale[j] * (dy[dy_off + base + j] - mean_dy[j] - xhat * mean_dy_xhat[j]);
        })
    }
}
