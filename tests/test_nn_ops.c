/* What the op-test table cannot express for the neural-network ops
 * (include/cltrain/ops_nn.h): the Philox known answers, dropout statistics
 * and reproducibility, the batch-normalisation moving statistics against
 * hand-computed values, determinism of the column reductions, and argument
 * errors; the augmentation op's Keras semantics against hand-worked images
 * (the op table checks it against a reference that mirrors the kernel);
 * max pooling's gradient with tied maxima, recomputed and from the saved
 * argmax (the op table's finite differences need inputs without ties).
 * Every device test runs on each device (or CLTRAIN_TEST_DEVICE). */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cltrain/ops_augment.h"
#include "cltrain/ops_conv.h"
#include "cltrain/ops_nn.h"
#include "selftest/ref/ref_nn.h"
#include "test_devices.h"

/* ---------------------------------------------------------- host helpers */
static ct_tensor upload(ct_context *ctx, int ndim, const size_t *shape, const float *host)
{
    ct_tensor t;
    ck_assert_msg(ct_tensor_create(ctx, ndim, shape, &t) == CT_OK, "%s", ct_last_error());
    if (host)
        ck_assert_msg(ct_tensor_write(ctx, &t, host) == CT_OK, "%s", ct_last_error());
    return t;
}

static ct_tensor upload1(ct_context *ctx, size_t n, const float *host) { return upload(ctx, 1, &n, host); }

static float *download(ct_context *ctx, const ct_tensor *t)
{
    float *host = malloc(ct_tensor_count(t) * sizeof *host);
    ck_assert_ptr_nonnull(host);
    ck_assert_msg(ct_tensor_read(ctx, t, host) == CT_OK, "%s", ct_last_error());
    return host;
}

#define CHECK_OK(expr) ck_assert_msg((expr) == CT_OK, "%s: %s", #expr, ct_last_error())

/* Runs body(ctx) on every test device. */
static void on_each_device(void (*body)(ct_context *ctx))
{
    ct_device_info *devices;
    size_t count = test_devices(&devices);
    for (size_t d = 0; d < count; d++) {
        ct_context *ctx;
        CHECK_OK(ct_context_create(&devices[d], &ctx));
        body(ctx);
        ct_context_destroy(ctx);
    }
    free(devices);
}

/* ------------------------------------------------------------ host-only */
START_TEST(test_philox_known_answers)
{
    /* Random123 kat_vectors: counter, key, expected output. */
    static const uint32_t kat[3][10] = {
        {0, 0, 0, 0, 0, 0, 0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8},
        {0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0x408f276d, 0x41c83b0e, 0xa20bc7c6,
         0x6d5451fd},
        {0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0, 0xd16cfe09, 0x94fdcceb, 0x5001e420,
         0x24126ea1},
    };
    for (int v = 0; v < 3; v++) {
        uint32_t out[4];
        ref_philox4x32_10(&kat[v][0], &kat[v][4], out);
        for (int w = 0; w < 4; w++)
            ck_assert_msg(out[w] == kat[v][6 + w], "vector %d word %d: %08x, expected %08x", v, w, out[w],
                          kat[v][6 + w]);
    }
}
END_TEST

START_TEST(test_activation_names)
{
    for (int a = 0; a < CT_ACTIVATION_COUNT; a++) {
        ct_activation back;
        CHECK_OK(ct_activation_from_name(ct_activation_name((ct_activation)a), &back));
        ck_assert_int_eq(back, a);
    }
    ck_assert_str_eq(ct_activation_name(CT_ACTIVATION_LEAKY_RELU), "leaky_relu");
    ct_activation act = CT_ACTIVATION_RELU;
    CHECK_OK(ct_activation_from_name(NULL, &act));
    ck_assert_int_eq(act, CT_ACTIVATION_LINEAR);
    ck_assert_int_eq(ct_activation_from_name("Relu", &act), CT_ERR_CONFIG);
    ck_assert_ptr_nonnull(strstr(ct_last_error(), "'Relu'"));
    ck_assert_str_eq(ct_activation_name((ct_activation)99), "?"); /* include/cltrain/types.h */
}
END_TEST

