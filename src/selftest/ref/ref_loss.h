/* Plain-C references for losses and metrics (include/cltrain/loss.h), in
 * double precision except where Keras' float32 constants matter (the clip
 * range [1e-7, 1 - 1e-7] is rounded to float, as Keras computes it). */
#ifndef CLTRAIN_REF_LOSS_H
#define CLTRAIN_REF_LOSS_H

#include <stddef.h>

#include "cltrain/loss_kind.h"

/* Loss of one sample: pred and target hold c values (target: 1 class id for
 * the sparse loss). NaN for a class id outside 0..c-1. */
double ref_loss_sample(ct_loss loss, int from_logits, size_t c, const double *pred, const double *target);

/* Batch loss: the mean of the per-sample losses over n rows. */
double ref_loss_mean(ct_loss loss, int from_logits, size_t n, size_t c, const double *pred, const double *target);

/* Per-sample metric value (rmse gives the squared error, its mean is rooted
 * by the caller); kind must be resolved (not CT_METRIC_ACCURACY). */
double ref_metric_sample(ct_metric kind, size_t c, const double *pred, const double *target, double threshold);

#endif
