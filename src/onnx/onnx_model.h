/* Running ONNX models on cltrain's device ops (`cltrain predict model.onnx`,
 * and ONNX's own node conformance tests in tests/test_onnx_conformance.c).
 *
 * Supported operators (default domain, float32 tensors): Gemm, MatMul, Add,
 * Sub, Mul, Div, Conv, MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool, Relu,
 * LeakyRelu, Elu, Selu, Softplus, Erf, Sigmoid, Tanh, Softmax, BatchNormalization (inference),
 * Dropout (inference), Flatten, Reshape, Transpose, Identity, Constant: what cltrain's
 * own export writes and what common exporters write for such networks.
 *
 * Arithmetic runs on the device through src/ops and src/gemm: ONNX's NCHW
 * images are transposed to cltrain's NHWC around Conv, pooling and
 * BatchNormalization; explicit pads are applied by padding the input (zeros
 * for Conv and AveragePool, -inf for MaxPool) before a 'valid' window op;
 * AveragePool's divisor (count_include_pad, ceil_mode) is a per-position
 * factor multiplied on the device; LeakyRelu and Elu with any alpha are
 * composed of relu, scale and add; Div multiplies by the divisor's
 * reciprocal. Layout (Transpose, Reshape, Flatten, broadcasting) happens on
 * the host between nodes, where values are kept.
 *
 * Loading checks every node before anything runs: an operator, attribute,
 * input or output cltrain does not support fails with CT_ERR_UNSUPPORTED
 * naming the node and what is missing ("model.onnx: node 'conv_3' (Conv):
 * attribute group = 2 is not supported (only 1)"). Conditions that depend on
 * shapes (a 3-D Conv, a MatMul broadcast) fail the same way at run time,
 * before that node computes anything. */
#ifndef CLTRAIN_ONNX_MODEL_H
#define CLTRAIN_ONNX_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "cltrain/device.h"
#include "cltrain/status.h"

#define CT_ONNX_MAX_DIMS 8

/* A host tensor: float32, or int64 (shapes for Reshape). */
typedef struct {
    int ndim;
    int64_t dims[CT_ONNX_MAX_DIMS];
    int is_int64;
    float *f;   /* when !is_int64 */
    int64_t *i; /* when is_int64 */
} ct_onnx_tensor;

size_t ct_onnx_tensor_count(const ct_onnx_tensor *t);
/* A zero-filled tensor of that shape (float32, or int64). */
ct_status ct_onnx_tensor_alloc(ct_onnx_tensor *t, int ndim, const int64_t *dims, int is_int64);
void ct_onnx_tensor_free(ct_onnx_tensor *t); /* zeroes it; a zeroed one is fine */

/* A serialized TensorProto file (the conformance tests' input_0.pb). Only
 * float32 and int64; other types fail with CT_ERR_UNSUPPORTED naming the type. */
ct_status ct_onnx_tensor_read(const char *path, ct_onnx_tensor *out);

typedef struct ct_onnx_model ct_onnx_model;

ct_status ct_onnx_model_load(const char *path, ct_onnx_model **out);
void ct_onnx_model_free(ct_onnx_model *m); /* NULL is fine */

/* The graph inputs that are not initializers, in order, and the outputs. */
size_t ct_onnx_model_input_count(const ct_onnx_model *m);
const char *ct_onnx_model_input_name(const ct_onnx_model *m, size_t i);
/* Declared shape; a symbolic or unknown dimension is -1. */
int ct_onnx_model_input_shape(const ct_onnx_model *m, size_t i, int64_t *dims);
size_t ct_onnx_model_output_count(const ct_onnx_model *m);
/* A metadata_props value, or NULL. */
const char *ct_onnx_model_metadata(const ct_onnx_model *m, const char *key);

/* Run the graph: inputs in ct_onnx_model_input_count order; outputs (as
 * many as ct_onnx_model_output_count) are new host tensors the caller frees. */
ct_status ct_onnx_model_run(ct_onnx_model *m, ct_context *ctx, const ct_onnx_tensor *inputs,
                            ct_onnx_tensor *outputs);

#endif
