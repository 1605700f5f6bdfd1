/* Cartesian axes in a rectangle of the figure: data-to-pixel mapping, "nice"
 * ticks (1, 2, 5 x 10^k), grid, frame, tick labels, axis labels and a panel
 * title. Drawing is split in two so data goes between the grid and the
 * frame:  axes_layout -> axes_draw_grid -> (data, clipped) -> axes_draw_frame. */
#ifndef CLTRAIN_PLOT_AXES_H
#define CLTRAIN_PLOT_AXES_H

#include <cairo.h>
#include <stdbool.h>

typedef struct {
    const char *title;  /* above the data area, may be NULL */
    const char *xlabel; /* with its unit: "epoch", "true sunshine (h)" */
    const char *ylabel;
} axes_labels;

typedef struct {
    /* In: the shown data range (see axes_pad_range) and tick style. */
    double xmin, xmax, ymin, ymax;
    bool x_integer;   /* ticks on whole numbers only (epochs) */
    bool equal_ticks; /* y ticks at x's spacing (equal scales, as in predicted vs true) */
    bool x_log;       /* x on a log scale (xmin > 0): ticks at 1, 10, 100 (and 2, 5 within a decade) */
    /* Out of axes_layout: the data area in pixels. */
    double left, top, width, height;
} axes;

/* Widen [*lo, *hi] by `fraction` of its length on each side so points do not
 * sit on the frame; an empty or single-valued range becomes a small one
 * around the value; NaN/Inf bounds become [0, 1]. */
void axes_pad_range(double *lo, double *hi, double fraction);

/* Place the data area inside the panel rectangle (x, y, w, h), leaving room
 * for the title, tick labels and axis labels (measured in cr's fonts). */
void axes_layout(cairo_t *cr, axes *a, const axes_labels *labels, double x, double y, double w, double h);

double axes_x(const axes *a, double value); /* pixel column of a data x */
double axes_y(const axes *a, double value); /* pixel row of a data y */

void axes_draw_grid(cairo_t *cr, const axes *a);
/* Clip to the data area (cairo_save inside; undo with cairo_restore). */
void axes_clip(cairo_t *cr, const axes *a);
void axes_draw_frame(cairo_t *cr, const axes *a, const axes_labels *labels);

#endif
