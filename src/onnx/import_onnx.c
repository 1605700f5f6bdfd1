/* init.from: the weighted nodes of an ONNX graph and their initializers,
 * with what the matcher needs to convert PyTorch's and tf2onnx's layouts
 * (see weights_import.h). The graph is walked once, in its (topological)
 * node order, following one value's layout: Conv, pooling and 4-D
 * BatchNormalization work channels-first; a Transpose with perm (0, 2, 3, 1)
 * makes the value channels-last, (0, 3, 1, 2) channels-first again; a
 * Flatten or Reshape of a channels-first value marks the next Gemm/MatMul
 * as reading (C, H, W) order. Enough for sequential models; branching
 * graphs are not followed value by value. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fs.h"
#include "onnx/onnx_internal.h"
#include "onnx/weights_import_internal.h"

typedef struct {
    const char *path;
    const Onnx__GraphProto *g;
} graph;

static const Onnx__TensorProto *initializer(const graph *g, const char *name)
{
    if (!name || !name[0])
        return NULL;
    for (size_t i = 0; i < g->g->n_initializer; i++)
        if (g->g->initializer[i]->name && !strcmp(g->g->initializer[i]->name, name))
            return g->g->initializer[i];
    return NULL;
}

static const char *node_name(const Onnx__NodeProto *n)
{
    return n->name && n->name[0] ? n->name : n->n_output && n->output[0] ? n->output[0] : "?";
}

/* Input k of node n as an initializer, into l->vars[l->n_vars++]. */
static ct_status take(const graph *g, const Onnx__NodeProto *n, size_t k, const char *what, import_layer *l)
{
    const Onnx__TensorProto *t = k < n->n_input ? initializer(g, n->input[k]) : NULL;
    if (!t)
        return ct_fail(CT_ERR_UNSUPPORTED, "%s: node '%s' (%s): its %s is not a constant (initializer) of the graph, "
                                           "so there is no weight to read", g->path, node_name(n), n->op_type, what);
    ct_status s = ct_onnx_tensor_from_proto(t, &l->vars[l->n_vars]);
    if (s == CT_OK && l->vars[l->n_vars].is_int64) {
        ct_onnx_tensor_free(&l->vars[l->n_vars]);
        s = ct_fail(CT_ERR_UNSUPPORTED, "an int64 tensor");
    }
    if (s != CT_OK)
        return ct_fail_context(s, "%s: node '%s' (%s), %s", g->path, node_name(n), n->op_type, what);
    l->n_vars++;
    return CT_OK;
}

static bool has_input(const Onnx__NodeProto *n, size_t k) { return k < n->n_input && n->input[k] && n->input[k][0]; }

static ct_status new_layer(import_list *out, const Onnx__NodeProto *n, ct_layer_kind kind, import_layer **l)
{
    CT_TRY(import_list_add(out, l));
    snprintf((*l)->name, sizeof (*l)->name, "node '%s' (%s)", node_name(n), n->op_type);
    (*l)->kind = kind;
    (*l)->onnx = true;
    return CT_OK;
}

/* The Add that takes MatMul node n's output and a constant: tf2onnx's and
 * PyTorch's bias of a MatMul Dense. Returns its index, or -1. */
static long bias_add(const graph *g, size_t n_index, size_t *const_input)
{
    const Onnx__NodeProto *n = g->g->node[n_index];
    if (!n->n_output)
        return -1;
    for (size_t j = n_index + 1; j < g->g->n_node; j++) {
        const Onnx__NodeProto *a = g->g->node[j];
        if (!a->op_type || strcmp(a->op_type, "Add") != 0 || a->n_input != 2)
            continue;
        for (size_t k = 0; k < 2; k++)
            if (a->input[k] && !strcmp(a->input[k], n->output[0]) && initializer(g, a->input[1 - k])) {
                *const_input = 1 - k;
                return (long)j;
            }
    }
    return -1;
}

