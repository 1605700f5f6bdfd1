/* From a table to samples: feature columns, a row range, a target shifted
 * by some rows, and the un-shifted target for the persistence baseline.
 * The semantics (pandas' inclusive .loc ranges, as the workshop used them)
 * are documented in cltrain/data.h. */
#include <fnmatch.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cltrain/data.h"
#include "data/internal.h"
#include "data/util.h"

void ct_tabular_options_init(ct_tabular_options *o)
{
    memset(o, 0, sizeof *o);
    o->last_row = CT_LAST_ROW;
}

/* ------------------------------------------------------- column selection */

static int has_glob_chars(const char *s) { return strpbrk(s, "*?[") != NULL; }

/* Suggest, for a prefix that matches nothing, the closest prefix of a real
 * column of the same length ("BASLE_" -> "BASEL_"). */
static ct_status unknown_prefix(const ct_table *t, const char *prefix)
{
    size_t len = strlen(prefix);
    char **prefixes = calloc(t->n_cols, sizeof *prefixes);
    if (!prefixes)
        return ct_fail(CT_ERR_NO_MEMORY, "out of memory");
    size_t n = 0;
    for (size_t c = 0; c < t->n_cols; c++)
        if (strlen(t->names[c]) >= len && (prefixes[n] = ct_data_strndup(t->names[c], len)) != NULL)
            n++;
    const char *close = ct_data_closest_name(prefix, prefixes, n);
    ct_status s = close ? ct_fail(CT_ERR_NOT_FOUND,
                                  "%s: feature prefixes: no column starts with \"%s\" (did you mean \"%s\"?)",
                                  t->source, prefix, close)
                        : ct_fail(CT_ERR_NOT_FOUND, "%s: feature prefixes: no column starts with \"%s\"",
                                  t->source, prefix);
    for (size_t i = 0; i < n; i++)
        free(prefixes[i]);
    free(prefixes);
    return s;
}

/* Marks the columns an entry names (exact or glob); 0 marked is an error. */
static ct_status mark_name_or_glob(const ct_table *t, const char *entry, const char *list_name,
                                   unsigned char *mark, unsigned char value)
{
    if (!has_glob_chars(entry)) {
        size_t c;
        ct_status s = ct_table_find_column(t, entry, &c);
        if (s != CT_OK)
            return ct_fail_context(s, "%s", list_name);
        mark[c] = value;
        return CT_OK;
    }
    size_t matched = 0;
    for (size_t c = 0; c < t->n_cols; c++)
        if (fnmatch(entry, t->names[c], 0) == 0) {
            mark[c] = value;
            matched++;
        }
    if (matched == 0)
        return ct_fail(CT_ERR_NOT_FOUND, "%s: %s: no column matches the pattern \"%s\"", t->source,
                       list_name, entry);
    return CT_OK;
}

/* selected[c] = 1 for the feature columns. */
static ct_status select_columns(const ct_table *t, const ct_column_selection *sel,
                                unsigned char *selected)
{
    int any_include = sel->n_names + sel->n_prefixes + sel->n_globs > 0;
    memset(selected, any_include ? 0 : 1, t->n_cols);
    for (size_t i = 0; i < sel->n_names; i++) {
        size_t c;
        ct_status s = ct_table_find_column(t, sel->names[i], &c);
        if (s != CT_OK)
            return ct_fail_context(s, "feature names");
        selected[c] = 1;
    }
    for (size_t i = 0; i < sel->n_prefixes; i++) {
        size_t len = strlen(sel->prefixes[i]), matched = 0;
        for (size_t c = 0; c < t->n_cols; c++)
            if (strncmp(t->names[c], sel->prefixes[i], len) == 0) {
                selected[c] = 1;
                matched++;
            }
        if (matched == 0)
            return unknown_prefix(t, sel->prefixes[i]);
    }
    for (size_t i = 0; i < sel->n_globs; i++) {
        size_t matched = 0;
        for (size_t c = 0; c < t->n_cols; c++)
            if (fnmatch(sel->globs[i], t->names[c], 0) == 0) {
                selected[c] = 1;
                matched++;
            }
        if (matched == 0)
            return ct_fail(CT_ERR_NOT_FOUND, "%s: feature globs: no column matches the pattern \"%s\"",
                           t->source, sel->globs[i]);
    }
    for (size_t i = 0; i < sel->n_drop; i++)
        CT_TRY(mark_name_or_glob(t, sel->drop[i], "drop", selected, 0));
    for (size_t c = 0; c < t->n_cols; c++)
        if (selected[c])
            return CT_OK;
    return ct_fail(CT_ERR_DATA, "%s: no feature columns are left after selection and drop", t->source);
}

/* ------------------------------------------------------------- row range */

