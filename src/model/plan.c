/* Shape inference and parameter counts, layer by layer, as Keras computes them. */
#include "cltrain/model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *ct_layer_class_name(ct_layer_kind kind)
{
    switch (kind) {
    case CT_LAYER_DENSE: return "Dense";
    case CT_LAYER_CONV2D: return "Conv2D";
    case CT_LAYER_MAX_POOLING2D: return "MaxPooling2D";
    case CT_LAYER_AVERAGE_POOLING2D: return "AveragePooling2D";
    case CT_LAYER_FLATTEN: return "Flatten";
    case CT_LAYER_DROPOUT: return "Dropout";
    case CT_LAYER_BATCH_NORMALIZATION: return "BatchNormalization";
    case CT_LAYER_ACTIVATION: return "Activation";
    case CT_LAYER_GLOBAL_AVERAGE_POOLING2D: return "GlobalAveragePooling2D";
    case CT_LAYER_GLOBAL_MAX_POOLING2D: return "GlobalMaxPooling2D";
    case CT_LAYER_LEAKY_RELU: return "LeakyReLU";
    case CT_LAYER_RESCALING: return "Rescaling";
    case CT_LAYER_RESHAPE: return "Reshape";
    case CT_LAYER_RANDOM_FLIP: return "RandomFlip";
    case CT_LAYER_RANDOM_TRANSLATION: return "RandomTranslation";
    case CT_LAYER_RANDOM_ROTATION: return "RandomRotation";
    case CT_LAYER_RANDOM_ZOOM: return "RandomZoom";
    case CT_LAYER_RANDOM_CROP: return "RandomCrop";
    case CT_LAYER_ADD: return "Add";
    case CT_LAYER_CONCATENATE: return "Concatenate";
    default: return "?";
    }
}

/* Output length of a convolution or pooling window along one axis (Keras). */
static size_t window_out(size_t in, int size, int stride, ct_padding padding)
{
    if (padding == CT_PADDING_SAME)
        return (in + (size_t)stride - 1) / (size_t)stride;
    return in < (size_t)size ? 0 : (in - (size_t)size) / (size_t)stride + 1;
}

static void shape_text(int ndim, const size_t *shape, char *buf, size_t size)
{
    size_t used = (size_t)snprintf(buf, size, "(None");
    for (int i = 0; i < ndim && used < size; i++)
        used += (size_t)snprintf(buf + used, size - used, ", %zu", shape[i]);
    if (used < size)
        snprintf(buf + used, size - used, ")");
}

static ct_status layer_error(size_t index, const ct_layer_plan *l, const char *fmt, const char *detail)
{
    char shape[96];
    shape_text(l->in_ndim, l->in_shape, shape, sizeof shape);
    return ct_fail(CT_ERR_SHAPE, "model[%zu] %s (%s): input %s: %s%s", index, l->name,
                   ct_layer_class_name(l->spec->kind), shape, fmt, detail ? detail : "");
}

/* Keras' Reshape: target_shape, one -1 standing for what the others leave. */
static ct_status reshape_layer(size_t index, ct_layer_plan *l)
{
    const ct_reshape_spec *r = &l->spec->reshape;
    size_t total = 1, known = 1;
    int unknown = -1;
    for (int i = 0; i < l->in_ndim; i++)
        total *= l->in_shape[i];
    if (r->target_shape_count != 1 && r->target_shape_count != 3)
        return layer_error(index, l, "target_shape must have 1 or 3 entries", NULL);
    for (size_t i = 0; i < r->target_shape_count; i++) {
        if (r->target_shape[i] == -1)
            unknown = (int)i;
        else if (r->target_shape[i] >= 1)
            known *= (size_t)r->target_shape[i];
        else
            return layer_error(index, l, "target_shape entries must be >= 1 or -1", NULL);
    }
    l->out_ndim = (int)r->target_shape_count;
    for (size_t i = 0; i < r->target_shape_count; i++)
        l->out_shape[i] = unknown == (int)i ? total / known : (size_t)r->target_shape[i];
    if ((unknown >= 0 && total % known != 0) || (unknown < 0 && known != total)) {
        char what[128];
        snprintf(what, sizeof what, "%zu values per sample do not fit target_shape", total);
        return layer_error(index, l, what, NULL);
    }
    l->params = l->trainable_params = 0;
    return CT_OK;
}

