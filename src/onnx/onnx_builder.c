/* ONNX models built in protobuf-c structs (see onnx_builder.h). Memory: one
 * list of blocks, all freed together; arrays grow by copying into a new
 * block (models have tens of nodes, so the waste is bytes). */
#include "onnx/onnx_builder.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cltrain/report.h" /* ct_atomic_* */

typedef struct block {
    struct block *next;
    max_align_t data[];
} block;

struct ct_onnx_builder {
    block *blocks;
    int failed;
    unsigned long names_made;
    Onnx__ModelProto model;
    Onnx__GraphProto graph;
    Onnx__OperatorSetIdProto opset;
    Onnx__OperatorSetIdProto *opsets[1];
    size_t cap_node, cap_initializer, cap_input, cap_output, cap_metadata;
};

static void *arena_alloc(ct_onnx_builder *b, size_t size)
{
    if (b->failed)
        return NULL;
    block *blk = calloc(1, sizeof *blk + (size ? size : 1));
    if (!blk) {
        b->failed = 1;
        return NULL;
    }
    blk->next = b->blocks;
    b->blocks = blk;
    return blk->data;
}

static char *arena_strdup(ct_onnx_builder *b, const char *s)
{
    size_t n = strlen(s) + 1;
    char *copy = arena_alloc(b, n);
    if (copy)
        memcpy(copy, s, n);
    return copy;
}

/* Room for one more pointer in *array (count *n, capacity *cap). */
static int grow(ct_onnx_builder *b, void ***array, size_t n, size_t *cap)
{
    if (n < *cap)
        return 1;
    size_t new_cap = *cap ? *cap * 2 : 8;
    void **bigger = arena_alloc(b, new_cap * sizeof *bigger);
    if (!bigger)
        return 0;
    if (n)
        memcpy(bigger, *array, n * sizeof *bigger);
    *array = bigger;
    *cap = new_cap;
    return 1;
}

#define APPEND(b, array, n, cap, item)                                                                 \
    do {                                                                                               \
        if ((item) && grow((b), (void ***)&(array), (n), &(cap)))                                       \
            (array)[(n)++] = (item);                                                                   \
    } while (0)

ct_status ct_onnx_builder_create(const char *graph_name, int64_t opset, ct_onnx_builder **out)
{
    ct_onnx_builder *b = calloc(1, sizeof *b);
    if (!b)
        return ct_fail(CT_ERR_NO_MEMORY, "ONNX export: out of memory");
    onnx__model_proto__init(&b->model);
    onnx__graph_proto__init(&b->graph);
    onnx__operator_set_id_proto__init(&b->opset);
    b->opset.domain = arena_strdup(b, ""); /* the default domain, ai.onnx */
    b->opset.has_version = 1;
    b->opset.version = opset;
    b->opsets[0] = &b->opset;
    /* IR version 7 is the one of opset 13 (onnx/docs/Versioning.md); newer
     * opsets (up to 17, the newest Debian's onnx.proto knows) need IR 8. */
    b->model.has_ir_version = 1;
    b->model.ir_version = opset <= 13 ? 7 : 8;
    b->model.n_opset_import = 1;
    b->model.opset_import = b->opsets;
    b->model.graph = &b->graph;
    b->graph.name = arena_strdup(b, graph_name);
    *out = b;
    return CT_OK;
}

void ct_onnx_builder_free(ct_onnx_builder *b)
{
    if (!b)
        return;
    while (b->blocks) {
        block *next = b->blocks->next;
        free(b->blocks);
        b->blocks = next;
    }
    free(b);
}

void ct_onnx_set_producer(ct_onnx_builder *b, const char *name, const char *version)
{
    b->model.producer_name = arena_strdup(b, name);
    b->model.producer_version = arena_strdup(b, version);
}

void ct_onnx_set_doc(ct_onnx_builder *b, const char *doc) { b->model.doc_string = arena_strdup(b, doc); }

void ct_onnx_add_metadata(ct_onnx_builder *b, const char *key, const char *value)
{
    Onnx__StringStringEntryProto *e = arena_alloc(b, sizeof *e);
    if (!e)
        return;
    onnx__string_string_entry_proto__init(e);
    e->key = arena_strdup(b, key);
    e->value = arena_strdup(b, value);
    APPEND(b, b->model.metadata_props, b->model.n_metadata_props, b->cap_metadata, e);
}

