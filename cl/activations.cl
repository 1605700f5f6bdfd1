/* Activations, softmax over rows, and the bias add fused with an activation
 * that Dense layers use. Tensor arguments are (buffer, element offset) pairs.
 *
 * Matrices are (rows, cols) row-major: everything but the last axis is the
 * row index. Three launch shapes appear here:
 *   - element-wise kernels: 1-D over rows*cols;
 *   - row kernels (softmax): one work-group per row, local size a power of
 *     two, reductions as trees in local memory;
 *   - the column kernel (bias backward): one work-group of `lanes` items
 *     (a power of two) per block of CB adjacent columns; lane l walks rows
 *     l, l+lanes, ... over its block's CB columns, and the lanes' partial
 *     sums meet in a local-memory tree. Fixed order, no atomics:
 *     deterministic. */

/* Must match ct_activation in include/cltrain/types.h. */
#define ACT_LINEAR 0
#define ACT_RELU 1
#define ACT_SIGMOID 2
#define ACT_TANH 3
#define ACT_SOFTMAX 4
#define ACT_LEAKY_RELU 5
#define ACT_ELU 6
#define ACT_GELU 7
#define ACT_GELU_APPROXIMATE 8
#define ACT_SILU 9
#define ACT_SELU 10
#define ACT_SOFTPLUS 11

/* Keras 3's selu constants and the gelu tanh form's sqrt(2 / pi). */
#define SELU_ALPHA 1.6732632423543772848170429916717f
#define SELU_SCALE 1.0507009873554804934193349852946f
#define GELU_TANH_K 0.7978845608028654f
#define GELU_TANH_C 0.044715f

/* Stable for any |x|: exp() only ever sees a non-positive argument. */
inline float sigmoid_stable(float x)
{
    if (x >= 0.0f)
        return 1.0f / (1.0f + exp(-x));
    const float e = exp(x);
    return e / (1.0f + e);
}

/* act(x) for the element-wise activations; param is the leaky_relu slope or
 * the elu alpha. Softmax is not element-wise and never reaches here. */
inline float act_apply(int act, float param, float x)
{
    switch (act) {
    case ACT_RELU: /* NaN passes through, as in Keras and PyTorch */
        return x < 0.0f ? 0.0f : x;
    case ACT_SIGMOID:
        return sigmoid_stable(x);
    case ACT_TANH:
        return tanh(x);
    case ACT_LEAKY_RELU:
        return x > 0.0f ? x : param * x;
    case ACT_ELU:
        return x > 0.0f ? x : param * expm1(x);
    case ACT_GELU:
        return 0.5f * x * (1.0f + erf(x * M_SQRT1_2_F));
    case ACT_GELU_APPROXIMATE: /* 0.5 (1 + tanh u) = sigmoid(2u): no cancellation for x < 0 */
        return x * sigmoid_stable(2.0f * GELU_TANH_K * (x + GELU_TANH_C * x * x * x));
    case ACT_SILU:
        return x * sigmoid_stable(x);
    case ACT_SELU:
        return x > 0.0f ? SELU_SCALE * x : SELU_SCALE * SELU_ALPHA * expm1(x);
    case ACT_SOFTPLUS: /* log(1 + e^x) without overflow: max(x, 0) + log1p(e^-|x|) */
        return fmax(x, 0.0f) + log1p(exp(-fabs(x)));
    default:
        return x;
    }
}

/* act'(.) from the output y = act(x) (slope and alpha positive, so the sign
 * of y is the sign of x). At exactly 0 as TensorFlow: relu 0, leaky_relu
 * the slope, elu 1. */
inline float act_grad_from_y(int act, float param, float y)
{
    switch (act) {
    case ACT_RELU: /* 1 for NaN: the gradient passes, as PyTorch's threshold_backward */
        return y <= 0.0f ? 0.0f : 1.0f;
    case ACT_SIGMOID:
        return y * (1.0f - y);
    case ACT_TANH:
        return 1.0f - y * y;
    case ACT_LEAKY_RELU:
        return y > 0.0f ? 1.0f : param;
    case ACT_ELU: /* y = alpha (e^x - 1) for x < 0, so alpha e^x = y + alpha */
        return y < 0.0f ? y + param : 1.0f;
    case ACT_SELU: /* as elu, scaled: scale alpha e^x = y + scale alpha */
        return y < 0.0f ? y + SELU_SCALE * SELU_ALPHA : SELU_SCALE;
    case ACT_SOFTPLUS: /* sigmoid(x) = 1 - e^-y */
        return -expm1(-y);
    default: /* gelu and silu are not monotonic: the launchers pass x for them */
        return 1.0f;
    }
}

