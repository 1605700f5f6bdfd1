/* The public entry points: load a file, apply --set overrides, free. The
 * experiment keeps its YAML tree; an override edits a copy of the tree and
 * rebuilds the whole spec from it, so an overridden value is checked exactly
 * like a written one and a failed override leaves the experiment as it was. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cltrain/experiment.h"
#include "experiment/keypath.h"
#include "experiment/schema.h"
#include "experiment/source.h"
#include "experiment/validate.h"

/* Far above any experiment file; a guard against reading something else. */
#define MAX_FILE_BYTES (4u << 20)
/* --set origins in messages are cut here. */
#define MAX_ORIGIN_CHARS 160

/* "experiments/sunshine.yaml" -> "sunshine"; characters a directory name
 * should not carry become '_'. */
static char *name_from_path(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *dot = strrchr(base, '.');
    size_t n = dot && dot != base ? (size_t)(dot - base) : strlen(base);
    if (n == 0)
        return strdup("experiment");
    char *name = strndup(base, n);
    if (!name)
        return NULL;
    for (char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '-' || *p == '_' || (*p == '.' && p != name)))
            *p = '_';
    return name;
}

/* A data path with a folder in it ("data/my.csv", "../x.csv") is relative to
 * the experiment file, wherever the command runs, and becomes absolute here,
 * so the copy of the configuration a run directory keeps still finds it. A
 * plain name ("weather.csv") is looked up in the data folders as before; an
 * absolute path stays. Where the folder cannot be resolved (a name given for
 * errors only), the path is left as written. resolve_path joins any
 * relative path (init.from, which has no data folders to look in);
 * resolve_data_path only one with a folder in it. */
static ct_status resolve_path(char **path, const char *origin)
{
    if (!*path || (*path)[0] == '/')
        return CT_OK;
    const char *slash = strrchr(origin, '/');
    char *folder = slash ? strndup(origin, (size_t)(slash - origin) + (slash == origin)) : strdup(".");
    if (!folder)
        return ct_fail(CT_ERR_NO_MEMORY, "out of memory");
    char *absolute = realpath(folder, NULL);
    free(folder);
    if (!absolute)
        return CT_OK;
    size_t len = strlen(absolute) + strlen(*path) + 2;
    char *joined = malloc(len);
    if (joined)
        snprintf(joined, len, "%s/%s", absolute, *path);
    free(absolute);
    if (!joined)
        return ct_fail(CT_ERR_NO_MEMORY, "out of memory");
    free(*path);
    *path = joined;
    return CT_OK;
}

static ct_status resolve_data_path(char **path, const char *origin)
{
    return *path && strchr(*path, '/') ? resolve_path(path, origin) : CT_OK;
}

/* Convert the tree into *spec (zeroed first); on failure nothing is left to free. */
static ct_status build_spec(const ynode *root, const char *origin, ct_experiment *spec)
{
    memset(spec, 0, sizeof *spec);
    convert_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    char *name = name_from_path(origin);
    if (!name)
        return ct_fail(CT_ERR_NO_MEMORY, "out of memory");
    ctx.default_name = name;
    if (ynode_is_null(root)) {
        free(name);
        return xp_error_at(&ctx, root, "the file is empty: expected a mapping of experiment "
                                       "settings (name, seed, data, model, train, ...)");
    }
    /* The sweep section is for `cltrain sweep` (sweep_section.c), not part of
     * the run's specification: convert a view of the mapping without it. */
    ynode view;
    const ynode *body = root;
    size_t sweep_at = ynode_index(root, "sweep");
    ynode *keys[64], *items[64];
    if (sweep_at != (size_t)-1 && root->count <= 64) {
        view = *root;
        view.keys = keys, view.items = items, view.count = 0;
        for (size_t i = 0; i < root->count; i++)
            if (i != sweep_at)
                keys[view.count] = root->keys[i], items[view.count++] = root->items[i];
        body = &view;
    }
    ct_status s = xp_convert_section(&xp_experiment_section, body, root, spec, &ctx);
    free(name);
    if (s != CT_OK) {
        xp_free_section(&xp_experiment_section, spec);
        return s;
    }
    xp_resolve_derived(spec);
    if (spec->data.kind == CT_DATA_CSV)
        s = resolve_data_path(&spec->data.csv.file, origin);
    else if (spec->data.kind == CT_DATA_IMAGES) {
        s = resolve_data_path(&spec->data.images.dir, origin);
        if (s == CT_OK)
            s = resolve_data_path(&spec->data.images.test_dir, origin);
    }
    /* init.from has no data-folder lookup: any relative path is the file's. */
    if (s == CT_OK && spec->init.enabled)
        s = resolve_path(&spec->init.from, origin);
    if (s != CT_OK)
        xp_free_section(&xp_experiment_section, spec);
    return s;
}

static void free_source(struct ct_experiment_source *src)
{
    if (!src)
        return;
    ynode_free(src->root);
    free(src->origin);
    for (size_t i = 0; i < src->origin_count; i++)
        free(src->origins[i]);
    free(src->origins);
    free(src);
}

void ct_experiment_free(ct_experiment *exp)
{
    if (!exp)
        return;
    xp_free_section(&xp_experiment_section, exp);
    free(exp->source_path);
    free_source(exp->source);
    free(exp);
}

static ct_status parse_text(const char *text, size_t length, const char *name, ct_experiment **out)
{
    ct_experiment *exp = calloc(1, sizeof *exp);
    struct ct_experiment_source *src = calloc(1, sizeof *src);
    char *origin = strdup(name), *path = strdup(name);
    if (!exp || !src || !origin || !path) {
        free(exp);
        free(src);
        free(origin);
        free(path);
        return ct_fail(CT_ERR_NO_MEMORY, "out of memory");
    }
    src->origin = origin;
    ct_status s = ytree_parse(text, length, origin, true, &src->root);
    if (s == CT_OK)
        s = build_spec(src->root, origin, exp);
    exp->source = src;
    exp->source_path = path;
    if (s != CT_OK) {
        ct_experiment_free(exp);
        return s;
    }
    *out = exp;
    return CT_OK;
}