static ct_status infer_layer(size_t index, ct_layer_plan *l)
{
    const ct_layer_spec *s = l->spec;
    size_t features = l->in_shape[l->in_ndim - 1];
    l->out_ndim = l->in_ndim;
    memcpy(l->out_shape, l->in_shape, sizeof l->out_shape);
    l->params = l->trainable_params = 0;
    switch (s->kind) {
    case CT_LAYER_DENSE:
        if (l->in_ndim != 1)
            return layer_error(index, l, "Dense expects a flat input", "; add a flatten layer before it");
        l->out_shape[0] = (size_t)s->dense.units;
        l->params = features * (size_t)s->dense.units + (s->dense.use_bias ? (size_t)s->dense.units : 0);
        break;
    case CT_LAYER_CONV2D:
    case CT_LAYER_MAX_POOLING2D:
    case CT_LAYER_AVERAGE_POOLING2D: {
        if (l->in_ndim != 3)
            return layer_error(index, l, "expects images (height, width, channels)", NULL);
        int conv = s->kind == CT_LAYER_CONV2D;
        const int *size = conv ? s->conv2d.kernel_size : s->pooling.pool_size;
        const int *stride = conv ? s->conv2d.strides : s->pooling.strides;
        ct_padding padding = conv ? s->conv2d.padding : s->pooling.padding;
        l->out_shape[0] = window_out(l->in_shape[0], size[0], stride[0], padding);
        l->out_shape[1] = window_out(l->in_shape[1], size[1], stride[1], padding);
        if (l->out_shape[0] == 0 || l->out_shape[1] == 0) {
            char what[96];
            snprintf(what, sizeof what, "a %dx%d window does not fit (use padding: same or a smaller window)",
                     size[0], size[1]);
            return layer_error(index, l, what, NULL);
        }
        if (conv) {
            size_t filters = (size_t)s->conv2d.filters;
            l->out_shape[2] = filters;
            l->params = (size_t)size[0] * (size_t)size[1] * features * filters + (s->conv2d.use_bias ? filters : 0);
        }
        break;
    }
    case CT_LAYER_GLOBAL_AVERAGE_POOLING2D:
    case CT_LAYER_GLOBAL_MAX_POOLING2D:
        if (l->in_ndim != 3)
            return layer_error(index, l, "expects images (height, width, channels)", NULL);
        if (s->global_pooling.keepdims) {
            l->out_shape[0] = l->out_shape[1] = 1;
        } else {
            l->out_ndim = 1;
            l->out_shape[0] = features;
        }
        break;
    case CT_LAYER_RESHAPE:
        return reshape_layer(index, l);
    case CT_LAYER_FLATTEN: {
        size_t n = 1;
        for (int i = 0; i < l->in_ndim; i++)
            n *= l->in_shape[i];
        l->out_ndim = 1;
        l->out_shape[0] = n;
        break;
    }
    case CT_LAYER_BATCH_NORMALIZATION: {
        /* gamma, beta (trainable when scale/center), moving mean and variance. */
        size_t affine = (s->batch_normalization.scale ? 1u : 0u) + (s->batch_normalization.center ? 1u : 0u);
        l->params = features * (2 + affine);
        l->trainable_params = features * affine;
        return CT_OK;
    }
    case CT_LAYER_DROPOUT:
    case CT_LAYER_ACTIVATION:
    case CT_LAYER_LEAKY_RELU:
    case CT_LAYER_RESCALING:
        break;
    case CT_LAYER_RANDOM_FLIP: /* augmentation: images in, no parameters */
    case CT_LAYER_RANDOM_TRANSLATION:
    case CT_LAYER_RANDOM_ROTATION:
    case CT_LAYER_RANDOM_ZOOM:
    case CT_LAYER_RANDOM_CROP:
        if (l->in_ndim != 3)
            return layer_error(index, l, "expects images (height, width, channels)", NULL);
        if (s->kind == CT_LAYER_RANDOM_CROP) {
            l->out_shape[0] = (size_t)s->augment.height;
            l->out_shape[1] = (size_t)s->augment.width;
        }
        break;
    default:
        return ct_fail(CT_ERR_CONFIG, "model[%zu]: unknown layer kind %d", index, (int)s->kind);
    }
    l->trainable_params = l->params;
    return CT_OK;
}

