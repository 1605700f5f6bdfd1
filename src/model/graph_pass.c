/* The model's forward and backward passes. A sequential model runs as it
 * always has (model_device.c); a graph model (Keras' functional API) runs
 * its layers in list order, which the plan guarantees is an order in which
 * every layer's inputs come first, each output kept in its own buffer for
 * as long as the pass lasts. Backward walks the list the other way: each
 * layer's output gradient (dout) is the sum over the layers that use it,
 * copied by the first contribution and added by the others. */
#include <stdlib.h>
#include <string.h>

#include "cltrain/ops_merge.h"
#include "model/model_internal.h"

static bool is_merge(const ct_layer_spec *s) { return s->kind == CT_LAYER_ADD || s->kind == CT_LAYER_CONCATENATE; }

/* The layers whose backward hands the gradient on unchanged (reshaped). */
static bool passes_gradient(const ct_layer_spec *s)
{
    return s->kind == CT_LAYER_FLATTEN || s->kind == CT_LAYER_RESHAPE ||
           (s->kind == CT_LAYER_DROPOUT && s->dropout.rate == 0);
}

/* (n, shape...) as a view of t. */
static ct_status view(const ct_tensor *t, size_t n, int ndim, const size_t *shape, ct_tensor *out)
{
    size_t full[CT_MAX_DIMS] = {n};
    memcpy(full + 1, shape, (size_t)ndim * sizeof *shape);
    return ct_tensor_view(t, 0, ndim + 1, full, out);
}

/* Input k of layer l in this forward pass: a producer's output or the data. */
static const ct_tensor *input_of(const ct_model *m, const ct_layer_plan *l, size_t k, const ct_tensor *data)
{
    return l->inputs[k] == CT_PLAN_DATA ? data : &m->layers[l->inputs[k]].y;
}

static ct_status merge_forward(ct_model *m, size_t i, const ct_tensor *data)
{
    layer_state *l = &m->layers[i];
    const ct_layer_plan *p = l->plan;
    size_t n = data->shape[0];
    ct_tensor *xs = malloc(p->input_count * sizeof *xs);
    if (!xs)
        return ct_fail(CT_ERR_NO_MEMORY, "merge inputs");
    for (size_t k = 0; k < p->input_count; k++)
        xs[k] = *input_of(m, p, k, data);
    l->x = xs[0];
    ct_status s = view(&l->out, n, p->out_ndim, p->out_shape, &l->y);
    if (s == CT_OK)
        s = p->spec->kind == CT_LAYER_ADD ? ct_add_n_forward(m->ctx, p->input_count, xs, &l->y)
                                          : ct_concat_forward(m->ctx, p->input_count, xs, &l->y);
    free(xs);
    return s;
}

static ct_status graph_forward(ct_model *m, const ct_tensor *x, int training, ct_tensor *y)
{
    CT_TRY(ct_model_check_input(m, x));
    ct_tensor data;
    CT_TRY(view(x, x->shape[0], m->plan.in_ndim, m->plan.in_shape, &data));
    for (size_t i = 0; i < m->plan.layer_count; i++) {
        layer_state *l = &m->layers[i];
        ct_status s;
        if (is_merge(l->plan->spec)) {
            s = merge_forward(m, i, &data);
        } else {
            l->x = *input_of(m, l->plan, 0, &data);
            s = ct_model_layer_forward(m, i, &l->x, training, &l->y);
        }
        if (s != CT_OK)
            return ct_fail_context(s, "forward of %s", l->plan->name);
    }
    if (training)
        m->dropout_step++;
    *y = m->layers[m->plan.layer_count - 1].y;
    return CT_OK;
}

ct_status ct_model_forward(ct_model *m, const ct_tensor *x, int training, ct_tensor *y)
{
    return m->plan.graph ? graph_forward(m, x, training, y) : ct_model_sequential_forward(m, x, training, y);
}

ct_status ct_model_output_grad(ct_model *m, size_t n, ct_tensor *dy)
{
    if (!m->plan.graph)
        return ct_model_sequential_output_grad(m, n, dy);
    const layer_state *last = &m->layers[m->plan.layer_count - 1];
    return view(&last->dout, n, last->plan->out_ndim, last->plan->out_shape, dy);
}

/* The gradient of layer `from`'s output, (n, out...). */
static ct_status dout_of(const ct_model *m, size_t from, size_t n, ct_tensor *out)
{
    const layer_state *l = &m->layers[from];
    return view(&l->dout, n, l->plan->out_ndim, l->plan->out_shape, out);
}

/* Add g (the shape of layer `from`'s output) to that output's gradient;
 * nothing for the data. */
