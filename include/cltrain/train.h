/* Training and evaluation of an experiment's model on a device: the fit loop
 * (shuffled batches gathered on the device, forward, loss, backward, one
 * fused optimizer launch per step, metrics read once per epoch), validation,
 * early stopping, NaN guard, and evaluation of any split. */
#ifndef CLTRAIN_TRAIN_H
#define CLTRAIN_TRAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cltrain/experiment.h"
#include "cltrain/loss.h" /* CT_METRICS_MAX */
#include "cltrain/model.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One split of samples on the host: n samples of sample_size floats and
 * target_width floats of target (a value, or a class id as float). Images
 * may come as bytes instead (x_u8, x then unused): they stay bytes on the
 * device, a quarter of the memory, and each batch is turned into floats
 * times x_scale (1/255: [0, 1]) as it is gathered. */
typedef struct {
    size_t n;
    const float *x;
    const float *y;
    const uint8_t *x_u8;
    float x_scale;
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
 * names, then "val_loss", "val_" metric names (only with validation data),
 * then "learning_rate" when a learning-rate schedule or ReduceLROnPlateau
 * is on (the rate the optimizer holds at the epoch's end, before the
 * callback acts, as Keras logs it). */
size_t ct_trainer_value_count(const ct_trainer *t);
const char *ct_trainer_value_name(const ct_trainer *t, size_t i);

/* What an epoch reports while it runs (every member may be NULL).
 *
 * progress follows the batches the device has finished, not those merely
 * enqueued: with it set, each step is followed by a non-blocking read of the
 * loss and metric accumulators (a few bytes) whose completion marks the
 * step done, and the host waits whenever it is more than
 * CT_PROGRESS_IN_FLIGHT steps ahead of the device. `running` holds the
 * running loss and metrics (ct_trainer_value_name order, training values
 * only) over the finished batches. Without progress, nothing is read and
 * nothing waits until the end of the epoch.
 *
 * should_stop is asked after every step is enqueued; true ends the epoch
 * after that step (the device finishes it; after the epoch's last step the
 * epoch ends normally): the trainer keeps its position,
 * ct_trainer_save records it, and the next ct_trainer_epoch call for the
 * same epoch continues with the next batch. Neither may call back into the
 * trainer. */
#define CT_PROGRESS_IN_FLIGHT 3
typedef struct {
    void (*progress)(void *user, size_t done, size_t batches, const double *running);
    bool (*should_stop)(void *user);
    void *user;
} ct_epoch_hooks;

/* One epoch (0-based): shuffle, the training batches, then validation.
 * values receives ct_trainer_value_count() numbers when *finished is true.
 * hooks may be NULL. finished may be NULL when hooks cannot stop. */
ct_status ct_trainer_epoch(ct_trainer *t, int epoch, double *values, const ct_epoch_hooks *hooks, bool *finished);

/* Training batches per epoch. */
size_t ct_trainer_batches(const ct_trainer *t);

/* Where training first went non-finite (ct_trainer_find_nonfinite). */
typedef struct {
    size_t batch;      /* 1-based batch of the epoch after which it did; 0: none did */
    bool loss_finite;  /* that batch's running loss was still finite (a weight went first) */
    char tensor[160];  /* the first model tensor holding NaN or inf after it ("dense_1/kernel"); "" none */
} ct_nonfinite_step;

/* Replays `epoch` from its start (the trainer must be there: a checkpoint
 * restored, the epochs before replayed) one batch at a time, reading the
 * loss and the weights after each, and stops at the first batch after
 * which either is NaN or infinite. Costs a wait for the device per batch:
 * for explaining a failure, not for the fit loop. */
ct_status ct_trainer_find_nonfinite(ct_trainer *t, int epoch, ct_nonfinite_step *out);

/* ======================================================= data parallelism
 * One run over several devices (train.devices), synchronous: `replicas`
 * replicas in all, of which this process drives `local` (global indices
 * first .. first + local - 1) on ctxs[0..local-1]; the others are on other
 * MPI ranks (src/core/collective.h), each making the same calls. Every step
 * splits the batch equally over the replicas, sums their gradients on the
 * host (weighted by rows, in replica order) and applies the same update on
 * each, so the weights stay identical and equal those of one device up to
 * summation order. Validation runs on replica 0; the epoch's values (and
 * ct_trainer_save's state) are those of the whole batch on the process that
 * holds replica 0, and the same values on every rank. replicas == 1 is
 * ct_trainer_create. */
ct_status ct_trainer_create_replicated(ct_context *const *ctxs, size_t local, size_t replicas, size_t first,
                                       const ct_experiment *exp, int in_ndim, const size_t *in_shape,
                                       size_t target_width, const ct_host_split *train,
                                       const ct_host_split *validation, ct_trainer **out);
size_t ct_trainer_replicas(const ct_trainer *t);
/* Replica 0's state (weights set through ct_trainer_model, a resumed
 * checkpoint) to every other replica, over ranks too. Collective; nothing
 * to do with one replica. */
ct_status ct_trainer_share_state(ct_trainer *t);

/* ============================================================== checkpoint
 * Everything the fit loop's next step depends on, on the host: the position,
 * every random counter, the optimizer and accumulators, all model tensors.
 * Restoring it into a trainer made from the same experiment and data and
 * continuing gives, on the same device, bit for bit the values and weights
 * the uninterrupted run would have (every kernel is deterministic and the
 * random draws are functions of counters: the sample order of (seed, epoch),
 * a dropout mask of (seed, layer, dropout step, element)). */
typedef struct {
    int epoch;              /* the epoch in progress or next */
    uint64_t batch;         /* its batches done (0: not started) */
    int64_t order_epoch;    /* shuffle counter: the epoch whose sample order is in use; -1 identity */
    uint64_t dropout_step;  /* training forwards so far (ct_model_dropout_step) */
    uint64_t iterations;    /* optimizer steps (Keras' optimizer.iterations) */
    double learning_rate;
    float loss_sums[2];     /* the epoch's loss accumulator (sum, compensation) */
    uint64_t loss_count;
    float metric_sums[2 * CT_METRICS_MAX];
    uint64_t metric_samples;
    size_t model_floats;    /* ct_model_state_size */
    float *model;           /* every model tensor, ct_model_tensor order */
    size_t optimizer_floats;
    float *optimizer;       /* ct_optimizer_state_size floats */
} ct_trainer_state;

/* Reads the state (blocking); release with ct_trainer_state_free. */
ct_status ct_trainer_save(ct_trainer *t, ct_trainer_state *out);
/* Puts a saved state back; CT_ERR_SHAPE when its sizes are not this trainer's. */
ct_status ct_trainer_load(ct_trainer *t, const ct_trainer_state *state);
void ct_trainer_state_free(ct_trainer_state *state);

/* `steps` training steps over consecutive batches of the current order,
 * without reading anything back (for throughput benchmarks; the caller
 * waits with ct_context_finish). */
ct_status ct_trainer_run_steps(ct_trainer *t, size_t steps);

/* The optimizer's learning rate now; setting it (ReduceLROnPlateau) applies
 * from the next step and fails (CT_ERR_CONFIG) under a
 * train.learning_rate_schedule, which decides every step's rate itself. */
double ct_trainer_learning_rate(const ct_trainer *t);
ct_status ct_trainer_set_learning_rate(ct_trainer *t, double learning_rate);

/* Loss and metrics (names as ct_trainer_value_name without "val_") of a split
 * uploaded for the purpose; predictions (n x output size) copied to the host
 * when predictions is not NULL. */
ct_status ct_trainer_evaluate(ct_trainer *t, const ct_host_split *split, double *values, float *predictions);

/* Snapshot and restore of every model tensor (restore_best_weights). The
 * snapshot (ct_model_state_size floats, NULL before the first) can be read
 * and set, for checkpoints. */
ct_status ct_trainer_snapshot(ct_trainer *t);
ct_status ct_trainer_restore(ct_trainer *t);
const float *ct_trainer_snapshot_data(const ct_trainer *t);
ct_status ct_trainer_set_snapshot(ct_trainer *t, const float *state);

#ifdef __cplusplus
}
#endif
#endif