/* ------------------------------------------------------------- dropout */
#define DROPOUT_N 100000

static void dropout_statistics(ct_context *ctx)
{
    float *ones = malloc(DROPOUT_N * sizeof *ones);
    ck_assert_ptr_nonnull(ones);
    for (size_t i = 0; i < DROPOUT_N; i++)
        ones[i] = 1.0f;
    ct_tensor x = upload1(ctx, DROPOUT_N, ones), y = upload1(ctx, DROPOUT_N, NULL), mask = upload1(ctx, DROPOUT_N, NULL);
    ct_dropout_params p = {0.3f, 20240601, 3, 17, 0};
    CHECK_OK(ct_dropout_forward(ctx, &p, &x, &y, &mask));
    float *got = download(ctx, &y), *got_mask = download(ctx, &mask);
    size_t kept = 0, mismatches = 0;
    double sum = 0;
    const float scale = (float)(1.0 / 0.7);
    for (size_t i = 0; i < DROPOUT_N; i++) {
        kept += got[i] != 0.0f;
        sum += got[i];
        ck_assert(got[i] == 0.0f || got[i] == scale);
        mismatches += (double)got[i] != ref_dropout_multiplier(&p, i) || got_mask[i] != got[i];
    }
    double fraction = (double)kept / DROPOUT_N, mean = sum / DROPOUT_N;
    ck_assert_msg(fabs(fraction - 0.7) <= 0.01, "kept fraction %.4f, expected 0.7 +- 0.01", fraction);
    /* E[y] = 1; its standard error over 1e5 elements is 0.002. */
    ck_assert_msg(fabs(mean - 1.0) <= 0.01, "mean %.4f, expected 1 +- 0.01", mean);
    ck_assert_msg(mismatches == 0, "%zu elements differ from the reference mask", mismatches);
    free(got);
    free(got_mask);
    free(ones);
    ct_tensor_release(&x);
    ct_tensor_release(&y);
    ct_tensor_release(&mask);
}

START_TEST(test_dropout_statistics) { on_each_device(dropout_statistics); }
END_TEST

static void random_fill(float *x, size_t n, unsigned seed)
{
    uint32_t s = seed * 2654435761u + 1;
    for (size_t i = 0; i < n; i++) {
        s = s * 1664525u + 1013904223u;
        x[i] = (float)(s >> 8) * 0x1p-24f * 4.0f - 2.0f;
    }
}

