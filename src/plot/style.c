/* Colours of the figures (see style.h for why these). */
#include "plot/style.h"

#include <math.h>

#define HEX STYLE_HEX

const style_rgb STYLE_BLACK = OKABE_BLACK, STYLE_ORANGE = OKABE_ORANGE, STYLE_SKY_BLUE = OKABE_SKY_BLUE,
                STYLE_GREEN = OKABE_GREEN, STYLE_YELLOW = OKABE_YELLOW, STYLE_BLUE = OKABE_BLUE,
                STYLE_VERMILLION = OKABE_VERMILLION, STYLE_PURPLE = OKABE_PURPLE;
const style_rgb STYLE_GRID = HEX(0xE3E3E3), STYLE_FRAME = HEX(0x555555), STYLE_MUTED = HEX(0x444444);

void style_set_colour(cairo_t *cr, style_rgb c)
{
    cairo_set_source_rgb(cr, c.r, c.g, c.b);
}

void style_set_colour_alpha(cairo_t *cr, style_rgb c, double alpha)
{
    cairo_set_source_rgba(cr, c.r, c.g, c.b, alpha);
}

/* matplotlib's viridis sampled at t = 0, 0.1, ..., 1; linear in between is
 * within a shade of the full table. */
static const style_rgb viridis_stops[] = {
    HEX(0x440154), HEX(0x482475), HEX(0x414487), HEX(0x355F8D), HEX(0x2A788E), HEX(0x21918C),
    HEX(0x22A884), HEX(0x44BF70), HEX(0x7AD151), HEX(0xBDDF26), HEX(0xFDE725),
};

style_rgb style_viridis(double t)
{
    const int last = (int)(sizeof viridis_stops / sizeof viridis_stops[0]) - 1;
    if (!(t > 0)) /* also NaN */
        return viridis_stops[0];
    if (t >= 1)
        return viridis_stops[last];
    double pos = t * last;
    int i = (int)floor(pos);
    double f = pos - i;
    style_rgb a = viridis_stops[i], b = viridis_stops[i + 1];
    return (style_rgb){a.r + f * (b.r - a.r), a.g + f * (b.g - a.g), a.b + f * (b.b - a.b)};
}

style_rgb style_text_on(style_rgb c)
{
    /* Relative luminance (sRGB weights, without linearising: good enough to
     * pick between black and white). */
    double luminance = 0.2126 * c.r + 0.7152 * c.g + 0.0722 * c.b;
    return luminance > 0.5 ? STYLE_BLACK : (style_rgb){1, 1, 1};
}
