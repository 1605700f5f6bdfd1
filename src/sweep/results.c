/* The sweep's table (see results.h). */
#include "sweep/results.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cltrain/report.h"
#include "core/fs.h"
#include "experiment/ytree.h"
#include "report/number_format.h"

/* ----------------------------------------------------------------- a row */

static ct_status add_cell(sweep_row *r, const char *column, const char *value)
{
    sweep_cell *grown = realloc(r->cells, (r->count + 1) * sizeof *grown);
    if (!grown)
        return ct_fail(CT_ERR_NO_MEMORY, "out of memory");
    r->cells = grown;
    sweep_cell *c = &grown[r->count];
    c->column = strdup(column);
    c->value = strdup(value ? value : "");
    if (!c->column || !c->value) {
        free(c->column), free(c->value);
        return ct_fail(CT_ERR_NO_MEMORY, "out of memory");
    }
    r->count++;
    return CT_OK;
}

const char *sweep_row_get(const sweep_row *r, const char *column)
{
    for (size_t i = 0; i < r->count; i++)
        if (!strcmp(r->cells[i].column, column))
            return r->cells[i].value;
    return NULL;
}

void sweep_rows_free(sweep_row *rows, size_t n)
{
    for (size_t i = 0; rows && i < n; i++) {
        for (size_t j = 0; j < rows[i].count; j++)
            free(rows[i].cells[j].column), free(rows[i].cells[j].value);
        free(rows[i].cells);
    }
    free(rows);
}

/* A point's history.csv. */
static ct_status read_history(const char *dir, ct_history **h)
{
    char *path = ct_path_join(dir, "history.csv");
    if (!path)
        return ct_fail(CT_ERR_NO_MEMORY, "out of memory");
    ct_status s = ct_history_read_csv(path, h);
    free(path);
    return s;
}

ct_status sweep_point_best(const char *dir, const char *metric, bool maximize, int *epoch, double *value)
{
    ct_history *h = NULL;
    ct_status s = read_history(dir, &h);
    if (s == CT_OK)
        s = ct_history_best(h, metric, maximize ? CT_MODE_MAX : CT_MODE_MIN, epoch, value);
    ct_history_free(h);
    return s;
}

/* The scalar at a path of mapping keys ("model", "parameters"), NULL if absent. */
static const char *scalar_at(const ynode *root, const char *a, const char *b)
{
    const ynode *n = ynode_get(root, a);
    if (n && b)
        n = ynode_get(n, b);
    return n && n->kind == YNODE_SCALAR && !ynode_is_null(n) ? n->text : NULL;
}

/* From summary.yaml: model size, epochs, test values, baseline, seconds, device. */
static ct_status summary_cells(const char *dir, sweep_row *r, ynode **summary)
{
    char *path = ct_path_join(dir, "summary.yaml"), *text = NULL;
    size_t len = 0;
    ct_status s = path ? ct_read_file(path, &text, &len) : ct_fail(CT_ERR_NO_MEMORY, "out of memory");
    if (s == CT_OK)
        s = ytree_parse(text, len, path, true, summary);
    free(text);
    free(path);
    CT_TRY(s);
    const ynode *root = *summary;
    s = add_cell(r, "parameters", scalar_at(root, "model", "parameters"));
    if (s == CT_OK)
        s = add_cell(r, "flops_per_sample", scalar_at(root, "model", "flops_per_sample"));
    if (s == CT_OK)
        s = add_cell(r, "epochs_run", scalar_at(root, "epochs_run", NULL));
    return s;
}

static ct_status history_cells(const char *dir, const sweep_plan *p, sweep_row *r)
{
    ct_history *h = NULL;
    ct_status s = read_history(dir, &h);
    int epoch = -1;
    double best;
    if (s == CT_OK && ct_history_best(h, p->metric, p->maximize ? CT_MODE_MAX : CT_MODE_MIN, &epoch, &best) != CT_OK) {
        ct_clear_error(); /* no number at all (NaN throughout): the row says so by its empty cells */
        epoch = -1;
    }
    char buf[CT_DOUBLE_TEXT_MAX];
    if (s == CT_OK) {
        snprintf(buf, sizeof buf, "%d", epoch + 1);
        s = add_cell(r, "best_epoch", epoch >= 0 ? buf : "");
    }
    size_t row = 0;
    while (s == CT_OK && epoch >= 0 && row < ct_history_rows(h) && ct_history_epoch(h, row) != epoch)
        row++;
    for (size_t c = 0; s == CT_OK && c < ct_history_columns(h); c++) {
        const char *name = ct_history_column_name(h, c);
        if (strncmp(name, "val_", 4) != 0 && strcmp(name, p->metric) != 0)
            continue; /* the validation values, and the metric itself when it is a training one */
        bool have = epoch >= 0 && row < ct_history_rows(h);
        s = add_cell(r, name, have ? ct_format_double(ct_history_value(h, row, c), buf) : "");
    }
    ct_history_free(h);
    return s;
}