/* Resolves [first, last] so that every row r in it has features on r and a
 * target on r + shift. */
static ct_status resolve_rows(const ct_table *t, const ct_tabular_options *o, size_t shift,
                              size_t *first_out, size_t *last_out)
{
    size_t n = t->n_rows, first = o->first_row, last;
    if (first >= n)
        return ct_fail(CT_ERR_DATA, "%s: first row %zu is past the end: the file has %zu data rows (0..%zu)",
                       t->source, first, n, n - 1);
    if (shift >= n) /* before any n - 1 - shift below, which would wrap around */
        return ct_fail(CT_ERR_DATA, "%s: a target shift of %zu rows leaves no samples: the file has %zu data rows",
                       t->source, shift, n);
    if (o->last_row == CT_LAST_ROW) {
        if (shift > n - 1 - first)
            return ct_fail(CT_ERR_DATA,
                           "%s: a target shift of %zu rows leaves no samples from row %zu "
                           "(the file has %zu data rows)",
                           t->source, shift, first, n);
        last = n - 1 - shift;
    } else {
        last = o->last_row;
        if (last < first)
            return ct_fail(CT_ERR_DATA, "%s: row range %zu..%zu is empty (last before first)", t->source,
                           first, last);
        if (last >= n)
            return ct_fail(CT_ERR_DATA, "%s: last row %zu is past the end: the file has %zu data rows (0..%zu)",
                           t->source, last, n, n - 1);
        if (shift > n - 1 - last)
            return ct_fail(CT_ERR_DATA,
                           "%s: rows %zu..%zu with a target shift of %zu need the target on row %zu, but "
                           "the last data row is %zu: end the range at row %zu or before",
                           t->source, first, last, shift, last + shift, n - 1, n - 1 - shift);
    }
    *first_out = first;
    *last_out = last;
    return CT_OK;
}

/* --------------------------------------------------------- missing values */

/* Marks samples (index r - first) that touch a problem cell: dropped when the
 * value is missing and drop_missing is set, else an error. */
static ct_status mark_dropped(const ct_table *t, const unsigned char *selected, int has_target,
                              size_t target_col, size_t first, size_t last, size_t shift,
                              int drop_missing, unsigned char *dropped)
{
    for (size_t i = 0; i < t->n_problems; i++) {
        const ct_cell_problem *p = &t->problems[i];
        int is_target = has_target && p->col == target_col;
        /* Features and today's target are read on the sample's own row; the
         * shifted target on row + shift, i.e. for the sample shift rows up. */
        int hits_own_row = (selected[p->col] || is_target) && p->row >= first && p->row <= last;
        int hits_shifted = is_target && p->row >= first + shift && p->row <= last + shift;
        if (!hits_own_row && !hits_shifted)
            continue;
        if (p->kind != CT_CELL_MISSING || !drop_missing)
            return ct_data_cell_error(t, p);
        if (hits_own_row)
            dropped[p->row - first] = 1;
        if (hits_shifted)
            dropped[p->row - shift - first] = 1;
    }
    return CT_OK;
}

/* ----------------------------------------------------------------- output */

static ct_status to_float(const ct_table *t, size_t row, size_t col, float *out)
{
    double v = t->values[row * t->n_cols + col];
    float f = (float)v;
    if (isinf(f))
        return ct_fail(CT_ERR_DATA, "%s: row %zu, column %s: %g does not fit in a 32-bit float", t->source,
                       t->lines[row], t->names[col], v);
    *out = f;
    return CT_OK;
}

static ct_status allocate(ct_tabular *d, size_t n_samples, size_t n_features, int has_target)
{
    size_t n_x = ct_data_mul(n_samples, n_features);
    d->feature_names = calloc(n_features, sizeof *d->feature_names);
    d->x = n_x == SIZE_MAX ? NULL : malloc((n_x ? n_x : 1) * sizeof *d->x);
    d->rows = malloc((n_samples ? n_samples : 1) * sizeof *d->rows);
    d->lines = malloc((n_samples ? n_samples : 1) * sizeof *d->lines);
    int ok = d->feature_names && d->x && d->rows && d->lines;
    if (has_target) {
        d->y = malloc((n_samples ? n_samples : 1) * sizeof *d->y);
        d->y_today = malloc((n_samples ? n_samples : 1) * sizeof *d->y_today);
        ok = ok && d->y && d->y_today;
    }
    if (!ok)
        return ct_fail(CT_ERR_NO_MEMORY, "out of memory for %zu samples of %zu features", n_samples,
                       n_features);
    return CT_OK;
}

