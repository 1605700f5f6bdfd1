/* CSV with a header row into a ct_table of doubles.
 *
 * The reader is a small state machine over the whole text in memory (the
 * datasets are megabytes): one record at a time, fields unquoted into a
 * scratch buffer. Structure is checked here; cell values are only recorded
 * (NaN plus a problem entry) so that a text column the caller drops does no
 * harm: see ct_tabular_from_table(). */
#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cltrain/data.h"
#include "core/fs.h" /* ct_read_file_as */
#include "data/internal.h"
#include "data/util.h"

/* ------------------------------------------------------------- the reader */

typedef struct {
    const char *source;
    const char *text;
    size_t len;
    size_t pos;
    size_t line; /* 1-based line at pos */
    /* The current record's fields, unquoted, NUL-terminated, back to back. */
    char *chars;
    size_t chars_len, chars_cap;
    size_t *field_starts;
    size_t n_fields, fields_cap;
    int first_field_quoted;
    /* Columns whose fields are kept as written (ct_csv_read_keeping). */
    const char *const *keep;
    size_t n_keep;
    unsigned char *keep_mask; /* n_cols, from the header */
} csv_reader;

static ct_status out_of_memory(const csv_reader *r)
{
    return ct_fail(CT_ERR_NO_MEMORY, "%s: out of memory while reading", r->source);
}

static int append_char(csv_reader *r, char c)
{
    if (ct_data_reserve((void **)&r->chars, &r->chars_cap, r->chars_len + 1, 1))
        return -1;
    r->chars[r->chars_len++] = c;
    return 0;
}

static int begin_field(csv_reader *r)
{
    if (ct_data_reserve((void **)&r->field_starts, &r->fields_cap, r->n_fields + 1,
                        sizeof *r->field_starts))
        return -1;
    r->field_starts[r->n_fields++] = r->chars_len;
    return 0;
}

static const char *field(const csv_reader *r, size_t i) { return r->chars + r->field_starts[i]; }

static int at_line_end(const csv_reader *r)
{
    return r->pos >= r->len || r->text[r->pos] == '\n' || r->text[r->pos] == '\r';
}

/* Consumes "\n", "\r\n" or a lone "\r" (if present) and counts the line. */
static void skip_line_end(csv_reader *r)
{
    if (r->pos >= r->len)
        return;
    if (r->text[r->pos] == '\r')
        r->pos++;
    if (r->pos < r->len && r->text[r->pos] == '\n')
        r->pos++;
    r->line++;
}

/* A quoted field: pos is on the opening quote. "" inside is one quote; line
 * ends inside belong to the field. */
static ct_status read_quoted(csv_reader *r)
{
    size_t opened_on = r->line;
    r->pos++;
    for (;;) {
        if (r->pos >= r->len)
            return ct_fail(CT_ERR_PARSE, "%s: row %zu: a quoted field is never closed (missing \")",
                           r->source, opened_on);
        char c = r->text[r->pos];
        if (c == '"') {
            if (r->pos + 1 < r->len && r->text[r->pos + 1] == '"') {
                if (append_char(r, '"'))
                    return out_of_memory(r);
                r->pos += 2;
                continue;
            }
            r->pos++;
            break;
        }
        if (c == '\n')
            r->line++;
        if (append_char(r, c))
            return out_of_memory(r);
        r->pos++;
    }
    /* Spaces may follow the closing quote; anything else is a broken field. */
    while (r->pos < r->len && (r->text[r->pos] == ' ' || r->text[r->pos] == '\t'))
        r->pos++;
    if (!at_line_end(r) && r->text[r->pos] != ',')
        return ct_fail(CT_ERR_PARSE, "%s: row %zu, field %zu: unexpected '%c' after a closing quote",
                       r->source, r->line, r->n_fields, r->text[r->pos]);
    return CT_OK;
}

/* Reads the next record. *got = 0 at the end of the text; *start_line is the
 * line the record starts on. */