static ct_status test_cells(const ynode *root, sweep_row *r)
{
    ct_status s = CT_OK;
    const ynode *test = ynode_get(root, "test");
    for (size_t i = 0; test && test->kind == YNODE_MAPPING && i < test->count && s == CT_OK; i++) {
        char column[160];
        snprintf(column, sizeof column, "test_%s", test->keys[i]->text);
        s = add_cell(r, column, test->items[i]->kind == YNODE_SCALAR ? test->items[i]->text : "");
    }
    const ynode *baselines = ynode_get(root, "baselines");
    if (s == CT_OK && baselines && baselines->kind == YNODE_MAPPING && baselines->count) {
        /* The first baseline (an experiment has one per file today). */
        const ynode *b = baselines->items[0];
        s = add_cell(r, "baseline", baselines->keys[0]->text);
        for (size_t i = 0; b->kind == YNODE_MAPPING && i < b->count && s == CT_OK; i++) {
            char column[160];
            snprintf(column, sizeof column, "baseline_%s", b->keys[i]->text);
            s = add_cell(r, column, b->items[i]->kind == YNODE_SCALAR ? b->items[i]->text : "");
        }
    }
    if (s == CT_OK) {
        double total = 0;
        const char *parts[] = {"startup", "training", "evaluation"};
        for (size_t i = 0; i < 3; i++) {
            const char *v = scalar_at(ynode_get(root, "seconds"), parts[i], NULL);
            total += v ? strtod(v, NULL) : 0;
        }
        char buf[64];
        snprintf(buf, sizeof buf, "%.3f", total);
        s = add_cell(r, "seconds", buf);
    }
    if (s == CT_OK)
        s = add_cell(r, "device", scalar_at(root, "device", "name"));
    return s;
}

/* The error record's message, "" without one. */
static void read_error(const sweep_plan *p, size_t i, char *buf, size_t size)
{
    buf[0] = '\0';
    char path[4096];
    snprintf(path, sizeof path, "%s/errors/%s.txt", p->dir, p->points[i].name);
    char *text = NULL;
    size_t len = 0;
    if (ct_read_file(path, &text, &len) != CT_OK) {
        ct_clear_error();
        return;
    }
    const char *e = strstr(text, "\nerror: ");
    if (e) {
        e += 8;
        size_t n = strcspn(e, "\n");
        snprintf(buf, size, "%.*s", (int)n, e);
    } else
        snprintf(buf, size, "failed");
    free(text);
}

ct_status sweep_row_read(const sweep_plan *p, size_t i, sweep_row *out)
{
    memset(out, 0, sizeof *out);
    out->point = i;
    char *dir = sweep_point_dir(p, i);
    if (!dir)
        return ct_fail(CT_ERR_NO_MEMORY, "out of memory");
    char error[1024], num[32];
    read_error(p, i, error, sizeof error);
    char *summary_path = ct_path_join(dir, "summary.yaml"), *checkpoint_path = ct_path_join(dir, "checkpoint.bin");
    bool finished = summary_path && access(summary_path, F_OK) == 0;
    bool started = checkpoint_path && access(checkpoint_path, F_OK) == 0;
    free(summary_path), free(checkpoint_path);
    const char *status = finished && !error[0] ? "done" : error[0] ? "failed" : started ? "interrupted" : "pending";
    snprintf(num, sizeof num, "%zu", i);
    ct_status s = add_cell(out, "point", num);
    if (s == CT_OK)
        s = add_cell(out, "name", p->points[i].name);
    if (s == CT_OK)
        s = add_cell(out, "status", status);
    for (size_t k = 0; k < p->points[i].set_count && s == CT_OK; k++) {
        const char *eq = strchr(p->points[i].sets[k], '=');
        s = add_cell(out, p->axes[k].key, eq ? eq + 1 : "");
    }
    ynode *summary = NULL;
    if (s == CT_OK && !strcmp(status, "done")) {
        s = summary_cells(dir, out, &summary);
        if (s == CT_OK)
            s = history_cells(dir, p, out);
        if (s == CT_OK)
            s = test_cells(summary, out);
        if (s != CT_OK && s != CT_ERR_NO_MEMORY) { /* a damaged run directory is the point's failure */
            snprintf(error, sizeof error, "%s", ct_last_error());
            ct_clear_error();
            s = CT_OK;
            for (size_t k = 0; k < out->count; k++)
                if (!strcmp(out->cells[k].column, "status")) {
                    free(out->cells[k].value);
                    out->cells[k].value = strdup("failed");
                }
        }
    }
    ynode_free(summary);
    if (s == CT_OK)
        s = add_cell(out, "error", error);
    free(dir);
    if (s != CT_OK) {
        for (size_t k = 0; k < out->count; k++)
            free(out->cells[k].column), free(out->cells[k].value);
        free(out->cells);
        memset(out, 0, sizeof *out);
    }
    return s;
}

