/* The per-epoch history table and history.csv (see cltrain/report.h).
 *
 * The file is what Keras' CSVLogger writes: a header starting with "epoch",
 * epochs from 0, one line per epoch; a plotting script can read it with
 * pandas.read_csv unchanged. */
#include "cltrain/report.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cltrain/callbacks.h" /* ct_monitor_maximizes */
#include "report/number_format.h"

struct ct_history {
    char **columns;
    size_t column_count;
    int *epochs;    /* one per row */
    double *values; /* rows x column_count, row-major */
    size_t rows, capacity;
    /* The rows as history.csv lines, formatted once when appended: the file
     * is rewritten every epoch, and shortest round-trip formatting of every
     * value of every row each time cost more than a small epoch's training. */
    char *lines;
    size_t lines_length, lines_capacity;
};

/* ------------------------------------------------------------ the table */

void ct_history_free(ct_history *history)
{
    if (!history)
        return;
    for (size_t i = 0; i < history->column_count; i++)
        free(history->columns[i]);
    free(history->columns);
    free(history->epochs);
    free(history->values);
    free(history->lines);
    free(history);
}

/* A name the CSV can hold without quoting, and that is not "epoch". */
static ct_status check_column_name(const char *name, size_t index)
{
    if (!name || !*name)
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "history column %zu has no name", index + 1);
    if (strpbrk(name, ",\"\r\n"))
        return ct_fail(CT_ERR_INVALID_ARGUMENT,
                       "history column '%s': names may not contain ',', '\"' or line breaks",
                       name);
    if (strcmp(name, "epoch") == 0)
        return ct_fail(CT_ERR_INVALID_ARGUMENT,
                       "history column 'epoch' is implicit: do not list it");
    return CT_OK;
}

ct_status ct_history_create(const char *const *columns, size_t n, ct_history **out)
{
    if (!out || (n && !columns))
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "ct_history_create: NULL argument");
    *out = NULL;
    for (size_t i = 0; i < n; i++) {
        CT_TRY(check_column_name(columns[i], i));
        for (size_t j = 0; j < i; j++)
            if (strcmp(columns[i], columns[j]) == 0)
                return ct_fail(CT_ERR_INVALID_ARGUMENT, "history column '%s' appears twice",
                               columns[i]);
    }
    ct_history *history = calloc(1, sizeof *history);
    if (!history || (n && !(history->columns = calloc(n, sizeof *history->columns)))) {
        free(history);
        return ct_fail(CT_ERR_NO_MEMORY, "creating the history: out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        history->columns[i] = strdup(columns[i]);
        history->column_count = i + 1; /* so that free releases what exists */
        if (!history->columns[i]) {
            ct_history_free(history);
            return ct_fail(CT_ERR_NO_MEMORY, "creating the history: out of memory");
        }
    }
    history->column_count = n;
    *out = history;
    return CT_OK;
}

/* Room for one more row. */
static ct_status reserve_row(ct_history *history)
{
    if (history->rows < history->capacity)
        return CT_OK;
    size_t capacity = history->capacity ? history->capacity * 2 : 64;
    size_t width = history->column_count ? history->column_count : 1;
    if (capacity > SIZE_MAX / sizeof(double) / width)
        return ct_fail(CT_ERR_NO_MEMORY, "history: too many rows");
    int *epochs = realloc(history->epochs, capacity * sizeof *epochs);
    if (!epochs)
        return ct_fail(CT_ERR_NO_MEMORY, "history: out of memory");
    history->epochs = epochs;
    double *values = realloc(history->values, capacity * width * sizeof *values);
    if (!values)
        return ct_fail(CT_ERR_NO_MEMORY, "history: out of memory");
    history->values = values;
    history->capacity = capacity;
    return CT_OK;
}

/* Appends row `row`'s CSV line to history->lines. */
static ct_status format_row(ct_history *history, size_t row)
{
    /* Room for the epoch, every value with its comma, and the line break. */
    size_t column_count = history->column_count;
    if (column_count > (SIZE_MAX / 2 - 32) / (CT_DOUBLE_TEXT_MAX + 1))
        return ct_fail(CT_ERR_NO_MEMORY, "history: too many columns");
    size_t room = 32 + column_count * (CT_DOUBLE_TEXT_MAX + 1);
    if (history->lines_length + room > history->lines_capacity) {
        size_t capacity = 2 * history->lines_capacity + room;
        char *lines = realloc(history->lines, capacity);
        if (!lines)
            return ct_fail(CT_ERR_NO_MEMORY, "history: out of memory");
        history->lines = lines;
        history->lines_capacity = capacity;
    }
    char *line = history->lines + history->lines_length, number[CT_DOUBLE_TEXT_MAX];
    size_t length = (size_t)snprintf(line, room, "%d", history->epochs[row]);
    for (size_t c = 0; c < column_count; c++)
        length += (size_t)snprintf(line + length, room - length, ",%s",
                                   ct_format_double(ct_history_value(history, row, c), number));
    line[length++] = '\n';
    history->lines_length += length;
    return CT_OK;
}

