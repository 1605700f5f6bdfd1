/* How the tuners (gemm/tune.c, ops/conv_tune.c) time one candidate on one
 * piece of work: by the process's CPU time (ct_cpu_seconds), not the wall
 * clock, since a tile changes how much a core does per second, not how the
 * work is shared out. */
#ifndef CLTRAIN_CORE_TUNE_TIMING_H
#define CLTRAIN_CORE_TUNE_TIMING_H

#include <stddef.h>

#include "cltrain/status.h"
#include "core/context.h"

/* One call of the timed work on ctx (enqueues it; the timer finishes the queue). */
typedef ct_status (*ct_tune_call)(ct_context *ctx, void *work);

/* CPU seconds of one call, the median of 3 timed batches after two
 * warm-up calls (the first builds kernels and sizes workspaces); a batch
 * repeats the call until it lasts at least 4 ms, so short calls are not
 * lost in the clock's resolution. */
ct_status ct_tune_median_cpu_seconds(ct_context *ctx, ct_tune_call call, void *work, double *seconds);

/* The geometric mean of n figures (a non-positive one counts as 1e-9):
 * a candidate's score over the shapes or passes it was timed on. */
double ct_tune_geometric_mean(const double *values, size_t n);

#endif
