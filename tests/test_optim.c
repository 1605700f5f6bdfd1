/* Optimizers, the parameter arena, metrics and the loss accumulator on every
 * device: update rules against hand-computed values, epoch reductions
 * against their Keras definitions. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cltrain/loss.h"
#include "cltrain/optim.h"
#include "selftest/ref/ref_loss.h"
#include "test_devices.h"

/* The statement after it runs once per test device, with ctx open; free(devices_) after it. */
#define FOR_EACH_DEVICE(ctx)                                                                                           \
    ct_device_info *devices_;                                                                                          \
    size_t device_count_ = test_devices(&devices_);                                                                    \
    for (size_t d_ = 0; d_ < device_count_; d_++)                                                                      \
        for (ct_context *ctx = open_context(&devices_[d_]); ctx; ct_context_destroy(ctx), ctx = NULL)

static ct_context *open_context(const ct_device_info *info)
{
    ct_context *ctx;
    ck_assert_msg(ct_context_create(info, &ctx) == CT_OK, "%s", ct_last_error());
    return ctx;
}

#define OK(expr) ck_assert_msg((expr) == CT_OK, "%s: %s", #expr, ct_last_error())

/* ================================================================= names */

START_TEST(test_names)
{
    ct_loss l;
    OK(ct_loss_from_name("mean_squared_error", &l));
    ck_assert_int_eq(l, CT_LOSS_MSE);
    OK(ct_loss_from_name("MAE", &l));
    ck_assert_int_eq(l, CT_LOSS_MAE);
    OK(ct_loss_from_name("BinaryCrossentropy", &l));
    ck_assert_int_eq(l, CT_LOSS_BINARY_CROSSENTROPY);
    OK(ct_loss_from_name("sparse_categorical_crossentropy", &l));
    ck_assert_int_eq(l, CT_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY);
    ck_assert_int_eq(ct_loss_from_name("hinge", &l), CT_ERR_NOT_FOUND);
    ck_assert(ct_loss_has_from_logits(CT_LOSS_CATEGORICAL_CROSSENTROPY) && !ct_loss_has_from_logits(CT_LOSS_MSE));

    ct_metric m;
    OK(ct_metric_from_name("root_mean_squared_error", &m));
    ck_assert_int_eq(m, CT_METRIC_RMSE);
    OK(ct_metric_from_name("RootMeanSquaredError", &m));
    ck_assert_int_eq(m, CT_METRIC_RMSE);
    OK(ct_metric_from_name("acc", &m));
    ck_assert_int_eq(m, CT_METRIC_ACCURACY);
    OK(ct_metric_from_name("mean_absolute_error", &m));
    ck_assert_int_eq(m, CT_METRIC_MAE);
    ck_assert_int_eq(ct_metric_from_name("auc", &m), CT_ERR_NOT_FOUND);
    ck_assert_str_eq(ct_metric_keras_name(CT_METRIC_RMSE), "root_mean_squared_error");

    /* Keras compile(): one output unit -> binary, class ids -> sparse, else categorical. */
    ck_assert_int_eq(ct_metric_resolve(CT_METRIC_ACCURACY, 1, 1), CT_METRIC_BINARY_ACCURACY);
    ck_assert_int_eq(ct_metric_resolve(CT_METRIC_ACCURACY, 10, 1), CT_METRIC_SPARSE_CATEGORICAL_ACCURACY);
    ck_assert_int_eq(ct_metric_resolve(CT_METRIC_ACCURACY, 10, 0), CT_METRIC_CATEGORICAL_ACCURACY);
    ck_assert_int_eq(ct_metric_resolve(CT_METRIC_MAE, 10, 0), CT_METRIC_MAE);

    ct_optimizer_kind k;
    OK(ct_optimizer_from_name("RMSprop", &k));
    ck_assert_int_eq(k, CT_OPTIMIZER_RMSPROP);
    OK(ct_optimizer_from_name("adam", &k));
    ck_assert_int_eq(k, CT_OPTIMIZER_ADAM);
    ct_optimizer_spec s = ct_optimizer_defaults(CT_OPTIMIZER_ADAM);
    ck_assert(s.adam.learning_rate == 0.001 && s.adam.beta_1 == 0.9 && s.adam.beta_2 == 0.999 &&
              s.adam.epsilon == 1e-7);
    s = ct_optimizer_defaults(CT_OPTIMIZER_SGD);
    ck_assert(s.sgd.learning_rate == 0.01 && s.sgd.momentum == 0 && !s.sgd.nesterov);
    s = ct_optimizer_defaults(CT_OPTIMIZER_RMSPROP);
    ck_assert(s.rmsprop.learning_rate == 0.001 && s.rmsprop.rho == 0.9 && s.rmsprop.momentum == 0 &&
              s.rmsprop.epsilon == 1e-7);
    s.rmsprop.rho = 1.0;
    ck_assert_int_eq(ct_optimizer_check(&s), CT_ERR_CONFIG);
}
END_TEST

/* ============================================================ optimizers */

#define N_PARAMS 7 /* a tensor of 3 and one of (2, 2) */
#define STEPS 3

/* Small weights keep float rounding of w far below the updates (~1e-3), so
 * the check can be tight enough to tell formula variants apart. Gradients
 * cover zero, tiny (where epsilon dominates), negative and large values. */
static const double w_init[N_PARAMS] = {0.01, -0.02, 0.03, 0.0, 0.04, -0.05, 0.015};
static const double grads[STEPS][N_PARAMS] = {
    {0.5, -0.3, 0.0, 1e-6, 5.0, -2.0, 0.1},
    {0.25, 0.3, 0.0, -1e-6, 4.0, 1.0, -0.2},
    {-0.1, 0.2, 0.0, 1e-6, -3.0, 0.5, 0.3},
};

/* Expected state per parameter, in double, the formulas written out. */
typedef struct {
    double m, v, u;
    double u_product; /* Nadam: u_1 ... u_t */
} expected_state;

/* Nadam's momentum schedule. */
static double nadam_u(double beta_1, int t)
{
    return beta_1 * (1 - 0.5 * pow(0.96, t));
}

/* w: the weight before the step (AdamW's decay scales it). */
static double expected_delta(const ct_optimizer_spec *s, expected_state *e, double g, double w, int t)
{
    switch (s->kind) {
    case CT_OPTIMIZER_ADAMW: {
        const ct_adamw_spec *a = &s->adamw;
        double decay = -w * a->weight_decay * a->learning_rate; /* before the step, as Keras */
        e->m = a->beta_1 * e->m + (1 - a->beta_1) * g;
        e->v = a->beta_2 * e->v + (1 - a->beta_2) * g * g;
        double alpha = a->learning_rate * sqrt(1 - pow(a->beta_2, t)) / (1 - pow(a->beta_1, t));
        return decay - alpha * e->m / (sqrt(e->v) + a->epsilon);
    }
    case CT_OPTIMIZER_NADAM: {
        const ct_nadam_spec *a = &s->nadam;
        if (t == 1)
            e->u_product = 1;
        double u = nadam_u(a->beta_1, t), u_next = nadam_u(a->beta_1, t + 1);
        e->u_product *= u;
        e->m = a->beta_1 * e->m + (1 - a->beta_1) * g;
        e->v = a->beta_2 * e->v + (1 - a->beta_2) * g * g;
        double m_hat = u_next * e->m / (1 - e->u_product * u_next) + (1 - u) * g / (1 - e->u_product);
        double v_hat = e->v / (1 - pow(a->beta_2, t));
        return -a->learning_rate * m_hat / (sqrt(v_hat) + a->epsilon);
    }
    case CT_OPTIMIZER_ADAGRAD: {
        const ct_adagrad_spec *a = &s->adagrad;
        if (t == 1)
            e->v = a->initial_accumulator_value;
        e->v += g * g;
        return -a->learning_rate * g / sqrt(e->v + a->epsilon);
    }
    case CT_OPTIMIZER_ADAM: {
        const ct_adam_spec *a = &s->adam;
        e->m = a->beta_1 * e->m + (1 - a->beta_1) * g;
        e->v = a->beta_2 * e->v + (1 - a->beta_2) * g * g;
        double alpha = a->learning_rate * sqrt(1 - pow(a->beta_2, t)) / (1 - pow(a->beta_1, t));
        return -alpha * e->m / (sqrt(e->v) + a->epsilon);
    }
    case CT_OPTIMIZER_SGD: {
        const ct_sgd_spec *q = &s->sgd;
        if (q->momentum == 0)
            return -q->learning_rate * g;
        e->u = q->momentum * e->u - q->learning_rate * g;
        return q->nesterov ? q->momentum * e->u - q->learning_rate * g : e->u;
    }
    default: {
        const ct_rmsprop_spec *r = &s->rmsprop;
        e->v = r->rho * e->v + (1 - r->rho) * g * g;
        double step = r->learning_rate * g / sqrt(e->v + r->epsilon);
        if (r->momentum == 0)
            return -step;
        e->u = r->momentum * e->u + step;
        return -e->u;
    }
    }
}

