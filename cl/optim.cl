/* Optimizer updates over a whole parameter arena (src/train/optim.c). The formulas
 * are Keras 3's update_step (keras/src/optimizers/{adam,sgd,rmsprop}.py), in
 * the same operation order, so float32 results track Keras closely. Gaps
 * between tensors in the arena have zero weights and gradients, and stay zero
 * under every rule below.
 *
 * A work-item updates OPT_WIDTH consecutive floats: CT_VW (one floatv,
 * cl/common.cl: the device's vector width) on CPU-class devices, where
 * PoCL's implicit vectorisation of the one-float form ran Adam on the
 * sunshine net's 21.6k parameters in 13.6 us against 8.0 us with float16 on
 * AVX-512 (best of 9 x 3000 launches), and 1 elsewhere, so that a GPU's
 * neighbouring work-items read neighbouring floats. The arena's size is a
 * multiple of CT_PARAM_ALIGN = 16 floats, so of CT_VW too; src/train/optim.c
 * launches size / OPT_WIDTH work-items. */
#if CT_IS_CPU
#define OPT_WIDTH CT_VW
typedef floatv optv;
#define LOAD(p, i) VLOADV((i), (p))
#define STORE(x, p, i) VSTOREV((x), (i), (p))
#else
#define OPT_WIDTH 1
typedef float optv;
#define LOAD(p, i) ((p)[i])
#define STORE(x, p, i) ((p)[i] = (x))
#endif

/* Adam's first and second moments, stored and returned: the part Adam,
 * AdamW and Nadam share (Keras' m += (g - m) * (1 - beta_1), likewise v). */
inline void adam_moments(__global float *m, __global float *v, size_t i, optv grad, float one_minus_beta_1,
                         float one_minus_beta_2, optv *mi_out, optv *vi_out)
{
    optv mi = LOAD(m, i), vi = LOAD(v, i);
    mi += (grad - mi) * one_minus_beta_1;
    vi += (grad * grad - vi) * one_minus_beta_2;
    STORE(mi, m, i);
    STORE(vi, v, i);
    *mi_out = mi;
    *vi_out = vi;
}

/* Adam: alpha = lr * sqrt(1 - beta_2^t) / (1 - beta_1^t) comes from the host. */
__kernel void adam_step(ulong n, __global float *w, ulong w_off, __global const float *g, ulong g_off,
                        __global float *m, ulong m_off, __global float *v, ulong v_off, float alpha,
                        float one_minus_beta_1, float one_minus_beta_2, float epsilon)
{
    CT_GID_OR_RETURN(i, n / OPT_WIDTH)
    w += w_off, g += g_off, m += m_off, v += v_off;
    const optv grad = LOAD(g, i);
    optv mi, vi;
    adam_moments(m, v, i, grad, one_minus_beta_1, one_minus_beta_2, &mi, &vi);
    STORE(LOAD(w, i) - (mi * alpha) / (sqrt(vi) + epsilon), w, i);
}

/* SGD; u (the velocity) is only touched when use_momentum is set. */
__kernel void sgd_step(ulong n, __global float *w, ulong w_off, __global const float *g, ulong g_off,
                       __global float *u, ulong u_off, float learning_rate, float momentum, int use_momentum,
                       int nesterov)
{
    CT_GID_OR_RETURN(i, n / OPT_WIDTH)
    w += w_off, g += g_off, u += u_off;
    const optv grad = LOAD(g, i);
    if (!use_momentum) {
        STORE(LOAD(w, i) - grad * learning_rate, w, i);
        return;
    }
    const optv ui = LOAD(u, i) * momentum - grad * learning_rate;
    STORE(ui, u, i);
    STORE(LOAD(w, i) + (nesterov ? ui * momentum - grad * learning_rate : ui), w, i);
}

/* RMSprop (not centered); s (the momentum) is only touched when use_momentum is set. */
__kernel void rmsprop_step(ulong n, __global float *w, ulong w_off, __global const float *g, ulong g_off,
                           __global float *v, ulong v_off, __global float *s, ulong s_off, float learning_rate,
                           float rho, float one_minus_rho, float epsilon, float momentum, int use_momentum)
{
    CT_GID_OR_RETURN(i, n / OPT_WIDTH)
    w += w_off, g += g_off, v += v_off, s += s_off;
    const optv grad = LOAD(g, i);
    const optv vi = rho * LOAD(v, i) + one_minus_rho * (grad * grad);
    STORE(vi, v, i);
    const optv step = (learning_rate * grad) / sqrt(vi + epsilon);
    if (!use_momentum) {
        STORE(LOAD(w, i) - step, w, i);
        return;
    }
    const optv si = momentum * LOAD(s, i) + step;
    STORE(si, s, i);
    STORE(LOAD(w, i) - si, w, i);
}

/* ---- AdamW, Nadam, Adagrad and gradient clipping (keras/src/optimizers/
 * {adamw,nadam,adagrad}.py and base_optimizer.py), same operation order. */

