/* Keras initializers from a counter-based generator (see init.c). */
#ifndef CLTRAIN_MODEL_INIT_H
#define CLTRAIN_MODEL_INIT_H

#include <stddef.h>
#include <stdint.h>

#include "cltrain/model_spec.h" /* ct_initializer */

/* A 64-bit hash of (seed, a, b, c); equal keys give equal values everywhere. */
uint64_t ct_counter_hash(uint64_t seed, uint64_t a, uint64_t b, uint64_t c);
/* Uniform in [0, 1) from the same key. */
double ct_counter_uniform(uint64_t seed, uint64_t a, uint64_t b, uint64_t c);

/* Fill `count` values for tensor `tensor` of layer `layer`. Fans as Keras:
 * Dense (in, units): fan_in = in, fan_out = units; Conv2D (kh, kw, cin, cout):
 * fan_in = kh*kw*cin, fan_out = kh*kw*cout. */
void ct_initialize(ct_initializer init, size_t fan_in, size_t fan_out, uint64_t seed, uint64_t layer,
                   uint64_t tensor, float *values, size_t count);

#endif