typedef struct {
    int step;     /* 1-based */
    int param;    /* index into w_init */
    double value; /* the weight after that step, derived by hand */
} literal;

/* The gradients of step t after Keras' clipping: clipnorm per tensor
 * (parameters 0..2 and 3..6), global_clipnorm over both, or clipvalue. */
static void clipped_grads(const ct_optimizer_spec *s, int t, double *g)
{
    const ct_clip_spec *c = &s->clip;
    double sq[2] = {0, 0};
    for (int i = 0; i < N_PARAMS; i++) {
        g[i] = (double)(float)grads[t - 1][i];
        sq[i >= 3] += g[i] * g[i];
        if (c->clipvalue > 0)
            g[i] = fmax(-c->clipvalue, fmin(c->clipvalue, g[i]));
    }
    for (int i = 0; i < N_PARAMS; i++) {
        if (c->clipnorm > 0)
            g[i] *= c->clipnorm / fmax(sqrt(sq[i >= 3]), c->clipnorm);
        if (c->global_clipnorm > 0)
            g[i] *= c->global_clipnorm / fmax(sqrt(sq[0] + sq[1]), c->global_clipnorm);
    }
}

/* Runs STEPS steps of spec on two parameter tensors in one arena; after each
 * step every weight change must match the double formula to 1e-4 relative,
 * and the hand-derived literals must hold. */
static void check_optimizer(const ct_optimizer_spec *spec, const literal *literals, size_t literal_count)
{
    FOR_EACH_DEVICE(ctx)
    {
        size_t shape_a[1] = {3}, shape_b[2] = {2, 2};
        size_t capacity = ct_param_arena_padded(3) + ct_param_arena_padded(4);
        ct_param_arena *arena;
        OK(ct_param_arena_create(ctx, capacity, &arena));
        ct_tensor wa, ga, wb, gb, all;
        OK(ct_param_arena_add(arena, 1, shape_a, &wa, &ga));
        OK(ct_param_arena_add(arena, 2, shape_b, &wb, &gb));
        ck_assert_uint_eq(wb.offset - wa.offset, CT_PARAM_ALIGN); /* aligned, same offsets for grads */
        ck_assert_uint_eq(gb.offset - ga.offset, CT_PARAM_ALIGN);
        ck_assert_uint_eq(ct_param_arena_used(arena), capacity);

        float host[N_PARAMS];
        for (int i = 0; i < N_PARAMS; i++)
            host[i] = (float)w_init[i];
        OK(ct_tensor_write(ctx, &wa, host));
        OK(ct_tensor_write(ctx, &wb, host + 3));
        ct_optimizer *opt;
        OK(ct_optimizer_create(ctx, spec, arena, &opt));
        ck_assert_int_eq(ct_param_arena_add(arena, 1, shape_a, &wa, &ga), CT_ERR_SHAPE); /* layout is fixed now */

        expected_state e[N_PARAMS];
        memset(e, 0, sizeof e);
        double before[N_PARAMS];
        for (int i = 0; i < N_PARAMS; i++)
            before[i] = host[i];
        for (int t = 1; t <= STEPS; t++) {
            for (int i = 0; i < N_PARAMS; i++)
                host[i] = (float)grads[t - 1][i];
            OK(ct_tensor_write(ctx, &ga, host));
            OK(ct_tensor_write(ctx, &gb, host + 3));
            OK(ct_optimizer_step(ctx, opt));
            ck_assert_uint_eq(ct_optimizer_iterations(opt), (uint64_t)t);

            float *arena_host = malloc(capacity * sizeof *arena_host);
            ck_assert_ptr_nonnull(arena_host);
            OK(ct_param_arena_weights(arena, &all));
            OK(ct_tensor_read(ctx, &all, arena_host));
            for (size_t k = 0; k < capacity; k++) { /* the gaps between tensors stay 0 */
                int in_a = k < 3, in_b = k >= CT_PARAM_ALIGN && k < CT_PARAM_ALIGN + 4;
                if (!in_a && !in_b)
                    ck_assert_msg(arena_host[k] == 0.0f, "gap element %zu became %g", k, arena_host[k]);
            }
            double g[N_PARAMS];
            clipped_grads(spec, t, g);
            for (int i = 0; i < N_PARAMS; i++) {
                double now = arena_host[i < 3 ? i : CT_PARAM_ALIGN + (i - 3)];
                double want = expected_delta(spec, &e[i], g[i], before[i], t);
                double got = now - before[i];
                ck_assert_msg(fabs(got - want) <= 1e-4 * fabs(want) + 1e-8,
                              "%s step %d parameter %d: weight changed by %.9g, expected %.9g",
                              ct_optimizer_name(spec->kind), t, i, got, want);
                before[i] = now;
                for (size_t l = 0; l < literal_count; l++)
                    if (literals[l].step == t && literals[l].param == i)
                        ck_assert_msg(fabs(now - literals[l].value) <= 1e-8 + 1e-6 * fabs(literals[l].value),
                                      "%s step %d parameter %d: %.10g, derived by hand %.10g",
                                      ct_optimizer_name(spec->kind), t, i, now, literals[l].value);
            }
            free(arena_host);
        }
        ct_optimizer_free(opt);
        ct_param_arena_destroy(arena);
    }
    free(devices_);
}

START_TEST(test_adam)
{
    ct_optimizer_spec s = ct_optimizer_defaults(CT_OPTIMIZER_ADAM);
    /* Step 1, w = 0.01, g = 0.5: m = 0.1 * 0.5 = 0.05; v = 0.001 * 0.25 = 0.00025,
     * sqrt(v) = 0.0158113883; alpha = 0.001 * sqrt(0.001) / 0.1 = 3.16227766e-4;
     * w -= 3.16227766e-4 * 0.05 / (0.0158113883 + 1e-7) = 9.99993675e-4 -> 0.009000006325.
     * Parameter 3 (w = 0, g = 1e-6): m = 1e-7, v = 1e-15, sqrt(v) = 3.16227766e-8;
     * w -= 3.16227766e-4 * 1e-7 / (3.16227766e-8 + 1e-7) = 2.40253073e-4 -> -2.40253073e-4
     * (epsilon dominates: a tiny gradient moves the weight by far less than lr).
     * Keras raises float32(beta) to the power t: float32(0.999) = 0.99900001 makes alpha 6.4e-6
     * smaller than with exact decimals, 6e-9 here, within the literal tolerance of 1e-8. */
    const literal lit[] = {{1, 0, 0.009000006325}, {1, 3, -2.40253073e-4}};
    check_optimizer(&s, lit, 2);
    s.adam.learning_rate = 0.01, s.adam.beta_1 = 0.5, s.adam.beta_2 = 0.75;
    check_optimizer(&s, NULL, 0);
}
END_TEST

