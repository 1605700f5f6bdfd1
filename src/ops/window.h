/* What convolution and pooling share: sliding-window geometry along one axis
 * (Keras/TF 'valid' and 'same'), shape checks, and the launch shape of their
 * kernels (window.c). */
#ifndef CLTRAIN_OPS_WINDOW_H
#define CLTRAIN_OPS_WINDOW_H

#include <limits.h>

#include "cltrain/ops_conv.h"

/* Sizes the kernels index with int; keep every extent well inside it. */
#define CT_WINDOW_MAX_EXTENT ((size_t)INT_MAX / 4)

/* Along one axis of length `in`, window `size` and `stride`:
 *   valid: out = (in - size) / stride + 1, no padding (in >= size required);
 *   same:  out = ceil(in / stride), pad_total = max((out - 1) * stride + size - in, 0),
 *          pad_before = pad_total / 2 (the odd one goes after).
 * `op` and `axis` name the failure: "conv2d", "height". */
static inline ct_status ct_window_axis(const char *op, const char *axis, size_t in, size_t size, size_t stride,
                                       ct_padding padding, size_t *out, size_t *pad_before)
{
    if (size == 0 || stride == 0)
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "%s: %s window %zu and stride %zu must both be at least 1", op,
                       axis, size, stride);
    if (in == 0 || in > CT_WINDOW_MAX_EXTENT || size > CT_WINDOW_MAX_EXTENT || stride > CT_WINDOW_MAX_EXTENT)
        return ct_fail(CT_ERR_SHAPE, "%s: input %s %zu, window %zu or stride %zu out of range", op, axis, in, size,
                       stride);
    if (padding == CT_PADDING_SAME) {
        *out = (in + stride - 1) / stride;
        size_t needed = (*out - 1) * stride + size;
        *pad_before = needed > in ? (needed - in) / 2 : 0;
        return CT_OK;
    }
    if (padding != CT_PADDING_VALID)
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "%s: padding %d is neither valid nor same", op, (int)padding);
    if (size > in)
        return ct_fail(CT_ERR_SHAPE, "%s: window %s %zu is larger than the input %s %zu with padding 'valid'", op,
                       axis, size, axis, in);
    *out = (in - size) / stride + 1;
    *pad_before = 0;
    return CT_OK;
}

/* 1 when a * b * c * d <= INT_MAX: the kernels index tensors with int. */
static inline int ct_fits_int(size_t a, size_t b, size_t c, size_t d)
{
    size_t f[4] = {a, b, c, d}, p = 1;
    for (int i = 0; i < 4; i++) {
        if (f[i] && p > (size_t)INT_MAX / f[i])
            return 0;
        p *= f[i];
    }
    return 1;
}

/* A 4-D NHWC tensor with the given shape, else a shape error naming `what`. */
ct_status ct_check_shape4(const char *op, const char *what, const ct_tensor *t, size_t n, size_t h, size_t w,
                          size_t c);

/* Consecutive elements (channels, or a patch row in im2col) one work-item of
 * the conv and pool kernels handles, out of a run of `run`: CPUs want whole
 * runs per item (index arithmetic paid once per run, vector loops inside),
 * GPUs one element per item so that neighbouring items touch neighbouring
 * addresses. */
cl_int ct_channels_per_item(ct_context *ctx, size_t run);

/* Work-items needed to cover `run` elements, per_item each. */
size_t ct_items_for(size_t run, cl_int per_item);

/* Enqueue a 2-D range (inner, outer) where items along `inner` share the work
 * derived from `outer` (kernels check bounds): groups of 64 items, as many
 * along inner as it needs, or of 8 when 64 would leave fewer than 4 groups
 * per compute unit. Two sizes only: PoCL compiles a kernel once per group
 * size it meets (a few tenths of a second each), and these kernels' results
 * do not depend on it (no work-item reads another's data). */
ct_status ct_launch_rows(ct_context *ctx, cl_kernel k, size_t inner, size_t outer, const char *name);

#endif
