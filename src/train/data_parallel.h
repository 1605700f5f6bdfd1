/* The host side of synchronous data parallelism (train.devices): how a
 * batch is split over the replicas, and the deterministic sums that join
 * them. The replicas may live in this process (one per device) and on other
 * MPI ranks (core/collective.h); every sum runs over all replicas in global
 * replica order, in double, on every rank alike, so the result does not
 * depend on how the replicas are spread over processes and is bit for bit
 * the same on every rank and in every run. */
#ifndef CLTRAIN_TRAIN_DATA_PARALLEL_H
#define CLTRAIN_TRAIN_DATA_PARALLEL_H

#include <stddef.h>
#include <stdint.h>

#include "cltrain/loss.h" /* CT_METRICS_MAX */

typedef struct ct_dp_exchange ct_dp_exchange;

/* `replicas` in all; this process holds `local` of them, global indices
 * first .. first + local - 1; `params` floats of gradient each. */
ct_status ct_dp_exchange_create(size_t replicas, size_t local, size_t first, size_t params, ct_dp_exchange **out);
void ct_dp_exchange_free(ct_dp_exchange *x);
size_t ct_dp_replicas(const ct_dp_exchange *x);
size_t ct_dp_local(const ct_dp_exchange *x);
size_t ct_dp_first(const ct_dp_exchange *x);

/* Replica g's share of a batch of `rows`: an equal split, the first
 * rows % replicas replicas one row more; offsets follow replica order. */
void ct_dp_split(size_t rows, size_t replicas, size_t g, size_t *offset, size_t *count);

/* Where local replica i puts its gradient (params floats) for ct_dp_reduce. */
float *ct_dp_local_grads(ct_dp_exchange *x, size_t i);

/* The batch gradient: sum over replicas g with rows_of(g) > 0 of
 * (rows_of(g) / rows) x gradient of g. Each replica's gradient is that of
 * its own rows' mean loss, so this is the gradient of the mean over the
 * whole batch, as one device computes it. Collective (an allgather of the
 * local slots). *sum (params floats) stays valid until the next call. */
ct_status ct_dp_reduce(ct_dp_exchange *x, size_t rows, const float **sum);

/* One replica's epoch accumulators, as values. */
typedef struct {
    double loss;         /* the loss sum */
    uint64_t loss_count; /* samples it covers */
    double metrics[CT_METRICS_MAX];
    uint64_t samples;    /* of the metric sums */
} ct_dp_accum;

/* *total = the sums of every replica's accumulators (local: this process's
 * `local` of them). Collective. */
ct_status ct_dp_fold_accums(ct_dp_exchange *x, const ct_dp_accum *local, ct_dp_accum *total);

/* out[j] = mean over all replicas of their in[j] (local: this process's
 * replicas, n floats each, in order). Collective. */
ct_status ct_dp_average(ct_dp_exchange *x, const float *local, size_t n, float *out);

/* A double as a (sum, compensation) float pair that ct_kahan_value turns
 * back into nearly the same double, for accumulators written back to the
 * device. */
void ct_dp_kahan_pair(double value, float pair[2]);

#endif
