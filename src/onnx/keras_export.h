/* `cltrain export RUN_DIR --format keras`: a finished run's weights as a
 * Keras 3 `.weights.h5` file (HDF5, through Debian's libhdf5-dev), and a
 * short Python file that builds the same keras.Sequential and loads them.
 *
 * Layout, as Keras 3's model.save_weights() writes it:
 *   /layers/<group>/vars/<i>        one float32 dataset per variable, in the
 *                                   layer's order: Dense and Conv2D kernel
 *                                   then bias; BatchNormalization gamma
 *                                   (scale), beta (center), moving_mean,
 *                                   moving_variance; weightless layers have
 *                                   an empty vars group
 *   /vars                           the model's own (none for Sequential)
 * <group> is what Keras 3 calls the layer when it saves: its class in snake
 * case, numbered among the model's layers of that class (dense, dense_1,
 * conv2d, batch_normalization, ...), not the layer's name, which Keras
 * leaves out because automatic names differ between two builds of a model.
 * Each vars group carries the attribute name = the layer's name.
 *
 * Conventions need no conversion: cltrain keeps Keras' own layouts, images
 * channels_last (N, H, W, C), Conv2D kernels (KH, KW, Cin, Cout), Dense
 * kernels (in, out), and Flatten in (H, W, C) order, so Dense weights after
 * a Flatten line up. The Python file names each layer as cltrain did (for
 * the summary; loading goes by class and order). It also holds, for CSV
 * models, the feature columns with their standardisation (FEATURES, MEAN,
 * SCALE and standardize()), which the Keras model does not include; a
 * classifier trained with from_logits outputs logits, as in training. */
#ifndef CLTRAIN_ONNX_KERAS_EXPORT_H
#define CLTRAIN_ONNX_KERAS_EXPORT_H

#include "cltrain/status.h"

/* Write weights_path (.weights.h5) and py_path, atomically each. Needs no
 * device. Errors name the file, layer and tensor. */
ct_status ct_keras_export_run(const char *run_dir, const char *weights_path, const char *py_path);

#endif
