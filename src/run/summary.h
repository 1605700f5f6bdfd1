/* `cltrain summary EXPERIMENT.yaml`: the model summary (shapes, parameter
 * counts as Keras' model.summary(), FLOPs per sample) without a device and
 * without training. */
#ifndef CLTRAIN_RUN_SUMMARY_H
#define CLTRAIN_RUN_SUMMARY_H

#include <stdio.h>

#include "cltrain/experiment.h"
#include "cltrain/model.h"
#include "cltrain/report.h" /* ct_named_tensor, ct_feature_columns */

/* Forward floating-point operations of one sample through the layer: Dense
 * and Conv2D 2 per weight and output position (a multiply-add) plus 1 per
 * bias; pooling 1 per window element; batch normalization 2 per value;
 * others 0. */
double ct_layer_forward_flops(const ct_layer_plan *l);

/* Print the summary of exp to out. Image data: the shape comes from the
 * spec and no file is read; CSV data: the file is read to count the feature
 * columns (data_dir as ct_dataset_load). */
/* The per-sample input shape of exp's model: images from the spec; a CSV
 * file's feature count from the data (read through data_dir). */
ct_status ct_run_input_shape(const ct_experiment *exp, const char *data_dir, int *ndim, size_t *shape);

/* `cltrain check` of init.from: the file exists, reads and fits exp's
 * model layer by layer (the input shape as ct_run_input_shape finds it).
 * *weighted: how many weighted layers matched. */
ct_status ct_run_check_init(const ct_experiment *exp, const char *data_dir,
                            ct_status (*import_weights)(const char *, const ct_model_plan *, ct_named_tensor **,
                                                        size_t *, ct_feature_columns *),
                            size_t *tensors);

ct_status ct_run_summary(const ct_experiment *exp, const char *data_dir, FILE *out);

#endif
