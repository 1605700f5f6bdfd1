/* Keras 3's names for a functional model's weight groups (keras_names.h),
 * from keras/src/ops/function.py (map_graph, _build_map) and
 * keras/src/saving/saving_lib.py (_save_container_state). */
#include "onnx/keras_names.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* keras.src.utils.naming.to_snake_case: "Conv2D" -> "conv2d",
 * "BatchNormalization" -> "batch_normalization", "LeakyReLU" ->
 * "leaky_re_lu". Its two regular expressions, by hand: an underscore before
 * an upper-case letter that starts a run of lower-case letters (not at the
 * start), and between a lower-case letter and an upper-case one. */
static void snake_case(const char *name, char *out, size_t size)
{
    char step[CT_KERAS_GROUP_MAX];
    size_t n = 0, len = strlen(name);
    for (size_t i = 0; i < len && n + 2 < sizeof step; i++) {
        if (i > 0 && isupper((unsigned char)name[i]) && i + 1 < len && islower((unsigned char)name[i + 1]))
            step[n++] = '_';
        step[n++] = name[i];
    }
    step[n] = '\0';
    size_t o = 0;
    for (size_t i = 0; i < n && o + 2 < size; i++) {
        if (i > 0 && islower((unsigned char)step[i - 1]) && isupper((unsigned char)step[i]))
            out[o++] = '_';
        out[o++] = (char)tolower((unsigned char)step[i]);
    }
    out[o] = '\0';
}

/* Node k: layer k, or the Input at index count. */
typedef struct {
    const ct_model_plan *plan;
    long *index; /* depth-first preorder from the output, -1 unvisited */
    long next;
} walk;

static void visit(walk *w, size_t node)
{
    size_t count = w->plan->layer_count;
    if (w->index[node] >= 0)
        return;
    w->index[node] = w->next++;
    if (node == count)
        return;
    const ct_layer_plan *l = &w->plan->layers[node];
    for (size_t k = 0; k < l->input_count; k++)
        visit(w, l->inputs[k] == CT_PLAN_DATA ? count : l->inputs[k]);
}

static const long *sort_depth, *sort_index;

static int deeper_first(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    if (sort_depth[x] != sort_depth[y])
        return sort_depth[x] > sort_depth[y] ? -1 : 1;
    return sort_index[x] < sort_index[y] ? -1 : sort_index[x] > sort_index[y];
}

ct_status ct_keras_weight_groups(const ct_model_plan *plan, char (**names)[CT_KERAS_GROUP_MAX])
{
    size_t count = plan->layer_count;
    *names = calloc(count, sizeof **names);
    long *depth = calloc(count + 1, sizeof *depth), *index = malloc((count + 1) * sizeof *index);
    size_t *order = malloc((count + 1) * sizeof *order);
    if (!*names || !depth || !index || !order) {
        free(*names);
        free(depth);
        free(index);
        free(order);
        *names = NULL;
        return ct_fail(CT_ERR_NO_MEMORY, "Keras export: out of memory");
    }
    for (size_t i = 0; i <= count; i++)
        index[i] = -1;
    walk w = {plan, index, 0};
    visit(&w, count - 1);
    /* The longest path to the output: every consumer comes later in the list. */
    for (size_t i = count; i-- > 0;) {
        const ct_layer_plan *l = &plan->layers[i];
        for (size_t k = 0; k < l->input_count; k++) {
            size_t from = l->inputs[k] == CT_PLAN_DATA ? count : l->inputs[k];
            if (depth[from] < depth[i] + 1)
                depth[from] = depth[i] + 1;
        }
    }
    size_t n = 0;
    for (size_t i = 0; i <= count; i++)
        if (index[i] >= 0) /* a layer the output does not reach is not in keras.Model */
            order[n++] = i;
    sort_depth = depth, sort_index = index;
    qsort(order, n, sizeof *order, deeper_first);
    for (size_t a = 0; a < n; a++) {
        size_t i = order[a];
        if (i == count)
            continue; /* the Input: "input_layer", no variables */
        char base[CT_KERAS_GROUP_MAX - 16];
        snake_case(ct_layer_class_name(plan->layers[i].spec->kind), base, sizeof base);
        unsigned seen = 0;
        for (size_t b = 0; b < a; b++)
            if (order[b] != count && plan->layers[order[b]].spec->kind == plan->layers[i].spec->kind)
                seen++;
        if (seen)
            snprintf((*names)[i], CT_KERAS_GROUP_MAX, "%s_%u", base, seen);
        else
            snprintf((*names)[i], CT_KERAS_GROUP_MAX, "%s", base);
    }
    for (size_t i = 0; i < count; i++) /* not in the keras.Model: its own name, never read */
        if (!(*names)[i][0])
            snprintf((*names)[i], CT_KERAS_GROUP_MAX, "%s", plan->layers[i].name);
    free(depth);
    free(index);
    free(order);
    return CT_OK;
}