START_TEST(test_sgd)
{
    ct_optimizer_spec s = ct_optimizer_defaults(CT_OPTIMIZER_SGD);
    /* Plain: w -= 0.01 g: 0.01 - 0.005 = 0.005, then 0.005 - 0.0025 = 0.0025. */
    const literal plain[] = {{1, 0, 0.005}, {2, 0, 0.0025}};
    check_optimizer(&s, plain, 2);
    /* Momentum 0.9: u1 = -0.01 * 0.5 = -0.005 -> w = 0.005; u2 = 0.9 * -0.005 - 0.01 * 0.25 = -0.007
     * -> w = -0.002. */
    s.sgd.momentum = 0.9;
    const literal momentum[] = {{1, 0, 0.005}, {2, 0, -0.002}};
    check_optimizer(&s, momentum, 2);
    /* Nesterov: w += 0.9 u1 - 0.01 g = -0.0045 - 0.005 = -0.0095 -> 0.0005;
     * then 0.9 * -0.007 - 0.0025 = -0.0088 -> -0.0083. */
    s.sgd.nesterov = true;
    const literal nesterov[] = {{1, 0, 0.0005}, {2, 0, -0.0083}};
    check_optimizer(&s, nesterov, 2);
}
END_TEST

START_TEST(test_rmsprop)
{
    ct_optimizer_spec s = ct_optimizer_defaults(CT_OPTIMIZER_RMSPROP);
    /* Step 1, w = 0.01, g = 0.5: v = 0.1 * 0.25 = 0.025; step = 0.001 * 0.5 / sqrt(0.025 + 1e-7)
     * = 0.0005 / 0.158114199 = 0.00316227134 -> 0.00683772866 (epsilon inside the root). */
    const literal lit[] = {{1, 0, 0.00683772866}};
    check_optimizer(&s, lit, 1);
    s.rmsprop.momentum = 0.5;
    check_optimizer(&s, lit, 1); /* momentum starts from 0: the first step is the same */
}
END_TEST

START_TEST(test_adamw)
{
    ct_optimizer_spec s = ct_optimizer_defaults(CT_OPTIMIZER_ADAMW);
    ck_assert(s.adamw.weight_decay == 0.004 && s.adamw.learning_rate == 0.001);
    /* Step 1, w = 0.01, g = 0.5: the decay w -= 0.01 * 0.004 * 0.001 = 4e-8 first, then
     * Adam's step of test_adam (9.99993675e-4): 0.009000006325 - 4e-8 = 0.008999966325. */
    const literal lit[] = {{1, 0, 0.008999966325}};
    check_optimizer(&s, lit, 1);
    /* A decay large enough to dominate: w -= w * 0.5 * 0.01 per step. */
    s.adamw.weight_decay = 0.5, s.adamw.learning_rate = 0.01;
    check_optimizer(&s, NULL, 0);
    s.adamw.weight_decay = 0; /* no decay: Adam's formula */
    check_optimizer(&s, NULL, 0);
}
END_TEST

START_TEST(test_nadam)
{
    ct_optimizer_spec s = ct_optimizer_defaults(CT_OPTIMIZER_NADAM);
    /* Step 1, w = 0.01, g = 0.5: u_1 = 0.9 (1 - 0.5 * 0.96) = 0.468, u_2 = 0.9 (1 - 0.5 * 0.9216)
     * = 0.48528, products 0.468 and 0.22711104; m = 0.05, v = 0.00025;
     * m_hat = 0.48528 * 0.05 / 0.77288896 + 0.532 * 0.5 / 0.532 = 0.53139385;
     * v_hat = 0.00025 / 0.001 = 0.25; w -= 0.001 * 0.53139385 / (0.5 + 1e-7) -> 0.0089372124. */
    const literal lit[] = {{1, 0, 0.0089372124}};
    check_optimizer(&s, lit, 1);
    s.nadam.beta_1 = 0.5, s.nadam.beta_2 = 0.75, s.nadam.learning_rate = 0.01;
    check_optimizer(&s, NULL, 0);
}
END_TEST

START_TEST(test_adagrad)
{
    ct_optimizer_spec s = ct_optimizer_defaults(CT_OPTIMIZER_ADAGRAD);
    ck_assert(s.adagrad.initial_accumulator_value == 0.1 && s.adagrad.learning_rate == 0.001);
    /* Step 1, w = 0.01, g = 0.5: accumulator 0.1 + 0.25 = 0.35; w -= 0.001 * 0.5 / sqrt(0.35 + 1e-7)
     * = 8.4515413e-4 -> 0.0091548459 (the accumulator starts at 0.1, not 0). */
    const literal lit[] = {{1, 0, 0.0091548459}};
    check_optimizer(&s, lit, 1);
    s.adagrad.initial_accumulator_value = 0, s.adagrad.learning_rate = 0.01;
    check_optimizer(&s, NULL, 0);
}
END_TEST

START_TEST(test_clipping)
{
    ct_optimizer_spec s = ct_optimizer_defaults(CT_OPTIMIZER_SGD);
    /* clipnorm 1, per tensor: the first tensor's gradient (0.5, -0.3, 0) has norm 0.583 and
     * stays; the second's (1e-6, 5, -2, 0.1) has norm 5.3860932 and is scaled to norm 1:
     * parameter 4 (w = 0.04, g = 5) -> 0.04 - 0.01 * 5 / 5.3860932 = 0.0307168335. */
    s.clip.clipnorm = 1.0;
    const literal per_tensor[] = {{1, 0, 0.005}, {1, 4, 0.0307168335}};
    check_optimizer(&s, per_tensor, 2);
    /* global_clipnorm 2 over both tensors (norm 5.4175640): g *= 2 / 5.4175640;
     * parameter 4 -> 0.04 - 0.01 * 10 / 5.4175640 = 0.0215415195. */
    s.clip.clipnorm = 0, s.clip.global_clipnorm = 2.0;
    const literal global[] = {{1, 4, 0.0215415195}};
    check_optimizer(&s, global, 1);
    /* clipvalue 1: g = 5 becomes 1 -> 0.04 - 0.01 = 0.03; g = 0.5 stays -> 0.005. */
    s.clip.global_clipnorm = 0, s.clip.clipvalue = 1.0;
    const literal by_value[] = {{1, 0, 0.005}, {1, 4, 0.03}};
    check_optimizer(&s, by_value, 2);
    /* With every optimizer, against the formulas. */
    for (int k = 0; k < CT_OPTIMIZER_COUNT; k++) {
        ct_optimizer_spec o = ct_optimizer_defaults((ct_optimizer_kind)k);
        o.clip.clipnorm = 0.5;
        check_optimizer(&o, NULL, 0);
        o.clip.clipnorm = 0, o.clip.clipvalue = 0.25;
        check_optimizer(&o, NULL, 0);
    }
    /* Keras refuses two at once. */
    s.clip.clipnorm = 1.0;
    ck_assert_int_eq(ct_optimizer_check(&s), CT_ERR_CONFIG);
    ck_assert_str_eq(ct_status_name(CT_ERR_CONFIG), "config");
}
END_TEST