/* AdamW: Keras' decoupled weight decay w -= w * (weight_decay * lr) runs
 * before the Adam step; decay = weight_decay * lr from the host. */
__kernel void adamw_step(ulong n, __global float *w, ulong w_off, __global const float *g, ulong g_off,
                         __global float *m, ulong m_off, __global float *v, ulong v_off, float alpha,
                         float one_minus_beta_1, float one_minus_beta_2, float epsilon, float weight_decay,
                         float learning_rate)
{
    CT_GID_OR_RETURN(i, n / OPT_WIDTH)
    w += w_off, g += g_off, m += m_off, v += v_off;
    const optv grad = LOAD(g, i);
    optv wi = LOAD(w, i);
    wi = wi - wi * weight_decay * learning_rate;
    optv mi, vi;
    adam_moments(m, v, i, grad, one_minus_beta_1, one_minus_beta_2, &mi, &vi);
    STORE(wi - (mi * alpha) / (sqrt(vi) + epsilon), w, i);
}

/* Nadam: the momentum schedule's scalars (u_t, u_{t+1}, their running
 * products, beta_2^t) come from the host, as 1 - x where Keras divides by it. */
__kernel void nadam_step(ulong n, __global float *w, ulong w_off, __global const float *g, ulong g_off,
                         __global float *m, ulong m_off, __global float *v, ulong v_off, float learning_rate,
                         float one_minus_beta_1, float one_minus_beta_2, float epsilon, float u_next,
                         float one_minus_u_product_next, float one_minus_u, float one_minus_u_product,
                         float one_minus_beta_2_power)
{
    CT_GID_OR_RETURN(i, n / OPT_WIDTH)
    w += w_off, g += g_off, m += m_off, v += v_off;
    const optv grad = LOAD(g, i);
    optv mi, vi;
    adam_moments(m, v, i, grad, one_minus_beta_1, one_minus_beta_2, &mi, &vi);
    const optv m_hat = (u_next * mi) / one_minus_u_product_next + (one_minus_u * grad) / one_minus_u_product;
    const optv v_hat = vi / one_minus_beta_2_power;
    STORE(LOAD(w, i) - (m_hat * learning_rate) / (sqrt(v_hat) + epsilon), w, i);
}

/* Adagrad: the accumulator starts at initial_accumulator_value (host fill). */
__kernel void adagrad_step(ulong n, __global float *w, ulong w_off, __global const float *g, ulong g_off,
                           __global float *a, ulong a_off, float learning_rate, float epsilon)
{
    CT_GID_OR_RETURN(i, n / OPT_WIDTH)
    w += w_off, g += g_off, a += a_off;
    const optv grad = LOAD(g, i);
    const optv ai = LOAD(a, i) + grad * grad;
    STORE(ai, a, i);
    STORE(LOAD(w, i) - (learning_rate * grad) / sqrt(ai + epsilon), w, i);
}

/* clipvalue: every gradient element into [-clip, clip]. */
__kernel void clip_by_value(ulong n, __global float *g, ulong g_off, float clip)
{
    CT_GID_OR_RETURN(i, n / OPT_WIDTH)
    g += g_off;
    STORE(clamp(LOAD(g, i), -clip, clip), g, i);
}

/* clipnorm and global_clipnorm: work-group k rescales the floats
 * [starts[k], starts[k + 1]) of the gradients by its L2 norm, one
 * work-group per parameter tensor (clipnorm) or one for the whole arena
 * (global_clipnorm). Padding between tensors holds zeros, which change
 * neither a norm nor themselves. CLIP_WG (a power of two) is the work-group
 * size the host launches. Keras' formulas:
 *   clipnorm:        g * clip / max(norm, clip)
 *   global_clipnorm: g * (clip * min(1 / norm, 1 / clip)) */
#define CLIP_WG 64
__kernel __attribute__((reqd_work_group_size(CLIP_WG, 1, 1))) void clip_by_norm(
    __global const ulong *starts, __global float *g, ulong g_off, float clip, int global_norm)
{
    __local float partial[CLIP_WG];
    const size_t k = get_group_id(0), l = get_local_id(0);
    const ulong first = starts[k], last = starts[k + 1];
    g += g_off;
    float sum = 0.0f;
    for (ulong j = first + l; j < last; j += CLIP_WG)
        sum += g[j] * g[j];
    partial[l] = sum;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (size_t span = CLIP_WG / 2; span > 0; span /= 2) {
        if (l < span)
            partial[l] += partial[l + span];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    const float norm = sqrt(partial[0]);
    if (global_norm) {
        const float scale = clip * fmin(1.0f / norm, 1.0f / clip);
        for (ulong j = first + l; j < last; j += CLIP_WG)
            g[j] = g[j] * scale;
    } else {
        const float denominator = fmax(norm, clip);
        for (ulong j = first + l; j < last; j += CLIP_WG)
            g[j] = (g[j] * clip) / denominator;
    }
}
