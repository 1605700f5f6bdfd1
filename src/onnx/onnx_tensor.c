/* Host tensors of the ONNX runner: from TensorProto, transposed, broadcast;
 * node attributes. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fs.h" /* ct_read_file */
#include "onnx/onnx_internal.h"

/* ------------------------------------------------------------- attributes */

const Onnx__AttributeProto *ct_onnx_attr(const Onnx__NodeProto *n, const char *name)
{
    for (size_t i = 0; i < n->n_attribute; i++)
        if (n->attribute[i]->name && !strcmp(n->attribute[i]->name, name))
            return n->attribute[i];
    return NULL;
}

int64_t ct_onnx_attr_i(const Onnx__NodeProto *n, const char *name, int64_t fallback)
{
    const Onnx__AttributeProto *a = ct_onnx_attr(n, name);
    return a && a->has_i ? a->i : fallback;
}

float ct_onnx_attr_f(const Onnx__NodeProto *n, const char *name, float fallback)
{
    const Onnx__AttributeProto *a = ct_onnx_attr(n, name);
    return a && a->has_f ? a->f : fallback;
}

const int64_t *ct_onnx_attr_ints(const Onnx__NodeProto *n, const char *name, size_t *count)
{
    const Onnx__AttributeProto *a = ct_onnx_attr(n, name);
    *count = a ? a->n_ints : 0;
    return a && a->n_ints ? a->ints : NULL;
}

bool ct_onnx_attr_s(const Onnx__NodeProto *n, const char *name, char *buf, size_t size)
{
    const Onnx__AttributeProto *a = ct_onnx_attr(n, name);
    if (!a || !a->has_s)
        return false;
    size_t len = a->s.len < size - 1 ? a->s.len : size - 1;
    memcpy(buf, a->s.data, len);
    buf[len] = '\0';
    return true;
}

