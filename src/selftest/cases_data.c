/* Op-table cases for the data ops: 8-bit image rows gathered into float
 * batches (cl/images.cl). The table's inputs are float tensors, so the
 * forward turns the pixel input into bytes and the index input into uint32
 * on the device's own buffers first: what is checked is the kernel. */
#include <stdint.h>
#include <stdlib.h>

#include "cltrain/batch.h"
#include "selftest/families.h"
#include "selftest/ref/ref_data.h"

/* in[0]: pixels (source rows, len); in[1]: indices (output rows); ip[0]:
 * indexed (0: consecutive rows from ip[1]); ip[1]: first; fp[0]: scale. */
static ct_status gather_shape(const ct_optest_case *c, int *ndim, size_t *shape)
{
    *ndim = 2;
    shape[0] = c->in[1].shape[0] - (size_t)c->ip[1];
    shape[1] = c->in[0].shape[1];
    return CT_OK;
}

/* A device buffer holding the tensor's values converted by `to`. */
static ct_status buffer_of(ct_context *ctx, const ct_tensor *t, size_t elem, void (*to)(float, void *), cl_mem *out)
{
    size_t n = ct_tensor_count(t);
    float *host = malloc((n ? n : 1) * sizeof *host);
    unsigned char *bytes = malloc((n ? n : 1) * elem);
    ct_status s = host && bytes ? ct_tensor_read(ctx, t, host) : ct_fail(CT_ERR_NO_MEMORY, "gather_u8_scaled case");
    for (size_t i = 0; s == CT_OK && i < n; i++)
        to(host[i], bytes + i * elem);
    cl_int err = CL_SUCCESS;
    if (s == CT_OK) {
        *out = clCreateBuffer(ct_context_cl(ctx), CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, (n ? n : 1) * elem, bytes,
                              &err);
        if (err != CL_SUCCESS)
            s = ct_cl_fail(err, "gather_u8_scaled case buffer");
    }
    free(host);
    free(bytes);
    return s;
}

static void to_u8(float v, void *out) { *(uint8_t *)out = (uint8_t)v; }
static void to_u32(float v, void *out) { *(uint32_t *)out = (uint32_t)v; }

static ct_status gather_fwd(ct_context *ctx, const ct_optest_case *c, const ct_tensor *in, ct_tensor *out)
{
    cl_mem src = NULL, idx = NULL;
    ct_status s = buffer_of(ctx, &in[0], 1, to_u8, &src);
    if (s == CT_OK && c->ip[0])
        s = buffer_of(ctx, &in[1], 4, to_u32, &idx);
    if (s == CT_OK) /* the indexed form reads idx[first + r]; the other rows first + r */
        s = ct_gather_u8_scaled(ctx, src, in[0].shape[1], idx, (uint32_t)c->ip[1], c->fp[0], out);
    if (s == CT_OK)
        s = ct_context_finish(ctx);
    if (src)
        clReleaseMemObject(src);
    if (idx)
        clReleaseMemObject(idx);
    return s;
}

static void gather_ref(const ct_optest_case *c, const double *const *in, double *out)
{
    size_t rows = c->in[1].shape[0] - (size_t)c->ip[1];
    ref_gather_u8_scaled(rows, c->in[0].shape[1], in[0], c->ip[0] ? in[1] : NULL, (size_t)c->ip[1], c->fp[0], out);
}

static const ct_optest_op op_gather_u8 = {"gather_u8_scaled", gather_shape, gather_fwd, gather_ref, NULL, NULL};

/* pixels 0..255 (integer), indices into the source rows */
#define PIXELS(rows, len) {2, {rows, len}, 0, 256, 1, 0}
#define INDICES(n, below) {1, {n}, 0, below, 1, 0}

static const ct_optest_case cases[] = {
    {&op_gather_u8, "a CIFAR batch, / 255", 2, {PIXELS(50, 3072), INDICES(32, 50)}, {1, 0}, {1.0f / 255}, 1e-12, 0},
    {&op_gather_u8, "odd rows from an offset, x 1", 2, {PIXELS(37, 53), INDICES(29, 37)}, {1, 5}, {1.0f}, 1e-12, 0},
    {&op_gather_u8, "consecutive rows (evaluation)", 2, {PIXELS(41, 97), INDICES(41, 1)}, {0, 7}, {1.0f / 255},
     1e-12, 0},
    {&op_gather_u8, "rows above work-group size", 2, {PIXELS(3, CT_OPTEST_ABOVE_WG), INDICES(5, 3)}, {1, 0},
     {0.5f}, 1e-12, 0},
};
const ct_optest_family ct_optest_family_data = CT_OPTEST_FAMILY("data", cases);