static ct_status contribute(ct_model *m, size_t from, const ct_tensor *g)
{
    if (from == CT_PLAN_DATA)
        return CT_OK;
    ct_tensor target, src;
    size_t n = g->shape[0];
    CT_TRY(dout_of(m, from, n, &target));
    CT_TRY(view(g, n, m->layers[from].plan->out_ndim, m->layers[from].plan->out_shape, &src));
    CT_TRY(ct_grad_accumulate(m->ctx, &src, &target, m->grad_ready[from]));
    m->grad_ready[from] = true;
    return CT_OK;
}

static ct_status concat_backward(ct_model *m, const ct_layer_plan *p, const ct_tensor *g)
{
    size_t n = g->shape[0];
    ct_tensor *dx = calloc(p->input_count, sizeof *dx);
    bool *accumulate = calloc(p->input_count, sizeof *accumulate);
    ct_status s = dx && accumulate ? CT_OK : ct_fail(CT_ERR_NO_MEMORY, "concatenate gradients");
    for (size_t k = 0; s == CT_OK && k < p->input_count; k++) {
        size_t from = p->inputs[k];
        if (from == CT_PLAN_DATA) { /* no gradient, but its width still counts */
            dx[k].ndim = m->plan.in_ndim;
            dx[k].shape[m->plan.in_ndim - 1] = m->plan.in_shape[m->plan.in_ndim - 1];
            continue;
        }
        s = dout_of(m, from, n, &dx[k]);
        accumulate[k] = m->grad_ready[from];
        m->grad_ready[from] = true; /* a second use of it in this list adds */
    }
    if (s == CT_OK)
        s = ct_concat_backward(m->ctx, g, p->input_count, dx, accumulate);
    free(dx);
    free(accumulate);
    return s;
}

/* A layer with parameters or an input gradient of its own: dx goes straight
 * into the input's gradient when it is the first there, else through the
 * scratch buffer and an add. */
/* Whether layer `from`'s output is the data, or the data through
 * augmentation layers only: nothing below it needs a gradient. */
static bool from_data(const ct_model *m, size_t from)
{
    while (from != CT_PLAN_DATA && ct_layer_is_augmentation(m->layers[from].plan->spec->kind))
        from = m->layers[from].plan->inputs[0];
    return from == CT_PLAN_DATA;
}

static ct_status layer_backward(ct_model *m, size_t i, ct_tensor *g)
{
    const ct_layer_plan *p = m->layers[i].plan;
    size_t from = p->inputs[0], n = g->shape[0];
    /* The data needs no gradient, but batch normalisation computes its
     * parameter gradients alongside dx. */
    bool data = from_data(m, from);
    bool want_dx = !data || p->spec->kind == CT_LAYER_BATCH_NORMALIZATION;
    bool direct = !data && !m->grad_ready[from];
    ct_tensor dx;
    if (want_dx)
        CT_TRY(view(direct ? &m->layers[from].dout : &m->grad[0], n, p->in_ndim, p->in_shape, &dx));
    CT_TRY(ct_model_layer_backward(m, i, g, 0, want_dx ? &dx : NULL));
    if (direct)
        m->grad_ready[from] = true;
    else if (!data)
        CT_TRY(contribute(m, from, &dx));
    return CT_OK;
}

static ct_status graph_backward(ct_model *m, const ct_tensor *dy)
{
    size_t n = dy->shape[0];
    memset(m->grad_ready, 0, m->plan.layer_count * sizeof *m->grad_ready);
    m->grad_ready[m->plan.layer_count - 1] = true; /* the loss wrote it */
    for (size_t i = m->plan.layer_count; i-- > 0;) {
        const ct_layer_plan *p = m->layers[i].plan;
        if (ct_layer_is_augmentation(p->spec->kind) && from_data(m, i))
            continue; /* augmented data: nothing below needs a gradient */
        if (!m->grad_ready[i]) /* harmless in a forward (feature maps of a model's first layers) */
            return ct_fail(CT_ERR_CONFIG, "backward: no layer takes the output of %s, so it gets no gradient "
                           "(the last layer is the model's output)", p->name);
        ct_tensor g;
        CT_TRY(dout_of(m, i, n, &g));
        ct_status s = CT_OK;
        if (p->spec->kind == CT_LAYER_ADD) {
            for (size_t k = 0; s == CT_OK && k < p->input_count; k++)
                s = contribute(m, p->inputs[k], &g);
        } else if (p->spec->kind == CT_LAYER_CONCATENATE) {
            s = concat_backward(m, p, &g);
        } else if (passes_gradient(p->spec)) {
            s = contribute(m, p->inputs[0], &g);
        } else {
            s = layer_backward(m, i, &g);
        }
        if (s != CT_OK)
            return ct_fail_context(s, "backward of %s", p->name);
    }
    return CT_OK;
}

ct_status ct_model_backward(ct_model *m, const ct_tensor *x, const ct_tensor *dy)
{
    return m->plan.graph ? graph_backward(m, dy) : ct_model_sequential_backward(m, x, dy);
}