ct_status ct_onnx_unsupported(const Onnx__NodeProto *n, const char *fmt, ...)
{
    char what[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return ct_fail(CT_ERR_UNSUPPORTED, "node '%s' (%s): %s", n->name && *n->name ? n->name : "(unnamed)",
                   n->op_type ? n->op_type : "?", what);
}

/* ----------------------------------------------------------- host tensors */

size_t ct_onnx_tensor_count(const ct_onnx_tensor *t)
{
    size_t n = 1;
    for (int d = 0; d < t->ndim; d++)
        n *= (size_t)t->dims[d];
    return n;
}

void ct_onnx_tensor_free(ct_onnx_tensor *t)
{
    if (!t)
        return;
    free(t->f);
    free(t->i);
    memset(t, 0, sizeof *t);
}

ct_status ct_onnx_tensor_alloc(ct_onnx_tensor *t, int ndim, const int64_t *dims, int is_int64)
{
    memset(t, 0, sizeof *t);
    if (ndim < 0 || ndim > CT_ONNX_MAX_DIMS)
        return ct_fail(CT_ERR_UNSUPPORTED, "a tensor of rank %d (at most %d)", ndim, CT_ONNX_MAX_DIMS);
    /* A model file sets these numbers: a product past 2^31 values (8 GiB of
     * floats) is refused before it can overflow. */
    size_t n = 1;
    for (int d = 0; d < ndim; d++) {
        if (dims[d] < 0)
            return ct_fail(CT_ERR_SHAPE, "a negative dimension %lld", (long long)dims[d]);
        if (dims[d] > (int64_t)1 << 31 || (dims[d] && n > ((size_t)1 << 31) / (size_t)dims[d]))
            return ct_fail(CT_ERR_UNSUPPORTED, "a tensor of more than 2^31 values");
        n *= (size_t)dims[d];
    }
    t->ndim = ndim;
    for (int d = 0; d < ndim; d++)
        t->dims[d] = dims[d];
    t->is_int64 = is_int64;
    if (is_int64)
        t->i = calloc(n ? n : 1, sizeof *t->i);
    else
        t->f = calloc(n ? n : 1, sizeof *t->f);
    if (is_int64 ? !t->i : !t->f)
        return ct_fail(CT_ERR_NO_MEMORY, "out of memory for a tensor of %zu values", n);
    return CT_OK;
}

ct_status ct_onnx_tensor_copy(const ct_onnx_tensor *src, ct_onnx_tensor *dst)
{
    CT_TRY(ct_onnx_tensor_alloc(dst, src->ndim, src->dims, src->is_int64));
    size_t n = ct_onnx_tensor_count(src);
    if (src->is_int64)
        memcpy(dst->i, src->i, n * sizeof *dst->i);
    else
        memcpy(dst->f, src->f, n * sizeof *dst->f);
    return CT_OK;
}

static const char *type_name(int32_t t)
{
    static const char *const names[] = {"undefined", "float", "uint8",  "int8",      "uint16",    "int16",
                                        "int32",     "int64", "string", "bool",      "float16",   "double",
                                        "uint32",    "uint64", "complex64", "complex128", "bfloat16"};
    return t >= 0 && t < (int32_t)(sizeof names / sizeof names[0]) ? names[t] : "unknown";
}

ct_status ct_onnx_tensor_from_proto(const Onnx__TensorProto *p, ct_onnx_tensor *out)
{
    memset(out, 0, sizeof *out);
    int32_t type = p->has_data_type ? p->data_type : 0;
    int is_int64 = type == ONNX__TENSOR_PROTO__DATA_TYPE__INT64;
    if (type != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT && !is_int64)
        return ct_fail(CT_ERR_UNSUPPORTED, "tensor '%s' of type %s (cltrain computes in float32)",
                       p->name ? p->name : "", type_name(type));
    if (p->has_data_location && p->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL)
        return ct_fail(CT_ERR_UNSUPPORTED, "tensor '%s' keeps its data in an external file", p->name ? p->name : "");
    if (p->n_dims > CT_ONNX_MAX_DIMS)
        return ct_fail(CT_ERR_UNSUPPORTED, "tensor '%s' of rank %zu (at most %d)", p->name ? p->name : "",
                       p->n_dims, CT_ONNX_MAX_DIMS);
    CT_TRY(ct_onnx_tensor_alloc(out, (int)p->n_dims, p->dims, is_int64));
    size_t n = ct_onnx_tensor_count(out), elem = is_int64 ? 8 : 4;
    size_t have = p->has_raw_data ? p->raw_data.len / elem : is_int64 ? p->n_int64_data : p->n_float_data;
    if (have != n || (p->has_raw_data && p->raw_data.len % elem)) {
        ct_onnx_tensor_free(out);
        return ct_fail(CT_ERR_PARSE, "tensor '%s': %zu values for a shape of %zu", p->name ? p->name : "", have, n);
    }
    /* raw_data is little-endian, as the hosts cltrain runs on. */
    if (p->has_raw_data)
        memcpy(is_int64 ? (void *)out->i : (void *)out->f, p->raw_data.data, n * elem);
    else if (is_int64)
        memcpy(out->i, p->int64_data, n * elem);
    else
        memcpy(out->f, p->float_data, n * elem);
    return CT_OK;
}

ct_status ct_onnx_tensor_read(const char *path, ct_onnx_tensor *out)
{
    memset(out, 0, sizeof *out);
    char *bytes = NULL;
    size_t len = 0;
    CT_TRY(ct_read_file(path, &bytes, &len));
    Onnx__TensorProto *p = onnx__tensor_proto__unpack(NULL, len, (const uint8_t *)bytes);
    free(bytes);
    if (!p)
        return ct_fail(CT_ERR_PARSE, "%s: not a serialized ONNX TensorProto", path);
    ct_status s = ct_onnx_tensor_from_proto(p, out);
    onnx__tensor_proto__free_unpacked(p, NULL);
    if (s != CT_OK)
        return ct_fail_context(s, "%s", path);
    return CT_OK;
}

/* Row-major strides of a shape. */
static void strides_of(int ndim, const int64_t *dims, size_t *strides)
{
    size_t s = 1;
    for (int d = ndim - 1; d >= 0; d--) {
        strides[d] = s;
        s *= (size_t)dims[d];
    }
}

ct_status ct_onnx_transpose(const ct_onnx_tensor *src, const int *perm, ct_onnx_tensor *dst)
{
    memset(dst, 0, sizeof *dst);
    int seen = 0;
    for (int d = 0; d < src->ndim; d++) {
        if (perm[d] < 0 || perm[d] >= src->ndim || (seen >> perm[d]) & 1)
            return ct_fail(CT_ERR_SHAPE, "perm is not a permutation of the %d axes", src->ndim);
        seen |= 1 << perm[d];
    }
    int64_t dims[CT_ONNX_MAX_DIMS];
    for (int d = 0; d < src->ndim; d++)
        dims[d] = src->dims[perm[d]];
    CT_TRY(ct_onnx_tensor_alloc(dst, src->ndim, dims, src->is_int64));
    size_t sstride[CT_ONNX_MAX_DIMS], n = ct_onnx_tensor_count(src);
    strides_of(src->ndim, src->dims, sstride);
    size_t idx[CT_ONNX_MAX_DIMS] = {0};
    for (size_t o = 0; o < n; o++) { /* walk dst in order, gather from src */
        size_t from = 0;
        for (int d = 0; d < src->ndim; d++)
            from += idx[d] * sstride[perm[d]];
        if (src->is_int64)
            dst->i[o] = src->i[from];
        else
            dst->f[o] = src->f[from];
        for (int d = src->ndim - 1; d >= 0; d--) {
            if (++idx[d] < (size_t)dims[d])
                break;
            idx[d] = 0;
        }
    }
    return CT_OK;
}

ct_status ct_onnx_broadcast_shape(const ct_onnx_tensor *a, const ct_onnx_tensor *b, int *ndim, int64_t *dims)
{
    int n = a->ndim > b->ndim ? a->ndim : b->ndim;
    for (int d = 0; d < n; d++) {
        int da = d - (n - a->ndim), db = d - (n - b->ndim);
        int64_t x = da >= 0 ? a->dims[da] : 1, y = db >= 0 ? b->dims[db] : 1;
        if (x != y && x != 1 && y != 1)
            return ct_fail(CT_ERR_SHAPE, "shapes do not broadcast: dimension %d is %lld and %lld", d, (long long)x,
                           (long long)y);
        dims[d] = x == 1 ? y : x;
    }
    *ndim = n;
    return CT_OK;
}

ct_status ct_onnx_expand(const ct_onnx_tensor *src, int ndim, const int64_t *dims, ct_onnx_tensor *dst)
{
    memset(dst, 0, sizeof *dst);
    if (src->is_int64)
        return ct_fail(CT_ERR_UNSUPPORTED, "an int64 operand (float32 only)");
    if (src->ndim > ndim)
        return ct_fail(CT_ERR_SHAPE, "a tensor of rank %d does not broadcast to rank %d", src->ndim, ndim);
    for (int d = 0; d < src->ndim; d++)
        if (src->dims[d] != 1 && src->dims[d] != dims[d + ndim - src->ndim])
            return ct_fail(CT_ERR_SHAPE, "dimension %lld does not broadcast to %lld", (long long)src->dims[d],
                           (long long)dims[d + ndim - src->ndim]);
    CT_TRY(ct_onnx_tensor_alloc(dst, ndim, dims, 0));
    size_t sstride[CT_ONNX_MAX_DIMS] = {0}, n = ct_onnx_tensor_count(dst), own[CT_ONNX_MAX_DIMS];
    strides_of(src->ndim, src->dims, own);
    for (int d = 0; d < ndim; d++) { /* a broadcast axis has stride 0 */
        int ds = d - (ndim - src->ndim);
        sstride[d] = ds >= 0 && src->dims[ds] != 1 ? own[ds] : 0;
    }
    size_t idx[CT_ONNX_MAX_DIMS] = {0};
    for (size_t o = 0; o < n; o++) {
        size_t from = 0;
        for (int d = 0; d < ndim; d++)
            from += idx[d] * sstride[d];
        dst->f[o] = src->f[from];
        for (int d = ndim - 1; d >= 0; d--) {
            if (++idx[d] < (size_t)dims[d])
                break;
            idx[d] = 0;
        }
    }
    return CT_OK;
}