static Onnx__ValueInfoProto *value_info(ct_onnx_builder *b, const char *name, int ndim, const int64_t *dims)
{
    Onnx__ValueInfoProto *v = arena_alloc(b, sizeof *v);
    Onnx__TypeProto *type = arena_alloc(b, sizeof *type);
    Onnx__TypeProto__Tensor *tensor = arena_alloc(b, sizeof *tensor);
    Onnx__TensorShapeProto *shape = arena_alloc(b, sizeof *shape);
    Onnx__TensorShapeProto__Dimension **dim = arena_alloc(b, (size_t)ndim * sizeof *dim);
    if (!v || !type || !tensor || !shape || !dim)
        return NULL;
    onnx__value_info_proto__init(v);
    onnx__type_proto__init(type);
    onnx__type_proto__tensor__init(tensor);
    onnx__tensor_shape_proto__init(shape);
    for (int d = 0; d < ndim; d++) {
        if (!(dim[d] = arena_alloc(b, sizeof *dim[d])))
            return NULL;
        onnx__tensor_shape_proto__dimension__init(dim[d]);
        if (dims[d] < 0) {
            dim[d]->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
            dim[d]->dim_param = arena_strdup(b, "N");
        } else {
            dim[d]->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
            dim[d]->dim_value = dims[d];
        }
    }
    shape->n_dim = (size_t)ndim;
    shape->dim = dim;
    tensor->has_elem_type = 1;
    tensor->elem_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
    tensor->shape = shape;
    type->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
    type->tensor_type = tensor;
    v->name = arena_strdup(b, name);
    v->type = type;
    return v;
}

void ct_onnx_add_input(ct_onnx_builder *b, const char *name, int ndim, const int64_t *dims)
{
    Onnx__ValueInfoProto *v = value_info(b, name, ndim, dims);
    APPEND(b, b->graph.input, b->graph.n_input, b->cap_input, v);
}

void ct_onnx_add_output(ct_onnx_builder *b, const char *name, int ndim, const int64_t *dims)
{
    Onnx__ValueInfoProto *v = value_info(b, name, ndim, dims);
    APPEND(b, b->graph.output, b->graph.n_output, b->cap_output, v);
}

static Onnx__TensorProto *tensor_proto(ct_onnx_builder *b, const char *name, int ndim, const int64_t *dims,
                                       int32_t type, const void *data, size_t elem_size)
{
    Onnx__TensorProto *t = arena_alloc(b, sizeof *t);
    int64_t *shape = arena_alloc(b, (size_t)ndim * sizeof *shape);
    size_t count = 1;
    for (int d = 0; d < ndim; d++)
        count *= (size_t)dims[d];
    uint8_t *raw = arena_alloc(b, count * elem_size);
    if (!t || !shape || !raw)
        return NULL;
    onnx__tensor_proto__init(t);
    memcpy(shape, dims, (size_t)ndim * sizeof *shape);
    /* raw_data is little-endian; so is every machine cltrain runs on
     * (OpenCL hosts: x86, ARM, POWER in LE mode). */
    memcpy(raw, data, count * elem_size);
    t->n_dims = (size_t)ndim;
    t->dims = shape;
    t->has_data_type = 1;
    t->data_type = type;
    t->name = arena_strdup(b, name);
    t->has_raw_data = 1;
    t->raw_data.len = count * elem_size;
    t->raw_data.data = raw;
    return t;
}

void ct_onnx_add_float_tensor(ct_onnx_builder *b, const char *name, int ndim, const int64_t *dims,
                              const float *data)
{
    Onnx__TensorProto *t = tensor_proto(b, name, ndim, dims, ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, data, 4);
    APPEND(b, b->graph.initializer, b->graph.n_initializer, b->cap_initializer, t);
}

void ct_onnx_add_int64_tensor(ct_onnx_builder *b, const char *name, int ndim, const int64_t *dims,
                              const int64_t *data)
{
    Onnx__TensorProto *t = tensor_proto(b, name, ndim, dims, ONNX__TENSOR_PROTO__DATA_TYPE__INT64, data, 8);
    APPEND(b, b->graph.initializer, b->graph.n_initializer, b->cap_initializer, t);
}

