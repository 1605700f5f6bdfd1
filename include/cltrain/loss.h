/* Losses and metrics with Keras semantics, computed and reduced on the device.
 *
 * Layouts (row-major): predictions are (N, C) — any tensor whose first axis is
 * the batch, C = count / N — and targets are shaped like the predictions,
 * except for sparse_categorical_crossentropy and sparse_categorical_accuracy,
 * whose targets are N class ids 0..C-1 stored as floats.
 *
 * Nothing here waits for the device except the *_read functions: a training
 * loop enqueues the loss (and its gradient) and the metric updates for every
 * batch, and reads the epoch's values once, at the end of the epoch.
 *
 * The enums ct_loss and ct_metric, and their names (ct_loss_name,
 * ct_metric_name, ct_metric_keras_name), come from cltrain/loss_kind.h, so an
 * experiment file and the device code share one list. */
#ifndef CLTRAIN_LOSS_H
#define CLTRAIN_LOSS_H

#include <stdint.h>

#include "cltrain/loss_kind.h"
#include "cltrain/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

/* keras.config.epsilon(): crossentropies on probabilities clip them to
 * [epsilon, 1 - epsilon] (in float32, so 1 - epsilon is 0.99999988). */
#define CT_LOSS_EPSILON 1e-7f

/* Keras BinaryAccuracy's default threshold: a prediction counts as 1 when it
 * is > 0.5 — applied to the values the model outputs, logits included, as
 * Keras does. */
#define CT_BINARY_ACCURACY_THRESHOLD 0.5f

/* ===================================================================== names */

/* Case-insensitive: the ct_loss_name() spelling, Keras' long function names
 * ("mean_squared_error", "mean_absolute_error") and Keras class names
 * ("MeanSquaredError", "BinaryCrossentropy", ...). Unknown: CT_ERR_NOT_FOUND. */
ct_status ct_loss_from_name(const char *name, ct_loss *out);

/* 1 for the three crossentropies, the losses that take `from_logits`. */
int ct_loss_has_from_logits(ct_loss loss);

/* 1 when the loss takes class ids as targets (sparse_categorical_crossentropy). */
int ct_loss_sparse_targets(ct_loss loss);

/* ==================================================================== losses
 *
 * Per sample, as Keras computes it in float32:
 *   mse                       mean_j (p_j - t_j)^2
 *   mae                       mean_j |p_j - t_j|
 *   binary_crossentropy       mean_j -(t_j log q_j + (1 - t_j) log(1 - q_j)),  q = clip(p)
 *                             from logits x: mean_j max(x_j, 0) - x_j t_j + log(1 + exp(-|x_j|))
 *   categorical_crossentropy  -sum_j t_j log clip(p_j / sum_k p_k)
 *                             from logits: sum_j t_j (logsumexp(x) - x_j)
 *   sparse_categorical_crossentropy (class id y)
 *                             log sum_j clip(p_j) - log clip(p_y)   (Keras feeds log(clip(p))
 *                             to a softmax crossentropy, which renormalises)
 *                             from logits: logsumexp(x) - x_y
 * clip(p) = min(max(p, epsilon), 1 - epsilon); its gradient is 0 where p is
 * outside the range, as tf.clip_by_value's. The batch loss is the mean of the
 * per-sample losses (Keras' "sum_over_batch_size").
 *
 * An out-of-range or NaN class id makes that sample's loss and gradient NaN
 * (TensorFlow raises an error there; NaN reaches the trainer's NaN guard). */

/* Sum of per-sample losses since the last reset, for the epoch's loss.
 * Keras reports the mean of the batch means weighted by batch size, which is
 * sum / count here, also when the last batch is smaller. The sum is
 * Kahan-compensated on the device, so a long epoch does not lose precision. */
typedef struct {
    ct_tensor sums; /* device, 2 floats: the running sum and its compensation term */
    uint64_t count; /* samples added since the last reset; kept on the host, which
                       knows each batch's size when it enqueues it */
} ct_loss_accum;

