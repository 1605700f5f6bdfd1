/* Parameter initializers (Keras definitions) from a counter-based generator:
 * the value of element i of tensor t of layer l depends only on (seed, l, t, i),
 * so a run is reproducible and identical on every device and any batch size. */
#include "model/init.h"

#include <math.h>

/* Keras' truncated normal draws within 2 stddev; this constant rescales so the
 * truncated distribution has the requested variance (as VarianceScaling does). */
#define TRUNCATED_NORMAL_STDDEV_FIX 0.87962566103423978

static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

uint64_t ct_counter_hash(uint64_t seed, uint64_t a, uint64_t b, uint64_t c)
{
    uint64_t h = mix64(seed + 0x9E3779B97F4A7C15ULL);
    h = mix64(h ^ (a + 0x632BE59BD9B4E019ULL));
    h = mix64(h ^ (b + 0x8CB92BA72F3D8DD7ULL));
    return mix64(h ^ (c + 0xD6E8FEB86659FD93ULL));
}

double ct_counter_uniform(uint64_t seed, uint64_t a, uint64_t b, uint64_t c)
{
    return (double)(ct_counter_hash(seed, a, b, c) >> 11) * 0x1.0p-53;
}

/* Standard normal truncated to [-2, 2]: Box-Muller on successive counters,
 * rejecting draws outside the range. */
static double truncated_normal(uint64_t seed, uint64_t layer, uint64_t tensor, uint64_t index)
{
    for (uint64_t attempt = 0;; attempt++) {
        uint64_t c = index * 64 + attempt;
        double u1 = ct_counter_uniform(seed, layer, tensor, 2 * c);
        double u2 = ct_counter_uniform(seed, layer, tensor, 2 * c + 1);
        double z = sqrt(-2.0 * log(1.0 - u1)) * cos(2.0 * M_PI * u2);
        if (fabs(z) <= 2.0 || attempt == 63)
            return fabs(z) <= 2.0 ? z : 0.0;
    }
}

void ct_initialize(ct_initializer init, size_t fan_in, size_t fan_out, uint64_t seed, uint64_t layer,
                   uint64_t tensor, float *values, size_t count)
{
    double scale = 0;
    int normal = 0;
    switch (init) {
    case CT_INIT_ZEROS:
    case CT_INIT_ONES:
        for (size_t i = 0; i < count; i++)
            values[i] = init == CT_INIT_ONES ? 1.0f : 0.0f;
        return;
    case CT_INIT_GLOROT_UNIFORM: scale = 2.0 / (double)(fan_in + fan_out); break;
    case CT_INIT_GLOROT_NORMAL: scale = 2.0 / (double)(fan_in + fan_out); normal = 1; break;
    case CT_INIT_HE_UNIFORM: scale = 2.0 / (double)fan_in; break;
    case CT_INIT_HE_NORMAL: scale = 2.0 / (double)fan_in; normal = 1; break;
    case CT_INIT_LECUN_UNIFORM: scale = 1.0 / (double)fan_in; break;
    case CT_INIT_LECUN_NORMAL: scale = 1.0 / (double)fan_in; normal = 1; break;
    default: scale = 2.0 / (double)(fan_in + fan_out); break;
    }
    if (normal) {
        /* VarianceScaling(distribution="truncated_normal") */
        double stddev = sqrt(scale) / TRUNCATED_NORMAL_STDDEV_FIX;
        for (size_t i = 0; i < count; i++)
            values[i] = (float)(stddev * truncated_normal(seed, layer, tensor, i));
    } else {
        /* VarianceScaling(distribution="uniform"): limit = sqrt(3 * scale) */
        double limit = sqrt(3.0 * scale);
        for (size_t i = 0; i < count; i++)
            values[i] = (float)(limit * (2.0 * ct_counter_uniform(seed, layer, tensor, i) - 1.0));
    }
}
