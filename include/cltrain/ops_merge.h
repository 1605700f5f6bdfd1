/* Keras' merge layers Add and Concatenate (channels_last, the last axis),
 * forward and backward, and the gradient sum of a tensor that several
 * layers of a graph model use. */
#ifndef CLTRAIN_OPS_MERGE_H
#define CLTRAIN_OPS_MERGE_H

#include <stdbool.h>

#include "cltrain/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

/* y = x[0] + x[1] + ... + x[count - 1]: count >= 2 tensors of one size.
 * y may be x[0]. Keras' Add sums in input order, as here. */
ct_status ct_add_n_forward(ct_context *ctx, size_t count, const ct_tensor *x, ct_tensor *y);

/* Where several layers use one tensor its gradient is their sum:
 * dst = src, or dst += src where accumulate. Also Add's backward (each
 * input's gradient is dy). */
ct_status ct_grad_accumulate(ct_context *ctx, const ct_tensor *src, ct_tensor *dst, bool accumulate);

/* Concatenate on the last axis: x[k] (rows..., c_k), y (rows..., sum c_k),
 * the same rows. */
ct_status ct_concat_forward(ct_context *ctx, size_t count, const ct_tensor *x, ct_tensor *y);

/* dx[k] = (or += where accumulate[k]) the columns of dy that came from
 * x[k]; an entry whose buf is NULL is skipped (the model's data). */
ct_status ct_concat_backward(ct_context *ctx, const ct_tensor *dy, size_t count, ct_tensor *dx,
                             const bool *accumulate);

#ifdef __cplusplus
}
#endif
#endif
