/* Sequential models: layers from an experiment's model spec, with shape
 * inference, Keras-identical parameter counts and summary, parameters and
 * activations on the device, forward and backward passes.
 *
 * Two stages:
 *   ct_model_plan   host only: names, output shapes, parameter counts and the
 *                   summary table, so `cltrain check` can show them without a
 *                   device;
 *   ct_model        the plan realised on a device (model_device.c). */
#ifndef CLTRAIN_MODEL_H
#define CLTRAIN_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "cltrain/experiment.h"
#include "cltrain/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CT_LAYER_NAME_MAX 64

/* One layer of a plan. Shapes are per sample (no batch axis). */
typedef struct {
    const ct_layer_spec *spec; /* points into the caller's model spec */
    char name[CT_LAYER_NAME_MAX];  /* "dense_1": the spec's name or Keras' automatic one */
    int in_ndim, out_ndim;
    size_t in_shape[3], out_shape[3];
    size_t params;           /* all parameters, as Keras' "Param #" */
    size_t trainable_params; /* BatchNormalization's moving statistics are not trainable */
} ct_layer_plan;

typedef struct {
    ct_layer_plan *layers;
    size_t layer_count;
    int in_ndim;
    size_t in_shape[3];
    size_t total_params, trainable_params;
} ct_model_plan;

/* Infer shapes and parameter counts for a per-sample input shape (e.g. {89}
 * for 89 features, {32, 32, 3} for CIFAR-10). Errors name the layer
 * ("model[3] dense_1: expects a flat input, got (None, 28, 28, 32): add a
 * flatten layer before it"). Release with ct_model_plan_free(). */
ct_status ct_model_plan_create(const ct_model_spec *spec, int in_ndim, const size_t *in_shape,
                               ct_model_plan *out);
void ct_model_plan_free(ct_model_plan *plan);

/* Keras 3 `model.summary()` as text (malloc'd; free it). */
ct_status ct_model_plan_summary(const ct_model_plan *plan, const char *model_name, char **text);

/* Keras class name of a layer kind: "Dense", "Conv2D", "MaxPooling2D", ... */
const char *ct_layer_class_name(ct_layer_kind kind);

#ifdef __cplusplus
}
#endif
#endif