static char **name_list(ct_onnx_builder *b, const char *const *names, size_t *n)
{
    *n = 0;
    while (names && names[*n])
        (*n)++;
    char **copy = arena_alloc(b, (*n ? *n : 1) * sizeof *copy);
    for (size_t i = 0; copy && i < *n; i++)
        copy[i] = arena_strdup(b, names[i]);
    return copy;
}

Onnx__NodeProto *ct_onnx_add_node(ct_onnx_builder *b, const char *op_type, const char *name,
                                  const char *const *inputs, const char *const *outputs)
{
    Onnx__NodeProto *node = arena_alloc(b, sizeof *node);
    if (!node)
        return NULL;
    onnx__node_proto__init(node);
    node->op_type = arena_strdup(b, op_type);
    node->name = arena_strdup(b, name);
    node->input = name_list(b, inputs, &node->n_input);
    node->output = name_list(b, outputs, &node->n_output);
    APPEND(b, b->graph.node, b->graph.n_node, b->cap_node, node);
    return b->failed ? NULL : node;
}

static Onnx__AttributeProto *attribute(ct_onnx_builder *b, Onnx__NodeProto *node, const char *name,
                                       Onnx__AttributeProto__AttributeType type)
{
    if (!node)
        return NULL;
    Onnx__AttributeProto *a = arena_alloc(b, sizeof *a);
    /* Attributes of one node are few; grow the array by one each time. */
    Onnx__AttributeProto **list = arena_alloc(b, (node->n_attribute + 1) * sizeof *list);
    if (!a || !list)
        return NULL;
    onnx__attribute_proto__init(a);
    a->name = arena_strdup(b, name);
    a->has_type = 1;
    a->type = type;
    if (node->n_attribute)
        memcpy(list, node->attribute, node->n_attribute * sizeof *list);
    list[node->n_attribute++] = a;
    node->attribute = list;
    return a;
}

void ct_onnx_node_int(ct_onnx_builder *b, Onnx__NodeProto *node, const char *name, int64_t value)
{
    Onnx__AttributeProto *a = attribute(b, node, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT);
    if (a)
        a->has_i = 1, a->i = value;
}

void ct_onnx_node_float(ct_onnx_builder *b, Onnx__NodeProto *node, const char *name, float value)
{
    Onnx__AttributeProto *a = attribute(b, node, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT);
    if (a)
        a->has_f = 1, a->f = value;
}

void ct_onnx_node_ints(ct_onnx_builder *b, Onnx__NodeProto *node, const char *name, size_t n, const int64_t *values)
{
    Onnx__AttributeProto *a = attribute(b, node, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS);
    int64_t *copy = a ? arena_alloc(b, (n ? n : 1) * sizeof *copy) : NULL;
    if (!copy)
        return;
    memcpy(copy, values, n * sizeof *copy);
    a->n_ints = n;
    a->ints = copy;
}

const char *ct_onnx_unique_name(ct_onnx_builder *b, const char *prefix)
{
    char name[256];
    snprintf(name, sizeof name, "%s_%lu", prefix, ++b->names_made);
    return arena_strdup(b, name);
}

ct_status ct_onnx_builder_write(ct_onnx_builder *b, const char *path)
{
    if (b->failed)
        return ct_fail(CT_ERR_NO_MEMORY, "%s: out of memory building the ONNX model", path);
    size_t size = onnx__model_proto__get_packed_size(&b->model);
    uint8_t *bytes = malloc(size ? size : 1);
    if (!bytes)
        return ct_fail(CT_ERR_NO_MEMORY, "%s: out of memory packing the ONNX model (%zu bytes)", path, size);
    onnx__model_proto__pack(&b->model, bytes);
    ct_atomic_file *f = NULL;
    ct_status s = ct_atomic_open(path, &f);
    if (s == CT_OK && fwrite(bytes, 1, size, ct_atomic_stream(f)) != size) {
        ct_atomic_abort(f);
        s = ct_fail(CT_ERR_IO, "%s: cannot write the ONNX model", path);
    } else if (s == CT_OK) {
        s = ct_atomic_commit(f);
    }
    free(bytes);
    return s;
}
