/* A model plan realised on a device: parameters in one arena (one optimizer
 * launch per step), activations allocated once for the largest batch, and the
 * forward/backward loop over layers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cltrain/gemm.h"
#include "cltrain/model.h"
#include "cltrain/ops_augment.h"
#include "cltrain/ops_conv.h"
#include "cltrain/ops_nn.h"
#include "cltrain/ops_rescaling.h"
#include "model/init.h"
#include "model/model_internal.h"

/* The view of the named tensor "layer/what", added before its buffer existed. */
static ct_status set_tensor_view(ct_model *m, const char *layer, const char *what, const ct_tensor *view)
{
    char name[sizeof m->tensors[0].name];
    snprintf(name, sizeof name, "%s/%s", layer, what);
    for (size_t i = 0; i < m->tensor_count; i++)
        if (!strcmp(m->tensors[i].name, name)) {
            m->tensors[i].view = *view;
            return CT_OK;
        }
    return ct_fail(CT_ERR_INTERNAL, "model: no tensor %s", name);
}

static size_t per_sample(int ndim, const size_t *shape)
{
    size_t n = 1;
    for (int i = 0; i < ndim; i++)
        n *= shape[i];
    return n;
}

/* (n, shape...) as a view of t. */
static ct_status batch_view(const ct_tensor *t, size_t n, int ndim, const size_t *shape, ct_tensor *out)
{
    size_t full[CT_MAX_DIMS] = {n};
    memcpy(full + 1, shape, (size_t)ndim * sizeof *shape);
    return ct_tensor_view(t, 0, ndim + 1, full, out);
}

static ct_status add_tensor(ct_model *m, const char *layer, const char *what, const ct_tensor *view)
{
    named_tensor *grown = realloc(m->tensors, (m->tensor_count + 1) * sizeof *grown);
    if (!grown)
        return ct_fail(CT_ERR_NO_MEMORY, "model tensor table");
    m->tensors = grown;
    named_tensor *t = &m->tensors[m->tensor_count++];
    snprintf(t->name, sizeof t->name, "%s/%s", layer, what);
    t->view = *view;
    return CT_OK;
}

static ct_status upload_init(ct_model *m, ct_tensor *t, ct_initializer init, size_t fan_in, size_t fan_out,
                             size_t layer, size_t tensor)
{
    size_t n = ct_tensor_count(t);
    float *host = malloc(n * sizeof *host);
    if (!host)
        return ct_fail(CT_ERR_NO_MEMORY, "initialising parameters");
    ct_initialize(init, fan_in, fan_out, m->seed, layer, tensor, host, n);
    ct_status s = ct_tensor_write(m->ctx, t, host);
    free(host);
    return s;
}

/* Trainable parameters: kernel and bias of Dense/Conv2D, gamma/beta of BN. */
static ct_status create_params(ct_model *m, size_t i, size_t *state_used)
{
    layer_state *l = &m->layers[i];
    const ct_layer_spec *s = l->plan->spec;
    const ct_layer_plan *p = l->plan;
    size_t in = p->in_shape[p->in_ndim - 1];
    if (s->kind == CT_LAYER_DENSE || s->kind == CT_LAYER_CONV2D) {
        int dense = s->kind == CT_LAYER_DENSE;
        size_t units = dense ? (size_t)s->dense.units : (size_t)s->conv2d.filters;
        size_t kshape[4], kdims, receptive = 1;
        if (dense) {
            kshape[0] = in, kshape[1] = units, kdims = 2;
        } else {
            kshape[0] = (size_t)s->conv2d.kernel_size[0], kshape[1] = (size_t)s->conv2d.kernel_size[1];
            kshape[2] = in, kshape[3] = units, kdims = 4;
            receptive = kshape[0] * kshape[1];
        }
        CT_TRY(ct_param_arena_add(m->arena, (int)kdims, kshape, &l->kernel, &l->dkernel));
        CT_TRY(upload_init(m, &l->kernel, dense ? s->dense.kernel_initializer : s->conv2d.kernel_initializer,
                           receptive * in, receptive * units, i, 0));
        CT_TRY(add_tensor(m, p->name, "kernel", &l->kernel));
        if (dense ? s->dense.use_bias : s->conv2d.use_bias) {
            CT_TRY(ct_param_arena_add(m->arena, 1, &units, &l->bias, &l->dbias));
            CT_TRY(upload_init(m, &l->bias, dense ? s->dense.bias_initializer : s->conv2d.bias_initializer, in,
                               units, i, 1));
            CT_TRY(add_tensor(m, p->name, "bias", &l->bias));
        }
    } else if (s->kind == CT_LAYER_BATCH_NORMALIZATION) {
        size_t c = p->in_shape[p->in_ndim - 1];
        const ct_batch_norm_spec *bn = &s->batch_normalization;
        /* Without scale (center) gamma (beta) is a constant 1 (0), as Keras'
         * layer has none: it lives with the non-trainable state, out of the
         * optimizer's reach, and its gradient goes to a scratch view there
         * (create_state). It keeps its place among the named tensors, so
         * weights.bin and checkpoints keep their layout. */
        if (bn->scale) {
            CT_TRY(ct_param_arena_add(m->arena, 1, &c, &l->gamma, &l->dgamma));
            CT_TRY(upload_init(m, &l->gamma, CT_INIT_ONES, 0, 0, i, 0));
        } else
            *state_used += 2 * c;
        if (bn->center) {
            CT_TRY(ct_param_arena_add(m->arena, 1, &c, &l->beta, &l->dbeta));
            CT_TRY(upload_init(m, &l->beta, CT_INIT_ZEROS, 0, 0, i, 1));
        } else
            *state_used += 2 * c;
        CT_TRY(add_tensor(m, p->name, "gamma", &l->gamma)); /* a fixed one's view comes in create_state */
        CT_TRY(add_tensor(m, p->name, "beta", &l->beta));
        *state_used += 4 * c; /* moving mean, moving variance, saved (2, C) */
    }
    return CT_OK;
}

