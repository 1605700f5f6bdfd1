/* Enumerations shared by the experiment spec and the device ops, so both
 * speak of the same activation and padding. Names (Keras spellings) come
 * from ct_activation_name() and ct_padding_name(). */
#ifndef CLTRAIN_TYPES_H
#define CLTRAIN_TYPES_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A list of strings owned by the experiment (feature columns, a layer's
 * inputs). */
typedef struct {
    char **items;
    size_t count;
} ct_string_list;

typedef enum {
    CT_ACTIVATION_LINEAR,     /* "linear": Keras' default (activation=None) */
    CT_ACTIVATION_RELU,       /* "relu" */
    CT_ACTIVATION_SIGMOID,    /* "sigmoid" */
    CT_ACTIVATION_TANH,       /* "tanh" */
    CT_ACTIVATION_SOFTMAX,    /* "softmax" (over the last axis) */
    CT_ACTIVATION_LEAKY_RELU, /* "leaky_relu": Keras 3 default negative_slope 0.2 */
    CT_ACTIVATION_ELU,        /* "elu": alpha 1.0 */
    CT_ACTIVATION_GELU,       /* "gelu": Keras' gelu(x, approximate=False), x Phi(x) with erf */
    CT_ACTIVATION_GELU_APPROXIMATE, /* "gelu_approximate": gelu(x, approximate=True), the tanh form */
    CT_ACTIVATION_SILU,       /* "silu" (alias "swish"): x sigmoid(x) */
    CT_ACTIVATION_SELU,       /* "selu": Keras' scale 1.0507..., alpha 1.6732... */
    CT_ACTIVATION_SOFTPLUS,   /* "softplus": log(1 + e^x) */
    CT_ACTIVATION_COUNT
} ct_activation;

typedef enum {
    CT_PADDING_VALID, /* "valid": no padding, output = floor((in - k) / s) + 1 */
    CT_PADDING_SAME,  /* "same": output = ceil(in / s) */
    CT_PADDING_COUNT
} ct_padding;

/* The Keras spelling ("relu", "same"); "?" when out of range. */
const char *ct_activation_name(ct_activation a);
const char *ct_padding_name(ct_padding p);

#ifdef __cplusplus
}
#endif
#endif
