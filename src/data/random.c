/* A counter-based generator: each value is a hash of (seed, purpose,
 * counter), so results never depend on call order, thread or platform, and
 * rand() (whose sequence differs between C libraries) is never used. The
 * hash is splitmix64's finaliser, applied in a chain. */
#include "data/internal.h"

static uint64_t mix64(uint64_t z)
{
    z += 0x9e3779b97f4a7c15u;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

uint64_t ct_data_random(uint64_t seed, uint64_t purpose, uint64_t counter)
{
    return mix64(mix64(mix64(seed) ^ purpose) ^ counter);
}

/* High 64 bits of a 64x64-bit product, from 32-bit halves (no __int128). */
static uint64_t multiply_high(uint64_t a, uint64_t b)
{
    uint64_t a_lo = a & 0xffffffffu, a_hi = a >> 32;
    uint64_t b_lo = b & 0xffffffffu, b_hi = b >> 32;
    uint64_t lo_lo = a_lo * b_lo, hi_lo = a_hi * b_lo, lo_hi = a_lo * b_hi, hi_hi = a_hi * b_hi;
    uint64_t middle = (lo_lo >> 32) + (hi_lo & 0xffffffffu) + lo_hi;
    return hi_hi + (hi_lo >> 32) + (middle >> 32);
}

uint64_t ct_data_random_below(uint64_t random64, uint64_t bound)
{
    /* Lemire's multiply-shift without the rejection step: deterministic, one
     * draw per value, and a bias of at most bound/2^64 (nil for data sizes). */
    return multiply_high(random64, bound);
}
