/* Axes (see axes.h). */
#include "plot/axes.h"

#include <math.h>
#include <stdio.h>

#include "plot/style.h"
#include "plot/text.h"

#define TICK_LENGTH 6.0
#define GAP 8.0            /* between tick labels and axis labels, and around the panel */
#define MAX_TICKS 64       /* never more labels than this, whatever the range */

void axes_pad_range(double *lo, double *hi, double fraction)
{
    if (!isfinite(*lo) || !isfinite(*hi) || *lo > *hi) {
        *lo = 0;
        *hi = 1;
        return;
    }
    double span = *hi - *lo;
    if (span <= 0) {
        /* A flat series: show it in the middle of a range that reads. */
        double half = fabs(*lo) > 0 ? fabs(*lo) * 0.1 : 0.5;
        *lo -= half;
        *hi += half;
        return;
    }
    *lo -= span * fraction;
    *hi += span * fraction;
}

/* 1, 2 or 5 times a power of ten, close to span / target. */
static double nice_step(double span, double target, bool integer)
{
    double raw = span / (target > 1 ? target : 1);
    double power = pow(10, floor(log10(raw)));
    double mantissa = raw / power;
    double step = (mantissa < 1.5 ? 1 : mantissa < 3.5 ? 2 : mantissa < 7.5 ? 5 : 10) * power;
    return integer && step < 1 ? 1 : step;
}

/* Tick positions of [lo, hi]: first tick and step. */
static void ticks(double lo, double hi, double pixels, double pixels_per_tick, bool integer,
                  double *first, double *step, int *count)
{
    *step = nice_step(hi - lo, pixels / pixels_per_tick, integer);
    *first = ceil(lo / *step - 1e-9) * *step;
    int n = (int)floor((hi - *first) / *step + 1e-9) + 1;
    *count = n < 0 ? 0 : n > MAX_TICKS ? MAX_TICKS : n;
}

/* Decimals that tell the ticks of this step apart, and no more. */
static void format_tick(char *buf, size_t size, double value, double step)
{
    if (fabs(value) < step * 1e-6)
        value = 0; /* no "-0" or "1e-17" from rounding */
    if (fabs(value) >= 1e6 || step < 1e-4) {
        snprintf(buf, size, "%.3g", value);
        return;
    }
    int decimals = (int)ceil(-log10(step) - 1e-9);
    snprintf(buf, size, "%.*f", decimals > 0 ? decimals : 0, value);
}

static const double X_PIXELS_PER_TICK = 90, Y_PIXELS_PER_TICK = 55;

static double y_pixels_per_tick(const axes *a)
{
    return a->equal_ticks ? X_PIXELS_PER_TICK : Y_PIXELS_PER_TICK;
}

/* Widest y tick label, to size the left margin. */
static double y_tick_label_width(cairo_t *cr, const axes *a, double height)
{
    double first, step, widest = 0;
    int n;
    ticks(a->ymin, a->ymax, height, y_pixels_per_tick(a), false, &first, &step, &n);
    text_font(cr, STYLE_FONT_TICK, false);
    for (int i = 0; i < n; i++) {
        char label[64];
        format_tick(label, sizeof label, first + i * step, step);
        double w = text_width(cr, label);
        widest = w > widest ? w : widest;
    }
    return widest;
}

void axes_layout(cairo_t *cr, axes *a, const axes_labels *labels, double x, double y, double w, double h)
{
    text_font(cr, STYLE_FONT_TICK, false);
    double tick_line = text_line_height(cr);
    text_font(cr, STYLE_FONT_LABEL, false);
    double label_line = text_line_height(cr);
    text_font(cr, STYLE_FONT_TITLE, true);
    double title_line = labels && labels->title ? text_line_height(cr) + GAP : 0;

    double top = y + GAP + title_line;
    double bottom = GAP + label_line + GAP + tick_line + TICK_LENGTH;
    a->top = top;
    a->height = h - (top - y) - bottom;
    /* The tick labels depend on the height only, so measure them now. */
    double left = GAP + label_line + GAP + y_tick_label_width(cr, a, a->height) + TICK_LENGTH + 4;
    a->left = x + left;
    a->width = w - left - 2 * GAP;
}

double axes_x(const axes *a, double value)
{
    if (a->x_log)
        return a->left + (log10(value) - log10(a->xmin)) / (log10(a->xmax) - log10(a->xmin)) * a->width;
    return a->left + (value - a->xmin) / (a->xmax - a->xmin) * a->width;
}

/* The x ticks: "nice" steps, or on a log axis the powers of ten (with 2 and
 * 5 times them when the range spans fewer than three decades). */
