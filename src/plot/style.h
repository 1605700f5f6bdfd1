/* The look shared by every figure: colours, fonts, line widths.
 *
 * Colours are the Okabe-Ito palette, chosen to stay distinguishable with
 * the common colour-vision deficiencies; series that must be told apart
 * also differ in line style or marker shape, so a greyscale print still
 * works. Continuous scales use viridis (perceptually uniform, colour-blind
 * safe, readable in greyscale). Sizes are in pixels of the PNG. */
#ifndef CLTRAIN_PLOT_STYLE_H
#define CLTRAIN_PLOT_STYLE_H

#include <cairo.h>

typedef struct {
    double r, g, b;
} style_rgb;

/* Brace initialisers, for static tables of styles. */
#define STYLE_HEX(v) {((v) >> 16 & 0xff) / 255.0, ((v) >> 8 & 0xff) / 255.0, ((v)&0xff) / 255.0}
#define OKABE_BLACK STYLE_HEX(0x000000)
#define OKABE_ORANGE STYLE_HEX(0xE69F00)
#define OKABE_SKY_BLUE STYLE_HEX(0x56B4E9)
#define OKABE_GREEN STYLE_HEX(0x009E73) /* "bluish green" */
#define OKABE_YELLOW STYLE_HEX(0xF0E442)
#define OKABE_BLUE STYLE_HEX(0x0072B2)
#define OKABE_VERMILLION STYLE_HEX(0xD55E00)
#define OKABE_PURPLE STYLE_HEX(0xCC79A7) /* "reddish purple" */

/* Okabe-Ito, as values */
extern const style_rgb STYLE_BLACK, STYLE_ORANGE, STYLE_SKY_BLUE, STYLE_GREEN, STYLE_YELLOW,
    STYLE_BLUE, STYLE_VERMILLION, STYLE_PURPLE;
/* Greys for grid lines, frames and secondary text. */
extern const style_rgb STYLE_GRID, STYLE_FRAME, STYLE_MUTED;

#define STYLE_FONT_TICK 15.0      /* tick labels, cell counts, image captions */
#define STYLE_FONT_LABEL 17.0     /* axis labels, legend */
#define STYLE_FONT_TITLE 19.0     /* panel titles */
#define STYLE_FONT_FIGURE 21.0    /* the figure's title */
#define STYLE_LINE 2.25           /* data lines */

void style_set_colour(cairo_t *cr, style_rgb c);
void style_set_colour_alpha(cairo_t *cr, style_rgb c, double alpha);

/* viridis at t in [0, 1] (clamped). */
style_rgb style_viridis(double t);

/* Black or white, whichever reads better on a background of colour c. */
style_rgb style_text_on(style_rgb c);

#endif
