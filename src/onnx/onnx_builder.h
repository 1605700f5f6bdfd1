/* Writing ONNX models: a graph built node by node into the protobuf-c
 * structs that protoc-c generated from Debian's onnx.proto, then packed by
 * libprotobuf-c (no hand-written wire format).
 *
 * Every string and array belongs to the builder; a failed allocation is
 * remembered and reported by ct_onnx_builder_write, so callers build without
 * checking each step. Tensors are float32, written as raw_data
 * (little-endian, as the ONNX spec requires). */
#ifndef CLTRAIN_ONNX_BUILDER_H
#define CLTRAIN_ONNX_BUILDER_H

#include <stddef.h>
#include <stdint.h>

#include "cltrain/status.h"
#include "onnx.pb-c.h"

typedef struct ct_onnx_builder ct_onnx_builder;

/* A model of the default ("ai.onnx") domain at `opset`. */
ct_status ct_onnx_builder_create(const char *graph_name, int64_t opset, ct_onnx_builder **out);
void ct_onnx_builder_free(ct_onnx_builder *b); /* NULL is fine */

/* Model-level text: producer, doc string, metadata_props entries. */
void ct_onnx_set_producer(ct_onnx_builder *b, const char *name, const char *version);
void ct_onnx_set_doc(ct_onnx_builder *b, const char *doc);
void ct_onnx_add_metadata(ct_onnx_builder *b, const char *key, const char *value);

/* A float32 graph input or output; a dimension < 0 is the symbolic batch
 * dimension "N". */
void ct_onnx_add_input(ct_onnx_builder *b, const char *name, int ndim, const int64_t *dims);
void ct_onnx_add_output(ct_onnx_builder *b, const char *name, int ndim, const int64_t *dims);

/* A float32 initializer (copied) / an int64 one (shapes, axes). */
void ct_onnx_add_float_tensor(ct_onnx_builder *b, const char *name, int ndim, const int64_t *dims,
                              const float *data);
void ct_onnx_add_int64_tensor(ct_onnx_builder *b, const char *name, int ndim, const int64_t *dims,
                              const int64_t *data);

/* A node op_type(inputs) -> outputs; NULL-terminated name lists. An empty
 * input name ("") is an omitted optional input. Returns the node for its
 * attributes (NULL after an allocation failure, which the attribute
 * functions accept). */
Onnx__NodeProto *ct_onnx_add_node(ct_onnx_builder *b, const char *op_type, const char *name,
                                  const char *const *inputs, const char *const *outputs);
void ct_onnx_node_int(ct_onnx_builder *b, Onnx__NodeProto *node, const char *name, int64_t value);
void ct_onnx_node_float(ct_onnx_builder *b, Onnx__NodeProto *node, const char *name, float value);
void ct_onnx_node_ints(ct_onnx_builder *b, Onnx__NodeProto *node, const char *name, size_t n,
                       const int64_t *values);

/* A fresh value name "prefix" or "prefix_N", unique within the builder. */
const char *ct_onnx_unique_name(ct_onnx_builder *b, const char *prefix);

/* Pack the model and write it atomically to path. CT_ERR_NO_MEMORY when any
 * step ran out of memory, CT_ERR_IO naming the file. */
ct_status ct_onnx_builder_write(ct_onnx_builder *b, const char *path);

#endif
