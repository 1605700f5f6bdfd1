/* ONNX models loaded, checked node by node, and run (see onnx_model.h). */
#include "onnx/onnx_model.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fs.h" /* ct_read_file */
#include "onnx/onnx_internal.h"

typedef struct {
    const char *name;
    ct_onnx_tensor value;
    int set;
} slot;

struct ct_onnx_model {
    char *path;
    Onnx__ModelProto *proto;
    int64_t opset;
    const Onnx__ValueInfoProto **inputs; /* graph inputs without initializers */
    size_t n_inputs;
    const ct_onnx_op **ops; /* per node */
    slot *slots;            /* every value name: initializers, inputs, node outputs */
    size_t n_slots;
};

static slot *find_slot(ct_onnx_model *m, const char *name)
{
    for (size_t i = 0; i < m->n_slots; i++)
        if (!strcmp(m->slots[i].name, name))
            return &m->slots[i];
    return NULL;
}

static ct_status add_slot(ct_onnx_model *m, const char *name, slot **out)
{
    if ((*out = find_slot(m, name)))
        return CT_OK;
    slot *grown = realloc(m->slots, (m->n_slots + 1) * sizeof *grown);
    if (!grown)
        return ct_fail(CT_ERR_NO_MEMORY, "out of memory");
    m->slots = grown;
    *out = &m->slots[m->n_slots++];
    memset(*out, 0, sizeof **out);
    (*out)->name = name;
    return CT_OK;
}

static bool is_initializer(const Onnx__GraphProto *g, const char *name)
{
    for (size_t i = 0; i < g->n_initializer; i++)
        if (g->initializer[i]->name && !strcmp(g->initializer[i]->name, name))
            return true;
    return false;
}

/* Every attribute of the node is one the op understands; input and output
 * counts in range; the op's own static checks. */
static ct_status check_node(const Onnx__NodeProto *n, int64_t opset, const ct_onnx_op **out)
{
    if (n->domain && *n->domain && strcmp(n->domain, "ai.onnx") != 0)
        return ct_onnx_unsupported(n, "operator domain '%s' (only the default ONNX domain)", n->domain);
    const ct_onnx_op *op = ct_onnx_find_op(n->op_type ? n->op_type : "");
    if (!op)
        return ct_onnx_unsupported(n, "operator %s is not supported by cltrain (supported: %s)",
                                   n->op_type ? n->op_type : "?", ct_onnx_supported_ops());
    for (size_t a = 0; a < n->n_attribute; a++) {
        bool known = false;
        for (const char *const *k = op->attributes; k && *k && !known; k++)
            known = !strcmp(*k, n->attribute[a]->name);
        if (!known)
            return ct_onnx_unsupported(n, "attribute %s is not supported", n->attribute[a]->name);
    }
    if (op->check)
        CT_TRY(op->check(n, opset));
    size_t given = n->n_input;
    while (given > 0 && !*n->input[given - 1])
        given--; /* trailing omitted optional inputs */
    if ((int)given < op->min_inputs || (int)given > op->max_inputs)
        return ct_onnx_unsupported(n, "%zu inputs (cltrain takes %d to %d)", given, op->min_inputs, op->max_inputs);
    size_t outputs = n->n_output;
    while (outputs > 0 && !*n->output[outputs - 1])
        outputs--;
    if ((int)outputs > op->max_outputs)
        return ct_onnx_unsupported(n, "output %s is not supported (cltrain computes only the first %d)",
                                   n->output[op->max_outputs], op->max_outputs);
    *out = op;
    return CT_OK;
}

static ct_status check_value_type(const Onnx__ValueInfoProto *v, const char *what)
{
    const Onnx__TypeProto *t = v->type;
    if (!t || t->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE || !t->tensor_type)
        return ct_fail(CT_ERR_UNSUPPORTED, "%s '%s' is not a tensor (sequences, maps and optionals are not supported)",
                       what, v->name);
    int32_t type = t->tensor_type->elem_type;
    bool shape_input = !strcmp(what, "input") && type == ONNX__TENSOR_PROTO__DATA_TYPE__INT64; /* Reshape's shape */
    if (type != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT && !shape_input)
        return ct_fail(CT_ERR_UNSUPPORTED, "%s '%s' is not float32 (elem_type %d; cltrain computes in float32)", what,
                       v->name, type);
    return CT_OK;
}

