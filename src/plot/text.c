/* Anchored text (see text.h). */
#include "plot/text.h"

void text_font(cairo_t *cr, double size, bool bold)
{
    cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL,
                           bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, size);
}

double text_width(cairo_t *cr, const char *s)
{
    cairo_text_extents_t e;
    cairo_text_extents(cr, s, &e);
    return e.x_advance;
}

double text_line_height(cairo_t *cr)
{
    cairo_font_extents_t f;
    cairo_font_extents(cr, &f);
    return f.ascent + f.descent;
}

void text_draw(cairo_t *cr, double x, double y, const char *s, text_align h, text_align v, double angle)
{
    cairo_font_extents_t f;
    cairo_font_extents(cr, &f);
    /* Offsets from the anchor to the start of the baseline. Vertical
     * placement uses the font's extents rather than this string's, so
     * labels in a row share one baseline whatever letters they hold. */
    double dx = h == TEXT_START ? 0 : h == TEXT_CENTER ? -text_width(cr, s) / 2 : -text_width(cr, s);
    double dy = v == TEXT_START ? f.ascent : v == TEXT_CENTER ? (f.ascent - f.descent) / 2 : -f.descent;
    cairo_save(cr);
    cairo_translate(cr, x, y);
    cairo_rotate(cr, angle);
    cairo_move_to(cr, dx, dy);
    cairo_show_text(cr, s);
    cairo_restore(cr);
}
