/* features.csv in a run directory: `feature,mean,scale`, one line per model
 * input column in input order, written when a CSV model is trained
 * (run/dataset.c) and read back by `cltrain predict` (run/predict.c). A name
 * is quoted (with "" for a quote) when it holds a comma, quote or line
 * break. Read by hand rather than with ct_csv_read because names are text
 * that may look like numbers (a column "2019"), which the table reader would
 * turn into values. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cltrain/report.h"
#include "core/fs.h" /* ct_read_file */

ct_status ct_features_write(const char *path, const char *const *names, const double *mean, const double *scale,
                            size_t count)
{
    ct_atomic_file *f;
    CT_TRY(ct_atomic_open(path, &f));
    FILE *o = ct_atomic_stream(f);
    fprintf(o, "feature,mean,scale\n");
    for (size_t i = 0; i < count; i++) {
        /* Quoted as CSV when the name needs it (a comma, quote or newline). */
        const char *name = names[i];
        if (strpbrk(name, ",\"\r\n")) {
            fputc('"', o);
            for (const char *c = name; *c; c++)
                fprintf(o, *c == '"' ? "\"\"" : "%c", *c);
            fputc('"', o);
        } else {
            fputs(name, o);
        }
        fprintf(o, ",%.17g,%.17g\n", mean ? mean[i] : 0.0, scale ? scale[i] : 1.0);
    }
    return ct_atomic_commit(f);
}

typedef struct {
    const char *path;
    const char *text;
    size_t pos, len, line;
} features_reader;

static ct_status features_syntax(const features_reader *r, const char *what)
{
    return ct_fail(CT_ERR_PARSE, "%s:%zu: %s (expected lines `feature,mean,scale` as cltrain run writes them)", r->path,
                   r->line, what);
}

/* The name field, unquoted, into a new string; pos ends on the comma. */
static ct_status features_name(features_reader *r, char **name)
{
    size_t cap = 64, n = 0;
    char *out = malloc(cap);
    if (!out)
        return ct_fail(CT_ERR_NO_MEMORY, "reading %s: out of memory", r->path);
    int quoted = r->pos < r->len && r->text[r->pos] == '"';
    r->pos += (size_t)quoted;
    while (r->pos < r->len) {
        char c = r->text[r->pos];
        if (quoted && c == '"' && (r->pos + 1 >= r->len || r->text[r->pos + 1] != '"')) {
            r->pos++;
            quoted = 0;
            break;
        }
        if (!quoted && (c == ',' || c == '\n' || c == '\r'))
            break;
        if (n + 2 > cap) {
            char *grown = realloc(out, cap *= 2);
            if (!grown) {
                free(out);
                return ct_fail(CT_ERR_NO_MEMORY, "reading %s: out of memory", r->path);
            }
            out = grown;
        }
        out[n++] = c;
        r->pos += (quoted && c == '"') ? 2 : 1; /* "" is one quote */
        r->line += c == '\n';
    }
    out[n] = '\0';
    if (quoted || n == 0) {
        free(out);
        return features_syntax(r, quoted ? "a quoted name is never closed" : "empty feature name");
    }
    *name = out;
    return CT_OK;
}

/* ",NUMBER" into *value. */
static ct_status features_number(features_reader *r, double *value)
{
    if (r->pos >= r->len || r->text[r->pos] != ',')
        return features_syntax(r, "missing field");
    const char *start = r->text + ++r->pos;
    char *end;
    errno = 0;
    *value = strtod(start, &end);
    if (end == start || errno || !isfinite(*value))
        return features_syntax(r, "mean and scale must be finite numbers");
    r->pos += (size_t)(end - start);
    return CT_OK;
}

static ct_status features_line_end(features_reader *r)
{
    if (r->pos < r->len && r->text[r->pos] == '\r')
        r->pos++;
    if (r->pos >= r->len)
        return CT_OK; /* no newline at the end */
    if (r->text[r->pos] != '\n')
        return features_syntax(r, "unexpected text after the scale");
    r->pos++;
    r->line++;
    return CT_OK;
}

static ct_status features_add(ct_feature_columns *p, char *name, double mean, double scale)
{
    size_t n = p->count + 1;
    char **names = realloc(p->names, n * sizeof *names);
    if (names)
        p->names = names;
    double *means = realloc(p->mean, n * sizeof *means);
    if (means)
        p->mean = means;
    double *scales = realloc(p->scale, n * sizeof *scales);
    if (scales)
        p->scale = scales;
    if (!names || !means || !scales) {
        free(name);
        return ct_fail(CT_ERR_NO_MEMORY, "features.csv: out of memory");
    }
    names[p->count] = name;
    means[p->count] = mean;
    scales[p->count] = scale;
    p->count = n;
    return CT_OK;
}

static ct_status features_parse(ct_feature_columns *p, features_reader *r)
{
    static const char header[] = "feature,mean,scale";
    if (strncmp(r->text, header, sizeof header - 1) != 0)
        return features_syntax(r, "the header is not `feature,mean,scale`");
    r->pos = sizeof header - 1;
    CT_TRY(features_line_end(r));
    while (r->pos < r->len) {
        if (r->text[r->pos] == '\n' || r->text[r->pos] == '\r') { /* a blank line */
            CT_TRY(features_line_end(r));
            continue;
        }
        size_t line = r->line;
        char *name = NULL;
        double mean, scale;
        CT_TRY(features_name(r, &name));
        ct_status s = features_number(r, &mean);
        if (s == CT_OK)
            s = features_number(r, &scale);
        if (s == CT_OK)
            s = features_line_end(r);
        if (s == CT_OK && scale == 0) {
            r->line = line;
            s = features_syntax(r, "a scale of 0 (training never divides by 0)");
        }
        if (s != CT_OK) {
            free(name);
            return s;
        }
        CT_TRY(features_add(p, name, mean, scale));
    }
    if (p->count == 0)
        return features_syntax(r, "no feature columns");
    return CT_OK;
}

ct_status ct_features_read(const char *path, ct_feature_columns *out)
{
    memset(out, 0, sizeof *out);
    char *text = NULL;
    size_t len = 0;
    CT_TRY(ct_read_file(path, &text, &len));
    features_reader r = {path, text, 0, len, 1};
    ct_status s = features_parse(out, &r);
    free(text);
    if (s != CT_OK)
        ct_feature_columns_free(out);
    return s;
}

void ct_feature_columns_free(ct_feature_columns *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->count; i++)
        free(c->names[i]);
    free(c->names);
    free(c->mean);
    free(c->scale);
    memset(c, 0, sizeof *c);
}