static void dropout_reproducible(ct_context *ctx)
{
    const size_t n = 4099;
    float *host = malloc(n * sizeof *host);
    ck_assert_ptr_nonnull(host);
    random_fill(host, n, 7);
    ct_tensor x = upload1(ctx, n, host), y = upload1(ctx, n, NULL);

    /* rate 0: the identity, bit for bit */
    ct_dropout_params p = {0.0f, 1, 1, 1, 0};
    CHECK_OK(ct_dropout_forward(ctx, &p, &x, &y, NULL));
    float *a = download(ctx, &y);
    ck_assert(memcmp(a, host, n * sizeof *a) == 0);
    free(a);

    /* the same inputs: the same bits; another step: another mask */
    p.rate = 0.5f;
    CHECK_OK(ct_dropout_forward(ctx, &p, &x, &y, NULL));
    a = download(ctx, &y);
    CHECK_OK(ct_dropout_forward(ctx, &p, &x, &y, NULL));
    float *b = download(ctx, &y);
    ck_assert(memcmp(a, b, n * sizeof *a) == 0);
    free(b);
    p.step++;
    CHECK_OK(ct_dropout_forward(ctx, &p, &x, &y, NULL));
    b = download(ctx, &y);
    size_t differ = 0;
    for (size_t i = 0; i < n; i++)
        differ += (a[i] == 0.0f) != (b[i] == 0.0f);
    /* independent masks at rate 0.5 differ in half the places */
    ck_assert_msg(differ > n / 3 && differ < 2 * n / 3, "steps differ in %zu of %zu places", differ, n);
    free(b);
    p.step--;
    p.layer_id++;
    CHECK_OK(ct_dropout_forward(ctx, &p, &x, &y, NULL));
    b = download(ctx, &y);
    ck_assert(memcmp(a, b, n * sizeof *a) != 0);
    free(b);
    free(a);

    /* backward = the same mask applied to dy */
    p.layer_id--;
    CHECK_OK(ct_dropout_backward(ctx, &p, &x, &y));
    b = download(ctx, &y);
    for (size_t i = 0; i < n; i++) {
        float want = host[i] * (float)ref_dropout_multiplier(&p, i); /* the device's float product */
        ck_assert_msg(b[i] == want, "backward element %zu: %g, expected %g", i, (double)b[i], (double)want);
    }
    free(b);

    ct_dropout_params bad = {1.0f, 1, 1, 1, 0};
    ck_assert_int_eq(ct_dropout_forward(ctx, &bad, &x, &y, NULL), CT_ERR_INVALID_ARGUMENT);
    bad.rate = -0.1f;
    ck_assert_int_eq(ct_dropout_forward(ctx, &bad, &x, &y, NULL), CT_ERR_INVALID_ARGUMENT);
    free(host);
    ct_tensor_release(&x);
    ct_tensor_release(&y);
}

START_TEST(test_dropout_reproducible) { on_each_device(dropout_reproducible); }
END_TEST

/* ------------------------------------------------- batch normalisation */
static void assert_close(const float *got, const double *want, size_t n, double tol, const char *what)
{
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(fabs(got[i] - want[i]) <= tol * (1 + fabs(want[i])), "%s[%zu] = %.9g, expected %.9g", what, i,
                      (double)got[i], want[i]);
}

/* x (4, 2): column 0 = 1, 2, 3, 4 (mean 2.5, biased variance 1.25),
 * column 1 = 0, 0, 2, 2 (mean 1, variance 1). Keras initial moving
 * statistics: mean 0, variance 1; momentum 0.99, epsilon 1e-3. */