static ct_status create_state(ct_model *m, size_t *offset)
{
    for (size_t i = 0; i < m->plan.layer_count; i++) {
        layer_state *l = &m->layers[i];
        if (l->plan->spec->kind != CT_LAYER_BATCH_NORMALIZATION)
            continue;
        size_t c = l->plan->in_shape[l->plan->in_ndim - 1], two_c[2] = {2, c};
        CT_TRY(ct_tensor_view(&m->state, *offset, 1, &c, &l->moving_mean));
        CT_TRY(ct_tensor_view(&m->state, *offset + c, 1, &c, &l->moving_variance));
        CT_TRY(ct_tensor_view(&m->state, *offset + 2 * c, 2, two_c, &l->saved));
        *offset += 4 * c;
        CT_TRY(upload_init(m, &l->moving_mean, CT_INIT_ZEROS, 0, 0, i, 2));
        CT_TRY(upload_init(m, &l->moving_variance, CT_INIT_ONES, 0, 0, i, 3));
        CT_TRY(add_tensor(m, l->plan->name, "moving_mean", &l->moving_mean));
        CT_TRY(add_tensor(m, l->plan->name, "moving_variance", &l->moving_variance));
        const ct_batch_norm_spec *bn = &l->plan->spec->batch_normalization;
        if (!bn->scale) {
            CT_TRY(ct_tensor_view(&m->state, *offset, 1, &c, &l->gamma));
            CT_TRY(ct_tensor_view(&m->state, *offset + c, 1, &c, &l->dgamma));
            *offset += 2 * c;
            CT_TRY(upload_init(m, &l->gamma, CT_INIT_ONES, 0, 0, i, 0));
            CT_TRY(set_tensor_view(m, l->plan->name, "gamma", &l->gamma));
        }
        if (!bn->center) {
            CT_TRY(ct_tensor_view(&m->state, *offset, 1, &c, &l->beta));
            CT_TRY(ct_tensor_view(&m->state, *offset + c, 1, &c, &l->dbeta));
            *offset += 2 * c;
            CT_TRY(upload_init(m, &l->beta, CT_INIT_ZEROS, 0, 0, i, 1));
            CT_TRY(set_tensor_view(m, l->plan->name, "beta", &l->beta));
        }
    }
    return CT_OK;
}

/* The activation of a Dense or Conv2D layer (linear for any other). */
static ct_activation layer_activation(const ct_layer_spec *s)
{
    return s->kind == CT_LAYER_DENSE    ? s->dense.activation
           : s->kind == CT_LAYER_CONV2D ? s->conv2d.activation
                                        : CT_ACTIVATION_LINEAR;
}

/* The activation the GEMM or convolution applies itself: none when its
 * gradient needs the pre-activation (then it runs as a step of its own). */
static ct_activation fused_activation(ct_activation act)
{
    return ct_activation_needs_x(act) ? CT_ACTIVATION_LINEAR : act;
}

static bool separate_activation(const ct_layer_spec *s) { return ct_activation_needs_x(layer_activation(s)); }

static ct_conv2d_params conv_params(const ct_conv2d_spec *s)
{
    ct_conv2d_params p = {(size_t)s->kernel_size[0], (size_t)s->kernel_size[1], (size_t)s->strides[0],
                          (size_t)s->strides[1], (ct_padding)s->padding, CT_CONV2D_AUTO,
                          fused_activation(s->activation)};
    return p;
}

