/* Optimizer updates, one work-item per parameter element over a whole
 * parameter arena (src/optim.c). The formulas are Keras 3's update_step
 * (keras/src/optimizers/{adam,sgd,rmsprop}.py), in the same operation order,
 * so float32 results track Keras closely. Gaps between tensors in the arena
 * have zero weights and gradients, and stay zero under every rule below. */

/* Adam: alpha = lr * sqrt(1 - beta_2^t) / (1 - beta_1^t) comes from the host. */
__kernel void adam_step(ulong n, __global float *w, ulong w_off, __global const float *g, ulong g_off,
                        __global float *m, ulong m_off, __global float *v, ulong v_off, float alpha,
                        float one_minus_beta_1, float one_minus_beta_2, float epsilon)
{
    CT_GID_OR_RETURN(i, n)
    const float grad = g[g_off + i];
    float mi = m[m_off + i], vi = v[v_off + i];
    mi += (grad - mi) * one_minus_beta_1;
    vi += (grad * grad - vi) * one_minus_beta_2;
    m[m_off + i] = mi;
    v[v_off + i] = vi;
    w[w_off + i] -= (mi * alpha) / (sqrt(vi) + epsilon);
}

/* SGD; u (the velocity) is only touched when use_momentum is set. */
__kernel void sgd_step(ulong n, __global float *w, ulong w_off, __global const float *g, ulong g_off,
                       __global float *u, ulong u_off, float learning_rate, float momentum, int use_momentum,
                       int nesterov)
{
    CT_GID_OR_RETURN(i, n)
    const float grad = g[g_off + i];
    if (!use_momentum) {
        w[w_off + i] -= grad * learning_rate;
        return;
    }
    const float ui = u[u_off + i] * momentum - grad * learning_rate;
    u[u_off + i] = ui;
    w[w_off + i] += nesterov ? ui * momentum - grad * learning_rate : ui;
}

/* RMSprop (not centered); s (the momentum) is only touched when use_momentum is set. */
__kernel void rmsprop_step(ulong n, __global float *w, ulong w_off, __global const float *g, ulong g_off,
                           __global float *v, ulong v_off, __global float *s, ulong s_off, float learning_rate,
                           float rho, float one_minus_rho, float epsilon, float momentum, int use_momentum)
{
    CT_GID_OR_RETURN(i, n)
    const float grad = g[g_off + i];
    const float vi = rho * v[v_off + i] + one_minus_rho * (grad * grad);
    v[v_off + i] = vi;
    const float step = (learning_rate * grad) / sqrt(vi + epsilon);
    if (!use_momentum) {
        w[w_off + i] -= step;
        return;
    }
    const float si = momentum * s[s_off + i] + step;
    s[s_off + i] = si;
    w[w_off + i] -= si;
}
