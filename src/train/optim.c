/* Optimizers: Adam, SGD and RMSprop as one fused launch per step over all
 * parameters of a model (cl/optim.cl), in its parameter arena
 * (src/model/param_arena.c). */
#include "cltrain/optim.h"

#include <math.h>
#include <stdlib.h>

#include "train/loss_internal.h"
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
    return ct_fail(CT_ERR_NOT_FOUND, "unknown optimizer '%s' (known: adam, sgd, rmsprop)", name);
}

static ct_status check_range(const char *opt, const char *what, double value, double lo, double hi, int hi_open)
{
    if (value >= lo && (hi_open ? value < hi : value <= hi))
        return CT_OK;
    return ct_fail(CT_ERR_CONFIG, "%s: %s must be in [%g, %g%c, got %g", opt, what, lo, hi, hi_open ? ')' : ']', value);
}

ct_status ct_optimizer_check(const ct_optimizer_spec *spec)
{
    switch (spec->kind) {
    case CT_OPTIMIZER_ADAM:
        CT_TRY(check_range("adam", "learning_rate", spec->adam.learning_rate, 0, INFINITY, 1));
        CT_TRY(check_range("adam", "beta_1", spec->adam.beta_1, 0, 1, 1));
        CT_TRY(check_range("adam", "beta_2", spec->adam.beta_2, 0, 1, 1));
        return check_range("adam", "epsilon", spec->adam.epsilon, 0, INFINITY, 1);
    case CT_OPTIMIZER_SGD:
        CT_TRY(check_range("sgd", "learning_rate", spec->sgd.learning_rate, 0, INFINITY, 1));
        return check_range("sgd", "momentum", spec->sgd.momentum, 0, 1, 0);
    case CT_OPTIMIZER_RMSPROP:
        CT_TRY(check_range("rmsprop", "learning_rate", spec->rmsprop.learning_rate, 0, INFINITY, 1));
        CT_TRY(check_range("rmsprop", "rho", spec->rmsprop.rho, 0, 1, 1));
        CT_TRY(check_range("rmsprop", "momentum", spec->rmsprop.momentum, 0, 1, 0));
        return check_range("rmsprop", "epsilon", spec->rmsprop.epsilon, 0, INFINITY, 1);
    default:
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "unknown optimizer kind %d", (int)spec->kind);
    }
}

/* -------------------------------------------------------------- optimizers */

struct ct_optimizer {
    ct_optimizer_spec spec;
    ct_param_arena *arena; /* borrowed */
    size_t n;              /* arena floats the state covers */
    ct_tensor state;       /* owned: Adam m|v, SGD velocity, RMSprop v|momentum */
    size_t state_slots;    /* state = state_slots * n floats */
    uint64_t iterations;
};

static double *learning_rate_of(ct_optimizer_spec *spec)
{
    switch (spec->kind) {
    case CT_OPTIMIZER_ADAM:
        return &spec->adam.learning_rate;
    case CT_OPTIMIZER_SGD:
        return &spec->sgd.learning_rate;
    default:
        return &spec->rmsprop.learning_rate;
    }
}

static size_t state_slots_for(const ct_optimizer_spec *spec)
{
    switch (spec->kind) {
    case CT_OPTIMIZER_ADAM:
        return 2;
    case CT_OPTIMIZER_SGD:
        return spec->sgd.momentum != 0 ? 1 : 0;
    default:
        return spec->rmsprop.momentum > 0 ? 2 : 1;
    }
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
    arena->frozen = 1;
    *out = o;
    return CT_OK;
}

