/* summary.yaml: the few top-level keys the plots use, read with libyaml's
 * event parser. Everything else in the file is skipped, so the runner can
 * add keys without breaking the plots. */
#include "plot/run_reader.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

char *run_strdup(const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *copy = malloc(n);
    if (copy)
        memcpy(copy, s, n);
    return copy;
}

typedef struct {
    yaml_parser_t parser;
    const char *path;
    yaml_event_t event;
} reader;

static ct_status next(reader *r)
{
    if (!yaml_parser_parse(&r->parser, &r->event))
        return ct_fail(CT_ERR_PARSE, "%s:%zu:%zu: %s", r->path, r->parser.problem_mark.line + 1,
                       r->parser.problem_mark.column + 1,
                       r->parser.problem ? r->parser.problem : "invalid YAML");
    return CT_OK;
}

/* Skip the value whose first event is current (a scalar, or a whole
 * sequence or mapping). Leaves the last event of the value deleted. */
static ct_status skip_value(reader *r)
{
    int depth = 0;
    for (;;) {
        yaml_event_type_t t = r->event.type;
        if (t == YAML_SEQUENCE_START_EVENT || t == YAML_MAPPING_START_EVENT)
            depth++;
        else if (t == YAML_SEQUENCE_END_EVENT || t == YAML_MAPPING_END_EVENT)
            depth--;
        yaml_event_delete(&r->event);
        if (depth <= 0)
            return CT_OK;
        CT_TRY(next(r));
    }
}

static bool is_null(const char *v)
{
    return !*v || !strcmp(v, "null") || !strcmp(v, "~") || !strcmp(v, "Null") || !strcmp(v, "NULL");
}

static ct_status read_epoch(reader *r, const char *key, int *out)
{
    if (r->event.type != YAML_SCALAR_EVENT)
        return ct_fail(CT_ERR_PARSE, "%s:%zu: %s: expected an epoch number or null", r->path,
                       r->event.start_mark.line + 1, key);
    const char *v = (const char *)r->event.data.scalar.value;
    if (is_null(v)) {
        *out = -1;
        return CT_OK;
    }
    char *end;
    errno = 0;
    long epoch = strtol(v, &end, 10);
    if (*end || errno || epoch < 0 || epoch > 1000000000L)
        return ct_fail(CT_ERR_PARSE, "%s:%zu: %s: expected an epoch number (from 0) or null, got \"%s\"",
                       r->path, r->event.start_mark.line + 1, key, v);
    *out = (int)epoch;
    return CT_OK;
}

static ct_status read_task(reader *r, run_task *out)
{
    const char *v = r->event.type == YAML_SCALAR_EVENT ? (const char *)r->event.data.scalar.value : "";
    if (!strcmp(v, "regression"))
        *out = TASK_REGRESSION;
    else if (!strcmp(v, "classification"))
        *out = TASK_CLASSIFICATION;
    else
        return ct_fail(CT_ERR_PARSE, "%s:%zu: task: expected regression or classification, got \"%s\"",
                       r->path, r->event.start_mark.line + 1, v);
    return CT_OK;
}

static ct_status read_class_names(reader *r, run_summary *s)
{
    size_t line = r->event.start_mark.line + 1;
    if (r->event.type != YAML_SEQUENCE_START_EVENT)
        return ct_fail(CT_ERR_PARSE, "%s:%zu: class_names: expected a list of names", r->path, line);
    yaml_event_delete(&r->event);
    for (;;) {
        CT_TRY(next(r));
        if (r->event.type == YAML_SEQUENCE_END_EVENT)
            return CT_OK;
        if (r->event.type != YAML_SCALAR_EVENT)
            return ct_fail(CT_ERR_PARSE, "%s:%zu: class_names: expected names, found a nested value",
                           r->path, r->event.start_mark.line + 1);
        char **grown = realloc(s->class_names, (s->n_class_names + 1) * sizeof *grown);
        if (!grown)
            return ct_fail(CT_ERR_NO_MEMORY, "%s: out of memory", r->path);
        s->class_names = grown;
        if (!(s->class_names[s->n_class_names] = run_strdup((const char *)r->event.data.scalar.value)))
            return ct_fail(CT_ERR_NO_MEMORY, "%s: out of memory", r->path);
        s->n_class_names++;
        yaml_event_delete(&r->event);
    }
}