static ct_status append_row(ct_history *history, int epoch, const double *values)
{
    CT_TRY(reserve_row(history));
    history->epochs[history->rows] = epoch;
    if (history->column_count)
        memcpy(history->values + history->rows * history->column_count, values,
               history->column_count * sizeof *values);
    history->rows++;
    return format_row(history, history->rows - 1);
}

ct_status ct_history_append(ct_history *history, const double *values, size_t n)
{
    if (!history || (n && !values))
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "ct_history_append: NULL argument");
    if (n != history->column_count)
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "history: %zu values for %zu columns", n,
                       history->column_count);
    int epoch = history->rows ? history->epochs[history->rows - 1] + 1 : 0;
    return append_row(history, epoch, values);
}

size_t ct_history_rows(const ct_history *history) { return history ? history->rows : 0; }

size_t ct_history_columns(const ct_history *history)
{
    return history ? history->column_count : 0;
}

const char *ct_history_column_name(const ct_history *history, size_t column)
{
    return history && column < history->column_count ? history->columns[column] : NULL;
}

int ct_history_epoch(const ct_history *history, size_t row)
{
    return history && row < history->rows ? history->epochs[row] : -1;
}

double ct_history_value(const ct_history *history, size_t row, size_t column)
{
    if (!history || row >= history->rows || column >= history->column_count)
        return NAN;
    return history->values[row * history->column_count + column];
}

ct_status ct_history_find_column(const ct_history *history, const char *name, size_t *column)
{
    if (!history || !name || !column)
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "ct_history_find_column: NULL argument");
    for (size_t i = 0; i < history->column_count; i++) {
        if (strcmp(history->columns[i], name) == 0) {
            *column = i;
            return CT_OK;
        }
    }
    char available[1024] = "";
    size_t used = 0;
    for (size_t i = 0; i < history->column_count && used < sizeof available; i++) {
        int w = snprintf(available + used, sizeof available - used, "%s%s", i ? ", " : "",
                         history->columns[i]);
        if (w < 0)
            break;
        used += (size_t)w;
    }
    return ct_fail(CT_ERR_NOT_FOUND, "history has no column '%s' (columns: %s)", name,
                   history->column_count ? available : "none");
}

ct_status ct_history_best(const ct_history *history, const char *column, ct_monitor_mode mode,
                          int *epoch, double *value)
{
    if (!history || !column || !epoch || !value)
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "ct_history_best: NULL argument");
    size_t c;
    bool maximize;
    CT_TRY(ct_history_find_column(history, column, &c));
    CT_TRY(ct_monitor_maximizes(column, mode, &maximize));

    bool found = false;
    double best = 0;
    int best_epoch = -1;
    for (size_t row = 0; row < history->rows; row++) {
        double v = ct_history_value(history, row, c);
        if (isnan(v))
            continue;
        /* Strict comparison: of equal values the earliest stays best. */
        if (!found || (maximize ? v > best : v < best)) {
            found = true;
            best = v;
            best_epoch = history->epochs[row];
        }
    }
    if (!found)
        return ct_fail(CT_ERR_NOT_FOUND, "history column '%s' has no value yet", column);
    *epoch = best_epoch;
    *value = best;
    return CT_OK;
}

/* ------------------------------------------------------------ writing */

static void write_csv_rows(const ct_history *history, FILE *out)
{
    fputs("epoch", out);
    for (size_t c = 0; c < history->column_count; c++)
        fprintf(out, ",%s", history->columns[c]);
    fputc('\n', out);
    fwrite(history->lines, 1, history->lines_length, out);
}

ct_status ct_history_write_csv_durability(const ct_history *history, const char *path, bool durable)
{
    if (!history || !path)
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "ct_history_write_csv: NULL argument");
    ct_atomic_file *file;
    CT_TRY(ct_atomic_open(path, &file));
    write_csv_rows(history, ct_atomic_stream(file));
    /* Either commit reports any write error of the rows. */
    return durable ? ct_atomic_commit(file) : ct_atomic_commit_unsynced(file);
}

ct_status ct_history_write_csv(const ct_history *history, const char *path)
{
    return ct_history_write_csv_durability(history, path, true);
}

/* ------------------------------------------------------------ reading */

typedef struct {
    const char *path;
    FILE *stream;
    char *line; /* current line, without its line break */
    size_t line_capacity;
    size_t line_number;
    char **fields; /* pointers into line */
    size_t field_count, field_capacity;
} csv_reader;

