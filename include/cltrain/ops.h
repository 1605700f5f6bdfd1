/* Element-wise ops, ReLU and reductions on device tensors. All enqueue work on
 * the context's queue and return without waiting for it. Outputs may alias
 * inputs for the element-wise ops.
 *
 * Nothing on the training path calls these (layers use cltrain/ops_nn.h);
 * they stay because the op table (src/selftest/cases_elementwise.c) checks
 * them as its simplest cases, the first to fail when the launcher, the
 * guard bytes or the finite differences break, and because the table's
 * other families copy device tensors with ct_scale(1) and scale upstream
 * gradients with it. Removing them would change the op table. */
#ifndef CLTRAIN_OPS_H
#define CLTRAIN_OPS_H

#include "cltrain/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

ct_status ct_add(ct_context *ctx, const ct_tensor *a, const ct_tensor *b, ct_tensor *y);
ct_status ct_mul(ct_context *ctx, const ct_tensor *a, const ct_tensor *b, ct_tensor *y);
ct_status ct_scale(ct_context *ctx, float alpha, const ct_tensor *x, ct_tensor *y);

ct_status ct_relu_forward(ct_context *ctx, const ct_tensor *x, ct_tensor *y);
/* dx = dy * (x > 0) */
ct_status ct_relu_backward(ct_context *ctx, const ct_tensor *x, const ct_tensor *dy, ct_tensor *dx);

/* y[0] = sum of all elements of x (y is a 1-element tensor or view). */
ct_status ct_sum(ct_context *ctx, const ct_tensor *x, ct_tensor *y);

#ifdef __cplusplus
}
#endif
#endif
