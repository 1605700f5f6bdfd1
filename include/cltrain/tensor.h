/* Tensors: a float32 view (shape + offset) into an OpenCL buffer.
 *
 * A ct_tensor is a small value type. ct_tensor_create() allocates a device
 * buffer the tensor owns (release with ct_tensor_release()); ct_tensor_view()
 * makes a non-owning view into another tensor's buffer. Shapes are row-major
 * (C order), channels last for images (N, H, W, C) as in Keras. */
#ifndef CLTRAIN_TENSOR_H
#define CLTRAIN_TENSOR_H

#include <stddef.h>

#include "cltrain/device.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CT_MAX_DIMS 4

typedef struct {
    cl_mem buf;    /* device buffer; NULL for an empty tensor */
    size_t offset; /* in elements (floats) from the start of buf */
    int ndim;
    size_t shape[CT_MAX_DIMS];
    int owns;      /* 1 when ct_tensor_release() must release buf */
} ct_tensor;

size_t ct_tensor_count(const ct_tensor *t); /* product of the shape */

/* Allocate an uninitialised tensor of the given shape. */
ct_status ct_tensor_create(ct_context *ctx, int ndim, const size_t *shape, ct_tensor *out);
/* Allocate and fill with zeros. */
ct_status ct_tensor_zeros(ct_context *ctx, int ndim, const size_t *shape, ct_tensor *out);
void ct_tensor_release(ct_tensor *t);

/* A view of `count` elements starting `offset` elements into t, with a new shape. */
ct_status ct_tensor_view(const ct_tensor *t, size_t offset, int ndim, const size_t *shape,
                         ct_tensor *out);

/* Blocking host<->device copies of the whole tensor. */
ct_status ct_tensor_write(ct_context *ctx, ct_tensor *t, const float *host);
ct_status ct_tensor_read(ct_context *ctx, const ct_tensor *t, float *host);

/* "(32, 28, 28, 3)" into buf. */
const char *ct_shape_str(int ndim, const size_t *shape, char *buf, size_t size);

#ifdef __cplusplus
}
#endif
#endif
