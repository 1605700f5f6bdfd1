/* The `sweep:` section (cltrain/sweep_section.h), read from the file's YAML
 * tree rather than through the schema tables: its keys are --set key paths,
 * which no fixed table can list, and its values stay text for the sweep to
 * parse, so that the file and the command line share one grammar. */
#include "cltrain/sweep_section.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "experiment/source.h"
#include "experiment/suggest.h"
#include "experiment/ytree.h"

static ct_status fail_at(const ynode *at, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static ct_status fail_at(const ynode *at, const char *path, const char *fmt, ...)
{
    char where[256], message[512];
    ynode_where(at, where, sizeof where);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    return ct_fail(CT_ERR_CONFIG, "%s: %s: %s", where, path, message);
}

static ct_status unknown_key(const ynode *key, const char *path, const char *const *known, size_t n)
{
    char escaped[96];
    ynode_escape(key->text, key->length, 40, escaped, sizeof escaped);
    const char *hint = xp_suggest(key->text, known, n);
    if (hint)
        return fail_at(key, path, "unknown key '%s' (did you mean '%s'?)", escaped, hint);
    char list[256] = "";
    for (size_t i = 0; i < n; i++)
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "", known[i]);
    return fail_at(key, path, "unknown key '%s'; expected one of %s", escaped, list);
}

static ct_status copy_scalar(const ynode *n, const char *path, const char *what, char **out)
{
    if (n->kind != YNODE_SCALAR || ynode_is_null(n)) {
        char got[96];
        ynode_describe(n, got, sizeof got);
        return fail_at(n, path, "expected %s, got %s", what, got);
    }
    *out = strdup(n->text);
    return *out ? CT_OK : ct_fail(CT_ERR_NO_MEMORY, "out of memory");
}

static ct_status read_int(const ynode *n, const char *path, long long min, long long *out)
{
    char *end = NULL;
    errno = 0;
    long long v = n->kind == YNODE_SCALAR ? strtoll(n->text, &end, 10) : 0;
    if (n->kind != YNODE_SCALAR || end == n->text || *end || errno || v < min) {
        char got[96];
        ynode_describe(n, got, sizeof got);
        return fail_at(n, path, "expected an integer >= %lld, got %s", min, got);
    }
    *out = v;
    return CT_OK;
}

/* A mapping of key path -> list or text into *axes. */
static ct_status read_axes(const ynode *map, const char *path, ct_sweep_axis_text **axes, size_t *count)
{
    if (map->kind != YNODE_MAPPING) {
        char got[96];
        ynode_describe(map, got, sizeof got);
        return fail_at(map, path, "expected a mapping of KEY.PATH: values (model[0].dense.units: [1, 2, 5]), got %s",
                       got);
    }
    *axes = calloc(map->count ? map->count : 1, sizeof **axes);
    if (!*axes)
        return ct_fail(CT_ERR_NO_MEMORY, "out of memory");
    for (size_t i = 0; i < map->count; i++) {
        const ynode *key = map->keys[i], *value = map->items[i];
        ct_sweep_axis_text *a = &(*axes)[i];
        *count = i + 1;
        char where[200];
        ynode_where(key, where, sizeof where);
        snprintf(a->where, sizeof a->where, "%s: %s.%s", where, path, key->text);
        if (!(a->key = strdup(key->text)))
            return ct_fail(CT_ERR_NO_MEMORY, "out of memory");
        char item_path[300];
        snprintf(item_path, sizeof item_path, "%s.%s", path, key->text);
        if (value->kind == YNODE_SEQUENCE) {
            if (value->count == 0)
                return fail_at(value, item_path, "expected at least one value, got an empty list");
            if (!(a->values = calloc(value->count, sizeof *a->values)))
                return ct_fail(CT_ERR_NO_MEMORY, "out of memory");
            for (size_t j = 0; j < value->count; j++) {
                char item[340];
                snprintf(item, sizeof item, "%s[%zu]", item_path, j);
                CT_TRY(copy_scalar(value->items[j], item,
                                   "a single value (a list value is written as text: \"[rmse, mae]\")",
                                   &a->values[j]));
                a->value_count = j + 1;
            }
        } else
            CT_TRY(copy_scalar(value, item_path, "a list of values or a range such as \"0:0.5:0.1\"", &a->spec));
    }
    return CT_OK;
}