/* A zeroed accumulator; its buffer is owned by it (ct_loss_accum_release). */
ct_status ct_loss_accum_create(ct_context *ctx, ct_loss_accum *out);
/* Enqueues zeroing; does not wait. */
ct_status ct_loss_accum_reset(ct_context *ctx, ct_loss_accum *acc);
/* Blocking read: *mean = sum / count (0 when count is 0, as Keras' Mean). */
ct_status ct_loss_accum_read(ct_context *ctx, const ct_loss_accum *acc, double *mean);
void ct_loss_accum_release(ct_loss_accum *acc);

/* One launch over the batch (N = pred->shape[0], which may be a smaller last
 * batch): writes dpred = d(batch mean loss)/d(pred), shaped like pred, and
 * adds the batch's summed per-sample losses and N to acc.
 * dpred NULL: loss only (validation). acc NULL: gradient only. dpred may be
 * pred itself (in place).
 * from_logits is valid for the crossentropies only. Deterministic: one
 * work-group reduces the batch, no atomics. */
ct_status ct_loss_forward_backward(ct_context *ctx, ct_loss loss, int from_logits, const ct_tensor *pred,
                                   const ct_tensor *target, ct_tensor *dpred, ct_loss_accum *acc);

/* kernel_regularizer (Keras 3 L1, L2, L1L2) of one weight tensor, one
 * launch: grads (NULL: none) += l1 sign(w) + 2 l2 w, and acc (NULL: none)
 * gains rows * (l1 sum|w| + l2 sum w^2) without counting samples, so the
 * accumulated mean loss includes the penalty as Keras' loss does. Call it
 * after the batch's loss and backward, before the optimizer step. */
ct_status ct_loss_regularize(ct_context *ctx, const ct_tensor *weights, ct_tensor *grads, double l1, double l2,
                             ct_loss_accum *acc, size_t rows);

/* =================================================================== metrics
 *
 * Each metric is the epoch mean of a per-sample value, as Keras' metrics
 * accumulate total and count over the epoch:
 *   mse, mae                       mean_j (p_j - t_j)^2, mean_j |p_j - t_j|
 *   rmse                           sqrt(epoch mean of mean_j (p_j - t_j)^2) — Keras'
 *                                  RootMeanSquaredError, not the mean of batch RMSEs
 *   binary_accuracy                mean_j [ (p_j > 0.5) == t_j ]
 *   categorical_accuracy           [ argmax(p) == argmax(t) ]
 *   sparse_categorical_accuracy    [ argmax(p) == t ]
 * argmax breaks ties at the first index, as numpy and Keras do. */

#define CT_METRICS_MAX 8 /* metrics in one state */

/* Case-insensitive: the ct_metric_name() spelling, the Keras history names
 * ("root_mean_squared_error", ...), "acc" and Keras class names
 * ("RootMeanSquaredError", "SparseCategoricalAccuracy", ...). */
ct_status ct_metric_from_name(const char *name, ct_metric *out);

/* What Keras' compile() makes of "accuracy": binary_accuracy when the model
 * has one output unit, sparse_categorical_accuracy when the targets are class
 * ids, else categorical_accuracy. Other metrics are returned unchanged.
 * (The history column keeps the name the user wrote: ct_metric_keras_name of
 * the unresolved metric, "accuracy".) */
ct_metric ct_metric_resolve(ct_metric metric, size_t output_units, int sparse_targets);

/* Device accumulators (sum and compensation per metric) for the metrics of
 * one model, with the sample count on the host. */
typedef struct ct_metric_state ct_metric_state;

/* metrics[0..count-1] (count <= CT_METRICS_MAX; CT_METRIC_ACCURACY is resolved
 * with output_units and sparse_targets). Targets are class ids when
 * sparse_targets is set; sparse_categorical_accuracy needs them, the others
 * need targets shaped like the predictions, so the two cannot be mixed.
 * The state owns its buffer; free with ct_metrics_destroy(). */
