/* A run's model as ONNX (see onnx_export.h): the plan gives each layer's
 * shapes, weights.bin its tensors; each layer becomes one or a few nodes. */
#include "onnx/onnx_export.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cltrain/data.h"
#include "cltrain/experiment.h"
#include "cltrain/model.h"
#include "cltrain/ops_nn.h" /* CT_LEAKY_RELU_NEGATIVE_SLOPE, CT_ELU_ALPHA */
#include "cltrain/report.h"
#include "onnx/exported_run.h"
#include "onnx/onnx_builder.h"
#include "plot/run_reader.h" /* summary.yaml's class names */

typedef struct {
    const char *run_dir;
    ct_exported_run run;
    ct_experiment *exp; /* run.exp */
    ct_onnx_builder *b;
    const char *cur; /* the value the next layer reads */
    int ndim;        /* its rank with the batch axis */
    bool nchw;       /* a 4-D value in ONNX's channels-first order (else NHWC) */
    /* Graph models: each layer's output value and its layout, and the
     * data's value, for the layers that name them in inputs. */
    const char **values;
    bool *values_nchw;
    const char *data_value;
} exporter;

static void join(char *out, size_t size, const char *dir, const char *name)
{
    snprintf(out, size, "%s/%s", dir, name);
}

/* A one-input, one-output node; the output is a fresh value that becomes cur. */
static Onnx__NodeProto *chain(exporter *e, const char *op, const char *node_name, const char *extra1,
                              const char *extra2)
{
    const char *out = ct_onnx_unique_name(e->b, node_name);
    const char *inputs[4] = {e->cur, extra1, extra1 ? extra2 : NULL, NULL};
    const char *outputs[2] = {out, NULL};
    Onnx__NodeProto *node = ct_onnx_add_node(e->b, op, node_name, inputs, outputs);
    if (out)
        e->cur = out;
    return node;
}

static void transpose(exporter *e, const char *name, bool to_nchw)
{
    static const int64_t to_first[4] = {0, 3, 1, 2}, to_last[4] = {0, 2, 3, 1};
    Onnx__NodeProto *node = chain(e, "Transpose", name, NULL, NULL);
    ct_onnx_node_ints(e->b, node, "perm", 4, to_nchw ? to_first : to_last);
    e->nchw = to_nchw;
}

static void want_nchw(exporter *e, const char *layer)
{
    char name[CT_LAYER_NAME_MAX + 32];
    if (e->ndim == 4 && !e->nchw) {
        snprintf(name, sizeof name, "%s/to_nchw", layer);
        transpose(e, name, true);
    }
}

static void want_nhwc(exporter *e, const char *layer)
{
    char name[CT_LAYER_NAME_MAX + 32];
    if (e->ndim == 4 && e->nchw) {
        snprintf(name, sizeof name, "%s/to_nhwc", layer);
        transpose(e, name, false);
    }
}

/* op(a, b) -> a fresh value named after `name`; the node takes the value's
 * name (node names must be unique too). b may be NULL (a unary op). */
static const char *node_to_fresh(exporter *e, const char *op, const char *name, const char *a, const char *b)
{
    const char *out = ct_onnx_unique_name(e->b, name);
    const char *inputs[3] = {a, b, NULL}, *outputs[2] = {out, NULL};
    ct_onnx_add_node(e->b, op, out ? out : name, inputs, outputs);
    return out;
}

/* A float scalar initializer named `layer/what`. */
static const char *scalar(exporter *e, const char *layer, const char *what, float value, char *buf, size_t size)
{
    snprintf(buf, size, "%s/%s", layer, what);
    ct_onnx_add_float_tensor(e->b, buf, 0, NULL, &value);
    return buf;
}

/* Opset 13 has no Gelu (opset 20) nor Silu/Swish: silu = x Sigmoid(x),
 * gelu = x 0.5 (1 + Erf(x / sqrt 2)), the tanh form = x Sigmoid(2 sqrt(2/pi)
 * (x + 0.044715 x^3)) (0.5 (1 + tanh u) = sigmoid(2u)). */
