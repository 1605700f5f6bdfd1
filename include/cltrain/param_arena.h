/* The parameter arena (src/model/param_arena.c): every parameter tensor of
 * a model lives in one device buffer, its gradient at the same offset of a
 * second buffer, so one optimizer step (cltrain/optim.h) is one kernel launch
 * over all the model's parameters. The model owns it; the optimizer borrows
 * it. Usage and ownership: see cltrain/optim.h. */
#ifndef CLTRAIN_PARAM_ARENA_H
#define CLTRAIN_PARAM_ARENA_H

#include <stddef.h>

#include "cltrain/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ============================================================ parameter arena */

/* Each tensor starts at a multiple of this many floats (64 bytes), which
 * keeps GEMM and vector loads aligned. The gaps hold zeros, and their
 * gradients stay 0, so the optimizer leaves them at 0. */
#define CT_PARAM_ALIGN 16

typedef struct ct_param_arena ct_param_arena;

/* count rounded up to CT_PARAM_ALIGN: what a tensor of count floats takes. */
size_t ct_param_arena_padded(size_t count);

/* Room for capacity floats of weights and as many of gradients, both zeroed. */
ct_status ct_param_arena_create(ct_context *ctx, size_t capacity, ct_param_arena **out);
void ct_param_arena_destroy(ct_param_arena *arena);

/* The next parameter tensor: *weights and *grads become non-owning views of
 * the given shape at the same offset of the two buffers. Fails (CT_ERR_SHAPE)
 * when the arena is full, or once an optimizer is attached to it. */
ct_status ct_param_arena_add(ct_param_arena *arena, int ndim, const size_t *shape, ct_tensor *weights,
                             ct_tensor *grads);

size_t ct_param_arena_used(const ct_param_arena *arena);  /* floats handed out, gaps included */
size_t ct_param_arena_count(const ct_param_arena *arena); /* tensors added */
/* The first float of tensor i in both buffers, in the order added;
 * ct_param_arena_used() for i >= the count (the end of the last tensor's
 * padding), so tensor i spans [start(i), start(i + 1)). */
size_t ct_param_arena_start(const ct_param_arena *arena, size_t i);

/* Views (1-D, ct_param_arena_used() floats) of all weights and all gradients:
 * for snapshots (restore_best_weights), checkpoints and bulk operations. */
ct_status ct_param_arena_weights(const ct_param_arena *arena, ct_tensor *out);
ct_status ct_param_arena_grads(const ct_param_arena *arena, ct_tensor *out);

/* Enqueues zeroing of every gradient; does not wait. */
ct_status ct_param_arena_zero_grads(ct_context *ctx, ct_param_arena *arena);

#ifdef __cplusplus
}
#endif
#endif
