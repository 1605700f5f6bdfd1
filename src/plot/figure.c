/* Writing figures: PNG through cairo's image surface, SVG through its SVG
 * surface, both streamed into an atomic file so that a crash leaves the
 * previous picture, never half of a new one. */
#include "plot/figure.h"

#include <cairo-svg.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cltrain/report.h"
#include "plot/style.h"
#include "plot/text.h"

ct_status figure_join(const char *dir, const char *name, char **out)
{
    size_t size = strlen(dir) + 1 + strlen(name) + 1;
    char *path = malloc(size);
    if (!path)
        return ct_fail(CT_ERR_NO_MEMORY, "out of memory joining %s and %s", dir, name);
    snprintf(path, size, "%s/%s", dir, name);
    *out = path;
    return CT_OK;
}

double figure_text_width(const char *text, double size, bool bold)
{
    /* A 1x1 scratch surface: text metrics do not depend on the target. */
    cairo_surface_t *scratch = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 1, 1);
    cairo_t *cr = cairo_create(scratch);
    text_font(cr, size, bold);
    double width = text_width(cr, text);
    cairo_destroy(cr);
    cairo_surface_destroy(scratch);
    return width;
}

/* Room left and right of a heading, so that it never touches the edge. */
#define HEADING_MARGIN 12

void figure_draw_heading(cairo_t *cr, double width, const char *title, const char *subtitle)
{
    style_set_colour(cr, STYLE_BLACK);
    text_font(cr, STYLE_FONT_FIGURE, true);
    text_draw_fitted(cr, width / 2, 12, title, width - 2 * HEADING_MARGIN, TEXT_CENTER, TEXT_START);
    text_font(cr, STYLE_FONT_LABEL, false);
    if (subtitle)
        text_draw_fitted(cr, width / 2, 44, subtitle, width - 2 * HEADING_MARGIN, TEXT_CENTER, TEXT_START);
}

ct_status figure_plots_dir(const char *run_dir, char **out)
{
    struct stat st;
    if (stat(run_dir, &st) != 0)
        return ct_fail(CT_ERR_IO, "run directory %s: %s", run_dir, strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return ct_fail(CT_ERR_IO, "%s: expected a run directory, found a file", run_dir);
    char *dir;
    CT_TRY(figure_join(run_dir, "plots", &dir));
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        ct_status s = ct_fail(CT_ERR_IO, "cannot create %s: %s", dir, strerror(errno));
        free(dir);
        return s;
    }
    *out = dir;
    return CT_OK;
}

static cairo_status_t write_to_stream(void *closure, const unsigned char *data, unsigned int length)
{
    return fwrite(data, 1, length, closure) == length ? CAIRO_STATUS_SUCCESS : CAIRO_STATUS_WRITE_ERROR;
}

/* White background, then the figure; cairo errors become ct_status. */
static ct_status draw_on(cairo_surface_t *surface, const char *path, figure_draw_fn draw, const void *data)
{
    cairo_t *cr = cairo_create(surface);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    cairo_set_source_rgb(cr, 0, 0, 0);
    ct_status s = draw(cr, data);
    cairo_status_t cs = cairo_status(cr);
    cairo_destroy(cr);
    if (s == CT_OK && cs != CAIRO_STATUS_SUCCESS)
        s = ct_fail(cs == CAIRO_STATUS_NO_MEMORY ? CT_ERR_NO_MEMORY : CT_ERR_INTERNAL,
                    "drawing %s: %s", path, cairo_status_to_string(cs));
    return s;
}

static ct_status write_png(const char *path, int width, int height, figure_draw_fn draw, const void *data)
{
    cairo_surface_t *surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, width, height);
    if (cairo_surface_status(surface) != CAIRO_STATUS_SUCCESS) {
        cairo_surface_destroy(surface);
        return ct_fail(CT_ERR_NO_MEMORY, "%s: cannot create a %dx%d image", path, width, height);
    }
    ct_status s = draw_on(surface, path, draw, data);
    ct_atomic_file *file = NULL;
    if (s == CT_OK)
        s = ct_atomic_open(path, &file);
    if (s == CT_OK) {
        cairo_status_t cs = cairo_surface_write_to_png_stream(surface, write_to_stream, ct_atomic_stream(file));
        if (cs != CAIRO_STATUS_SUCCESS) {
            ct_atomic_abort(file);
            s = ct_fail(CT_ERR_IO, "writing %s: %s", path, cairo_status_to_string(cs));
        } else {
            s = ct_atomic_commit(file);
        }
    }
    cairo_surface_destroy(surface);
    return s;
}

static ct_status write_svg(const char *path, int width, int height, figure_draw_fn draw, const void *data)
{
    ct_atomic_file *file;
    CT_TRY(ct_atomic_open(path, &file));
    cairo_surface_t *surface =
        cairo_svg_surface_create_for_stream(write_to_stream, ct_atomic_stream(file), width, height);
    ct_status s = CT_OK;
    if (cairo_surface_status(surface) != CAIRO_STATUS_SUCCESS)
        s = ct_fail(CT_ERR_NO_MEMORY, "%s: cannot create an SVG surface", path);
    if (s == CT_OK)
        s = draw_on(surface, path, draw, data);
    /* Finishing flushes the SVG document into the stream. */
    cairo_surface_finish(surface);
    cairo_status_t cs = cairo_surface_status(surface);
    cairo_surface_destroy(surface);
    if (s == CT_OK && cs != CAIRO_STATUS_SUCCESS)
        s = ct_fail(CT_ERR_IO, "writing %s: %s", path, cairo_status_to_string(cs));
    if (s != CT_OK) {
        ct_atomic_abort(file);
        return s;
    }
    return ct_atomic_commit(file);
}

static void report(const ct_plot_options *options, const char *path)
{
    if (options && options->written)
        options->written(path, options->user);
}

ct_status figure_write(const char *png_path, int width, int height, figure_draw_fn draw,
                       const void *data, const ct_plot_options *options)
{
    size_t len = strlen(png_path);
    if (len < 4 || strcmp(png_path + len - 4, ".png") != 0)
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "%s: a plot file name must end in .png", png_path);
    CT_TRY(write_png(png_path, width, height, draw, data));
    report(options, png_path);
    if (options && options->no_svg)
        return CT_OK;
    char *svg_path = malloc(len + 1);
    if (!svg_path)
        return ct_fail(CT_ERR_NO_MEMORY, "out of memory naming the SVG of %s", png_path);
    memcpy(svg_path, png_path, len - 3);
    memcpy(svg_path + len - 3, "svg", 4);
    ct_status s = write_svg(svg_path, width, height, draw, data);
    if (s == CT_OK)
        report(options, svg_path);
    free(svg_path);
    return s;
}
