/* Optimizers (Keras 3 update rules) over a parameter arena: every parameter
 * tensor of a model lives in one device buffer, its gradient at the same
 * offset of a second buffer, so one optimizer step is one kernel launch over
 * all the model's parameters.
 *
 * Typical use by a model:
 *
 *     size_t total = 0;
 *     for each parameter tensor p: total += ct_param_arena_padded(count(p));
 *     ct_param_arena *arena;
 *     CT_TRY(ct_param_arena_create(ctx, total, &arena));
 *     for each parameter tensor p:
 *         CT_TRY(ct_param_arena_add(arena, p.ndim, p.shape, &p.weights, &p.grads));
 *     ... initialise the weights through the views ...
 *     ct_optimizer *opt;
 *     CT_TRY(ct_optimizer_create(ctx, &spec, arena, &opt));
 *     per batch: forward, loss, backward (writes every gradient view), then
 *     CT_TRY(ct_optimizer_step(ctx, opt));
 *     ct_optimizer_free(opt);
 *     ct_param_arena_destroy(arena);
 *
 * Ownership: the arena owns both device buffers; the views it hands out do
 * not own anything (ct_tensor_release on them is a no-op) and are valid until
 * ct_param_arena_destroy(). An optimizer borrows its arena, which must outlive
 * it, and owns its state buffer (moments, velocities, accumulators).
 *
 * The optimizer kinds and settings (ct_optimizer_kind, ct_optimizer_spec)
 * come from cltrain/optimizer_spec.h. */
#ifndef CLTRAIN_OPTIM_H
#define CLTRAIN_OPTIM_H

#include <stdint.h>

#include "cltrain/optimizer_spec.h"
#include "cltrain/param_arena.h"
#include "cltrain/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ===================================================================== names */

/* Keras' defaults: Adam(lr 0.001, beta_1 0.9, beta_2 0.999, epsilon 1e-7),
 * SGD(lr 0.01, momentum 0, nesterov false), RMSprop(lr 0.001, rho 0.9,
 * momentum 0, epsilon 1e-7), AdamW(lr 0.001, weight_decay 0.004, betas and
 * epsilon as Adam), Nadam(lr 0.001, betas and epsilon as Adam),
 * Adagrad(lr 0.001, initial_accumulator_value 0.1, epsilon 1e-7); no
 * clipping. */
ct_optimizer_spec ct_optimizer_defaults(ct_optimizer_kind kind);

/* Case-insensitive "adam", "sgd", "rmsprop", "adamw", "nadam", "adagrad"
 * (also Keras' class names). */
ct_status ct_optimizer_from_name(const char *name, ct_optimizer_kind *out);

/* Ranges Keras accepts: learning_rate >= 0, momentum in [0, 1], betas and rho
 * in [0, 1), epsilon >= 0, weight_decay and initial_accumulator_value >= 0;
 * clipnorm, global_clipnorm, clipvalue >= 0 (0: off) and at most one of them. */
ct_status ct_optimizer_check(const ct_optimizer_spec *spec);

/* ================================================================ optimizers
 *
 * Keras 3 (update_step in keras/src/optimizers/{adam,sgd,rmsprop}.py), element-wise, float32, t
 * the 1-based step count:
 *   Adam     m += (g - m)(1 - beta_1);  v += (g^2 - v)(1 - beta_2)
 *            alpha = lr sqrt(1 - beta_2^t) / (1 - beta_1^t)
 *            w -= alpha m / (sqrt(v) + epsilon)
 *   SGD      momentum 0: w -= lr g
 *            else: u = momentum u - lr g;  w += u   (nesterov: w += momentum u - lr g)
 *   RMSprop  v = rho v + (1 - rho) g^2
 *            step = lr g / sqrt(v + epsilon)      <- epsilon inside the root (Keras 3)
 *            momentum 0: w -= step;  else: s = momentum s + step;  w -= s
 *   AdamW    w -= w * weight_decay * lr, then Adam's step (decoupled decay, base_optimizer.py)
 *   Nadam    u_t = beta_1 (1 - 0.5 * 0.96^t);  P_t = u_1 ... u_t (a host scalar)
 *            m, v as Adam;  m_hat = u_{t+1} m / (1 - P_t u_{t+1}) + (1 - u_t) g / (1 - P_t)
 *            v_hat = v / (1 - beta_2^t);  w -= lr m_hat / (sqrt(v_hat) + epsilon)
 *   Adagrad  a (starts at initial_accumulator_value) += g^2;  w -= lr g / sqrt(a + epsilon)
 * Clipping (spec.clip, before the update and the decay, in place on the gradients):
 *   clipnorm per parameter tensor g *= c / max(|g|, c); global_clipnorm over
 *   all tensors g *= c min(1 / |G|, 1 / c); clipvalue g = clamp(g, -c, c).
 */

typedef struct ct_optimizer ct_optimizer;

/* State sized to the arena's current contents, zeroed; the step count is 0. */
ct_status ct_optimizer_create(ct_context *ctx, const ct_optimizer_spec *spec, ct_param_arena *arena,
                              ct_optimizer **out);
void ct_optimizer_free(ct_optimizer *opt);

/* One update of every weight from its gradient: one kernel launch, nothing
 * read back. The step count lives on the host (Adam's bias correction is
 * computed there and passed to the kernel). */
ct_status ct_optimizer_step(ct_context *ctx, ct_optimizer *opt);

/* Steps taken so far (Keras' optimizer.iterations). */
uint64_t ct_optimizer_iterations(const ct_optimizer *opt);

/* For schedules and callbacks that change the learning rate between steps. */
double ct_optimizer_learning_rate(const ct_optimizer *opt);
ct_status ct_optimizer_set_learning_rate(ct_optimizer *opt, double learning_rate);

/* The whole state for checkpoints: ct_optimizer_state_size() floats
 * (moments, velocities; 0 for plain SGD) in the device buffer
 * ct_optimizer_state (a non-owning view), and the step count
 * (ct_optimizer_iterations). load writes the floats and sets the count, so
 * that the next step is the one the saved optimizer would have taken. */
size_t ct_optimizer_state_size(const ct_optimizer *opt);
ct_tensor ct_optimizer_state(const ct_optimizer *opt);
ct_status ct_optimizer_load(ct_context *ctx, ct_optimizer *opt, const float *state, uint64_t iterations);
/* ============================================================ schedules */

/* The learning rate of the step that follows `step` steps (Keras calls a
 * schedule with optimizer.iterations: 0 for the first step). Formulas in
 * cltrain/optimizer_spec.h (ct_lr_schedule_spec). NaN for an unknown kind or
 * a piecewise spec without enough values (ct_experiment_validate rejects
 * both). The caller passes it to ct_optimizer_set_learning_rate() before
 * each step; AdamW's weight decay uses the same value, as in Keras. */
double ct_lr_schedule_value(const ct_lr_schedule_spec *s, uint64_t step);

/* Zeroes the state (enqueued) and the step count, as a fresh optimizer. */
ct_status ct_optimizer_reset(ct_context *ctx, ct_optimizer *opt);

#ifdef __cplusplus
}
#endif
#endif