static void composed_activation(exporter *e, ct_activation act, const char *layer)
{
    char name[CT_LAYER_NAME_MAX + 48], c1[CT_LAYER_NAME_MAX + 48], c2[CT_LAYER_NAME_MAX + 48];
    const char *x = e->cur, *v;
    snprintf(name, sizeof name, "%s/%s", layer, ct_activation_name(act));
    if (act == CT_ACTIVATION_SILU) {
        v = x;
    } else if (act == CT_ACTIVATION_GELU) {
        const char *erf_in =
            node_to_fresh(e, "Mul", name, x, scalar(e, layer, "gelu_inv_sqrt2", 0.70710678118654752f, c1, sizeof c1));
        const char *erf_out = node_to_fresh(e, "Erf", name, erf_in, NULL);
        const char *one = scalar(e, layer, "gelu_one", 1.0f, c1, sizeof c1);
        const char *one_plus = node_to_fresh(e, "Add", name, erf_out, one);
        const char *half = node_to_fresh(e, "Mul", name, one_plus, scalar(e, layer, "gelu_half", 0.5f, c2, sizeof c2));
        if (half)
            e->cur = node_to_fresh(e, "Mul", name, x, half);
        return;
    } else { /* CT_ACTIVATION_GELU_APPROXIMATE */
        const char *x2 = node_to_fresh(e, "Mul", name, x, x), *x3 = node_to_fresh(e, "Mul", name, x2, x);
        const char *cx3 = node_to_fresh(e, "Mul", name, x3, scalar(e, layer, "gelu_c", 0.044715f, c1, sizeof c1));
        const char *u = node_to_fresh(e, "Add", name, x, cx3);
        v = node_to_fresh(e, "Mul", name, u, scalar(e, layer, "gelu_2k", 1.5957691216057308f, c2, sizeof c2));
    }
    const char *sig = node_to_fresh(e, "Sigmoid", name, v, NULL);
    const char *out = node_to_fresh(e, "Mul", name, x, sig);
    if (out)
        e->cur = out;
}

static void activation(exporter *e, ct_activation act, const char *layer)
{
    static const char *const ops[CT_ACTIVATION_COUNT] = {
        [CT_ACTIVATION_RELU] = "Relu",       [CT_ACTIVATION_SIGMOID] = "Sigmoid",
        [CT_ACTIVATION_TANH] = "Tanh",       [CT_ACTIVATION_SOFTMAX] = "Softmax",
        [CT_ACTIVATION_LEAKY_RELU] = "LeakyRelu", [CT_ACTIVATION_ELU] = "Elu",
        [CT_ACTIVATION_SELU] = "Selu",       [CT_ACTIVATION_SOFTPLUS] = "Softplus",
    };
    if (act == CT_ACTIVATION_LINEAR || act >= CT_ACTIVATION_COUNT)
        return;
    if (!ops[act]) {
        composed_activation(e, act, layer);
        return;
    }
    char name[CT_LAYER_NAME_MAX + 32];
    snprintf(name, sizeof name, "%s/%s", layer, ct_activation_name(act));
    Onnx__NodeProto *node = chain(e, ops[act], name, NULL, NULL);
    if (act == CT_ACTIVATION_SOFTMAX) /* Keras: the last axis, which is channels; in NCHW that is axis 1 */
        ct_onnx_node_int(e->b, node, "axis", e->nchw ? 1 : -1);
    else if (act == CT_ACTIVATION_LEAKY_RELU)
        ct_onnx_node_float(e->b, node, "alpha", CT_LEAKY_RELU_NEGATIVE_SLOPE);
    else if (act == CT_ACTIVATION_ELU)
        ct_onnx_node_float(e->b, node, "alpha", CT_ELU_ALPHA);
    else if (act == CT_ACTIVATION_SELU) { /* ONNX's defaults, written out: Keras 3's constants */
        ct_onnx_node_float(e->b, node, "alpha", 1.67326319217681884765625f);
        ct_onnx_node_float(e->b, node, "gamma", 1.05070102214813232421875f);
    }
}

