/* Line styles and marker shapes (see marks.h). */
#include "plot/marks.h"

#include <math.h>
#include <stddef.h>

void marks_set_line(cairo_t *cr, line_style line)
{
    static const double dashed[] = {9, 5}, dotted[] = {2, 4};
    if (line == LINE_DASHED) {
        cairo_set_dash(cr, dashed, 2, 0);
    } else if (line == LINE_DOTTED) {
        cairo_set_dash(cr, dotted, 2, 0);
        cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
    } else {
        cairo_set_dash(cr, NULL, 0, 0);
    }
}

void marks_draw(cairo_t *cr, const series_style *style, double x, double y, double size)
{
    double r = size / 2;
    cairo_save(cr);
    cairo_new_path(cr);
    cairo_set_dash(cr, NULL, 0, 0);
    switch (style->mark) {
    case MARK_NONE:
        cairo_restore(cr);
        return;
    case MARK_CIRCLE:
        cairo_arc(cr, x, y, r, 0, 2 * M_PI);
        break;
    case MARK_TRIANGLE: /* same area as the circle, roughly */
        r *= 1.25;
        cairo_move_to(cr, x, y - r);
        cairo_line_to(cr, x + r * 0.866, y + r * 0.5);
        cairo_line_to(cr, x - r * 0.866, y + r * 0.5);
        cairo_close_path(cr);
        break;
    case MARK_SQUARE:
        r *= 0.9;
        cairo_rectangle(cr, x - r, y - r, 2 * r, 2 * r);
        break;
    case MARK_DIAMOND:
        r *= 1.2;
        cairo_move_to(cr, x, y - r);
        cairo_line_to(cr, x + r, y);
        cairo_line_to(cr, x, y + r);
        cairo_line_to(cr, x - r, y);
        cairo_close_path(cr);
        break;
    }
    if (!style->hollow) {
        style_set_colour_alpha(cr, style->colour, style->alpha > 0 ? style->alpha : 1);
        cairo_fill_preserve(cr);
    }
    style_set_colour(cr, style->colour);
    cairo_set_line_width(cr, style->hollow ? 2.5 : 1.25);
    cairo_stroke(cr);
    cairo_restore(cr);
}