static bool perm_is(const Onnx__NodeProto *n, const int64_t *want)
{
    size_t count = 0;
    const int64_t *perm = ct_onnx_attr_ints(n, "perm", &count);
    return perm && count == 4 && !memcmp(perm, want, 4 * sizeof *perm);
}

static ct_status dense_node(const graph *g, size_t index, bool *chw_pending, bool *skip, import_list *out)
{
    const Onnx__NodeProto *n = g->g->node[index];
    bool gemm = !strcmp(n->op_type, "Gemm");
    if (!gemm && (n->n_input < 2 || !initializer(g, n->input[1])))
        return CT_OK; /* a MatMul of two computed values: no weights */
    if (gemm && (ct_onnx_attr_i(n, "transA", 0) || ct_onnx_attr_f(n, "alpha", 1.0f) != 1.0f ||
                 (has_input(n, 2) && ct_onnx_attr_f(n, "beta", 1.0f) != 1.0f)))
        return ct_fail(CT_ERR_UNSUPPORTED, "%s: node '%s' (Gemm): transA, alpha or beta other than Dense's "
                                           "(0, 1, 1)", g->path, node_name(n));
    import_layer *l;
    CT_TRY(new_layer(out, n, CT_LAYER_DENSE, &l));
    l->trans_b = gemm && ct_onnx_attr_i(n, "transB", 0);
    l->chw_flatten = *chw_pending;
    *chw_pending = false;
    CT_TRY(take(g, n, 1, "weight (B)", l));
    if (gemm && has_input(n, 2))
        return take(g, n, 2, "bias (C)", l);
    size_t k = 0;
    long add = gemm ? -1 : bias_add(g, index, &k);
    if (add >= 0) {
        skip[add] = true;
        return take(g, g->g->node[add], k, "bias", l);
    }
    return CT_OK;
}

/* The standardisation of a cltrain export of a CSV model (onnx_export.c):
 * Sub mean_hi, Sub mean_lo, Div scale, and the column names in metadata. */
static ct_status standardization_of(const graph *g, const Onnx__ModelProto *m, ct_feature_columns *out)
{
    const Onnx__TensorProto *hi = initializer(g, "standardize/mean_hi"), *lo = initializer(g, "standardize/mean_lo"),
                            *scale = initializer(g, "standardize/scale");
    if (!hi || !lo || !scale)
        return CT_OK;
    ct_onnx_tensor t[3] = {{0}};
    ct_status s = ct_onnx_tensor_from_proto(hi, &t[0]);
    if (s == CT_OK)
        s = ct_onnx_tensor_from_proto(lo, &t[1]);
    if (s == CT_OK)
        s = ct_onnx_tensor_from_proto(scale, &t[2]);
    size_t n = s == CT_OK ? ct_onnx_tensor_count(&t[0]) : 0;
    for (int k = 0; s == CT_OK && k < 3; k++)
        if (t[k].is_int64 || ct_onnx_tensor_count(&t[k]) != n)
            s = ct_fail(CT_ERR_PARSE, "%s: the standardize/ constants differ in size or type", g->path);
    const char *columns = NULL;
    for (size_t i = 0; i < m->n_metadata_props; i++)
        if (m->metadata_props[i]->key && !strcmp(m->metadata_props[i]->key, "cltrain.input_columns"))
            columns = m->metadata_props[i]->value;
    if (s == CT_OK && n) {
        out->names = calloc(n, sizeof *out->names);
        out->mean = calloc(n, sizeof *out->mean);
        out->scale = calloc(n, sizeof *out->scale);
        if (!out->names || !out->mean || !out->scale)
            s = ct_fail(CT_ERR_NO_MEMORY, "out of memory");
        else
            out->count = n;
        const char *c = columns;
        for (size_t i = 0; s == CT_OK && i < n; i++) {
            const char *end = c ? strchr(c, '\n') : NULL;
            size_t len = c ? (end ? (size_t)(end - c) : strlen(c)) : 0;
            out->names[i] = c ? strndup(c, len) : strdup("?");
            if (!out->names[i])
                s = ct_fail(CT_ERR_NO_MEMORY, "out of memory");
            c = end ? end + 1 : NULL;
            out->mean[i] = (double)t[0].f[i] + (double)t[1].f[i];
            out->scale[i] = (double)t[2].f[i];
        }
    }
    for (int k = 0; k < 3; k++)
        ct_onnx_tensor_free(&t[k]);
    if (s != CT_OK)
        ct_feature_columns_free(out);
    return s;
}

