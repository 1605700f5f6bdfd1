/* Optimizers: Adam, SGD, RMSprop, AdamW, Nadam and Adagrad as one fused
 * launch per step over all parameters of a model (cl/optim.cl), in its
 * parameter arena (src/model/param_arena.c); gradient clipping, when set, is
 * one more launch before it. */
#include "cltrain/optim.h"

#include <math.h>
#include <stdlib.h>

#include "train/loss_internal.h"
#include "core/context.h"
#include "core/launch.h"
#include "model/param_arena.h"

/* ------------------------------------------------------------------- names */

ct_optimizer_spec ct_optimizer_defaults(ct_optimizer_kind kind)
{
    ct_optimizer_spec s = {.kind = kind};
    switch (kind) {
    case CT_OPTIMIZER_ADAM:
        s.adam = (ct_adam_spec){.learning_rate = 0.001, .beta_1 = 0.9, .beta_2 = 0.999, .epsilon = 1e-7};
        break;
    case CT_OPTIMIZER_SGD:
        s.sgd = (ct_sgd_spec){.learning_rate = 0.01, .momentum = 0.0, .nesterov = false};
        break;
    case CT_OPTIMIZER_ADAMW:
        s.adamw = (ct_adamw_spec){
            .learning_rate = 0.001, .weight_decay = 0.004, .beta_1 = 0.9, .beta_2 = 0.999, .epsilon = 1e-7};
        break;
    case CT_OPTIMIZER_NADAM:
        s.nadam = (ct_nadam_spec){.learning_rate = 0.001, .beta_1 = 0.9, .beta_2 = 0.999, .epsilon = 1e-7};
        break;
    case CT_OPTIMIZER_ADAGRAD:
        s.adagrad = (ct_adagrad_spec){.learning_rate = 0.001, .initial_accumulator_value = 0.1, .epsilon = 1e-7};
        break;
    case CT_OPTIMIZER_RMSPROP:
    default:
        s.rmsprop = (ct_rmsprop_spec){.learning_rate = 0.001, .rho = 0.9, .momentum = 0.0, .epsilon = 1e-7};
        break;
    }
    return s;
}

ct_status ct_optimizer_from_name(const char *name, ct_optimizer_kind *out)
{
    if (!name)
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "optimizer name is NULL");
    for (int k = 0; k < CT_OPTIMIZER_COUNT; k++)
        if (ct_name_matches(name, ct_optimizer_name((ct_optimizer_kind)k))) {
            *out = (ct_optimizer_kind)k;
            return CT_OK;
        }
    return ct_fail(CT_ERR_NOT_FOUND, "unknown optimizer '%s' (known: adam, sgd, rmsprop, adamw, nadam, adagrad)",
                   name);
}

static ct_status check_range(const char *opt, const char *what, double value, double lo, double hi, int hi_open)
{
    if (value >= lo && (hi_open ? value < hi : value <= hi))
        return CT_OK;
    return ct_fail(CT_ERR_CONFIG, "%s: %s must be in [%g, %g%c, got %g", opt, what, lo, hi, hi_open ? ')' : ']', value);
}

static ct_status check_clip(const ct_optimizer_spec *spec)
{
    const ct_clip_spec *c = &spec->clip;
    const char *name = ct_optimizer_name(spec->kind);
    CT_TRY(check_range(name, "clipnorm", c->clipnorm, 0, INFINITY, 1));
    CT_TRY(check_range(name, "global_clipnorm", c->global_clipnorm, 0, INFINITY, 1));
    CT_TRY(check_range(name, "clipvalue", c->clipvalue, 0, INFINITY, 1));
    if ((c->clipnorm > 0) + (c->global_clipnorm > 0) + (c->clipvalue > 0) > 1)
        return ct_fail(CT_ERR_CONFIG, "%s: only one of clipnorm, global_clipnorm and clipvalue can be set", name);
    return CT_OK;
}

/* The ranges Adam, AdamW and Nadam share, checked in the order Keras names them. */
static ct_status check_adam_like(const char *opt, double learning_rate, double beta_1, double beta_2, double epsilon)
{
    CT_TRY(check_range(opt, "learning_rate", learning_rate, 0, INFINITY, 1));
    CT_TRY(check_range(opt, "beta_1", beta_1, 0, 1, 1));
    CT_TRY(check_range(opt, "beta_2", beta_2, 0, 1, 1));
    return check_range(opt, "epsilon", epsilon, 0, INFINITY, 1);
}