static ct_status read_record(csv_reader *r, int *got, size_t *start_line)
{
    r->chars_len = 0;
    r->n_fields = 0;
    r->first_field_quoted = 0;
    *got = 0;
    if (r->pos >= r->len)
        return CT_OK;
    *start_line = r->line;
    for (;;) {
        if (begin_field(r))
            return out_of_memory(r);
        if (r->pos < r->len && r->text[r->pos] == '"') {
            if (r->n_fields == 1)
                r->first_field_quoted = 1;
            CT_TRY(read_quoted(r));
        } else {
            /* Unquoted: up to the next comma or line end (a stray quote is kept). */
            while (!at_line_end(r) && r->text[r->pos] != ',') {
                if (append_char(r, r->text[r->pos]))
                    return out_of_memory(r);
                r->pos++;
            }
        }
        if (append_char(r, '\0'))
            return out_of_memory(r);
        if (r->pos < r->len && r->text[r->pos] == ',') {
            r->pos++;
            continue;
        }
        skip_line_end(r);
        break;
    }
    *got = 1;
    return CT_OK;
}

/* A blank line is a single unquoted empty field; pandas skips those. */
static int record_is_blank(const csv_reader *r)
{
    return r->n_fields == 1 && !r->first_field_quoted && field(r, 0)[0] == '\0';
}

/* ------------------------------------------------------------------ cells */

/* pandas' default NA markers (read_csv na_values). Every cell is checked, so
 * the lengths are compile-time constants and a cell that starts with a digit
 * (nearly all of them) is rejected at once. */
static int is_missing_marker(const char *s, size_t len)
{
#define MARKER(text) {(text), sizeof(text) - 1}
    static const struct {
        const char *text;
        size_t len;
    } markers[] = {
        MARKER(""),     MARKER("#N/A"), MARKER("#N/A N/A"), MARKER("#NA"),  MARKER("-1.#IND"), MARKER("-1.#QNAN"),
        MARKER("-NaN"), MARKER("-nan"), MARKER("1.#IND"),   MARKER("1.#QNAN"), MARKER("<NA>"), MARKER("N/A"),
        MARKER("NA"),   MARKER("NULL"), MARKER("NaN"),      MARKER("None"), MARKER("n/a"),     MARKER("nan"),
        MARKER("null"),
    };
#undef MARKER
    if (len > 0 && s[0] >= '0' && s[0] <= '9' && s[0] != '1')
        return 0;
    for (size_t i = 0; i < sizeof markers / sizeof markers[0]; i++)
        if (markers[i].len == len && memcmp(markers[i].text, s, len) == 0)
            return 1;
    return 0;
}

static int is_blank_char(char c) { return c == ' ' || c == '\t'; }

/* 0 and *value on success, else the problem kind. strtod runs in the "C"
 * locale (set by the caller) so a program's locale never turns "0.5" into an
 * error. */
static int parse_cell(const char *s, double *value)
{
    const char *begin = s;
    while (is_blank_char(*begin))
        begin++;
    const char *end = begin + strlen(begin);
    while (end > begin && is_blank_char(end[-1]))
        end--;
    if (is_missing_marker(begin, (size_t)(end - begin)))
        return CT_CELL_MISSING;
    char *parsed_end;
    errno = 0;
    double v = strtod(begin, &parsed_end);
    if (parsed_end != end || parsed_end == begin)
        return CT_CELL_NOT_A_NUMBER;
    if (!isfinite(v)) /* inf, or overflow such as 1e999 */
        return CT_CELL_NOT_A_NUMBER;
    *value = v; /* underflow to 0 or a denormal is fine */
    return 0;
}

ct_status ct_data_cell_error(const ct_table *t, const ct_cell_problem *p)
{
    const char *column = t->names[p->col];
    size_t line = t->lines[p->row];
    if (p->text[strspn(p->text, " \t")] == '\0')
        return ct_fail(CT_ERR_DATA,
                       "%s: row %zu, column %s: expected a number, got an empty field "
                       "(drop such rows with drop_missing)",
                       t->source, line, column);
    if (p->kind == CT_CELL_MISSING)
        return ct_fail(CT_ERR_DATA,
                       "%s: row %zu, column %s: expected a number, got \"%s\" "
                       "(a missing value; drop such rows with drop_missing)",
                       t->source, line, column, p->text);
    return ct_fail(CT_ERR_DATA, "%s: row %zu, column %s: expected a number, got \"%s\"", t->source,
                   line, column, p->text);
}

