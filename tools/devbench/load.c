/* Reads a report back from the JSON devbench wrote (output_json.c), for
 * --compare and --from. Strict: the format name must match, a newer format
 * version is refused, and every field a row needs must be there with the
 * right type; errors name the file and the place ("devices[0].rows[3].metric"). */
#include <stdlib.h>
#include <string.h>

#include "devbench.h"
#include "json.h"

static ct_status read_text(const char *path, char **out)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return ct_fail(CT_ERR_IO, "cannot open %s", path);
    size_t cap = 1 << 16, used = 0;
    char *buf = malloc(cap);
    while (buf) {
        size_t got = fread(buf + used, 1, cap - used - 1, f);
        used += got;
        if (used < cap - 1)
            break;
        char *grown = realloc(buf, cap * 2);
        if (!grown) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = grown;
        cap *= 2;
    }
    int failed = ferror(f);
    fclose(f);
    if (!buf)
        return ct_fail(CT_ERR_NO_MEMORY, "reading %s", path);
    if (failed) {
        free(buf);
        return ct_fail(CT_ERR_IO, "reading %s failed", path);
    }
    buf[used] = '\0';
    if (strlen(buf) != used) {
        free(buf);
        return ct_fail(CT_ERR_PARSE, "%s: a NUL byte in the text", path);
    }
    *out = buf;
    return CT_OK;
}

typedef struct {
    const char *path;
    char where[64];
} place;

static ct_status get_string(const place *at, const json_value *obj, const char *key, char *dst, size_t size)
{
    const json_value *v = json_get(obj, key);
    if (!v || v->type != JSON_STRING)
        return ct_fail(CT_ERR_PARSE, "%s: %s.%s: a string expected", at->path, at->where, key);
    snprintf(dst, size, "%s", v->string);
    return CT_OK;
}

/* A number, or null when null_ok (the statistics of a row that is not ok). */
static ct_status get_number(const place *at, const json_value *obj, const char *key, int null_ok, double *dst)
{
    const json_value *v = json_get(obj, key);
    if (v && v->type == JSON_NUMBER) {
        *dst = v->number;
        return CT_OK;
    }
    if (v && v->type == JSON_NULL && null_ok) {
        *dst = 0;
        return CT_OK;
    }
    return ct_fail(CT_ERR_PARSE, "%s: %s.%s: a number expected", at->path, at->where, key);
}

static ct_status parse_status(const place *at, const char *name, db_status *out)
{
    for (int s = DB_OK; s <= DB_ERROR; s++)
        if (!strcmp(name, db_status_name((db_status)s))) {
            *out = (db_status)s;
            return CT_OK;
        }
    return ct_fail(CT_ERR_PARSE, "%s: %s.status: unknown status \"%s\"", at->path, at->where, name);
}

static ct_status read_row(const place *at, const json_value *v, db_row *row)
{
    if (v->type != JSON_OBJECT)
        return ct_fail(CT_ERR_PARSE, "%s: %s: an object expected", at->path, at->where);
    memset(row, 0, sizeof *row);
    char status[16], better[16];
    CT_TRY(get_string(at, v, "test", row->test, sizeof row->test));
    CT_TRY(get_string(at, v, "metric", row->metric, sizeof row->metric));
    CT_TRY(get_string(at, v, "unit", row->unit, sizeof row->unit));
    CT_TRY(get_string(at, v, "better", better, sizeof better));
    CT_TRY(get_string(at, v, "status", status, sizeof status));
    CT_TRY(get_string(at, v, "reason", row->reason, sizeof row->reason));
    CT_TRY(get_string(at, v, "tag", row->tag, sizeof row->tag));
    CT_TRY(get_string(at, v, "note", row->note, sizeof row->note));
    CT_TRY(parse_status(at, status, &row->status));
    if (strcmp(better, "higher") != 0 && strcmp(better, "lower") != 0)
        return ct_fail(CT_ERR_PARSE, "%s: %s.better: \"higher\" or \"lower\" expected", at->path, at->where);
    row->better = better[0] == 'h' ? DB_HIGHER_IS_BETTER : DB_LOWER_IS_BETTER;
    int null_ok = row->status != DB_OK;
    double runs = 0;
    CT_TRY(get_number(at, v, "median", null_ok, &row->median));
    CT_TRY(get_number(at, v, "min", null_ok, &row->min));
    CT_TRY(get_number(at, v, "max", null_ok, &row->max));
    CT_TRY(get_number(at, v, "q1", null_ok, &row->q1));
    CT_TRY(get_number(at, v, "q3", null_ok, &row->q3));
    CT_TRY(get_number(at, v, "runs", 0, &runs));
    row->runs = (int)runs;
    /* Optional: experiment step rows' work estimate (for the verdict). */
    const char *work[3] = {"step_flops", "step_bytes", "step_launches"};
    double *dst[3] = {&row->step_flops, &row->step_bytes, &row->step_launches};
    for (int k = 0; k < 3; k++)
        if (json_get(v, work[k]))
            CT_TRY(get_number(at, v, work[k], 0, dst[k]));
    return CT_OK;
}

