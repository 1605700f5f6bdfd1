/* How a data series looks: colour, line style, marker shape. Two series
 * always differ in more than colour (see style.h). */
#ifndef CLTRAIN_PLOT_MARKS_H
#define CLTRAIN_PLOT_MARKS_H

#include <cairo.h>
#include <stdbool.h>

#include "plot/style.h"

typedef enum { MARK_NONE, MARK_CIRCLE, MARK_TRIANGLE, MARK_SQUARE, MARK_DIAMOND } mark_shape;
typedef enum { LINE_NONE, LINE_SOLID, LINE_DASHED, LINE_DOTTED } line_style;

typedef struct {
    style_rgb colour;
    line_style line;
    mark_shape mark;
    double alpha; /* of markers: below 1 lets dense scatters show their density */
    bool hollow;  /* a marker drawn as a thick outline only: a ring around a point to call it out */
} series_style;

/* Set the dash pattern for a line style (LINE_NONE: solid; don't stroke). */
void marks_set_line(cairo_t *cr, line_style line);

/* A marker of `size` pixels (about its width) centred at (x, y): filled in
 * the colour at alpha, outlined in the same colour opaque (hollow: the
 * outline alone, thicker). */
void marks_draw(cairo_t *cr, const series_style *style, double x, double y, double size);

#endif