ct_status ct_metrics_create(ct_context *ctx, const ct_metric *metrics, size_t count, size_t output_units,
                            int sparse_targets, ct_metric_state **out);
void ct_metrics_destroy(ct_metric_state *state);

size_t ct_metrics_count(const ct_metric_state *state);
/* The resolved kind of metric i (as computed). */
ct_metric ct_metrics_kind(const ct_metric_state *state, size_t i);

/* Enqueues zeroing of every accumulator; does not wait. */
ct_status ct_metrics_reset(ct_context *ctx, ct_metric_state *state);
/* One launch adds the batch (N = pred->shape[0] samples) to every metric. */
ct_status ct_metrics_update(ct_context *ctx, ct_metric_state *state, const ct_tensor *pred, const ct_tensor *target);
/* One blocking read: values[i] = metric i over the samples since the reset
 * (0 when there were none, as Keras' divide_no_nan). */
ct_status ct_metrics_read(ct_context *ctx, const ct_metric_state *state, double *values);

/* The raw accumulators, for checkpoints (an epoch interrupted between two
 * batches resumes with exactly these sums) and for running values read
 * without waiting: 2 floats (sum, compensation) per metric in the device
 * buffer ct_metrics_sums (a non-owning view), and the sample count. load is
 * blocking. */
uint64_t ct_metrics_samples(const ct_metric_state *state);
ct_tensor ct_metrics_sums(const ct_metric_state *state);
ct_status ct_metrics_load(ct_context *ctx, ct_metric_state *state, const float *sums, uint64_t samples);
/* values[i] = metric i from sums read earlier, over `samples` samples. */
void ct_metrics_values(const ct_metric_state *state, const float *sums, uint64_t samples, double *values);

/* ct_loss_forward_backward and ct_metrics_update of the same batch in one
 * launch (metrics NULL or empty: the loss only). The metrics see the
 * predictions even when dpred is pred. The loss and the metrics must agree on
 * sparse (class-id) targets. */
ct_status ct_loss_and_metrics(ct_context *ctx, ct_loss loss, int from_logits, const ct_tensor *pred,
                              const ct_tensor *target, ct_tensor *dpred, ct_loss_accum *acc, ct_metric_state *metrics);
/* Keras' loss options beyond the kind:
 *   label_smoothing in [0, 1] (train.label_smoothing), binary_crossentropy and
 *     categorical_crossentropy only: the loss sees targets t (1 - s) + s / 2
 *     (binary) or t (1 - s) + s / C (categorical, C classes); the metrics see t.
 *   class_weights (fit's class_weight; NULL or an empty tensor: none): K
 *     floats on the device; each sample's loss and gradient are multiplied by
 *     class_weights[k], k its class: the class id (sparse), the rounded target
 *     (one output) or the target's argmax; a class >= K gives NaN. Keras
 *     applies class_weight to the training batches only, so the caller passes
 *     it there and not for validation. The batch loss stays the mean over N
 *     (Keras' sum_over_batch_size), not a weighted mean. */
typedef struct {
    double label_smoothing;
    const ct_tensor *class_weights;
} ct_loss_options;

/* ct_loss_and_metrics with options (NULL: none, ct_loss_and_metrics itself).
 * label_smoothing > 0 with another loss is CT_ERR_INVALID_ARGUMENT (Keras'
 * other losses have no label_smoothing). */
ct_status ct_loss_and_metrics_ex(ct_context *ctx, ct_loss loss, int from_logits, const ct_loss_options *options,
                                 const ct_tensor *pred, const ct_tensor *target, ct_tensor *dpred, ct_loss_accum *acc,
                                 ct_metric_state *metrics);
/* ct_loss_accum_read and ct_metrics_read with one wait for the device:
 * values[0] = the mean loss, values[1 + i] = metric i (metrics may be NULL). */
ct_status ct_loss_and_metrics_read(ct_context *ctx, const ct_loss_accum *acc, const ct_metric_state *metrics,
                                   double *values);

#ifdef __cplusplus
}
#endif
#endif
