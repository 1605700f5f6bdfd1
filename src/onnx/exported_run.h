/* A finished run read for export, on the host (no device): its experiment,
 * CSV standardisation, model plan and weights, each weight checked against
 * the layer that owns it. Shared by the ONNX and Keras exporters. */
#ifndef CLTRAIN_ONNX_EXPORTED_RUN_H
#define CLTRAIN_ONNX_EXPORTED_RUN_H

#include <stdbool.h>

#include "cltrain/experiment.h"
#include "cltrain/model.h"
#include "cltrain/report.h"


typedef struct {
    const char *run_dir;
    ct_experiment *exp;
    ct_feature_columns features; /* CSV models (features.csv); count 0 for images */
    ct_model_plan plan;
    ct_named_tensor *weights;
    size_t n_weights;
} ct_exported_run;

/* Read run_dir's config.yaml, features.csv (CSV data) and weights.bin.
 * Errors name the file; release with ct_exported_run_close (also after a
 * failure). */
ct_status ct_exported_run_open(const char *run_dir, ct_exported_run *r);
void ct_exported_run_close(ct_exported_run *r);

/* weights.bin's tensor "layer/what" of the expected shape: CT_ERR_SHAPE or
 * CT_ERR_DATA naming the tensor and the layer otherwise. */
ct_status ct_exported_run_weight(const ct_exported_run *r, const char *layer, const char *what, int ndim,
                                 const size_t *shape, const float **data);
bool ct_exported_run_has_weight(const ct_exported_run *r, const char *layer, const char *what);

/* The loss is a classifier's (the model's outputs are class scores). */
bool ct_exported_run_classifies(const ct_exported_run *r);

#endif
