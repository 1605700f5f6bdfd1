/* Layer kinds and weight initializers, as an experiment file names them and
 * as the model code builds them. The spellings live in src/core/names.c,
 * below both the experiment schema and the model, which share them. */
#ifndef CLTRAIN_LAYER_KIND_H
#define CLTRAIN_LAYER_KIND_H

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

#ifdef __cplusplus
}
#endif
#endif
