#include "selftest/ref/ref_loss.h"

#include <math.h>

/* keras.config.epsilon() and 1 - epsilon as float32 values. */
static const double clip_lo = (double)1e-7f;
static const double clip_hi = (double)(1.0f - 1e-7f);

static double clip(double p)
{
    return p < clip_lo ? clip_lo : (p > clip_hi ? clip_hi : p);
}

static double log_sum_exp(size_t c, const double *x)
{
    double m = x[0], s = 0;
    for (size_t j = 1; j < c; j++)
        m = x[j] > m ? x[j] : m;
    for (size_t j = 0; j < c; j++)
        s += exp(x[j] - m);
    return m + log(s);
}

static double mean_error(size_t c, const double *p, const double *t, int squared)
{
    double s = 0;
    for (size_t j = 0; j < c; j++)
        s += squared ? (p[j] - t[j]) * (p[j] - t[j]) : fabs(p[j] - t[j]);
    return s / (double)c;
}

static double binary_crossentropy(int from_logits, size_t c, const double *p, const double *t)
{
    double s = 0;
    for (size_t j = 0; j < c; j++) {
        if (from_logits) {
            double x = p[j];
            s += (x > 0 ? x : 0) - x * t[j] + log1p(exp(-fabs(x)));
        } else {
            double q = clip(p[j]);
            s -= t[j] * log(q) + (1 - t[j]) * log(1 - q);
        }
    }
    return s / (double)c;
}

static double categorical_crossentropy(int from_logits, size_t c, const double *p, const double *t)
{
    double s = 0;
    if (from_logits) {
        double lse = log_sum_exp(c, p);
        for (size_t j = 0; j < c; j++)
            s += t[j] * (lse - p[j]);
        return s;
    }
    double total = 0;
    for (size_t j = 0; j < c; j++)
        total += p[j];
    for (size_t j = 0; j < c; j++)
        s -= t[j] * log(clip(p[j] / total));
    return s;
}

static double sparse_categorical_crossentropy(int from_logits, size_t c, const double *p, double label)
{
    if (!(label >= 0 && label < (double)c))
        return NAN;
    size_t y = (size_t)label;
    if (from_logits)
        return log_sum_exp(c, p) - p[y];
    double total = 0;
    for (size_t j = 0; j < c; j++)
        total += clip(p[j]);
    return log(total) - log(clip(p[y]));
}

double ref_loss_sample(ct_loss loss, int from_logits, size_t c, const double *pred, const double *target)
{
    switch (loss) {
    case CT_LOSS_MSE:
        return mean_error(c, pred, target, 1);
    case CT_LOSS_MAE:
        return mean_error(c, pred, target, 0);
    case CT_LOSS_BINARY_CROSSENTROPY:
        return binary_crossentropy(from_logits, c, pred, target);
    case CT_LOSS_CATEGORICAL_CROSSENTROPY:
        return categorical_crossentropy(from_logits, c, pred, target);
    case CT_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY:
        return sparse_categorical_crossentropy(from_logits, c, pred, target[0]);
    default:
        return NAN;
    }
}

double ref_loss_mean(ct_loss loss, int from_logits, size_t n, size_t c, const double *pred, const double *target)
{
    size_t tc = loss == CT_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY ? 1 : c;
    double s = 0;
    for (size_t r = 0; r < n; r++)
        s += ref_loss_sample(loss, from_logits, c, pred + r * c, target + r * tc);
    return s / (double)n;
}

static size_t argmax_first(size_t c, const double *x)
{
    size_t best = 0;
    for (size_t j = 1; j < c; j++)
        if (x[j] > x[best])
            best = j;
    return best;
}

double ref_metric_sample(ct_metric kind, size_t c, const double *pred, const double *target, double threshold)
{
    double s = 0;
    switch (kind) {
    case CT_METRIC_RMSE:
    case CT_METRIC_MSE:
        return mean_error(c, pred, target, 1);
    case CT_METRIC_MAE:
        return mean_error(c, pred, target, 0);
    case CT_METRIC_BINARY_ACCURACY:
        for (size_t j = 0; j < c; j++)
            s += (pred[j] > threshold ? 1.0 : 0.0) == target[j];
        return s / (double)c;
    case CT_METRIC_CATEGORICAL_ACCURACY:
        return argmax_first(c, pred) == argmax_first(c, target);
    case CT_METRIC_SPARSE_CATEGORICAL_ACCURACY:
        return (double)argmax_first(c, pred) == target[0];
    default:
        return NAN;
    }
}
