/* `model.summary()` as Keras 3 prints it (rich table, box-drawing characters). */
#include "cltrain/model.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NAME_WIDTH 33
#define SHAPE_WIDTH 24
#define PARAM_WIDTH 15
#define CONNECTED_WIDTH 28

typedef struct {
    char *buf;
    size_t used, cap;
    int failed;
} text;

static void add(text *t, const char *fmt, ...)
{
    va_list ap;
    for (;;) {
        va_start(ap, fmt);
        int n = vsnprintf(t->buf ? t->buf + t->used : NULL, t->buf ? t->cap - t->used : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
            t->failed = 1;
            return;
        }
        if (t->buf && t->used + (size_t)n < t->cap) {
            t->used += (size_t)n;
            return;
        }
        size_t cap = (t->cap + (size_t)n + 1) * 2;
        char *grown = realloc(t->buf, cap);
        if (!grown) {
            t->failed = 1;
            return;
        }
        t->buf = grown;
        t->cap = cap;
    }
}

/* Box-drawing characters are 3 bytes each in UTF-8: repeat by string. */
static void repeat(text *t, const char *s, int n)
{
    for (int i = 0; i < n; i++)
        add(t, "%s", s);
}

/* connected: the width of the "Connected to" column, 0 for none. */
static void rule(text *t, int connected, const char *left, const char *fill, const char *mid, const char *right)
{
    add(t, "%s", left);
    repeat(t, fill, NAME_WIDTH);
    add(t, "%s", mid);
    repeat(t, fill, SHAPE_WIDTH);
    add(t, "%s", mid);
    repeat(t, fill, PARAM_WIDTH);
    if (connected) {
        add(t, "%s", mid);
        repeat(t, fill, connected);
    }
    add(t, "%s\n", right);
}

/* 250890 -> "250,890" */
static void thousands(size_t v, char *buf, size_t size)
{
    char digits[32];
    int n = snprintf(digits, sizeof digits, "%zu", v);
    size_t o = 0;
    for (int i = 0; i < n && o + 2 < size; i++) {
        if (i > 0 && (n - i) % 3 == 0)
            buf[o++] = ',';
        buf[o++] = digits[i];
    }
    buf[o] = '\0';
}

/* Keras' readable_memory_size of float32 parameters: "55.08 KB". */
static void memory_size(size_t params, char *buf, size_t size)
{
    double bytes = (double)params * 4.0;
    const char *units[] = {"B", "KB", "MB", "GB"};
    int u = 0;
    while (bytes >= 1024.0 && u < 3) {
        bytes /= 1024.0;
        u++;
    }
    snprintf(buf, size, "%.2f %s", bytes, units[u]);
}

static void shape_text(int ndim, const size_t *dims, char *shape, size_t size)
{
    size_t used = (size_t)snprintf(shape, size, "(None");
    for (int d = 0; d < ndim && used < size; d++)
        used += (size_t)snprintf(shape + used, size - used, ", %zu", dims[d]);
    if (used < size)
        snprintf(shape + used, size - used, ")");
}

/* Keras' "Connected to" entry of input k: "conv2d[0][0]" (node 0, tensor
 * 0: each layer here is called once and has one output); a comma after
 * all but the last, one per line as Keras wraps them. */
static void connection(const ct_model_plan *plan, const ct_layer_plan *l, size_t k, char *buf, size_t size)
{
    const char *from = l->inputs[k] == CT_PLAN_DATA ? CT_MODEL_INPUT_NAME : plan->layers[l->inputs[k]].name;
    snprintf(buf, size, "%s[0][0]%s", from, k + 1 < l->input_count ? "," : "");
}

/* One row; a graph model's rows list every input on a line of its own. */
static void row(text *t, int connected, const char *name, const char *shape, const char *params,
                const ct_model_plan *plan, const ct_layer_plan *l)
{
    char link[CT_LAYER_NAME_MAX + 16] = "-";
    if (l)
        connection(plan, l, 0, link, sizeof link);
    add(t, "│ %-*s│ %-*s│ %*s │", NAME_WIDTH - 1, name, SHAPE_WIDTH - 1, shape, PARAM_WIDTH - 2, params);
    if (connected)
        add(t, " %-*s│", connected - 1, link);
    add(t, "\n");
    for (size_t k = 1; connected && l && k < l->input_count; k++) {
        connection(plan, l, k, link, sizeof link);
        add(t, "│ %-*s│ %-*s│ %*s │ %-*s│\n", NAME_WIDTH - 1, "", SHAPE_WIDTH - 1, "", PARAM_WIDTH - 2, "",
            connected - 1, link);
    }
}

ct_status ct_model_plan_summary(const ct_model_plan *plan, const char *model_name, char **out)
{
    text t = {0};
    int connected = plan->graph ? CONNECTED_WIDTH : 0;
    add(&t, "Model: \"%s\"\n", model_name ? model_name : plan->graph ? "functional" : "sequential");
    rule(&t, connected, "┏", "━", "┳", "┓");
    add(&t, "┃ %-*s┃ %-*s┃ %*s ┃", NAME_WIDTH - 1, "Layer (type)", SHAPE_WIDTH - 1, "Output Shape", PARAM_WIDTH - 2,
        "Param #");
    if (connected)
        add(&t, " %-*s┃", connected - 1, "Connected to");
    add(&t, "\n");
    rule(&t, connected, "┡", "━", "╇", "┩");
    char name[128], shape[96], params[32];
    if (plan->graph) { /* Keras lists a functional model's Input first */
        snprintf(name, sizeof name, "%s (InputLayer)", CT_MODEL_INPUT_NAME);
        shape_text(plan->in_ndim, plan->in_shape, shape, sizeof shape);
        row(&t, connected, name, shape, "0", plan, NULL);
        rule(&t, connected, "├", "─", "┼", "┤");
    }
    for (size_t i = 0; i < plan->layer_count; i++) {
        const ct_layer_plan *l = &plan->layers[i];
        snprintf(name, sizeof name, "%s (%s)", l->name, ct_layer_class_name(l->spec->kind));
        shape_text(l->out_ndim, l->out_shape, shape, sizeof shape);
        thousands(l->params, params, sizeof params);
        row(&t, connected, name, shape, params, plan, l);
        if (i + 1 < plan->layer_count)
            rule(&t, connected, "├", "─", "┼", "┤");
    }
    rule(&t, connected, "└", "─", "┴", "┘");
    char count[32], mem[32];
    thousands(plan->total_params, count, sizeof count);
    memory_size(plan->total_params, mem, sizeof mem);
    add(&t, " Total params: %s (%s)\n", count, mem);
    thousands(plan->trainable_params, count, sizeof count);
    memory_size(plan->trainable_params, mem, sizeof mem);
    add(&t, " Trainable params: %s (%s)\n", count, mem);
    size_t frozen = plan->total_params - plan->trainable_params;
    thousands(frozen, count, sizeof count);
    memory_size(frozen, mem, sizeof mem);
    add(&t, " Non-trainable params: %s (%s)\n", count, mem);
    if (t.failed) {
        free(t.buf);
        return ct_fail(CT_ERR_NO_MEMORY, "model summary");
    }
    *out = t.buf;
    return CT_OK;
}