/* --------------------------------------------------------------- the table */

static ct_status take_header(csv_reader *r, ct_table *t)
{
    t->n_cols = r->n_fields;
    t->names = calloc(t->n_cols, sizeof *t->names);
    if (!t->names)
        return out_of_memory(r);
    for (size_t c = 0; c < t->n_cols; c++) {
        const char *name = field(r, c);
        t->names[c] = name[0] ? ct_data_strdup(name) : ct_data_format("Unnamed: %zu", c);
        if (!t->names[c])
            return out_of_memory(r);
        for (size_t earlier = 0; earlier < c; earlier++)
            if (strcmp(t->names[earlier], t->names[c]) == 0)
                return ct_fail(CT_ERR_PARSE,
                               "%s: duplicate column name \"%s\" (columns %zu and %zu of the header, "
                               "counting from 1)",
                               r->source, t->names[c], earlier + 1, c + 1);
    }
    if (r->n_keep == 0)
        return CT_OK;
    r->keep_mask = calloc(t->n_cols, 1);
    if (!r->keep_mask)
        return out_of_memory(r);
    for (size_t k = 0; k < r->n_keep; k++) {
        size_t c;
        ct_status s = ct_table_find_column(t, r->keep[k], &c);
        if (s != CT_OK)
            return s;
        r->keep_mask[c] = 1;
    }
    return CT_OK;
}

static ct_status take_row(csv_reader *r, ct_table *t, size_t line, size_t *rows_cap,
                          size_t *problems_cap)
{
    if (r->n_fields != t->n_cols)
        return ct_fail(CT_ERR_PARSE, "%s: row %zu has %zu field%s, the header has %zu", r->source, line,
                       r->n_fields, r->n_fields == 1 ? "" : "s", t->n_cols);
    size_t row = t->n_rows;
    size_t old_cap = *rows_cap;
    if (ct_data_reserve((void **)&t->lines, rows_cap, row + 1, sizeof *t->lines))
        return out_of_memory(r);
    if (*rows_cap != old_cap) {
        /* values grows with lines: same row capacity. */
        size_t bytes = ct_data_mul(ct_data_mul(*rows_cap, t->n_cols), sizeof *t->values);
        double *grown = bytes == SIZE_MAX ? NULL : realloc(t->values, bytes);
        if (!grown)
            return out_of_memory(r);
        t->values = grown;
        if (r->keep_mask) {
            char **texts = bytes == SIZE_MAX ? NULL : realloc(t->texts, *rows_cap * t->n_cols * sizeof *texts);
            if (!texts)
                return out_of_memory(r);
            memset(texts + old_cap * t->n_cols, 0, (*rows_cap - old_cap) * t->n_cols * sizeof *texts);
            t->texts = texts;
        }
    }
    t->lines[row] = line;
    double *values = t->values + row * t->n_cols;
    for (size_t c = 0; c < t->n_cols; c++) {
        if (r->keep_mask && r->keep_mask[c] && !(t->texts[row * t->n_cols + c] = ct_data_strdup(field(r, c))))
            return out_of_memory(r);
        int kind = parse_cell(field(r, c), &values[c]);
        if (kind == 0)
            continue;
        values[c] = NAN;
        if (ct_data_reserve((void **)&t->problems, problems_cap, t->n_problems + 1,
                            sizeof *t->problems))
            return out_of_memory(r);
        ct_cell_problem *p = &t->problems[t->n_problems];
        p->text = ct_data_strdup(field(r, c));
        if (!p->text)
            return out_of_memory(r);
        p->row = row;
        p->col = c;
        p->kind = (ct_cell_problem_kind)kind;
        t->n_problems++;
    }
    t->n_rows++;
    return CT_OK;
}

