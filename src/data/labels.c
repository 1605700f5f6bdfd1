/* Class labels of a CSV target column: text labels to class indices, the
 * check that every label is a class the model can output, and one-hot rows
 * for categorical_crossentropy. The semantics are documented in
 * cltrain/data.h. */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cltrain/data.h"
#include "data/internal.h"
#include "data/util.h"

bool ct_table_column_has_text(const ct_table *t, size_t col)
{
    for (size_t i = 0; i < t->n_problems; i++)
        if (t->problems[i].col == col && t->problems[i].kind == CT_CELL_NOT_A_NUMBER)
            return true;
    return false;
}

/* The label of cell (row, col) as text: the field as written for text, the
 * number as %.15g (its shortest faithful form) for a numeric cell; NULL for
 * a missing cell. `problem` is the cell's problem entry or NULL. */
static const char *cell_label(const ct_table *t, size_t row, size_t col, const ct_cell_problem *problem,
                              char *buf, size_t size)
{
    if (problem)
        return problem->kind == CT_CELL_MISSING ? NULL : problem->text;
    snprintf(buf, size, "%.15g", t->values[row * t->n_cols + col]);
    return buf;
}

static int compare_strings(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static ct_status no_memory(void) { return ct_fail(CT_ERR_NO_MEMORY, "out of memory for class labels"); }

void ct_class_names_free(char **names, size_t n)
{
    for (size_t i = 0; names && i < n; i++)
        free(names[i]);
    free(names);
}

/* problem_of[row]: the column's problem entry on that row, or NULL. */
static ct_status index_problems(const ct_table *t, size_t col, const ct_cell_problem ***out)
{
    const ct_cell_problem **p = calloc(t->n_rows ? t->n_rows : 1, sizeof *p);
    if (!p)
        return no_memory();
    for (size_t i = 0; i < t->n_problems; i++)
        if (t->problems[i].col == col)
            p[t->problems[i].row] = &t->problems[i];
    *out = p;
    return CT_OK;
}

/* The sorted distinct labels of the column. */
static ct_status derive_classes(const ct_table *t, size_t col, const ct_cell_problem **problem_of, char ***names_out,
                                size_t *n_out)
{
    char **all = calloc(t->n_rows ? t->n_rows : 1, sizeof *all);
    if (!all)
        return no_memory();
    size_t n = 0;
    ct_status s = CT_OK;
    char buf[64];
    for (size_t r = 0; r < t->n_rows && s == CT_OK; r++) {
        const char *label = cell_label(t, r, col, problem_of[r], buf, sizeof buf);
        if (label && !(all[n++] = ct_data_strdup(label)))
            s = no_memory();
    }
    if (s == CT_OK) {
        qsort(all, n, sizeof *all, compare_strings);
        size_t kept = 0;
        for (size_t i = 0; i < n; i++) {
            if (kept && !strcmp(all[kept - 1], all[i]))
                free(all[i]);
            else
                all[kept++] = all[i];
        }
        n = kept;
    }
    if (s != CT_OK || n == 0) {
        ct_class_names_free(all, n);
        return s != CT_OK ? s : ct_fail(CT_ERR_DATA, "%s: column %s has no labels", t->source, t->names[col]);
    }
    *names_out = all;
    *n_out = n;
    return CT_OK;
}

static long find_class(char *const *names, size_t n, const char *label)
{
    size_t lo = 0, hi = n; /* names are sorted, but a given list need not be: fall back to a scan */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(names[mid], label);
        if (c == 0)
            return (long)mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t i = 0; i < n; i++)
        if (!strcmp(names[i], label))
            return (long)i;
    return -1;
}

/* Drop the column's text problems: the cells are class indices now. */
static void forget_text_problems(ct_table *t, size_t col)
{
    size_t kept = 0;
    for (size_t i = 0; i < t->n_problems; i++) {
        ct_cell_problem *p = &t->problems[i];
        if (p->col == col && p->kind == CT_CELL_NOT_A_NUMBER) {
            free(p->text);
            continue;
        }
        t->problems[kept++] = *p;
    }
    t->n_problems = kept;
}

