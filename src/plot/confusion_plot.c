/* The confusion matrix of the test split: rows are true classes, columns
 * predicted ones (as scikit-learn draws it), each cell coloured by its
 * count on the viridis scale and labelled with the count, so the numbers
 * are there for whoever cannot judge the colours. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "plot/figure.h"
#include "plot/plots.h"
#include "plot/style.h"
#include "plot/text.h"

#define MATRIX_SIZE 600.0 /* the cells, pixels (at most CELL_MAX per class) */
#define CELL_MAX 64.0
#define COUNTS_FROM_CELL 24.0 /* smaller cells get colour only */
#define MARGIN 14.0
#define COLOURBAR_WIDTH 22.0

typedef struct {
    const run_predictions *p;
    const run_summary *summary;
    size_t *counts; /* n_classes x n_classes, [true][predicted] */
    size_t max_count;
    char title[320], subtitle[160];
    double cell, name_width, left, top;
    int width, height;
} confusion_figure;

static double longest_name(cairo_t *cr, const confusion_figure *f)
{
    char buf[64];
    double widest = 0;
    text_font(cr, STYLE_FONT_TICK, false);
    for (size_t c = 0; c < f->p->n_classes; c++) {
        double w = text_width(cr, plot_class_name(f->summary, c, buf, sizeof buf));
        widest = w > widest ? w : widest;
    }
    return widest;
}

static void layout(cairo_t *cr, confusion_figure *f)
{
    double n = (double)f->p->n_classes; /* a count of CSV columns: exact in a double */
    f->cell = MATRIX_SIZE / n < CELL_MAX ? MATRIX_SIZE / n : CELL_MAX;
    f->name_width = longest_name(cr, f);
    text_font(cr, STYLE_FONT_LABEL, false);
    double label = text_line_height(cr);
    f->left = MARGIN + label + MARGIN + f->name_width + 8;
    f->top = 84;
    double matrix = f->cell * n;
    /* x names are rotated by 45 degrees: they reach name_width * sin 45 down. */
    double below = 8 + f->name_width * 0.7072 + 14 + MARGIN + label + MARGIN;
    f->width = (int)ceil(f->left + matrix + 28 + COLOURBAR_WIDTH + 70);
    f->height = (int)ceil(f->top + matrix + below);
    /* The title must fit too. */
    text_font(cr, STYLE_FONT_FIGURE, true);
    double title = text_width(cr, f->title) + 2 * MARGIN;
    f->width = title > f->width ? (int)ceil(title) : f->width;
}

static void draw_cells(cairo_t *cr, const confusion_figure *f)
{
    size_t n = f->p->n_classes;
    double font = f->cell < 40 ? STYLE_FONT_TICK * f->cell / 40 : STYLE_FONT_TICK;
    text_font(cr, font, false);
    for (size_t t = 0; t < n; t++)
        for (size_t p = 0; p < n; p++) {
            size_t count = f->counts[t * n + p];
            style_rgb colour = style_viridis(f->max_count ? (double)count / (double)f->max_count : 0);
            double x = f->left + (double)p * f->cell, y = f->top + (double)t * f->cell;
            style_set_colour(cr, colour);
            cairo_rectangle(cr, x, y, f->cell, f->cell);
            cairo_fill(cr);
            if (f->cell >= COUNTS_FROM_CELL) {
                char text[32];
                snprintf(text, sizeof text, "%zu", count);
                style_set_colour(cr, style_text_on(colour));
                text_draw(cr, x + f->cell / 2, y + f->cell / 2, text, TEXT_CENTER, TEXT_CENTER, 0);
            }
        }
    style_set_colour(cr, STYLE_FRAME);
    cairo_set_line_width(cr, 1);
    cairo_rectangle(cr, f->left, f->top, f->cell * (double)n, f->cell * (double)n);
    cairo_stroke(cr);
}

static void draw_names(cairo_t *cr, const confusion_figure *f)
{
    size_t n = f->p->n_classes;
    double matrix = f->cell * (double)n;
    char buf[64];
    style_set_colour(cr, STYLE_BLACK);
    text_font(cr, STYLE_FONT_TICK, false);
    for (size_t c = 0; c < n; c++) {
        const char *name = plot_class_name(f->summary, c, buf, sizeof buf);
        double mid = ((double)c + 0.5) * f->cell;
        text_draw(cr, f->left - 8, f->top + mid, name, TEXT_END, TEXT_CENTER, 0);
        /* Rotated so long names ("automobile") do not run into each other;
         * the end of each name sits under its column. */
        text_draw(cr, f->left + mid + 4, f->top + matrix + 8, name, TEXT_END, TEXT_CENTER, -M_PI / 4);
    }
    text_font(cr, STYLE_FONT_LABEL, false);
    double label = text_line_height(cr);
    text_draw(cr, f->left + matrix / 2, f->height - MARGIN - label, "predicted class", TEXT_CENTER, TEXT_START,
              0);
    text_draw(cr, MARGIN, f->top + matrix / 2, "true class", TEXT_CENTER, TEXT_START, -M_PI / 2);
}

