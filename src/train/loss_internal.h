/* Shared by loss.c and metrics.c: single-work-group reductions into
 * Kahan-compensated (sum, compensation) accumulators. */
#ifndef CLTRAIN_LOSS_INTERNAL_H
#define CLTRAIN_LOSS_INTERNAL_H

#include "cltrain/loss.h"

/* Launch k as one work-group over `rows` rows: the group size is the largest
 * power of two <= min(256, the kernel's limit) and no larger than needed, or
 * the device profile's fixed reduction group (CPUs); argument scratch_arg
 * gets that many floats of local memory. */
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

/* A further name for a kind of an enum (loss, metric). */
typedef struct {
    const char *name;
    int kind;
} ct_name_alias;

/* The names of an enum's `count` kinds: names(kind, 0), names(kind, 1), ...
 * up to the first NULL; then the aliases; `known` lists them for errors. */
typedef struct {
    int count;
    const char *(*names)(int kind, int which);
    const ct_name_alias *aliases;
    size_t alias_count;
    const char *known;
} ct_name_table;

/* The kind `name` names by ct_name_matches() (a kind's names first, then the
 * aliases), or an error naming `what` ("loss", "metric"). */
ct_status ct_kind_from_name(const char *what, const char *name, const ct_name_table *t, int *kind);

#endif
