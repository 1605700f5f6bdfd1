/* sweep.csv, the plots and the printed table (see gather.h). */
#include "sweep/gather.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cltrain/plot.h"
#include "core/fs.h"
#include "plot/quantity.h"
#include "sweep/front.h"

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
    char metric_label[160]; /* "validation RMSE" */
    bool has_baseline, baseline_same_split;
    double baseline;
    char baseline_label[300];
    char *plots;
    FILE *out;
} plot_job;

typedef enum { NO_LINE, BEST_PER_VALUE, PARETO_FRONT } line_kind;

/* A log x axis where the values are all above 0 and span two decades or
 * more (1, 2, 5 ... 100 units): a linear one would crowd all but the last. */
static bool spans_decades(const double *x, size_t n)
{
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < n; i++)
        if (isfinite(x[i])) {
            if (x[i] <= 0)
                return false;
            lo = x[i] < lo ? x[i] : lo;
            hi = x[i] > hi ? x[i] : hi;
        }
    return hi >= 100 * lo;
}

static void plot_against(plot_job *j, const char *column, const char *xname, line_kind line, const char *file)
{
    size_t n = j->t->row_count;
    double *x = malloc((n ? n : 1) * sizeof *x), *lx = malloc((n ? n : 1) * sizeof *lx),
           *ly = malloc((n ? n : 1) * sizeof *ly);
    sweep_front_point *front = malloc((n ? n : 1) * sizeof *front);
    if (!x || !lx || !ly || !front) {
        free(x), free(lx), free(ly), free(front);
        return;
    }
    bool numeric = false;
    for (size_t i = 0; i < n; i++) {
        const char *v = sweep_row_get(&j->t->rows[i], column);
        x[i] = number_of(&j->t->rows[i], column);
        if (v && *v && isnan(x[i])) { /* a value that is no number (adam, relu): no plot of this axis */
            free(x), free(lx), free(ly), free(front);
            return;
        }
        numeric = numeric || isfinite(x[i]);
    }
    bool log_x = line == PARETO_FRONT || spans_decades(x, n);
    bool maximize = j->p->maximize;
    size_t m = line == PARETO_FRONT     ? sweep_pareto_front(x, j->validation, n, maximize, log_x, front)
               : line == BEST_PER_VALUE ? sweep_best_per_x(x, j->validation, n, maximize, log_x, front)
                                        : 0;
    for (size_t i = 0; i < m; i++)
        lx[i] = front[i].x, ly[i] = front[i].y;
    char path[4096], title[512], subtitle[512], xlabel[300], highlight[200];
    snprintf(path, sizeof path, "%s/%s.png", j->plots, file);
    snprintf(xlabel, sizeof xlabel, "%s%s", xname, log_x ? " (log scale)" : "");
    snprintf(title, sizeof title, "%s: %s vs %s", j->p->name, j->metric_label, xname);
    const char *better = maximize ? "higher" : "lower";
    if (line == PARETO_FRONT)
        snprintf(subtitle, sizeof subtitle, "%zu points; the steps: the best %s at this size or smaller (%s is better)",
                 n, j->metric_label, better);
    else if (line == BEST_PER_VALUE)
        snprintf(subtitle, sizeof subtitle, "%zu points; the line joins the best %s per value (%s is better)", n,
                 j->metric_label, better);
    else
        snprintf(subtitle, sizeof subtitle, "%zu points (%s is better)", n, better);
    ct_sweep_plot sp = {.title = title,
                        .subtitle = subtitle,
                        .xlabel = xlabel,
                        .ylabel = j->metric_label,
                        .x = x,
                        .validation = j->validation,
                        .test = j->test,
                        .n = n,
                        .line_x = lx,
                        .line_y = ly,
                        .line_n = m,
                        .line_steps = line == PARETO_FRONT,
                        .line_label = line == PARETO_FRONT ? "best at this size or smaller" : "best per value",
                        .has_baseline = j->has_baseline,
                        .baseline = j->baseline,
                        .baseline_label = j->baseline_label,
                        .log_x = log_x};
    long at = line == PARETO_FRONT && j->has_baseline ? sweep_front_first_beating(front, m, maximize, j->baseline) : -1;
    if (at >= 0) {
        snprintf(highlight, sizeof highlight, "smallest beating the baseline: %.0f parameters, %.4g", front[at].x,
                 front[at].y);
        sp.has_highlight = true;
        sp.highlight_x = front[at].x;
        sp.highlight_y = front[at].y;
        sp.highlight_label = highlight;
    }
    ct_plot_options options = {.no_svg = false};
    if (numeric && ct_plot_sweep(path, &sp, &options) == CT_OK) {
        if (j->out)
            fprintf(j->out, "wrote %s\n", path);
    } else if (numeric && j->out) {
        fprintf(j->out, "plot not drawn: %s\n", ct_last_error());
        ct_clear_error();
    }
    free(x), free(lx), free(ly), free(front);
}

