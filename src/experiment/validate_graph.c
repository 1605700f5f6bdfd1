/* Graph models: each layer's `inputs` resolved to earlier layers, and the
 * mistakes a graph allows that a list does not: a name no layer has, a
 * layer used before it is defined (which is also how a cycle shows), a
 * merge with one input, a layer whose output nothing uses. Shapes are
 * followed by validate.c's walk, which asks xp_graph_input() where each
 * layer's data comes from. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "experiment/suggest.h"
#include "experiment/validate.h"

static bool is_merge(ct_layer_kind k) { return k == CT_LAYER_ADD || k == CT_LAYER_CONCATENATE; }

bool xp_model_is_graph(const ct_model_spec *model)
{
    for (size_t i = 0; i < model->layer_count; i++)
        if (model->layers[i].inputs.count || is_merge(model->layers[i].kind))
            return true;
    return false;
}

size_t xp_graph_input_count(const ct_model_spec *model, size_t layer)
{
    size_t n = model->layers[layer].inputs.count;
    return n ? n : 1;
}

long xp_graph_input(const ct_model_spec *model, size_t layer, size_t k)
{
    const ct_layer_spec *l = &model->layers[layer];
    if (l->inputs.count == 0)
        return (long)layer - 1;
    const char *name = l->inputs.items[k];
    if (!strcmp(name, CT_MODEL_INPUT_NAME))
        return XP_GRAPH_DATA;
    for (size_t j = 0; j < model->layer_count; j++)
        if (model->layers[j].name && !strcmp(model->layers[j].name, name))
            return (long)j;
    return XP_GRAPH_UNKNOWN;
}

/* "model[4].add.inputs[1]" */
static void input_path(const ct_experiment *exp, size_t i, size_t k, char *buf, size_t size)
{
    snprintf(buf, size, "model[%zu].%s.inputs[%zu]", i, ct_layer_kind_name(exp->model.layers[i].kind), k);
}

static ct_status unknown_input(const ct_experiment *exp, size_t i, size_t k)
{
    const ct_model_spec *m = &exp->model;
    const char *name = m->layers[i].inputs.items[k];
    const char **names = malloc((m->layer_count + 1) * sizeof *names);
    if (!names)
        return ct_fail(CT_ERR_NO_MEMORY, "checking layer inputs");
    names[0] = CT_MODEL_INPUT_NAME;
    for (size_t j = 0; j < i; j++)
        names[j + 1] = m->layers[j].name;
    const char *close = xp_suggest(name, names, i + 1);
    char path[160], hint[200] = "";
    if (close)
        snprintf(hint, sizeof hint, " (did you mean '%s'?)", close);
    input_path(exp, i, k, path, sizeof path);
    ct_status s = xp_fail_at(exp, path, "no layer is named '%s'%s: inputs name layers above this one, or '%s' "
                             "for the data", name, hint, CT_MODEL_INPUT_NAME);
    free(names);
    return s;
}

static ct_status check_inputs(const ct_experiment *exp, size_t i)
{
    const ct_model_spec *m = &exp->model;
    const ct_layer_spec *l = &m->layers[i];
    char path[160];
    if (is_merge(l->kind) && l->inputs.count < 2) {
        snprintf(path, sizeof path, "model[%zu].%s%s", i, ct_layer_kind_name(l->kind),
                 l->inputs.count ? ".inputs" : "");
        return xp_fail_at(exp, path, "a merge layer takes two or more inputs: write inputs: [a, b] with the "
                          "names of the layers it joins");
    }
    if (!is_merge(l->kind) && l->inputs.count > 1) {
        snprintf(path, sizeof path, "model[%zu].%s.inputs", i, ct_layer_kind_name(l->kind));
        return xp_fail_at(exp, path, "a %s layer takes one input, not %zu: join them first with an add or "
                          "concatenate layer", ct_layer_kind_name(l->kind), l->inputs.count);
    }
    for (size_t k = 0; k < l->inputs.count; k++) {
        long from = xp_graph_input(m, i, k);
        input_path(exp, i, k, path, sizeof path);
        if (from == XP_GRAPH_UNKNOWN)
            return unknown_input(exp, i, k);
        if (from == (long)i)
            return xp_fail_at(exp, path, "a layer cannot take its own output as input");
        if (from > (long)i)
            return xp_fail_at(exp, path, "'%s' is model[%ld], below this layer: a layer takes inputs only from "
                              "layers above it (which also rules out cycles)", l->inputs.items[k], from);
    }
    return CT_OK;
}

ct_status xp_check_graph(const ct_experiment *exp)
{
    const ct_model_spec *m = &exp->model;
    char path[160];
    for (size_t i = 0; i < m->layer_count; i++)
        if (m->layers[i].name && !strcmp(m->layers[i].name, CT_MODEL_INPUT_NAME)) {
            snprintf(path, sizeof path, "model[%zu].%s.name", i, ct_layer_kind_name(m->layers[i].kind));
            return xp_fail_at(exp, path, "'%s' names the model's data in inputs: choose another name",
                              CT_MODEL_INPUT_NAME);
        }
    if (!xp_model_is_graph(m))
        return CT_OK;
    for (size_t i = 0; i < m->layer_count; i++)
        CT_TRY(check_inputs(exp, i));
    /* Every layer but the output must feed another: an unused branch is
     * most likely a missing name in some inputs list. */
    bool *used = calloc(m->layer_count, sizeof *used);
    if (!used)
        return ct_fail(CT_ERR_NO_MEMORY, "checking layer inputs");
    for (size_t i = 0; i < m->layer_count; i++)
        for (size_t k = 0; k < xp_graph_input_count(m, i); k++) {
            long from = xp_graph_input(m, i, k);
            if (from >= 0)
                used[from] = true;
        }
    ct_status s = CT_OK;
    for (size_t i = 0; i + 1 < m->layer_count && s == CT_OK; i++)
        if (!used[i]) {
            snprintf(path, sizeof path, "model[%zu].%s", i, ct_layer_kind_name(m->layers[i].kind));
            s = xp_fail_at(exp, path, "the output of '%s' goes nowhere: no later layer lists it in inputs (and "
                           "the next layer, model[%zu], names its own inputs); the last layer is the model's "
                           "output", m->layers[i].name, i + 1);
        }
    free(used);
    return s;
}
