/* Predicted against true for the regression test split. The model's points
 * are drawn over the baseline's so the model stays readable; both are
 * translucent so that dense clusters show as darker. Equal scales on both
 * axes, so distance from the y = x line means the same error everywhere. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "plot/axes.h"
#include "plot/figure.h"
#include "plot/legend.h"
#include "plot/plots.h"
#include "plot/style.h"
#include "plot/text.h"

#define AREA 640         /* the square panel, pixels */
#define TITLE_HEIGHT 74  /* two lines */
#define LEGEND_HEIGHT 64

typedef struct {
    const run_predictions *p;
    char title[320], subtitle[320];
    char xlabel[200], ylabel[200];
    char model_label[96], baseline_label[200];
    int width;
} regression_figure;

static const series_style MODEL_STYLE = {.colour = OKABE_BLUE, .mark = MARK_CIRCLE, .alpha = 0.55};
static const series_style BASELINE_STYLE = {.colour = OKABE_ORANGE, .mark = MARK_TRIANGLE, .alpha = 0.5};
static const series_style IDENTITY_STYLE = {.colour = OKABE_BLACK, .line = LINE_DASHED};

static double rmse(const double *truth, const double *predicted, size_t n)
{
    double sum = 0;
    size_t used = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(truth[i]) && isfinite(predicted[i])) {
            double d = predicted[i] - truth[i];
            sum += d * d;
            used++;
        }
    return used ? sqrt(sum / (double)used) : NAN;
}

/* Four significant digits, trailing zeros kept so that model and baseline
 * line up ("3.693" against "3.700", not "3.7"). */
static const char *metric_text(double value, char *buf, size_t size)
{
    snprintf(buf, size, "%#.4g", value);
    size_t len = strlen(buf);
    if (len > 0 && buf[len - 1] == '.') /* "%#g" of 1234.5 is "1235." */
        buf[len - 1] = '\0';
    return buf;
}

static void extend(double *lo, double *hi, const double *v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        if (isfinite(v[i])) {
            *lo = v[i] < *lo ? v[i] : *lo;
            *hi = v[i] > *hi ? v[i] : *hi;
        }
}

static void draw_points(cairo_t *cr, const axes *a, const double *x, const double *y, size_t n,
                        const series_style *s)
{
    for (size_t i = 0; i < n; i++)
        if (isfinite(x[i]) && isfinite(y[i]))
            marks_draw(cr, s, axes_x(a, x[i]), axes_y(a, y[i]), 8);
}

static ct_status draw_regression(cairo_t *cr, const void *data)
{
    const regression_figure *f = data;
    const run_predictions *p = f->p;
    double width = f->width;
    figure_draw_heading(cr, width, f->title, f->subtitle);

    axes a = {.xmin = INFINITY, .xmax = -INFINITY, .equal_ticks = true};
    extend(&a.xmin, &a.xmax, p->truth, p->n);
    extend(&a.xmin, &a.xmax, p->predicted, p->n);
    extend(&a.xmin, &a.xmax, p->baseline, p->n);
    axes_pad_range(&a.xmin, &a.xmax, 0.04);
    a.ymin = a.xmin;
    a.ymax = a.xmax;
    axes_labels labels = {.xlabel = f->xlabel, .ylabel = f->ylabel};
    axes_layout(cr, &a, &labels, 0, TITLE_HEIGHT, width, AREA + 60);
    /* Square data area: the shorter side wins, centred. */
    double side = a.width < a.height ? a.width : a.height;
    a.left += (a.width - side) / 2;
    a.width = a.height = side;
    axes_draw_grid(cr, &a);

    axes_clip(cr, &a);
    if (p->baseline)
        draw_points(cr, &a, p->truth, p->baseline, p->n, &BASELINE_STYLE);
    draw_points(cr, &a, p->truth, p->predicted, p->n, &MODEL_STYLE);
    style_set_colour(cr, IDENTITY_STYLE.colour);
    cairo_set_line_width(cr, 1.5);
    marks_set_line(cr, IDENTITY_STYLE.line);
    cairo_move_to(cr, axes_x(&a, a.xmin), axes_y(&a, a.ymin));
    cairo_line_to(cr, axes_x(&a, a.xmax), axes_y(&a, a.ymax));
    cairo_stroke(cr);
    cairo_restore(cr);
    axes_draw_frame(cr, &a, &labels);

    legend_entry legend[3] = {{f->model_label, MODEL_STYLE}, {"y = x (perfect prediction)", IDENTITY_STYLE}};
    size_t n_legend = 2;
    if (p->baseline)
        legend[n_legend++] = (legend_entry){f->baseline_label, BASELINE_STYLE};
    legend_draw(cr, legend, n_legend, width / 2, TITLE_HEIGHT + AREA + 72, width - 20);
    return CT_OK;
}

ct_status plot_regression(const run_predictions *p, const run_labels *labels, const char *title,
                          const char *png_path, const ct_plot_options *options)
{
    if (p->classification)
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "%s: predictions of a classifier, not a regression", png_path);
    regression_figure f = {.p = p};
    const char *target = labels->target;
    char model_rmse[32], baseline_rmse[32];
    metric_text(rmse(p->truth, p->predicted, p->n), model_rmse, sizeof model_rmse);
    snprintf(f.title, sizeof f.title, "%s: predicted vs true", title);
    snprintf(f.xlabel, sizeof f.xlabel, target ? "true %s" : "true value (target units)", target);
    snprintf(f.ylabel, sizeof f.ylabel, target ? "predicted %s" : "predicted value (target units)", target);
    snprintf(f.model_label, sizeof f.model_label, "model (RMSE %s)", model_rmse);
    if (p->baseline) {
        metric_text(rmse(p->truth, p->baseline, p->n), baseline_rmse, sizeof baseline_rmse);
        snprintf(f.subtitle, sizeof f.subtitle, "test split, %zu samples; RMSE: model %s, baseline %s", p->n,
                 model_rmse, baseline_rmse);
        if (labels->baseline)
            snprintf(f.baseline_label, sizeof f.baseline_label, "persistence: today's %s (RMSE %s)",
                     labels->baseline, baseline_rmse);
        else
            snprintf(f.baseline_label, sizeof f.baseline_label, "baseline (RMSE %s)", baseline_rmse);
    } else {
        snprintf(f.subtitle, sizeof f.subtitle, "test split, %zu samples; RMSE: model %s", p->n, model_rmse);
    }
    /* Room for the y tick and axis labels beside the square, and for the title. */
    f.width = AREA + 110;
    double title_width = figure_text_width(f.title, STYLE_FONT_FIGURE, true) + 32;
    f.width = title_width > f.width ? (int)ceil(title_width) : f.width;
    return figure_write(png_path, f.width, TITLE_HEIGHT + AREA + 72 + LEGEND_HEIGHT, draw_regression, &f,
                        options);
}