static void batchnorm_moving_statistics(ct_context *ctx)
{
    const float x_host[8] = {1, 0, 2, 0, 3, 2, 4, 2};
    const float gamma_host[2] = {2, 0.5f}, beta_host[2] = {0.25f, -1}, zeros[2] = {0, 0}, ones[2] = {1, 1};
    size_t xs[2] = {4, 2}, ss[2] = {2, 2};
    ct_tensor x = upload(ctx, 2, xs, x_host), y = upload(ctx, 2, xs, NULL), saved = upload(ctx, 2, ss, NULL);
    ct_tensor gamma = upload1(ctx, 2, gamma_host), beta = upload1(ctx, 2, beta_host);
    ct_tensor mm = upload1(ctx, 2, zeros), mv = upload1(ctx, 2, ones);

    CHECK_OK(ct_batchnorm_forward_train(ctx, NULL, &x, &gamma, &beta, &mm, &mv, &saved, &y));
    float *got_mm = download(ctx, &mm), *got_mv = download(ctx, &mv), *got_saved = download(ctx, &saved);
    /* moving = moving * 0.99 + batch * 0.01 */
    const double mm1[2] = {0.025, 0.01}, mv1[2] = {0.99 + 0.0125, 1.0};
    assert_close(got_mm, mm1, 2, 1e-6, "moving_mean after 1 step");
    assert_close(got_mv, mv1, 2, 1e-6, "moving_variance after 1 step");
    const double saved1[4] = {2.5, 1.0, 1 / sqrt(1.25 + 1e-3), 1 / sqrt(1.0 + 1e-3)};
    assert_close(got_saved, saved1, 4, 1e-6, "saved (mean; inv_std)");
    float *got_y = download(ctx, &y);
    double want_y[8];
    for (int r = 0; r < 4; r++)
        for (int c = 0; c < 2; c++)
            want_y[r * 2 + c] = (x_host[r * 2 + c] - saved1[c]) * saved1[2 + c] * gamma_host[c] + beta_host[c];
    assert_close(got_y, want_y, 8, 1e-6, "y (training)");
    free(got_mm), free(got_mv), free(got_saved), free(got_y);

    /* a second step on the same batch */
    CHECK_OK(ct_batchnorm_forward_train(ctx, NULL, &x, &gamma, &beta, &mm, &mv, &saved, &y));
    got_mm = download(ctx, &mm), got_mv = download(ctx, &mv);
    const double mm2[2] = {0.025 * 0.99 + 0.025, 0.01 * 0.99 + 0.01}, mv2[2] = {1.0025 * 0.99 + 0.0125, 1.0};
    assert_close(got_mm, mm2, 2, 1e-6, "moving_mean after 2 steps");
    assert_close(got_mv, mv2, 2, 1e-6, "moving_variance after 2 steps");
    free(got_mm), free(got_mv);

    /* inference uses the moving statistics */
    CHECK_OK(ct_batchnorm_forward_inference(ctx, NULL, &x, &gamma, &beta, &mm, &mv, &y));
    got_y = download(ctx, &y);
    for (int r = 0; r < 4; r++)
        for (int c = 0; c < 2; c++)
            want_y[r * 2 + c] =
                (x_host[r * 2 + c] - mm2[c]) / sqrt(mv2[c] + 1e-3) * gamma_host[c] + beta_host[c];
    assert_close(got_y, want_y, 8, 1e-6, "y (inference)");
    free(got_y);

    /* momentum 0: the moving statistics become the batch's */
    ct_batchnorm_params p = {0.0f, 1e-3f};
    CHECK_OK(ct_batchnorm_forward_train(ctx, &p, &x, &gamma, &beta, &mm, &mv, &saved, &y));
    got_mm = download(ctx, &mm), got_mv = download(ctx, &mv);
    const double batch_mean[2] = {2.5, 1.0}, batch_var[2] = {1.25, 1.0};
    assert_close(got_mm, batch_mean, 2, 1e-6, "moving_mean, momentum 0");
    assert_close(got_mv, batch_var, 2, 1e-6, "moving_variance, momentum 0 (biased variance)");
    free(got_mm), free(got_mv);

    /* shape errors name the op */
    ck_assert_int_eq(ct_batchnorm_forward_train(ctx, NULL, &x, &gamma, &beta, &mm, &mv, &x, &y), CT_ERR_SHAPE);
    ck_assert_ptr_nonnull(strstr(ct_last_error(), "saved"));
    ct_tensor_release(&x), ct_tensor_release(&y), ct_tensor_release(&saved), ct_tensor_release(&gamma);
    ct_tensor_release(&beta), ct_tensor_release(&mm), ct_tensor_release(&mv);
}

START_TEST(test_batchnorm_moving_statistics) { on_each_device(batchnorm_moving_statistics); }
END_TEST

/* ----------------------------------------------------------- determinism */
/* Column reductions (dbias, batch statistics and their gradients) give the
 * same bits on every run. */
