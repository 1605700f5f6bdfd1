/* A conv layer's learned filters as pictures: `cltrain inspect`.
 *
 * A Keras kernel is (KH, KW, Cin, Cout): filter f is the KH x KW x Cin block
 * kernel[..., f]. With three input channels (an RGB first layer) each
 * filter is one colour tile; otherwise each input channel of each filter is
 * a grey tile, one row per filter. Each filter is scaled to its own
 * min..max, as the usual Keras tutorials do: the shapes matter, and one
 * filter with large weights would otherwise wash out all others. Filters are
 * tiny (3x3), so tiles are enlarged by nearest neighbour to stay visible. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cltrain/plot.h"
#include "plot/figure.h"
#include "plot/raster.h"
#include "plot/style.h"
#include "plot/text.h"

#define TILE_RGB 64      /* target tile size, pixels, for colour filters */
#define TILE_GREY 40     /* target tile size for per-channel tiles */
#define TILE_GAP 12
#define CAPTION 20       /* the filter number under (or left of) a tile */
#define TITLE_HEIGHT 82
#define MARGIN 16
#define MAX_CHANNEL_COLUMNS 64 /* per-channel grids show at most this many input channels */

typedef struct {
    const ct_named_tensor *kernel;
    size_t kh, kw, cin, cout;
    bool rgb;
    int scale;                  /* enlargement of each filter pixel */
    int columns, rows;          /* tiles */
    size_t shown_channels;      /* per-channel layout: columns of channels */
    int tile_width, tile_height;
    int cell_width, cell_height;
    int left;                   /* per-channel layout: room for the filter numbers */
    int width, height;
    char title[256], subtitle[256];
} filter_layout;

static ct_status make_layout(const ct_named_tensor *kernel, filter_layout *l)
{
    if (!kernel || kernel->ndim != 4 || !kernel->data)
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "%s: expected a conv kernel with 4 dimensions (KH, KW, Cin, Cout)",
                       kernel && kernel->name ? kernel->name : "kernel");
    *l = (filter_layout){.kernel = kernel, .kh = kernel->shape[0], .kw = kernel->shape[1],
                         .cin = kernel->shape[2], .cout = kernel->shape[3]};
    if (!l->kh || !l->kw || !l->cin || !l->cout || l->kh > 256 || l->kw > 256 || l->cout > 4096)
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "%s: cannot draw filters of shape (%zu, %zu, %zu, %zu)",
                       kernel->name, l->kh, l->kw, l->cin, l->cout);
    l->rgb = l->cin == 3;
    size_t longer = l->kh > l->kw ? l->kh : l->kw;
    int target = l->rgb || l->cin == 1 ? TILE_RGB : TILE_GREY;
    l->scale = longer >= (size_t)target ? 1 : (int)ceil((double)target / (double)longer);
    l->tile_width = (int)l->kw * l->scale;
    l->tile_height = (int)l->kh * l->scale;
    if (l->rgb || l->cin == 1) {
        /* One tile per filter, in a grid about twice as wide as high. */
        size_t columns = (size_t)ceil(sqrt(2.0 * (double)l->cout)); /* cout <= 4096: at most 91 */
        columns = columns > l->cout ? l->cout : columns;
        l->columns = (int)columns;
        l->rows = (int)((l->cout + columns - 1) / columns);
        l->cell_width = l->tile_width + TILE_GAP;
        l->cell_height = l->tile_height + CAPTION + TILE_GAP;
        l->left = MARGIN;
    } else {
        l->shown_channels = l->cin < MAX_CHANNEL_COLUMNS ? l->cin : MAX_CHANNEL_COLUMNS;
        l->columns = (int)l->shown_channels;
        l->rows = (int)l->cout;
        l->cell_width = l->tile_width + 4;
        l->cell_height = l->tile_height + 4;
        l->left = MARGIN + 48;
    }
    snprintf(l->title, sizeof l->title, "%s: %zu learned filters", kernel->name, l->cout);
    if (l->rgb)
        snprintf(l->subtitle, sizeof l->subtitle, "%zux%zu over the RGB input, each filter scaled to its own range",
                 l->kh, l->kw);
    else if (l->cin == 1)
        snprintf(l->subtitle, sizeof l->subtitle, "%zux%zu, each filter scaled to its own range (dark low, light high)",
                 l->kh, l->kw);
    else
        snprintf(l->subtitle, sizeof l->subtitle, "%zux%zu; rows: filters, columns: input channels%s; each filter scaled to its own range",
                 l->kh, l->kw, l->shown_channels < l->cin ? " (the first 64)" : "");
    l->width = l->left + l->columns * l->cell_width + MARGIN;
    l->height = TITLE_HEIGHT + l->rows * l->cell_height + MARGIN;
    /* Wide enough for the titles. */
    double title_width = figure_text_width(l->title, STYLE_FONT_FIGURE, true);
    double subtitle_width = figure_text_width(l->subtitle, STYLE_FONT_LABEL, false);
    int needed = (int)ceil((title_width > subtitle_width ? title_width : subtitle_width) + 2 * MARGIN);
    if (l->width < needed)
        l->width = needed;
    return CT_OK;
}

