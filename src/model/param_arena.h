/* The arena's layout, for the optimizer (src/train/optim.c), which sizes its
 * state to `used`, reads both buffers and freezes the arena. */
#ifndef CLTRAIN_MODEL_PARAM_ARENA_H
#define CLTRAIN_MODEL_PARAM_ARENA_H

#include "cltrain/param_arena.h"

struct ct_param_arena {
    ct_tensor weights, grads; /* owned, capacity floats each */
    size_t capacity, used, count;
    size_t *starts, starts_capacity; /* starts[i]: first float of tensor i (gradient clipping by norm) */
    int frozen; /* an optimizer sized its state to `used` */
};

#endif