static ct_status parse_all(csv_reader *r, ct_table *t)
{
    /* A UTF-8 byte-order mark (spreadsheet exports) is not part of the first name. */
    if (r->len >= 3 && memcmp(r->text, "\xEF\xBB\xBF", 3) == 0)
        r->pos = 3;
    size_t rows_cap = 0, problems_cap = 0;
    int have_header = 0;
    for (;;) {
        int got;
        size_t line;
        CT_TRY(read_record(r, &got, &line));
        if (!got)
            break;
        if (record_is_blank(r))
            continue;
        if (!have_header) {
            CT_TRY(take_header(r, t));
            have_header = 1;
        } else {
            CT_TRY(take_row(r, t, line, &rows_cap, &problems_cap));
        }
    }
    if (!have_header)
        return ct_fail(CT_ERR_DATA, "%s: the file is empty (expected a header row, then data rows)",
                       r->source);
    if (t->n_rows == 0)
        return ct_fail(CT_ERR_DATA, "%s: has a header row (%zu columns) but no data rows", r->source,
                       t->n_cols);
    return CT_OK;
}

static ct_status parse_keeping(const char *source, const char *text, size_t len, const char *const *keep,
                               size_t n_keep, ct_table *out);

ct_status ct_csv_parse(const char *source, const char *text, size_t len, ct_table *out)
{
    return parse_keeping(source, text, len, NULL, 0, out);
}

static ct_status parse_keeping(const char *source, const char *text, size_t len, const char *const *keep,
                               size_t n_keep, ct_table *out)
{
    memset(out, 0, sizeof *out);
    if (!source || (!text && len > 0))
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "ct_csv_parse: source and text are required");
    out->source = ct_data_strdup(source);
    if (!out->source)
        return ct_fail(CT_ERR_NO_MEMORY, "%s: out of memory while reading", source);

    /* Numbers are written with '.', whatever locale the program runs in. */
    locale_t c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
    if (c_locale == (locale_t)0) {
        ct_table_free(out);
        return ct_fail(CT_ERR_NO_MEMORY, "%s: cannot create the C locale for number parsing", source);
    }
    locale_t previous = uselocale(c_locale);

    csv_reader r = {.source = source, .text = text, .len = len, .line = 1, .keep = keep, .n_keep = n_keep};
    ct_status s = parse_all(&r, out);
    free(r.keep_mask);

    uselocale(previous);
    freelocale(c_locale);
    free(r.chars);
    free(r.field_starts);
    if (s != CT_OK)
        ct_table_free(out);
    return s;
}

ct_status ct_csv_read(const char *path, ct_table *out) { return ct_csv_read_keeping(path, NULL, 0, out); }

ct_status ct_csv_read_keeping(const char *path, const char *const *keep, size_t n_keep, ct_table *out)
{
    memset(out, 0, sizeof *out);
    if (!path)
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "ct_csv_read: no path given");
    char *text = NULL;
    size_t len = 0;
    CT_TRY(ct_read_file_as(path, CT_ERR_NOT_FOUND, &text, &len));
    ct_status s = parse_keeping(path, text, len, keep, n_keep, out);
    free(text);
    return s;
}

void ct_table_free(ct_table *t)
{
    if (!t)
        return;
    if (t->names)
        for (size_t c = 0; c < t->n_cols; c++)
            free(t->names[c]);
    for (size_t i = 0; i < t->n_problems; i++)
        free(t->problems[i].text);
    for (size_t i = 0; t->texts && i < t->n_rows * t->n_cols; i++)
        free(t->texts[i]);
    free(t->texts);
    free(t->names);
    free(t->values);
    free(t->lines);
    free(t->problems);
    free(t->source);
    memset(t, 0, sizeof *t);
}

ct_status ct_table_find_column(const ct_table *t, const char *name, size_t *index_out)
{
    for (size_t c = 0; c < t->n_cols; c++)
        if (strcmp(t->names[c], name) == 0) {
            *index_out = c;
            return CT_OK;
        }
    const char *close = ct_data_closest_name(name, t->names, t->n_cols);
    if (close)
        return ct_fail(CT_ERR_NOT_FOUND, "%s: no column named \"%s\" (did you mean \"%s\"?)", t->source,
                       name, close);
    return ct_fail(CT_ERR_NOT_FOUND, "%s: no column named \"%s\" (none of its %zu columns is close)",
                   t->source, name, t->n_cols);
}

ct_status ct_table_require_numeric(const ct_table *t)
{
    if (t->n_problems > 0)
        return ct_data_cell_error(t, &t->problems[0]);
    return CT_OK;
}