static ct_pool2d_params pool_params(const ct_layer_spec *s)
{
    ct_pool2d_params p = {s->kind == CT_LAYER_MAX_POOLING2D ? CT_POOL_MAX : CT_POOL_AVERAGE,
                          (size_t)s->pooling.pool_size[0], (size_t)s->pooling.pool_size[1],
                          (size_t)s->pooling.strides[0], (size_t)s->pooling.strides[1],
                          (ct_padding)s->pooling.padding};
    return p;
}

static ct_pool_kind global_pool_kind(const ct_layer_spec *s)
{
    return s->kind == CT_LAYER_GLOBAL_MAX_POOLING2D ? CT_POOL_MAX : CT_POOL_AVERAGE;
}

static ct_status create_buffers(ct_model *m)
{
    size_t largest = per_sample(m->plan.in_ndim, m->plan.in_shape), workspace = 0;
    for (size_t i = 0; i < m->plan.layer_count; i++) {
        layer_state *l = &m->layers[i];
        const ct_layer_plan *p = l->plan;
        size_t out = per_sample(p->out_ndim, p->out_shape);
        if (out > largest)
            largest = out;
        size_t total = m->max_batch * out;
        CT_TRY(ct_tensor_create(m->ctx, 1, &total, &l->out));
        if (separate_activation(p->spec))
            CT_TRY(ct_tensor_create(m->ctx, 1, &total, &l->pre));
        if (ct_layer_is_augmentation(p->spec->kind)) {
            size_t maps = 6 * m->max_batch;
            CT_TRY(ct_tensor_create(m->ctx, 1, &maps, &l->transforms));
        }
        if (p->spec->kind == CT_LAYER_MAX_POOLING2D) {
            ct_pool2d_params pp = pool_params(p->spec);
            size_t bytes = ct_pool2d_index_floats(total);
            if (ct_pool2d_indexable(&pp))
                CT_TRY(ct_tensor_create(m->ctx, 1, &bytes, &l->pool_index));
        }
        if (m->plan.graph) /* graph_pass.c sums each output's gradient here */
            CT_TRY(ct_tensor_create(m->ctx, 1, &total, &l->dout));
        if (p->spec->kind == CT_LAYER_CONV2D) {
            ct_conv2d_params cp = conv_params(&p->spec->conv2d);
            size_t x_shape[4] = {m->max_batch, p->in_shape[0], p->in_shape[1], p->in_shape[2]}, need = 0;
            CT_TRY(ct_conv2d_workspace_size(&cp, x_shape, (size_t)p->spec->conv2d.filters, &need));
            if (need > workspace)
                workspace = need;
        }
    }
    size_t grad_size = m->max_batch * largest;
    for (int g = 0; g < 3; g++)
        CT_TRY(ct_tensor_create(m->ctx, 1, &grad_size, &m->grad[g]));
    if (workspace)
        CT_TRY(ct_tensor_create(m->ctx, 1, &workspace, &m->workspace));
    return CT_OK;
}

ct_status ct_model_create(ct_context *ctx, const ct_model_spec *spec, int in_ndim, const size_t *in_shape,
                          size_t max_batch, uint64_t seed, ct_model **out)
{
    *out = NULL;
    if (max_batch == 0)
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "model: batch size 0");
    ct_model *m = calloc(1, sizeof *m);
    if (!m)
        return ct_fail(CT_ERR_NO_MEMORY, "model");
    m->ctx = ctx;
    m->max_batch = max_batch;
    m->seed = seed;
    ct_status s = ct_model_plan_create(spec, in_ndim, in_shape, &m->plan);
    if (s == CT_OK && !(m->layers = calloc(m->plan.layer_count, sizeof *m->layers)))
        s = ct_fail(CT_ERR_NO_MEMORY, "model layers");
    size_t capacity = 0, state_used = 0;
    for (size_t i = 0; s == CT_OK && i < m->plan.layer_count; i++) {
        m->layers[i].plan = &m->plan.layers[i];
        /* Worst case: every parameter tensor padded to the arena alignment. */
        capacity += ct_param_arena_padded(m->plan.layers[i].trainable_params) + 2 * CT_PARAM_ALIGN;
    }
    if (s == CT_OK)
        s = ct_param_arena_create(ctx, capacity ? capacity : CT_PARAM_ALIGN, &m->arena);
    for (size_t i = 0; s == CT_OK && i < m->plan.layer_count; i++)
        s = create_params(m, i, &state_used);
    if (s == CT_OK && state_used) {
        size_t offset = 0;
        s = ct_tensor_create(ctx, 1, &state_used, &m->state);
        if (s == CT_OK)
            s = create_state(m, &offset);
    }
    if (s == CT_OK)
        s = create_buffers(m);
    if (s == CT_OK && m->plan.graph && !(m->grad_ready = calloc(m->plan.layer_count, sizeof *m->grad_ready)))
        s = ct_fail(CT_ERR_NO_MEMORY, "model gradients");
    if (s != CT_OK) {
        ct_model_free(m);
        return s;
    }
    *out = m;
    return CT_OK;
}

