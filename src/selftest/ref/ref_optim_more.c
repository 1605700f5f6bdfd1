/* Reference AdamW, Nadam, Adagrad and clipping (ref_optim_more.h). */
#include "selftest/ref/ref_optim_more.h"

#include <math.h>

static double sum_squares(const double *g, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += g[i] * g[i];
    return s;
}

void ref_clip_gradients(const ct_clip_spec *clip, size_t n, size_t split, double *g)
{
    if (split == 0 || split > n)
        split = n;
    if (clip->clipvalue > 0)
        for (size_t i = 0; i < n; i++)
            g[i] = fmax(-clip->clipvalue, fmin(clip->clipvalue, g[i]));
    if (clip->clipnorm > 0) {
        size_t first[2] = {0, split}, count[2] = {split, n - split};
        for (int k = 0; k < 2; k++) {
            double scale = clip->clipnorm / fmax(sqrt(sum_squares(g + first[k], count[k])), clip->clipnorm);
            for (size_t i = 0; i < count[k]; i++)
                g[first[k] + i] *= scale;
        }
    }
    if (clip->global_clipnorm > 0) {
        double scale = clip->global_clipnorm / fmax(sqrt(sum_squares(g, n)), clip->global_clipnorm);
        for (size_t i = 0; i < n; i++)
            g[i] *= scale;
    }
}

static double nadam_u(double beta_1, int t)
{
    return beta_1 * (1 - 0.5 * pow(0.96, t));
}

void ref_optimizer_step(const ct_optimizer_spec *spec, int t, size_t n, const double *g, double *w, double *m,
                        double *v, double *u_product)
{
    switch (spec->kind) {
    case CT_OPTIMIZER_ADAMW: {
        const ct_adamw_spec *a = &spec->adamw;
        double alpha = a->learning_rate * sqrt(1 - pow(a->beta_2, t)) / (1 - pow(a->beta_1, t));
        for (size_t i = 0; i < n; i++) {
            w[i] -= w[i] * a->weight_decay * a->learning_rate;
            m[i] = a->beta_1 * m[i] + (1 - a->beta_1) * g[i];
            v[i] = a->beta_2 * v[i] + (1 - a->beta_2) * g[i] * g[i];
            w[i] -= alpha * m[i] / (sqrt(v[i]) + a->epsilon);
        }
        break;
    }
    case CT_OPTIMIZER_NADAM: {
        const ct_nadam_spec *a = &spec->nadam;
        double u = nadam_u(a->beta_1, t), u_next = nadam_u(a->beta_1, t + 1);
        *u_product *= u;
        for (size_t i = 0; i < n; i++) {
            m[i] = a->beta_1 * m[i] + (1 - a->beta_1) * g[i];
            v[i] = a->beta_2 * v[i] + (1 - a->beta_2) * g[i] * g[i];
            double m_hat = u_next * m[i] / (1 - *u_product * u_next) + (1 - u) * g[i] / (1 - *u_product);
            double v_hat = v[i] / (1 - pow(a->beta_2, t));
            w[i] -= a->learning_rate * m_hat / (sqrt(v_hat) + a->epsilon);
        }
        break;
    }
    case CT_OPTIMIZER_ADAGRAD:
        for (size_t i = 0; i < n; i++) {
            v[i] += g[i] * g[i];
            w[i] -= spec->adagrad.learning_rate * g[i] / sqrt(v[i] + spec->adagrad.epsilon);
        }
        break;
    default:
        break;
    }
}