/* One value of the top-level mapping, whose first event is current. */
static ct_status read_value(reader *r, const char *key, run_summary *s)
{
    ct_status st = CT_OK;
    if (!strcmp(key, "task"))
        st = read_task(r, &s->task);
    else if (!strcmp(key, "best_epoch"))
        st = read_epoch(r, key, &s->best_epoch);
    else if (!strcmp(key, "stopped_epoch"))
        st = read_epoch(r, key, &s->stopped_epoch);
    else if (!strcmp(key, "class_names"))
        return read_class_names(r, s);
    else if (!strcmp(key, "stop_reason") && r->event.type == YAML_SCALAR_EVENT) {
        free(s->stop_reason);
        s->stop_reason = run_strdup((const char *)r->event.data.scalar.value);
        if (!s->stop_reason)
            st = ct_fail(CT_ERR_NO_MEMORY, "%s: out of memory", r->path);
    }
    if (st != CT_OK)
        return st;
    return skip_value(r);
}

static ct_status read_document(reader *r, run_summary *s)
{
    /* stream start, document start, then the top-level mapping */
    for (;;) {
        CT_TRY(next(r));
        yaml_event_type_t t = r->event.type;
        yaml_event_delete(&r->event);
        if (t == YAML_MAPPING_START_EVENT)
            break;
        if (t == YAML_STREAM_END_EVENT)
            return CT_OK; /* an empty file: nothing known */
        if (t != YAML_STREAM_START_EVENT && t != YAML_DOCUMENT_START_EVENT)
            return ct_fail(CT_ERR_PARSE, "%s: expected a mapping of keys (task, best_epoch, ...)", r->path);
    }
    for (;;) {
        CT_TRY(next(r));
        if (r->event.type == YAML_MAPPING_END_EVENT) {
            yaml_event_delete(&r->event);
            return CT_OK;
        }
        char key[64] = "";
        if (r->event.type == YAML_SCALAR_EVENT)
            snprintf(key, sizeof key, "%s", (const char *)r->event.data.scalar.value);
        CT_TRY(skip_value(r)); /* the key */
        CT_TRY(next(r));
        CT_TRY(read_value(r, key, s));
    }
}

ct_status run_summary_read(const char *path, run_summary *out)
{
    *out = (run_summary){.task = TASK_UNKNOWN, .best_epoch = -1, .stopped_epoch = -1};
    FILE *f = fopen(path, "rb");
    if (!f)
        return errno == ENOENT ? CT_OK : ct_fail(CT_ERR_IO, "cannot open %s: %s", path, strerror(errno));
    reader r = {.path = path};
    if (!yaml_parser_initialize(&r.parser)) {
        fclose(f);
        return ct_fail(CT_ERR_NO_MEMORY, "%s: out of memory", path);
    }
    yaml_parser_set_input_file(&r.parser, f);
    r.event.type = YAML_NO_EVENT;
    ct_status s = read_document(&r, out);
    /* An error may leave the current event alive; deleting a deleted
     * (zeroed) event is harmless. */
    yaml_event_delete(&r.event);
    yaml_parser_delete(&r.parser);
    fclose(f);
    if (s != CT_OK)
        run_summary_free(out);
    return s;
}

void run_summary_free(run_summary *s)
{
    if (!s)
        return;
    free(s->stop_reason);
    for (size_t i = 0; i < s->n_class_names; i++)
        free(s->class_names[i]);
    free(s->class_names);
    *s = (run_summary){.task = TASK_UNKNOWN, .best_epoch = -1, .stopped_epoch = -1};
}