/* Keras 3's schedules at chosen steps, the values worked out by hand. */
START_TEST(test_lr_schedules)
{
    ct_lr_schedule_spec s = {.enabled = true, .kind = CT_LR_SCHEDULE_EXPONENTIAL_DECAY};
    s.exponential.initial_learning_rate = 0.1, s.exponential.decay_steps = 100, s.exponential.decay_rate = 0.5;
    ck_assert(fabs(ct_lr_schedule_value(&s, 0) - 0.1) < 1e-15);
    ck_assert(fabs(ct_lr_schedule_value(&s, 50) - 0.1 * sqrt(0.5)) < 1e-15); /* 0.5^(50/100) */
    ck_assert(fabs(ct_lr_schedule_value(&s, 200) - 0.025) < 1e-15);
    s.exponential.staircase = true; /* 0.5^floor(150/100) */
    ck_assert(fabs(ct_lr_schedule_value(&s, 150) - 0.05) < 1e-15);

    s = (ct_lr_schedule_spec){.enabled = true, .kind = CT_LR_SCHEDULE_COSINE_DECAY};
    s.cosine.initial_learning_rate = 0.1, s.cosine.decay_steps = 1000, s.cosine.alpha = 0.2;
    ck_assert(fabs(ct_lr_schedule_value(&s, 0) - 0.1) < 1e-15);
    /* halfway: 0.5 (1 + cos(pi/2)) = 0.5 -> 0.1 (0.8 * 0.5 + 0.2) = 0.06 */
    ck_assert(fabs(ct_lr_schedule_value(&s, 500) - 0.06) < 1e-15);
    ck_assert(fabs(ct_lr_schedule_value(&s, 1000) - 0.02) < 1e-15);
    ck_assert(fabs(ct_lr_schedule_value(&s, 5000) - 0.02) < 1e-15); /* held at the end */
    /* Warm-up 0 -> 0.1 over 100 steps, then the cosine from 0.1 over 1000 more. */
    s.cosine.initial_learning_rate = 0, s.cosine.alpha = 0;
    s.cosine.has_warmup_target = true, s.cosine.warmup_target = 0.1, s.cosine.warmup_steps = 100;
    ck_assert(ct_lr_schedule_value(&s, 0) == 0);
    ck_assert(fabs(ct_lr_schedule_value(&s, 25) - 0.025) < 1e-15);
    ck_assert(fabs(ct_lr_schedule_value(&s, 100) - 0.1) < 1e-15);
    ck_assert(fabs(ct_lr_schedule_value(&s, 600) - 0.05) < 1e-15);
    ck_assert(fabs(ct_lr_schedule_value(&s, 1100)) < 1e-15);
    ck_assert(fabs(ct_lr_schedule_value(&s, 9999)) < 1e-15);

    /* Keras' docstring example: boundaries [100000, 110000], values [1.0, 0.5, 0.1]. */
    s = (ct_lr_schedule_spec){.enabled = true, .kind = CT_LR_SCHEDULE_PIECEWISE_CONSTANT_DECAY};
    s.piecewise.boundary_count = 2, s.piecewise.boundaries[0] = 100000, s.piecewise.boundaries[1] = 110000;
    s.piecewise.value_count = 3, s.piecewise.values[0] = 1.0, s.piecewise.values[1] = 0.5;
    s.piecewise.values[2] = 0.1;
    ck_assert(ct_lr_schedule_value(&s, 0) == 1.0);
    ck_assert(ct_lr_schedule_value(&s, 100000) == 1.0); /* step <= boundary keeps the value */
    ck_assert(ct_lr_schedule_value(&s, 100001) == 0.5);
    ck_assert(ct_lr_schedule_value(&s, 110000) == 0.5);
    ck_assert(ct_lr_schedule_value(&s, 110001) == 0.1);
    s.piecewise.value_count = 2;
    ck_assert(isnan(ct_lr_schedule_value(&s, 110001)));
}
END_TEST

/* The example in Keras' RMSprop docstring: var = 10, loss = var^2 / 2 (so the
 * gradient is var), RMSprop(learning_rate=0.1): one minimize step -> 9.683772. */
START_TEST(test_rmsprop_keras_docstring)
{
    FOR_EACH_DEVICE(ctx)
    {
        ct_param_arena *arena;
        OK(ct_param_arena_create(ctx, ct_param_arena_padded(1), &arena));
        ct_tensor w, g;
        size_t one = 1;
        OK(ct_param_arena_add(arena, 1, &one, &w, &g));
        float value = 10.0f;
        OK(ct_tensor_write(ctx, &w, &value));
        ct_optimizer_spec s = ct_optimizer_defaults(CT_OPTIMIZER_RMSPROP);
        s.rmsprop.learning_rate = 0.1;
        ct_optimizer *opt;
        OK(ct_optimizer_create(ctx, &s, arena, &opt));
        /* Steps 2 and 3 by hand: v2 = 0.9 * 10 + 0.1 * 9.683772^2 = 18.3774, w = 9.683772 - 0.9683772 /
         * sqrt(18.3774) = 9.457880; v3 = 0.9 * 18.3774 + 0.1 * 9.45788^2 = 25.4848, w = 9.270531. */
        const double want[3] = {9.683772, 9.457880, 9.270531};
        for (int t = 0; t < 3; t++) {
            OK(ct_tensor_write(ctx, &g, &value)); /* gradient = var */
            OK(ct_optimizer_step(ctx, opt));
            OK(ct_tensor_read(ctx, &w, &value));
            ck_assert_msg(fabs(value - want[t]) < 5e-6, "step %d: %.7f, Keras %.6f", t + 1, value, want[t]);
        }
        /* A learning-rate change applies from the next step; reset forgets the state. */
        OK(ct_optimizer_set_learning_rate(opt, 0.0));
        OK(ct_optimizer_step(ctx, opt));
        float same;
        OK(ct_tensor_read(ctx, &w, &same));
        ck_assert(same == value);
        ck_assert(ct_optimizer_learning_rate(opt) == 0.0);
        OK(ct_optimizer_reset(ctx, opt));
        ck_assert_uint_eq(ct_optimizer_iterations(opt), 0);
        ct_optimizer_free(opt);
        ct_param_arena_destroy(arena);
    }
    free(devices_);
}
END_TEST

START_TEST(test_arena_limits)
{
    FOR_EACH_DEVICE(ctx)
    {
        ct_param_arena *arena;
        ck_assert_uint_eq(ct_param_arena_padded(1), CT_PARAM_ALIGN);
        ck_assert_uint_eq(ct_param_arena_padded(CT_PARAM_ALIGN), CT_PARAM_ALIGN);
        ck_assert_uint_eq(ct_param_arena_padded(CT_PARAM_ALIGN + 1), 2 * CT_PARAM_ALIGN);
        OK(ct_param_arena_create(ctx, ct_param_arena_padded(10), &arena));
        ct_tensor w, g;
        size_t ten = 10, one = 1;
        OK(ct_param_arena_add(arena, 1, &ten, &w, &g));
        ck_assert_int_eq(ct_param_arena_add(arena, 1, &one, &w, &g), CT_ERR_SHAPE); /* full */
        ck_assert_uint_eq(ct_param_arena_count(arena), 1);
        /* The gradients start at 0 and zero_grads clears them again. */
        float host[10];
        for (int i = 0; i < 10; i++)
            host[i] = 1.0f + (float)i;
        OK(ct_tensor_write(ctx, &g, host));
        OK(ct_param_arena_zero_grads(ctx, arena));
        OK(ct_tensor_read(ctx, &g, host));
        for (int i = 0; i < 10; i++)
            ck_assert(host[i] == 0.0f);
        ct_param_arena_destroy(arena);
    }
    free(devices_);
}
END_TEST

/* =============================================================== metrics */

/* Writes rows [first, first + rows) of a (n, cols) host table to a fresh tensor. */
static ct_tensor upload_rows(ct_context *ctx, const float *table, size_t cols, size_t first, size_t rows, int ndim)
{
    ct_tensor t;
    size_t shape[2] = {rows, cols};
    OK(ct_tensor_create(ctx, ndim, shape, &t));
    OK(ct_tensor_write(ctx, &t, table + first * cols));
    return t;
}

/* Feeds pred/target tables in batches of `batch` rows (the last one smaller). */
static void update_in_batches(ct_context *ctx, ct_metric_state *state, const float *pred, const float *target, size_t n,
                              size_t c, size_t tc, size_t batch)
{
    for (size_t first = 0; first < n; first += batch) {
        size_t rows = n - first < batch ? n - first : batch;
        ct_tensor p = upload_rows(ctx, pred, c, first, rows, 2);
        ct_tensor t = upload_rows(ctx, target, tc, first, rows, tc == 1 && c > 1 ? 1 : 2);
        OK(ct_metrics_update(ctx, state, &p, &t));
        ct_tensor_release(&p);
        ct_tensor_release(&t);
    }
}

#define N_CLS 11 /* samples, fed as batches of 4, 4 and 3 */