static ct_status read_gemm_classes(const place *at, const json_value *dv, db_device *d)
{
    const json_value *classes = json_get(dv, "gemm_classes");
    if (!classes)
        return CT_OK; /* optional */
    if (classes->type != JSON_ARRAY)
        return ct_fail(CT_ERR_PARSE, "%s: %s.gemm_classes: an array expected", at->path, at->where);
    for (size_t c = 0; c < classes->count && c < DB_MAX_GEMM_CLASSES; c++) {
        place cp = *at;
        snprintf(cp.where, sizeof cp.where, "%.40s.gemm_classes[%zu]", at->where, c);
        db_gemm_class *gc = &d->gemm_classes[d->gemm_class_count++];
        CT_TRY(get_string(&cp, &classes->items[c], "class", gc->shape_class, sizeof gc->shape_class));
        CT_TRY(get_string(&cp, &classes->items[c], "chosen", gc->chosen, sizeof gc->chosen));
        CT_TRY(get_string(&cp, &classes->items[c], "fastest", gc->fastest, sizeof gc->fastest));
    }
    return CT_OK;
}

static ct_status read_device(const char *path, size_t index, const json_value *dv, db_device *d)
{
    place at = {path, ""};
    snprintf(at.where, sizeof at.where, "devices[%zu]", index);
    if (dv->type != JSON_OBJECT)
        return ct_fail(CT_ERR_PARSE, "%s: %s: an object expected", path, at.where);
    char status[16];
    double units = 0, clock = 0, mem = 0;
    CT_TRY(get_string(&at, dv, "index", d->index, sizeof d->index));
    CT_TRY(get_string(&at, dv, "name", d->name, sizeof d->name));
    CT_TRY(get_string(&at, dv, "vendor", d->vendor, sizeof d->vendor));
    CT_TRY(get_string(&at, dv, "platform", d->platform, sizeof d->platform));
    CT_TRY(get_string(&at, dv, "driver", d->driver, sizeof d->driver));
    CT_TRY(get_string(&at, dv, "version", d->version, sizeof d->version));
    CT_TRY(get_string(&at, dv, "type", d->type, sizeof d->type));
    CT_TRY(get_number(&at, dv, "compute_units", 0, &units));
    CT_TRY(get_number(&at, dv, "clock_mhz", 0, &clock));
    CT_TRY(get_number(&at, dv, "global_mem_bytes", 0, &mem));
    CT_TRY(get_string(&at, dv, "status", status, sizeof status));
    CT_TRY(parse_status(&at, status, &d->status));
    CT_TRY(get_string(&at, dv, "reason", d->reason, sizeof d->reason));
    d->compute_units = (unsigned)units;
    d->clock_mhz = (unsigned)clock;
    d->global_mem_bytes = (unsigned long long)mem;
    if (json_get(dv, "gemm_choice_source"))
        CT_TRY(get_string(&at, dv, "gemm_choice_source", d->gemm_choice_source, sizeof d->gemm_choice_source));
    if (json_get(dv, "profile")) /* absent from older reports */
        CT_TRY(get_string(&at, dv, "profile", d->profile, sizeof d->profile));
    CT_TRY(read_gemm_classes(&at, dv, d));

    const json_value *rows = json_get(dv, "rows");
    if (!rows || rows->type != JSON_ARRAY)
        return ct_fail(CT_ERR_PARSE, "%s: %s.rows: an array expected", path, at.where);
    for (size_t i = 0; i < rows->count; i++) {
        place rp = {path, ""};
        snprintf(rp.where, sizeof rp.where, "devices[%zu].rows[%zu]", index, i);
        db_row *row = db_device_add_row(d, "", "", "", DB_HIGHER_IS_BETTER);
        if (!row)
            return ct_fail(CT_ERR_NO_MEMORY, "reading %s", path);
        CT_TRY(read_row(&rp, &rows->items[i], row));
    }
    return CT_OK;
}

static ct_status read_report(const char *path, const json_value *root, db_report *r)
{
    place top = {path, "(top)"};
    char format[64], created[32];
    double version = 0, max_time = 0;
    if (root->type != JSON_OBJECT)
        return ct_fail(CT_ERR_PARSE, "%s: not a devbench result (the top level is not an object)", path);
    CT_TRY(get_string(&top, root, "format", format, sizeof format));
    if (strcmp(format, DB_FORMAT_NAME) != 0)
        return ct_fail(CT_ERR_PARSE, "%s: format \"%s\" is not \"%s\"", path, format, DB_FORMAT_NAME);
    CT_TRY(get_number(&top, root, "format_version", 0, &version));
    if (version < 1 || version > DB_FORMAT_VERSION)
        return ct_fail(CT_ERR_PARSE, "%s: format version %g; this devbench reads version 1 to %d", path, version,
                       DB_FORMAT_VERSION);
    CT_TRY(get_string(&top, root, "created", created, sizeof created));
    CT_TRY(get_number(&top, root, "max_time_s", 0, &max_time));
    db_report_init(r, max_time);
    r->format_version = (int)version;
    snprintf(r->created, sizeof r->created, "%s", created);
    const json_value *devices = json_get(root, "devices");
    if (!devices || devices->type != JSON_ARRAY)
        return ct_fail(CT_ERR_PARSE, "%s: devices: an array expected", path);
    for (size_t i = 0; i < devices->count; i++) {
        db_device *d = db_report_add_device(r);
        if (!d)
            return ct_fail(CT_ERR_NO_MEMORY, "reading %s", path);
        CT_TRY(read_device(path, i, &devices->items[i], d));
    }
    return CT_OK;
}

ct_status db_read_json(const char *path, db_report *r)
{
    memset(r, 0, sizeof *r);
    char *text = NULL;
    CT_TRY(read_text(path, &text));
    json_value root;
    char err[256];
    int parsed = json_parse(text, &root, err, sizeof err);
    free(text);
    if (!parsed)
        return ct_fail(CT_ERR_PARSE, "%s: invalid JSON: %s", path, err);
    ct_status s = read_report(path, &root, r);
    json_free(&root);
    if (s != CT_OK)
        db_report_free(r);
    return s;
}