static ct_status read_random(const ynode *map, ct_sweep_section *out)
{
    static const char *const known[] = {"count", "seed", "axes"};
    if (map->kind != YNODE_MAPPING) {
        char got[96];
        ynode_describe(map, got, sizeof got);
        return fail_at(map, "sweep.random", "expected a mapping with count, seed and axes, got %s", got);
    }
    const ynode *axes = NULL, *count = NULL;
    for (size_t i = 0; i < map->count; i++) {
        const ynode *k = map->keys[i], *v = map->items[i];
        long long n;
        if (!strcmp(k->text, "count")) {
            CT_TRY(read_int(v, "sweep.random.count", 1, &n));
            if (n > 1000000)
                return fail_at(v, "sweep.random.count", "expected at most 1000000 draws, got %lld", n);
            out->samples = (int)n;
            count = v;
        } else if (!strcmp(k->text, "seed")) {
            CT_TRY(read_int(v, "sweep.random.seed", 0, &n));
            out->seed = n;
        } else if (!strcmp(k->text, "axes"))
            axes = v;
        else
            return unknown_key(k, "sweep.random", known, sizeof known / sizeof *known);
    }
    if (!axes)
        return fail_at(map, "sweep.random", "missing key 'axes': the key paths to draw, such as "
                                            "train.optimizer.adam.learning_rate: \"log:1e-4:1e-2\"");
    if (!count)
        return fail_at(map, "sweep.random", "missing key 'count': how many random points to draw");
    return read_axes(axes, "sweep.random.axes", &out->random, &out->random_count);
}

static ct_status read_section(const ynode *map, ct_sweep_section *out)
{
    static const char *const known[] = {"name", "metric", "devices", "grid", "random"};
    if (map->kind != YNODE_MAPPING) {
        char got[96];
        ynode_describe(map, got, sizeof got);
        return fail_at(map, "sweep", "expected a mapping (grid, random, name, metric, devices), got %s", got);
    }
    out->present = true;
    for (size_t i = 0; i < map->count; i++) {
        const ynode *k = map->keys[i], *v = map->items[i];
        if (!strcmp(k->text, "name"))
            CT_TRY(copy_scalar(v, "sweep.name", "a name (letters, digits, _ - .)", &out->name));
        else if (!strcmp(k->text, "metric"))
            CT_TRY(copy_scalar(v, "sweep.metric", "a history column such as val_loss", &out->metric));
        else if (!strcmp(k->text, "devices"))
            CT_TRY(copy_scalar(v, "sweep.devices", "all, gpu, cpu or a list such as 0:0,1:0", &out->devices));
        else if (!strcmp(k->text, "grid"))
            CT_TRY(read_axes(v, "sweep.grid", &out->grid, &out->grid_count));
        else if (!strcmp(k->text, "random"))
            CT_TRY(read_random(v, out));
        else
            return unknown_key(k, "sweep", known, sizeof known / sizeof *known);
    }
    if (out->name) {
        for (const char *p = out->name; *p; p++)
            if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_' ||
                  *p == '-' || (*p == '.' && p != out->name)))
                return fail_at(ynode_get(map, "name"), "sweep.name",
                               "expected letters, digits, '_', '-' or '.', got \"%s\"", out->name);
    }
    return CT_OK;
}

ct_status ct_experiment_sweep_section(const ct_experiment *exp, ct_sweep_section *out)
{
    if (!exp || !out)
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "ct_experiment_sweep_section: NULL argument");
    memset(out, 0, sizeof *out);
    const ynode *root = exp->source ? exp->source->root : NULL;
    const ynode *map = root ? ynode_get(root, "sweep") : NULL;
    if (!map || ynode_is_null(map))
        return CT_OK;
    ct_status s = read_section(map, out);
    if (s != CT_OK)
        ct_sweep_section_free(out);
    return s;
}

static void free_axes(ct_sweep_axis_text *axes, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(axes[i].key);
        for (size_t j = 0; j < axes[i].value_count; j++)
            free(axes[i].values[j]);
        free(axes[i].values);
        free(axes[i].spec);
    }
    free(axes);
}

void ct_sweep_section_free(ct_sweep_section *s)
{
    if (!s)
        return;
    free(s->name);
    free(s->metric);
    free(s->devices);
    free_axes(s->grid, s->grid_count);
    free_axes(s->random, s->random_count);
    memset(s, 0, sizeof *s);
}