static int x_ticks(const axes *a, double *values, int max, double *step)
{
    if (!a->x_log) {
        double first;
        int n;
        ticks(a->xmin, a->xmax, a->width, X_PIXELS_PER_TICK, a->x_integer, &first, step, &n);
        for (int i = 0; i < n && i < max; i++)
            values[i] = first + i * *step;
        return n < max ? n : max;
    }
    double lo = floor(log10(a->xmin)), hi = ceil(log10(a->xmax));
    bool minor = hi - lo <= 3;
    int n = 0;
    for (double e = lo; e <= hi && n < max; e++)
        for (int m = 0; m < (minor ? 3 : 1) && n < max; m++) {
            double v = pow(10, e) * (m == 0 ? 1 : m == 1 ? 2 : 5);
            if (v >= a->xmin * (1 - 1e-9) && v <= a->xmax * (1 + 1e-9))
                values[n++] = v;
        }
    *step = 0;
    return n;
}

static void format_x_tick(const axes *a, char *buf, size_t size, double value, double step)
{
    if (a->x_log)
        snprintf(buf, size, value >= 1e6 || value < 1e-3 ? "%.0e" : "%g", value);
    else
        format_tick(buf, size, value, step);
}

double axes_y(const axes *a, double value)
{
    return a->top + a->height - (value - a->ymin) / (a->ymax - a->ymin) * a->height;
}

void axes_draw_grid(cairo_t *cr, const axes *a)
{
    double first, step;
    int n;
    cairo_save(cr);
    style_set_colour(cr, STYLE_GRID);
    cairo_set_line_width(cr, 1);
    double xs[MAX_TICKS];
    n = x_ticks(a, xs, MAX_TICKS, &step);
    for (int i = 0; i < n; i++) {
        double px = round(axes_x(a, xs[i])) + 0.5; /* crisp one-pixel lines */
        cairo_move_to(cr, px, a->top);
        cairo_line_to(cr, px, a->top + a->height);
    }
    ticks(a->ymin, a->ymax, a->height, y_pixels_per_tick(a), false, &first, &step, &n);
    for (int i = 0; i < n; i++) {
        double py = round(axes_y(a, first + i * step)) + 0.5;
        cairo_move_to(cr, a->left, py);
        cairo_line_to(cr, a->left + a->width, py);
    }
    cairo_stroke(cr);
    cairo_restore(cr);
}

void axes_clip(cairo_t *cr, const axes *a)
{
    cairo_save(cr);
    cairo_rectangle(cr, a->left, a->top, a->width, a->height);
    cairo_clip(cr);
}

void axes_draw_frame(cairo_t *cr, const axes *a, const axes_labels *labels)
{
    double first, step;
    int n;
    char label[64];
    cairo_save(cr);
    style_set_colour(cr, STYLE_FRAME);
    cairo_set_line_width(cr, 1);
    cairo_rectangle(cr, round(a->left) + 0.5, round(a->top) + 0.5, round(a->width), round(a->height));
    cairo_stroke(cr);

    text_font(cr, STYLE_FONT_TICK, false);
    double bottom = a->top + a->height;
    double xs[MAX_TICKS];
    n = x_ticks(a, xs, MAX_TICKS, &step);
    for (int i = 0; i < n; i++) {
        double v = xs[i], px = round(axes_x(a, v)) + 0.5;
        style_set_colour(cr, STYLE_FRAME);
        cairo_move_to(cr, px, bottom);
        cairo_line_to(cr, px, bottom + TICK_LENGTH);
        cairo_stroke(cr);
        format_x_tick(a, label, sizeof label, v, step);
        style_set_colour(cr, STYLE_BLACK);
        text_draw(cr, px, bottom + TICK_LENGTH + 2, label, TEXT_CENTER, TEXT_START, 0);
    }
    double tick_line = text_line_height(cr);
    double widest = 0;
    ticks(a->ymin, a->ymax, a->height, y_pixels_per_tick(a), false, &first, &step, &n);
    for (int i = 0; i < n; i++) {
        double v = first + i * step, py = round(axes_y(a, v)) + 0.5;
        style_set_colour(cr, STYLE_FRAME);
        cairo_move_to(cr, a->left, py);
        cairo_line_to(cr, a->left - TICK_LENGTH, py);
        cairo_stroke(cr);
        format_tick(label, sizeof label, v, step);
        style_set_colour(cr, STYLE_BLACK);
        text_draw(cr, a->left - TICK_LENGTH - 4, py, label, TEXT_END, TEXT_CENTER, 0);
        double w = text_width(cr, label);
        widest = w > widest ? w : widest;
    }

    if (labels) {
        style_set_colour(cr, STYLE_BLACK);
        text_font(cr, STYLE_FONT_LABEL, false);
        if (labels->xlabel)
            text_draw(cr, a->left + a->width / 2, bottom + TICK_LENGTH + 2 + tick_line + GAP,
                      labels->xlabel, TEXT_CENTER, TEXT_START, 0);
        if (labels->ylabel)
            text_draw(cr, a->left - TICK_LENGTH - 4 - widest - GAP, a->top + a->height / 2,
                      labels->ylabel, TEXT_CENTER, TEXT_END, -M_PI / 2);
        text_font(cr, STYLE_FONT_TITLE, true);
        if (labels->title)
            text_draw(cr, a->left + a->width / 2, a->top - GAP, labels->title, TEXT_CENTER, TEXT_END, 0);
    }
    cairo_restore(cr);
}
