/* Models: layers from an experiment's model spec, a sequential list or a
 * graph (layers that name their inputs, add and concatenate), with shape
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

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cltrain/model_spec.h"
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
    /* Where the layer's data comes from: earlier layers' indices, or
     * CT_PLAN_DATA for the model's input. One for every layer but add and
     * concatenate; in_shape is the first one's output. */
    size_t *inputs;
    size_t input_count;
} ct_layer_plan;

#define CT_PLAN_DATA ((size_t)-1)

typedef struct {
    ct_layer_plan *layers;
    size_t layer_count;
    int in_ndim;
    size_t in_shape[3];
    size_t total_params, trainable_params;
    /* Some layer names its inputs or merges (Keras' functional API); false:
     * each layer takes the previous one's output, as a Sequential model. */
    bool graph;
} ct_model_plan;

/* Infer shapes and parameter counts for a per-sample input shape (e.g. {89}
 * for 89 features, {32, 32, 3} for CIFAR-10). Errors name the layer
 * ("model[3] dense_1: expects a flat input, got (None, 28, 28, 32): add a
 * flatten layer before it"). Release with ct_model_plan_free(). */
ct_status ct_model_plan_create(const ct_model_spec *spec, int in_ndim, const size_t *in_shape,
                               ct_model_plan *out);
void ct_model_plan_free(ct_model_plan *plan);

/* Floating-point operations of one training sample, estimated: a Dense or
 * Conv2D layer multiplies and adds each parameter once per output position
 * in the forward pass and twice in the backward pass (weight and input
 * gradients), 6 x parameters x positions in all; other layers count nothing. */
double ct_model_plan_train_flops(const ct_model_plan *plan);

/* Keras 3 `model.summary()` as text (malloc'd; free it). A graph model
 * adds an InputLayer row and the "Connected to" column, as Keras does for
 * a functional model. */
ct_status ct_model_plan_summary(const ct_model_plan *plan, const char *model_name, char **text);

/* Keras class name of a layer kind: "Dense", "Conv2D", "MaxPooling2D", ... */
const char *ct_layer_class_name(ct_layer_kind kind);

#ifdef __cplusplus
}
#endif
#endif

/* ================================================================ on a device */
#ifndef CLTRAIN_MODEL_DEVICE_API
#define CLTRAIN_MODEL_DEVICE_API

#include "cltrain/param_arena.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ct_model ct_model;

/* Realise a model on ctx for batches of up to max_batch samples: parameters
 * (initialised from seed as Keras does: glorot_uniform kernels, zero biases,
 * BatchNormalization gamma 1 beta 0, moving mean 0 variance 1), activations
 * and workspace, all allocated once. The model keeps a pointer to spec. */
ct_status ct_model_create(ct_context *ctx, const ct_model_spec *spec, int in_ndim, const size_t *in_shape,
                          size_t max_batch, uint64_t seed, ct_model **out);
void ct_model_free(ct_model *model);

const ct_model_plan *ct_model_get_plan(const ct_model *model);
ct_context *ct_model_context(const ct_model *model);
/* Trainable parameters and their gradients (for the optimizer). */
ct_param_arena *ct_model_arena(ct_model *model);
/* Floats per sample of the output (units of the last layer). */
size_t ct_model_output_size(const ct_model *model);

/* Forward pass of x (n, in_shape...) with n <= max_batch; *y becomes a view of
 * the output (n, out...), valid until the next forward. training selects
 * Dropout masks and batch statistics; each training forward advances the
 * dropout step. Enqueued only. */
ct_status ct_model_forward(ct_model *model, const ct_tensor *x, int training, ct_tensor *y);

/* The dropout counter: training forwards so far. A Dropout layer's mask is a
 * function of (seed, layer, this step, element), so a checkpoint that keeps
 * it resumes with the masks the uninterrupted run would have drawn. */
uint64_t ct_model_dropout_step(const ct_model *model);
void ct_model_set_dropout_step(ct_model *model, uint64_t step);
/* The row of the whole training batch that the next batches' first row is
 * (0 by default): a data-parallel replica gets a slice of the batch, and its
 * Dropout masks are those of the slice's rows in the whole batch, so they
 * do not depend on the number of devices. */
void ct_model_set_first_row(ct_model *model, uint64_t row);

/* Where the loss must write dL/dy for a batch of n: a view (n, out...). */
ct_status ct_model_output_grad(ct_model *model, size_t n, ct_tensor *dy);

/* Backward pass after a training forward of the same x: fills every
 * parameter gradient (overwriting). dy is the view from ct_model_output_grad. */
ct_status ct_model_backward(ct_model *model, const ct_tensor *x, const ct_tensor *dy);

/* Every stored tensor (trainable and not), for saving and snapshots:
 * names like "dense_1/kernel", "batch_normalization/moving_mean". */
size_t ct_model_tensor_count(const ct_model *model);
ct_status ct_model_tensor(const ct_model *model, size_t index, const char **name, ct_tensor *view);

/* All stored tensors as one host array (in ct_model_tensor order) and back:
 * snapshots for restore_best_weights, save and load. */
size_t ct_model_state_size(const ct_model *model);
ct_status ct_model_read_state(ct_model *model, float *host);
ct_status ct_model_write_state(ct_model *model, const float *host);

#ifdef __cplusplus
}
#endif
#endif
