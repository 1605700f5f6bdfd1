/* Neural-network ops: activations and bias add fused with an activation
 * (Dense; declared in cltrain/ops_activation.h), dropout and batch normalisation, forward and backward, with Keras semantics.
 *
 * Layouts are row-major. Ops that work "per row" or "per feature" treat every
 * axis but the last as the batch: a (N, H, W, C) tensor is a (N*H*W, C)
 * matrix, so softmax runs over C and batch normalisation normalises each of
 * the C channels (Keras axis=-1).
 *
 * Every function enqueues work on the context's queue and returns without
 * waiting. Reductions (softmax, column sums, batch statistics) run in a fixed
 * order inside one work-group per column block or row, never with atomics,
 * so results are bit-identical from run to run on the same device. Outputs
 * may alias inputs wherever a comment says "in place". */
#ifndef CLTRAIN_OPS_NN_H
#define CLTRAIN_OPS_NN_H

#include <stdint.h>

#include "cltrain/ops_activation.h" /* activations, bias + activation */
#include "cltrain/tensor.h"
#include "cltrain/types.h"          /* ct_activation */

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- dropout */
/* The keep/drop decision of element i (its index in the tensor): Philox-
 * 4x32-10 (Salmon et al., SC'11) with key (seed low 32 bits, seed high 32
 * bits) and counter (g low, g high, step, layer_id), g = i / 4; word i % 4
 * of the result, r, keeps the element when r >= floor(rate * 2^32). The same
 * (seed, layer_id, step) gives the same mask on every device and in the C
 * reference (src/selftest/ref/ref_nn.c). */
typedef struct {
    float rate;        /* fraction dropped, 0 <= rate < 1 */
    uint64_t seed;     /* the run's seed */
    uint32_t layer_id; /* distinct per dropout layer */
    uint32_t step;     /* training step: a new mask every step */
    uint64_t first;    /* the element index i of x[0]: a batch split over data-parallel
                          replicas draws, on each, the masks of its rows in the whole batch
                          (0 for a whole batch) */
} ct_dropout_params;

/* Training-mode Keras Dropout (inverted scaling): y = x / (1 - rate) where
 * kept, else 0; scale = (float)(1 / (1 - rate)). At inference Dropout is the
 * identity: the layer simply does not call this. mask may be NULL; otherwise
 * it receives the multiplier of each element (0 or the scale), same shape as
 * x. In place allowed (y == x). rate 0 copies x exactly. */
ct_status ct_dropout_forward(ct_context *ctx, const ct_dropout_params *p, const ct_tensor *x, ct_tensor *y,
                             ct_tensor *mask);
/* dx = dy * multiplier, the mask recomputed from the same parameters (nothing
 * stored between forward and backward). In place allowed (dx == dy). */
ct_status ct_dropout_backward(ct_context *ctx, const ct_dropout_params *p, const ct_tensor *dy, ct_tensor *dx);

/* ----------------------------------------------------- batch normalisation */
/* Keras BatchNormalization(axis=-1, momentum=0.99, epsilon=1e-3). x is
 * (..., C), viewed as (M, C) with M the product of the leading axes; gamma,
 * beta, moving_mean, moving_variance are (C). Parameters per feature: 4
 * (gamma and beta trainable), as Keras counts them.
 *
 * Statistics follow Keras 3 (ops.moments): the batch variance is the biased
 * one (divided by M) both for normalising and for the moving average. (TF's
 * fused kernel in Keras 2 fed the unbiased M/(M-1) variance to the moving
 * average; Keras 3 does not.)
 *
 * The training kernels run one work-group per 16 features, each owning its
 * features over all M rows (two-pass mean/variance, then normalise, in one
 * launch); with C <= 16 that is a single work-group. */
#define CT_BATCHNORM_MOMENTUM 0.99f
#define CT_BATCHNORM_EPSILON 1e-3f

typedef struct {
    float momentum; /* moving = moving * momentum + batch * (1 - momentum) */
    float epsilon;  /* added to the variance, > 0 */
} ct_batchnorm_params; /* a NULL pointer where one is taken: the Keras defaults */

/* Training: mean, var = batch moments of each feature (biased variance);
 * y = gamma * (x - mean) / sqrt(var + epsilon) + beta; moving_mean and
 * moving_variance are updated in place; saved (2, C) receives mean (row 0)
 * and inv_std = 1/sqrt(var + epsilon) (row 1) for the backward pass — a
 * workspace the layer allocates once. One launch. y == x allowed. M = 1 is
 * allowed (variance 0: y = beta). */
ct_status ct_batchnorm_forward_train(ct_context *ctx, const ct_batchnorm_params *p, const ct_tensor *x,
                                     const ct_tensor *gamma, const ct_tensor *beta, ct_tensor *moving_mean,
                                     ct_tensor *moving_variance, ct_tensor *saved, ct_tensor *y);

/* Inference: y = gamma * (x - moving_mean) / sqrt(moving_variance + epsilon) + beta.
 * One launch, element-wise. y == x allowed. */
ct_status ct_batchnorm_forward_inference(ct_context *ctx, const ct_batchnorm_params *p, const ct_tensor *x,
                                         const ct_tensor *gamma, const ct_tensor *beta,
                                         const ct_tensor *moving_mean, const ct_tensor *moving_variance,
                                         ct_tensor *y);

/* Training-mode backward through the batch statistics, with saved from the
 * forward pass: xhat = (x - mean) * inv_std, dbeta = sum(dy), dgamma =
 * sum(dy * xhat), dx = gamma * inv_std / M * (M dy - dbeta - xhat dgamma).
 * dgamma and dbeta (C) are overwritten, not accumulated. One launch. dx may
 * alias dy or x. */
ct_status ct_batchnorm_backward_train(ct_context *ctx, const ct_tensor *x, const ct_tensor *gamma,
                                      const ct_tensor *saved, const ct_tensor *dy, ct_tensor *dx,
                                      ct_tensor *dgamma, ct_tensor *dbeta);

/* Inference-mode backward (statistics are constants): dx = dy * gamma *
 * inv_std, dgamma = sum(dy * xhat), dbeta = sum(dy), with the moving
 * statistics. One launch. dx may alias dy or x. */
ct_status ct_batchnorm_backward_inference(ct_context *ctx, const ct_batchnorm_params *p, const ct_tensor *x,
                                          const ct_tensor *gamma, const ct_tensor *moving_mean,
                                          const ct_tensor *moving_variance, const ct_tensor *dy, ct_tensor *dx,
                                          ct_tensor *dgamma, ct_tensor *dbeta);

#ifdef __cplusplus
}
#endif
#endif
