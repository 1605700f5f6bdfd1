/* Shared by the init.from readers (import_keras.c, import_onnx.c) and the
 * matcher (weights_import.c): the weighted layers a file holds, in the
 * file's own layout. Not a public interface. */
#ifndef CLTRAIN_ONNX_WEIGHTS_IMPORT_INTERNAL_H
#define CLTRAIN_ONNX_WEIGHTS_IMPORT_INTERNAL_H

#include <stdbool.h>

#include "onnx/onnx_model.h" /* ct_onnx_tensor */
#include "onnx/weights_import.h"

#define IMPORT_MAX_VARS 4

typedef struct {
    char name[192];    /* how the file names it: "layers/dense_1", "node 'fc1' (Gemm)" */
    ct_layer_kind kind; /* Dense, Conv2D or BatchNormalization */
    ct_onnx_tensor vars[IMPORT_MAX_VARS];
    size_t n_vars;
    bool onnx;        /* ONNX layouts: Conv (O, I, KH, KW); BN always scale, B, mean, var */
    bool trans_b;     /* ONNX Gemm transB=1: the kernel is (out, in) */
    bool chw_flatten; /* ONNX: a Dense reading a Flatten of a channels-first value */
} import_layer;

typedef struct {
    import_layer *layers;
    size_t count;
} import_list;

ct_status import_list_add(import_list *list, import_layer **out);
void import_list_free(import_list *list);

/* Keras' group name of plan layer i: its class in snake case, numbered among
 * the model's layers of that class ("dense", "dense_1"), as Keras 3's
 * saving walks a model's layers. */
void ct_keras_group_name(const ct_model_plan *plan, size_t i, char *buf, size_t size);

/* .weights.h5: one entry per weighted layer of plan, in order (kind from
 * the plan, variables as Keras stored them). */
ct_status ct_import_keras(const char *path, const ct_model_plan *plan, import_list *out);

/* .onnx: the weighted nodes in graph order; the standardisation of a
 * cltrain export of a CSV model into *standardization. */
ct_status ct_import_onnx(const char *path, import_list *out, ct_feature_columns *standardization);

/* The same from bytes already read (the fuzz harness). */
ct_status ct_import_onnx_bytes(const char *path, const uint8_t *bytes, size_t len, import_list *out,
                               ct_feature_columns *standardization);

#endif
