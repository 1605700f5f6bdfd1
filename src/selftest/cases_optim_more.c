/* Op-test cases: the optimizers AdamW, Nadam and Adagrad, and gradient
 * clipping (clipnorm per tensor, global_clipnorm, clipvalue), on a parameter
 * arena of one or two tensors.
 *
 * in[0] = initial weights (N), in[1] = gradients (N). The op runs ip[0]
 * steps, step t with the gradients times step_scale(t), and outputs the
 * weights' change w_final - w_initial, so that float rounding of the weights
 * does not hide the update. ip[1]: size of the first tensor (0: one tensor
 * of N). fp[0] clipnorm, fp[1] global_clipnorm, fp[2] clipvalue (0: off).
 * Forward only: an optimizer step has no gradient. */
#include <math.h>
#include <stdlib.h>

#include "selftest/families.h"
#include "selftest/ref/ref_optim_more.h"

#include "cltrain/optim.h"

#define MAX_STEPS 8

/* The gradients change sign and size from step to step, so that moments
 * and accumulators see more than one value. */
static double step_scale(int t)
{
    static const double scales[4] = {1.0, -0.5, 2.0, 0.25};
    return scales[(t - 1) % 4];
}

static size_t count_of(const ct_optest_case *c)
{
    return ct_optest_count(c->in[0].ndim, c->in[0].shape);
}

static size_t split_of(const ct_optest_case *c)
{
    size_t n = count_of(c);
    return c->ip[1] > 0 && (size_t)c->ip[1] < n ? (size_t)c->ip[1] : n;
}

static int steps_of(const ct_optest_case *c)
{
    return c->ip[0] > 0 && c->ip[0] <= MAX_STEPS ? (int)c->ip[0] : 1;
}

/* The settings each op tests: Keras' defaults with learning rates (and
 * AdamW's decay) large enough that every term moves the weights visibly. */
static ct_optimizer_spec spec_of(ct_optimizer_kind kind, const ct_optest_case *c)
{
    ct_optimizer_spec s = {.kind = kind};
    switch (kind) {
    case CT_OPTIMIZER_ADAMW:
        s.adamw = (ct_adamw_spec){.learning_rate = 0.01, .weight_decay = 0.5, .beta_1 = 0.9, .beta_2 = 0.999,
                                  .epsilon = 1e-7};
        break;
    case CT_OPTIMIZER_NADAM:
        s.nadam = (ct_nadam_spec){.learning_rate = 0.01, .beta_1 = 0.9, .beta_2 = 0.999, .epsilon = 1e-7};
        break;
    default:
        s.adagrad = (ct_adagrad_spec){.learning_rate = 0.05, .initial_accumulator_value = 0.1, .epsilon = 1e-7};
        break;
    }
    s.clip.clipnorm = c->fp[0];
    s.clip.global_clipnorm = c->fp[1];
    s.clip.clipvalue = c->fp[2];
    return s;
}

static ct_status vector_shape(const ct_optest_case *c, int *ndim, size_t *shape)
{
    *ndim = 1;
    shape[0] = count_of(c);
    return CT_OK;
}

/* Host copies of the inputs, the arena, ip[0] steps, the change read back. */
static ct_status run_steps(ct_context *ctx, const ct_optest_case *c, const ct_optimizer_spec *spec,
                           const float *w0, const float *g, float *delta)
{
    size_t n = count_of(c), split = split_of(c), sizes[2] = {split, n - split};
    size_t capacity = ct_param_arena_padded(sizes[0]) + (sizes[1] ? ct_param_arena_padded(sizes[1]) : 0);
    ct_param_arena *arena;
    CT_TRY(ct_param_arena_create(ctx, capacity, &arena));
    ct_tensor w[2], dw[2];
    ct_optimizer *opt = NULL;
    float *scaled = malloc(n * sizeof *scaled);
    ct_status s = scaled ? CT_OK : ct_fail(CT_ERR_NO_MEMORY, "optimizer case");
    for (size_t k = 0; k < 2 && s == CT_OK; k++)
        if (sizes[k])
            s = ct_param_arena_add(arena, 1, &sizes[k], &w[k], &dw[k]);
    for (size_t k = 0; k < 2 && s == CT_OK; k++)
        if (sizes[k])
            s = ct_tensor_write(ctx, &w[k], w0 + k * split);
    if (s == CT_OK)
        s = ct_optimizer_create(ctx, spec, arena, &opt);
    for (int t = 1; t <= steps_of(c) && s == CT_OK; t++) {
        for (size_t i = 0; i < n; i++)
            scaled[i] = (float)(g[i] * step_scale(t));
        for (size_t k = 0; k < 2 && s == CT_OK; k++)
            if (sizes[k])
                s = ct_tensor_write(ctx, &dw[k], scaled + k * split);
        if (s == CT_OK)
            s = ct_optimizer_step(ctx, opt);
    }
    for (size_t k = 0; k < 2 && s == CT_OK; k++)
        if (sizes[k])
            s = ct_tensor_read(ctx, &w[k], delta + k * split);
    for (size_t i = 0; s == CT_OK && i < n; i++)
        delta[i] -= w0[i];
    ct_optimizer_free(opt);
    ct_param_arena_destroy(arena);
    free(scaled);
    return s;
}

