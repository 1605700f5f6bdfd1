/* Shared by loss.c and metrics.c: single-work-group reductions into
 * Kahan-compensated (sum, compensation) accumulators. */
#ifndef CLTRAIN_LOSS_INTERNAL_H
#define CLTRAIN_LOSS_INTERNAL_H

#include "cltrain/tensor.h"

/* Launch k as one work-group over `rows` rows: the group size is the largest
 * power of two <= min(256, the kernel's limit) and no larger than needed;
 * argument scratch_arg gets that many floats of local memory. */
ct_status ct_launch_one_group(ct_context *ctx, cl_kernel k, cl_uint scratch_arg, size_t rows, const char *name);

/* The value a (sum, compensation) pair stands for; non-finite sums pass through. */
double ct_kahan_value(float sum, float compensation);

/* Shape of a batch of predictions: rows = shape[0], classes = count / rows;
 * fails naming `what` if the tensor is empty or too large for the kernels. */
ct_status ct_batch_dims(const char *what, const ct_tensor *pred, size_t *rows, size_t *classes);

/* Case-insensitive comparison that also ignores '_' (so "MeanSquaredError"
 * matches "mean_squared_error"). */
int ct_name_matches(const char *given, const char *canonical);

#endif