static ct_status prepare(ct_onnx_model *m)
{
    const Onnx__ModelProto *p = m->proto;
    const Onnx__GraphProto *g = p->graph;
    if (!g)
        return ct_fail(CT_ERR_PARSE, "no graph");
    m->opset = 0;
    for (size_t i = 0; i < p->n_opset_import; i++)
        if (!p->opset_import[i]->domain || !*p->opset_import[i]->domain ||
            !strcmp(p->opset_import[i]->domain, "ai.onnx"))
            m->opset = p->opset_import[i]->version;
    if (g->n_sparse_initializer)
        return ct_fail(CT_ERR_UNSUPPORTED, "sparse initializers are not supported");
    if (!(m->inputs = calloc(g->n_input + 1, sizeof *m->inputs)) || !(m->ops = calloc(g->n_node + 1, sizeof *m->ops)))
        return ct_fail(CT_ERR_NO_MEMORY, "out of memory");
    slot *s;
    for (size_t i = 0; i < g->n_initializer; i++) {
        CT_TRY(add_slot(m, g->initializer[i]->name, &s));
        CT_TRY(ct_onnx_tensor_from_proto(g->initializer[i], &s->value));
        s->set = 1;
    }
    for (size_t i = 0; i < g->n_input; i++) {
        if (is_initializer(g, g->input[i]->name))
            continue; /* an input with a default value: the initializer */
        CT_TRY(check_value_type(g->input[i], "input"));
        m->inputs[m->n_inputs++] = g->input[i];
        CT_TRY(add_slot(m, g->input[i]->name, &s));
    }
    for (size_t k = 0; k < g->n_node; k++) { /* every node checked before anything runs */
        const Onnx__NodeProto *n = g->node[k];
        CT_TRY(check_node(n, m->opset, &m->ops[k]));
        for (size_t o = 0; o < n->n_output; o++)
            if (*n->output[o])
                CT_TRY(add_slot(m, n->output[o], &s));
    }
    for (size_t i = 0; i < g->n_output; i++)
        CT_TRY(check_value_type(g->output[i], "output"));
    for (size_t k = 0; k < g->n_node; k++) /* inputs come from somewhere */
        for (size_t i = 0; i < g->node[k]->n_input; i++)
            if (*g->node[k]->input[i] && !find_slot(m, g->node[k]->input[i]))
                return ct_onnx_unsupported(g->node[k], "input '%s' is produced by no node, input or initializer",
                                           g->node[k]->input[i]);
    return CT_OK;
}

ct_status ct_onnx_model_load(const char *path, ct_onnx_model **out)
{
    *out = NULL;
    char *bytes = NULL;
    size_t len = 0;
    CT_TRY(ct_read_file(path, &bytes, &len));
    ct_onnx_model *m = calloc(1, sizeof *m);
    if (!m || !(m->path = strdup(path))) {
        free(m);
        free(bytes);
        return ct_fail(CT_ERR_NO_MEMORY, "out of memory");
    }
    m->proto = onnx__model_proto__unpack(NULL, len, (const uint8_t *)bytes);
    free(bytes);
    ct_status s = m->proto ? prepare(m) : ct_fail(CT_ERR_PARSE, "not an ONNX model (protobuf ModelProto)");
    if (s != CT_OK) {
        char detail[1024];
        snprintf(detail, sizeof detail, "%s", ct_last_error());
        ct_onnx_model_free(m);
        return ct_fail(s, "%s: %s", path, detail);
    }
    *out = m;
    return CT_OK;
}

void ct_onnx_model_free(ct_onnx_model *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n_slots; i++)
        ct_onnx_tensor_free(&m->slots[i].value);
    free(m->slots);
    free(m->ops);
    free(m->inputs);
    if (m->proto)
        onnx__model_proto__free_unpacked(m->proto, NULL);
    free(m->path);
    free(m);
}

size_t ct_onnx_model_input_count(const ct_onnx_model *m) { return m->n_inputs; }

const char *ct_onnx_model_input_name(const ct_onnx_model *m, size_t i) { return m->inputs[i]->name; }

int ct_onnx_model_input_shape(const ct_onnx_model *m, size_t i, int64_t *dims)
{
    const Onnx__TensorShapeProto *shape = m->inputs[i]->type->tensor_type->shape;
    if (!shape)
        return -1;
    for (size_t d = 0; d < shape->n_dim && d < CT_ONNX_MAX_DIMS; d++)
        dims[d] = shape->dim[d]->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE
                      ? shape->dim[d]->dim_value
                      : -1;
    return (int)shape->n_dim;
}