ct_status ct_optimizer_check(const ct_optimizer_spec *spec)
{
    if (spec->kind >= 0 && spec->kind < CT_OPTIMIZER_COUNT)
        CT_TRY(check_clip(spec));
    switch (spec->kind) {
    case CT_OPTIMIZER_ADAM:
        return check_adam_like("adam", spec->adam.learning_rate, spec->adam.beta_1, spec->adam.beta_2,
                               spec->adam.epsilon);
    case CT_OPTIMIZER_SGD:
        CT_TRY(check_range("sgd", "learning_rate", spec->sgd.learning_rate, 0, INFINITY, 1));
        return check_range("sgd", "momentum", spec->sgd.momentum, 0, 1, 0);
    case CT_OPTIMIZER_RMSPROP:
        CT_TRY(check_range("rmsprop", "learning_rate", spec->rmsprop.learning_rate, 0, INFINITY, 1));
        CT_TRY(check_range("rmsprop", "rho", spec->rmsprop.rho, 0, 1, 1));
        CT_TRY(check_range("rmsprop", "momentum", spec->rmsprop.momentum, 0, 1, 0));
        return check_range("rmsprop", "epsilon", spec->rmsprop.epsilon, 0, INFINITY, 1);
    case CT_OPTIMIZER_ADAMW:
        CT_TRY(check_range("adamw", "learning_rate", spec->adamw.learning_rate, 0, INFINITY, 1));
        CT_TRY(check_range("adamw", "weight_decay", spec->adamw.weight_decay, 0, INFINITY, 1));
        return check_adam_like("adamw", spec->adamw.learning_rate, spec->adamw.beta_1, spec->adamw.beta_2,
                               spec->adamw.epsilon);
    case CT_OPTIMIZER_NADAM:
        return check_adam_like("nadam", spec->nadam.learning_rate, spec->nadam.beta_1, spec->nadam.beta_2,
                               spec->nadam.epsilon);
    case CT_OPTIMIZER_ADAGRAD:
        CT_TRY(check_range("adagrad", "learning_rate", spec->adagrad.learning_rate, 0, INFINITY, 1));
        CT_TRY(check_range("adagrad", "initial_accumulator_value", spec->adagrad.initial_accumulator_value, 0,
                           INFINITY, 1));
        return check_range("adagrad", "epsilon", spec->adagrad.epsilon, 0, INFINITY, 1);
    default:
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "unknown optimizer kind %d", (int)spec->kind);
    }
}

/* -------------------------------------------------------------- optimizers */

struct ct_optimizer {
    ct_optimizer_spec spec;
    ct_param_arena *arena; /* borrowed */
    size_t n;              /* arena floats the state covers */
    ct_tensor state;       /* owned: Adam/AdamW/Nadam m|v, SGD velocity, RMSprop v|momentum,
                              Adagrad accumulator */
    size_t state_slots;    /* state = state_slots * n floats */
    uint64_t iterations;
    /* Nadam's running product of the momentum schedule u_1 ... u_t (Keras'
     * _u_product, a float32 variable, 1 before the first step): a host
     * scalar that ct_optimizer_load() recomputes from iterations. */
    float nadam_u_product;
    cl_mem clip_starts;    /* owned: clipnorm's tensor boundaries (count + 1 ulongs), else NULL */
    size_t clip_groups;    /* work-groups of clip_by_norm: tensors, or 1 for global_clipnorm */
};

static double *learning_rate_of(ct_optimizer_spec *spec)
{
    switch (spec->kind) {
    case CT_OPTIMIZER_ADAM:
        return &spec->adam.learning_rate;
    case CT_OPTIMIZER_SGD:
        return &spec->sgd.learning_rate;
    case CT_OPTIMIZER_ADAMW:
        return &spec->adamw.learning_rate;
    case CT_OPTIMIZER_NADAM:
        return &spec->nadam.learning_rate;
    case CT_OPTIMIZER_ADAGRAD:
        return &spec->adagrad.learning_rate;
    default:
        return &spec->rmsprop.learning_rate;
    }
}