ct_status ct_experiment_parse_string(const char *text, const char *name_for_errors,
                                     ct_experiment **out)
{
    if (!text || !out)
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "ct_experiment_parse_string: NULL argument");
    *out = NULL;
    return parse_text(text, strlen(text), name_for_errors ? name_for_errors : "<string>", out);
}

ct_status ct_experiment_load(const char *path, ct_experiment **out)
{
    if (!path || !out)
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "ct_experiment_load: NULL argument");
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return ct_fail(CT_ERR_IO, "cannot open experiment file %s: %s", path, strerror(errno));
    char *text = NULL;
    size_t length = 0, capacity = 0;
    ct_status s = CT_OK;
    for (;;) {
        if (length == capacity) {
            if (capacity >= MAX_FILE_BYTES) {
                s = ct_fail(CT_ERR_IO, "%s: larger than %u bytes: not an experiment file", path,
                            MAX_FILE_BYTES);
                break;
            }
            capacity = capacity ? 2 * capacity : 8192;
            char *grown = realloc(text, capacity);
            if (!grown) {
                s = ct_fail(CT_ERR_NO_MEMORY, "out of memory reading %s", path);
                break;
            }
            text = grown;
        }
        size_t n = fread(text + length, 1, capacity - length, f);
        length += n;
        if (n == 0)
            break;
    }
    if (s == CT_OK && ferror(f))
        s = ct_fail(CT_ERR_IO, "cannot read experiment file %s: %s", path, strerror(errno));
    fclose(f);
    if (s == CT_OK)
        s = parse_text(text ? text : "", length, path, out);
    free(text);
    return s;
}

/* Keep "--set ASSIGNMENT" alive as long as the nodes that point to it. */
static const char *remember_origin(struct ct_experiment_source *src, const char *assignment)
{
    char **grown = realloc(src->origins, (src->origin_count + 1) * sizeof *grown);
    if (!grown)
        return NULL;
    src->origins = grown;
    size_t n = strlen(assignment);
    char *origin = malloc(sizeof "--set " + MAX_ORIGIN_CHARS + 3);
    if (!origin)
        return NULL;
    snprintf(origin, sizeof "--set " + MAX_ORIGIN_CHARS + 3, "--set %.*s%s", MAX_ORIGIN_CHARS,
             assignment, n > MAX_ORIGIN_CHARS ? "..." : "");
    src->origins[src->origin_count++] = origin;
    return origin;
}

ct_status ct_experiment_set(ct_experiment *exp, const char *assignment)
{
    if (!exp || !assignment || !exp->source)
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "ct_experiment_set: NULL argument");
    struct ct_experiment_source *src = exp->source;
    const char *origin = remember_origin(src, assignment);
    if (!origin)
        return ct_fail(CT_ERR_NO_MEMORY, "out of memory");

    const char *eq = strchr(assignment, '=');
    if (!eq)
        return ct_fail(CT_ERR_CONFIG, "%s: expected KEY.PATH=VALUE, such as train.epochs=5", origin);
    key_path path;
    CT_TRY(xp_key_path_parse(assignment, (size_t)(eq - assignment), origin, &path));

    ynode *value = NULL, *root = NULL;
    ct_experiment spec;
    ct_status s = ytree_parse(eq + 1, strlen(eq + 1), origin, false, &value);
    if (s == CT_OK) {
        root = ynode_copy(src->root);
        if (!root)
            s = ct_fail(CT_ERR_NO_MEMORY, "out of memory");
    }
    if (s == CT_OK) {
        s = xp_key_path_assign(root, &path, value, origin);
        if (s == CT_OK)
            value = NULL; /* the tree owns it now */
    }
    if (s == CT_OK)
        s = build_spec(root, src->origin, &spec);
    xp_key_path_free(&path);
    ynode_free(value);
    if (s != CT_OK) {
        ynode_free(root);
        return s;
    }

    /* Swap in the new spec and tree; the experiment's identity stays. */
    char *source_path = exp->source_path;
    xp_free_section(&xp_experiment_section, exp);
    *exp = spec;
    exp->source_path = source_path;
    exp->source = src;
    ynode_free(src->root);
    src->root = root;
    return CT_OK;
}

ct_status ct_experiment_open(const char *path, const char *const *assignments, size_t n,
                             ct_experiment **out)
{
    if (!out || (n && !assignments))
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "ct_experiment_open: NULL argument");
    ct_experiment *exp;
    CT_TRY(ct_experiment_load(path, &exp));
    ct_status s = CT_OK;
    for (size_t i = 0; i < n && s == CT_OK; i++)
        s = ct_experiment_set(exp, assignments[i]);
    if (s == CT_OK)
        s = ct_experiment_validate(exp);
    if (s != CT_OK) {
        ct_experiment_free(exp);
        return s;
    }
    *out = exp;
    return CT_OK;
}

ct_status ct_experiment_write_yaml(const ct_experiment *exp, FILE *out)
{
    if (!exp || !out)
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "ct_experiment_write_yaml: NULL argument");
    fputs("# Effective configuration: every default filled in.\n", out);
    xp_write_section(out, &xp_experiment_section, exp, 0);
    if (fflush(out) != 0 || ferror(out))
        return ct_fail(CT_ERR_IO, "writing the experiment configuration: %s", strerror(errno));
    return CT_OK;
}
