/* The model spec: layer kinds, weight initializers and each layer's
 * settings, as an experiment file's `model:` list gives them (the schema
 * fills these structs) and as the model code builds them (cltrain/model.h).
 * Plain data; the spellings live in src/core/names.c, below both. */
#ifndef CLTRAIN_MODEL_SPEC_H
#define CLTRAIN_MODEL_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cltrain/types.h" /* ct_activation, ct_padding */

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    CT_LAYER_DENSE,               /* "dense" */
    CT_LAYER_CONV2D,              /* "conv2d" */
    CT_LAYER_MAX_POOLING2D,       /* "max_pooling2d" */
    CT_LAYER_AVERAGE_POOLING2D,   /* "average_pooling2d" */
    CT_LAYER_FLATTEN,             /* "flatten" */
    CT_LAYER_DROPOUT,             /* "dropout" */
    CT_LAYER_BATCH_NORMALIZATION, /* "batch_normalization" */
    CT_LAYER_ACTIVATION,          /* "activation" */
    CT_LAYER_GLOBAL_AVERAGE_POOLING2D, /* "global_average_pooling2d" */
    CT_LAYER_GLOBAL_MAX_POOLING2D,     /* "global_max_pooling2d" */
    CT_LAYER_LEAKY_RELU,               /* "leaky_relu": Keras' LeakyReLU layer */
    CT_LAYER_RESCALING,                /* "rescaling" */
    CT_LAYER_RESHAPE,                  /* "reshape" */
    /* Image augmentation, active in training only (ct_augment_spec). */
    CT_LAYER_RANDOM_FLIP,        /* "random_flip" */
    CT_LAYER_RANDOM_TRANSLATION, /* "random_translation" */
    CT_LAYER_RANDOM_ROTATION,    /* "random_rotation" */
    CT_LAYER_RANDOM_ZOOM,        /* "random_zoom" */
    CT_LAYER_RANDOM_CROP,        /* "random_crop" */
    CT_LAYER_ADD,                      /* "add": Keras' Add merge layer */
    CT_LAYER_CONCATENATE,              /* "concatenate": Keras' Concatenate merge layer */
    CT_LAYER_COUNT
} ct_layer_kind;

typedef enum {
    CT_INIT_GLOROT_UNIFORM, /* "glorot_uniform": Keras' default kernel initializer */
    CT_INIT_GLOROT_NORMAL,  /* "glorot_normal" (truncated normal, as in Keras) */
    CT_INIT_HE_UNIFORM,     /* "he_uniform" */
    CT_INIT_HE_NORMAL,      /* "he_normal" */
    CT_INIT_LECUN_UNIFORM,  /* "lecun_uniform" */
    CT_INIT_LECUN_NORMAL,   /* "lecun_normal" */
    CT_INIT_ZEROS,          /* "zeros": Keras' default bias initializer */
    CT_INIT_ONES,           /* "ones" */
    CT_INIT_COUNT
} ct_initializer;

/* The YAML spelling ("dense", "glorot_uniform"); "?" when out of range. */
const char *ct_layer_kind_name(ct_layer_kind k);
const char *ct_initializer_name(ct_initializer i);

/* ===================================================================== model
 * model: a list of layers, input to output. Each item is a one-key mapping
 * `- dense: {units: 10}`; a layer without settings may be written bare
 * (`- flatten`); `- dropout: 0.5` and `- activation: relu` are short forms.
 * The input shape comes from the data (features of the CSV, 32x32x3 for
 * CIFAR-10). Sizes given as `int or [height, width]` are stored as {h, w}. */

/* kernel_regularizer of dense and conv2d: Keras 3's keras.regularizers.
 * The penalty l1 * sum|w| + l2 * sum(w^2) of the layer's kernel is added to
 * the loss (training and validation, as Keras' compute_loss adds
 * model.losses), and its gradient l1 sign(w) + 2 l2 w to the kernel's. */
typedef enum {
    CT_REGULARIZER_L1,    /* "l1": L1(l1=0.01) */
    CT_REGULARIZER_L2,    /* "l2": L2(l2=0.01) */
    CT_REGULARIZER_L1_L2, /* "l1_l2": L1L2(l1=0.0, l2=0.0) */
    CT_REGULARIZER_COUNT
} ct_regularizer_kind;

typedef struct {
    bool enabled; /* written (not null) */
    ct_regularizer_kind kind;
    double l1, l2; /* >= 0; the one a kind lacks is 0 */
} ct_regularizer_spec;

