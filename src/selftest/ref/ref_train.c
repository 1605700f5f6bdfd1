#include "selftest/ref/ref_train.h"

#include <math.h>

void ref_adam_step(size_t n, double *w, const double *g, double *m, double *v, uint64_t t, double learning_rate,
                   double beta_1, double beta_2, double epsilon)
{
    /* Keras raises beta_1 and beta_2 as float32 values to the power t. */
    double b1 = (float)beta_1, b2 = (float)beta_2;
    double alpha = learning_rate * sqrt(1.0 - pow(b2, (double)t)) / (1.0 - pow(b1, (double)t));
    for (size_t i = 0; i < n; i++) {
        m[i] += (g[i] - m[i]) * (1.0 - beta_1);
        v[i] += (g[i] * g[i] - v[i]) * (1.0 - beta_2);
        w[i] -= m[i] * alpha / (sqrt(v[i]) + epsilon);
    }
}

void ref_sgd_step(size_t n, double *w, const double *g, double *u, double learning_rate, double momentum,
                  int nesterov)
{
    for (size_t i = 0; i < n; i++) {
        if (momentum == 0) {
            w[i] -= learning_rate * g[i];
            continue;
        }
        u[i] = momentum * u[i] - learning_rate * g[i];
        w[i] += nesterov ? momentum * u[i] - learning_rate * g[i] : u[i];
    }
}

void ref_rmsprop_step(size_t n, double *w, const double *g, double *v, double *s, double learning_rate, double rho,
                      double momentum, double epsilon)
{
    for (size_t i = 0; i < n; i++) {
        v[i] = rho * v[i] + (1.0 - rho) * g[i] * g[i];
        double step = learning_rate * g[i] / sqrt(v[i] + epsilon);
        if (momentum > 0) {
            s[i] = momentum * s[i] + step;
            step = s[i];
        }
        w[i] -= step;
    }
}

/* splitmix64's finaliser. */
static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

void ref_shuffle_indices(uint32_t n, uint64_t seed, uint64_t epoch, uint32_t *idx)
{
    for (uint32_t i = 0; i < n; i++)
        idx[i] = i;
    uint64_t key = mix64(mix64(seed + 0x9E3779B97F4A7C15ULL) ^ (epoch + 0x5DEECE66DULL));
    for (uint32_t i = n ? n - 1 : 0; i > 0; i--) {
        uint32_t j = (uint32_t)(mix64(key ^ (uint64_t)i) % ((uint64_t)i + 1));
        uint32_t t = idx[i];
        idx[i] = idx[j];
        idx[j] = t;
    }
}

void ref_gather_rows(size_t rows, size_t first, const uint32_t *idx, size_t len, const double *src, double *dst)
{
    for (size_t r = 0; r < rows; r++)
        for (size_t c = 0; c < len; c++)
            dst[r * len + c] = src[(size_t)idx[first + r] * len + c];
}
