/* The first test images in a 5x5 grid, as the workshop showed CIFAR-10,
 * each captioned with its true class and the model's prediction. Right and
 * wrong differ by a mark (a tick or a cross) as well as by colour. */
#include <stdio.h>
#include <string.h>

#include "plot/figure.h"
#include "plot/plots.h"
#include "plot/raster.h"
#include "plot/style.h"
#include "plot/text.h"

#define GRID 5
#define IMAGE_PIXELS 128.0 /* each image is enlarged to about this */
#define CELL_WIDTH 168.0
#define CAPTION 46.0       /* two lines under each image */
#define CELL_GAP 14.0
#define TITLE_HEIGHT 84.0
#define MARGIN 16.0

typedef struct {
    const float *images;
    size_t n, height, width, channels;
    const run_predictions *p;
    const run_summary *summary;
    char title[320], subtitle[256];
    int scale;
    double cell_height;
    int figure_width, figure_height;
} samples_figure;

static ct_status draw_image(cairo_t *cr, const samples_figure *f, size_t i, double x, double y)
{
    size_t size = f->height * f->width * f->channels;
    raster_view v = raster_packed(f->images + i * size, f->height, f->width, f->channels);
    /* Pixels are in [0, 1] when the experiment scales them (the default),
     * else in [0, 255]. */
    double lo, hi;
    raster_range(&v, &lo, &hi);
    hi = hi > 1.5 ? 255 : 1;
    cairo_surface_t *s;
    CT_TRY(raster_surface(&v, f->channels >= 3 ? RASTER_RGB : RASTER_GREY, 0, hi, f->scale, &s));
    raster_paint(cr, s, x, y);
    cairo_surface_destroy(s);
    return CT_OK;
}

static void draw_caption(cairo_t *cr, const samples_figure *f, size_t i, double cx, double y)
{
    char truth[64], predicted[64], line[160];
    size_t t = (size_t)f->p->truth[i], q = (size_t)f->p->predicted[i];
    text_font(cr, STYLE_FONT_TICK, false);
    style_set_colour(cr, STYLE_BLACK);
    snprintf(line, sizeof line, "true: %s", plot_class_name(f->summary, t, truth, sizeof truth));
    text_draw(cr, cx, y, line, TEXT_CENTER, TEXT_START, 0);
    snprintf(line, sizeof line, "%s %s", t == q ? "\u2713" : "\u2717",
             plot_class_name(f->summary, q, predicted, sizeof predicted));
    text_font(cr, STYLE_FONT_TICK, t != q);
    style_set_colour(cr, t == q ? STYLE_BLUE : STYLE_VERMILLION);
    text_draw(cr, cx, y + CAPTION / 2, line, TEXT_CENTER, TEXT_START, 0);
}

static ct_status draw_samples(cairo_t *cr, const void *data)
{
    const samples_figure *f = data;
    figure_draw_heading(cr, f->figure_width, f->title, f->subtitle);
    double image_width = (double)f->width * f->scale;
    for (size_t i = 0; i < f->n; i++) {
        size_t row = i / GRID, column = i % GRID;
        double x = MARGIN + (double)column * CELL_WIDTH, y = TITLE_HEIGHT + (double)row * f->cell_height;
        CT_TRY(draw_image(cr, f, i, x + (CELL_WIDTH - image_width) / 2, y));
        draw_caption(cr, f, i, x + CELL_WIDTH / 2, y + (double)f->height * f->scale + 6);
    }
    return CT_OK;
}

ct_status plot_test_samples(const float *images, size_t n, size_t height, size_t width, size_t channels,
                            const run_predictions *p, const run_summary *summary, const char *title,
                            const char *png_path, const ct_plot_options *options)
{
    if (!p->classification)
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "%s: sample captions need class predictions", png_path);
    if (n > GRID * GRID)
        n = GRID * GRID;
    if (n > p->n)
        return ct_fail(CT_ERR_PARSE, "%s: %zu test images but only %zu predictions: the files are not "
                       "from the same run", png_path, n, p->n);
    samples_figure f = {.images = images, .n = n, .height = height, .width = width, .channels = channels,
                        .p = p, .summary = summary};
    size_t longer = height > width ? height : width;
    f.scale = (double)longer >= IMAGE_PIXELS ? 1 : (int)(IMAGE_PIXELS / (double)longer);
    f.cell_height = (double)height * f.scale + 8 + CAPTION + CELL_GAP;
    size_t correct = 0;
    for (size_t i = 0; i < n; i++)
        correct += p->truth[i] == p->predicted[i];
    snprintf(f.title, sizeof f.title, "%s: test images", title);
    snprintf(f.subtitle, sizeof f.subtitle,
             "first %zu test images: true class, then prediction (\u2713 right: %zu, \u2717 wrong: %zu)", n,
             correct, n - correct);
    size_t rows = (n + GRID - 1) / GRID;
    f.figure_width = (int)(2 * MARGIN + GRID * CELL_WIDTH);
    f.figure_height = (int)(TITLE_HEIGHT + (double)rows * f.cell_height + MARGIN);
    return figure_write(png_path, f.figure_width, f.figure_height, draw_samples, &f, options);
}

const char *plot_class_name(const run_summary *summary, size_t id, char *buf, size_t size)
{
    if (summary && id < summary->n_class_names)
        return summary->class_names[id];
    snprintf(buf, size, "class %zu", id);
    return buf;
}