typedef struct {
    int units;                        /* `units` >= 1, required */
    ct_activation activation;         /* `activation`, default linear */
    bool use_bias;                    /* `use_bias`, default true */
    ct_initializer kernel_initializer; /* `kernel_initializer`, default glorot_uniform */
    ct_initializer bias_initializer;   /* `bias_initializer`, default zeros */
    ct_regularizer_spec kernel_regularizer; /* `kernel_regularizer`, default null */
} ct_dense_spec;

typedef struct {
    int filters;                       /* `filters` >= 1, required */
    int kernel_size[2];                /* `kernel_size`, required: 3 or [3, 3] */
    int strides[2];                    /* `strides`, default [1, 1] */
    ct_padding padding;                /* `padding`, default valid */
    ct_activation activation;          /* `activation`, default linear */
    bool use_bias;                     /* `use_bias`, default true */
    ct_initializer kernel_initializer; /* default glorot_uniform */
    ct_initializer bias_initializer;   /* default zeros */
    ct_regularizer_spec kernel_regularizer; /* `kernel_regularizer`, default null */
} ct_conv2d_spec;

/* max_pooling2d and average_pooling2d. */
typedef struct {
    int pool_size[2];   /* `pool_size`, default [2, 2] */
    int strides[2];     /* `strides`, default: pool_size (Keras' strides=None) */
    ct_padding padding; /* `padding`, default valid */
} ct_pooling2d_spec;

/* global_average_pooling2d and global_max_pooling2d (channels_last): the
 * mean or maximum over height and width of each channel. */
typedef struct {
    bool keepdims; /* `keepdims`, default false: output (C); true: (1, 1, C) */
} ct_global_pooling2d_spec;

/* leaky_relu (the LeakyReLU layer): x for x > 0, negative_slope x otherwise. */
typedef struct {
    double negative_slope; /* `negative_slope` >= 0, default 0.3 as Keras' LeakyReLU layer */
} ct_leaky_relu_spec;

/* rescaling: y = x * scale + offset (Keras' Rescaling with scalar settings). */
typedef struct {
    double scale;  /* `scale`, required (`- rescaling: 0.00392156862745098` is short for {scale: ...}) */
    double offset; /* `offset`, default 0 */
} ct_rescaling_spec;

/* reshape: the same values per sample in another shape (Keras' Reshape).
 * One entry may be -1: the size the others leave. 1 entry (flat) or 3
 * (height, width, channels), the two shapes the layers here take. */
typedef struct {
    double target_shape[3];    /* `target_shape`, required: whole numbers >= 1 or one -1 */
    size_t target_shape_count; /* 1 or 3 */
} ct_reshape_spec;

typedef struct {
    double rate; /* `rate` in [0, 1), required: fraction of inputs zeroed in training */
} ct_dropout_spec;

typedef struct {
    double momentum; /* `momentum` in [0, 1], default 0.99 (moving statistics) */
    double epsilon;  /* `epsilon` > 0, default 0.001 */
    bool center;     /* `center`, default true: learn beta */
    bool scale;      /* `scale`, default true: learn gamma */
} ct_batch_norm_spec;

typedef struct {
    ct_activation activation; /* `activation`, required */
} ct_activation_spec;

/* ------------------------------------------------------- augmentation
 * Keras 3's image augmentation layers: a random transform per sample in
 * training (counter-based: a pure function of seed, layer, training step
 * and sample), the identity at inference (RandomCrop: the central window,
 * resized). No parameters. */
typedef enum {
    CT_FILL_REFLECT,  /* "reflect": (d c b a | a b c d | d c b a) */
    CT_FILL_WRAP,     /* "wrap": (a b c d | a b c d | a b c d) */
    CT_FILL_CONSTANT, /* "constant": (k k k k | a b c d | k k k k), k = fill_value */
    CT_FILL_NEAREST,  /* "nearest": (a a a a | a b c d | d d d d) */
    CT_FILL_MODE_COUNT
} ct_fill_mode;

typedef enum {
    CT_INTERPOLATION_BILINEAR, /* "bilinear" */
    CT_INTERPOLATION_NEAREST,  /* "nearest" */
    CT_INTERPOLATION_COUNT
} ct_interpolation;

typedef enum {
    CT_FLIP_HORIZONTAL,                /* "horizontal": left-right */
    CT_FLIP_VERTICAL,                  /* "vertical": top-bottom */
    CT_FLIP_HORIZONTAL_AND_VERTICAL,   /* "horizontal_and_vertical" (Keras' default) */
    CT_FLIP_MODE_COUNT
} ct_flip_mode;