void ct_model_free(ct_model *m)
{
    if (!m)
        return;
    for (size_t i = 0; m->layers && i < m->plan.layer_count; i++) {
        ct_tensor_release(&m->layers[i].out);
        ct_tensor_release(&m->layers[i].pre);
        ct_tensor_release(&m->layers[i].transforms);
        ct_tensor_release(&m->layers[i].pool_index);
        ct_tensor_release(&m->layers[i].dout);
    }
    free(m->grad_ready);
    for (int g = 0; g < 3; g++)
        ct_tensor_release(&m->grad[g]);
    ct_tensor_release(&m->workspace);
    ct_tensor_release(&m->state);
    if (m->arena)
        ct_param_arena_destroy(m->arena);
    free(m->tensors);
    free(m->layers);
    ct_model_plan_free(&m->plan);
    free(m);
}

const ct_model_plan *ct_model_get_plan(const ct_model *m) { return &m->plan; }
ct_context *ct_model_context(const ct_model *m) { return m->ctx; }
ct_param_arena *ct_model_arena(ct_model *m) { return m->arena; }

size_t ct_model_output_size(const ct_model *m)
{
    const ct_layer_plan *last = &m->plan.layers[m->plan.layer_count - 1];
    return per_sample(last->out_ndim, last->out_shape);
}

/* ---------------------------------------------------------------- forward */

static ct_status dense_forward(ct_model *m, layer_state *l, const ct_tensor *x, ct_tensor *y)
{
    const ct_dense_spec *s = &l->plan->spec->dense;
    size_t n = x->shape[0], in = l->plan->in_shape[0], units = (size_t)s->units;
    ct_gemm_args g = {CT_NO_TRANS, CT_NO_TRANS, n, units, in, 1.0f, 0.0f, x->buf, x->offset, in, l->kernel.buf,
                      l->kernel.offset, units, y->buf, y->offset, units};
    ct_gemm_epilogue epi = {.bias = l->bias.buf, .bias_offset = l->bias.offset,
                            .activation = fused_activation(s->activation)};
    return ct_gemm_fused(m->ctx, &g, &epi);
}

static ct_status layer_forward_linear_conv(ct_model *m, layer_state *l, const ct_tensor *x, ct_tensor *y)
{
    ct_conv2d_params p = conv_params(&l->plan->spec->conv2d);
    return ct_conv2d_forward(m->ctx, &p, x, &l->kernel, l->bias.buf ? &l->bias : NULL, y,
                             m->workspace.buf ? &m->workspace : NULL);
}

/* ------------------------------------------------------- augmentation */

/* An augmentation layer that hands its input on: every one at inference
 * but RandomCrop to another size, and RandomCrop to the input's size. */
static bool augment_is_identity(const ct_layer_plan *p, int training)
{
    bool same = p->in_shape[0] == p->out_shape[0] && p->in_shape[1] == p->out_shape[1];
    return p->spec->kind == CT_LAYER_RANDOM_CROP ? same : !training;
}

/* The op's parameters for layer i at a training step (Keras' factors
 * resolved to ranges; the layer's seed, or the model's). */
static ct_augment_params augment_params(const ct_model *m, size_t i, int training, uint32_t step)
{
    const ct_layer_plan *p = m->layers[i].plan;
    const ct_augment_spec *a = &p->spec->augment;
    ct_augment_params q = {0};
    double lo, hi;
    switch (p->spec->kind) {
    case CT_LAYER_RANDOM_FLIP:
        q.kind = CT_AUGMENT_FLIP;
        break;
    case CT_LAYER_RANDOM_TRANSLATION:
        q.kind = CT_AUGMENT_TRANSLATION;
        break;
    case CT_LAYER_RANDOM_ROTATION:
        q.kind = CT_AUGMENT_ROTATION;
        break;
    case CT_LAYER_RANDOM_ZOOM:
        q.kind = CT_AUGMENT_ZOOM;
        break;
    default: /* Keras crops at random only an input larger both ways */
        q.kind = training && p->in_shape[0] > p->out_shape[0] && p->in_shape[1] > p->out_shape[1]
                     ? CT_AUGMENT_CROP
                     : CT_AUGMENT_CENTER_CROP;
        break;
    }
    q.flip = a->mode;
    ct_factor_range(p->spec->kind == CT_LAYER_RANDOM_ROTATION ? &a->factor : &a->height_factor, &lo, &hi);
    q.lower[0] = (float)lo;
    q.upper[0] = (float)hi;
    ct_factor_range(&a->width_factor, &lo, &hi);
    q.lower[1] = (float)lo;
    q.upper[1] = (float)hi;
    q.same_zoom = a->width_factor.count == 0;
    q.fill_mode = a->fill_mode;
    q.fill_value = (float)a->fill_value;
    q.interpolation = a->interpolation;
    q.seed = a->has_seed ? (uint64_t)a->seed : m->seed;
    q.layer_id = (uint32_t)i;
    q.step = step;
    q.first = (uint32_t)m->first_row;
    return q;
}

