/* The figures, one function each, drawn from data already read (see
 * run_reader.h); each writes png_path and, unless options->no_svg, the SVG
 * beside it. `title` names the run ("sunshine-20240501-101500"). */
#ifndef CLTRAIN_PLOT_PLOTS_H
#define CLTRAIN_PLOT_PLOTS_H

#include "cltrain/plot.h"
#include "cltrain/report.h"
#include "plot/run_reader.h"

/* One panel per quantity (loss, then each metric), training and validation
 * curves, the best epoch and the early-stopping epoch marked. */
ct_status plot_history(const ct_history *history, const run_summary *summary, const run_labels *labels,
                       const char *title, const char *png_path, const ct_plot_options *options);

/* Predicted against true on the test split, the y = x line, the baseline's
 * points, RMSE of model and baseline in the title. */
ct_status plot_regression(const run_predictions *p, const run_labels *labels, const char *title,
                          const char *png_path, const ct_plot_options *options);

/* Counts of (true, predicted) class pairs with class names. */
ct_status plot_confusion_matrix(const run_predictions *p, const run_summary *summary, const run_labels *labels,
                                const char *title, const char *png_path, const ct_plot_options *options);

/* Up to 25 test images (n of them, height x width x channels floats in
 * [0, 1]) in a 5x5 grid, each with its true and predicted class. */
ct_status plot_test_samples(const float *images, size_t n, size_t height, size_t width, size_t channels,
                            const run_predictions *p, const run_summary *summary, const char *title,
                            const char *png_path, const ct_plot_options *options);

/* The class name of id (summary's class_names, else "class N"). */
const char *plot_class_name(const run_summary *summary, size_t id, char *buf, size_t size);

#endif
