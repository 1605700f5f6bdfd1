/* `cltrain predict model.onnx INPUT...`: an ONNX model (onnx_model.h) on
 * CSV rows or images, with the predictions in the shape of run/predict.h's.
 *
 * CSV rows: a model exported by cltrain lists its input columns in the
 * metadata cltrain.input_columns; they are found by name (other columns are
 * ignored: the file may hold the target and dropped columns, as training's
 * did). A model without that list reads every column of the file, in file
 * order, and the count must match its input's last dimension. Raw values:
 * such a model standardises its input itself.
 *
 * Images: a rank-4 input is an image model, NHWC when the metadata says so
 * (cltrain.input_layout, cltrain's exports) or the last dimension is 3,
 * else NCHW; each PNG/JPEG is resized to the declared height and width,
 * pixels in [0, 1].
 *
 * Outputs: the model's first output, n x width. The model classifies when
 * its metadata cltrain.output is "probabilities"; class names come from
 * cltrain.classes (else "0", "1", ...). */
#ifndef CLTRAIN_ONNX_PREDICT_H
#define CLTRAIN_ONNX_PREDICT_H

#include <stdbool.h>

#include "onnx/onnx_model.h"

/* The predictions for one input file (as run/predict.h's ct_prediction;
 * onnx/ is that folder's peer and does not use it). */
typedef struct {
    bool image;    /* an image (one prediction), else CSV rows */
    size_t n;      /* predictions */
    size_t width;  /* values per prediction */
    float *values; /* n x width: output values, or class probabilities */
    size_t *rows;  /* n: data row of each CSV prediction (0-based, header excluded); NULL for an image */
} ct_onnx_prediction;

void ct_onnx_prediction_free(ct_onnx_prediction *pr); /* zeroes it; a zeroed one is fine */
/* Index of the most probable class of prediction i (classifiers). */
size_t ct_onnx_prediction_class(const ct_onnx_prediction *pr, size_t i);

typedef struct ct_onnx_predictor ct_onnx_predictor;

/* Load the model (every node checked: an unsupported one fails here,
 * named, before any input is read). ctx is borrowed. */
ct_status ct_onnx_predictor_open(const char *path, ct_context *ctx, ct_onnx_predictor **out);
void ct_onnx_predictor_free(ct_onnx_predictor *p);

bool ct_onnx_predictor_takes_images(const ct_onnx_predictor *p);
bool ct_onnx_predictor_classifies(const ct_onnx_predictor *p);
/* Name of class c: from the metadata, else its number. */
const char *ct_onnx_predictor_class_name(const ct_onnx_predictor *p, size_t c);

/* Predict for one CSV file or image, as the model takes it. */
ct_status ct_onnx_predict_file(ct_onnx_predictor *p, const char *path, ct_onnx_prediction *out);

#endif