static size_t state_slots_for(const ct_optimizer_spec *spec)
{
    switch (spec->kind) {
    case CT_OPTIMIZER_ADAM:
    case CT_OPTIMIZER_ADAMW:
    case CT_OPTIMIZER_NADAM:
        return 2;
    case CT_OPTIMIZER_ADAGRAD:
        return 1;
    case CT_OPTIMIZER_SGD:
        return spec->sgd.momentum != 0 ? 1 : 0;
    default:
        return spec->rmsprop.momentum > 0 ? 2 : 1;
    }
}

/* Adagrad's accumulator starts at initial_accumulator_value; every other
 * state starts at 0 (ct_tensor_zeros). Enqueued. */
static ct_status fill_initial_state(ct_context *ctx, ct_optimizer *o)
{
    if (!o->state.buf)
        return CT_OK;
    float value = o->spec.kind == CT_OPTIMIZER_ADAGRAD ? (float)o->spec.adagrad.initial_accumulator_value : 0.0f;
    cl_int err = clEnqueueFillBuffer(ct_context_queue(ctx), o->state.buf, &value, sizeof value, 0,
                                     ct_tensor_count(&o->state) * sizeof(float), 0, NULL, NULL);
    return err == CL_SUCCESS ? CT_OK : ct_cl_fail(err, "initialising the optimizer state");
}

/* clip_by_norm's work-group boundaries: each parameter tensor (clipnorm, per
 * variable as Keras), or the whole arena (global_clipnorm). */
static ct_status create_clip_starts(ct_context *ctx, ct_optimizer *o)
{
    const ct_clip_spec *c = &o->spec.clip;
    if (!(c->clipnorm > 0 || c->global_clipnorm > 0) || o->n == 0)
        return CT_OK;
    size_t tensors = ct_param_arena_count(o->arena);
    o->clip_groups = c->clipnorm > 0 ? tensors : 1;
    cl_ulong *starts = malloc((o->clip_groups + 1) * sizeof *starts);
    if (!starts)
        return ct_fail(CT_ERR_NO_MEMORY, "clipnorm: tensor boundaries");
    for (size_t i = 0; i <= o->clip_groups; i++)
        starts[i] = c->clipnorm > 0 ? ct_param_arena_start(o->arena, i) : (i ? o->n : 0);
    cl_int err;
    o->clip_starts = clCreateBuffer(ct_context_cl(ctx), CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR,
                                    (o->clip_groups + 1) * sizeof *starts, starts, &err);
    free(starts);
    return err == CL_SUCCESS ? CT_OK : ct_cl_fail(err, "clipnorm: allocating the tensor boundaries");
}

ct_status ct_optimizer_create(ct_context *ctx, const ct_optimizer_spec *spec, ct_param_arena *arena, ct_optimizer **out)
{
    *out = NULL;
    CT_TRY(ct_optimizer_check(spec));
    ct_optimizer *o = calloc(1, sizeof *o);
    if (!o)
        return ct_fail(CT_ERR_NO_MEMORY, "optimizer");
    o->spec = *spec;
    o->arena = arena;
    o->n = arena->used;
    o->state_slots = state_slots_for(spec);
    if (o->state_slots && o->n) {
        size_t floats = o->state_slots * o->n;
        ct_status s = ct_tensor_zeros(ctx, 1, &floats, &o->state);
        if (s != CT_OK) {
            size_t n = o->n;
            free(o);
            return ct_fail_context(s, "%s state for %zu parameters", ct_optimizer_name(spec->kind), n);
        }
    }
    o->nadam_u_product = 1.0f;
    ct_status s = fill_initial_state(ctx, o);
    if (s == CT_OK)
        s = create_clip_starts(ctx, o);
    if (s != CT_OK) {
        ct_optimizer_free(o);
        return s;
    }
    arena->frozen = 1;
    *out = o;
    return CT_OK;
}

void ct_optimizer_free(ct_optimizer *opt)
{
    if (!opt)
        return;
    ct_tensor_release(&opt->state);
    if (opt->clip_starts)
        clReleaseMemObject(opt->clip_starts);
    free(opt);
}

uint64_t ct_optimizer_iterations(const ct_optimizer *opt)
{
    return opt->iterations;
}

double ct_optimizer_learning_rate(const ct_optimizer *opt)
{
    ct_optimizer_spec copy = opt->spec;
    return *learning_rate_of(&copy);
}

