/* Optimizer kinds and their settings: what train.optimizer in an experiment
 * file holds and what ct_optimizer_create() (cltrain/optim.h) takes. Plain
 * data; the spellings live in src/core/names.c. */
#ifndef CLTRAIN_OPTIMIZER_SPEC_H
#define CLTRAIN_OPTIMIZER_SPEC_H

#include <stdbool.h>
#include <stddef.h>

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

/* ============================================== learning-rate schedules
 * train.learning_rate_schedule: Keras 3's keras.optimizers.schedules, which
 * Keras passes as an optimizer's learning_rate. The schedule then decides
 * the learning rate of every step from the optimizer's step count (Keras'
 * optimizer.iterations, 0 for the first step); the optimizer's own
 * learning_rate is not used. */
typedef enum {
    CT_LR_SCHEDULE_EXPONENTIAL_DECAY,        /* "exponential_decay" */
    CT_LR_SCHEDULE_COSINE_DECAY,             /* "cosine_decay" */
    CT_LR_SCHEDULE_PIECEWISE_CONSTANT_DECAY, /* "piecewise_constant_decay" */
    CT_LR_SCHEDULE_COUNT
} ct_lr_schedule_kind;

#define CT_PIECEWISE_MAX_BOUNDARIES 32

typedef struct {
    bool enabled; /* written (not null) */
    ct_lr_schedule_kind kind;
    /* ExponentialDecay: lr = initial_learning_rate * decay_rate^(step / decay_steps),
     * the exponent floored when staircase. */
    struct {
        double initial_learning_rate; /* > 0, required */
        int decay_steps;              /* >= 1, required */
        double decay_rate;            /* > 0, required */
        bool staircase;               /* default false */
    } exponential;
    /* CosineDecay: without warmup_target, lr = initial_learning_rate *
     * ((1 - alpha) * 0.5 * (1 + cos(pi * min(step, decay_steps) / decay_steps)) + alpha).
     * With warmup_target: a linear rise from initial_learning_rate to
     * warmup_target over warmup_steps steps, then the cosine decay from
     * warmup_target over decay_steps more steps. */
    struct {
        double initial_learning_rate; /* >= 0, required */
        int decay_steps;              /* >= 1, required */
        double alpha;                 /* [0, 1], default 0.0: the final fraction */
        bool has_warmup_target;       /* default null */
        double warmup_target;         /* > 0 */
        int warmup_steps;             /* >= 0, default 0 */
    } cosine;
    /* PiecewiseConstantDecay: values[0] while step <= boundaries[0],
     * values[i] while boundaries[i-1] < step <= boundaries[i], the last value
     * after the last boundary. boundaries increase; one more value than
     * boundaries. */
    struct {
        double boundaries[CT_PIECEWISE_MAX_BOUNDARIES];
        size_t boundary_count;
        double values[CT_PIECEWISE_MAX_BOUNDARIES + 1];
        size_t value_count;
    } piecewise;
} ct_lr_schedule_spec;

/* The YAML spelling ("cosine_decay"); "?" when out of range. */
const char *ct_lr_schedule_name(ct_lr_schedule_kind k);

#ifdef __cplusplus
}
#endif
#endif
