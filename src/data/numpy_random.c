/* numpy's legacy generator, for one purpose: reproducing the rows that
 * sklearn's train_test_split(random_state=N) picks, so an experiment can use
 * exactly the split a Keras lesson or paper used. sklearn draws
 * numpy.random.RandomState(N).permutation(n_samples); RandomState is the
 * Mersenne Twister MT19937 seeded with init_genrand(N), and permutation is a
 * Fisher-Yates shuffle of 0..n-1 from the last position down, each position i
 * swapped with j drawn uniformly from [0, i] by masked rejection sampling
 * (numpy's random_interval). Checked against numpy 1.24 in tests/test_data.c. */
#include <stdlib.h>

#include "data/internal.h"

enum { MT_N = 624, MT_M = 397 };

typedef struct {
    uint32_t key[MT_N];
    int pos;
} mt19937;

static void mt_seed(mt19937 *mt, uint32_t seed)
{
    mt->key[0] = seed;
    for (int i = 1; i < MT_N; i++)
        mt->key[i] = 1812433253u * (mt->key[i - 1] ^ (mt->key[i - 1] >> 30)) + (uint32_t)i;
    mt->pos = MT_N;
}

/* Regenerates all 624 words of state at once. */
static void mt_twist(mt19937 *mt)
{
    for (int i = 0; i < MT_N; i++) {
        uint32_t y = (mt->key[i] & 0x80000000u) | (mt->key[(i + 1) % MT_N] & 0x7fffffffu);
        mt->key[i] = mt->key[(i + MT_M) % MT_N] ^ (y >> 1) ^ ((y & 1u) ? 0x9908b0dfu : 0u);
    }
    mt->pos = 0;
}

static uint32_t mt_next(mt19937 *mt)
{
    if (mt->pos >= MT_N)
        mt_twist(mt);
    uint32_t y = mt->key[mt->pos++];
    y ^= y >> 11;
    y ^= (y << 7) & 0x9d2c5680u;
    y ^= (y << 15) & 0xefc60000u;
    return y ^ (y >> 18);
}

/* Uniform in [0, max]: draws masked to max's bit width until one fits.
 * Sample counts here stay below 2^32, where numpy draws 32 bits at a time. */
static uint32_t mt_interval(mt19937 *mt, uint32_t max)
{
    uint32_t mask = max;
    mask |= mask >> 1;
    mask |= mask >> 2;
    mask |= mask >> 4;
    mask |= mask >> 8;
    mask |= mask >> 16;
    uint32_t value;
    while ((value = mt_next(mt) & mask) > max)
        ;
    return value;
}

ct_status ct_data_numpy_permutation(uint32_t seed, size_t n, size_t *out)
{
    if (n > UINT32_MAX)
        return ct_fail(CT_ERR_DATA, "split: random_state shuffles at most %u samples, got %zu", UINT32_MAX, n);
    mt19937 *mt = malloc(sizeof *mt);
    if (!mt)
        return ct_fail(CT_ERR_NO_MEMORY, "split: out of memory for the random generator");
    mt_seed(mt, seed);
    for (size_t i = 0; i < n; i++)
        out[i] = i;
    for (size_t i = n; i-- > 1;) {
        size_t j = mt_interval(mt, (uint32_t)i);
        size_t tmp = out[i];
        out[i] = out[j];
        out[j] = tmp;
    }
    free(mt);
    return CT_OK;
}