static ct_status fill(const ct_table *t, const unsigned char *selected, int has_target,
                      size_t target_col, size_t first, size_t last, size_t shift,
                      const unsigned char *dropped, ct_tabular *d)
{
    size_t f = 0;
    for (size_t c = 0; c < t->n_cols; c++)
        if (selected[c] && !(d->feature_names[f++] = ct_data_strdup(t->names[c])))
            return ct_fail(CT_ERR_NO_MEMORY, "out of memory");
    if (has_target && !(d->target_name = ct_data_strdup(t->names[target_col])))
        return ct_fail(CT_ERR_NO_MEMORY, "out of memory");
    size_t i = 0;
    for (size_t row = first; row <= last; row++) {
        if (dropped[row - first])
            continue;
        float *x = d->x + i * d->n_features;
        for (size_t c = 0; c < t->n_cols; c++)
            if (selected[c])
                CT_TRY(to_float(t, row, c, x++));
        if (has_target) {
            CT_TRY(to_float(t, row + shift, target_col, &d->y[i]));
            CT_TRY(to_float(t, row, target_col, &d->y_today[i]));
        }
        d->rows[i] = row;
        d->lines[i] = t->lines[row];
        i++;
    }
    return CT_OK;
}

static ct_status build(const ct_table *t, const ct_tabular_options *o, unsigned char *selected,
                       unsigned char **dropped_out, ct_tabular *d)
{
    CT_TRY(select_columns(t, &o->features, selected));
    int has_target = o->target != NULL;
    size_t target_col = 0;
    if (has_target) {
        ct_status s = ct_table_find_column(t, o->target, &target_col);
        if (s != CT_OK)
            return ct_fail_context(s, "target column");
    }
    size_t shift = has_target ? o->shift : 0; /* no target: nothing to shift */
    size_t first = 0, last = 0;
    CT_TRY(resolve_rows(t, o, shift, &first, &last));

    unsigned char *dropped = calloc(last - first + 1, 1);
    *dropped_out = dropped;
    if (!dropped)
        return ct_fail(CT_ERR_NO_MEMORY, "out of memory");
    CT_TRY(mark_dropped(t, selected, has_target, target_col, first, last, shift, o->drop_missing,
                        dropped));
    size_t n_dropped = 0, n_features = 0;
    for (size_t i = 0; i <= last - first; i++)
        n_dropped += dropped[i];
    for (size_t c = 0; c < t->n_cols; c++)
        n_features += selected[c];
    size_t n_samples = last - first + 1 - n_dropped;
    if (n_samples == 0)
        return ct_fail(CT_ERR_DATA, "%s: every sample in rows %zu..%zu has a missing value", t->source,
                       first, last);

    d->n_samples = n_samples;
    d->n_features = n_features;
    d->n_dropped = n_dropped;
    d->shift = (unsigned)shift;
    CT_TRY(allocate(d, n_samples, n_features, has_target));
    return fill(t, selected, has_target, target_col, first, last, shift, dropped, d);
}

ct_status ct_tabular_from_table(const ct_table *t, const ct_tabular_options *o, ct_tabular *out)
{
    memset(out, 0, sizeof *out);
    if (!t || !o || !t->n_cols || !t->n_rows)
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "ct_tabular_from_table: a non-empty table and options are required");
    unsigned char *selected = malloc(t->n_cols);
    unsigned char *dropped = NULL;
    ct_status s = selected ? build(t, o, selected, &dropped, out)
                           : ct_fail(CT_ERR_NO_MEMORY, "out of memory");
    free(selected);
    free(dropped);
    if (s != CT_OK)
        ct_tabular_free(out);
    return s;
}

void ct_tabular_free(ct_tabular *d)
{
    if (!d)
        return;
    if (d->feature_names)
        for (size_t f = 0; f < d->n_features; f++)
            free(d->feature_names[f]);
    free(d->feature_names);
    free(d->x);
    free(d->target_name);
    free(d->y);
    free(d->y_today);
    free(d->rows);
    free(d->lines);
    memset(d, 0, sizeof *d);
}

ct_status ct_tabular_persistence_rmse(const ct_tabular *d, const size_t *idx, size_t n,
                                      double *rmse_out)
{
    if (!d->y || !d->y_today)
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "persistence baseline: the data has no target column");
    if (!idx)
        n = d->n_samples;
    if (n == 0)
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "persistence baseline: no samples");
    double sum = 0.0;
    for (size_t k = 0; k < n; k++) {
        size_t i = idx ? idx[k] : k;
        if (i >= d->n_samples)
            return ct_fail(CT_ERR_INVALID_ARGUMENT, "persistence baseline: sample %zu of %zu", i,
                           d->n_samples);
        double diff = (double)d->y[i] - (double)d->y_today[i];
        sum += diff * diff;
    }
    *rmse_out = sqrt(sum / (double)n);
    return CT_OK;
}