/* act'(x) from the input. Sigmoid and tanh use forms without the
 * cancellation of s(1-s) and 1-t^2 (accurate where they saturate):
 * sigmoid' = e/(1+e)^2 with e = exp(-|x|), tanh' = 4e/(1+e)^2 with e = exp(-2|x|). */
inline float act_grad_from_x(int act, float param, float x)
{
    switch (act) {
    case ACT_RELU:
        return x <= 0.0f ? 0.0f : 1.0f;
    case ACT_SIGMOID: {
        const float e = exp(-fabs(x)), d = 1.0f + e;
        return e / (d * d);
    }
    case ACT_TANH: {
        const float e = exp(-2.0f * fabs(x)), d = 1.0f + e;
        return 4.0f * e / (d * d);
    }
    case ACT_LEAKY_RELU:
        return x > 0.0f ? 1.0f : param;
    case ACT_ELU:
        return x > 0.0f ? 1.0f : param * exp(x);
    case ACT_GELU: /* Phi(x) + x phi(x) */
        return 0.5f * (1.0f + erf(x * M_SQRT1_2_F)) + x * exp(-0.5f * x * x) * (0.5f * M_2_SQRTPI_F * M_SQRT1_2_F);
    case ACT_GELU_APPROXIMATE: { /* s + x 2 s (1 - s) du/dx with s = sigmoid(2u) */
        const float v = 2.0f * GELU_TANH_K * (x + GELU_TANH_C * x * x * x);
        const float s = sigmoid_stable(v), s_minus = sigmoid_stable(-v);
        return s + x * 2.0f * s * s_minus * GELU_TANH_K * (1.0f + 3.0f * GELU_TANH_C * x * x);
    }
    case ACT_SILU: {
        const float s = sigmoid_stable(x);
        return s * (1.0f + x * (1.0f - s));
    }
    case ACT_SELU:
        return x > 0.0f ? SELU_SCALE : SELU_SCALE * SELU_ALPHA * exp(x);
    case ACT_SOFTPLUS:
        return sigmoid_stable(x);
    default:
        return 1.0f;
    }
}

__kernel void act_forward(ulong n, int act, float param, __global const float *x, ulong x_off, __global float *y,
                          ulong y_off)
{
    CT_GID_OR_RETURN(i, n)
    y[y_off + i] = act_apply(act, param, x[x_off + i]);
}

/* v is y (from_y != 0) or x. */
__kernel void act_backward(ulong n, int act, float param, int from_y, __global const float *v, ulong v_off,
                           __global const float *dy, ulong dy_off, __global float *dx, ulong dx_off)
{
    CT_GID_OR_RETURN(i, n)
    const float value = v[v_off + i];
    const float d = from_y ? act_grad_from_y(act, param, value) : act_grad_from_x(act, param, value);
    dx[dx_off + i] = dy[dy_off + i] * d;
}

/* y = act(z + bias[column]) over a 2-D range (column, row): no division to
 * find the column. In place safe (each item reads, then writes, its own element). */
__kernel void bias_act_forward(ulong rows, ulong cols, int act, float param, __global const float *z, ulong z_off,
                               __global const float *bias, ulong bias_off, __global float *y, ulong y_off)
{
    const size_t c = get_global_id(0), r = get_global_id(1);
    if (c >= cols || r >= rows)
        return;
    const size_t i = r * cols + c;
    y[y_off + i] = act_apply(act, param, z[z_off + i] + bias[bias_off + c]);
}

/* ---------------------------------------------------------------- row kernels */

/* group_sum_1d and group_max_1d: cl/reduce.cl. */

/* Softmax of (x + bias) over each row, one work-group per row:
 * m = max, y = exp(v - m) (stored), s = sum, y /= s. In place safe: an
 * element is only read and written by the item that owns its column, and
 * every read of the row happens before the barrier that precedes writing. */