/* Keras' padding as ONNX's explicit pads [top, left, bottom, right]: 'same'
 * puts the odd extra row/column at the bottom/right, like ONNX's SAME_UPPER. */
static void explicit_pads(const ct_layer_plan *p, const int *kernel, const int *strides, ct_padding padding,
                          int64_t pads[4])
{
    memset(pads, 0, 4 * sizeof *pads);
    if (padding != CT_PADDING_SAME)
        return;
    for (int d = 0; d < 2; d++) {
        int64_t total = ((int64_t)p->out_shape[d] - 1) * strides[d] + kernel[d] - (int64_t)p->in_shape[d];
        if (total < 0)
            total = 0;
        pads[d] = total / 2;
        pads[d + 2] = total - total / 2;
    }
}

static ct_status export_dense(exporter *e, const ct_layer_plan *p)
{
    const ct_dense_spec *s = &p->spec->dense;
    size_t in = p->in_shape[0], units = (size_t)s->units, kshape[2] = {in, units};
    const float *kernel, *bias = NULL;
    CT_TRY(ct_exported_run_weight(&e->run, p->name, "kernel", 2, kshape, &kernel));
    if (s->use_bias)
        CT_TRY(ct_exported_run_weight(&e->run, p->name, "bias", 1, &units, &bias));
    char kname[CT_LAYER_NAME_MAX + 16], bname[CT_LAYER_NAME_MAX + 16];
    snprintf(kname, sizeof kname, "%s/kernel", p->name);
    snprintf(bname, sizeof bname, "%s/bias", p->name);
    int64_t dims[2] = {(int64_t)in, (int64_t)units}; /* Gemm's B as (K, N): Keras' (in, out) as it is */
    ct_onnx_add_float_tensor(e->b, kname, 2, dims, kernel);
    if (bias)
        ct_onnx_add_float_tensor(e->b, bname, 1, dims + 1, bias);
    chain(e, "Gemm", p->name, kname, bias ? bname : NULL);
    activation(e, s->activation, p->name);
    return CT_OK;
}

static ct_status export_conv(exporter *e, const ct_layer_plan *p)
{
    const ct_conv2d_spec *s = &p->spec->conv2d;
    size_t kh = (size_t)s->kernel_size[0], kw = (size_t)s->kernel_size[1], cin = p->in_shape[2];
    size_t cout = (size_t)s->filters, kshape[4] = {kh, kw, cin, cout};
    const float *kernel, *bias = NULL;
    CT_TRY(ct_exported_run_weight(&e->run, p->name, "kernel", 4, kshape, &kernel));
    if (s->use_bias)
        CT_TRY(ct_exported_run_weight(&e->run, p->name, "bias", 1, &cout, &bias));
    /* Keras (KH, KW, Cin, Cout) to ONNX (Cout, Cin, KH, KW). */
    float *oihw = malloc(kh * kw * cin * cout * sizeof *oihw);
    if (!oihw)
        return ct_fail(CT_ERR_NO_MEMORY, "ONNX export: out of memory");
    for (size_t y = 0; y < kh; y++)
        for (size_t x = 0; x < kw; x++)
            for (size_t i = 0; i < cin; i++)
                for (size_t o = 0; o < cout; o++)
                    oihw[((o * cin + i) * kh + y) * kw + x] = kernel[((y * kw + x) * cin + i) * cout + o];
    char kname[CT_LAYER_NAME_MAX + 16], bname[CT_LAYER_NAME_MAX + 16];
    snprintf(kname, sizeof kname, "%s/kernel", p->name);
    snprintf(bname, sizeof bname, "%s/bias", p->name);
    int64_t dims[4] = {(int64_t)cout, (int64_t)cin, (int64_t)kh, (int64_t)kw};
    ct_onnx_add_float_tensor(e->b, kname, 4, dims, oihw);
    free(oihw);
    if (bias)
        ct_onnx_add_float_tensor(e->b, bname, 1, dims, bias);
    want_nchw(e, p->name);
    int64_t pads[4], strides[2] = {s->strides[0], s->strides[1]}, kernel_shape[2] = {(int64_t)kh, (int64_t)kw};
    explicit_pads(p, s->kernel_size, s->strides, s->padding, pads);
    Onnx__NodeProto *node = chain(e, "Conv", p->name, kname, bias ? bname : NULL);
    ct_onnx_node_ints(e->b, node, "kernel_shape", 2, kernel_shape);
    ct_onnx_node_ints(e->b, node, "strides", 2, strides);
    ct_onnx_node_ints(e->b, node, "pads", 4, pads);
    activation(e, s->activation, p->name);
    return CT_OK;
}