ct_status ct_model_layer_forward(ct_model *m, size_t i, const ct_tensor *x, int training, ct_tensor *y)
{
    layer_state *l = &m->layers[i];
    const ct_layer_spec *s = l->plan->spec;
    size_t n = x->shape[0];
    switch (s->kind) {
    case CT_LAYER_FLATTEN:
    case CT_LAYER_RESHAPE:
        return batch_view(x, n, l->plan->out_ndim, l->plan->out_shape, y);
    case CT_LAYER_DROPOUT:
        if (!training || s->dropout.rate == 0)
            return batch_view(x, n, l->plan->out_ndim, l->plan->out_shape, y);
        break;
    default:
        if (ct_layer_is_augmentation(s->kind) && augment_is_identity(l->plan, training))
            return batch_view(x, n, l->plan->out_ndim, l->plan->out_shape, y);
        break;
    }
    CT_TRY(batch_view(&l->out, n, l->plan->out_ndim, l->plan->out_shape, y));
    if (separate_activation(s)) { /* linear into pre, then the activation into out */
        CT_TRY(batch_view(&l->pre, n, l->plan->out_ndim, l->plan->out_shape, &l->z));
        ct_tensor act_out = *y;
        *y = l->z;
        CT_TRY(s->kind == CT_LAYER_DENSE ? dense_forward(m, l, x, y) : layer_forward_linear_conv(m, l, x, y));
        *y = act_out;
        return ct_activation_forward(m->ctx, layer_activation(s), &l->z, y);
    }
    switch (s->kind) {
    case CT_LAYER_DENSE:
        return dense_forward(m, l, x, y);
    case CT_LAYER_CONV2D: {
        ct_conv2d_params p = conv_params(&s->conv2d);
        return ct_conv2d_forward(m->ctx, &p, x, &l->kernel, l->bias.buf ? &l->bias : NULL, y,
                                 m->workspace.buf ? &m->workspace : NULL); /* activation included */
    }
    case CT_LAYER_MAX_POOLING2D:
    case CT_LAYER_AVERAGE_POOLING2D: {
        ct_pool2d_params p = pool_params(s);
        l->pool_index_valid = training && l->pool_index.buf;
        if (l->pool_index_valid) /* the backward then reads the argmax instead of x */
            return ct_maxpool2d_forward_indexed(m->ctx, &p, x, y, &l->pool_index);
        return ct_pool2d_forward(m->ctx, &p, x, y);
    }
    case CT_LAYER_DROPOUT: {
        ct_dropout_params p = {(float)s->dropout.rate, m->seed, (uint32_t)i, m->dropout_step,
                               m->first_row * per_sample(l->plan->in_ndim, l->plan->in_shape)};
        return ct_dropout_forward(m->ctx, &p, x, y, NULL);
    }
    case CT_LAYER_BATCH_NORMALIZATION: {
        ct_batchnorm_params p = {(float)s->batch_normalization.momentum, (float)s->batch_normalization.epsilon};
        if (training)
            return ct_batchnorm_forward_train(m->ctx, &p, x, &l->gamma, &l->beta, &l->moving_mean,
                                              &l->moving_variance, &l->saved, y);
        return ct_batchnorm_forward_inference(m->ctx, &p, x, &l->gamma, &l->beta, &l->moving_mean,
                                              &l->moving_variance, y);
    }
    case CT_LAYER_ACTIVATION:
        return ct_activation_forward(m->ctx, s->activation.activation, x, y);
    case CT_LAYER_GLOBAL_AVERAGE_POOLING2D:
    case CT_LAYER_GLOBAL_MAX_POOLING2D:
        return ct_global_pool2d_forward(m->ctx, global_pool_kind(s), x, y);
    case CT_LAYER_LEAKY_RELU:
        return ct_leaky_relu_forward(m->ctx, (float)s->leaky_relu.negative_slope, x, y);
    case CT_LAYER_RESCALING:
        return ct_rescaling_forward(m->ctx, (float)s->rescaling.scale, (float)s->rescaling.offset, x, y);
    case CT_LAYER_RANDOM_FLIP:
    case CT_LAYER_RANDOM_TRANSLATION:
    case CT_LAYER_RANDOM_ROTATION:
    case CT_LAYER_RANDOM_ZOOM:
    case CT_LAYER_RANDOM_CROP: {
        /* The draws of training step dropout_step (advanced after the pass). */
        ct_augment_params p = augment_params(m, i, training, m->dropout_step);
        return ct_augment_forward(m->ctx, &p, x, &l->transforms, y);
    }
    default:
        return ct_fail(CT_ERR_INTERNAL, "layer kind %d has no forward", (int)s->kind);
    }
}