/* ------------------------------------------------------------- as text */

static void append(char **text, size_t *len, size_t *cap, const char *s, bool clean)
{
    size_t n = strlen(s);
    if (!*text && *cap)
        return; /* out of memory earlier */
    if (*len + n + 1 > *cap) {
        size_t want = (*len + n + 1) * 2;
        char *grown = realloc(*text, want);
        if (!grown) {
            free(*text);
            *text = NULL;
            *cap = 1;
            return;
        }
        *text = grown;
        *cap = want;
    }
    for (size_t i = 0; i < n; i++)
        (*text)[(*len)++] = (char)(clean && (s[i] == '\t' || s[i] == '\n' || s[i] == '\r') ? ' ' : s[i]);
    (*text)[*len] = '\0';
}

ct_status sweep_rows_encode(const sweep_row *rows, size_t n, char **text, size_t *length)
{
    *text = NULL;
    size_t len = 0, cap = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < rows[i].count; j++) {
            char num[32];
            snprintf(num, sizeof num, "%zu\t", rows[i].point);
            append(text, &len, &cap, num, false);
            append(text, &len, &cap, rows[i].cells[j].column, true);
            append(text, &len, &cap, "\t", false);
            append(text, &len, &cap, rows[i].cells[j].value, true);
            append(text, &len, &cap, "\n", false);
        }
    if (!*text && cap)
        return ct_fail(CT_ERR_NO_MEMORY, "out of memory");
    if (!*text && !(*text = calloc(1, 1)))
        return ct_fail(CT_ERR_NO_MEMORY, "out of memory");
    *length = len;
    return CT_OK;
}

ct_status sweep_rows_decode(const char *text, size_t length, sweep_row **rows, size_t *n)
{
    *rows = NULL;
    *n = 0;
    ct_status s = CT_OK;
    const char *p = text, *end = text + length;
    while (p < end && s == CT_OK) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *line_end = nl ? nl : end;
        const char *t1 = memchr(p, '\t', (size_t)(line_end - p));
        const char *t2 = t1 ? memchr(t1 + 1, '\t', (size_t)(line_end - t1 - 1)) : NULL;
        if (!t1 || !t2) {
            s = ct_fail(CT_ERR_PARSE, "a sweep row from another rank is malformed");
            break;
        }
        size_t point = (size_t)strtoull(p, NULL, 10);
        if (*n == 0 || (*rows)[*n - 1].point != point) {
            sweep_row *grown = realloc(*rows, (*n + 1) * sizeof *grown);
            if (!grown) {
                s = ct_fail(CT_ERR_NO_MEMORY, "out of memory");
                break;
            }
            *rows = grown;
            memset(&grown[*n], 0, sizeof *grown);
            grown[(*n)++].point = point;
        }
        char *column = strndup(t1 + 1, (size_t)(t2 - t1 - 1)), *value = strndup(t2 + 1, (size_t)(line_end - t2 - 1));
        if (column && value)
            s = add_cell(&(*rows)[*n - 1], column, value);
        else
            s = ct_fail(CT_ERR_NO_MEMORY, "out of memory");
        free(column), free(value);
        p = nl ? nl + 1 : end;
    }
    if (s != CT_OK) {
        sweep_rows_free(*rows, *n);
        *rows = NULL;
        *n = 0;
    }
    return s;
}

/* ------------------------------------------------------------- the table */