static ct_status export_pool(exporter *e, const ct_layer_plan *p)
{
    const ct_pooling2d_spec *s = &p->spec->pooling;
    int strides[2] = {s->strides[0] > 0 ? s->strides[0] : s->pool_size[0],
                      s->strides[1] > 0 ? s->strides[1] : s->pool_size[1]};
    int64_t pads[4], strides64[2] = {strides[0], strides[1]}, kernel_shape[2] = {s->pool_size[0], s->pool_size[1]};
    explicit_pads(p, s->pool_size, strides, s->padding, pads);
    want_nchw(e, p->name);
    bool max = p->spec->kind == CT_LAYER_MAX_POOLING2D;
    Onnx__NodeProto *node = chain(e, max ? "MaxPool" : "AveragePool", p->name, NULL, NULL);
    ct_onnx_node_ints(e->b, node, "kernel_shape", 2, kernel_shape);
    ct_onnx_node_ints(e->b, node, "strides", 2, strides64);
    ct_onnx_node_ints(e->b, node, "pads", 4, pads);
    /* Keras averages over the window's pixels inside the image: ONNX's
     * default count_include_pad = 0, written out for readers. */
    if (!max)
        ct_onnx_node_int(e->b, node, "count_include_pad", 0);
    return CT_OK;
}

/* ONNX's global pools give (N, C, 1, 1); without Keras' keepdims a Flatten
 * makes that (N, C). */
static void export_global_pool(exporter *e, const ct_layer_plan *p)
{
    bool max = p->spec->kind == CT_LAYER_GLOBAL_MAX_POOLING2D;
    want_nchw(e, p->name);
    chain(e, max ? "GlobalMaxPool" : "GlobalAveragePool", p->name, NULL, NULL);
    if (!p->spec->global_pooling.keepdims) {
        char name[CT_LAYER_NAME_MAX + 32];
        snprintf(name, sizeof name, "%s/flatten", p->name);
        Onnx__NodeProto *node = chain(e, "Flatten", name, NULL, NULL);
        ct_onnx_node_int(e->b, node, "axis", 1);
    }
}

