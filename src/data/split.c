/* Train/validation/test split into index lists; sizes rounded the way the
 * workshop's two sklearn train_test_split calls round them, members from our
 * seeded shuffle or, with a random_state, sklearn's own (see cltrain/data.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cltrain/data.h"
#include "data/internal.h"
#include "data/util.h"

/* "split" in ASCII: keeps the split's random stream apart from any other
 * purpose that uses the same seed. */
#define SPLIT_PURPOSE UINT64_C(0x73706c6974)

/* ceil(x), ignoring floating-point noise just above an integer (0.1*30 is
 * 3.0000000000000004 and means 3). */
static size_t ceil_tolerant(double x)
{
    double nearest = floor(x + 0.5);
    if (fabs(x - nearest) <= 1e-9 * (nearest > 1.0 ? nearest : 1.0))
        return (size_t)nearest;
    return (size_t)ceil(x);
}

static ct_status check_fraction(const char *name, double f)
{
    if (!(f >= 0.0 && f <= 1.0)) /* also rejects NaN */
        return ct_fail(CT_ERR_CONFIG, "split: the %s fraction must be between 0 and 1, got %g", name, f);
    return CT_OK;
}

static ct_status compute_sizes(size_t n, const ct_split_options *o, ct_split *s)
{
    CT_TRY(check_fraction("train", o->train));
    CT_TRY(check_fraction("validation", o->validation));
    CT_TRY(check_fraction("test", o->test));
    double sum = o->train + o->validation + o->test;
    if (fabs(sum - 1.0) > 1e-6)
        return ct_fail(CT_ERR_CONFIG,
                       "split: the fractions must add up to 1, got train %g + validation %g + test %g = %g",
                       o->train, o->validation, o->test, sum);
    double holdout_fraction = o->validation + o->test;
    size_t n_holdout = holdout_fraction > 0 ? ceil_tolerant(holdout_fraction * (double)n) : 0;
    if (n_holdout > n)
        n_holdout = n;
    size_t n_test = o->test > 0 ? ceil_tolerant(o->test / holdout_fraction * (double)n_holdout) : 0;
    if (n_test > n_holdout)
        n_test = n_holdout;
    s->n_train = n - n_holdout;
    s->n_test = n_test;
    s->n_validation = n_holdout - n_test;
    if (o->train > 0 && s->n_train == 0)
        return ct_fail(CT_ERR_DATA, "split: %zu samples leave none for training at train fraction %g", n,
                       o->train);
    if (o->validation > 0 && s->n_validation == 0)
        return ct_fail(CT_ERR_DATA, "split: %zu samples leave none for validation at validation fraction %g",
                       n, o->validation);
    return CT_OK;
}

/* order = train | validation | test for the default split: the identity
 * with keep_order, else a Fisher-Yates permutation whose step i swaps i
 * with a position in [0, i] drawn from the counter (seed, "split", i). */
static void seeded_order(size_t n, const ct_split_options *o, size_t *order)
{
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    if (o->keep_order)
        return;
    for (size_t i = n - 1; i > 0; i--) {
        uint64_t r = ct_data_random(o->seed, SPLIT_PURPOSE, i);
        size_t j = (size_t)ct_data_random_below(r, (uint64_t)i + 1);
        size_t tmp = order[i];
        order[i] = order[j];
        order[j] = tmp;
    }
}

/* order = train | validation | test as sklearn's two train_test_split calls
 * with random_state pick them (see cltrain/data.h). */
static ct_status sklearn_order(size_t n, uint32_t random_state, const ct_split *sizes, size_t *order)
{
    size_t n_holdout = sizes->n_validation + sizes->n_test;
    size_t *first = malloc(n * sizeof *first);
    size_t *second = malloc((n_holdout ? n_holdout : 1) * sizeof *second);
    ct_status s = first && second ? CT_OK : ct_fail(CT_ERR_NO_MEMORY, "split: out of memory for %zu samples", n);
    if (s == CT_OK)
        s = ct_data_numpy_permutation(random_state, n, first);
    /* With validation or test empty there is only the first call: the
     * holdout is used in the first permutation's order. */
    int two_calls = sizes->n_validation > 0 && sizes->n_test > 0;
    if (s == CT_OK && two_calls)
        s = ct_data_numpy_permutation(random_state, n_holdout, second);
    else if (s == CT_OK)
        for (size_t k = 0; k < n_holdout; k++)
            second[k] = k;
    if (s == CT_OK) {
        const size_t *holdout = first; /* first[0..n_holdout), then train */
        memcpy(order, first + n_holdout, sizes->n_train * sizeof *order);
        size_t *validation = order + sizes->n_train, *test = validation + sizes->n_validation;
        for (size_t k = 0; k < sizes->n_test; k++)
            test[k] = holdout[second[k]];
        for (size_t k = 0; k < sizes->n_validation; k++)
            validation[k] = holdout[second[sizes->n_test + k]];
    }
    free(first);
    free(second);
    return s;
}

ct_status ct_split_make(size_t n, const ct_split_options *o, ct_split *out)
{
    memset(out, 0, sizeof *out);
    if (!o)
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "ct_split_make: no options");
    if (n == 0)
        return ct_fail(CT_ERR_DATA, "split: there are no samples to split");
    ct_split sizes = {0};
    CT_TRY(compute_sizes(n, o, &sizes));

    size_t *order = malloc(n * sizeof *order);
    if (!order)
        return ct_fail(CT_ERR_NO_MEMORY, "split: out of memory for %zu samples", n);
    ct_status s = CT_OK;
    if (o->use_random_state)
        s = sklearn_order(n, o->random_state, &sizes, order);
    else
        seeded_order(n, o, order);
    if (s != CT_OK) {
        free(order);
        return s;
    }

    /* One allocation per list (callers free them separately); never 0 bytes. */
    out->train = malloc((sizes.n_train ? sizes.n_train : 1) * sizeof *out->train);
    out->validation = malloc((sizes.n_validation ? sizes.n_validation : 1) * sizeof *out->validation);
    out->test = malloc((sizes.n_test ? sizes.n_test : 1) * sizeof *out->test);
    if (!out->train || !out->validation || !out->test) {
        free(order);
        ct_split_free(out);
        return ct_fail(CT_ERR_NO_MEMORY, "split: out of memory for %zu samples", n);
    }
    out->n_train = sizes.n_train;
    out->n_validation = sizes.n_validation;
    out->n_test = sizes.n_test;
    memcpy(out->train, order, sizes.n_train * sizeof *order);
    memcpy(out->validation, order + sizes.n_train, sizes.n_validation * sizeof *order);
    memcpy(out->test, order + sizes.n_train + sizes.n_validation, sizes.n_test * sizeof *order);
    free(order);
    return CT_OK;
}

void ct_split_free(ct_split *s)
{
    if (!s)
        return;
    free(s->train);
    free(s->validation);
    free(s->test);
    memset(s, 0, sizeof *s);
}

ct_status ct_gather_rows(const float *src, size_t row_len, const size_t *idx, size_t n, float **out)
{
    *out = NULL;
    size_t count = ct_data_mul(n, row_len);
    size_t bytes = ct_data_mul(count ? count : 1, sizeof(float));
    float *dst = bytes == SIZE_MAX ? NULL : malloc(bytes);
    if (!dst)
        return ct_fail(CT_ERR_NO_MEMORY, "out of memory gathering %zu rows of %zu values", n, row_len);
    for (size_t k = 0; k < n; k++)
        memcpy(dst + k * row_len, src + idx[k] * row_len, row_len * sizeof *dst);
    *out = dst;
    return CT_OK;
}
