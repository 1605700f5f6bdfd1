/* Learning-rate schedules, Keras 3's keras/src/optimizers/schedules/
 * learning_rate_schedule.py (ExponentialDecay, CosineDecay with warm-up,
 * PiecewiseConstantDecay), evaluated on the host once per step, in double
 * (Keras evaluates in float32; the optimizer rounds the result to float
 * when it hands it to the kernel). */
#include <math.h>

#include "cltrain/optim.h"

static double exponential_decay(const ct_lr_schedule_spec *s, double step)
{
    double p = step / (double)s->exponential.decay_steps;
    if (s->exponential.staircase)
        p = floor(p);
    return s->exponential.initial_learning_rate * pow(s->exponential.decay_rate, p);
}

/* CosineDecay._decay_function: from decay_from_lr down to alpha times it. */
static double cosine_part(const ct_lr_schedule_spec *s, double step, double decay_from_lr)
{
    double completed = step / (double)s->cosine.decay_steps;
    double cosine_decayed = 0.5 * (1.0 + cos(M_PI * completed));
    return decay_from_lr * ((1 - s->cosine.alpha) * cosine_decayed + s->cosine.alpha);
}

static double cosine_decay(const ct_lr_schedule_spec *s, double step)
{
    double decay_steps = (double)s->cosine.decay_steps;
    if (!s->cosine.has_warmup_target)
        return cosine_part(s, fmin(step, decay_steps), s->cosine.initial_learning_rate);
    double warmup_steps = (double)s->cosine.warmup_steps;
    step = fmin(step, decay_steps + warmup_steps);
    if (step < warmup_steps) { /* _warmup_function: a straight line to warmup_target */
        double delta = s->cosine.warmup_target - s->cosine.initial_learning_rate;
        return delta * (step / warmup_steps) + s->cosine.initial_learning_rate;
    }
    return cosine_part(s, step - warmup_steps, s->cosine.warmup_target);
}

static double piecewise_constant(const ct_lr_schedule_spec *s, double step)
{
    size_t i = 0;
    while (i < s->piecewise.boundary_count && step > s->piecewise.boundaries[i])
        i++;
    return i < s->piecewise.value_count ? s->piecewise.values[i] : NAN;
}

double ct_lr_schedule_value(const ct_lr_schedule_spec *s, uint64_t step)
{
    double t = (double)step;
    switch (s->kind) {
    case CT_LR_SCHEDULE_EXPONENTIAL_DECAY:
        return exponential_decay(s, t);
    case CT_LR_SCHEDULE_COSINE_DECAY:
        return cosine_decay(s, t);
    case CT_LR_SCHEDULE_PIECEWISE_CONSTANT_DECAY:
        return piecewise_constant(s, t);
    default:
        return NAN;
    }
}