static ct_status walk(const graph *g, import_list *out)
{
    static const int64_t to_last[4] = {0, 2, 3, 1}, to_first[4] = {0, 3, 1, 2};
    bool *skip = calloc(g->g->n_node ? g->g->n_node : 1, sizeof *skip);
    if (!skip)
        return ct_fail(CT_ERR_NO_MEMORY, "out of memory");
    bool nchw = false, chw_pending = false;
    ct_status s = CT_OK;
    for (size_t i = 0; s == CT_OK && i < g->g->n_node; i++) {
        const Onnx__NodeProto *n = g->g->node[i];
        const char *op = n->op_type ? n->op_type : "";
        if (skip[i] || (n->domain && n->domain[0] && strcmp(n->domain, "ai.onnx") != 0))
            continue;
        import_layer *l;
        if (!strcmp(op, "Conv")) {
            if (ct_onnx_attr_i(n, "group", 1) != 1)
                s = ct_fail(CT_ERR_UNSUPPORTED, "%s: node '%s' (Conv): group = %lld (Conv2D has 1)", g->path,
                            node_name(n), (long long)ct_onnx_attr_i(n, "group", 1));
            if (s == CT_OK)
                s = new_layer(out, n, CT_LAYER_CONV2D, &l);
            if (s == CT_OK)
                s = take(g, n, 1, "weight (W)", l);
            if (s == CT_OK && has_input(n, 2))
                s = take(g, n, 2, "bias (B)", l);
            nchw = true;
        } else if (!strcmp(op, "Gemm") || !strcmp(op, "MatMul")) {
            s = dense_node(g, i, &chw_pending, skip, out);
            nchw = false;
        } else if (!strcmp(op, "BatchNormalization")) {
            static const char *const what[4] = {"scale", "B", "input_mean", "input_var"};
            s = new_layer(out, n, CT_LAYER_BATCH_NORMALIZATION, &l);
            for (size_t k = 0; s == CT_OK && k < 4; k++)
                s = take(g, n, k + 1, what[k], l);
        } else if (strstr(op, "Pool")) {
            nchw = true;
        } else if (!strcmp(op, "Transpose")) {
            if (perm_is(n, to_last))
                nchw = false;
            else if (perm_is(n, to_first))
                nchw = true;
        } else if (!strcmp(op, "Flatten") || !strcmp(op, "Reshape")) {
            chw_pending = chw_pending || nchw;
            nchw = false;
        }
    }
    free(skip);
    return s;
}

ct_status ct_import_onnx_bytes(const char *path, const uint8_t *bytes, size_t len, import_list *out,
                               ct_feature_columns *standardization)
{
    Onnx__ModelProto *m = onnx__model_proto__unpack(NULL, len, bytes);
    if (!m)
        return ct_fail(CT_ERR_PARSE, "%s: not an ONNX model (protobuf ModelProto)", path);
    ct_status s = CT_OK;
    if (!m->graph)
        s = ct_fail(CT_ERR_PARSE, "%s: the ONNX model has no graph", path);
    graph g = {path, m->graph};
    if (s == CT_OK)
        s = walk(&g, out);
    if (s == CT_OK && standardization)
        s = standardization_of(&g, m, standardization);
    onnx__model_proto__free_unpacked(m, NULL);
    return s;
}

ct_status ct_import_onnx(const char *path, import_list *out, ct_feature_columns *standardization)
{
    char *bytes = NULL;
    size_t len = 0;
    CT_TRY(ct_read_file(path, &bytes, &len));
    ct_status s = ct_import_onnx_bytes(path, (const uint8_t *)bytes, len, out, standardization);
    free(bytes);
    return s;
}
