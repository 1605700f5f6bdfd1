/* The training history figure: a panel per quantity (loss first, then each
 * metric), training and validation curves, the best epoch and the epoch
 * where early stopping fired as vertical lines through every panel. The
 * legend sits in a strip below the panels, where it cannot hide a curve.
 *
 * Epochs are shown counted from 1, as the run prints them while training
 * ("Epoch 20/200 ... stopped at epoch 30"), so the picture and the console
 * agree; history.csv and summary.yaml count from 0, as Keras' CSVLogger
 * does, hence the + 1 wherever an epoch is drawn or named. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plot/axes.h"
#include "plot/figure.h"
#include "plot/legend.h"
#include "plot/plots.h"
#include "plot/quantity.h"
#include "plot/style.h"
#include "plot/text.h"

#define PANEL_WIDTH 620
#define PANEL_HEIGHT 440
#define MAX_COLUMNS 3      /* panels per row */
#define TITLE_HEIGHT 46
#define MARKERS_UP_TO 40   /* epochs; above that, markers would merge into a band */
#define NO_COLUMN ((size_t)-1)

typedef struct {
    size_t train, validation; /* history columns; validation may be NO_COLUMN */
    quantity_labels labels;
} panel;

typedef struct {
    const ct_history *history;
    const char *title;
    panel *panels;
    size_t n_panels;
    int columns, rows;
    int best_epoch, stopped_epoch; /* -1: not marked */
    bool has_validation;
    char best_label[96], stop_label[96];
    legend_entry legend[4];
    size_t n_legend;
    double legend_height;
} history_figure;

static const series_style TRAIN_STYLE = {.colour = OKABE_BLUE, .line = LINE_SOLID, .mark = MARK_CIRCLE};
static const series_style VALIDATION_STYLE = {.colour = OKABE_VERMILLION, .line = LINE_DASHED,
                                              .mark = MARK_SQUARE};
static const series_style BEST_STYLE = {.colour = OKABE_GREEN, .line = LINE_DASHED, .mark = MARK_DIAMOND};
static const series_style STOP_STYLE = {.colour = OKABE_PURPLE, .line = LINE_DOTTED};

/* history.csv's 0-based epoch as the run printed it (see the top). */
static int shown_epoch(int epoch)
{
    return epoch + 1;
}

/* Smallest and largest finite value of one column. */
static void series_range(const ct_history *h, size_t column, double *lo, double *hi)
{
    for (size_t r = 0; r < ct_history_rows(h); r++) {
        double v = ct_history_value(h, r, column);
        if (isfinite(v)) {
            *lo = v < *lo ? v : *lo;
            *hi = v > *hi ? v : *hi;
        }
    }
}

static void draw_series(cairo_t *cr, const axes *a, const ct_history *h, size_t column, const series_style *s)
{
    size_t rows = ct_history_rows(h);
    cairo_save(cr);
    style_set_colour(cr, s->colour);
    cairo_set_line_width(cr, STYLE_LINE);
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
    marks_set_line(cr, s->line);
    bool drawing = false;
    for (size_t r = 0; r < rows; r++) {
        double v = ct_history_value(h, r, column);
        if (!isfinite(v)) { /* a NaN epoch breaks the line instead of bending it */
            drawing = false;
            continue;
        }
        double x = axes_x(a, shown_epoch(ct_history_epoch(h, r))), y = axes_y(a, v);
        if (drawing)
            cairo_line_to(cr, x, y);
        else
            cairo_move_to(cr, x, y);
        drawing = true;
    }
    cairo_stroke(cr);
    cairo_restore(cr);
    if (rows <= MARKERS_UP_TO)
        for (size_t r = 0; r < rows; r++) {
            double v = ct_history_value(h, r, column);
            if (isfinite(v))
                marks_draw(cr, s, axes_x(a, shown_epoch(ct_history_epoch(h, r))), axes_y(a, v), 7);
        }
}

