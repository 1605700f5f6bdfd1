/* Pixel arrays to cairo surfaces (see raster.h). */
#include "plot/raster.h"

#include <math.h>
#include <stdint.h>

#include "plot/style.h"

raster_view raster_packed(const float *data, size_t height, size_t width, size_t channels)
{
    return (raster_view){data, height, width, channels, width * channels, channels, 1};
}

static float value_at(const raster_view *v, size_t y, size_t x, size_t c)
{
    return v->data[y * v->row_stride + x * v->column_stride + c * v->channel_stride];
}

void raster_range(const raster_view *v, double *lo, double *hi)
{
    *lo = INFINITY;
    *hi = -INFINITY;
    for (size_t y = 0; y < v->height; y++)
        for (size_t x = 0; x < v->width; x++)
            for (size_t c = 0; c < v->channels; c++) {
                double value = value_at(v, y, x, c);
                if (isfinite(value)) {
                    *lo = value < *lo ? value : *lo;
                    *hi = value > *hi ? value : *hi;
                }
            }
    if (*lo > *hi)
        *lo = *hi = 0;
}

static double unit(double value, double lo, double hi)
{
    if (!(hi > lo))
        return 0.5;
    double t = (value - lo) / (hi - lo);
    return t < 0 ? 0 : t > 1 ? 1 : t;
}

static uint32_t argb(double r, double g, double b)
{
    return 0xff000000u | (uint32_t)lround(r * 255) << 16 | (uint32_t)lround(g * 255) << 8 |
           (uint32_t)lround(b * 255);
}

static uint32_t pixel(const raster_view *v, raster_colours colours, size_t y, size_t x, double lo, double hi)
{
    if (colours == RASTER_RGB) {
        double r = value_at(v, y, x, 0), g = value_at(v, y, x, 1), b = value_at(v, y, x, 2);
        if (isnan(r) || isnan(g) || isnan(b))
            return argb(1, 0, 1);
        return argb(unit(r, lo, hi), unit(g, lo, hi), unit(b, lo, hi));
    }
    double value = value_at(v, y, x, 0);
    if (isnan(value))
        return argb(1, 0, 1);
    double t = unit(value, lo, hi);
    if (colours == RASTER_GREY)
        return argb(t, t, t);
    style_rgb c = style_viridis(t);
    return argb(c.r, c.g, c.b);
}

ct_status raster_surface(const raster_view *v, raster_colours colours, double lo, double hi, int scale,
                         cairo_surface_t **out)
{
    if (scale < 1 || v->height == 0 || v->width == 0 || (colours == RASTER_RGB && v->channels < 3) ||
        v->channels < 1)
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "raster: cannot draw a %zux%zux%zu block at scale %d",
                       v->height, v->width, v->channels, scale);
    if (v->width > 16384 / (size_t)scale || v->height > 16384 / (size_t)scale)
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "raster: %zux%zu at scale %d is too large to draw", v->height,
                       v->width, scale);
    int w = (int)v->width * scale, h = (int)v->height * scale;
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h);
    if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) {
        cairo_surface_destroy(s);
        return ct_fail(CT_ERR_NO_MEMORY, "raster: cannot create a %dx%d image", w, h);
    }
    cairo_surface_flush(s);
    unsigned char *bytes = cairo_image_surface_get_data(s);
    int stride = cairo_image_surface_get_stride(s);
    for (int py = 0; py < h; py++) {
        uint32_t *row = (uint32_t *)(bytes + (size_t)py * (size_t)stride); /* >= 0 on a good surface */
        for (int px = 0; px < w; px++)
            row[px] = pixel(v, colours, (size_t)(py / scale), (size_t)(px / scale), lo, hi);
    }
    cairo_surface_mark_dirty(s);
    *out = s;
    return CT_OK;
}

void raster_paint(cairo_t *cr, cairo_surface_t *s, double x, double y)
{
    cairo_save(cr);
    cairo_set_source_surface(cr, s, x, y);
    cairo_paint(cr);
    style_set_colour(cr, STYLE_FRAME);
    cairo_set_line_width(cr, 1);
    cairo_rectangle(cr, x - 0.5, y - 0.5, cairo_image_surface_get_width(s) + 1,
                    cairo_image_surface_get_height(s) + 1);
    cairo_stroke(cr);
    cairo_restore(cr);
}
