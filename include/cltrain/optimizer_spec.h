/* Optimizer kinds and their settings: what train.optimizer in an experiment
 * file holds and what ct_optimizer_create() (cltrain/optim.h) takes. Plain
 * data; the spellings live in src/core/names.c. */
#ifndef CLTRAIN_OPTIMIZER_SPEC_H
#define CLTRAIN_OPTIMIZER_SPEC_H

#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    CT_OPTIMIZER_ADAM,    /* "adam" */
    CT_OPTIMIZER_SGD,     /* "sgd" */
    CT_OPTIMIZER_RMSPROP, /* "rmsprop": Keras' default optimizer in compile() */
    CT_OPTIMIZER_ADAMW,   /* "adamw": Adam with decoupled weight decay */
    CT_OPTIMIZER_NADAM,   /* "nadam": Adam with Nesterov momentum */
    CT_OPTIMIZER_ADAGRAD, /* "adagrad" */
    CT_OPTIMIZER_COUNT
} ct_optimizer_kind;

typedef struct {
    double learning_rate; /* > 0, default 0.001 */
    double beta_1;        /* [0, 1), default 0.9 */
    double beta_2;        /* [0, 1), default 0.999 */
    double epsilon;       /* > 0, default 1e-07 */
} ct_adam_spec;

typedef struct {
    double learning_rate; /* > 0, default 0.01 */
    double momentum;      /* [0, 1], default 0.0 */
    bool nesterov;        /* default false */
} ct_sgd_spec;

typedef struct {
    double learning_rate; /* > 0, default 0.001 */
    double rho;           /* [0, 1), default 0.9 */
    double momentum;      /* [0, 1], default 0.0 */
    double epsilon;       /* > 0, default 1e-07 */
} ct_rmsprop_spec;

typedef struct {
    double learning_rate; /* > 0, default 0.001 */
    double weight_decay;  /* >= 0, default 0.004: w -= w * weight_decay * lr before each step */
    double beta_1;        /* [0, 1), default 0.9 */
    double beta_2;        /* [0, 1), default 0.999 */
    double epsilon;       /* > 0, default 1e-07 */
} ct_adamw_spec;

typedef struct {
    double learning_rate; /* > 0, default 0.001 */
    double beta_1;        /* [0, 1), default 0.9 */
    double beta_2;        /* [0, 1), default 0.999 */
    double epsilon;       /* > 0, default 1e-07 */
} ct_nadam_spec;

typedef struct {
    double learning_rate;             /* > 0, default 0.001 */
    double initial_accumulator_value; /* >= 0, default 0.1 */
    double epsilon;                   /* > 0, default 1e-07 */
} ct_adagrad_spec;

/* Gradient clipping, Keras 3's clipnorm, global_clipnorm and clipvalue
 * (keyword arguments of every optimizer); at most one is set (Keras refuses
 * more). Absent (null, Keras' None): has_* false and the value 0. Applied to the gradients before the update
 * (and before AdamW's weight decay), in place. */
typedef struct {
    double clipnorm;        /* > 0: each parameter tensor's gradient g *= clipnorm / max(|g|_2, clipnorm) */
    double global_clipnorm; /* > 0: every gradient *= global_clipnorm / max(global norm, global_clipnorm) */
    double clipvalue;       /* > 0: each gradient element clipped to [-clipvalue, clipvalue] */
    bool has_clipnorm, has_global_clipnorm, has_clipvalue;
} ct_clip_spec;

/* train.optimizer: a name (`adam`) or a one-key mapping with settings
 * (`{adam: {learning_rate: 0.0001}}`). Default rmsprop, as Keras' compile(). */
typedef struct {
    ct_optimizer_kind kind;
    union {
        ct_adam_spec adam;
        ct_sgd_spec sgd;
        ct_rmsprop_spec rmsprop;
        ct_adamw_spec adamw;
        ct_nadam_spec nadam;
        ct_adagrad_spec adagrad;
    };
    ct_clip_spec clip; /* the same keys in every optimizer's settings */
} ct_optimizer_spec;

/* The YAML spelling ("adam"); "?" when out of range. */
const char *ct_optimizer_name(ct_optimizer_kind o);

#ifdef __cplusplus
}
#endif
#endif