ct_status ct_optimizer_set_learning_rate(ct_optimizer *opt, double learning_rate)
{
    if (!(learning_rate >= 0) || isinf(learning_rate))
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "learning rate must be a finite number >= 0, got %g", learning_rate);
    *learning_rate_of(&opt->spec) = learning_rate;
    return CT_OK;
}

ct_tensor ct_optimizer_state(const ct_optimizer *opt)
{
    ct_tensor view = opt->state;
    view.owns = 0;
    return view;
}

size_t ct_optimizer_state_size(const ct_optimizer *opt)
{
    return opt->state.buf ? ct_tensor_count(&opt->state) : 0;
}

/* Nadam's running product after step t from the one before it, in float32
 * as Keras' _u_product variable. */
static float nadam_u_product_next(float u_product, float beta_1, uint64_t t)
{
    return u_product * beta_1 * (1.0f - 0.5f * powf(0.96f, (float)t));
}

ct_status ct_optimizer_load(ct_context *ctx, ct_optimizer *opt, const float *state, uint64_t iterations)
{
    if (opt->state.buf)
        CT_TRY(ct_tensor_write(ctx, &opt->state, state));
    opt->iterations = iterations;
    /* Nadam's product is a function of the step count: replayed with the
     * same float operations as the steps, so a checkpoint needs only
     * iterations. */
    opt->nadam_u_product = 1.0f;
    if (opt->spec.kind == CT_OPTIMIZER_NADAM)
        for (uint64_t t = 1; t <= iterations; t++)
            opt->nadam_u_product = nadam_u_product_next(opt->nadam_u_product, (float)opt->spec.nadam.beta_1, t);
    return CT_OK;
}

ct_status ct_optimizer_reset(ct_context *ctx, ct_optimizer *opt)
{
    opt->iterations = 0;
    opt->nadam_u_product = 1.0f;
    return fill_initial_state(ctx, opt);
}

/* Slot k of the state (n floats), or the weights as a stand-in argument when
 * the rule does not use that slot (the kernel never touches it then). */
static ct_tensor state_slot(const ct_optimizer *opt, size_t k)
{
    ct_tensor t = k < opt->state_slots ? opt->state : opt->arena->weights;
    if (k < opt->state_slots)
        t.offset += k * opt->n;
    t.owns = 0;
    return t;
}

/* Keras casts beta_1 and beta_2 to float32 before raising them to the power t. */
static float adam_alpha(const ct_adam_spec *a, uint64_t t)
{
    double b1 = (float)a->beta_1, b2 = (float)a->beta_2;
    return (float)(a->learning_rate * sqrt(1.0 - pow(b2, (double)t)) / (1.0 - pow(b1, (double)t)));
}

/* The arguments a step kernel takes after n, weights and grads: its first
 * `slots` state slots, then its float scalars, then its int flags, in the
 * order of the kernel's parameters. */
static ct_status set_step_args(cl_kernel k, cl_uint *i, const ct_optimizer *opt, size_t slots, const cl_float *f,
                               size_t nf, const cl_int *flags, size_t nflags, const char *name)
{
    cl_int err = CL_SUCCESS;
    for (size_t s = 0; s < slots; s++) {
        ct_tensor t = state_slot(opt, s);
        err |= ct_arg_tensor(k, i, &t);
    }
    for (size_t j = 0; j < nf; j++)
        err |= CT_ARG(k, (*i)++, f[j]);
    for (size_t j = 0; j < nflags; j++)
        err |= CT_ARG(k, (*i)++, flags[j]);
    return ct_args_ok(err, name);
}

#define CT_COUNT(a) (sizeof(a) / sizeof((a)[0]))

static ct_status set_adam_args(cl_kernel k, cl_uint *i, const ct_optimizer *opt)
{
    const ct_adam_spec *a = &opt->spec.adam;
    const cl_float f[] = {adam_alpha(a, opt->iterations + 1), (float)(1.0 - a->beta_1), (float)(1.0 - a->beta_2),
                          (float)a->epsilon};
    return set_step_args(k, i, opt, 2, f, CT_COUNT(f), NULL, 0, "adam_step");
}

static ct_status set_sgd_args(cl_kernel k, cl_uint *i, const ct_optimizer *opt)
{
    const ct_sgd_spec *s = &opt->spec.sgd;
    const cl_float f[] = {(float)s->learning_rate, (float)s->momentum};
    const cl_int flags[] = {s->momentum != 0, s->nesterov ? 1 : 0};
    return set_step_args(k, i, opt, 1, f, CT_COUNT(f), flags, CT_COUNT(flags), "sgd_step");
}