static void draw_plots(const sweep_plan *p, const sweep_table *t, FILE *out)
{
    size_t n = t->row_count;
    plot_job j = {.p = p, .t = t, .out = out};
    j.validation = malloc((n ? n : 1) * sizeof *j.validation);
    j.test = malloc((n ? n : 1) * sizeof *j.test);
    char test_column[160];
    const char *bare = !strncmp(p->metric, "val_", 4) ? p->metric + 4 : p->metric;
    snprintf(test_column, sizeof test_column, "test_%s", bare);
    quantity_short_label(p->metric, j.metric_label, sizeof j.metric_label);
    const char *baseline_name = NULL;
    j.has_baseline = sweep_table_baseline(t, p->metric, &j.baseline, &baseline_name, &j.baseline_same_split);
    if (j.has_baseline) { /* the split named, as the metric's is in its label */
        const char *split = !j.baseline_same_split            ? ", test split"
                            : !strncmp(p->metric, "val_", 4)  ? ", validation split"
                            : !strncmp(p->metric, "test_", 5) ? ", test split"
                                                              : "";
        snprintf(j.baseline_label, sizeof j.baseline_label, "%s%s: %.4g", baseline_name ? baseline_name : "baseline",
                 split, j.baseline);
    }
    size_t len = strlen(p->dir) + sizeof "/plots";
    if ((j.plots = malloc(len)))
        snprintf(j.plots, len, "%s/plots", p->dir);
    if (j.plots && ct_make_dirs(j.plots) == CT_OK && j.validation && j.test) {
        bool any_test = false;
        for (size_t i = 0; i < n; i++) {
            j.validation[i] = number_of(&t->rows[i], p->metric);
            j.test[i] = number_of(&t->rows[i], test_column);
            any_test = any_test || isfinite(j.test[i]);
        }
        if (!any_test) {
            free(j.test);
            j.test = NULL;
        }
        char file[400];
        for (size_t a = 0; a < p->axis_count; a++) {
            char word[256], label[256];
            file_word(p->axes[a].key, word, sizeof word);
            sweep_axis_label(p->axes[a].key, label, sizeof label);
            snprintf(file, sizeof file, "%s_vs_%s", p->metric, word);
            /* A grid's few values each hold many points: the best per value
             * is the axis's effect. Random draws rarely repeat: no line. */
            plot_against(&j, p->axes[a].key, label, p->axes[a].kind == SWEEP_GRID ? BEST_PER_VALUE : NO_LINE,
                         file);
        }
        snprintf(file, sizeof file, "%s_vs_parameters", p->metric);
        plot_against(&j, "parameters", "parameters", PARETO_FRONT, file);
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
            sweep_print_smallest_beating(&t, p->metric, p->maximize, out);
        }
    }
    sweep_table_free(&t);
    return s;
}