/* The column groups, in table order. */
static int column_group(const sweep_plan *p, const char *c)
{
    if (!strcmp(c, "point"))
        return 0;
    if (!strcmp(c, "name"))
        return 1;
    if (!strcmp(c, "status"))
        return 2;
    for (size_t i = 0; i < p->axis_count; i++)
        if (!strcmp(c, p->axes[i].key))
            return 3;
    if (!strcmp(c, "parameters") || !strcmp(c, "flops_per_sample") || !strcmp(c, "epochs_run") ||
        !strcmp(c, "best_epoch"))
        return 4;
    if (!strncmp(c, "val_", 4) || !strcmp(c, p->metric))
        return 5;
    if (!strncmp(c, "test_", 5))
        return 6;
    if (!strncmp(c, "baseline", 8))
        return 7;
    if (!strcmp(c, "seconds") || !strcmp(c, "device"))
        return 8;
    return 9; /* error */
}

static int by_point(const void *a, const void *b)
{
    size_t x = ((const sweep_row *)a)->point, y = ((const sweep_row *)b)->point;
    return x < y ? -1 : x > y;
}

ct_status sweep_table_make(const sweep_plan *p, sweep_row *rows, size_t n, sweep_table *out)
{
    memset(out, 0, sizeof *out);
    qsort(rows, n, sizeof *rows, by_point);
    out->rows = rows;
    out->row_count = n;
    /* The union of the rows' columns, grouped; within a group, first seen first. */
    for (int g = 0; g <= 9; g++) {
        if (g == 3) { /* axes in axis order, even where no row has a value yet */
            for (size_t i = 0; i < p->axis_count; i++) {
                char **grown = realloc(out->columns, (out->column_count + 1) * sizeof *grown);
                if (!grown || !(grown[out->column_count] = strdup(p->axes[i].key))) {
                    if (grown)
                        out->columns = grown;
                    return ct_fail(CT_ERR_NO_MEMORY, "out of memory");
                }
                out->columns = grown;
                out->column_count++;
            }
            continue;
        }
        for (size_t r = 0; r < n; r++)
            for (size_t c = 0; c < rows[r].count; c++) {
                const char *name = rows[r].cells[c].column;
                if (column_group(p, name) != g)
                    continue;
                bool seen = false;
                for (size_t k = 0; k < out->column_count && !seen; k++)
                    seen = !strcmp(out->columns[k], name);
                if (seen)
                    continue;
                char **grown = realloc(out->columns, (out->column_count + 1) * sizeof *grown);
                if (!grown || !(grown[out->column_count] = strdup(name))) {
                    if (grown)
                        out->columns = grown;
                    return ct_fail(CT_ERR_NO_MEMORY, "out of memory");
                }
                out->columns = grown;
                out->column_count++;
            }
    }
    return CT_OK;
}

static void csv_field(FILE *f, const char *v)
{
    if (!strpbrk(v, ",\"\n\r")) {
        fputs(v, f);
        return;
    }
    fputc('"', f);
    for (; *v; v++) {
        if (*v == '"')
            fputc('"', f);
        fputc(*v == '\n' || *v == '\r' ? ' ' : *v, f);
    }
    fputc('"', f);
}

ct_status sweep_table_write_csv(const sweep_table *t, const char *path)
{
    ct_atomic_file *af;
    CT_TRY(ct_atomic_open(path, &af));
    FILE *f = ct_atomic_stream(af);
    for (size_t c = 0; c < t->column_count; c++) {
        if (c)
            fputc(',', f);
        csv_field(f, t->columns[c]);
    }
    fputc('\n', f);
    for (size_t r = 0; r < t->row_count; r++) {
        for (size_t c = 0; c < t->column_count; c++) {
            if (c)
                fputc(',', f);
            const char *v = sweep_row_get(&t->rows[r], t->columns[c]);
            csv_field(f, v ? v : "");
        }
        fputc('\n', f);
    }
    return ct_atomic_commit(af);
}

/* One CSV record from *p (quotes as csv_field writes them); the fields are
 * malloc'd into fields[0..*n). Returns false at the end of the text. */
static bool csv_record(const char **p, char ***fields, size_t *n)
{
    *fields = NULL;
    *n = 0;
    if (!**p)
        return false;
    const char *s = *p;
    for (;;) {
        char *value = malloc(strlen(s) + 1);
        size_t len = 0;
        if (!value)
            return false;
        if (*s == '"') {
            s++;
            while (*s && !(*s == '"' && s[1] != '"')) {
                if (*s == '"')
                    s++;
                value[len++] = *s++;
            }
            if (*s == '"')
                s++;
        }
        while (*s && *s != ',' && *s != '\n' && *s != '\r')
            value[len++] = *s++;
        value[len] = '\0';
        char **grown = realloc(*fields, (*n + 1) * sizeof *grown);
        if (!grown) {
            free(value);
            return false;
        }
        *fields = grown;
        grown[(*n)++] = value;
        if (*s == ',') {
            s++;
            continue;
        }
        while (*s == '\r' || *s == '\n')
            s++;
        *p = s;
        return true;
    }
}

