/* Legend rows (see legend.h). */
#include "plot/legend.h"

#include "plot/style.h"
#include "plot/text.h"

#define SAMPLE_WIDTH 34.0 /* the line or marker sample */
#define SAMPLE_GAP 8.0    /* sample to label */
#define ENTRY_GAP 28.0    /* label to next sample */
#define ROW_GAP 6.0

static double entry_width(cairo_t *cr, const legend_entry *e)
{
    return SAMPLE_WIDTH + SAMPLE_GAP + text_width(cr, e->label);
}

/* Entries [start, end) fit one row; returns end and the row's width. */
static size_t row_end(cairo_t *cr, const legend_entry *entries, size_t n, size_t start, double max_width,
                      double *width)
{
    size_t end = start;
    *width = 0;
    while (end < n) {
        double w = entry_width(cr, &entries[end]) + (end > start ? ENTRY_GAP : 0);
        if (end > start && *width + w > max_width)
            break;
        *width += w;
        end++;
    }
    return end;
}

double legend_height(cairo_t *cr, const legend_entry *entries, size_t n, double max_width)
{
    text_font(cr, STYLE_FONT_LABEL, false);
    double line = text_line_height(cr), height = 0, width;
    for (size_t start = 0; start < n;) {
        start = row_end(cr, entries, n, start, max_width, &width);
        height += line + (height > 0 ? ROW_GAP : 0);
    }
    return height;
}

static void draw_sample(cairo_t *cr, const series_style *s, double x, double y)
{
    if (s->line != LINE_NONE) {
        cairo_save(cr);
        style_set_colour(cr, s->colour);
        cairo_set_line_width(cr, STYLE_LINE);
        marks_set_line(cr, s->line);
        cairo_move_to(cr, x, y);
        cairo_line_to(cr, x + SAMPLE_WIDTH, y);
        cairo_stroke(cr);
        cairo_restore(cr);
    }
    marks_draw(cr, s, x + SAMPLE_WIDTH / 2, y, s->hollow ? 15 : 9); /* a ring reads as one at ring size */
}

void legend_draw(cairo_t *cr, const legend_entry *entries, size_t n, double cx, double y, double max_width)
{
    text_font(cr, STYLE_FONT_LABEL, false);
    double line = text_line_height(cr), width;
    for (size_t start = 0; start < n;) {
        size_t end = row_end(cr, entries, n, start, max_width, &width);
        double x = cx - width / 2, mid = y + line / 2;
        for (size_t i = start; i < end; i++) {
            draw_sample(cr, &entries[i].style, x, mid);
            style_set_colour(cr, STYLE_BLACK);
            text_font(cr, STYLE_FONT_LABEL, false);
            text_draw(cr, x + SAMPLE_WIDTH + SAMPLE_GAP, mid, entries[i].label, TEXT_START, TEXT_CENTER, 0);
            x += entry_width(cr, &entries[i]) + ENTRY_GAP;
        }
        y += line + ROW_GAP;
        start = end;
    }
}