static void draw_epoch_line(cairo_t *cr, const axes *a, int epoch, const series_style *s)
{
    cairo_save(cr);
    style_set_colour(cr, s->colour);
    cairo_set_line_width(cr, s->line == LINE_DOTTED ? 3 : 2); /* dots need weight to be seen */
    marks_set_line(cr, s->line);
    double x = axes_x(a, shown_epoch(epoch));
    cairo_move_to(cr, x, a->top);
    cairo_line_to(cr, x, a->top + a->height);
    cairo_stroke(cr);
    cairo_restore(cr);
}

/* Value of a column at an epoch, NaN when that epoch is not in the history. */
static double value_at_epoch(const ct_history *h, size_t column, int epoch)
{
    for (size_t r = 0; r < ct_history_rows(h); r++)
        if (ct_history_epoch(h, r) == epoch)
            return ct_history_value(h, r, column);
    return NAN;
}

static void draw_panel(cairo_t *cr, const history_figure *f, const panel *p, double x, double y)
{
    const ct_history *h = f->history;
    size_t rows = ct_history_rows(h);
    axes a = {.xmin = shown_epoch(ct_history_epoch(h, 0)), .xmax = shown_epoch(ct_history_epoch(h, rows - 1)),
              .x_integer = true,
              .ymin = INFINITY, .ymax = -INFINITY};
    axes_pad_range(&a.xmin, &a.xmax, 0.03);
    series_range(h, p->train, &a.ymin, &a.ymax);
    if (p->validation != NO_COLUMN)
        series_range(h, p->validation, &a.ymin, &a.ymax);
    axes_pad_range(&a.ymin, &a.ymax, 0.06);
    axes_labels labels = {.title = p->labels.title, .xlabel = "epoch", .ylabel = p->labels.ylabel};
    axes_layout(cr, &a, &labels, x, y, PANEL_WIDTH, PANEL_HEIGHT);
    axes_draw_grid(cr, &a);

    axes_clip(cr, &a);
    if (f->stopped_epoch >= 0)
        draw_epoch_line(cr, &a, f->stopped_epoch, &STOP_STYLE);
    if (f->best_epoch >= 0)
        draw_epoch_line(cr, &a, f->best_epoch, &BEST_STYLE);
    draw_series(cr, &a, h, p->train, &TRAIN_STYLE);
    if (p->validation != NO_COLUMN)
        draw_series(cr, &a, h, p->validation, &VALIDATION_STYLE);
    if (f->best_epoch >= 0) {
        /* The best model is judged on validation data when there is some. */
        size_t column = p->validation != NO_COLUMN ? p->validation : p->train;
        double v = value_at_epoch(h, column, f->best_epoch);
        if (isfinite(v))
            marks_draw(cr, &BEST_STYLE, axes_x(&a, shown_epoch(f->best_epoch)), axes_y(&a, v), 14);
    }
    cairo_restore(cr);
    axes_draw_frame(cr, &a, &labels);
}

static ct_status draw_history(cairo_t *cr, const void *data)
{
    const history_figure *f = data;
    double width = f->columns * PANEL_WIDTH;
    style_set_colour(cr, STYLE_BLACK);
    text_font(cr, STYLE_FONT_FIGURE, true);
    text_draw_fitted(cr, width / 2, TITLE_HEIGHT / 2.0, f->title, width - 24, TEXT_CENTER, TEXT_CENTER);
    size_t columns = (size_t)f->columns; /* 1 to MAX_COLUMNS */
    for (size_t i = 0; i < f->n_panels; i++) {
        size_t row = i / columns, column = i % columns;
        draw_panel(cr, f, &f->panels[i], (double)column * PANEL_WIDTH, TITLE_HEIGHT + (double)row * PANEL_HEIGHT);
    }
    legend_draw(cr, f->legend, f->n_legend, width / 2, TITLE_HEIGHT + f->rows * PANEL_HEIGHT + 6, width - 20);
    return CT_OK;
}

/* Panels: every column that is neither "val_*" nor "seconds", loss first
 * (it is first in Keras' order), each with its "val_" twin when present. */