static void reductions_deterministic(ct_context *ctx)
{
    const size_t rows = 1000, cols = 37, n = rows * cols;
    float *host = malloc(n * sizeof *host), *dy_host = malloc(n * sizeof *dy_host);
    ck_assert(host && dy_host);
    random_fill(host, n, 1);
    random_fill(dy_host, n, 2);
    size_t shape[2] = {rows, cols}, ss[2] = {2, cols};
    float gb[37];
    random_fill(gb, cols, 3);
    ct_tensor x = upload(ctx, 2, shape, host), dy = upload(ctx, 2, shape, dy_host), y = upload(ctx, 2, shape, NULL);
    ct_tensor dz = upload(ctx, 2, shape, NULL), bias = upload1(ctx, cols, gb), dbias = upload1(ctx, cols, NULL);
    ct_tensor saved = upload(ctx, 2, ss, NULL), mm = upload1(ctx, cols, gb), mv = upload1(ctx, cols, NULL);
    ct_tensor dgamma = upload1(ctx, cols, NULL);
    float *first[3] = {NULL, NULL, NULL};
    for (int run = 0; run < 2; run++) {
        CHECK_OK(ct_bias_activation_forward(ctx, CT_ACTIVATION_TANH, &x, &bias, &y));
        CHECK_OK(ct_bias_activation_backward(ctx, CT_ACTIVATION_TANH, &y, &dy, &dz, &dbias));
        float *d = download(ctx, &dbias);
        CHECK_OK(ct_batchnorm_forward_train(ctx, NULL, &x, &bias, &bias, &mm, &mm, &saved, &y));
        float *s = download(ctx, &saved);
        CHECK_OK(ct_batchnorm_backward_train(ctx, &x, &bias, &saved, &dy, &dz, &dgamma, &mv));
        float *g = download(ctx, &dgamma);
        if (run == 0) {
            first[0] = d, first[1] = s, first[2] = g;
            continue;
        }
        ck_assert_msg(memcmp(first[0], d, cols * sizeof *d) == 0, "dbias differs between runs");
        ck_assert_msg(memcmp(first[1], s, 2 * cols * sizeof *s) == 0, "batch statistics differ between runs");
        ck_assert_msg(memcmp(first[2], g, cols * sizeof *g) == 0, "dgamma differs between runs");
        free(d), free(s), free(g);
    }
    /* dbias is the column sum of dz */
    CHECK_OK(ct_bias_activation_forward(ctx, CT_ACTIVATION_TANH, &x, &bias, &y));
    CHECK_OK(ct_bias_activation_backward(ctx, CT_ACTIVATION_TANH, &y, &dy, &dz, &dbias));
    float *dz_host = download(ctx, &dz), *dbias_host = download(ctx, &dbias);
    for (size_t c = 0; c < cols; c++) {
        double sum = 0, magnitude = 0;
        for (size_t r = 0; r < rows; r++)
            sum += dz_host[r * cols + c], magnitude += fabs(dz_host[r * cols + c]);
        ck_assert_msg(fabs(dbias_host[c] - sum) <= 1e-6 * magnitude, "dbias[%zu] = %g, column sum %g", c,
                      (double)dbias_host[c], sum);
    }
    free(dz_host), free(dbias_host);
    for (int i = 0; i < 3; i++)
        free(first[i]);
    free(host), free(dy_host);
    ct_tensor *all[] = {&x, &dy, &y, &dz, &bias, &dbias, &saved, &mm, &mv, &dgamma};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        ct_tensor_release(all[i]);
}

START_TEST(test_reductions_deterministic) { on_each_device(reductions_deterministic); }
END_TEST