/* Three classes; rows 2, 5 and 9 tie at the top (argmax takes the first). */
static const float cls_pred[N_CLS * 3] = {
    0.7f,  0.2f,  0.1f,  /* 0 */
    0.1f,  0.8f,  0.1f,  /* 1 */
    0.4f,  0.4f,  0.2f,  /* tie of 0 and 1 -> 0 */
    0.2f,  0.2f,  0.6f,  /* 2 */
    0.3f,  0.5f,  0.2f,  /* 1 */
    0.1f,  0.45f, 0.45f, /* tie of 1 and 2 -> 1 */
    0.9f,  0.05f, 0.05f, /* 0 */
    0.2f,  0.3f,  0.5f,  /* 2 */
    0.6f,  0.3f,  0.1f,  /* 0 */
    0.3f,  0.3f,  0.3f,  /* three-way tie -> 0 */
    0.25f, 0.5f,  0.25f, /* 1 */
};
/* Labels; correct: 0 yes, 1 yes, 2 no (tie goes to 0, label 1), 3 yes, 4 no, 5 yes (tie -> 1),
 * 6 yes, 7 no, 8 yes, 9 yes (tie -> 0), 10 no: 7 of 11. */
static const float cls_label[N_CLS] = {0, 1, 1, 2, 0, 1, 0, 1, 0, 0, 2};

START_TEST(test_accuracy_with_ties)
{
    float one_hot[N_CLS * 3] = {0};
    for (int i = 0; i < N_CLS; i++)
        one_hot[i * 3 + (int)cls_label[i]] = 1.0f;
    FOR_EACH_DEVICE(ctx)
    {
        ct_metric acc = CT_METRIC_ACCURACY;
        ct_metric_state *sparse, *categorical;
        OK(ct_metrics_create(ctx, &acc, 1, 3, 1, &sparse));
        OK(ct_metrics_create(ctx, &acc, 1, 3, 0, &categorical));
        ck_assert_int_eq(ct_metrics_kind(sparse, 0), CT_METRIC_SPARSE_CATEGORICAL_ACCURACY);
        ck_assert_int_eq(ct_metrics_kind(categorical, 0), CT_METRIC_CATEGORICAL_ACCURACY);
        update_in_batches(ctx, sparse, cls_pred, cls_label, N_CLS, 3, 1, 4);
        update_in_batches(ctx, categorical, cls_pred, one_hot, N_CLS, 3, 3, 4);
        double v;
        OK(ct_metrics_read(ctx, sparse, &v));
        ck_assert_msg(fabs(v - 7.0 / 11.0) < 1e-6, "sparse accuracy %g, expected 7/11", v);
        OK(ct_metrics_read(ctx, categorical, &v));
        ck_assert_msg(fabs(v - 7.0 / 11.0) < 1e-6, "categorical accuracy %g, expected 7/11", v);

        /* After a reset only the new samples count: the last batch (rows 8..10) has 2 of 3 right. */
        OK(ct_metrics_reset(ctx, sparse));
        OK(ct_metrics_read(ctx, sparse, &v));
        ck_assert(v == 0.0); /* no samples: 0, as Keras */
        update_in_batches(ctx, sparse, cls_pred + 8 * 3, cls_label + 8, 3, 3, 1, 4);
        OK(ct_metrics_read(ctx, sparse, &v));
        ck_assert_msg(fabs(v - 2.0 / 3.0) < 1e-6, "accuracy after reset %g", v);

        /* Mixing class-id targets with a metric that needs full targets is refused. */
        ct_metric mse = CT_METRIC_MSE;
        ct_metric_state *bad;
        ck_assert_int_eq(ct_metrics_create(ctx, &mse, 1, 3, 1, &bad), CT_ERR_CONFIG);
        ct_metrics_destroy(sparse);
        ct_metrics_destroy(categorical);
    }
    free(devices_);
}
END_TEST

START_TEST(test_binary_accuracy)
{
    /* One output: > 0.5 is 1; exactly 0.5 is 0 (Keras uses >). Correct: 1 yes, 2 no,
     * 3 and 4 yes (0.5 -> 0), 5 yes: 4 of 5 (with >= it would be 2 of 5). */
    const float pred[5] = {0.9f, 0.7f, 0.5f, 0.5f, 0.1f};
    const float label[5] = {1, 0, 0, 0, 0};
    FOR_EACH_DEVICE(ctx)
    {
        ct_metric acc = CT_METRIC_ACCURACY;
        ct_metric_state *state;
        OK(ct_metrics_create(ctx, &acc, 1, 1, 0, &state));
        ck_assert_int_eq(ct_metrics_kind(state, 0), CT_METRIC_BINARY_ACCURACY);
        update_in_batches(ctx, state, pred, label, 5, 1, 1, 2); /* 2 + 2 + 1 */
        double v;
        OK(ct_metrics_read(ctx, state, &v));
        ck_assert_msg(fabs(v - 0.8) < 1e-6, "binary accuracy %g, expected 4/5", v);
        ct_metrics_destroy(state);
    }
    free(devices_);
}
END_TEST

#define N_REG 11
#define C_REG 2

START_TEST(test_regression_metrics_over_epoch)
{
    float pred[N_REG * C_REG], target[N_REG * C_REG];
    for (int i = 0; i < N_REG * C_REG; i++) {
        pred[i] = (float)(0.3 * sin(1.7 * i) + 0.01 * i);
        target[i] = (float)(0.2 * cos(0.9 * i) + (i >= 16 ? 2.0 : 0.0)); /* the last batch is far off */
    }
    /* Keras: mse/mae = mean of per-sample means; rmse = sqrt(epoch mse). */
    double mse = 0, mae = 0, batch_rmse_mean = 0;
    int batches = 0;
    for (int first = 0; first < N_REG; first += 4, batches++) {
        int rows = N_REG - first < 4 ? N_REG - first : 4;
        double batch_mse = 0;
        for (int r = first; r < first + rows; r++) {
            double p[C_REG], t[C_REG];
            for (int j = 0; j < C_REG; j++)
                p[j] = pred[r * C_REG + j], t[j] = target[r * C_REG + j];
            double se = ref_metric_sample(CT_METRIC_MSE, C_REG, p, t, 0.5);
            mse += se;
            batch_mse += se;
            mae += ref_metric_sample(CT_METRIC_MAE, C_REG, p, t, 0.5);
        }
        batch_rmse_mean += sqrt(batch_mse / rows);
    }
    mse /= N_REG, mae /= N_REG, batch_rmse_mean /= batches;
    double rmse = sqrt(mse);
    ck_assert_msg(fabs(rmse - batch_rmse_mean) > 1e-2, "test data should tell the two apart");
    FOR_EACH_DEVICE(ctx)
    {
        const ct_metric metrics[3] = {CT_METRIC_RMSE, CT_METRIC_MSE, CT_METRIC_MAE};
        ct_metric_state *state;
        OK(ct_metrics_create(ctx, metrics, 3, C_REG, 0, &state));
        ck_assert_uint_eq(ct_metrics_count(state), 3);
        update_in_batches(ctx, state, pred, target, N_REG, C_REG, C_REG, 4); /* 4 + 4 + 3 */
        double v[3];
        OK(ct_metrics_read(ctx, state, v));
        ck_assert_msg(fabs(v[0] - rmse) < 1e-6 * rmse, "rmse %.9g, expected %.9g (mean of batch rmse: %.9g)", v[0],
                      rmse, batch_rmse_mean);
        ck_assert_msg(fabs(v[1] - mse) < 1e-6 * mse, "mse %.9g, expected %.9g", v[1], mse);
        ck_assert_msg(fabs(v[2] - mae) < 1e-6 * mae, "mae %.9g, expected %.9g", v[2], mae);

        /* A prediction with the wrong number of outputs is an error, not garbage. */
        ct_tensor p = upload_rows(ctx, pred, 1, 0, 4, 2), t = upload_rows(ctx, target, 1, 0, 4, 2);
        ck_assert_int_eq(ct_metrics_update(ctx, state, &p, &t), CT_ERR_SHAPE);
        ct_tensor_release(&p);
        ct_tensor_release(&t);
        ct_metrics_destroy(state);
    }
    free(devices_);
}
END_TEST

/* ================================================================== losses */