static ct_status export_batch_norm(exporter *e, const ct_layer_plan *p)
{
    size_t c = p->in_shape[p->in_ndim - 1];
    const float *gamma = NULL, *beta = NULL, *mean, *var;
    float *ones = malloc(c * sizeof *ones), *zeros = calloc(c, sizeof *zeros);
    ct_status s = ones && zeros ? CT_OK : ct_fail(CT_ERR_NO_MEMORY, "ONNX export: out of memory");
    for (size_t i = 0; ones && i < c; i++)
        ones[i] = 1.0f;
    if (s == CT_OK && ct_exported_run_has_weight(&e->run, p->name, "gamma"))
        s = ct_exported_run_weight(&e->run, p->name, "gamma", 1, &c, &gamma);
    if (s == CT_OK && ct_exported_run_has_weight(&e->run, p->name, "beta"))
        s = ct_exported_run_weight(&e->run, p->name, "beta", 1, &c, &beta);
    if (s == CT_OK)
        s = ct_exported_run_weight(&e->run, p->name, "moving_mean", 1, &c, &mean);
    if (s == CT_OK)
        s = ct_exported_run_weight(&e->run, p->name, "moving_variance", 1, &c, &var);
    if (s == CT_OK) {
        const char *what[4] = {"gamma", "beta", "moving_mean", "moving_variance"};
        const float *data[4] = {gamma ? gamma : ones, beta ? beta : zeros, mean, var};
        char names[4][CT_LAYER_NAME_MAX + 24];
        int64_t dims[1] = {(int64_t)c};
        for (int k = 0; k < 4; k++) {
            snprintf(names[k], sizeof names[k], "%s/%s", p->name, what[k]);
            ct_onnx_add_float_tensor(e->b, names[k], 1, dims, data[k]);
        }
        want_nchw(e, p->name); /* Keras normalises the last axis: channels, ONNX's axis 1 */
        const char *inputs[6] = {e->cur, names[0], names[1], names[2], names[3], NULL};
        const char *out = ct_onnx_unique_name(e->b, p->name);
        const char *outputs[2] = {out, NULL};
        Onnx__NodeProto *node = ct_onnx_add_node(e->b, "BatchNormalization", p->name, inputs, outputs);
        ct_onnx_node_float(e->b, node, "epsilon", (float)p->spec->batch_normalization.epsilon);
        ct_onnx_node_float(e->b, node, "momentum", (float)p->spec->batch_normalization.momentum);
        if (out)
            e->cur = out;
    }
    free(ones);
    free(zeros);
    return s;
}

/* The value layer `from` (or the data) gave becomes cur. */
static void take_input(exporter *e, size_t from)
{
    const ct_model_plan *plan = &e->run.plan;
    e->cur = from == CT_PLAN_DATA ? e->data_value : e->values[from];
    e->nchw = from == CT_PLAN_DATA ? false : e->values_nchw[from];
    e->ndim = (from == CT_PLAN_DATA ? plan->in_ndim : plan->layers[from].out_ndim) + 1;
}

/* Keras' Add and Concatenate as ONNX Add nodes (two inputs each, summed in
 * input order as Keras does) and one Concat: every input in the layout of
 * the first (a Transpose where another differs), Concat on the channels. */
static ct_status export_merge(exporter *e, const ct_layer_plan *p)
{
    size_t count = p->input_count;
    const char **names = calloc(count + 1, sizeof *names);
    if (!names)
        return ct_fail(CT_ERR_NO_MEMORY, "ONNX export: out of memory");
    bool nchw = e->nchw;
    int ndim = e->ndim;
    names[0] = e->cur;
    for (size_t k = 1; k < count; k++) {
        take_input(e, p->inputs[k]);
        if (e->ndim == 4 && e->nchw != nchw) {
            char name[CT_LAYER_NAME_MAX + 64];
            snprintf(name, sizeof name, "%s/input_%zu_to_%s", p->name, k, nchw ? "nchw" : "nhwc");
            transpose(e, name, nchw);
        }
        names[k] = e->cur;
    }
    e->nchw = nchw;
    e->ndim = ndim;
    if (p->spec->kind == CT_LAYER_ADD) {
        const char *sum = names[0];
        for (size_t k = 1; k < count; k++)
            sum = node_to_fresh(e, "Add", p->name, sum, names[k]);
        e->cur = sum;
    } else {
        const char *out = ct_onnx_unique_name(e->b, p->name), *outputs[2] = {out, NULL};
        Onnx__NodeProto *node = ct_onnx_add_node(e->b, "Concat", p->name, names, outputs);
        ct_onnx_node_int(e->b, node, "axis", nchw ? 1 : -1); /* Keras' axis -1: the channels */
        e->cur = out;
    }
    free(names);
    return CT_OK;
}