ct_status ct_model_check_input(const ct_model *m, const ct_tensor *x)
{
    size_t n = x->shape[0];
    if (n == 0 || n > m->max_batch)
        return ct_fail(CT_ERR_SHAPE, "model: batch of %zu samples, this model takes 1 to %zu", n, m->max_batch);
    if (per_sample(x->ndim - 1, x->shape + 1) != per_sample(m->plan.in_ndim, m->plan.in_shape))
        return ct_fail(CT_ERR_SHAPE, "model: input samples have %zu values, the model expects %zu",
                       per_sample(x->ndim - 1, x->shape + 1), per_sample(m->plan.in_ndim, m->plan.in_shape));
    return CT_OK;
}

ct_status ct_model_sequential_forward(ct_model *m, const ct_tensor *x, int training, ct_tensor *y)
{
    size_t n = x->shape[0];
    CT_TRY(ct_model_check_input(m, x));
    ct_tensor cur;
    CT_TRY(batch_view(x, n, m->plan.in_ndim, m->plan.in_shape, &cur));
    for (size_t i = 0; i < m->plan.layer_count; i++) {
        layer_state *l = &m->layers[i];
        l->x = cur;
        ct_status s = ct_model_layer_forward(m, i, &cur, training, &l->y);
        if (s != CT_OK)
            return ct_fail_context(s, "forward of %s", l->plan->name);
        cur = l->y;
    }
    if (training)
        m->dropout_step++;
    *y = cur;
    return CT_OK;
}

/* --------------------------------------------------------------- backward */

ct_status ct_model_sequential_output_grad(ct_model *m, size_t n, ct_tensor *dy)
{
    const ct_layer_plan *last = &m->plan.layers[m->plan.layer_count - 1];
    return batch_view(&m->grad[0], n, last->out_ndim, last->out_shape, dy);
}

/* A gradient buffer other than the one holding dy. */
static const ct_tensor *other_grad(const ct_model *m, const ct_tensor *dy)
{
    for (int g = 0; g < 3; g++)
        if (m->grad[g].buf != dy->buf)
            return &m->grad[g];
    return NULL;
}

/* 1 when a layer's backward (in training) hands the gradient on unchanged
 * (reshaped). */
static int passes_gradient(const ct_layer_plan *p)
{
    const ct_layer_spec *s = p->spec;
    return s->kind == CT_LAYER_FLATTEN || s->kind == CT_LAYER_RESHAPE ||
           (s->kind == CT_LAYER_DROPOUT && s->dropout.rate == 0) ||
           (ct_layer_is_augmentation(s->kind) && augment_is_identity(p, 1));
}

/* The Dense layer whose output is layer i's input, through layers that pass
 * the gradient on unchanged; NULL if there is none. */
static const layer_state *dense_below(const ct_model *m, size_t i)
{
    if (m->plan.graph) /* its output's gradient may be a sum over several layers */
        return NULL;
    while (i-- > 0) {
        const ct_layer_spec *s = m->layers[i].plan->spec;
        if (s->kind == CT_LAYER_DENSE)
            return &m->layers[i];
        if (!passes_gradient(m->layers[i].plan))
            return NULL;
    }
    return NULL;
}

/* dz = dy act'(y), dbias = column sums of dz, dW = x^T dz, dx = dz W^T, in
 * as few launches as the GEMM epilogues allow: dz_ready says that the layer
 * above already multiplied dy by act'(y) in its dx GEMM (as this layer's dx
 * GEMM does for `below`, the Dense layer under it), and dbias comes with dW.
 * dz overwrites dy (in place allowed). */
