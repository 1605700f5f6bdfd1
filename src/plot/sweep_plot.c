/* A sweep's metric against one of its inputs (cltrain/plot.h,
 * ct_plot_sweep): the validation and test values of every point, the
 * caller's line through the validation values, the baseline as a dashed
 * line, and the point the sweep is about ringed. */
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
#define LEGEND_TOP_GAP 8
#define MARK_SIZE 9
#define RING_SIZE 20

static const series_style VALIDATION_STYLE = {.colour = OKABE_BLUE, .mark = MARK_CIRCLE, .alpha = 0.6};
static const series_style TEST_STYLE = {.colour = OKABE_VERMILLION, .mark = MARK_TRIANGLE, .alpha = 0.5};
static const series_style LINE_STYLE = {.colour = OKABE_BLUE, .line = LINE_SOLID};
static const series_style BASELINE_STYLE = {.colour = OKABE_BLACK, .line = LINE_DASHED};
/* A ring in a colour no series uses. */
static const series_style HIGHLIGHT_STYLE = {.colour = OKABE_GREEN, .mark = MARK_CIRCLE, .hollow = true};

typedef struct {
    const ct_sweep_plot *p;
    legend_entry legend[5];
    size_t legend_n;
    double legend_height;
} sweep_figure;

static bool usable_x(const ct_sweep_plot *p, double x) { return isfinite(x) && (!p->log_x || x > 0); }

static void extend(double *lo, double *hi, double v)
{
    if (isfinite(v)) {
        *lo = v < *lo ? v : *lo;
        *hi = v > *hi ? v : *hi;
    }
}

static void data_range(const ct_sweep_plot *p, axes *a)
{
    for (size_t i = 0; i < p->n; i++) {
        if (!usable_x(p, p->x[i]))
            continue;
        if (isfinite(p->validation[i]) || (p->test && isfinite(p->test[i])))
            extend(&a->xmin, &a->xmax, p->x[i]);
        extend(&a->ymin, &a->ymax, p->validation[i]);
        if (p->test)
            extend(&a->ymin, &a->ymax, p->test[i]);
    }
    if (p->has_baseline)
        extend(&a->ymin, &a->ymax, p->baseline);
    if (p->log_x) { /* a tenth of a decade of room on each side */
        if (!(a->xmax > a->xmin))
            a->xmin /= 2, a->xmax *= 2;
        double f10 = pow(10, 0.1 * log10(a->xmax / a->xmin) + 0.05);
        a->xmin /= f10;
        a->xmax *= f10;
    } else
        axes_pad_range(&a->xmin, &a->xmax, 0.05);
    axes_pad_range(&a->ymin, &a->ymax, 0.06);
}

static void draw_line(cairo_t *cr, const ct_sweep_plot *p, const axes *a)
{
    size_t drawn = 0;
    double last_y = 0;
    style_set_colour(cr, LINE_STYLE.colour);
    cairo_set_line_width(cr, STYLE_LINE);
    marks_set_line(cr, LINE_STYLE.line);
    for (size_t i = 0; i < p->line_n; i++) {
        if (!usable_x(p, p->line_x[i]) || !isfinite(p->line_y[i]))
            continue;
        double x = axes_x(a, p->line_x[i]), y = axes_y(a, p->line_y[i]);
        if (!drawn)
            cairo_move_to(cr, x, y);
        else if (p->line_steps) { /* the previous best holds up to this x */
            cairo_line_to(cr, x, last_y);
            cairo_line_to(cr, x, y);
        } else
            cairo_line_to(cr, x, y);
        last_y = y;
        drawn++;
    }
    if (drawn && p->line_steps) /* and on to every larger x */
        cairo_line_to(cr, a->left + a->width, last_y);
    if (drawn > 1 || (drawn && p->line_steps))
        cairo_stroke(cr);
    cairo_new_path(cr);
}

static ct_status draw_sweep(cairo_t *cr, const void *data)
{
    const sweep_figure *f = data;
    const ct_sweep_plot *p = f->p;
    figure_draw_heading(cr, WIDTH, p->title, p->subtitle);
    axes a = {.xmin = INFINITY, .xmax = -INFINITY, .ymin = INFINITY, .ymax = -INFINITY, .x_log = p->log_x};
    data_range(p, &a);
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
    if (p->line_n)
        draw_line(cr, p, &a);
    for (size_t i = 0; i < p->n; i++) {
        if (!usable_x(p, p->x[i]))
            continue;
        if (p->test && isfinite(p->test[i]))
            marks_draw(cr, &TEST_STYLE, axes_x(&a, p->x[i]), axes_y(&a, p->test[i]), MARK_SIZE);
        if (isfinite(p->validation[i]))
            marks_draw(cr, &VALIDATION_STYLE, axes_x(&a, p->x[i]), axes_y(&a, p->validation[i]), MARK_SIZE);
    }
    /* Ringed only: a note beside it would cover the points around it, and
     * the legend says what the ring means. */
    if (p->has_highlight && usable_x(p, p->highlight_x) && isfinite(p->highlight_y))
        marks_draw(cr, &HIGHLIGHT_STYLE, axes_x(&a, p->highlight_x), axes_y(&a, p->highlight_y), RING_SIZE);
    cairo_restore(cr);
    axes_draw_frame(cr, &a, &labels);
    legend_draw(cr, f->legend, f->legend_n, WIDTH / 2.0, TITLE_HEIGHT + PANEL_HEIGHT + LEGEND_TOP_GAP, WIDTH - 20);
    return CT_OK;
}

ct_status ct_plot_sweep(const char *png_path, const ct_sweep_plot *p, const ct_plot_options *options)
{
    size_t usable = 0;
    for (size_t i = 0; i < p->n; i++)
        if (usable_x(p, p->x[i]) && (isfinite(p->validation[i]) || (p->test && isfinite(p->test[i]))))
            usable++;
    if (!usable)
        return ct_fail(CT_ERR_DATA, "%s: no point has both a value of %s and of %s%s", png_path, p->xlabel, p->ylabel,
                       p->log_x ? " (above 0, for the log axis)" : "");
    sweep_figure f = {.p = p};
    f.legend[f.legend_n++] = (legend_entry){"validation (each point)", VALIDATION_STYLE};
    if (p->test)
        f.legend[f.legend_n++] = (legend_entry){"test", TEST_STYLE};
    if (p->line_n > 1 && p->line_label)
        f.legend[f.legend_n++] = (legend_entry){p->line_label, LINE_STYLE};
    if (p->has_baseline)
        f.legend[f.legend_n++] =
            (legend_entry){p->baseline_label ? p->baseline_label : "baseline", BASELINE_STYLE};
    if (p->has_highlight && p->highlight_label)
        f.legend[f.legend_n++] = (legend_entry){p->highlight_label, HIGHLIGHT_STYLE};
    /* The legend wraps into rows; measure them before sizing the figure. */
    cairo_surface_t *scratch = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 1, 1);
    cairo_t *cr = cairo_create(scratch);
    f.legend_height = legend_height(cr, f.legend, f.legend_n, WIDTH - 20);
    cairo_destroy(cr);
    cairo_surface_destroy(scratch);
    int height = (int)ceil(TITLE_HEIGHT + PANEL_HEIGHT + LEGEND_TOP_GAP + f.legend_height + 16);
    return figure_write(png_path, WIDTH, height, draw_sweep, &f, options);
}