ct_status ct_table_encode_labels(ct_table *t, size_t col, char ***names, size_t *n_names)
{
    if (!t || !names || !n_names || col >= t->n_cols)
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "ct_table_encode_labels: bad arguments");
    const ct_cell_problem **problem_of = NULL;
    CT_TRY(index_problems(t, col, &problem_of));
    bool derived = *names == NULL;
    ct_status s = derived ? derive_classes(t, col, problem_of, names, n_names) : CT_OK;
    char buf[64];
    for (size_t r = 0; r < t->n_rows && s == CT_OK; r++) {
        const char *label = cell_label(t, r, col, problem_of[r], buf, sizeof buf);
        if (!label)
            continue; /* missing: stays a problem for drop_missing or the usual error */
        long k = find_class(*names, *n_names, label);
        if (k < 0) {
            const char *close = ct_data_closest_name(label, *names, *n_names);
            s = ct_fail(CT_ERR_DATA, "%s: row %zu, column %s: label \"%s\" is none of the %zu classes the model "
                        "was trained on%s%s%s",
                        t->source, t->lines[r], t->names[col], label, *n_names, close ? " (did you mean \"" : "",
                        close ? close : "", close ? "\"?)" : "");
            break;
        }
        t->values[r * t->n_cols + col] = (double)k;
    }
    free(problem_of);
    if (s == CT_OK)
        forget_text_problems(t, col);
    else if (derived) {
        ct_class_names_free(*names, *n_names);
        *names = NULL;
        *n_names = 0;
    }
    return s;
}

ct_status ct_labels_check(const ct_labels_check_args *a)
{
    for (size_t i = 0; i < a->n; i++) {
        float v = a->y[i];
        bool whole = v == floorf(v);
        if (a->binary ? (v >= 0.0f && v <= 1.0f) : (whole && v >= 0.0f && v < (float)a->n_classes))
            continue;
        char range[96];
        if (a->binary)
            snprintf(range, sizeof range, "binary labels lie in [0, 1]");
        else
            snprintf(range, sizeof range, "class indices are whole numbers in [0, %zu)", a->n_classes);
        float lo = a->y[0], hi = a->y[0];
        for (size_t j = 1; j < a->n; j++)
            lo = fminf(lo, a->y[j]), hi = fmaxf(hi, a->y[j]);
        const char *hint = "";
        if (!a->binary && lo == 1.0f && hi == (float)a->n_classes)
            hint = ": the labels count from 1, class indices from 0 (subtract 1, or give text labels)";
        else if (!a->binary && whole && v >= (float)a->n_classes)
            hint = ": give the output layer as many units as there are classes";
        return ct_fail(CT_ERR_DATA, "%s: row %zu, column %s: label %g is not a class the model can output (%s, as "
                       "the output layer has %zu unit%s)%s",
                       a->source, a->lines ? a->lines[i] : i + 1, a->column, (double)v, range, a->units,
                       a->units == 1 ? "" : "s", hint);
    }
    return CT_OK;
}

ct_status ct_labels_one_hot(const float *y, size_t n, size_t n_classes, float **out)
{
    size_t count = ct_data_mul(n, n_classes);
    float *hot = count == SIZE_MAX ? NULL : calloc(count ? count : 1, sizeof *hot);
    if (!hot)
        return no_memory();
    for (size_t i = 0; i < n; i++) {
        size_t k = (size_t)y[i];
        if (y[i] < 0.0f || k >= n_classes) {
            free(hot);
            return ct_fail(CT_ERR_INVALID_ARGUMENT, "one-hot: label %g of sample %zu is outside [0, %zu)",
                           (double)y[i], i, n_classes);
        }
        hot[i * n_classes + k] = 1.0f;
    }
    *out = hot;
    return CT_OK;
}
