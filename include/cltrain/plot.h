/* Pictures of a run: training history, predictions on the test split,
 * confusion matrix, sample images, learned conv filters and feature maps.
 * (Reading PNG/JPEG images is in cltrain/data.h.)
 *
 * Everything is drawn with cairo and written into RUN_DIR/plots/ as PNG,
 * plus SVG unless options say otherwise. Every file is written atomically
 * (temporary file + rename), so a reader never sees half a picture.
 *
 * Plots are redrawn from the files a run leaves (see "The run directory" in
 * README.md), never from memory, so `cltrain plot RUN_DIR` after
 * the fact gives exactly what the runner drew at the end of the run:
 *   history.csv      -> plots/history.png             (CT_PLOT_HISTORY)
 *   predictions.csv  -> plots/predictions.png         (CT_PLOT_PREDICTIONS, regression)
 *   predictions.csv + test_images.bin
 *                    -> plots/test_samples.png        (CT_PLOT_PREDICTIONS, classification of images)
 *   predictions.csv  -> plots/confusion_matrix.png    (CT_PLOT_CONFUSION_MATRIX, classification)
 *   weights.bin      -> plots/filters.png             (ct_plot_filters, `cltrain inspect`)
 * summary.yaml (task, class names, best and stopping epoch) and config.yaml
 * (loss name, target column) refine titles and labels when present.
 * Epochs are drawn counted from 1, as the run prints them while training
 * (history.csv counts from 0, as Keras' CSVLogger does). */
#ifndef CLTRAIN_PLOT_H
#define CLTRAIN_PLOT_H

#include <stdbool.h>
#include <stddef.h>

#include "cltrain/device.h"
#include "cltrain/experiment.h" /* ct_plot bits */
#include "cltrain/report.h"     /* ct_named_tensor */
#include "cltrain/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Called with the path of every file written (for the CLI to list them). */
typedef void (*ct_plot_written_fn)(const char *path, void *user);

typedef struct {
    bool no_svg;                /* PNG only (default: PNG and SVG) */
    ct_plot_written_fn written; /* may be NULL */
    void *user;
} ct_plot_options;

/* Draw every plot selected by `plots` (CT_PLOT_* bits, as in the experiment's
 * output.plots) that applies to the run's task into RUN_DIR/plots/ (created
 * when missing). options may be NULL. Every plot whose files are there is
 * drawn; when a selected plot's input is missing or broken, the others are
 * still drawn and the first such problem is returned, naming the file and
 * what was expected (CT_ERR_IO: missing or unreadable, CT_ERR_PARSE or
 * CT_ERR_DATA: malformed). A plot that does not apply (a confusion matrix of a
 * regression) is skipped without error. */
ct_status ct_plot_run(const char *run_dir, unsigned plots, const ct_plot_options *options);

/* The first conv layer's filters from RUN_DIR/weights.bin (the first tensor
 * named "<layer>/kernel" with 4 dimensions, Keras layout KH,KW,Cin,Cout) as
 * an image grid: plots/filters.png. CT_ERR_IO when weights.bin is missing,
 * CT_ERR_NOT_FOUND when the model has no conv layer. */
ct_status ct_plot_filters(const char *run_dir, const ct_plot_options *options);

/* The same from a kernel in memory, into `png_path` (and the .svg beside it
 * unless options->no_svg). */
ct_status ct_plot_filter_grid(const ct_named_tensor *kernel, const char *png_path,
                              const ct_plot_options *options);

/* Pixel size of the filter grid ct_plot_filter_grid draws for this kernel. */
ct_status ct_plot_filter_grid_size(const ct_named_tensor *kernel, int *width, int *height);

/* Feature maps each conv layer of the run's model produces for one image:
 * plots/feature_maps_<layer>.png, one grid per conv layer, each map
 * normalised on its own. Rebuilds the model from RUN_DIR/config.yaml and
 * weights.bin on ctx (a forward pass on the device); the image is read with
 * ct_image_read and resized to the model's input. CT_ERR_CONFIG when the
 * model has no conv layer or takes no images. */
ct_status ct_plot_feature_maps(const char *run_dir, ct_context *ctx, const char *image_path,
                               const ct_plot_options *options);

/* A sweep's result against one of its inputs (src/sweep/ draws them into
 * SWEEP_DIR/plots/): one marker per point for the validation value and one
 * for the test value, a line through the validation values that the caller
 * chose (src/sweep/front.h: the best per grid value, or the Pareto front
 * against the parameter count as a step line), the baseline as a dashed
 * horizontal line and one point ringed and named (the smallest model that
 * beats the baseline). With log_x the x axis is logarithmic. Points whose x
 * or y is not a finite number (log_x: not above 0) are left out; with none
 * left it is CT_ERR_DATA. Title and subtitle are shrunk, then cut, to fit. */
typedef struct {
    const char *title, *subtitle; /* subtitle may be NULL */
    const char *xlabel, *ylabel;
    const double *x;              /* n */
    const double *validation;     /* n, the sweep's metric; NaN where missing */
    const double *test;           /* n, its test counterpart; may be NULL */
    size_t n;
    const double *line_x, *line_y; /* line_n vertices in x order; line_n < 2: no line */
    size_t line_n;
    bool line_steps;               /* each y holds until the next x (and to the right edge) */
    const char *line_label;        /* its legend entry; NULL: none */
    bool has_baseline;
    double baseline;
    const char *baseline_label;    /* the legend entry, as written ("persistence (X), validation 3.63") */
    bool has_highlight;
    double highlight_x, highlight_y;
    const char *highlight_label;   /* its legend entry */
    bool log_x;
} ct_sweep_plot;

ct_status ct_plot_sweep(const char *png_path, const ct_sweep_plot *p, const ct_plot_options *options);

#ifdef __cplusplus
}
#endif
#endif
