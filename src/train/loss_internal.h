/* Shared by loss.c and metrics.c: single-work-group reductions into
 * Kahan-compensated (sum, compensation) accumulators. */
#ifndef CLTRAIN_LOSS_INTERNAL_H
#define CLTRAIN_LOSS_INTERNAL_H

#include "cltrain/loss.h"

/* Launch k as one work-group over `rows` rows: the group size is the largest
 * power of two <= min(256, the kernel's limit) and no larger than needed;
 * argument scratch_arg gets that many floats of local memory. */
ct_status ct_launch_one_group(ct_context *ctx, cl_kernel k, cl_uint scratch_arg, size_t rows, const char *name);

/* The value a (sum, compensation) pair stands for; non-finite sums pass through. */
double ct_kahan_value(float sum, float compensation);

/* Shape of a batch of predictions: rows = shape[0], classes = count / rows;
 * fails naming `what` if the tensor is empty or too large for the kernels. */
ct_status ct_batch_dims(const char *what, const ct_tensor *pred, size_t *rows, size_t *classes);

/* A metric state's part of a loss_forward_backward launch (count 0: none). */
typedef struct {
    cl_uint count; /* metrics */
    cl_uint kinds; /* metric m's kind in bits 4m..4m+3 */
    const ct_tensor *sums;
} ct_metric_args;

/* ct_loss_forward_backward with the options (NULL: none; see
 * ct_loss_and_metrics_ex), also adding the batch to the metric accumulators
 * described by metrics (NULL: none) in the same launch. */
ct_status ct_loss_launch(ct_context *ctx, ct_loss loss, int from_logits, const ct_loss_options *options,
                         const ct_tensor *pred, const ct_tensor *target, ct_tensor *dpred, ct_loss_accum *acc,
                         const ct_metric_args *metrics);

/* Case-insensitive comparison that also ignores '_' (so "MeanSquaredError"
 * matches "mean_squared_error"). */
int ct_name_matches(const char *given, const char *canonical);

#endif
