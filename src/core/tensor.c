/* Tensor views over device buffers, allocation and blocking host copies. */
#include "cltrain/tensor.h"

#include <stdio.h>
#include <string.h>

#include "core/context.h"

size_t ct_tensor_count(const ct_tensor *t)
{
    if (t->ndim == 0)
        return 0;
    size_t n = 1;
    for (int i = 0; i < t->ndim; i++)
        n *= t->shape[i];
    return n;
}

static ct_status set_shape(ct_tensor *t, int ndim, const size_t *shape)
{
    if (ndim < 1 || ndim > CT_MAX_DIMS)
        return ct_fail(CT_ERR_SHAPE, "a tensor has 1 to %d dimensions, not %d", CT_MAX_DIMS, ndim);
    t->ndim = ndim;
    for (int i = 0; i < CT_MAX_DIMS; i++)
        t->shape[i] = i < ndim ? shape[i] : 1;
    return CT_OK;
}

ct_status ct_tensor_create(ct_context *ctx, int ndim, const size_t *shape, ct_tensor *out)
{
    memset(out, 0, sizeof *out);
    CT_TRY(set_shape(out, ndim, shape));
    size_t count = ct_tensor_count(out);
    char s[96];
    if (count == 0)
        return ct_fail(CT_ERR_SHAPE, "cannot allocate an empty tensor %s", ct_shape_str(ndim, shape, s, sizeof s));
    const ct_device_info *info = ct_context_device(ctx);
    if (count * sizeof(float) > info->max_alloc_bytes)
        return ct_fail(CT_ERR_NO_MEMORY, "tensor %s needs %zu bytes, more than %s allows in one buffer (%llu)",
                       ct_shape_str(ndim, shape, s, sizeof s), count * sizeof(float), info->name,
                       (unsigned long long)info->max_alloc_bytes);
    cl_int err;
    out->buf = clCreateBuffer(ct_context_cl(ctx), CL_MEM_READ_WRITE, count * sizeof(float), NULL, &err);
    if (err != CL_SUCCESS)
        return ct_fail(CT_ERR_NO_MEMORY, "allocating tensor %s (%zu bytes) on %s: %s",
                       ct_shape_str(ndim, shape, s, sizeof s), count * sizeof(float), info->name,
                       ct_cl_error_name(err));
    out->owns = 1;
    return CT_OK;
}

ct_status ct_tensor_zeros(ct_context *ctx, int ndim, const size_t *shape, ct_tensor *out)
{
    CT_TRY(ct_tensor_create(ctx, ndim, shape, out));
    float zero = 0.0f;
    cl_int err = clEnqueueFillBuffer(ct_context_queue(ctx), out->buf, &zero, sizeof zero, 0,
                                     ct_tensor_count(out) * sizeof(float), 0, NULL, NULL);
    if (err != CL_SUCCESS) {
        ct_tensor_release(out);
        return ct_cl_fail(err, "clEnqueueFillBuffer");
    }
    return CT_OK;
}

void ct_tensor_release(ct_tensor *t)
{
    if (t->owns && t->buf)
        clReleaseMemObject(t->buf);
    memset(t, 0, sizeof *t);
}

ct_status ct_tensor_view(const ct_tensor *t, size_t offset, int ndim, const size_t *shape, ct_tensor *out)
{
    ct_tensor v = {.buf = t->buf, .offset = t->offset + offset, .owns = 0};
    CT_TRY(set_shape(&v, ndim, shape));
    if (offset + ct_tensor_count(&v) > ct_tensor_count(t)) {
        char a[96], b[96];
        return ct_fail(CT_ERR_SHAPE, "view %s at offset %zu does not fit in tensor %s",
                       ct_shape_str(ndim, shape, a, sizeof a), offset, ct_shape_str(t->ndim, t->shape, b, sizeof b));
    }
    *out = v;
    return CT_OK;
}

ct_status ct_tensor_write(ct_context *ctx, ct_tensor *t, const float *host)
{
    ct_context_release_queue(ctx); /* a blocking write waits for the queue */
    cl_int err = clEnqueueWriteBuffer(ct_context_queue(ctx), t->buf, CL_TRUE, t->offset * sizeof(float),
                                      ct_tensor_count(t) * sizeof(float), host, 0, NULL, NULL);
    return err == CL_SUCCESS ? CT_OK : ct_cl_fail(err, "writing a tensor to the device");
}

ct_status ct_tensor_read(ct_context *ctx, const ct_tensor *t, float *host)
{
    ct_context_release_queue(ctx); /* a blocking read waits for the queue */
    cl_int err = clEnqueueReadBuffer(ct_context_queue(ctx), t->buf, CL_TRUE, t->offset * sizeof(float),
                                     ct_tensor_count(t) * sizeof(float), host, 0, NULL, NULL);
    return err == CL_SUCCESS ? CT_OK : ct_cl_fail(err, "reading a tensor from the device");
}

const char *ct_shape_str(int ndim, const size_t *shape, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    used += (size_t)snprintf(buf, size, "(");
    for (int i = 0; i < ndim && used < size; i++)
        used += (size_t)snprintf(buf + used, size - used, "%s%zu", i ? ", " : "", shape[i]);
    if (used < size)
        snprintf(buf + used, size - used, ")");
    return buf;
}