/* A factor as Keras takes it: one number f (the range [-|f|, |f|]) or a
 * [lower, upper] pair (sorted); count 0: not given (RandomZoom's
 * width_factor: the height's zoom). */
typedef struct {
    double values[2];
    size_t count;
} ct_factor_spec;

/* random_flip, random_translation, random_rotation, random_zoom, random_crop:
 * each reads the fields its Keras class has. */
typedef struct {
    ct_flip_mode mode;          /* flip: `mode`, default horizontal_and_vertical */
    ct_factor_spec height_factor; /* translation, zoom: `height_factor`, required, in [-1, 1] */
    ct_factor_spec width_factor;  /* translation (required), zoom (default null) */
    ct_factor_spec factor;        /* rotation: `factor`, required, fractions of a full turn */
    int height, width;            /* crop: `height`, `width` >= 1, required */
    ct_fill_mode fill_mode;       /* translation, rotation, zoom: default reflect */
    double fill_value;            /* `fill_value`, default 0 (fill_mode constant) */
    ct_interpolation interpolation; /* translation, rotation, zoom: default bilinear */
    bool has_seed;
    int64_t seed;                 /* `seed`, default null: the experiment's seed */
} ct_augment_spec;

const char *ct_fill_mode_name(ct_fill_mode m);
const char *ct_interpolation_name(ct_interpolation i);
const char *ct_flip_mode_name(ct_flip_mode m);

/* [lower, upper] of a factor (Keras' _set_factor): f -> [-|f|, |f|]. */
static inline void ct_factor_range(const ct_factor_spec *f, double *lower, double *upper)
{
    if (f->count >= 2) {
        *lower = f->values[0] < f->values[1] ? f->values[0] : f->values[1];
        *upper = f->values[0] < f->values[1] ? f->values[1] : f->values[0];
    } else {
        double v = f->count ? (f->values[0] < 0 ? -f->values[0] : f->values[0]) : 0.0;
        *lower = -v;
        *upper = v;
    }
}

/* 1 for the augmentation layer kinds. */
static inline bool ct_layer_is_augmentation(ct_layer_kind k)
{
    return k >= CT_LAYER_RANDOM_FLIP && k <= CT_LAYER_RANDOM_CROP;
}
/* concatenate: the inputs joined along one axis (Keras' Concatenate). Only
 * the last axis (channels_last: the channels of images, the features of
 * flat data) is supported; the other axes must agree. */
typedef struct {
    int axis; /* `axis`, default -1 (the last); also the last axis by its number (1 flat, 3 images) */
} ct_concatenate_spec;

/* Graph models (Keras' functional API): any layer may name its `inputs`
 * (layer names, or `input` for the data); a layer without them takes the
 * previous layer's output (the first layer: the data), so a plain list is
 * the sequential model it always was. `add` and `concatenate` take two or
 * more inputs; the last layer is the output. */
#define CT_MODEL_INPUT_NAME "input"

typedef struct {
    ct_layer_kind kind;
    char *name; /* `name`, default: Keras' automatic name: dense, dense_1, conv2d, ... */
    ct_string_list inputs; /* `inputs`, default []: the previous layer */
    union {
        ct_dense_spec dense;                      /* CT_LAYER_DENSE */
        ct_conv2d_spec conv2d;                    /* CT_LAYER_CONV2D */
        ct_pooling2d_spec pooling;                /* CT_LAYER_MAX_/AVERAGE_POOLING2D */
        ct_dropout_spec dropout;                  /* CT_LAYER_DROPOUT */
        ct_batch_norm_spec batch_normalization;   /* CT_LAYER_BATCH_NORMALIZATION */
        ct_activation_spec activation;            /* CT_LAYER_ACTIVATION */
        ct_global_pooling2d_spec global_pooling;  /* CT_LAYER_GLOBAL_AVERAGE_/MAX_POOLING2D */
        ct_leaky_relu_spec leaky_relu;            /* CT_LAYER_LEAKY_RELU */
        ct_rescaling_spec rescaling;              /* CT_LAYER_RESCALING */
        ct_reshape_spec reshape;                  /* CT_LAYER_RESHAPE */
        ct_augment_spec augment;                  /* CT_LAYER_RANDOM_* */
        ct_concatenate_spec concatenate;          /* CT_LAYER_CONCATENATE */
    };                                            /* CT_LAYER_FLATTEN, CT_LAYER_ADD: no settings */
} ct_layer_spec;

typedef struct {
    ct_layer_spec *layers; /* required, at least one layer */
    size_t layer_count;
} ct_model_spec;

#ifdef __cplusplus
}
#endif
#endif
