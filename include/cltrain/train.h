/* Training and evaluation of an experiment's model on a device: the fit loop
 * (shuffled batches gathered on the device, forward, loss, backward, one
 * fused optimizer launch per step, metrics read once per epoch), validation,
 * early stopping, NaN guard, and evaluation of any split. */
#ifndef CLTRAIN_TRAIN_H
#define CLTRAIN_TRAIN_H

#include <stddef.h>

#include "cltrain/experiment.h"
#include "cltrain/model.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One split of samples on the host: n samples of sample_size floats and
 * target_width floats of target (a value, or a class id as float). */
typedef struct {
    size_t n;
    const float *x;
    const float *y;
} ct_host_split;

typedef struct ct_trainer ct_trainer;

/* Builds the model of exp (input shape in_shape per sample) on ctx and
 * uploads the training and validation splits once. validation.n may be 0. */
ct_status ct_trainer_create(ct_context *ctx, const ct_experiment *exp, int in_ndim, const size_t *in_shape,
                            size_t target_width, const ct_host_split *train, const ct_host_split *validation,
                            ct_trainer **out);
void ct_trainer_free(ct_trainer *t);

ct_model *ct_trainer_model(ct_trainer *t);

/* Column names of an epoch's values, Keras History order: "loss", metric
 * names, then "val_loss", "val_" metric names (only with validation data). */
size_t ct_trainer_value_count(const ct_trainer *t);
const char *ct_trainer_value_name(const ct_trainer *t, size_t i);

/* One epoch (0-based): shuffle, all training batches, then validation.
 * values receives ct_trainer_value_count() numbers. progress (may be NULL) is
 * called after each batch with the batch count so far and the total, for a
 * live bar; it must not call back into the trainer. */
typedef void (*ct_progress_fn)(void *user, size_t batch, size_t batches);
ct_status ct_trainer_epoch(ct_trainer *t, int epoch, double *values, ct_progress_fn progress, void *user);

/* `steps` training steps over consecutive batches of the current order,
 * without reading anything back (for throughput benchmarks; the caller
 * waits with ct_context_finish). */
ct_status ct_trainer_run_steps(ct_trainer *t, size_t steps);

/* Loss and metrics (names as ct_trainer_value_name without "val_") of a split
 * uploaded for the purpose; predictions (n x output size) copied to the host
 * when predictions is not NULL. */
ct_status ct_trainer_evaluate(ct_trainer *t, const ct_host_split *split, double *values, float *predictions);

/* Snapshot and restore of every model tensor (restore_best_weights). */
ct_status ct_trainer_snapshot(ct_trainer *t);
ct_status ct_trainer_restore(ct_trainer *t);

#ifdef __cplusplus
}
#endif
#endif