ct_status ct_plot_filter_grid_size(const ct_named_tensor *kernel, int *width, int *height)
{
    filter_layout l;
    CT_TRY(make_layout(kernel, &l));
    *width = l.width;
    *height = l.height;
    return CT_OK;
}

/* Filter f, all input channels (or channel c alone when c >= 0). */
static raster_view filter_view(const filter_layout *l, size_t f, size_t first_channel, size_t channels)
{
    /* kernel[y][x][c][f] */
    return (raster_view){.data = l->kernel->data + first_channel * l->cout + f,
                         .height = l->kh, .width = l->kw, .channels = channels,
                         .row_stride = l->kw * l->cin * l->cout, .column_stride = l->cin * l->cout,
                         .channel_stride = l->cout};
}

static ct_status draw_tile(cairo_t *cr, const raster_view *v, raster_colours colours, double lo, double hi,
                           int scale, double x, double y)
{
    cairo_surface_t *s;
    CT_TRY(raster_surface(v, colours, lo, hi, scale, &s));
    raster_paint(cr, s, x, y);
    cairo_surface_destroy(s);
    return CT_OK;
}

static ct_status draw_filters(cairo_t *cr, const void *data)
{
    const filter_layout *l = data;
    char label[32];
    figure_draw_heading(cr, l->width, l->title, l->subtitle);
    double grid_left = (l->width - l->columns * l->cell_width) / 2.0;
    if (!l->rgb && l->cin != 1)
        grid_left = l->left;
    size_t columns = (size_t)l->columns; /* 1 to 91, see make_layout */
    for (size_t f = 0; f < l->cout; f++) {
        double lo, hi;
        raster_view whole = filter_view(l, f, 0, l->cin);
        raster_range(&whole, &lo, &hi); /* the filter's own range, over all its channels */
        text_font(cr, STYLE_FONT_TICK, false);
        style_set_colour(cr, STYLE_MUTED);
        snprintf(label, sizeof label, "%zu", f);
        if (l->rgb || l->cin == 1) {
            size_t row = f / columns, column = f % columns;
            double x = grid_left + (double)column * l->cell_width + TILE_GAP / 2.0;
            double y = TITLE_HEIGHT + (double)row * l->cell_height;
            CT_TRY(draw_tile(cr, &whole, l->rgb ? RASTER_RGB : RASTER_GREY, lo, hi, l->scale, x, y));
            text_draw(cr, x + l->tile_width / 2.0, y + l->tile_height + 3, label, TEXT_CENTER, TEXT_START, 0);
        } else {
            double y = TITLE_HEIGHT + (double)f * l->cell_height;
            text_draw(cr, grid_left - 8, y + l->tile_height / 2.0, label, TEXT_END, TEXT_CENTER, 0);
            for (size_t c = 0; c < l->shown_channels; c++) {
                raster_view one = filter_view(l, f, c, 1);
                CT_TRY(draw_tile(cr, &one, RASTER_GREY, lo, hi, l->scale, grid_left + (double)c * l->cell_width, y));
            }
        }
    }
    return CT_OK;
}

ct_status ct_plot_filter_grid(const ct_named_tensor *kernel, const char *png_path, const ct_plot_options *options)
{
    filter_layout l;
    CT_TRY(make_layout(kernel, &l));
    return figure_write(png_path, l.width, l.height, draw_filters, &l, options);
}

/* The first conv kernel: the first tensor named ".../kernel" with 4 dims
 * (the runner saves tensors in layer order). */
static const ct_named_tensor *first_conv_kernel(const ct_named_tensor *tensors, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *slash = strrchr(tensors[i].name, '/');
        if (tensors[i].ndim == 4 && slash && !strcmp(slash, "/kernel"))
            return &tensors[i];
    }
    return NULL;
}

ct_status ct_plot_filters(const char *run_dir, const ct_plot_options *options)
{
    char *weights_path = NULL, *plots = NULL, *png = NULL;
    ct_named_tensor *tensors = NULL;
    size_t n = 0;
    ct_status s = figure_plots_dir(run_dir, &plots); /* also says when run_dir is not there */
    /* weights.bin, or an interrupted run's best or last checkpoint */
    bool final;
    char source[1024];
    if (s == CT_OK)
        s = ct_run_weights_read(run_dir, &tensors, &n, &final, source, sizeof source);
    if (s == CT_OK)
        s = figure_join(run_dir, final ? "weights.bin" : "checkpoint.bin", &weights_path);
    const ct_named_tensor *kernel = NULL;
    if (s == CT_OK && !(kernel = first_conv_kernel(tensors, n)))
        s = ct_fail(CT_ERR_NOT_FOUND, "%s: no conv layer (no tensor '<layer>/kernel' with 4 dimensions): "
                    "only conv models have filters to draw", weights_path);
    if (s == CT_OK)
        s = figure_join(plots, "filters.png", &png);
    if (s == CT_OK)
        s = ct_plot_filter_grid(kernel, png, options);
    ct_weights_free(tensors, n);
    free(weights_path);
    free(plots);
    free(png);
    return s;
}