static double read_loss(ct_context *ctx, ct_loss loss, int from_logits, const float *pred, const float *target,
                        size_t n, size_t c)
{
    size_t tc = loss == CT_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY ? 1 : c;
    ct_tensor p = upload_rows(ctx, pred, c, 0, n, 2), t = upload_rows(ctx, target, tc, 0, n, tc == 1 ? 1 : 2);
    ct_loss_accum acc;
    OK(ct_loss_accum_create(ctx, &acc));
    OK(ct_loss_forward_backward(ctx, loss, from_logits, &p, &t, NULL, &acc));
    double mean;
    OK(ct_loss_accum_read(ctx, &acc, &mean));
    ct_loss_accum_release(&acc);
    ct_tensor_release(&p);
    ct_tensor_release(&t);
    return mean;
}

/* The loss and the metrics of each batch in one launch give what the two
 * separate launches give; in place (dpred == pred) the metrics still see the
 * predictions; loss and metrics must agree on class-id targets. */
START_TEST(test_loss_and_metrics_in_one_launch)
{
    float pred[N_REG * C_REG], target[N_REG * C_REG];
    for (int i = 0; i < N_REG * C_REG; i++) {
        pred[i] = (float)(0.3 * sin(1.7 * i) + 0.01 * i);
        target[i] = (float)(0.2 * cos(0.9 * i) + (i >= 16 ? 2.0 : 0.0));
    }
    double mse = 0, mae = 0;
    for (int r = 0; r < N_REG; r++) {
        double p[C_REG], t[C_REG];
        for (int j = 0; j < C_REG; j++)
            p[j] = pred[r * C_REG + j], t[j] = target[r * C_REG + j];
        mse += ref_metric_sample(CT_METRIC_MSE, C_REG, p, t, 0.5) / N_REG;
        mae += ref_metric_sample(CT_METRIC_MAE, C_REG, p, t, 0.5) / N_REG;
    }
    FOR_EACH_DEVICE(ctx)
    {
        const ct_metric metrics[3] = {CT_METRIC_RMSE, CT_METRIC_MSE, CT_METRIC_MAE};
        ct_metric_state *state;
        ct_loss_accum acc;
        OK(ct_metrics_create(ctx, metrics, 3, C_REG, 0, &state));
        OK(ct_loss_accum_create(ctx, &acc));
        for (size_t first = 0; first < N_REG; first += 4) {
            size_t rows = N_REG - first < 4 ? N_REG - first : 4;
            ct_tensor p = upload_rows(ctx, pred, C_REG, first, rows, 2);
            ct_tensor t = upload_rows(ctx, target, C_REG, first, rows, 2);
            ct_tensor d_fused = upload_rows(ctx, pred, C_REG, first, rows, 2);
            ct_tensor d_alone = upload_rows(ctx, pred, C_REG, first, rows, 2);
            OK(ct_loss_and_metrics(ctx, CT_LOSS_MSE, 0, &p, &t, &d_fused, &acc, state));
            OK(ct_loss_forward_backward(ctx, CT_LOSS_MSE, 0, &p, &t, &d_alone, NULL));
            float g_fused[4 * C_REG], g_alone[4 * C_REG];
            OK(ct_tensor_read(ctx, &d_fused, g_fused));
            OK(ct_tensor_read(ctx, &d_alone, g_alone));
            ck_assert_int_eq(memcmp(g_fused, g_alone, rows * C_REG * sizeof(float)), 0);
            ct_tensor_release(&p), ct_tensor_release(&t), ct_tensor_release(&d_fused), ct_tensor_release(&d_alone);
        }
        double v[4];
        OK(ct_loss_and_metrics_read(ctx, &acc, state, v));
        ck_assert_msg(fabs(v[0] - mse) < 1e-6 * mse, "loss %.9g, expected %.9g", v[0], mse);
        ck_assert_msg(fabs(v[1] - sqrt(mse)) < 1e-6 * sqrt(mse), "rmse %.9g, expected %.9g", v[1], sqrt(mse));
        ck_assert_msg(fabs(v[2] - mse) < 1e-6 * mse, "mse %.9g, expected %.9g", v[2], mse);
        ck_assert_msg(fabs(v[3] - mae) < 1e-6 * mae, "mae %.9g, expected %.9g", v[3], mae);
        ct_metrics_destroy(state);
        ct_loss_accum_release(&acc);

        /* In place, class ids: the accuracy is the predictions' 7 of 11, not the gradients'. */
        ct_metric accuracy = CT_METRIC_ACCURACY;
        OK(ct_metrics_create(ctx, &accuracy, 1, 3, 1, &state));
        OK(ct_loss_accum_create(ctx, &acc));
        for (size_t first = 0; first < N_CLS; first += 4) {
            size_t rows = N_CLS - first < 4 ? N_CLS - first : 4;
            ct_tensor p = upload_rows(ctx, cls_pred, 3, first, rows, 2);
            ct_tensor t = upload_rows(ctx, cls_label, 1, first, rows, 1);
            OK(ct_loss_and_metrics(ctx, CT_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, 1, &p, &t, &p, &acc, state));
            ct_tensor_release(&p), ct_tensor_release(&t);
        }
        double w[2];
        OK(ct_loss_and_metrics_read(ctx, &acc, state, w));
        ck_assert_msg(fabs(w[1] - 7.0 / 11.0) < 1e-6, "accuracy %g, expected 7/11", w[1]);
        double loss = 0;
        for (int r = 0; r < N_CLS; r++)
            loss += read_loss(ctx, CT_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, 1, cls_pred + 3 * r, cls_label + r, 1, 3);
        ck_assert_msg(fabs(w[0] - loss / N_CLS) < 1e-6, "loss %.9g, expected %.9g", w[0], loss / N_CLS);

        /* Class-id metrics with a loss on full targets are refused. */
        ct_tensor p = upload_rows(ctx, cls_pred, 3, 0, 4, 2), t = upload_rows(ctx, cls_pred, 3, 0, 4, 2);
        ck_assert_int_eq(ct_loss_and_metrics(ctx, CT_LOSS_MSE, 0, &p, &t, NULL, &acc, state), CT_ERR_INVALID_ARGUMENT);
        ck_assert_ptr_nonnull(strstr(ct_last_error(), "class-id"));
        ct_tensor_release(&p), ct_tensor_release(&t);
        ct_metrics_destroy(state);
        ct_loss_accum_release(&acc);
    }
    free(devices_);
}
END_TEST

