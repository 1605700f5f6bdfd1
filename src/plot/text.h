/* Text placed by an anchor point, with cairo's own font machinery
 * (fontconfig picks DejaVu Sans, or the closest font installed). */
#ifndef CLTRAIN_PLOT_TEXT_H
#define CLTRAIN_PLOT_TEXT_H

#include <cairo.h>
#include <stdbool.h>

typedef enum { TEXT_START, TEXT_CENTER, TEXT_END } text_align;

/* Select the figure font at `size` pixels. */
void text_font(cairo_t *cr, double size, bool bold);

/* Draw s so that (x, y) is at its horizontal `h` (start, centre, end) and
 * vertical `v` position (top, middle, bottom of the font's line box), then
 * rotated by `angle` radians about that point (-pi/2 reads bottom-up). */
void text_draw(cairo_t *cr, double x, double y, const char *s, text_align h, text_align v, double angle);

/* Draw s as text_draw does (upright), but never wider than max_width: a
 * string too wide is drawn in a smaller font, down to TEXT_FIT_SMALLEST of
 * the current size, and cut short with an ellipsis where even that is too
 * wide. Titles hold run and sweep names of any length, and a figure's width
 * is set by its data. Returns the width drawn. */
#define TEXT_FIT_SMALLEST 0.75
double text_draw_fitted(cairo_t *cr, double x, double y, const char *s, double max_width, text_align h,
                        text_align v);

/* Advance width of s in the current font. */
double text_width(cairo_t *cr, const char *s);

/* Height of a line of text (ascent + descent) in the current font. */
double text_line_height(cairo_t *cr);

#endif