static ct_status set_rmsprop_args(cl_kernel k, cl_uint *i, const ct_optimizer *opt)
{
    const ct_rmsprop_spec *r = &opt->spec.rmsprop;
    const cl_float f[] = {(float)r->learning_rate, (float)r->rho, (float)(1.0 - r->rho), (float)r->epsilon,
                          (float)r->momentum};
    const cl_int flags[] = {r->momentum > 0};
    return set_step_args(k, i, opt, 2, f, CT_COUNT(f), flags, CT_COUNT(flags), "rmsprop_step");
}

/* AdamW: Adam's bias correction, plus weight_decay and the learning rate in
 * use for the decoupled decay. */
static ct_status set_adamw_args(cl_kernel k, cl_uint *i, const ct_optimizer *opt)
{
    const ct_adamw_spec *a = &opt->spec.adamw;
    ct_adam_spec as_adam = {a->learning_rate, a->beta_1, a->beta_2, a->epsilon};
    const cl_float f[] = {adam_alpha(&as_adam, opt->iterations + 1),
                          (float)(1.0 - a->beta_1),
                          (float)(1.0 - a->beta_2),
                          (float)a->epsilon,
                          (float)a->weight_decay,
                          (float)a->learning_rate};
    return set_step_args(k, i, opt, 2, f, CT_COUNT(f), NULL, 0, "adamw_step");
}

/* Nadam's momentum schedule u_t = beta_1 (1 - 0.5 * 0.96^t), in float32 as
 * Keras computes it. */
static float nadam_u(float beta_1, uint64_t t)
{
    return beta_1 * (1.0f - 0.5f * powf(0.96f, (float)t));
}

/* Nadam: the scalars of step t = iterations + 1; advances the running
 * product u_1 ... u_t (Keras updates it before the step). */
static ct_status set_nadam_args(cl_kernel k, cl_uint *i, ct_optimizer *opt)
{
    const ct_nadam_spec *a = &opt->spec.nadam;
    const float beta_1 = (float)a->beta_1, beta_2 = (float)a->beta_2;
    const uint64_t t = opt->iterations + 1;
    const float u = nadam_u(beta_1, t), u_next = nadam_u(beta_1, t + 1);
    const float u_product = nadam_u_product_next(opt->nadam_u_product, beta_1, t);
    const float u_product_next = u_product * u_next;
    const cl_float f[] = {(float)a->learning_rate,
                          1.0f - beta_1,
                          1.0f - beta_2,
                          (float)a->epsilon,
                          u_next,
                          1.0f - u_product_next,
                          1.0f - u,
                          1.0f - u_product,
                          1.0f - powf(beta_2, (float)t)};
    CT_TRY(set_step_args(k, i, opt, 2, f, CT_COUNT(f), NULL, 0, "nadam_step"));
    opt->nadam_u_product = u_product;
    return CT_OK;
}

static ct_status set_adagrad_args(cl_kernel k, cl_uint *i, const ct_optimizer *opt)
{
    const ct_adagrad_spec *a = &opt->spec.adagrad;
    const cl_float f[] = {(float)a->learning_rate, (float)a->epsilon};
    return set_step_args(k, i, opt, 1, f, CT_COUNT(f), NULL, 0, "adagrad_step");
}

/* Floats per work-item of the update kernels: OPT_WIDTH of cl/optim.cl. */
static size_t opt_width(ct_context *ctx)
{
    const ct_device_profile *p = &ct_context_device(ctx)->profile;
    return p->is_cpu_class ? ct_profile_kernel_vector(p) : 1; /* divides CT_PARAM_ALIGN */
}

/* Must match CLIP_WG of cl/optim.cl (the kernel requires it). */
#define CLIP_WG 64

/* Keras clips the gradients before the update (and before weight decay):
 * in place, since the backward pass rewrites them for every batch. */