size_t ct_onnx_model_output_count(const ct_onnx_model *m) { return m->proto->graph->n_output; }

const char *ct_onnx_model_metadata(const ct_onnx_model *m, const char *key)
{
    for (size_t i = 0; i < m->proto->n_metadata_props; i++)
        if (m->proto->metadata_props[i]->key && !strcmp(m->proto->metadata_props[i]->key, key))
            return m->proto->metadata_props[i]->value;
    return NULL;
}

/* Node values from an earlier run are dropped; initializers stay. */
static void clear_values(ct_onnx_model *m)
{
    const Onnx__GraphProto *g = m->proto->graph;
    for (size_t i = 0; i < m->n_slots; i++)
        if (!is_initializer(g, m->slots[i].name)) {
            ct_onnx_tensor_free(&m->slots[i].value);
            m->slots[i].set = 0;
        }
}

static ct_status run_node(ct_onnx_model *m, ct_context *ctx, size_t k)
{
    const Onnx__NodeProto *n = m->proto->graph->node[k];
    const ct_onnx_tensor *in[16] = {0};
    ct_onnx_tensor out[8];
    memset(out, 0, sizeof out);
    for (size_t i = 0; i < n->n_input && i < 16; i++) {
        if (!*n->input[i])
            continue;
        slot *s = find_slot(m, n->input[i]);
        if (!s || !s->set)
            return ct_onnx_unsupported(n, "input '%s' is not computed before the node (nodes out of order?)",
                                       n->input[i]);
        in[i] = &s->value;
    }
    ct_onnx_call call = {n, m->opset, ctx, in, out};
    ct_status st = m->ops[k]->run(&call);
    if (st != CT_OK && st != CT_ERR_UNSUPPORTED) { /* name the node (unsupported messages already do) */
        char detail[1024];
        snprintf(detail, sizeof detail, "%s", ct_last_error());
        st = ct_fail(st, "node '%s' (%s): %s", n->name && *n->name ? n->name : "(unnamed)", n->op_type, detail);
    }
    for (size_t o = 0; o < n->n_output && o < 8; o++) {
        slot *s = *n->output[o] ? find_slot(m, n->output[o]) : NULL;
        if (st == CT_OK && s) {
            ct_onnx_tensor_free(&s->value);
            s->value = out[o];
            s->set = 1;
        } else {
            ct_onnx_tensor_free(&out[o]);
        }
    }
    return st;
}

ct_status ct_onnx_model_run(ct_onnx_model *m, ct_context *ctx, const ct_onnx_tensor *inputs, ct_onnx_tensor *outputs)
{
    const Onnx__GraphProto *g = m->proto->graph;
    clear_values(m);
    for (size_t i = 0; i < m->n_inputs; i++) {
        slot *s = find_slot(m, m->inputs[i]->name);
        int want_int64 = m->inputs[i]->type->tensor_type->elem_type == ONNX__TENSOR_PROTO__DATA_TYPE__INT64;
        if (inputs[i].is_int64 != want_int64)
            return ct_fail(CT_ERR_DATA, "%s: input '%s' must be %s", m->path, m->inputs[i]->name,
                           want_int64 ? "int64" : "float32");
        CT_TRY(ct_onnx_tensor_copy(&inputs[i], &s->value));
        s->set = 1;
    }
    for (size_t k = 0; k < g->n_node; k++) {
        ct_status st = run_node(m, ctx, k);
        if (st != CT_OK) {
            char detail[1024];
            snprintf(detail, sizeof detail, "%s", ct_last_error());
            return ct_fail(st, "%s: %s", m->path, detail);
        }
    }
    for (size_t o = 0; o < g->n_output; o++) {
        slot *s = find_slot(m, g->output[o]->name);
        ct_status st = s && s->set ? ct_onnx_tensor_copy(&s->value, &outputs[o])
                                   : ct_fail(CT_ERR_DATA, "%s: output '%s' is computed by no node", m->path,
                                             g->output[o]->name);
        if (st != CT_OK) {
            for (size_t j = 0; j < o; j++)
                ct_onnx_tensor_free(&outputs[j]);
            return st;
        }
    }
    return CT_OK;
}
