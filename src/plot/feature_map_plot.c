/* One conv layer's feature maps for one image: the input as the model saw
 * it on the left, then one tile per output channel on the viridis scale
 * (dark low, bright high), each scaled to its own range so weak channels
 * still show their pattern. A channel that is constant everywhere (a ReLU
 * that never fired) is drawn dark and marked "flat". */
#include <math.h>
#include <stdio.h>

#include "plot/feature_maps.h"
#include "plot/figure.h"
#include "plot/raster.h"
#include "plot/style.h"
#include "plot/text.h"

#define TILE 72          /* target size of one map, pixels */
#define INPUT_SIZE 160   /* target size of the input image */
#define GAP 10
#define CAPTION 20
#define TITLE_HEIGHT 84
#define MARGIN 16

typedef struct {
    const feature_map_set *set;
    int scale, input_scale, columns, rows;
    int cell_width, cell_height, grid_left;
    int width, height;
    char title[320], subtitle[320];
} feature_figure;

static int enlargement(size_t size, int target)
{
    return size >= (size_t)target ? 1 : (int)((size_t)target / size); /* target > 0: a pixel size */
}

static ct_status draw_features(cairo_t *cr, const void *data)
{
    const feature_figure *f = data;
    const feature_map_set *set = f->set;
    figure_draw_heading(cr, f->width, f->title, f->subtitle);

    raster_view input = raster_packed(set->input, set->input_height, set->input_width, 3);
    cairo_surface_t *s;
    CT_TRY(raster_surface(&input, RASTER_RGB, 0, 1, f->input_scale, &s));
    raster_paint(cr, s, MARGIN, TITLE_HEIGHT);
    cairo_surface_destroy(s);
    char caption[96];
    snprintf(caption, sizeof caption, "input (%zux%zu)", set->input_height, set->input_width);
    text_font(cr, STYLE_FONT_TICK, false);
    text_draw(cr, MARGIN + (double)set->input_width * f->input_scale / 2.0,
              TITLE_HEIGHT + (double)set->input_height * f->input_scale + 4.0, caption, TEXT_CENTER, TEXT_START, 0);

    size_t columns = (size_t)f->columns; /* 1 to 16, see plot_feature_maps */
    for (size_t c = 0; c < set->channels; c++) {
        raster_view map = {set->maps + c, set->height, set->width, 1, set->width * set->channels, set->channels, 1};
        double lo, hi;
        raster_range(&map, &lo, &hi);
        bool flat = !(hi > lo);
        size_t row = c / columns, column = c % columns;
        double x = f->grid_left + (double)column * f->cell_width;
        double y = TITLE_HEIGHT + (double)row * f->cell_height;
        CT_TRY(raster_surface(&map, RASTER_VIRIDIS, lo, flat ? lo + 1 : hi, f->scale, &s));
        raster_paint(cr, s, x, y);
        cairo_surface_destroy(s);
        snprintf(caption, sizeof caption, flat ? "%zu flat" : "%zu", c);
        style_set_colour(cr, STYLE_MUTED);
        text_font(cr, STYLE_FONT_TICK, false);
        text_draw(cr, x + (double)set->width * f->scale / 2.0, y + (double)set->height * f->scale + 3.0, caption,
                  TEXT_CENTER, TEXT_START, 0);
    }
    return CT_OK;
}

ct_status plot_feature_maps(const feature_map_set *set, const char *png_path, const ct_plot_options *options)
{
    if (!set->height || !set->width || !set->channels || !set->input_height || !set->input_width)
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "%s: no feature maps to draw", png_path);
    feature_figure f = {.set = set};
    size_t longer = set->height > set->width ? set->height : set->width;
    size_t input_longer = set->input_height > set->input_width ? set->input_height : set->input_width;
    f.scale = enlargement(longer, TILE);
    f.input_scale = enlargement(input_longer, INPUT_SIZE);
    size_t columns = set->channels <= 8 ? set->channels : set->channels <= 64 ? 8 : 16;
    f.columns = (int)columns; /* 1 to 16 */
    f.rows = (int)((set->channels + columns - 1) / columns);
    f.cell_width = (int)set->width * f.scale + GAP;
    f.cell_height = (int)set->height * f.scale + CAPTION + GAP;
    f.grid_left = MARGIN + (int)set->input_width * f.input_scale + 3 * GAP;
    snprintf(f.title, sizeof f.title, "%s: feature maps for %s", set->layer, set->image_name);
    snprintf(f.subtitle, sizeof f.subtitle, "%zu channels of %zux%zu after the layer's activation; "
             "each scaled to its own range (dark low, bright high)", set->channels, set->height, set->width);
    f.width = f.grid_left + f.columns * f.cell_width + MARGIN;
    double text = figure_text_width(f.subtitle, STYLE_FONT_LABEL, false) + 2 * MARGIN;
    double title = figure_text_width(f.title, STYLE_FONT_FIGURE, true) + 2 * MARGIN;
    text = title > text ? title : text;
    f.width = text > f.width ? (int)ceil(text) : f.width;
    int grid_height = f.rows * f.cell_height, input_height = (int)set->input_height * f.input_scale + CAPTION;
    f.height = TITLE_HEIGHT + (grid_height > input_height ? grid_height : input_height) + MARGIN;
    return figure_write(png_path, f.width, f.height, draw_features, &f, options);
}