static ct_status dense_backward(ct_model *m, layer_state *l, const ct_tensor *dy, int dz_ready,
                                const layer_state *below, ct_tensor *dx)
{
    const ct_dense_spec *s = &l->plan->spec->dense;
    const ct_tensor *x = &l->x;
    size_t n = x->shape[0], in = l->plan->in_shape[0], units = (size_t)s->units;
    ct_tensor dz = *dy, *dbias = l->dbias.buf ? &l->dbias : NULL;
    ct_gemm_epilogue ew = {.activation = CT_ACTIVATION_LINEAR};
    ct_activation act = fused_activation(s->activation);
    if (dz_ready || act == CT_ACTIVATION_LINEAR) {
        ew.col_sums = dbias ? dbias->buf : NULL;
        ew.col_sums_offset = dbias ? dbias->offset : 0;
    } else {
        CT_TRY(ct_bias_activation_backward(m->ctx, act, &l->y, dy, &dz, dbias));
    }
    ct_gemm_args gw = {CT_TRANS, CT_NO_TRANS, in, units, n, 1.0f, 0.0f, x->buf, x->offset, in, dz.buf, dz.offset,
                       units, l->dkernel.buf, l->dkernel.offset, units};
    const ct_gemm_epilogue *pw = ew.col_sums ? &ew : NULL;
    if (!dx)
        return pw ? ct_gemm_fused(m->ctx, &gw, pw) : ct_gemm(m->ctx, &gw);
    ct_gemm_args gx = {CT_NO_TRANS, CT_TRANS, n, in, units, 1.0f, 0.0f, dz.buf, dz.offset, units, l->kernel.buf,
                       l->kernel.offset, units, dx->buf, dx->offset, in};
    /* x is the output of `below` (through views): dx becomes its dz. */
    ct_gemm_epilogue ex = {.activation = below ? fused_activation(below->plan->spec->dense.activation)
                                               : CT_ACTIVATION_LINEAR,
                           .y = x->buf, .y_offset = x->offset};
    /* dW and dx only read dz, x and W, and write disjoint buffers: one
     * launch for both where the engine can. */
    return ct_gemm_pair(m->ctx, &gw, pw, &gx, below ? &ex : NULL);
}

/* dx may be NULL for the first layer (no input gradient needed); dz_ready:
 * see dense_backward. */
ct_status ct_model_layer_backward(ct_model *m, size_t i, const ct_tensor *dy, int dz_ready, ct_tensor *dx)
{
    layer_state *l = &m->layers[i];
    const ct_layer_spec *s = l->plan->spec;
    if (separate_activation(s)) { /* dy becomes dz = dy act'(z), in place; the layer is then linear */
        ct_tensor dz = *dy;
        CT_TRY(ct_activation_backward(m->ctx, layer_activation(s), &l->z, NULL, dy, &dz));
    }
    switch (s->kind) {
    case CT_LAYER_DENSE:
        return dense_backward(m, l, dy, dz_ready, dx ? dense_below(m, i) : NULL, dx);
    case CT_LAYER_CONV2D: {
        ct_tensor scratch = *dy; /* dy is overwritten with dL/dz, as before */
        ct_conv2d_params p = conv_params(&s->conv2d);
        return ct_conv2d_backward_activated(m->ctx, &p, &l->x, &l->kernel, &l->y, &scratch, dx, &l->dkernel,
                                            l->dbias.buf ? &l->dbias : NULL, m->workspace.buf ? &m->workspace : NULL);
    }
    case CT_LAYER_MAX_POOLING2D:
    case CT_LAYER_AVERAGE_POOLING2D: {
        if (!dx)
            return CT_OK;
        ct_pool2d_params p = pool_params(s);
        if (l->pool_index_valid)
            return ct_maxpool2d_backward_indexed(m->ctx, &p, &l->pool_index, dy, dx);
        return ct_pool2d_backward(m->ctx, &p, &l->x, dy, dx);
    }
    case CT_LAYER_DROPOUT: {
        if (!dx)
            return CT_OK;
        /* The forward that just ran used step dropout_step - 1. */
        ct_dropout_params p = {(float)s->dropout.rate, m->seed, (uint32_t)i, m->dropout_step - 1,
                               m->first_row * per_sample(l->plan->in_ndim, l->plan->in_shape)};
        return ct_dropout_backward(m->ctx, &p, dy, dx);
    }
    case CT_LAYER_BATCH_NORMALIZATION:
        return ct_batchnorm_backward_train(m->ctx, &l->x, &l->gamma, &l->saved, dy, dx, &l->dgamma, &l->dbeta);
    case CT_LAYER_ACTIVATION:
        if (!dx)
            return CT_OK;
        return ct_activation_backward(m->ctx, s->activation.activation, &l->x, &l->y, dy, dx);
    case CT_LAYER_GLOBAL_AVERAGE_POOLING2D:
    case CT_LAYER_GLOBAL_MAX_POOLING2D:
        if (!dx)
            return CT_OK;
        return ct_global_pool2d_backward(m->ctx, global_pool_kind(s), &l->x, dy, dx);
    case CT_LAYER_LEAKY_RELU:
        if (!dx)
            return CT_OK;
        return ct_leaky_relu_backward(m->ctx, (float)s->leaky_relu.negative_slope, &l->x, &l->y, dy, dx);
    case CT_LAYER_RESCALING:
        if (!dx)
            return CT_OK;
        return ct_rescaling_backward(m->ctx, (float)s->rescaling.scale, dy, dx);
    case CT_LAYER_RANDOM_FLIP:
    case CT_LAYER_RANDOM_TRANSLATION:
    case CT_LAYER_RANDOM_ROTATION:
    case CT_LAYER_RANDOM_ZOOM:
    case CT_LAYER_RANDOM_CROP: {
        if (!dx) /* the usual place, first: nothing below needs a gradient */
            return CT_OK;
        ct_augment_params p = augment_params(m, i, 1, m->dropout_step - 1);
        return ct_augment_backward(m->ctx, &p, dy, &l->transforms, dx);
    }
    default:
        return ct_fail(CT_ERR_INTERNAL, "layer kind %d has no backward", (int)s->kind);
    }
}