/* Keras' automatic names: the snake_case class name, then _1, _2, ... */
static void auto_name(const ct_layer_plan *layers, size_t index, char *buf, size_t size)
{
    const char *base = ct_layer_kind_name(layers[index].spec->kind);
    unsigned seen = 0;
    for (size_t i = 0; i < index; i++)
        if (layers[i].spec->kind == layers[index].spec->kind && !layers[i].spec->name)
            seen++;
    if (seen == 0)
        snprintf(buf, size, "%s", base);
    else
        snprintf(buf, size, "%s_%u", base, seen);
}

static bool names_inputs(const ct_model_spec *spec)
{
    for (size_t i = 0; i < spec->layer_count; i++)
        if (spec->layers[i].inputs.count || spec->layers[i].kind == CT_LAYER_ADD ||
            spec->layers[i].kind == CT_LAYER_CONCATENATE)
            return true;
    return false;
}

/* Layer i's inputs as indices: its `inputs` names (earlier layers or
 * `input`), else the previous layer. The experiment's checks (validate_graph.c)
 * say the same with line:column; these messages serve other callers. */
static ct_status resolve_inputs(const ct_model_plan *plan, const ct_model_spec *spec, size_t i, ct_layer_plan *l)
{
    const ct_string_list *names = &spec->layers[i].inputs;
    l->input_count = names->count ? names->count : 1;
    l->inputs = calloc(l->input_count, sizeof *l->inputs);
    if (!l->inputs)
        return ct_fail(CT_ERR_NO_MEMORY, "model plan inputs");
    if (!names->count) {
        l->inputs[0] = i == 0 ? CT_PLAN_DATA : i - 1;
        return CT_OK;
    }
    bool merge = l->spec->kind == CT_LAYER_ADD || l->spec->kind == CT_LAYER_CONCATENATE;
    if (!merge && names->count > 1)
        return ct_fail(CT_ERR_CONFIG, "model[%zu] %s: %zu inputs, but only add and concatenate take several", i,
                       l->name, names->count);
    for (size_t k = 0; k < names->count; k++) {
        const char *name = names->items[k];
        size_t from = SIZE_MAX - 1;
        if (!strcmp(name, CT_MODEL_INPUT_NAME))
            from = CT_PLAN_DATA;
        for (size_t j = 0; j < i && from == SIZE_MAX - 1; j++)
            if (!strcmp(plan->layers[j].name, name))
                from = j;
        if (from == SIZE_MAX - 1)
            return ct_fail(CT_ERR_CONFIG, "model[%zu] %s: inputs[%zu]: no layer above it is named '%s'", i,
                           l->name, k, name);
        l->inputs[k] = from;
    }
    return CT_OK;
}

/* add and concatenate: Keras' Add needs one shape; Concatenate joins the
 * last axis and the others must agree. in_shape is the first input's. */
