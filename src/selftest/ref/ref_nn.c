#include "selftest/ref/ref_nn.h"

#include <math.h>

double ref_activation_param(ct_activation act)
{
    return act == CT_ACTIVATION_LEAKY_RELU ? CT_LEAKY_RELU_NEGATIVE_SLOPE : act == CT_ACTIVATION_ELU ? CT_ELU_ALPHA : 0.0;
}

static double activation(ct_activation act, double x)
{
    double param = ref_activation_param(act);
    switch (act) {
    case CT_ACTIVATION_RELU: /* NaN passes, as in the kernels */
        return x < 0 ? 0 : x;
    case CT_ACTIVATION_SIGMOID:
        return x >= 0 ? 1 / (1 + exp(-x)) : exp(x) / (1 + exp(x));
    case CT_ACTIVATION_TANH:
        return tanh(x);
    case CT_ACTIVATION_LEAKY_RELU:
        return x > 0 ? x : param * x;
    case CT_ACTIVATION_ELU:
        return x > 0 ? x : param * expm1(x);
    case CT_ACTIVATION_GELU: /* x Phi(x) */
        return 0.5 * x * erfc(-x / sqrt(2.0));
    case CT_ACTIVATION_GELU_APPROXIMATE:
        return 0.5 * x * (1 + tanh(sqrt(2 / M_PI) * (x + 0.044715 * x * x * x)));
    case CT_ACTIVATION_SILU:
        return x * activation(CT_ACTIVATION_SIGMOID, x);
    case CT_ACTIVATION_SELU: /* Keras 3's constants */
        return 1.0507009873554804934193349852946 * (x > 0 ? x : 1.6732632423543772848170429916717 * expm1(x));
    case CT_ACTIVATION_SOFTPLUS:
        return x > 0 ? x + log1p(exp(-x)) : log1p(exp(x));
    default:
        return x;
    }
}

static void softmax_row(size_t cols, const double *v, double *y)
{
    double m = -INFINITY, s = 0;
    for (size_t j = 0; j < cols; j++)
        m = v[j] > m ? v[j] : m;
    for (size_t j = 0; j < cols; j++)
        s += (y[j] = exp(v[j] - m));
    for (size_t j = 0; j < cols; j++)
        y[j] /= s;
}

void ref_bias_activation(ct_activation act, size_t rows, size_t cols, const double *x, const double *bias,
                         double *y)
{
    for (size_t r = 0; r < rows; r++) {
        for (size_t j = 0; j < cols; j++)
            y[r * cols + j] = x[r * cols + j] + (bias ? bias[j] : 0);
        if (act == CT_ACTIVATION_SOFTMAX)
            softmax_row(cols, y + r * cols, y + r * cols);
        else
            for (size_t j = 0; j < cols; j++)
                y[r * cols + j] = activation(act, y[r * cols + j]);
    }
}

/* ---------------------------------------------------------------- dropout */
static void philox_round(uint32_t c[4], const uint32_t k[2])
{
    uint64_t p0 = (uint64_t)0xD2511F53u * c[0], p1 = (uint64_t)0xCD9E8D57u * c[2];
    uint32_t hi0 = (uint32_t)(p0 >> 32), lo0 = (uint32_t)p0, hi1 = (uint32_t)(p1 >> 32), lo1 = (uint32_t)p1;
    uint32_t n0 = hi1 ^ c[1] ^ k[0], n2 = hi0 ^ c[3] ^ k[1];
    c[0] = n0;
    c[1] = lo1;
    c[2] = n2;
    c[3] = lo0;
}

void ref_philox4x32_10(const uint32_t counter[4], const uint32_t key[2], uint32_t out[4])
{
    uint32_t c[4] = {counter[0], counter[1], counter[2], counter[3]}, k[2] = {key[0], key[1]};
    for (int r = 0; r < 9; r++) {
        philox_round(c, k);
        k[0] += 0x9E3779B9u;
        k[1] += 0xBB67AE85u;
    }
    philox_round(c, k);
    for (int i = 0; i < 4; i++)
        out[i] = c[i];
}

double ref_dropout_multiplier(const ct_dropout_params *p, uint64_t i)
{
    i += p->first;
    uint64_t g = i / 4; /* one Philox evaluation serves 4 consecutive elements */
    uint32_t counter[4] = {(uint32_t)g, (uint32_t)(g >> 32), p->step, p->layer_id};
    uint32_t key[2] = {(uint32_t)p->seed, (uint32_t)(p->seed >> 32)}, r[4];
    ref_philox4x32_10(counter, key, r);
    double threshold = floor((double)p->rate * 4294967296.0);
    float scale = (float)(1.0 / (1.0 - (double)p->rate));
    return (double)r[i % 4] >= threshold ? (double)scale : 0.0;
}

void ref_dropout(const ct_dropout_params *p, size_t n, const double *x, double *y)
{
    for (size_t i = 0; i < n; i++)
        y[i] = x[i] * ref_dropout_multiplier(p, i);
}

/* ----------------------------------------------------- batch normalisation */
void ref_batchnorm(int training, double epsilon, size_t rows, size_t cols, const double *x, const double *gamma,
                   const double *beta, const double *moving_mean, const double *moving_variance, double *y,
                   double *mean_out, double *var_out)
{
    for (size_t j = 0; j < cols; j++) {
        double mean = moving_mean[j], var = moving_variance[j];
        if (training) {
            mean = 0;
            for (size_t r = 0; r < rows; r++)
                mean += x[r * cols + j];
            mean /= (double)rows;
            var = 0;
            for (size_t r = 0; r < rows; r++)
                var += (x[r * cols + j] - mean) * (x[r * cols + j] - mean);
            var /= (double)rows; /* biased, as keras.ops.moments */
            if (mean_out)
                mean_out[j] = mean;
            if (var_out)
                var_out[j] = var;
        }
        double inv_std = 1 / sqrt(var + epsilon);
        for (size_t r = 0; r < rows; r++)
            y[r * cols + j] = (x[r * cols + j] - mean) * inv_std * gamma[j] + beta[j];
    }
}