static ct_status clip_gradients(ct_context *ctx, ct_optimizer *opt)
{
    const ct_clip_spec *c = &opt->spec.clip;
    cl_kernel k;
    cl_uint i = 0;
    cl_int err;
    if (c->clipvalue > 0) {
        CT_TRY(ct_context_kernel(ctx, "optim", "clip_by_value", &k));
        cl_ulong n = opt->n;
        cl_float clip = (float)c->clipvalue;
        err = CT_ARG(k, i++, n);
        err |= ct_arg_tensor(k, &i, &opt->arena->grads);
        err |= CT_ARG(k, i++, clip);
        CT_TRY(ct_args_ok(err, "clip_by_value"));
        return ct_launch_1d(ctx, k, opt->n / opt_width(ctx), "clip_by_value");
    }
    if (!opt->clip_starts)
        return CT_OK;
    if (ct_context_device(ctx)->max_work_group_size < CLIP_WG)
        return ct_fail(CT_ERR_UNSUPPORTED, "clipnorm needs work-groups of %d, the device allows %zu", CLIP_WG,
                       ct_context_device(ctx)->max_work_group_size);
    CT_TRY(ct_context_kernel(ctx, "optim", "clip_by_norm", &k));
    cl_float clip = (float)(c->clipnorm > 0 ? c->clipnorm : c->global_clipnorm);
    cl_int global_norm = c->clipnorm > 0 ? 0 : 1;
    err = clSetKernelArg(k, i++, sizeof(cl_mem), &opt->clip_starts);
    err |= ct_arg_tensor(k, &i, &opt->arena->grads);
    err |= CT_ARG(k, i++, clip);
    err |= CT_ARG(k, i++, global_norm);
    CT_TRY(ct_args_ok(err, "clip_by_norm"));
    size_t global = opt->clip_groups * CLIP_WG, local = CLIP_WG;
    err = clEnqueueNDRangeKernel(ct_context_queue(ctx), k, 1, NULL, &global, &local, 0, NULL, NULL);
    if (err == CL_SUCCESS)
        ct_context_note_launch(ctx, k, 1, &global, &local);
    return err == CL_SUCCESS ? CT_OK : ct_cl_fail(err, "launching kernel clip_by_norm");
}

static const char *step_kernel_name(ct_optimizer_kind kind)
{
    switch (kind) {
    case CT_OPTIMIZER_ADAM:
        return "adam_step";
    case CT_OPTIMIZER_SGD:
        return "sgd_step";
    case CT_OPTIMIZER_ADAMW:
        return "adamw_step";
    case CT_OPTIMIZER_NADAM:
        return "nadam_step";
    case CT_OPTIMIZER_ADAGRAD:
        return "adagrad_step";
    default:
        return "rmsprop_step";
    }
}

ct_status ct_optimizer_step(ct_context *ctx, ct_optimizer *opt)
{
    if (opt->arena->used != opt->n)
        return ct_fail(CT_ERR_INTERNAL, "optimizer: the arena holds %zu floats, the state was sized for %zu",
                       opt->arena->used, opt->n);
    const char *name = step_kernel_name(opt->spec.kind);
    CT_TRY(clip_gradients(ctx, opt));
    cl_kernel k;
    CT_TRY(ct_context_kernel(ctx, "optim", name, &k));
    cl_ulong n = opt->n;
    cl_uint i = 0;
    cl_int err = CT_ARG(k, i++, n);
    err |= ct_arg_tensor(k, &i, &opt->arena->weights);
    err |= ct_arg_tensor(k, &i, &opt->arena->grads);
    CT_TRY(ct_args_ok(err, name));
    switch (opt->spec.kind) {
    case CT_OPTIMIZER_ADAM:
        CT_TRY(set_adam_args(k, &i, opt));
        break;
    case CT_OPTIMIZER_SGD:
        CT_TRY(set_sgd_args(k, &i, opt));
        break;
    case CT_OPTIMIZER_ADAMW:
        CT_TRY(set_adamw_args(k, &i, opt));
        break;
    case CT_OPTIMIZER_NADAM:
        CT_TRY(set_nadam_args(k, &i, opt));
        break;
    case CT_OPTIMIZER_ADAGRAD:
        CT_TRY(set_adagrad_args(k, &i, opt));
        break;
    default:
        CT_TRY(set_rmsprop_args(k, &i, opt));
        break;
    }
    size_t width = opt_width(ctx);
    if (opt->n % width)
        return ct_fail(CT_ERR_INTERNAL, "optimizer: %zu floats are not a multiple of %zu", opt->n, width);
    CT_TRY(ct_launch_1d(ctx, k, opt->n / width, name));
    opt->iterations++;
    return CT_OK;
}