/* Next line into reader->line; false at the end of the file. */
static ct_status read_line(csv_reader *reader, bool *got)
{
    errno = 0;
    ssize_t length = getline(&reader->line, &reader->line_capacity, reader->stream);
    if (length < 0) {
        if (ferror(reader->stream))
            return ct_fail(CT_ERR_IO, "reading %s: %s", reader->path, strerror(errno));
        if (errno == ENOMEM)
            return ct_fail(CT_ERR_NO_MEMORY, "reading %s: out of memory", reader->path);
        *got = false;
        return CT_OK;
    }
    reader->line_number++;
    while (length > 0 && (reader->line[length - 1] == '\n' || reader->line[length - 1] == '\r'))
        reader->line[--length] = '\0';
    *got = true;
    return CT_OK;
}

/* Split the current line at commas, in place. */
static ct_status split_fields(csv_reader *reader)
{
    reader->field_count = 0;
    char *field = reader->line;
    for (;;) {
        if (reader->field_count == reader->field_capacity) {
            size_t capacity = reader->field_capacity ? reader->field_capacity * 2 : 16;
            char **fields = realloc(reader->fields, capacity * sizeof *fields);
            if (!fields)
                return ct_fail(CT_ERR_NO_MEMORY, "reading %s: out of memory", reader->path);
            reader->fields = fields;
            reader->field_capacity = capacity;
        }
        reader->fields[reader->field_count++] = field;
        char *comma = strchr(field, ',');
        if (!comma)
            return CT_OK;
        *comma = '\0';
        field = comma + 1;
    }
}

/* Keras' CSVLogger writes "NA" for a value an epoch did not log. */
static bool parse_value(const char *text, double *value)
{
    if (!*text || strcmp(text, "NA") == 0) {
        *value = NAN;
        return true;
    }
    char *end;
    *value = strtod(text, &end);
    return *end == '\0';
}

static bool parse_epoch(const char *text, int *epoch)
{
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (!*text || *end != '\0' || errno == ERANGE || v < 0 || v > INT_MAX)
        return false;
    *epoch = (int)v;
    return true;
}

static ct_status read_header(csv_reader *reader, ct_history **out)
{
    bool got;
    CT_TRY(read_line(reader, &got));
    if (!got)
        return ct_fail(CT_ERR_PARSE, "%s: empty file, expected a header line \"epoch,...\"",
                       reader->path);
    CT_TRY(split_fields(reader));
    if (strcmp(reader->fields[0], "epoch") != 0)
        return ct_fail(CT_ERR_PARSE, "%s:1: the first column must be 'epoch', found '%s'",
                       reader->path, reader->fields[0]);
    ct_status s = ct_history_create((const char *const *)reader->fields + 1,
                                    reader->field_count - 1, out);
    if (s != CT_OK)
        return ct_fail_context(s == CT_ERR_NO_MEMORY ? s : CT_ERR_PARSE, "%s:1", reader->path);
    return CT_OK;
}

static ct_status read_row(csv_reader *reader, ct_history *history, double *values)
{
    CT_TRY(split_fields(reader));
    size_t expected = history->column_count + 1;
    if (reader->field_count != expected)
        return ct_fail(CT_ERR_PARSE, "%s:%zu: expected %zu fields like the header, found %zu",
                       reader->path, reader->line_number, expected, reader->field_count);
    int epoch;
    if (!parse_epoch(reader->fields[0], &epoch))
        return ct_fail(CT_ERR_PARSE, "%s:%zu: epoch: expected a whole number >= 0, got '%s'",
                       reader->path, reader->line_number, reader->fields[0]);
    for (size_t c = 0; c < history->column_count; c++)
        if (!parse_value(reader->fields[c + 1], &values[c]))
            return ct_fail(CT_ERR_PARSE, "%s:%zu: column %s: expected a number, got '%s'",
                           reader->path, reader->line_number, history->columns[c],
                           reader->fields[c + 1]);
    return append_row(history, epoch, values);
}

static ct_status read_rows(csv_reader *reader, ct_history *history)
{
    double *values = malloc((history->column_count ? history->column_count : 1) * sizeof *values);
    if (!values)
        return ct_fail(CT_ERR_NO_MEMORY, "reading %s: out of memory", reader->path);
    ct_status s = CT_OK;
    for (;;) {
        bool got;
        s = read_line(reader, &got);
        if (s != CT_OK || !got)
            break;
        if (reader->line[0] == '\0')
            continue; /* a blank line holds no epoch */
        s = read_row(reader, history, values);
        if (s != CT_OK)
            break;
    }
    free(values);
    return s;
}

ct_status ct_history_read_csv(const char *path, ct_history **out)
{
    if (!path || !out)
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "ct_history_read_csv: NULL argument");
    *out = NULL;
    csv_reader reader = {.path = path};
    reader.stream = fopen(path, "rb");
    if (!reader.stream)
        return ct_fail(CT_ERR_IO, "cannot open %s: %s", path, strerror(errno));

    ct_history *history = NULL;
    ct_status s = read_header(&reader, &history);
    if (s == CT_OK)
        s = read_rows(&reader, history);
    fclose(reader.stream);
    free(reader.line);
    free(reader.fields);
    if (s != CT_OK) {
        ct_history_free(history);
        return s;
    }
    *out = history;
    return CT_OK;
}
