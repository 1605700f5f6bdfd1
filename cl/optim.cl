/* Optimizer updates over a whole parameter arena (src/train/optim.c). The formulas
 * are Keras 3's update_step (keras/src/optimizers/{adam,sgd,rmsprop}.py), in
 * the same operation order, so float32 results track Keras closely. Gaps
 * between tensors in the arena have zero weights and gradients, and stay zero
 * under every rule below.
 *
 * A work-item updates OPT_WIDTH consecutive floats: 16 (one float16) on
 * CPU-class devices, where PoCL's implicit vectorisation of the one-float
 * form ran Adam on the sunshine net's 21.6k parameters in 13.6 us against
 * 8.0 us (best of 9 x 3000 launches), and 1 elsewhere, so that a GPU's
 * neighbouring work-items read neighbouring floats. The arena's size is a
 * multiple of CT_PARAM_ALIGN = 16 floats; src/train/optim.c launches size /
 * OPT_WIDTH work-items. */
#if CT_IS_CPU
#define OPT_WIDTH 16
typedef float16 optv;
#define LOAD(p, i) vload16((i), (p))
#define STORE(x, p, i) vstore16((x), (i), (p))
#else
#define OPT_WIDTH 1
typedef float optv;
#define LOAD(p, i) ((p)[i])
#define STORE(x, p, i) ((p)[i] = (x))
#endif

/* Adam: alpha = lr * sqrt(1 - beta_2^t) / (1 - beta_1^t) comes from the host. */
__kernel void adam_step(ulong n, __global float *w, ulong w_off, __global const float *g, ulong g_off,
                        __global float *m, ulong m_off, __global float *v, ulong v_off, float alpha,
                        float one_minus_beta_1, float one_minus_beta_2, float epsilon)
{
    CT_GID_OR_RETURN(i, n / OPT_WIDTH)
    w += w_off, g += g_off, m += m_off, v += v_off;
    const optv grad = LOAD(g, i);
    optv mi = LOAD(m, i), vi = LOAD(v, i);
    mi += (grad - mi) * one_minus_beta_1;
    vi += (grad * grad - vi) * one_minus_beta_2;
    STORE(mi, m, i);
    STORE(vi, v, i);
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
