/* init.from: a model's starting weights read from a Keras 3 .weights.h5 or
 * an .onnx file, matched to the model's plan and converted to cltrain's
 * layouts (`cltrain run`, `cltrain evaluate EXPERIMENT.yaml`, `cltrain
 * check`). Host only: the result is tensors named and shaped as the model's
 * own ("dense_1/kernel", "batch_normalization/moving_mean"), for the run to
 * write into the model on its device.
 *
 * Matching: the model's weighted layers (Dense, Conv2D, BatchNormalization)
 * are taken in order, input to output.
 *   .weights.h5  Keras 3 names a layer's group by its class and its place
 *                among the model's layers of that class (layers/dense,
 *                layers/dense_1, layers/conv2d, layers/batch_normalization,
 *                ...), not by the layer's name: the same group is read here.
 *                Variables as Keras writes them: Dense and Conv2D kernel then
 *                bias (without use_bias, the kernel alone); BatchNormalization
 *                gamma (scale), beta (center), moving_mean, moving_variance.
 *                A group with variables that no layer of the model takes is
 *                an error (Keras' "a layer ... has no weights to load").
 *   .onnx        the weighted nodes in graph order: Gemm and MatMul (with
 *                a following Add of a constant as the bias) for Dense, Conv
 *                for Conv2D, BatchNormalization; weights are the nodes'
 *                initializers. The i-th weighted node feeds the i-th weighted
 *                layer; its kind must be the layer's.
 * Layouts: Keras' are cltrain's (channels_last images, Dense kernels
 * (in, out), Conv2D kernels (KH, KW, Cin, Cout), Flatten in (H, W, C)
 * order). From ONNX: Conv weights (O, I, KH, KW) are transposed to (KH, KW,
 * I, O); a Gemm with transB=1 (PyTorch's nn.Linear, weight (out, in)) is
 * transposed to (in, out); and a Dense after a Flatten of a channels-first
 * (N, C, H, W) value (PyTorch's torch.flatten after a Conv) has its kernel
 * rows reordered from (C, H, W) to cltrain's (H, W, C). The file's
 * hyperparameters (strides, padding, activations, epsilon) are not read:
 * the experiment's apply.
 *
 * Errors name the file and both layers ("model.onnx: layer dense_1 (Dense,
 * model[4]) and node 'fc1' (Gemm): kernel of shape (120, 10) expected,
 * the file has (84, 10)"). */
#ifndef CLTRAIN_ONNX_WEIGHTS_IMPORT_H
#define CLTRAIN_ONNX_WEIGHTS_IMPORT_H

#include "cltrain/model.h"
#include "cltrain/report.h" /* ct_named_tensor, ct_feature_columns */

/* Read path (by its extension: .h5 is Keras, .onnx ONNX) for plan. On
 * success *tensors holds every stored tensor of the model (ct_model_tensor
 * names; release with ct_weights_free), and *standardization, when the file
 * is a cltrain ONNX export of a CSV model, the feature columns and the
 * mean / scale its graph standardises with (count 0 otherwise; release with
 * ct_feature_columns_free). Errors: CT_ERR_IO / CT_ERR_NOT_FOUND (cannot
 * read), CT_ERR_PARSE (not such a file), CT_ERR_SHAPE (layers do not
 * match), CT_ERR_UNSUPPORTED (a layer the import cannot map). */
ct_status ct_weights_import(const char *path, const ct_model_plan *plan, ct_named_tensor **tensors, size_t *n,
                            ct_feature_columns *standardization);

#endif
