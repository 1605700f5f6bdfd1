/* What changed between two effective configurations (config.yaml texts, as
 * ct_experiment_write_yaml writes them), for resuming a run.
 *
 * Both texts come from the same writer, so a flat list of "key.path: value"
 * lines compares them: block mappings nest by indentation, list items get
 * their index ("model[2].dense"), flow values ({units: 10, ...}) compare as
 * text. A change inside a flow value is named by the enclosing key, with the
 * old and new text. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run/checkpoint_io.h"

#define MAX_DEPTH 16
#define PATH_MAX_LEN 512

typedef struct {
    char path[PATH_MAX_LEN];
    const char *value; /* into the text copy */
} entry;

typedef struct {
    entry *items;
    size_t count;
    char *text; /* the copy the values point into */
} flat;

static void flat_free(flat *f)
{
    free(f->items);
    free(f->text);
}

/* Keys of the block mappings that hold a line, by indentation. */
typedef struct {
    int indent;
    char path[PATH_MAX_LEN];
    int items; /* list items seen under this key */
} level;

static ct_status flatten(const char *yaml, flat *out)
{
    memset(out, 0, sizeof *out);
    out->text = strdup(yaml);
    size_t lines = 1;
    for (const char *p = yaml; *p; p++)
        lines += *p == '\n';
    out->items = calloc(lines, sizeof *out->items);
    if (!out->text || !out->items) {
        flat_free(out);
        return ct_fail(CT_ERR_NO_MEMORY, "comparing configurations");
    }
    level stack[MAX_DEPTH];
    int depth = 0;
    for (char *line = out->text, *next; line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        int indent = 0;
        while (line[indent] == ' ')
            indent++;
        char *content = line + indent;
        if (!*content || *content == '#')
            continue;
        while (depth > 0 && stack[depth - 1].indent >= indent)
            depth--;
        char parent[PATH_MAX_LEN] = "";
        if (depth > 0)
            snprintf(parent, sizeof parent, "%s", stack[depth - 1].path);
        if (content[0] == '-' && content[1] == ' ') {
            /* A list item belongs to the key above it (same or lower indentation). */
            int index = depth > 0 ? stack[depth - 1].items++ : 0;
            char item[PATH_MAX_LEN];
            snprintf(item, sizeof item, "%.400s[%d]", parent, index);
            content += 2;
            snprintf(parent, sizeof parent, "%s", item);
            indent += 2;
        }
        char *colon = strstr(content, ": ");
        size_t clen = strlen(content);
        entry *e = &out->items[out->count];
        if (!colon && clen && content[clen - 1] == ':') {
            content[clen - 1] = '\0';
            if (depth < MAX_DEPTH) {
                stack[depth].indent = indent;
                stack[depth].items = 0;
                snprintf(stack[depth].path, sizeof stack[depth].path, "%s%s%.200s", parent, *parent ? "." : "",
                         content);
                depth++;
            }
            continue;
        }
        if (colon) {
            *colon = '\0';
            snprintf(e->path, sizeof e->path, "%s%s%.200s", parent, *parent ? "." : "", content);
            e->value = colon + 2;
        } else { /* a bare list item: "- flatten" */
            snprintf(e->path, sizeof e->path, "%s", parent);
            e->value = content;
        }
        out->count++;
    }
    return CT_OK;
}

static const entry *lookup(const flat *f, const char *path)
{
    for (size_t i = 0; i < f->count; i++)
        if (!strcmp(f->items[i].path, path))
            return &f->items[i];
    return NULL;
}

static int is_safe(const char *path)
{
    static const char *const safe[] = {"train.epochs", "description", "output.plots", "output.dir"};
    for (size_t i = 0; i < sizeof safe / sizeof safe[0]; i++)
        if (!strcmp(path, safe[i]))
            return 1;
    return 0;
}

static void add_change(char *msg, size_t size, size_t *used, const char *path, const char *old, const char *new_)
{
    if (*used >= size)
        return;
    int n = snprintf(msg + *used, size - *used, "%s%s: %s -> %s", *used ? "; " : "", path, old ? old : "(absent)",
                     new_ ? new_ : "(absent)");
    *used += n > 0 ? (size_t)n : 0;
}

ct_status ct_run_check_config_change(const char *saved_yaml, const char *new_yaml, int epochs_done)
{
    flat a, b;
    CT_TRY(flatten(saved_yaml, &a));
    ct_status s = flatten(new_yaml, &b);
    if (s != CT_OK) {
        flat_free(&a);
        return s;
    }
    char unsafe[2048] = "";
    size_t used = 0;
    for (size_t i = 0; i < a.count; i++) {
        const entry *e = lookup(&b, a.items[i].path);
        if (e && !strcmp(e->value, a.items[i].value))
            continue;
        if (is_safe(a.items[i].path) && e) {
            if (!strcmp(a.items[i].path, "train.epochs") && atoi(e->value) < epochs_done) {
                s = ct_fail(CT_ERR_CONFIG, "train.epochs: %s is fewer than the %d epochs the run has done", e->value,
                            epochs_done);
                break;
            }
            continue;
        }
        add_change(unsafe, sizeof unsafe, &used, a.items[i].path, a.items[i].value, e ? e->value : NULL);
    }
    for (size_t i = 0; s == CT_OK && i < b.count; i++)
        if (!lookup(&a, b.items[i].path) && !is_safe(b.items[i].path))
            add_change(unsafe, sizeof unsafe, &used, b.items[i].path, NULL, b.items[i].value);
    if (s == CT_OK && used)
        s = ct_fail(CT_ERR_CONFIG,
                    "the experiment differs from the one the run was started with: %s. A resumed run must train the "
                    "same thing; only train.epochs, description, output.plots and output.dir may change",
                    unsafe);
    flat_free(&a);
    flat_free(&b);
    return s;
}