/* Values from the examples in Keras' docstrings. */
START_TEST(test_loss_keras_examples)
{
    /* keras.losses.binary_crossentropy([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]]) = [0.916, 0.714]:
     * -(log 0.4 + log 0.4) / 2 = 0.9162907, -(log 0.6 + log 0.4) / 2 = 0.7135582. */
    const float bce_true[4] = {0, 1, 0, 0}, bce_pred[4] = {0.6f, 0.4f, 0.4f, 0.6f};
    /* categorical_crossentropy(identity, b) = [0.10536, 0.11653, 0.06188] = -log of the diagonal
     * of b after each row is divided by its sum. */
    const float cce_true[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
    const float cce_pred[9] = {0.9f, 0.05f, 0.05f, 0.05f, 0.89f, 0.06f, 0.05f, 0.01f, 0.94f};
    FOR_EACH_DEVICE(ctx)
    {
        double v = read_loss(ctx, CT_LOSS_BINARY_CROSSENTROPY, 0, bce_pred, bce_true, 2, 2);
        ck_assert_msg(fabs(v - (0.9162907 + 0.7135582) / 2) < 1e-6, "binary crossentropy %.7f", v);
        v = read_loss(ctx, CT_LOSS_CATEGORICAL_CROSSENTROPY, 0, cce_pred, cce_true, 3, 3);
        ck_assert_msg(fabs(v - (0.10536 + 0.11653 + 0.06188) / 3) < 1e-5, "categorical crossentropy %.7f", v);
        const float labels[3] = {0, 1, 2};
        v = read_loss(ctx, CT_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, 0, cce_pred, labels, 3, 3);
        ck_assert_msg(fabs(v - (0.10536 + 0.11653 + 0.06188) / 3) < 1e-5, "sparse crossentropy %.7f", v);
    }
    free(devices_);
}
END_TEST

/* label_smoothing by hand: categorical, 3 classes, s = 0.3: the target (0, 1, 0)
 * becomes (0.1, 0.8, 0.1); with p = (0.05, 0.95, 0) (0 clipped to 1e-7):
 * -(0.1 ln 0.05 + 0.8 ln 0.95 + 0.1 ln 1e-7) = 0.2995732 + 0.0410346 + 1.6118096 = 1.9524174.
 * Binary, s = 0.2: the target 1 becomes 0.9; p = 0.4: -(0.9 ln 0.4 + 0.1 ln 0.6) = 0.8246616 + 0.0510826
 * = 0.8757442.
 * The metrics still see the targets as given. */
START_TEST(test_label_smoothing_by_hand)
{
    const float cce_true[3] = {0, 1, 0}, cce_pred[3] = {0.05f, 0.95f, 0.0f};
    const float bce_true[1] = {1}, bce_pred[1] = {0.4f};
    FOR_EACH_DEVICE(ctx)
    {
        size_t shape[2] = {1, 3};
        ct_tensor pred, target;
        OK(ct_tensor_create(ctx, 2, shape, &pred));
        OK(ct_tensor_create(ctx, 2, shape, &target));
        OK(ct_tensor_write(ctx, &pred, cce_pred));
        OK(ct_tensor_write(ctx, &target, cce_true));
        ct_loss_accum acc;
        OK(ct_loss_accum_create(ctx, &acc));
        ct_metric accuracy = CT_METRIC_CATEGORICAL_ACCURACY;
        ct_metric_state *metrics;
        OK(ct_metrics_create(ctx, &accuracy, 1, 3, 0, &metrics));
        ct_loss_options smooth = {.label_smoothing = 0.3};
        OK(ct_loss_and_metrics_ex(ctx, CT_LOSS_CATEGORICAL_CROSSENTROPY, 0, &smooth, &pred, &target, NULL, &acc,
                                  metrics));
        double values[2];
        OK(ct_loss_and_metrics_read(ctx, &acc, metrics, values));
        ck_assert_msg(fabs(values[0] - 1.9524174) < 1e-5, "smoothed categorical crossentropy %.7f", values[0]);
        ck_assert(values[1] == 1.0); /* argmax of the given target */
        ct_metrics_destroy(metrics);
        ct_loss_accum_release(&acc);
        ct_tensor_release(&pred);
        ct_tensor_release(&target);

        size_t one[2] = {1, 1};
        OK(ct_tensor_create(ctx, 2, one, &pred));
        OK(ct_tensor_create(ctx, 2, one, &target));
        OK(ct_tensor_write(ctx, &pred, bce_pred));
        OK(ct_tensor_write(ctx, &target, bce_true));
        OK(ct_loss_accum_create(ctx, &acc));
        smooth.label_smoothing = 0.2;
        OK(ct_loss_and_metrics_ex(ctx, CT_LOSS_BINARY_CROSSENTROPY, 0, &smooth, &pred, &target, NULL, &acc, NULL));
        double v;
        OK(ct_loss_accum_read(ctx, &acc, &v));
        ck_assert_msg(fabs(v - 0.8757442) < 1e-5, "smoothed binary crossentropy %.7f", v);
        /* Keras has no label_smoothing for the other losses. */
        smooth.label_smoothing = 0.1;
        ck_assert_int_eq(ct_loss_and_metrics_ex(ctx, CT_LOSS_MSE, 0, &smooth, &pred, &target, NULL, &acc, NULL),
                         CT_ERR_INVALID_ARGUMENT);
        ct_loss_accum_release(&acc);
        ct_tensor_release(&pred);
        ct_tensor_release(&target);
    }
    free(devices_);
}
END_TEST

/* kernel_regularizer by hand: w = (0.5, -1, 0, 2), l1 = 0.01, l2 = 0.1:
 * penalty 0.01 * 3.5 + 0.1 * 5.25 = 0.56 on top of a batch of 4 rows whose
 * own loss is 0 (mse of equal predictions and targets), so the mean loss is
 * 0.56; the gradient 0.1 + 0.01 sign(w) + 0.2 w = (0.21, -0.11, 0.1, 0.51)
 * (sign(0) = 0). */
START_TEST(test_regularizer_by_hand)
{
    const float w[4] = {0.5f, -1.0f, 0.0f, 2.0f}, g[4] = {0.1f, 0.1f, 0.1f, 0.1f};
    const double want[4] = {0.21, -0.11, 0.1, 0.51};
    FOR_EACH_DEVICE(ctx)
    {
        size_t four = 4;
        ct_tensor wt, gt;
        OK(ct_tensor_create(ctx, 1, &four, &wt));
        OK(ct_tensor_create(ctx, 1, &four, &gt));
        OK(ct_tensor_write(ctx, &wt, w));
        OK(ct_tensor_write(ctx, &gt, g));
        size_t shape[2] = {4, 1};
        ct_tensor pred;
        OK(ct_tensor_view(&wt, 0, 2, shape, &pred));
        ct_loss_accum acc;
        OK(ct_loss_accum_create(ctx, &acc));
        OK(ct_loss_forward_backward(ctx, CT_LOSS_MSE, 0, &pred, &pred, NULL, &acc));
        OK(ct_loss_regularize(ctx, &wt, &gt, 0.01, 0.1, &acc, 4));
        double mean;
        OK(ct_loss_accum_read(ctx, &acc, &mean));
        ck_assert_msg(fabs(mean - 0.56) < 1e-6, "mean loss with the penalty %.7f", mean);
        float got[4];
        OK(ct_tensor_read(ctx, &gt, got));
        for (int i = 0; i < 4; i++)
            ck_assert_msg(fabs(got[i] - want[i]) < 1e-6, "gradient %d: %.7f, by hand %.2f", i, got[i], want[i]);
        ck_assert_int_eq(ct_loss_regularize(ctx, &wt, &gt, -0.1, 0, &acc, 4), CT_ERR_INVALID_ARGUMENT);
        ct_loss_accum_release(&acc);
        ct_tensor_release(&wt);
        ct_tensor_release(&gt);
    }
    free(devices_);
}
END_TEST

#define N_EPOCH 71 /* batches of 32, 32 and 7 */
#define C_EPOCH 3

START_TEST(test_loss_epoch_mean)
{
    float pred[N_EPOCH * C_EPOCH], target[N_EPOCH * C_EPOCH];
    for (int i = 0; i < N_EPOCH * C_EPOCH; i++) {
        pred[i] = (float)sin(0.37 * i);
        target[i] = (float)(i >= 64 * C_EPOCH ? 3.0 : cos(0.21 * i)); /* the small last batch is far off */
    }
    double pd[N_EPOCH * C_EPOCH], td[N_EPOCH * C_EPOCH];
    for (int i = 0; i < N_EPOCH * C_EPOCH; i++)
        pd[i] = pred[i], td[i] = target[i];
    double want = ref_loss_mean(CT_LOSS_MSE, 0, N_EPOCH, C_EPOCH, pd, td);
    double batch_means = (ref_loss_mean(CT_LOSS_MSE, 0, 32, C_EPOCH, pd, td) +
                          ref_loss_mean(CT_LOSS_MSE, 0, 32, C_EPOCH, pd + 32 * C_EPOCH, td + 32 * C_EPOCH) +
                          ref_loss_mean(CT_LOSS_MSE, 0, 7, C_EPOCH, pd + 64 * C_EPOCH, td + 64 * C_EPOCH)) /
                         3;
    ck_assert_msg(fabs(want - batch_means) > 0.1, "test data should tell the two apart");
    FOR_EACH_DEVICE(ctx)
    {
        ct_loss_accum acc;
        OK(ct_loss_accum_create(ctx, &acc));
        float first_sums[2] = {0, 0};
        for (int epoch = 0; epoch < 2; epoch++) {
            OK(ct_loss_accum_reset(ctx, &acc));
            for (size_t first = 0; first < N_EPOCH; first += 32) {
                size_t rows = N_EPOCH - first < 32 ? N_EPOCH - first : 32;
                ct_tensor p = upload_rows(ctx, pred, C_EPOCH, first, rows, 2);
                ct_tensor t = upload_rows(ctx, target, C_EPOCH, first, rows, 2);
                ct_tensor d;
                size_t shape[2] = {rows, C_EPOCH};
                OK(ct_tensor_create(ctx, 2, shape, &d));
                OK(ct_loss_forward_backward(ctx, CT_LOSS_MSE, 0, &p, &t, &d, &acc));
                ct_tensor_release(&p);
                ct_tensor_release(&t);
                ct_tensor_release(&d);
            }
            ck_assert_uint_eq(acc.count, N_EPOCH);
            double mean;
            OK(ct_loss_accum_read(ctx, &acc, &mean));
            ck_assert_msg(fabs(mean - want) < 1e-6 * want, "epoch loss %.9g, Keras %.9g (mean of batch means %.9g)",
                          mean, want, batch_means);
            float sums[2];
            OK(ct_tensor_read(ctx, &acc.sums, sums));
            if (epoch == 0)
                memcpy(first_sums, sums, sizeof sums);
            else /* same data, same device: bit-identical */
                ck_assert(memcmp(first_sums, sums, sizeof sums) == 0);
        }
        ct_loss_accum_release(&acc);
    }
    free(devices_);
}
END_TEST

START_TEST(test_loss_edge_values)
{
    /* Probabilities exactly 0 and 1 are clipped: finite loss, zero gradient there. */
    const float pred[4] = {0.0f, 1.0f, 1.0f, 0.25f}, target[4] = {1, 0, 1, 0};
    /* Class id 10 of 10 classes is out of range: NaN, which the NaN guard sees. */
    const float logits[20] = {0}, bad_labels[2] = {3, 10};
    FOR_EACH_DEVICE(ctx)
    {
        ct_tensor p = upload_rows(ctx, pred, 4, 0, 1, 2), t = upload_rows(ctx, target, 4, 0, 1, 2), d;
        size_t shape[2] = {1, 4};
        OK(ct_tensor_create(ctx, 2, shape, &d));
        ct_loss_accum acc;
        OK(ct_loss_accum_create(ctx, &acc));
        OK(ct_loss_forward_backward(ctx, CT_LOSS_BINARY_CROSSENTROPY, 0, &p, &t, &d, &acc));
        float grad[4];
        OK(ct_tensor_read(ctx, &d, grad));
        double mean;
        OK(ct_loss_accum_read(ctx, &acc, &mean));
        double pd[4], td[4];
        for (int i = 0; i < 4; i++)
            pd[i] = pred[i], td[i] = target[i];
        double want = ref_loss_mean(CT_LOSS_BINARY_CROSSENTROPY, 0, 1, 4, pd, td);
        ck_assert_msg(isfinite(mean) && fabs(mean - want) < 1e-5 * want, "clipped loss %.9g, expected %.9g", mean,
                      want);
        ck_assert(grad[0] == 0.0f && grad[1] == 0.0f && grad[2] == 0.0f);
        ck_assert_msg(fabs(grad[3] - 0.25 / (0.25 * 0.75) / 4) < 1e-6, "gradient %g", grad[3]);
        ct_tensor_release(&p);
        ct_tensor_release(&t);
        ct_tensor_release(&d);

        p = upload_rows(ctx, logits, 10, 0, 2, 2);
        t = upload_rows(ctx, bad_labels, 1, 0, 2, 1);
        OK(ct_loss_accum_reset(ctx, &acc));
        OK(ct_loss_forward_backward(ctx, CT_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, 1, &p, &t, NULL, &acc));
        OK(ct_loss_accum_read(ctx, &acc, &mean));
        ck_assert_msg(isnan(mean), "an out-of-range class id gave loss %g", mean);

        /* Shape and argument errors name the problem. */
        ck_assert_int_eq(ct_loss_forward_backward(ctx, CT_LOSS_CATEGORICAL_CROSSENTROPY, 0, &p, &t, NULL, &acc),
                         CT_ERR_SHAPE);
        ck_assert_int_eq(ct_loss_forward_backward(ctx, CT_LOSS_MSE, 1, &p, &p, NULL, &acc), CT_ERR_INVALID_ARGUMENT);
        ct_tensor_release(&p);
        ct_tensor_release(&t);
        ct_loss_accum_release(&acc);
    }
    free(devices_);
}
END_TEST

/* dpred may overwrite pred: the same gradient, bit for bit, for every loss. */
START_TEST(test_loss_in_place)
{
    enum { N = 5, C = 4 };
    float pred[N * C], target[N * C], labels[N];
    for (int i = 0; i < N * C; i++) {
        pred[i] = 0.05f + 0.9f * (float)((i * 7) % 11) / 11.0f;
        target[i] = (float)((i * 3) % 5) / 4.0f;
    }
    for (int r = 0; r < N; r++)
        labels[r] = (float)(r % C);
    FOR_EACH_DEVICE(ctx)
    {
        for (int loss = 0; loss < CT_LOSS_COUNT; loss++)
            for (int logits = 0; logits <= ct_loss_has_from_logits((ct_loss)loss); logits++) {
                int sparse = ct_loss_sparse_targets((ct_loss)loss);
                ct_tensor p = upload_rows(ctx, pred, C, 0, N, 2), d = upload_rows(ctx, pred, C, 0, N, 2);
                ct_tensor t = sparse ? upload_rows(ctx, labels, 1, 0, N, 1) : upload_rows(ctx, target, C, 0, N, 2);
                OK(ct_loss_forward_backward(ctx, (ct_loss)loss, logits, &p, &t, &d, NULL));
                OK(ct_loss_forward_backward(ctx, (ct_loss)loss, logits, &p, &t, &p, NULL));
                float separate[N * C], in_place[N * C];
                OK(ct_tensor_read(ctx, &d, separate));
                OK(ct_tensor_read(ctx, &p, in_place));
                ck_assert_msg(memcmp(separate, in_place, sizeof separate) == 0, "%s (from_logits %d) in place differs",
                              ct_loss_name((ct_loss)loss), logits);
                ct_tensor_release(&p);
                ct_tensor_release(&d);
                ct_tensor_release(&t);
            }
    }
    free(devices_);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("optim");
    TCase *names = tcase_create("names");
    tcase_add_test(names, test_names);
    suite_add_tcase(s, names);

    TCase *optim = tcase_create("optimizers");
    tcase_set_timeout(optim, 600);
    tcase_add_test(optim, test_adam);
    tcase_add_test(optim, test_sgd);
    tcase_add_test(optim, test_rmsprop);
    tcase_add_test(optim, test_rmsprop_keras_docstring);
    tcase_add_test(optim, test_adamw);
    tcase_add_test(optim, test_nadam);
    tcase_add_test(optim, test_adagrad);
    tcase_add_test(optim, test_clipping);
    tcase_add_test(optim, test_lr_schedules);
    tcase_add_test(optim, test_arena_limits);
    suite_add_tcase(s, optim);

    TCase *metrics = tcase_create("metrics and losses");
    tcase_set_timeout(metrics, 600);
    tcase_add_test(metrics, test_accuracy_with_ties);
    tcase_add_test(metrics, test_binary_accuracy);
    tcase_add_test(metrics, test_regression_metrics_over_epoch);
    tcase_add_test(metrics, test_loss_keras_examples);
    tcase_add_test(metrics, test_label_smoothing_by_hand);
    tcase_add_test(metrics, test_regularizer_by_hand);
    tcase_add_test(metrics, test_loss_epoch_mean);
    tcase_add_test(metrics, test_loss_edge_values);
    tcase_add_test(metrics, test_loss_in_place);
    tcase_add_test(metrics, test_loss_and_metrics_in_one_launch);
    suite_add_tcase(s, metrics);

    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
