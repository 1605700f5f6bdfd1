/* Pixel arrays (images, filters, feature maps) as cairo image surfaces,
 * enlarged by whole-pixel nearest neighbour so a 3x3 filter shows as nine
 * clear squares. The enlargement is done here rather than by cairo's
 * pattern filter so the SVG embeds the same crisp picture as the PNG. */
#ifndef CLTRAIN_PLOT_RASTER_H
#define CLTRAIN_PLOT_RASTER_H

#include <cairo.h>
#include <stddef.h>

#include "cltrain/status.h"

typedef enum {
    RASTER_RGB,     /* 3 channels as red, green, blue */
    RASTER_GREY,    /* channel 0 as grey */
    RASTER_VIRIDIS, /* channel 0 through the viridis scale */
} raster_colours;

/* A height x width x channels block anywhere in memory: value (y, x, c) is
 * data[y * row_stride + x * column_stride + c * channel_stride]. Strides let
 * one filter of a Keras kernel (KH, KW, Cin, Cout) be viewed in place. */
typedef struct {
    const float *data;
    size_t height, width, channels;
    size_t row_stride, column_stride, channel_stride;
} raster_view;

/* A packed HWC view. */
raster_view raster_packed(const float *data, size_t height, size_t width, size_t channels);

/* Smallest and largest finite value over all channels (0, 0 when none). */
void raster_range(const raster_view *v, double *lo, double *hi);

/* A new surface of (width*scale) x (height*scale) with values mapped from
 * [lo, hi] to full brightness (clamped; lo == hi gives mid grey; NaN shows
 * as magenta so it cannot pass for data). Release with
 * cairo_surface_destroy. */
ct_status raster_surface(const raster_view *v, raster_colours colours, double lo, double hi, int scale,
                         cairo_surface_t **out);

/* Paint s with its top-left corner at (x, y), and a thin frame around it. */
void raster_paint(cairo_t *cr, cairo_surface_t *s, double x, double y);

#endif
