/* Shared by the ONNX runner's files: node attributes, host tensor helpers
 * and the operator table (onnx_ops.c). Not a public interface. */
#ifndef CLTRAIN_ONNX_INTERNAL_H
#define CLTRAIN_ONNX_INTERNAL_H

#include <stdbool.h>

#include "onnx.pb-c.h"
#include "onnx/onnx_model.h"

/* ------------------------------------------------------------- attributes */
const Onnx__AttributeProto *ct_onnx_attr(const Onnx__NodeProto *n, const char *name);
int64_t ct_onnx_attr_i(const Onnx__NodeProto *n, const char *name, int64_t fallback);
float ct_onnx_attr_f(const Onnx__NodeProto *n, const char *name, float fallback);
/* The ints of an INTS attribute (count in *count; NULL when absent). */
const int64_t *ct_onnx_attr_ints(const Onnx__NodeProto *n, const char *name, size_t *count);
/* A STRING attribute as text (static buffer per call site is the caller's). */
bool ct_onnx_attr_s(const Onnx__NodeProto *n, const char *name, char *buf, size_t size);

/* CT_ERR_UNSUPPORTED "node 'NAME' (OP): WHAT"; the model's file name is added by the caller. */
ct_status ct_onnx_unsupported(const Onnx__NodeProto *n, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* ----------------------------------------------------------- host tensors */
ct_status ct_onnx_tensor_copy(const ct_onnx_tensor *src, ct_onnx_tensor *dst);
/* TensorProto to a host tensor (float32 or int64; else CT_ERR_UNSUPPORTED). */
ct_status ct_onnx_tensor_from_proto(const Onnx__TensorProto *p, ct_onnx_tensor *out);
/* dst = src with its axes permuted: dst.dims[i] = src.dims[perm[i]]. */
ct_status ct_onnx_transpose(const ct_onnx_tensor *src, const int *perm, ct_onnx_tensor *dst);
/* numpy broadcasting of a's shape with b's; CT_ERR_SHAPE when they do not. */
ct_status ct_onnx_broadcast_shape(const ct_onnx_tensor *a, const ct_onnx_tensor *b, int *ndim, int64_t *dims);
/* src expanded to (ndim, dims) by broadcasting (float). */
ct_status ct_onnx_expand(const ct_onnx_tensor *src, int ndim, const int64_t *dims, ct_onnx_tensor *dst);

/* ------------------------------------------------------------- operators */
typedef struct {
    const Onnx__NodeProto *node;
    int64_t opset;
    ct_context *ctx;
    const ct_onnx_tensor **in; /* node->n_input entries; NULL for an omitted optional input */
    ct_onnx_tensor *out;       /* node->n_output entries, zeroed; the op fills them */
} ct_onnx_call;

typedef struct {
    const char *op_type;
    const char *const *attributes; /* every attribute the op understands; NULL-terminated */
    int min_inputs, max_inputs, max_outputs;
    /* Static checks of the node's attributes (no shapes); NULL: none. */
    ct_status (*check)(const Onnx__NodeProto *node, int64_t opset);
    ct_status (*run)(const ct_onnx_call *call);
} ct_onnx_op;

const ct_onnx_op *ct_onnx_find_op(const char *op_type);
/* "Add, AveragePool, ..." for messages. */
const char *ct_onnx_supported_ops(void);

#endif