static void free_fields(char **f, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(f[i]);
    free(f);
}

ct_status sweep_table_read_csv(const char *path, sweep_table *out)
{
    memset(out, 0, sizeof *out);
    char *text = NULL;
    size_t len = 0;
    CT_TRY(ct_read_file(path, &text, &len));
    const char *p = text;
    char **fields;
    size_t n;
    ct_status s = CT_OK;
    if (!csv_record(&p, &out->columns, &out->column_count))
        s = ct_fail(CT_ERR_PARSE, "%s: empty: expected a header row (point,name,status,...)", path);
    else if (out->column_count < 3 || strcmp(out->columns[0], "point") != 0)
        s = ct_fail(CT_ERR_PARSE, "%s: not a sweep table: the header does not start with point,name,status", path);
    for (size_t line = 2; s == CT_OK && csv_record(&p, &fields, &n); line++) {
        if (n != out->column_count) {
            free_fields(fields, n);
            s = ct_fail(CT_ERR_PARSE, "%s:%zu: %zu fields, expected %zu as in the header", path, line, n,
                        out->column_count);
            break;
        }
        sweep_row *grown = realloc(out->rows, (out->row_count + 1) * sizeof *grown);
        if (!grown) {
            free_fields(fields, n);
            s = ct_fail(CT_ERR_NO_MEMORY, "out of memory");
            break;
        }
        out->rows = grown;
        sweep_row *r = &grown[out->row_count++];
        memset(r, 0, sizeof *r);
        r->point = (size_t)strtoull(fields[0], NULL, 10);
        for (size_t c = 0; c < n && s == CT_OK; c++)
            s = add_cell(r, out->columns[c], fields[c]);
        free_fields(fields, n);
    }
    free(text);
    if (s != CT_OK)
        sweep_table_free(out);
    return s;
}

void sweep_table_free(sweep_table *t)
{
    if (!t)
        return;
    free_fields(t->columns, t->column_count);
    sweep_rows_free(t->rows, t->row_count);
    memset(t, 0, sizeof *t);
}

/* --------------------------------------------------------------- record */

ct_status sweep_write_record(const sweep_plan *p)
{
    CT_TRY(ct_make_dirs(p->dir));
    char *path = ct_path_join(p->dir, "sweep.yaml");
    if (!path)
        return ct_fail(CT_ERR_NO_MEMORY, "out of memory");
    ct_atomic_file *af;
    ct_status s = ct_atomic_open(path, &af);
    free(path);
    CT_TRY(s);
    FILE *f = ct_atomic_stream(af);
    /* Names and keys are plain words; the experiment path and values are quoted. */
    fprintf(f, "# What `cltrain sweep --summary` reads; the table is sweep.csv.\n");
    fprintf(f, "name: %s\nexperiment: '", p->name);
    for (const char *c = p->experiment; *c; c++)
        fprintf(f, *c == '\'' ? "''" : "%c", *c);
    fprintf(f, "'\nmetric: %s\nmode: %s\npoints: %zu\naxes:\n", p->metric, p->maximize ? "max" : "min",
            p->point_count);
    for (size_t i = 0; i < p->axis_count; i++)
        fprintf(f, "  - {key: '%s', kind: %s, values: %zu}\n", p->axes[i].key,
                p->axes[i].kind == SWEEP_GRID ? "grid" : "random",
                p->axes[i].kind == SWEEP_GRID ? p->axes[i].value_count : p->draws);
    return ct_atomic_commit(af);
}

ct_status sweep_read_record(const char *dir, char **metric, bool *maximize)
{
    char *path = ct_path_join(dir, "sweep.yaml"), *text = NULL;
    size_t len = 0;
    ynode *root = NULL;
    ct_status s = path ? ct_read_file(path, &text, &len) : ct_fail(CT_ERR_NO_MEMORY, "out of memory");
    if (s == CT_OK)
        s = ytree_parse(text, len, path, true, &root);
    const char *m = s == CT_OK ? scalar_at(root, "metric", NULL) : NULL, *mode = s == CT_OK ? scalar_at(root, "mode", NULL) : NULL;
    if (s == CT_OK && (!m || !mode))
        s = ct_fail(CT_ERR_PARSE, "%s: expected the keys metric and mode", path);
    if (s == CT_OK) {
        *metric = strdup(m);
        *maximize = !strcmp(mode, "max");
        if (!*metric)
            s = ct_fail(CT_ERR_NO_MEMORY, "out of memory");
    }
    ynode_free(root);
    free(text);
    free(path);
    return s;
}

