/* The group of each layer in a Keras 3 .weights.h5 file. */
#ifndef CLTRAIN_ONNX_KERAS_NAMES_H
#define CLTRAIN_ONNX_KERAS_NAMES_H

#include "cltrain/model.h"

#define CT_KERAS_GROUP_MAX 96

/* names[i] (malloc'd, plan->layer_count entries; free it): the group under
 * "layers/" that keras' load_weights reads layer i from. Keras' saver names
 * each layer by its class in snake case, numbered in the order of
 * model.layers (conv2d, conv2d_1, ...). For a sequential model that is the
 * list's order; for a graph model (keras.Model, functional) the order
 * Keras' map_graph gives: deepest first (the longest path to the output),
 * ties in the order a depth-first walk from the output meets them, the
 * Input first of all. */
ct_status ct_keras_weight_groups(const ct_model_plan *plan, char (**names)[CT_KERAS_GROUP_MAX]);

#endif
