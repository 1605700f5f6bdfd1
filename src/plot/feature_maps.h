/* One conv layer's feature maps: computed on a device by the saved model's
 * first layers (feature_maps.c), drawn on the host (feature_map_plot.c). */
#ifndef CLTRAIN_PLOT_FEATURE_MAPS_H
#define CLTRAIN_PLOT_FEATURE_MAPS_H

#include <stddef.h>

#include "cltrain/experiment.h"
#include "cltrain/plot.h"
#include "cltrain/report.h"

typedef struct {
    const char *layer;    /* "conv2d_1" */
    const float *maps;    /* height x width x channels, the layer's output for the image */
    size_t height, width, channels;
    const float *input;   /* the image as the model saw it: input_size x input_size x 3 in [0, 1] */
    size_t input_height, input_width;
    const char *image_name; /* the file, for the title */
} feature_map_set;

/* The output of exp's layer `layer` for one sample `input` (the model's
 * input shape, here 32x32x3), computed on ctx by layers 0..layer with the
 * tensors of `weights` (matched by name and size; weights_path names the
 * file in errors). *maps (malloc'd) is shape[0] x shape[1] x shape[2];
 * layer_name receives the layer's name ("conv2d_1"). */
ct_status feature_maps_forward(ct_context *ctx, const ct_experiment *exp, const ct_named_tensor *weights,
                               size_t n_weights, const char *weights_path, size_t layer, const float *input,
                               float **maps, size_t shape[3], char *layer_name, size_t name_size);

ct_status plot_feature_maps(const feature_map_set *set, const char *png_path, const ct_plot_options *options);

#endif
