/* A figure is a drawing function called once per output format: on an image
 * surface written as PNG, and on an SVG surface. Drawing code therefore
 * never knows which format it draws, and both files show the same picture. */
#ifndef CLTRAIN_PLOT_FIGURE_H
#define CLTRAIN_PLOT_FIGURE_H

#include <cairo.h>
#include <stdbool.h>

#include "cltrain/plot.h"

/* Draws the whole figure into cr, whose user space is width x height pixels
 * with a white background already painted. Returns CT_OK, or an error that
 * stops writing (cairo's own errors are checked by the caller). */
typedef ct_status (*figure_draw_fn)(cairo_t *cr, const void *data);

/* Write png_path (must end in ".png") and, unless options->no_svg, the same
 * name ending in ".svg", each atomically; report each file to
 * options->written. */
ct_status figure_write(const char *png_path, int width, int height, figure_draw_fn draw,
                       const void *data, const ct_plot_options *options);

/* Width of text in the figure font, for sizing a figure before drawing. */
double figure_text_width(const char *text, double size, bool bold);

/* The title (bold) and the subtitle under it, centred at the top of a figure
 * width pixels wide: the heading every figure but the history starts with. */
void figure_draw_heading(cairo_t *cr, double width, const char *title, const char *subtitle);

/* "dir/plots" created when missing; *out malloc'd. */
ct_status figure_plots_dir(const char *run_dir, char **out);

/* "dir/name" malloc'd into *out. */
ct_status figure_join(const char *dir, const char *name, char **out);

#endif
