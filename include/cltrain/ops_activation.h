/* Activations and bias + activation (Dense), forward and backward, with
 * Keras semantics: the launchers of cl/activations.cl (src/gemm/activations.c).
 * They sit with the GEMM because they are its epilogue when an engine cannot
 * fuse one; cltrain/ops_nn.h includes this header for the other ops.
 *
 * Layouts are row-major; every axis but the last is the batch, so softmax
 * runs over the last axis. Every function enqueues work and returns without
 * waiting; reductions run in a fixed order inside one work-group, never with
 * atomics, so results are bit-identical from run to run on the same device. */
#ifndef CLTRAIN_OPS_ACTIVATION_H
#define CLTRAIN_OPS_ACTIVATION_H

#include "cltrain/tensor.h"
#include <stdbool.h>

#include "cltrain/types.h" /* ct_activation */

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------ activations */
/* Keras 3 defaults: keras.activations.leaky_relu(x, negative_slope=0.2),
 * keras.activations.elu(x, alpha=1.0). */
#define CT_LEAKY_RELU_NEGATIVE_SLOPE 0.2f
#define CT_ELU_ALPHA 1.0f

/* Inverse of ct_activation_name (exact, case-sensitive as in Keras). NULL or
 * "" is "linear", as Keras's activation=None. Unknown names fail with
 * CT_ERR_CONFIG listing the valid ones. */
ct_status ct_activation_from_name(const char *name, ct_activation *out);

/* gelu, gelu_approximate and silu are not monotonic: their derivative is a
 * function of x, not of y, so their backward needs the forward input. */
bool ct_activation_needs_x(ct_activation act);

/* y = act(x), element-wise; softmax over the last axis (numerically stable:
 * the row maximum is subtracted). x and y have the same shape; in place
 * allowed (y == x). Sigmoid is stable for any |x|. */
ct_status ct_activation_forward(ct_context *ctx, ct_activation act, const ct_tensor *x, ct_tensor *y);

/* dx = dy * act'(x). Every derivative is computed from the forward output y
 * when y is given (y(1-y) for sigmoid, 1-y^2 for tanh, y*(dy - sum(dy*y))
 * per row for softmax; relu, leaky_relu and elu read the sign and, for elu,
 * the value of y), as TensorFlow does. Either x or y may be NULL: y is used
 * when present, otherwise x (softmax needs y; gelu, gelu_approximate and
 * silu need x and use it whenever it is given); from x, the sigmoid and tanh
 * derivatives avoid the cancellation of 1-y in float and stay accurate where
 * they saturate. Gradient at exactly 0 as TensorFlow: relu 0, leaky_relu the
 * slope, elu 1. In place allowed (dx == dy). */
ct_status ct_activation_backward(ct_context *ctx, ct_activation act, const ct_tensor *x, const ct_tensor *y,
                                 const ct_tensor *dy, ct_tensor *dx);

/* Keras's LeakyReLU layer with any negative_slope >= 0 (the leaky_relu
 * activation above is the slope 0.2); as ct_activation_forward/backward. */
ct_status ct_leaky_relu_forward(ct_context *ctx, float negative_slope, const ct_tensor *x, ct_tensor *y);
ct_status ct_leaky_relu_backward(ct_context *ctx, float negative_slope, const ct_tensor *x, const ct_tensor *y,
                                 const ct_tensor *dy, ct_tensor *dx);

/* ------------------------------------------- bias + activation (Dense) */
/* y = act(z + bias) with z and y (N, U) (or any rank, U the last axis) and
 * bias (U); one launch. bias may be NULL (use_bias=False). In place allowed
 * (y == z), so a Dense forward is a GEMM into y followed by this call on y.
 * Nothing else needs keeping for the backward pass: it works from y. */
ct_status ct_bias_activation_forward(ct_context *ctx, ct_activation act, const ct_tensor *z, const ct_tensor *bias,
                                     ct_tensor *y);

/* From the forward output y and the upstream gradient dy (both (N, U)):
 * (refused with CT_ERR_INVALID_ARGUMENT for the activations that need x,
 * see ct_activation_needs_x) 
 * dz = dy * act'(.) (N, U) and, when dbias is not NULL, dbias (U) = column
 * sums of dz, in one launch (softmax with U > 16: two, a row pass then the
 * column sums). In place allowed (dz == dy). */
ct_status ct_bias_activation_backward(ct_context *ctx, ct_activation act, const ct_tensor *y, const ct_tensor *dy,
                                      ct_tensor *dz, ct_tensor *dbias);

#ifdef __cplusplus
}
#endif
#endif
