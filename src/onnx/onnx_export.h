/* `cltrain export RUN_DIR --format onnx`: a finished run's model as an ONNX
 * file that onnxruntime, OpenCV and the other ONNX runtimes can execute.
 *
 * The model uses opset CT_ONNX_OPSET (13; IR version 7) of the default
 * domain and only these operators: Gemm, Conv, MaxPool, AveragePool,
 * GlobalAveragePool, GlobalMaxPool,
 * BatchNormalization, Dropout, Flatten, Transpose, Relu, Sigmoid, Tanh,
 * Softmax, LeakyRelu, Elu, Selu, Softplus, Erf, Mul, Add, Sub, Div (gelu
 * and silu are composed of Erf or Sigmoid, Mul and Add). Inference semantics: BatchNormalization
 * uses the moving statistics, Dropout is the identity (opset 13's Dropout
 * with no training_mode input).
 *
 * Inputs and outputs, batch dimension "N":
 *   CSV models    "input" (N, F): the raw feature columns of features.csv,
 *                 in its order; the graph standardises them itself
 *                 ((x - mean) / scale as Sub and Div nodes, the mean
 *                 as two floats so that float32 matches cltrain's double);
 *   image models  "input" (N, 32, 32, 3), channels last as cltrain and Keras
 *                 hold images, pixel values as training saw them; the graph
 *                 transposes to ONNX's NCHW for Conv and pooling and back
 *                 before Flatten, so Dense kernels keep Keras' order;
 *   output        "output": what `cltrain predict` gives. Regression: the
 *                 output values. Classifiers: "probabilities"; a model
 *                 trained with from_logits gets a final Softmax (Sigmoid for
 *                 one unit: P(class 1)).
 * metadata_props record what a runtime needs to feed the model:
 * cltrain.input_columns (CSV column names, one a line), cltrain.classes
 * (class names, one a line), cltrain.input_layout (NHWC for images),
 * cltrain.output (values or probabilities). */
#ifndef CLTRAIN_ONNX_EXPORT_H
#define CLTRAIN_ONNX_EXPORT_H

#include "cltrain/status.h"

#define CT_ONNX_OPSET 13

/* Write run_dir's model (config.yaml, weights.bin, features.csv for CSV
 * data, summary.yaml's class names when present) to out_path, atomically.
 * Needs no device. Errors name the file: a missing weights.bin, a tensor
 * missing or of the wrong shape for its layer, an unwritable out_path. */
ct_status ct_onnx_export_run(const char *run_dir, const char *out_path);

#endif
