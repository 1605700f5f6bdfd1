/* A legend laid out in rows (for a strip above or below the panels, where it
 * can never cover data). */
#ifndef CLTRAIN_PLOT_LEGEND_H
#define CLTRAIN_PLOT_LEGEND_H

#include <cairo.h>
#include <stddef.h>

#include "plot/marks.h"

typedef struct {
    const char *label;
    series_style style; /* line sample and/or marker */
} legend_entry;

/* Height of the legend when its rows are at most max_width wide. */
double legend_height(cairo_t *cr, const legend_entry *entries, size_t n, double max_width);

/* Draw it centred on cx, its first row's top at y. */
void legend_draw(cairo_t *cr, const legend_entry *entries, size_t n, double cx, double y, double max_width);

#endif
