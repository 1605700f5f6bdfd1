/* sweep.csv, the plots and the printed table (see gather.h). */
#include "sweep/gather.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cltrain/plot.h"
#include "core/fs.h"

ct_status sweep_collect_rows(const sweep_plan *p, const size_t *idx, size_t n, sweep_row **rows)
{
    *rows = calloc(n ? n : 1, sizeof **rows);
    if (!*rows)
        return ct_fail(CT_ERR_NO_MEMORY, "out of memory");
    for (size_t k = 0; k < n; k++) {
        ct_status s = sweep_row_read(p, idx ? idx[k] : k, &(*rows)[k]);
        if (s != CT_OK) {
            sweep_rows_free(*rows, k);
            *rows = NULL;
            return s;
        }
    }
    return CT_OK;
}

static double number_of(const sweep_row *r, const char *column)
{
    const char *v = column ? sweep_row_get(r, column) : NULL;
    char *end = NULL;
    double d = v && *v ? strtod(v, &end) : NAN;
    return end && !*end ? d : NAN;
}

/* "model[0].dense.units" -> "model0.dense.units", fit for a file name. */
static void file_word(const char *key, char *buf, size_t size)
{
    size_t j = 0;
    for (const char *c = key; *c && j + 1 < size; c++)
        if (*c != '[' && *c != ']')
            buf[j++] = (char)((*c == '/' || *c == ' ') ? '_' : *c);
    buf[j] = '\0';
}

typedef struct {
    const sweep_plan *p;
    const sweep_table *t;
    double *validation, *test;
    const char *test_column;
    bool has_baseline;
    double baseline;
    const char *baseline_name;
    char *plots;
    FILE *out;
} plot_job;

static void plot_against(plot_job *j, const char *column, const char *xlabel, bool log_x, const char *file)
{
    size_t n = j->t->row_count;
    double *x = malloc((n ? n : 1) * sizeof *x);
    if (!x)
        return;
    bool numeric = false;
    for (size_t i = 0; i < n; i++) {
        const char *v = sweep_row_get(&j->t->rows[i], column);
        x[i] = number_of(&j->t->rows[i], column);
        if (v && *v && isnan(x[i])) { /* a value that is no number (adam, relu): no plot of this axis */
            free(x);
            return;
        }
        numeric = numeric || isfinite(x[i]);
    }
    char path[4096], title[512], subtitle[512];
    snprintf(path, sizeof path, "%s/%s.png", j->plots, file);
    snprintf(title, sizeof title, "%s: %s against %s", j->p->name, j->p->metric, xlabel);
    snprintf(subtitle, sizeof subtitle, "%zu points; the line joins the best %s per value (%s is better)", n,
             j->p->metric, j->p->maximize ? "higher" : "lower");
    ct_sweep_plot sp = {.title = title,
                        .subtitle = subtitle,
                        .xlabel = xlabel,
                        .ylabel = j->p->metric,
                        .x = x,
                        .validation = j->validation,
                        .test = j->test,
                        .n = n,
                        .maximize = j->p->maximize,
                        .has_baseline = j->has_baseline,
                        .baseline = j->baseline,
                        .baseline_label = j->baseline_name,
                        .log_x = log_x};
    ct_plot_options options = {.no_svg = false};
    if (numeric && ct_plot_sweep(path, &sp, &options) == CT_OK) {
        if (j->out)
            fprintf(j->out, "wrote %s\n", path);
    } else if (numeric && j->out) {
        fprintf(j->out, "plot not drawn: %s\n", ct_last_error());
        ct_clear_error();
    }
    free(x);
}

static void draw_plots(const sweep_plan *p, const sweep_table *t, FILE *out)
{
    size_t n = t->row_count;
    plot_job j = {.p = p, .t = t, .out = out};
    j.validation = malloc((n ? n : 1) * sizeof *j.validation);
    j.test = malloc((n ? n : 1) * sizeof *j.test);
    char test_column[160], baseline_column[160];
    const char *bare = !strncmp(p->metric, "val_", 4) ? p->metric + 4 : p->metric;
    snprintf(test_column, sizeof test_column, "test_%s", bare);
    snprintf(baseline_column, sizeof baseline_column, "baseline_%s", bare);
    size_t len = strlen(p->dir) + sizeof "/plots";
    if ((j.plots = malloc(len)))
        snprintf(j.plots, len, "%s/plots", p->dir);
    if (j.plots && ct_make_dirs(j.plots) == CT_OK && j.validation && j.test) {
        bool any_test = false;
        for (size_t i = 0; i < n; i++) {
            j.validation[i] = number_of(&t->rows[i], p->metric);
            j.test[i] = number_of(&t->rows[i], test_column);
            any_test = any_test || isfinite(j.test[i]);
            double b = number_of(&t->rows[i], baseline_column);
            if (!j.has_baseline && isfinite(b)) {
                j.has_baseline = true;
                j.baseline = b;
                j.baseline_name = sweep_row_get(&t->rows[i], "baseline");
            }
        }
        if (!any_test) {
            free(j.test);
            j.test = NULL;
        }
        char file[400];
        for (size_t a = 0; a < p->axis_count; a++) {
            char word[256];
            file_word(p->axes[a].key, word, sizeof word);
            snprintf(file, sizeof file, "%s_vs_%s", p->metric, word);
            plot_against(&j, p->axes[a].key, p->axes[a].key, false, file);
        }
        snprintf(file, sizeof file, "%s_vs_parameters", p->metric);
        plot_against(&j, "parameters", "parameters (log scale)", true, file);
    } else
        ct_clear_error();
    free(j.plots);
    free(j.validation);
    free(j.test);
}

ct_status sweep_gather(const sweep_plan *p, sweep_row *rows, size_t n, FILE *out)
{
    sweep_table t;
    ct_status s = sweep_table_make(p, rows, n, &t);
    if (s != CT_OK) {
        sweep_rows_free(rows, n);
        free(t.columns);
        return s;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/sweep.csv", p->dir);
    s = ct_make_dirs(p->dir);
    if (s == CT_OK)
        s = sweep_write_record(p);
    if (s == CT_OK)
        s = sweep_table_write_csv(&t, path);
    if (s == CT_OK) {
        if (out)
            fprintf(out, "\nwrote %s (%zu points)\n", path, n);
        draw_plots(p, &t, out);
        if (out) {
            fprintf(out, "\n%s, by %s (%s is better):\n", p->name, p->metric, p->maximize ? "higher" : "lower");
            sweep_table_print(&t, p->metric, p->maximize, out);
        }
    }
    sweep_table_free(&t);
    return s;
}