static void draw_colourbar(cairo_t *cr, const confusion_figure *f)
{
    double matrix = f->cell * (double)f->p->n_classes;
    double x = f->left + matrix + 28;
    cairo_pattern_t *gradient = cairo_pattern_create_linear(0, f->top + matrix, 0, f->top);
    for (int i = 0; i <= 10; i++) {
        style_rgb c = style_viridis(i / 10.0);
        cairo_pattern_add_color_stop_rgb(gradient, i / 10.0, c.r, c.g, c.b);
    }
    cairo_set_source(cr, gradient);
    cairo_rectangle(cr, x, f->top, COLOURBAR_WIDTH, matrix);
    cairo_fill(cr);
    cairo_pattern_destroy(gradient);
    style_set_colour(cr, STYLE_FRAME);
    cairo_set_line_width(cr, 1);
    cairo_rectangle(cr, x, f->top, COLOURBAR_WIDTH, matrix);
    cairo_stroke(cr);

    /* Ticks at 0, max/2 and max: counts are whole numbers, and three labels
     * are enough to read the scale. */
    text_font(cr, STYLE_FONT_TICK, false);
    size_t marks[3] = {0, f->max_count / 2, f->max_count};
    for (int i = 0; i < 3; i++) {
        double y = f->top + matrix - (f->max_count ? (double)marks[i] / (double)f->max_count : i / 2.0) * matrix;
        char text[32];
        snprintf(text, sizeof text, "%zu", marks[i]);
        style_set_colour(cr, STYLE_FRAME);
        cairo_move_to(cr, x + COLOURBAR_WIDTH, y);
        cairo_line_to(cr, x + COLOURBAR_WIDTH + 5, y);
        cairo_stroke(cr);
        style_set_colour(cr, STYLE_BLACK);
        text_draw(cr, x + COLOURBAR_WIDTH + 8, y, text, TEXT_START, TEXT_CENTER, 0);
    }
    text_draw(cr, x + COLOURBAR_WIDTH / 2, f->top - 8, "count", TEXT_CENTER, TEXT_END, 0);
}

static ct_status draw_confusion(cairo_t *cr, const void *data)
{
    const confusion_figure *f = data;
    figure_draw_heading(cr, f->width, f->title, f->subtitle);
    draw_cells(cr, f);
    draw_names(cr, f);
    draw_colourbar(cr, f);
    return CT_OK;
}

ct_status plot_confusion_matrix(const run_predictions *p, const run_summary *summary, const run_labels *labels,
                                const char *title, const char *png_path, const ct_plot_options *options)
{
    if (!p->classification || p->n_classes == 0)
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "%s: a confusion matrix needs class predictions", png_path);
    size_t n = p->n_classes;
    confusion_figure f = {.p = p, .summary = summary};
    f.counts = calloc(n * n, sizeof *f.counts);
    if (!f.counts)
        return ct_fail(CT_ERR_NO_MEMORY, "%s: out of memory", png_path);
    size_t correct = 0;
    for (size_t i = 0; i < p->n; i++) {
        size_t t = (size_t)p->truth[i], q = (size_t)p->predicted[i]; /* checked when read */
        size_t count = ++f.counts[t * n + q];
        f.max_count = count > f.max_count ? count : f.max_count;
        correct += t == q;
    }
    snprintf(f.title, sizeof f.title, "%s: confusion matrix", title);
    snprintf(f.subtitle, sizeof f.subtitle, "test split: %zu %s, accuracy %.3f", p->n,
             labels->images ? "images" : "samples", p->n ? (double)correct / (double)p->n : 0.0);

    cairo_surface_t *scratch = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 1, 1);
    cairo_t *cr = cairo_create(scratch);
    layout(cr, &f);
    cairo_destroy(cr);
    cairo_surface_destroy(scratch);

    ct_status s = figure_write(png_path, f.width, f.height, draw_confusion, &f, options);
    free(f.counts);
    return s;
}
