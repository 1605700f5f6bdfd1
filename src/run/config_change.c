/* What changed between two effective configurations (config.yaml texts, as
 * ct_experiment_write_yaml writes them), for resuming a run.
 *
 * Both texts come from the same writer, so a flat list of "key.path: value"
 * lines compares them: block mappings nest by indentation, list items get
 * their index ("model[2].dense"), flow values ({units: 10, ...}) compare as
 * text. A change inside a flow value is named by the enclosing key, with the
 * old and new text. */
#include <stdbool.h>
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
    static const char *const safe[] = {"train.epochs", "description", "output.plots", "output.dir",
                                       "train.devices", "train.checkpoint_every"};
    for (size_t i = 0; i < sizeof safe / sizeof safe[0]; i++)
        if (!strcmp(path, safe[i]))
            return 1;
    return 0;
}

/* The next top-level "key: value" of a flow mapping's text at *p (after
 * '{' or ', '), nesting respected; false at the closing '}'. */
static bool next_flow_pair(const char **p, char *key, size_t key_size, char *value, size_t value_size)
{
    const char *s = *p;
    while (*s == ' ' || *s == ',' || *s == '{')
        s++;
    if (!*s || *s == '}')
        return false;
    const char *colon = strstr(s, ": ");
    if (!colon)
        return false;
    snprintf(key, key_size, "%.*s", (int)(colon - s), s);
    const char *v = colon + 2, *e = v;
    int depth = 0;
    for (; *e; e++) {
        if (*e == '{' || *e == '[')
            depth++;
        else if (((*e == '}' || *e == ']') && depth-- == 0) || (*e == ',' && depth == 0))
            break; /* the end of this value */
        else if (*e == '"') /* a quoted string: skip to its end */
            while (e[1] && *++e != '"')
                if (*e == '\\' && e[1])
                    e++;
    }
    snprintf(value, value_size, "%.*s", (int)(e - v), v);
    *p = e;
    return true;
}

static void add_change(char *msg, size_t size, size_t *used, const char *path, const char *old, const char *new_);

/* Two flow mappings compared key by key: "model[0].dense.units: 100 -> 50".
 * False when either is not a flow mapping (then the whole values are named). */
static bool add_flow_changes(char *msg, size_t size, size_t *used, const char *path, const char *a, const char *b)
{
    if (a[0] != '{' || b[0] != '{')
        return false;
    char key[128], va[512], vb[512], sub[PATH_MAX_LEN + 130];
    for (const char *p = a; next_flow_pair(&p, key, sizeof key, va, sizeof va);) {
        bool found = false;
        char kb[128];
        for (const char *q = b; !found && next_flow_pair(&q, kb, sizeof kb, vb, sizeof vb);)
            found = !strcmp(kb, key);
        if (found && !strcmp(va, vb))
            continue;
        snprintf(sub, sizeof sub, "%s.%s", path, key);
        if (!found || !add_flow_changes(msg, size, used, sub, va, vb))
            add_change(msg, size, used, sub, va, found ? vb : NULL);
    }
    for (const char *q = b; next_flow_pair(&q, key, sizeof key, vb, sizeof vb);) {
        bool found = false;
        char ka[128];
        for (const char *p = a; !found && next_flow_pair(&p, ka, sizeof ka, va, sizeof va);)
            found = !strcmp(ka, key);
        if (!found) {
            snprintf(sub, sizeof sub, "%s.%s", path, key);
            add_change(msg, size, used, sub, NULL, vb);
        }
    }
    return true;
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
        if (!e || !add_flow_changes(unsafe, sizeof unsafe, &used, a.items[i].path, a.items[i].value, e->value))
            add_change(unsafe, sizeof unsafe, &used, a.items[i].path, a.items[i].value, e ? e->value : NULL);
    }
    for (size_t i = 0; s == CT_OK && i < b.count; i++)
        if (!lookup(&a, b.items[i].path) && !is_safe(b.items[i].path))
            add_change(unsafe, sizeof unsafe, &used, b.items[i].path, NULL, b.items[i].value);
    if (s == CT_OK && used)
        s = ct_fail(CT_ERR_CONFIG,
                    "the experiment differs from the one the run was started with: %s. A resumed run must train the "
                    "same thing; only train.epochs, train.checkpoint_every, train.devices, description, "
                    "output.plots and output.dir may change",
                    unsafe);
    flat_free(&a);
    flat_free(&b);
    return s;
}