/* ---------------------------------------------------------------- print */

typedef struct {
    const sweep_row *row;
    double value;
    bool has;
} ranked;

static bool sort_max;
static int by_value(const void *a, const void *b)
{
    const ranked *x = a, *y = b;
    if (x->has != y->has)
        return x->has ? -1 : 1;
    if (!x->has || x->value == y->value)
        return x->row->point < y->row->point ? -1 : x->row->point > y->row->point;
    return (sort_max ? x->value > y->value : x->value < y->value) ? -1 : 1;
}

void sweep_table_print(const sweep_table *t, const char *metric, bool maximize, FILE *out)
{
    ranked *r = calloc(t->row_count ? t->row_count : 1, sizeof *r);
    if (!r)
        return;
    for (size_t i = 0; i < t->row_count; i++) {
        const char *v = sweep_row_get(&t->rows[i], metric);
        char *end = NULL;
        r[i].row = &t->rows[i];
        r[i].value = v && *v ? strtod(v, &end) : NAN;
        r[i].has = v && *v && end && !*end && !isnan(r[i].value);
    }
    sort_max = maximize;
    qsort(r, t->row_count, sizeof *r, by_value);
    /* Columns shown: the axes, parameters, the metric, test values, baseline values, seconds, status. */
    const char *shown[64];
    size_t n = 0;
    size_t status_at = 0, params_at = t->column_count;
    for (size_t c = 0; c < t->column_count; c++) {
        if (!strcmp(t->columns[c], "status"))
            status_at = c;
        if ((!strcmp(t->columns[c], "parameters") || !strcmp(t->columns[c], "error")) && params_at == t->column_count)
            params_at = c;
    }
    for (size_t c = status_at + 1; c < params_at && c < t->column_count && n < 40; c++)
        shown[n++] = t->columns[c];
    shown[n++] = "parameters";
    shown[n++] = metric;
    for (size_t c = 0; c < t->column_count && n < 60; c++)
        if ((!strncmp(t->columns[c], "test_", 5) || !strncmp(t->columns[c], "baseline_", 9)) &&
            strcmp(t->columns[c], metric) != 0)
            shown[n++] = t->columns[c];
    shown[n++] = "seconds";
    shown[n++] = "status";
    size_t width[64];
    for (size_t c = 0; c < n; c++) {
        width[c] = strlen(shown[c]);
        for (size_t i = 0; i < t->row_count; i++) {
            const char *v = sweep_row_get(&t->rows[i], shown[c]);
            char buf[64];
            if (v && *v && c + 2 < n && strcmp(shown[c], "parameters") != 0 && strspn(v, "0123456789.eE+-") == strlen(v) &&
                strchr(v, '.'))
                snprintf(buf, sizeof buf, "%.5g", strtod(v, NULL)), v = buf;
            size_t w = v ? strlen(v) : 0;
            width[c] = w > width[c] ? w : width[c];
        }
        if (width[c] > 40)
            width[c] = 40;
    }
    fprintf(out, "%4s", "rank");
    for (size_t c = 0; c < n; c++)
        fprintf(out, "  %*.*s", (int)width[c], (int)width[c], shown[c]);
    fprintf(out, "\n");
    for (size_t i = 0; i < t->row_count; i++) {
        if (r[i].has)
            fprintf(out, "%4zu", i + 1);
        else
            fprintf(out, "%4s", "-");
        for (size_t c = 0; c < n; c++) {
            const char *v = sweep_row_get(r[i].row, shown[c]);
            char buf[64];
            /* Long decimals read as 5 significant digits; the CSV keeps them whole. */
            if (v && *v && c + 2 < n && strcmp(shown[c], "parameters") != 0 && strspn(v, "0123456789.eE+-") == strlen(v) &&
                strchr(v, '.'))
                snprintf(buf, sizeof buf, "%.5g", strtod(v, NULL)), v = buf;
            fprintf(out, "  %*.*s", (int)width[c], (int)width[c], v ? v : "");
        }
        fprintf(out, "\n");
    }
    free(r);
}