static ct_status make_panels(history_figure *f, const run_labels *labels)
{
    const ct_history *h = f->history;
    size_t n = ct_history_columns(h);
    f->panels = calloc(n ? n : 1, sizeof *f->panels);
    if (!f->panels)
        return ct_fail(CT_ERR_NO_MEMORY, "drawing the history: out of memory");
    for (size_t c = 0; c < n; c++) {
        const char *name = ct_history_column_name(h, c);
        if (!strncmp(name, "val_", 4) || !strcmp(name, "seconds"))
            continue;
        panel *p = &f->panels[f->n_panels++];
        p->train = c;
        p->validation = NO_COLUMN;
        char val_name[256];
        snprintf(val_name, sizeof val_name, "val_%s", name);
        for (size_t v = 0; v < n; v++)
            if (!strcmp(ct_history_column_name(h, v), val_name))
                p->validation = v;
        f->has_validation |= p->validation != NO_COLUMN;
        quantity_describe(name, labels, &p->labels);
    }
    return CT_OK;
}

/* The best epoch from summary.yaml, else the lowest val_loss (or loss), as
 * early stopping's default monitor would pick it. */
static int best_epoch(const ct_history *h, const run_summary *summary, bool has_validation)
{
    if (summary->best_epoch >= 0)
        return summary->best_epoch;
    int epoch;
    double value;
    if (ct_history_best(h, has_validation ? "val_loss" : "loss", CT_MODE_AUTO, &epoch, &value) == CT_OK)
        return epoch;
    ct_clear_error();
    return -1;
}

static void make_legend(history_figure *f)
{
    f->legend[f->n_legend++] = (legend_entry){"training", TRAIN_STYLE};
    if (f->has_validation)
        f->legend[f->n_legend++] = (legend_entry){"validation", VALIDATION_STYLE};
    if (f->best_epoch >= 0) {
        snprintf(f->best_label, sizeof f->best_label, "best epoch (%d)", shown_epoch(f->best_epoch));
        f->legend[f->n_legend++] = (legend_entry){f->best_label, BEST_STYLE};
    }
    if (f->stopped_epoch >= 0) {
        snprintf(f->stop_label, sizeof f->stop_label, "early stopping (after epoch %d)",
                 shown_epoch(f->stopped_epoch));
        f->legend[f->n_legend++] = (legend_entry){f->stop_label, STOP_STYLE};
    }
}

ct_status plot_history(const ct_history *history, const run_summary *summary, const run_labels *labels,
                       const char *title, const char *png_path, const ct_plot_options *options)
{
    if (ct_history_rows(history) == 0)
        return ct_fail(CT_ERR_PARSE, "%s: the history has no epochs yet: nothing to plot",
                       png_path);
    history_figure f = {.history = history, .stopped_epoch = summary->stopped_epoch};
    char full_title[512];
    snprintf(full_title, sizeof full_title, "%s: training history", title);
    f.title = full_title;
    CT_TRY(make_panels(&f, labels));
    if (f.n_panels == 0) {
        free(f.panels);
        return ct_fail(CT_ERR_PARSE, "%s: the history has no loss or metric column to plot", png_path);
    }
    f.best_epoch = best_epoch(history, summary, f.has_validation);
    make_legend(&f);
    f.columns = f.n_panels < MAX_COLUMNS ? (int)f.n_panels : MAX_COLUMNS;
    f.rows = (int)((f.n_panels + MAX_COLUMNS - 1) / MAX_COLUMNS);

    /* The legend's height depends on the font, so measure it on a scratch
     * surface before sizing the figure. */
    cairo_surface_t *scratch = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 1, 1);
    cairo_t *cr = cairo_create(scratch);
    f.legend_height = legend_height(cr, f.legend, f.n_legend, f.columns * PANEL_WIDTH - 20);
    cairo_destroy(cr);
    cairo_surface_destroy(scratch);

    int height = (int)ceil(TITLE_HEIGHT + f.rows * PANEL_HEIGHT + f.legend_height + 20);
    ct_status s = figure_write(png_path, f.columns * PANEL_WIDTH, height, draw_history, &f, options);
    free(f.panels);
    return s;
}