static ct_status export_layer(exporter *e, const ct_layer_plan *p)
{
    ct_status s = CT_OK;
    switch (p->spec->kind) {
    case CT_LAYER_ADD:
    case CT_LAYER_CONCATENATE:
        s = export_merge(e, p);
        break;
    case CT_LAYER_DENSE:
        s = export_dense(e, p);
        break;
    case CT_LAYER_CONV2D:
        s = export_conv(e, p);
        break;
    case CT_LAYER_MAX_POOLING2D:
    case CT_LAYER_AVERAGE_POOLING2D:
        s = export_pool(e, p);
        break;
    case CT_LAYER_GLOBAL_AVERAGE_POOLING2D:
    case CT_LAYER_GLOBAL_MAX_POOLING2D:
        export_global_pool(e, p);
        break;
    case CT_LAYER_RESHAPE: { /* Keras' order is (H, W, C): reshape NHWC; 0 keeps the batch size */
        want_nhwc(e, p->name);
        char shape[CT_LAYER_NAME_MAX + 32];
        snprintf(shape, sizeof shape, "%s/shape", p->name);
        int64_t dims[4] = {0, 0, 0, 0}, count = p->out_ndim + 1;
        for (int d = 0; d < p->out_ndim; d++)
            dims[d + 1] = (int64_t)p->out_shape[d];
        ct_onnx_add_int64_tensor(e->b, shape, 1, &count, dims);
        chain(e, "Reshape", p->name, shape, NULL);
        break;
    }
    case CT_LAYER_RESCALING: { /* Mul then Add, float scalars: Keras' two roundings */
        char scale[CT_LAYER_NAME_MAX + 32], offset[CT_LAYER_NAME_MAX + 32];
        float values[2] = {(float)p->spec->rescaling.scale, (float)p->spec->rescaling.offset};
        scalar(e, p->name, "scale", values[0], scale, sizeof scale);
        scalar(e, p->name, "offset", values[1], offset, sizeof offset);
        char name[CT_LAYER_NAME_MAX + 32];
        snprintf(name, sizeof name, "%s/mul", p->name);
        chain(e, "Mul", name, scale, NULL);
        snprintf(name, sizeof name, "%s/add", p->name);
        chain(e, "Add", name, offset, NULL);
        break;
    }
    case CT_LAYER_LEAKY_RELU: {
        char name[CT_LAYER_NAME_MAX + 32];
        snprintf(name, sizeof name, "%s/leaky_relu", p->name);
        Onnx__NodeProto *node = chain(e, "LeakyRelu", name, NULL, NULL);
        ct_onnx_node_float(e->b, node, "alpha", (float)p->spec->leaky_relu.negative_slope);
        break;
    }
    case CT_LAYER_FLATTEN: {
        want_nhwc(e, p->name); /* Keras' Flatten order is (H, W, C) */
        Onnx__NodeProto *node = chain(e, "Flatten", p->name, NULL, NULL);
        ct_onnx_node_int(e->b, node, "axis", 1);
        break;
    }
    case CT_LAYER_DROPOUT: {
        /* Opset 13's Dropout: ratio is an input; without training_mode it
         * is the identity at inference, as in Keras. */
        char ratio[CT_LAYER_NAME_MAX + 16];
        snprintf(ratio, sizeof ratio, "%s/rate", p->name);
        float rate = (float)p->spec->dropout.rate;
        ct_onnx_add_float_tensor(e->b, ratio, 0, NULL, &rate);
        chain(e, "Dropout", p->name, ratio, NULL);
        break;
    }
    case CT_LAYER_BATCH_NORMALIZATION:
        s = export_batch_norm(e, p);
        break;
    case CT_LAYER_ACTIVATION:
        activation(e, p->spec->activation.activation, p->name);
        break;
    case CT_LAYER_RANDOM_CROP:
        if (p->in_shape[0] != p->out_shape[0] || p->in_shape[1] != p->out_shape[1])
            return ct_fail(CT_ERR_UNSUPPORTED, "%s/config.yaml: layer %s (random_crop to %zux%zu) has no ONNX "
                           "export: at inference it crops and resizes, which the export does not write",
                           e->run_dir, p->name, p->out_shape[0], p->out_shape[1]);
        break; /* to the input's own size: the identity */
    case CT_LAYER_RANDOM_FLIP: /* augmentation is the identity at inference: no node */
    case CT_LAYER_RANDOM_TRANSLATION:
    case CT_LAYER_RANDOM_ROTATION:
    case CT_LAYER_RANDOM_ZOOM:
        break;
    default:
        return ct_fail(CT_ERR_UNSUPPORTED, "%s/config.yaml: layer %s (%s) has no ONNX export", e->run_dir, p->name,
                       ct_layer_kind_name(p->spec->kind));
    }
    e->ndim = p->out_ndim + 1;
    if (e->ndim != 4)
        e->nchw = false;
    return s;
}