ct_status ct_model_sequential_backward(ct_model *m, const ct_tensor *x, const ct_tensor *dy)
{
    (void)x; /* the layers kept views of their inputs from the forward pass */
    ct_tensor cur = *dy;
    int dz_ready = 0; /* cur already holds the next Dense layer's dz (see dense_backward) */
    /* Augmentation layers in front (the usual place) have no parameters:
     * the layer above them is the first whose input needs no gradient. */
    size_t first = 0;
    while (first + 1 < m->plan.layer_count && ct_layer_is_augmentation(m->plan.layers[first].spec->kind))
        first++;
    for (size_t i = m->plan.layer_count; i-- > first;) {
        layer_state *l = &m->layers[i];
        const ct_layer_spec *s = l->plan->spec;
        size_t n = l->x.shape[0];
        if (passes_gradient(l->plan)) { /* the gradient is the same numbers, reshaped */
            CT_TRY(batch_view(&cur, n, l->plan->in_ndim, l->plan->in_shape, &cur));
            continue;
        }
        ct_tensor dx, *dx_ptr = NULL;
        /* The first layer's input needs no gradient, except that batch
         * normalisation computes its parameter gradients alongside dx. */
        if (i > first || s->kind == CT_LAYER_BATCH_NORMALIZATION) {
            const ct_tensor *target = other_grad(m, &cur);
            CT_TRY(batch_view(target, n, l->plan->in_ndim, l->plan->in_shape, &dx));
            dx_ptr = &dx;
        }
        ct_status st = ct_model_layer_backward(m, i, &cur, dz_ready, dx_ptr);
        if (st != CT_OK)
            return ct_fail_context(st, "backward of %s", l->plan->name);
        dz_ready = s->kind == CT_LAYER_DENSE && dx_ptr && dense_below(m, i);
        if (dx_ptr)
            cur = dx; /* unused after the first layer */
    }
    return CT_OK;
}

/* ------------------------------------------------------------ state access */

size_t ct_model_tensor_count(const ct_model *m) { return m->tensor_count; }

ct_status ct_model_tensor(const ct_model *m, size_t index, const char **name, ct_tensor *view)
{
    if (index >= m->tensor_count)
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "model has %zu tensors, not %zu", m->tensor_count, index + 1);
    *name = m->tensors[index].name;
    *view = m->tensors[index].view;
    return CT_OK;
}

size_t ct_model_state_size(const ct_model *m)
{
    size_t n = 0;
    for (size_t i = 0; i < m->tensor_count; i++)
        n += ct_tensor_count(&m->tensors[i].view);
    return n;
}

uint64_t ct_model_dropout_step(const ct_model *m) { return m->dropout_step; }
void ct_model_set_dropout_step(ct_model *m, uint64_t step) { m->dropout_step = (uint32_t)step; }
void ct_model_set_first_row(ct_model *m, uint64_t row) { m->first_row = row; }

ct_status ct_model_read_state(ct_model *m, float *host)
{
    for (size_t i = 0; i < m->tensor_count; i++) {
        CT_TRY(ct_tensor_read(m->ctx, &m->tensors[i].view, host));
        host += ct_tensor_count(&m->tensors[i].view);
    }
    return CT_OK;
}

ct_status ct_model_write_state(ct_model *m, const float *host)
{
    for (size_t i = 0; i < m->tensor_count; i++) {
        CT_TRY(ct_tensor_write(m->ctx, &m->tensors[i].view, host));
        host += ct_tensor_count(&m->tensors[i].view);
    }
    return CT_OK;
}