/* ---------------------------------------------------------- argument errors */
static void argument_errors(ct_context *ctx)
{
    size_t shape[2] = {4, 3};
    ct_tensor x = upload(ctx, 2, shape, NULL), y = upload(ctx, 2, shape, NULL), bias4 = upload1(ctx, 4, NULL);
    ck_assert_int_eq(ct_bias_activation_forward(ctx, CT_ACTIVATION_RELU, &x, &bias4, &y), CT_ERR_SHAPE);
    ck_assert_ptr_nonnull(strstr(ct_last_error(), "bias"));
    ck_assert_int_eq(ct_bias_activation_backward(ctx, CT_ACTIVATION_RELU, &x, &x, &y, &bias4), CT_ERR_SHAPE);
    ck_assert_int_eq(ct_activation_backward(ctx, CT_ACTIVATION_SOFTMAX, &x, NULL, &x, &y), CT_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(ct_activation_backward(ctx, CT_ACTIVATION_RELU, NULL, NULL, &x, &y), CT_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(ct_activation_forward(ctx, (ct_activation)42, &x, &y), CT_ERR_INVALID_ARGUMENT);
    size_t other[2] = {3, 4};
    ct_tensor z = upload(ctx, 2, other, NULL);
    ck_assert_int_eq(ct_activation_forward(ctx, CT_ACTIVATION_SOFTMAX, &x, &z), CT_ERR_SHAPE);
    ct_tensor_release(&x), ct_tensor_release(&y), ct_tensor_release(&bias4), ct_tensor_release(&z);
}

START_TEST(test_argument_errors) { on_each_device(argument_errors); }
END_TEST

/* ----------------------------------------------------------- augmentation */

/* x (n, h, w, 1) through the op into a new (n, oh, ow, 1) host array. */
static float *augment_run(ct_context *ctx, const ct_augment_params *p, size_t n, size_t h, size_t w, size_t oh,
                          size_t ow, const float *x)
{
    size_t xs[4] = {n, h, w, 1}, ys[4] = {n, oh, ow, 1}, ts = 6 * n;
    ct_tensor tx = upload(ctx, 4, xs, x), ty = upload(ctx, 4, ys, NULL), tt = upload(ctx, 1, &ts, NULL);
    CHECK_OK(ct_augment_forward(ctx, p, &tx, &tt, &ty));
    float *y = download(ctx, &ty);
    ct_tensor_release(&tx), ct_tensor_release(&ty), ct_tensor_release(&tt);
    return y;
}

static void augment_semantics(ct_context *ctx)
{
    enum { N = 16, S = 4 };
    float x[N * S * S], one[S * S];
    for (int i = 0; i < N * S * S; i++)
        x[i] = (float)(i % (S * S)) + 1; /* every sample the same 4x4 image, pixel (r, c) = 4r + c + 1 */
    memcpy(one, x, sizeof one);

    /* RandomFlip("horizontal"): each image as it was or mirrored left-right, both seen. */
    ct_augment_params p = {.kind = CT_AUGMENT_FLIP, .flip = CT_FLIP_HORIZONTAL, .seed = 7, .layer_id = 1, .step = 3};
    float *y = augment_run(ctx, &p, N, S, S, S, S, x);
    int kept = 0, mirrored = 0;
    for (int n = 0; n < N; n++) {
        int same = 1, mirror = 1;
        for (int r = 0; r < S; r++)
            for (int c = 0; c < S; c++) {
                float v = y[(n * S + r) * S + c];
                same &= v == one[r * S + c];
                mirror &= v == one[r * S + (S - 1 - c)];
            }
        ck_assert_msg(same || mirror, "sample %d is neither the image nor its mirror", n);
        kept += same, mirrored += mirror;
    }
    ck_assert_msg(kept > 0 && mirrored > 0, "%d kept, %d mirrored of %d", kept, mirrored, N);
    free(y);

    /* RandomTranslation: a factor range of one value shifts by exactly it:
     * 0.5 of the height down (2 rows), 0.25 of the width left (1 column);
     * nearest sampling, constant fill 0 (pad-and-crop). */
    p = (ct_augment_params){.kind = CT_AUGMENT_TRANSLATION, .lower = {0.5f, -0.25f}, .upper = {0.5f, -0.25f},
                            .fill_mode = CT_FILL_CONSTANT, .interpolation = CT_INTERPOLATION_NEAREST};
    y = augment_run(ctx, &p, 1, S, S, S, S, one);
    for (int r = 0; r < S; r++)
        for (int c = 0; c < S; c++) {
            float want = r >= 2 && c + 1 < S ? one[(r - 2) * S + c + 1] : 0.0f;
            ck_assert_msg(y[r * S + c] == want, "shifted (%d, %d): %g, not %g", r, c, (double)y[r * S + c],
                          (double)want);
        }
    free(y);

    /* The same shift down with reflect fill, bilinear: rows -1, -2 read rows 0, 1. */
    p.fill_mode = CT_FILL_REFLECT;
    p.interpolation = CT_INTERPOLATION_BILINEAR;
    p.lower[1] = p.upper[1] = 0;
    y = augment_run(ctx, &p, 1, S, S, S, S, one);
    static const int source_row[S] = {1, 0, 0, 1};
    for (int r = 0; r < S; r++)
        for (int c = 0; c < S; c++)
            ck_assert_msg(y[r * S + c] == one[source_row[r] * S + c], "reflected (%d, %d): %g", r, c,
                          (double)y[r * S + c]);
    free(y);

    /* RandomRotation by a quarter turn is 90 degrees counter-clockwise: the
     * right column becomes the top row, top-right corner first. */
    p = (ct_augment_params){.kind = CT_AUGMENT_ROTATION, .lower = {0.25f}, .upper = {0.25f},
                            .fill_mode = CT_FILL_CONSTANT};
    y = augment_run(ctx, &p, 1, S, S, S, S, one);
    for (int r = 0; r < S; r++)
        for (int c = 0; c < S; c++)
            ck_assert_msg(fabsf(y[r * S + c] - one[c * S + (S - 1 - r)]) < 1e-4f, "rotated (%d, %d): %g", r, c,
                          (double)y[r * S + c]);
    free(y);

    /* RandomCrop(2, 2) at inference: the whole 4x4 (same aspect ratio)
     * resized to 2x2, bilinear with half-pixel centres: 2x2 block means. */
    p = (ct_augment_params){.kind = CT_AUGMENT_CENTER_CROP};
    y = augment_run(ctx, &p, 1, S, S, 2, 2, one);
    for (int r = 0; r < 2; r++)
        for (int c = 0; c < 2; c++) {
            float want = (one[2 * r * S + 2 * c] + one[2 * r * S + 2 * c + 1] + one[(2 * r + 1) * S + 2 * c] +
                          one[(2 * r + 1) * S + 2 * c + 1]) / 4;
            ck_assert_msg(fabsf(y[r * 2 + c] - want) < 1e-5f, "resized (%d, %d): %g, not %g", r, c,
                          (double)y[r * 2 + c], (double)want);
        }
    free(y);
}

START_TEST(test_augment_semantics) { on_each_device(augment_semantics); }
END_TEST

/* ------------------------------------------------ max pooling with ties */

/* ReLU outputs tie at zero all the time: the gradient of each window goes to
 * its first maximum in row-major order (TF's choice) and nowhere else. */
static void max_pool_ties_case(ct_context *ctx, size_t ph, size_t pw, size_t sh, size_t sw, ct_padding padding)
{
    const size_t n = 2, h = 5, w = 7, c = 19; /* vector lanes plus a tail */
    ct_pool2d_params p = {CT_POOL_MAX, ph, pw, sh, sw, padding};
    size_t xs[4] = {n, h, w, c};
    ct_pool2d_geometry g;
    CHECK_OK(ct_pool2d_geometry_of(&p, xs, &g));
    size_t ys[4] = {n, g.oh, g.ow, c}, nx = n * h * w * c, ny = n * g.oh * g.ow * c;
    float *x = malloc(nx * sizeof *x), *dy = malloc(ny * sizeof *dy), *want = calloc(nx, sizeof *want);
    ck_assert(x && dy && want);
    for (size_t i = 0; i < nx; i++) /* 0 or 1: most windows tie */
        x[i] = (float)((i * 5 + i / c * 3) % 4 / 2);
    for (size_t i = 0; i < ny; i++)
        dy[i] = (float)(i + 1);
    for (size_t img = 0; img < n; img++)
        for (size_t oy = 0; oy < g.oh; oy++)
            for (size_t ox = 0; ox < g.ow; ox++)
                for (size_t ch = 0; ch < c; ch++) {
                    size_t best = SIZE_MAX;
                    for (size_t ky = 0; ky < ph; ky++)
                        for (size_t kx = 0; kx < pw; kx++) {
                            size_t iy = oy * sh + ky - g.pad_top, ix = ox * sw + kx - g.pad_left;
                            if (oy * sh + ky < g.pad_top || ox * sw + kx < g.pad_left || iy >= h || ix >= w)
                                continue;
                            size_t e = ((img * h + iy) * w + ix) * c + ch;
                            if (best == SIZE_MAX || x[e] > x[best])
                                best = e;
                        }
                    want[best] += dy[((img * g.oh + oy) * g.ow + ox) * c + ch];
                }
    ct_tensor tx = upload(ctx, 4, xs, x), tdy = upload(ctx, 4, ys, dy), tdx = upload(ctx, 4, xs, NULL);
    CHECK_OK(ct_pool2d_backward(ctx, &p, &tx, &tdy, &tdx));
    float *got = download(ctx, &tdx);
    for (size_t i = 0; i < nx; i++)
        ck_assert_msg(got[i] == want[i], "pool %zux%zu stride %zux%zu: dx[%zu] = %g, expected %g", ph, pw, sh, sw, i,
                      (double)got[i], (double)want[i]);
    free(got);
    if (ct_pool2d_indexable(&p)) { /* the pair training runs: the same dx from the saved argmax */
        size_t floats = ct_pool2d_index_floats(ny);
        ct_tensor ty = upload(ctx, 4, ys, NULL), tindex = upload(ctx, 1, &floats, NULL);
        CHECK_OK(ct_maxpool2d_forward_indexed(ctx, &p, &tx, &ty, &tindex));
        CHECK_OK(ct_maxpool2d_backward_indexed(ctx, &p, &tindex, &tdy, &tdx));
        got = download(ctx, &tdx);
        for (size_t i = 0; i < nx; i++)
            ck_assert_msg(got[i] == want[i], "indexed, pool %zux%zu stride %zux%zu: dx[%zu] = %g, expected %g", ph,
                          pw, sh, sw, i, (double)got[i], (double)want[i]);
        free(got);
        ct_tensor_release(&ty), ct_tensor_release(&tindex);
    }
    free(x), free(dy), free(want);
    ct_tensor_release(&tx), ct_tensor_release(&tdy), ct_tensor_release(&tdx);
}

static void max_pool_ties(ct_context *ctx)
{
    max_pool_ties_case(ctx, 2, 2, 2, 2, CT_PADDING_VALID); /* disjoint windows, odd sizes leave a row and column */
    max_pool_ties_case(ctx, 2, 2, 2, 2, CT_PADDING_SAME);
    max_pool_ties_case(ctx, 2, 2, 3, 3, CT_PADDING_VALID); /* gaps between windows */
    max_pool_ties_case(ctx, 3, 3, 2, 2, CT_PADDING_SAME);  /* overlapping */
    max_pool_ties_case(ctx, 2, 3, 1, 2, CT_PADDING_VALID);
}

START_TEST(test_max_pool_ties) { on_each_device(max_pool_ties); }
END_TEST

int main(void)
{
    Suite *s = suite_create("nn ops");
    TCase *host = tcase_create("host");
    tcase_add_test(host, test_philox_known_answers);
    tcase_add_test(host, test_activation_names);
    suite_add_tcase(s, host);
    TCase *dev = tcase_create("devices");
    tcase_set_timeout(dev, 600); /* kernel compiles on PoCL take seconds */
    tcase_add_test(dev, test_dropout_statistics);
    tcase_add_test(dev, test_dropout_reproducible);
    tcase_add_test(dev, test_batchnorm_moving_statistics);
    tcase_add_test(dev, test_reductions_deterministic);
    tcase_add_test(dev, test_argument_errors);
    tcase_add_test(dev, test_augment_semantics);
    tcase_add_test(dev, test_max_pool_ties);
    suite_add_tcase(s, dev);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