/* "a\nb\nc" from n strings (malloc'd). */
static char *lines_of(char *const *items, size_t n)
{
    size_t len = 1;
    for (size_t i = 0; i < n; i++)
        len += strlen(items[i]) + 1;
    char *text = malloc(len), *at = text;
    if (!text)
        return NULL;
    *at = '\0';
    for (size_t i = 0; i < n; i++)
        at += sprintf(at, "%s%s", i ? "\n" : "", items[i]);
    return text;
}

static void add_list_metadata(exporter *e, const char *key, char *const *items, size_t n)
{
    char *text = lines_of(items, n);
    if (text)
        ct_onnx_add_metadata(e->b, key, text);
    free(text);
}

static ct_status export_input(exporter *e)
{
    int64_t dims[4] = {-1, (int64_t)e->run.plan.in_shape[0], (int64_t)e->run.plan.in_shape[1],
                       (int64_t)e->run.plan.in_shape[2]};
    e->ndim = e->run.plan.in_ndim + 1;
    ct_onnx_add_input(e->b, "input", e->ndim, dims);
    e->cur = "input";
    if (e->exp->data.kind != CT_DATA_CSV) {
        ct_onnx_add_metadata(e->b, "cltrain.input_layout", "NHWC");
        return CT_OK;
    }
    /* (x - mean) / scale, as training standardised its rows (mean 0 and
     * scale 1 when it did not: the nodes stay, so every CSV model reads raw
     * columns the same way). cltrain subtracts the double mean; a float
     * mean alone would be off by up to half an ulp, which a small scale
     * magnifies (pressure: mean 1.0286, scale 0.007, so 1e-5 of error in
     * the standardised value). So the mean goes in as two floats, hi + lo:
     * x - hi is exact for x near the mean, and subtracting lo then rounds
     * once, as the double computation does. */
    size_t n = e->run.features.count;
    float *hi = malloc(n * sizeof *hi), *lo = malloc(n * sizeof *lo), *scale = malloc(n * sizeof *scale);
    if (!hi || !lo || !scale) {
        free(hi);
        free(lo);
        free(scale);
        return ct_fail(CT_ERR_NO_MEMORY, "ONNX export: out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        hi[i] = (float)e->run.features.mean[i];
        lo[i] = (float)(e->run.features.mean[i] - (double)hi[i]);
        scale[i] = (float)e->run.features.scale[i];
    }
    int64_t fdims[1] = {(int64_t)n};
    ct_onnx_add_float_tensor(e->b, "standardize/mean_hi", 1, fdims, hi);
    ct_onnx_add_float_tensor(e->b, "standardize/mean_lo", 1, fdims, lo);
    ct_onnx_add_float_tensor(e->b, "standardize/scale", 1, fdims, scale);
    free(hi);
    free(lo);
    free(scale);
    chain(e, "Sub", "standardize/subtract_mean_hi", "standardize/mean_hi", NULL);
    chain(e, "Sub", "standardize/subtract_mean_lo", "standardize/mean_lo", NULL);
    chain(e, "Div", "standardize/divide_by_scale", "standardize/scale", NULL);
    add_list_metadata(e, "cltrain.input_columns", e->run.features.names, n);
    return CT_OK;
}

/* The last value as `cltrain predict` reports it, renamed "output". */
static void export_output(exporter *e)
{
    const ct_layer_plan *last = &e->run.plan.layers[e->run.plan.layer_count - 1];
    want_nhwc(e, "output");
    bool classes = ct_exported_run_classifies(&e->run);
    if (classes && e->exp->train.from_logits) {
        size_t units = last->out_shape[last->out_ndim - 1];
        Onnx__NodeProto *node = chain(e, units == 1 ? "Sigmoid" : "Softmax", "output/probabilities", NULL, NULL);
        if (units > 1)
            ct_onnx_node_int(e->b, node, "axis", -1);
    }
    /* An Identity names the graph's output without renaming inner values. */
    const char *inputs[2] = {e->cur, NULL}, *outputs[2] = {"output", NULL};
    ct_onnx_add_node(e->b, "Identity", "output", inputs, outputs);
    int64_t dims[4] = {-1, (int64_t)last->out_shape[0], (int64_t)last->out_shape[1], (int64_t)last->out_shape[2]};
    ct_onnx_add_output(e->b, "output", last->out_ndim + 1, dims);
    ct_onnx_add_metadata(e->b, "cltrain.output", classes ? "probabilities" : "values");
}

static void export_class_names(exporter *e)
{
    if (!ct_exported_run_classifies(&e->run))
        return;
    char path[4096];
    join(path, sizeof path, e->run_dir, "summary.yaml");
    run_summary summary = {0};
    if (run_summary_read(path, &summary) == CT_OK && summary.n_class_names)
        add_list_metadata(e, "cltrain.classes", summary.class_names, summary.n_class_names);
    ct_clear_error(); /* names are labels: a run without them still exports */
    run_summary_free(&summary);
}

ct_status ct_onnx_export_run(const char *run_dir, const char *out_path)
{
    if (!run_dir || !out_path)
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "ct_onnx_export_run: NULL argument");
    exporter e = {.run_dir = run_dir};
    ct_status s = ct_exported_run_open(run_dir, &e.run);
    e.exp = e.run.exp;
    if (s == CT_OK)
        s = ct_onnx_builder_create(e.exp->name, CT_ONNX_OPSET, &e.b);
    if (s == CT_OK) {
        ct_onnx_set_producer(e.b, "cltrain", "0.1.0");
        char doc[512];
        snprintf(doc, sizeof doc,
                 "cltrain experiment %s, exported in inference mode (BatchNormalization with moving statistics, "
                 "Dropout as identity).",
                 e.exp->name);
        ct_onnx_set_doc(e.b, doc);
        ct_onnx_add_metadata(e.b, "cltrain.experiment", e.exp->name);
        s = export_input(&e);
    }
    if (s == CT_OK) {
        e.data_value = e.cur;
        e.values = calloc(e.run.plan.layer_count, sizeof *e.values);
        e.values_nchw = calloc(e.run.plan.layer_count, sizeof *e.values_nchw);
        if (!e.values || !e.values_nchw)
            s = ct_fail(CT_ERR_NO_MEMORY, "ONNX export: out of memory");
    }
    for (size_t i = 0; s == CT_OK && i < e.run.plan.layer_count; i++) {
        take_input(&e, e.run.plan.layers[i].inputs[0]); /* a sequential model: the value just made */
        s = export_layer(&e, &e.run.plan.layers[i]);
        e.values[i] = e.cur;
        e.values_nchw[i] = e.nchw;
    }
    free(e.values);
    free(e.values_nchw);
    if (s == CT_OK) {
        export_output(&e);
        export_class_names(&e);
        s = ct_onnx_builder_write(e.b, out_path);
    }
    ct_onnx_builder_free(e.b);
    ct_exported_run_close(&e.run);
    return s;
}