static ct_status infer_merge(const ct_model_plan *plan, size_t index, ct_layer_plan *l)
{
    bool concat = l->spec->kind == CT_LAYER_CONCATENATE;
    if (l->input_count < 2)
        return layer_error(index, l, "a merge layer takes two or more inputs", NULL);
    if (concat && l->spec->concatenate.axis != -1 && l->spec->concatenate.axis != l->in_ndim)
        return layer_error(index, l, "only the last axis (-1) can be concatenated", NULL);
    l->out_ndim = l->in_ndim;
    memcpy(l->out_shape, l->in_shape, sizeof l->out_shape);
    for (size_t k = 1; k < l->input_count; k++) {
        size_t from = l->inputs[k];
        int ndim = from == CT_PLAN_DATA ? plan->in_ndim : plan->layers[from].out_ndim;
        const size_t *shape = from == CT_PLAN_DATA ? plan->in_shape : plan->layers[from].out_shape;
        bool fits = ndim == l->in_ndim;
        for (int d = 0; fits && d < ndim; d++)
            fits = shape[d] == l->in_shape[d] || (concat && d == ndim - 1);
        if (!fits) {
            char other[96], what[320];
            shape_text(ndim, shape, other, sizeof other);
            snprintf(what, sizeof what, "input %zu ('%s') is %s: %s", k,
                     from == CT_PLAN_DATA ? CT_MODEL_INPUT_NAME : plan->layers[from].name, other,
                     concat ? "Concatenate needs the same shape but for the last axis"
                            : "Add needs inputs of one shape");
            return layer_error(index, l, what, NULL);
        }
        if (concat)
            l->out_shape[ndim - 1] += shape[ndim - 1];
    }
    l->params = l->trainable_params = 0;
    return CT_OK;
}

ct_status ct_model_plan_create(const ct_model_spec *spec, int in_ndim, const size_t *in_shape, ct_model_plan *out)
{
    memset(out, 0, sizeof *out);
    if (spec->layer_count == 0)
        return ct_fail(CT_ERR_CONFIG, "model: no layers");
    if (in_ndim < 1 || in_ndim > 3)
        return ct_fail(CT_ERR_SHAPE, "model: inputs have 1 to 3 dimensions per sample, not %d", in_ndim);
    out->layers = calloc(spec->layer_count, sizeof *out->layers);
    if (!out->layers)
        return ct_fail(CT_ERR_NO_MEMORY, "model plan");
    out->layer_count = spec->layer_count;
    out->in_ndim = in_ndim;
    memcpy(out->in_shape, in_shape, (size_t)in_ndim * sizeof *in_shape);
    out->graph = names_inputs(spec);
    for (size_t i = 0; i < spec->layer_count; i++) {
        ct_layer_plan *l = &out->layers[i];
        l->spec = &spec->layers[i];
        if (l->spec->name)
            snprintf(l->name, sizeof l->name, "%s", l->spec->name);
        else
            auto_name(out->layers, i, l->name, sizeof l->name);
        ct_status s = resolve_inputs(out, spec, i, l);
        if (s == CT_OK) {
            size_t from = l->inputs[0];
            l->in_ndim = from == CT_PLAN_DATA ? in_ndim : out->layers[from].out_ndim;
            memcpy(l->in_shape, from == CT_PLAN_DATA ? in_shape : out->layers[from].out_shape,
                   (size_t)l->in_ndim * sizeof *in_shape);
            bool merge = l->spec->kind == CT_LAYER_ADD || l->spec->kind == CT_LAYER_CONCATENATE;
            s = merge ? infer_merge(out, i, l) : infer_layer(i, l);
        }
        if (s != CT_OK) {
            ct_model_plan_free(out);
            return s;
        }
        out->total_params += l->params;
        out->trainable_params += l->trainable_params;
    }
    return CT_OK;
}

double ct_model_plan_train_flops(const ct_model_plan *plan)
{
    double flops = 0;
    for (size_t i = 0; i < plan->layer_count; i++) {
        const ct_layer_plan *l = &plan->layers[i];
        if (l->spec->kind != CT_LAYER_DENSE && l->spec->kind != CT_LAYER_CONV2D)
            continue;
        double positions = 1; /* Conv2D: every output pixel; Dense: one */
        for (int d = 0; d + 1 < l->out_ndim; d++)
            positions *= (double)l->out_shape[d];
        flops += 6.0 * (double)l->params * positions;
    }
    return flops;
}

void ct_model_plan_free(ct_model_plan *plan)
{
    for (size_t i = 0; plan->layers && i < plan->layer_count; i++)
        free(plan->layers[i].inputs);
    free(plan->layers);
    memset(plan, 0, sizeof *plan);
}
