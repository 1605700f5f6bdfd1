/* The model's state on a device, shared by model_device.c (creation, the
 * layers' forward and backward, the sequential passes, state access) and
 * graph_pass.c (the public passes, which walk a graph model themselves and
 * hand a sequential one to model_device.c). */
#ifndef CLTRAIN_MODEL_INTERNAL_H
#define CLTRAIN_MODEL_INTERNAL_H

#include "cltrain/model.h"

typedef struct {
    char name[CT_LAYER_NAME_MAX + 32];
    ct_tensor view;
} named_tensor;

typedef struct {
    const ct_layer_plan *plan;
    ct_tensor kernel, bias, dkernel, dbias;                 /* Dense, Conv2D */
    ct_tensor gamma, beta, dgamma, dbeta, moving_mean, moving_variance, saved; /* BatchNormalization */
    ct_tensor out;  /* (max_batch, out...) except Flatten/inference Dropout, which pass their input on */
    ct_tensor x;    /* the input of the last forward (a view), for backward */
    ct_tensor y;    /* the output of the last forward (a view) */
    /* Dense/Conv2D whose activation needs its input for the gradient (gelu,
     * silu): the layer runs linear into pre, then the activation into out. */
    ct_tensor pre;  /* (max_batch, out...) when needed */
    ct_tensor z;    /* the pre-activation of the last forward (a view of pre) */
    /* Graph models: dL/d(this layer's output), summed over the layers that
     * use it; (max_batch, out...). */
    ct_tensor dout;
    ct_tensor transforms; /* augmentation: each sample's map, (max_batch, 6) */
    /* MaxPooling2D with disjoint windows: where each window's maximum was in
     * the last training forward (bytes, ct_maxpool2d_forward_indexed), and
     * whether that forward was the last one (else backward recomputes). */
    ct_tensor pool_index;
    bool pool_index_valid;
} layer_state;

struct ct_model {
    ct_context *ctx;
    ct_model_plan plan;
    size_t max_batch;
    uint64_t seed;
    uint32_t dropout_step;
    uint64_t first_row; /* ct_model_set_first_row */
    layer_state *layers;
    ct_param_arena *arena;
    ct_tensor state;            /* non-trainable tensors: moving statistics, BN saved stats */
    ct_tensor grad[3];          /* rotating gradient buffers of the largest activation */
    ct_tensor workspace;        /* conv im2col, shared by all layers */
    named_tensor *tensors;
    size_t tensor_count;
    /* Graph models: which dout already holds a gradient in this backward
     * pass (the next one adds to it). */
    bool *grad_ready;
};

/* n samples within max_batch and of the plan's size per sample. */
ct_status ct_model_check_input(const ct_model *m, const ct_tensor *x);

/* One layer's forward of x into *y (a view of its output buffer, or of x
 * for the layers that only reshape), and its backward: dy in, dx out (NULL:
 * not needed), parameter gradients overwritten. dz_ready: see
 * model_device.c's dense_backward; always 0 for a graph model. */
ct_status ct_model_layer_forward(ct_model *m, size_t i, const ct_tensor *x, int training, ct_tensor *y);
ct_status ct_model_layer_backward(ct_model *m, size_t i, const ct_tensor *dy, int dz_ready, ct_tensor *dx);

/* The passes of a sequential model (each layer takes the previous output). */
ct_status ct_model_sequential_forward(ct_model *m, const ct_tensor *x, int training, ct_tensor *y);
ct_status ct_model_sequential_output_grad(ct_model *m, size_t n, ct_tensor *dy);
ct_status ct_model_sequential_backward(ct_model *m, const ct_tensor *x, const ct_tensor *dy);

#endif