static ct_status optim_forward(ct_context *ctx, const ct_optest_case *c, const ct_tensor *in, ct_tensor *out,
                               ct_optimizer_kind kind)
{
    size_t n = count_of(c);
    float *host = malloc(3 * n * sizeof *host);
    if (!host)
        return ct_fail(CT_ERR_NO_MEMORY, "optimizer case");
    ct_optimizer_spec spec = spec_of(kind, c);
    ct_status s = ct_tensor_read(ctx, &in[0], host);
    if (s == CT_OK)
        s = ct_tensor_read(ctx, &in[1], host + n);
    if (s == CT_OK)
        s = run_steps(ctx, c, &spec, host, host + n, host + 2 * n);
    if (s == CT_OK)
        s = ct_tensor_write(ctx, out, host + 2 * n);
    free(host);
    return s;
}

static void optim_reference(const ct_optest_case *c, const double *const *in, double *out, ct_optimizer_kind kind)
{
    size_t n = count_of(c);
    ct_optimizer_spec spec = spec_of(kind, c);
    double *buf = calloc(4 * n, sizeof *buf);
    if (!buf) {
        for (size_t i = 0; i < n; i++)
            out[i] = NAN; /* reported as a mismatch */
        return;
    }
    double *w = buf, *m = buf + n, *v = buf + 2 * n, *g = buf + 3 * n, u_product = 1;
    for (size_t i = 0; i < n; i++) {
        w[i] = in[0][i];
        v[i] = kind == CT_OPTIMIZER_ADAGRAD ? (double)(float)spec.adagrad.initial_accumulator_value : 0;
    }
    for (int t = 1; t <= steps_of(c); t++) {
        for (size_t i = 0; i < n; i++)
            g[i] = (double)(float)(in[1][i] * step_scale(t));
        ref_clip_gradients(&spec.clip, n, split_of(c), g);
        ref_optimizer_step(&spec, t, n, g, w, m, v, &u_product);
    }
    for (size_t i = 0; i < n; i++)
        out[i] = w[i] - in[0][i];
    free(buf);
}

#define OPTIM_OP(var, name, kind)                                                                                      \
    static ct_status var##_fwd(ct_context *ctx, const ct_optest_case *c, const ct_tensor *in, ct_tensor *out)          \
    {                                                                                                                  \
        return optim_forward(ctx, c, in, out, kind);                                                                   \
    }                                                                                                                  \
    static void var##_ref(const ct_optest_case *c, const double *const *in, double *out)                               \
    {                                                                                                                  \
        optim_reference(c, in, out, kind);                                                                             \
    }                                                                                                                  \
    static const ct_optest_op var = {name, vector_shape, var##_fwd, var##_ref, NULL, NULL};

OPTIM_OP(op_adamw, "adamw_step", CT_OPTIMIZER_ADAMW)
OPTIM_OP(op_nadam, "nadam_step", CT_OPTIMIZER_NADAM)
OPTIM_OP(op_adagrad, "adagrad_step", CT_OPTIMIZER_ADAGRAD)

// clang-format off
#define W(n) {1, {n}, -0.05f, 0.05f, 0, 0} /* small: float rounding of w stays far below the updates */
#define G(n) {1, {n}, -2, 2, 0, 0}
/* The change of the weights in float against double: rounding of w (about
 * 6e-8 of |w| <= 0.05 per step) over changes of 1e-3 to 1e-2. */
#define TOL 1e-8, 0
#define ABOVE CT_OPTEST_ABOVE_WG

static const ct_optest_case cases[] = {
    {&op_adamw, "1 step", 2, {W(7), G(7)}, {1}, {0}, TOL},
    {&op_adamw, "5 steps, 2 tensors", 2, {W(50), G(50)}, {5, 17}, {0}, TOL},
    {&op_adamw, "3 steps, above work-group size", 2, {W(ABOVE), G(ABOVE)}, {3}, {0}, TOL},
    {&op_adamw, "clipnorm 1 per tensor", 2, {W(50), G(50)}, {3, 17}, {1.0f, 0, 0}, TOL},
    {&op_nadam, "1 step", 2, {W(7), G(7)}, {1}, {0}, TOL},
    {&op_nadam, "8 steps, 2 tensors", 2, {W(50), G(50)}, {8, 33}, {0}, TOL},
    {&op_nadam, "3 steps, above work-group size", 2, {W(ABOVE), G(ABOVE)}, {3}, {0}, TOL},
    {&op_nadam, "global_clipnorm 2", 2, {W(50), G(50)}, {3, 20}, {0, 2.0f, 0}, TOL},
    {&op_adagrad, "1 step", 2, {W(7), G(7)}, {1}, {0}, TOL},
    {&op_adagrad, "5 steps, 2 tensors", 2, {W(50), G(50)}, {5, 16}, {0}, TOL},
    {&op_adagrad, "3 steps, above work-group size", 2, {W(ABOVE), G(ABOVE)}, {3}, {0}, TOL},
    {&op_adagrad, "clipvalue 0.5", 2, {W(50), G(50)}, {3}, {0, 0, 0.5f}, TOL},
    {&op_adagrad, "clipnorm 20 per tensor, above work-group size", 2, {W(ABOVE), G(ABOVE)}, {2, 100},
     {20.0f, 0, 0}, TOL},
    {&op_adamw, "global_clipnorm 30, above work-group size", 2, {W(ABOVE), G(ABOVE)}, {2, 100},
     {0, 30.0f, 0}, TOL},
};
// clang-format on
const ct_optest_family ct_optest_family_optim_more = CT_OPTEST_FAMILY("optim_more", cases);
