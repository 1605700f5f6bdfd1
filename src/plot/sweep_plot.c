/* A sweep's metric against one of its inputs (cltrain/plot.h,
 * ct_plot_sweep): the validation and test values of every point, the best
 * validation value per x joined by a line, the baseline as a dashed line. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cltrain/plot.h"
#include "plot/axes.h"
#include "plot/figure.h"
#include "plot/legend.h"
#include "plot/style.h"

#define WIDTH 820
#define PANEL_HEIGHT 520
#define TITLE_HEIGHT 74
#define LEGEND_HEIGHT 70

static const series_style VALIDATION_STYLE = {.colour = OKABE_BLUE, .mark = MARK_CIRCLE, .alpha = 0.6};
static const series_style TEST_STYLE = {.colour = OKABE_VERMILLION, .mark = MARK_TRIANGLE, .alpha = 0.5};
static const series_style BEST_STYLE = {.colour = OKABE_BLUE, .line = LINE_SOLID};
static const series_style BASELINE_STYLE = {.colour = OKABE_BLACK, .line = LINE_DASHED};

typedef struct {
    const ct_sweep_plot *p;
    double *best_x, *best_y; /* the best validation value per distinct x, by x */
    size_t best_n;
    char baseline_label[256];
} sweep_figure;

static bool usable_x(const ct_sweep_plot *p, double x) { return isfinite(x) && (!p->log_x || x > 0); }

static void extend(double *lo, double *hi, double v)
{
    if (isfinite(v)) {
        *lo = v < *lo ? v : *lo;
        *hi = v > *hi ? v : *hi;
    }
}

static int by_x(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static ct_status draw_sweep(cairo_t *cr, const void *data)
{
    const sweep_figure *f = data;
    const ct_sweep_plot *p = f->p;
    figure_draw_heading(cr, WIDTH, p->title, p->subtitle);
    axes a = {.xmin = INFINITY, .xmax = -INFINITY, .ymin = INFINITY, .ymax = -INFINITY, .x_log = p->log_x};
    for (size_t i = 0; i < p->n; i++) {
        if (!usable_x(p, p->x[i]))
            continue;
        if (isfinite(p->validation[i]) || (p->test && isfinite(p->test[i])))
            extend(&a.xmin, &a.xmax, p->x[i]);
        extend(&a.ymin, &a.ymax, p->validation[i]);
        if (p->test)
            extend(&a.ymin, &a.ymax, p->test[i]);
    }
    if (p->has_baseline)
        extend(&a.ymin, &a.ymax, p->baseline);
    if (p->log_x) { /* a tenth of a decade of room on each side */
        if (!(a.xmax > a.xmin))
            a.xmin /= 2, a.xmax *= 2;
        double f10 = pow(10, 0.1 * log10(a.xmax / a.xmin) + 0.05);
        a.xmin /= f10;
        a.xmax *= f10;
    } else
        axes_pad_range(&a.xmin, &a.xmax, 0.05);
    axes_pad_range(&a.ymin, &a.ymax, 0.06);
    axes_labels labels = {.xlabel = p->xlabel, .ylabel = p->ylabel};
    axes_layout(cr, &a, &labels, 0, TITLE_HEIGHT, WIDTH, PANEL_HEIGHT);
    axes_draw_grid(cr, &a);
    axes_clip(cr, &a);
    if (p->has_baseline) {
        style_set_colour(cr, BASELINE_STYLE.colour);
        cairo_set_line_width(cr, 1.75);
        marks_set_line(cr, BASELINE_STYLE.line);
        cairo_move_to(cr, a.left, axes_y(&a, p->baseline));
        cairo_line_to(cr, a.left + a.width, axes_y(&a, p->baseline));
        cairo_stroke(cr);
    }
    if (f->best_n > 1) {
        style_set_colour(cr, BEST_STYLE.colour);
        cairo_set_line_width(cr, STYLE_LINE);
        marks_set_line(cr, BEST_STYLE.line);
        for (size_t i = 0; i < f->best_n; i++)
            (i ? cairo_line_to : cairo_move_to)(cr, axes_x(&a, f->best_x[i]), axes_y(&a, f->best_y[i]));
        cairo_stroke(cr);
    }
    for (size_t i = 0; i < p->n; i++) {
        if (!usable_x(p, p->x[i]))
            continue;
        if (p->test && isfinite(p->test[i]))
            marks_draw(cr, &TEST_STYLE, axes_x(&a, p->x[i]), axes_y(&a, p->test[i]), 9);
        if (isfinite(p->validation[i]))
            marks_draw(cr, &VALIDATION_STYLE, axes_x(&a, p->x[i]), axes_y(&a, p->validation[i]), 9);
    }
    cairo_restore(cr);
    axes_draw_frame(cr, &a, &labels);

    legend_entry legend[3] = {{"validation (each point)", VALIDATION_STYLE}};
    size_t n = 1;
    if (p->test)
        legend[n++] = (legend_entry){"test", TEST_STYLE};
    if (p->has_baseline)
        legend[n++] = (legend_entry){f->baseline_label, BASELINE_STYLE};
    legend_draw(cr, legend, n, WIDTH / 2.0, TITLE_HEIGHT + PANEL_HEIGHT + 8, WIDTH - 20);
    return CT_OK;
}

ct_status ct_plot_sweep(const char *png_path, const ct_sweep_plot *p, const ct_plot_options *options)
{
    sweep_figure f = {.p = p};
    size_t usable = 0;
    for (size_t i = 0; i < p->n; i++)
        if (usable_x(p, p->x[i]) && (isfinite(p->validation[i]) || (p->test && isfinite(p->test[i]))))
            usable++;
    if (!usable)
        return ct_fail(CT_ERR_DATA, "%s: no point has both a value of %s and of %s%s", png_path, p->xlabel, p->ylabel,
                       p->log_x ? " (above 0, for the log axis)" : "");
    /* The best validation value at each distinct x, in x order. */
    double *pairs = malloc(2 * p->n * sizeof *pairs);
    f.best_x = malloc(p->n * sizeof *f.best_x);
    f.best_y = malloc(p->n * sizeof *f.best_y);
    if (!pairs || !f.best_x || !f.best_y) {
        free(pairs), free(f.best_x), free(f.best_y);
        return ct_fail(CT_ERR_NO_MEMORY, "out of memory");
    }
    size_t m = 0;
    for (size_t i = 0; i < p->n; i++)
        if (usable_x(p, p->x[i]) && isfinite(p->validation[i]))
            pairs[2 * m] = p->x[i], pairs[2 * m + 1] = p->validation[i], m++;
    qsort(pairs, m, 2 * sizeof *pairs, by_x);
    for (size_t i = 0; i < m; i++) {
        double x = pairs[2 * i], y = pairs[2 * i + 1];
        if (f.best_n && f.best_x[f.best_n - 1] == x) {
            double *b = &f.best_y[f.best_n - 1];
            *b = (p->maximize ? y > *b : y < *b) ? y : *b;
        } else
            f.best_x[f.best_n] = x, f.best_y[f.best_n++] = y;
    }
    free(pairs);
    if (p->has_baseline)
        snprintf(f.baseline_label, sizeof f.baseline_label, "%s (test) %.4g",
                 p->baseline_label ? p->baseline_label : "baseline", p->baseline);
    ct_status s = figure_write(png_path, WIDTH, TITLE_HEIGHT + PANEL_HEIGHT + LEGEND_HEIGHT, draw_sweep, &f, options);
    free(f.best_x);
    free(f.best_y);
    return s;
}
