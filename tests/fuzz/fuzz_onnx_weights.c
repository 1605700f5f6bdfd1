/* init.from's ONNX reader (src/onnx/import_onnx.c, weights_import.c): the
 * graph walk, the initializers and their layout conversion against a small
 * model with every weighted kind (Conv2D, Flatten, Dense, BatchNormalization).
 * Seeds (tests/fuzz/seeds/onnx_weights/): a cltrain export of another model,
 * and two files of this model's shapes made with the onnx package, laid out
 * as PyTorch (NCHW, Conv, Flatten, Gemm transB=1, MatMul) and tf2onnx
 * (Transposes around the Conv, Reshape, MatMul + Add) export them, so that
 * mutations reach the layout conversions as well as the mismatch errors. */
#include <string.h>

#include "cltrain/model.h"
#include "fuzz_util.h"
#include "onnx/weights_import.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static ct_layer_spec layers[5];
    static ct_model_spec spec = {layers, 5};
    memset(layers, 0, sizeof layers);
    layers[0].kind = CT_LAYER_CONV2D;
    layers[0].conv2d = (ct_conv2d_spec){.filters = 2, .kernel_size = {3, 3}, .strides = {1, 1}, .use_bias = true};
    layers[1].kind = CT_LAYER_FLATTEN;
    layers[2].kind = CT_LAYER_DENSE;
    layers[2].dense = (ct_dense_spec){.units = 3, .use_bias = true};
    layers[3].kind = CT_LAYER_BATCH_NORMALIZATION;
    layers[3].batch_normalization = (ct_batch_norm_spec){.momentum = 0.99, .epsilon = 1e-3, .center = true};
    layers[4].kind = CT_LAYER_DENSE;
    layers[4].dense = (ct_dense_spec){.units = 1, .use_bias = false};
    size_t in[3] = {4, 4, 1};
    ct_model_plan plan;
    if (ct_model_plan_create(&spec, 3, in, &plan) != CT_OK)
        return 0;
    ct_named_tensor *tensors = NULL;
    size_t n = 0;
    ct_feature_columns standardization;
    ct_status s = ct_weights_import(fuzz_file("w.onnx", data, size), &plan, &tensors, &n, &standardization);
    fuzz_expect_message(s);
    if (s == CT_OK) {
        ct_weights_free(tensors, n);
        ct_feature_columns_free(&standardization);
    }
    ct_model_plan_free(&plan);
    return 0;
}