void ct_optimizer_free(ct_optimizer *opt)
{
    if (!opt)
        return;
    ct_tensor_release(&opt->state);
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

ct_status ct_optimizer_load(ct_context *ctx, ct_optimizer *opt, const float *state, uint64_t iterations)
{
    if (opt->state.buf)
        CT_TRY(ct_tensor_write(ctx, &opt->state, state));
    opt->iterations = iterations;
    return CT_OK;
}

ct_status ct_optimizer_reset(ct_context *ctx, ct_optimizer *opt)
{
    opt->iterations = 0;
    if (!opt->state.buf)
        return CT_OK;
    float zero = 0.0f;
    cl_int err = clEnqueueFillBuffer(ct_context_queue(ctx), opt->state.buf, &zero, sizeof zero, 0,
                                     ct_tensor_count(&opt->state) * sizeof(float), 0, NULL, NULL);
    return err == CL_SUCCESS ? CT_OK : ct_cl_fail(err, "resetting the optimizer state");
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

static ct_status set_adam_args(cl_kernel k, cl_uint *i, const ct_optimizer *opt)
{
    const ct_adam_spec *a = &opt->spec.adam;
    ct_tensor m = state_slot(opt, 0), v = state_slot(opt, 1);
    cl_float alpha = adam_alpha(a, opt->iterations + 1);
    cl_float omb1 = (float)(1.0 - a->beta_1), omb2 = (float)(1.0 - a->beta_2), eps = (float)a->epsilon;
    cl_int err = ct_arg_tensor(k, i, &m);
    err |= ct_arg_tensor(k, i, &v);
    err |= CT_ARG(k, (*i)++, alpha);
    err |= CT_ARG(k, (*i)++, omb1);
    err |= CT_ARG(k, (*i)++, omb2);
    err |= CT_ARG(k, (*i)++, eps);
    return ct_args_ok(err, "adam_step");
}

static ct_status set_sgd_args(cl_kernel k, cl_uint *i, const ct_optimizer *opt)
{
    const ct_sgd_spec *s = &opt->spec.sgd;
    ct_tensor u = state_slot(opt, 0);
    cl_float lr = (float)s->learning_rate, momentum = (float)s->momentum;
    cl_int use_momentum = s->momentum != 0, nesterov = s->nesterov ? 1 : 0;
    cl_int err = ct_arg_tensor(k, i, &u);
    err |= CT_ARG(k, (*i)++, lr);
    err |= CT_ARG(k, (*i)++, momentum);
    err |= CT_ARG(k, (*i)++, use_momentum);
    err |= CT_ARG(k, (*i)++, nesterov);
    return ct_args_ok(err, "sgd_step");
}

static ct_status set_rmsprop_args(cl_kernel k, cl_uint *i, const ct_optimizer *opt)
{
    const ct_rmsprop_spec *r = &opt->spec.rmsprop;
    ct_tensor v = state_slot(opt, 0), s = state_slot(opt, 1);
    cl_float lr = (float)r->learning_rate, rho = (float)r->rho, omr = (float)(1.0 - r->rho);
    cl_float eps = (float)r->epsilon, momentum = (float)r->momentum;
    cl_int use_momentum = r->momentum > 0;
    cl_int err = ct_arg_tensor(k, i, &v);
    err |= ct_arg_tensor(k, i, &s);
    err |= CT_ARG(k, (*i)++, lr);
    err |= CT_ARG(k, (*i)++, rho);
    err |= CT_ARG(k, (*i)++, omr);
    err |= CT_ARG(k, (*i)++, eps);
    err |= CT_ARG(k, (*i)++, momentum);
    err |= CT_ARG(k, (*i)++, use_momentum);
    return ct_args_ok(err, "rmsprop_step");
}

ct_status ct_optimizer_step(ct_context *ctx, ct_optimizer *opt)
{
    if (opt->arena->used != opt->n)
        return ct_fail(CT_ERR_INTERNAL, "optimizer: the arena holds %zu floats, the state was sized for %zu",
                       opt->arena->used, opt->n);
    const char *name = opt->spec.kind == CT_OPTIMIZER_ADAM  ? "adam_step"
                       : opt->spec.kind == CT_OPTIMIZER_SGD ? "sgd_step"
                                                            : "rmsprop_step";
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
    default:
        CT_TRY(set_rmsprop_args(k, &i, opt));
        break;
    }
    /* OPT_WIDTH of cl/optim.cl: floats per work-item. */
    size_t width = ct_context_device(ctx)->profile.is_cpu_class ? CT_PARAM_ALIGN : 1;
    if (opt->n % width)
        return ct_fail(CT_ERR_INTERNAL, "optimizer: %zu floats are not a multiple of %zu", opt->n, width);
    CT_TRY(ct_launch_1d(ctx, k, opt->n / width, name));
    opt->iterations++;
    return CT_OK;
}
