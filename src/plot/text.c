/* Anchored text (see text.h). */
#include "plot/text.h"

#include <stdio.h>
#include <string.h>

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

/* The longest start of s that, followed by an ellipsis, fits max_width; cut
 * between UTF-8 characters. */
static void ellipsize(cairo_t *cr, const char *s, double max_width, char *buf, size_t size)
{
    size_t len = strlen(s);
    if (len + sizeof "\u2026" > size)
        len = size - sizeof "\u2026";
    for (;;) {
        while (len > 0 && ((unsigned char)s[len] & 0xC0) == 0x80)
            len--; /* not inside a multi-byte character */
        snprintf(buf, size, "%.*s\u2026", (int)len, s);
        if (len == 0 || text_width(cr, buf) <= max_width)
            return;
        len--;
    }
}

double text_draw_fitted(cairo_t *cr, double x, double y, const char *s, double max_width, text_align h,
                        text_align v)
{
    double width = text_width(cr, s);
    if (width <= max_width || max_width <= 0) {
        text_draw(cr, x, y, s, h, v, 0);
        return width;
    }
    cairo_matrix_t m;
    cairo_get_font_matrix(cr, &m);
    double size = m.yy, smaller = size * max_width / width;
    cairo_save(cr);
    cairo_set_font_size(cr, smaller > size * TEXT_FIT_SMALLEST ? smaller : size * TEXT_FIT_SMALLEST);
    char buf[1024];
    const char *shown = s;
    if (text_width(cr, s) > max_width) {
        ellipsize(cr, s, max_width, buf, sizeof buf);
        shown = buf;
    }
    text_draw(cr, x, y, shown, h, v, 0);
    width = text_width(cr, shown);
    cairo_restore(cr);
    return width;
}
