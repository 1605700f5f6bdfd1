/* Keras's Rescaling layer (scalar scale and offset), forward and backward. */
#ifndef CLTRAIN_OPS_RESCALING_H
#define CLTRAIN_OPS_RESCALING_H

#include "cltrain/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

/* y = x * scale + offset, element-wise (a product then a sum, as Keras).
 * x and y hold the same number of values; in place allowed. */
ct_status ct_rescaling_forward(ct_context *ctx, float scale, float offset, const ct_tensor *x, ct_tensor *y);

/* dx = scale * dy; in place allowed. */
ct_status ct_rescaling_backward(ct_context *ctx, float scale, const ct_tensor *dy, ct_tensor *dx);

#ifdef __cplusplus
}
#endif
#endif