__kernel void softmax_forward(ulong rows, ulong cols, __global const float *x, ulong x_off, int has_bias,
                              __global const float *bias, ulong bias_off, __global float *y, ulong y_off,
                              __local float *scratch)
{
    const size_t row = get_group_id(0), lid = get_local_id(0), lsize = get_local_size(0);
    if (row >= rows) /* uniform across the group: safe before barriers */
        return;
    __global const float *xr = x + x_off + row * cols;
    __global float *yr = y + y_off + row * cols;
    float m = -INFINITY;
    for (size_t j = lid; j < cols; j += lsize)
        m = fmax(m, xr[j] + (has_bias ? bias[bias_off + j] : 0.0f));
    m = group_max_1d(scratch, m);
    float s = 0.0f;
    for (size_t j = lid; j < cols; j += lsize) {
        const float e = exp(xr[j] + (has_bias ? bias[bias_off + j] : 0.0f) - m);
        yr[j] = e;
        s += e;
    }
    s = group_sum_1d(scratch, s);
    for (size_t j = lid; j < cols; j += lsize)
        yr[j] = yr[j] / s;
}

/* dx = y * (dy - sum(dy * y)) per row. In place safe (dx may be y or dy). */
__kernel void softmax_backward(ulong rows, ulong cols, __global const float *y, ulong y_off,
                               __global const float *dy, ulong dy_off, __global float *dx, ulong dx_off,
                               __local float *scratch)
{
    const size_t row = get_group_id(0), lid = get_local_id(0), lsize = get_local_size(0);
    if (row >= rows)
        return;
    __global const float *yr = y + y_off + row * cols;
    __global const float *dyr = dy + dy_off + row * cols;
    float s = 0.0f;
    for (size_t j = lid; j < cols; j += lsize)
        s += dyr[j] * yr[j];
    s = group_sum_1d(scratch, s);
    for (size_t j = lid; j < cols; j += lsize) {
        const float g = yr[j] * (dyr[j] - s);
        dx[dx_off + row * cols + j] = g;
    }
}

/* ------------------------------------------------------------- column kernel */

/* CB and lanes_sum_block: cl/reduce.cl. */

/* dz = dy * act'(y) over rows of a (rows, cols) matrix and, when want_dbias,
 * dbias = column sums of dz. One work-group per block of CB columns; lane l
 * takes rows l, l + lanes, ...; the lanes' partial sums meet in a fixed tree.
 * For softmax the host guarantees cols <= CB, so an item holds whole rows and
 * reads each row completely before writing it: dz may alias dy or y. */
__kernel void bias_act_backward(ulong rows, ulong cols, int act, float param, __global const float *y, ulong y_off,
                                __global const float *dy, ulong dy_off, __global float *dz, ulong dz_off,
                                int want_dbias, __global float *dbias, ulong dbias_off, __local float *scratch)
{
    const size_t c0 = get_group_id(0) * CB, lane = get_local_id(0), lanes = get_local_size(0);
    const int width = (int)min((ulong)CB, cols - c0);
    float acc[CB];
    for (int j = 0; j < CB; j++)
        acc[j] = 0.0f;
    for (size_t r = lane; r < rows; r += lanes) {
        const size_t base = r * cols + c0;
        if (act == ACT_SOFTMAX) {
            float yv[CB], g[CB], s = 0.0f;
            for (int j = 0; j < width; j++) {
                yv[j] = y[y_off + base + j];
                g[j] = dy[dy_off + base + j];
                s += g[j] * yv[j];
            }
            for (int j = 0; j < width; j++) {
                const float d = yv[j] * (g[j] - s);
                dz[dz_off + base + j] = d;
                acc[j] += d;
            }
        } else if (width == CB) {
            for (int j = 0; j < CB; j++) {
                const float d = dy[dy_off + base + j] * act_grad_from_y(act, param, y[y_off + base + j]);
                dz[dz_off + base + j] = d;
                acc[j] += d;
            }
        } else {
            for (int j = 0; j < width; j++) {
                const float d = dy[dy_off + base + j] * act_grad_from_y(act, param, y[y_off + base + j]);
                dz[dz_off + base + j] = d;
                acc[j] += d;
            }
        }
    }
    lanes_sum_block(scratch, acc);
    if (want_dbias && lane == 0)
        for (int j = 0; j < width; j++)
            dbias[dbias_off + c0 + j] = acc[j];
}
