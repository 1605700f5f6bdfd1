/* NaN through ReLU (issue #13, hardening): every ReLU passes NaN on, as
 * Keras and PyTorch do, so that a diverged net shows a NaN loss instead of
 * finite outputs from NaN weights. One test per ReLU site: the element-wise
 * kernel and its gradient, the activation kernels, the fused GEMM epilogue
 * (forward relu and backward relu') and the fused conv epilogues (tiled and
 * Winograd forward, tiled kernel gradient). Runs on each test device. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cltrain/gemm.h"
#include "cltrain/ops.h"
#include "cltrain/ops_conv.h"
#include "cltrain/ops_nn.h"
#include "test_devices.h"

#define CHECK_OK(expr) ck_assert_msg((expr) == CT_OK, "%s: %s", #expr, ct_last_error())

static ct_tensor upload(ct_context *ctx, int ndim, const size_t *shape, const float *host)
{
    ct_tensor t;
    CHECK_OK(ct_tensor_create(ctx, ndim, shape, &t));
    if (host)
        CHECK_OK(ct_tensor_write(ctx, &t, host));
    return t;
}

static void download(ct_context *ctx, const ct_tensor *t, float *host) { CHECK_OK(ct_tensor_read(ctx, t, host)); }

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

/* relu(x) as Keras: NaN stays NaN, -inf becomes 0. */
static const float X[6] = {NAN, -1.0f, 2.0f, INFINITY, -INFINITY, 0.0f};

static void expect_relu(const float *y, const char *what)
{
    ck_assert_msg(isnan(y[0]), "%s: relu(NaN) = %g, expected NaN", what, y[0]);
    ck_assert_msg(y[1] == 0.0f, "%s: relu(-1) = %g", what, y[1]);
    ck_assert_msg(y[2] == 2.0f, "%s: relu(2) = %g", what, y[2]);
    ck_assert_msg(isinf(y[3]) && y[3] > 0, "%s: relu(inf) = %g", what, y[3]);
    ck_assert_msg(y[4] == 0.0f, "%s: relu(-inf) = %g", what, y[4]);
    ck_assert_msg(y[5] == 0.0f, "%s: relu(0) = %g", what, y[5]);
}

static void elementwise_relu(ct_context *ctx)
{
    size_t n = 6;
    ct_tensor x = upload(ctx, 1, &n, X), y = upload(ctx, 1, &n, NULL), dx = upload(ctx, 1, &n, NULL);
    float out[6];
    CHECK_OK(ct_relu_forward(ctx, &x, &y));
    download(ctx, &y, out);
    expect_relu(out, "ct_relu_forward");
    CHECK_OK(ct_activation_forward(ctx, CT_ACTIVATION_RELU, &x, &y));
    download(ctx, &y, out);
    expect_relu(out, "ct_activation_forward");
    size_t shape[2] = {1, 6};
    ct_tensor z2 = upload(ctx, 2, shape, X), y2 = upload(ctx, 2, shape, NULL);
    CHECK_OK(ct_bias_activation_forward(ctx, CT_ACTIVATION_RELU, &z2, NULL, &y2));
    download(ctx, &y2, out);
    expect_relu(out, "ct_bias_activation_forward");

    /* relu'(x) as PyTorch's threshold_backward: the gradient passes where x
     * is NaN or positive, 0 where x <= 0. */
    static const float dy_host[6] = {5, 5, 5, 5, 5, 5};
    ct_tensor dy = upload(ctx, 1, &n, dy_host);
    CHECK_OK(ct_relu_backward(ctx, &x, &dy, &dx));
    download(ctx, &dx, out);
    static const float want[6] = {5, 0, 5, 5, 0, 0};
    for (int i = 0; i < 6; i++)
        ck_assert_msg(out[i] == want[i], "ct_relu_backward[%d] = %g, expected %g", i, out[i], want[i]);
    CHECK_OK(ct_activation_backward(ctx, CT_ACTIVATION_RELU, &x, NULL, &dy, &dx));
    download(ctx, &dx, out);
    for (int i = 0; i < 6; i++)
        ck_assert_msg(out[i] == want[i], "ct_activation_backward(x)[%d] = %g, expected %g", i, out[i], want[i]);
    CHECK_OK(ct_relu_forward(ctx, &x, &y));
    CHECK_OK(ct_activation_backward(ctx, CT_ACTIVATION_RELU, NULL, &y, &dy, &dx));
    download(ctx, &dx, out);
    for (int i = 0; i < 6; i++)
        ck_assert_msg(out[i] == want[i], "ct_activation_backward(y)[%d] = %g, expected %g", i, out[i], want[i]);
    ct_tensor_release(&x), ct_tensor_release(&y), ct_tensor_release(&dx), ct_tensor_release(&dy);
    ct_tensor_release(&z2), ct_tensor_release(&y2);
}

START_TEST(test_elementwise_relu_keeps_nan) { on_each_device(elementwise_relu); }
END_TEST

/* C = relu(A B + bias) with the fused epilogue, A (M x K) holding a NaN in
 * row 1: that row is NaN in every column (the vector and the scalar
 * columns: N = 21), the others are the finite product through relu. */
enum { GM = 5, GK = 3, GN = 21 };

static void gemm_relu(ct_context *ctx)
{
    float a[GM * GK], b[GK * GN], bias[GN];
    for (int i = 0; i < GM * GK; i++)
        a[i] = (float)((i % 5) - 2);
    a[1 * GK + 1] = NAN;
    for (int i = 0; i < GK * GN; i++)
        b[i] = (float)((i % 7) - 3) * 0.5f;
    for (int j = 0; j < GN; j++)
        bias[j] = (float)(j % 3) - 1.0f;
    size_t sa[2] = {GM, GK}, sb[2] = {GK, GN}, sc[2] = {GM, GN}, sbias = GN;
    ct_tensor ta = upload(ctx, 2, sa, a), tb = upload(ctx, 2, sb, b), tc = upload(ctx, 2, sc, NULL);
    ct_tensor tbias = upload(ctx, 1, &sbias, bias), ty = upload(ctx, 2, sc, NULL);
    for (int engine = CT_GEMM_CLBLAST; engine < CT_GEMM_ENGINE_COUNT; engine++) {
        if (!ct_gemm_engine_available(ctx, (ct_gemm_engine)engine))
            continue;
        ct_gemm_args g = {CT_NO_TRANS, CT_NO_TRANS, GM, GN, GK, 1.0f, 0.0f, ta.buf, 0, GK, tb.buf, 0, GN,
                          tc.buf, 0, GN};
        ct_gemm_epilogue epi = {0};
        epi.bias = tbias.buf;
        epi.activation = CT_ACTIVATION_RELU;
        CHECK_OK(ct_gemm_fused_with(ctx, (ct_gemm_engine)engine, &g, &epi));
        float c[GM * GN];
        download(ctx, &tc, c);
        for (int i = 0; i < GM; i++)
            for (int j = 0; j < GN; j++) {
                float v = c[i * GN + j];
                if (i == 1) {
                    ck_assert_msg(isnan(v), "%s: C[1][%d] = %g, expected NaN", ct_gemm_engine_name(engine), j, v);
                    continue;
                }
                double want = bias[j];
                for (int k = 0; k < GK; k++)
                    want += (double)a[i * GK + k] * b[k * GN + j];
                want = want < 0 ? 0 : want;
                ck_assert_msg(fabs(v - want) < 1e-5, "%s: C[%d][%d] = %g, expected %g",
                              ct_gemm_engine_name(engine), i, j, v, want);
            }

        /* Backward: C = (A B) * relu'(Y) with Y NaN in row 1: the product
         * passes there (as PyTorch), 0 where Y <= 0. */
        float y[GM * GN];
        for (int i = 0; i < GM * GN; i++)
            y[i] = (i / GN == 1) ? NAN : (i % 2 ? 1.0f : -1.0f);
        a[1 * GK + 1] = 1.0f;
        CHECK_OK(ct_tensor_write(ctx, &ta, a));
        CHECK_OK(ct_tensor_write(ctx, &ty, y));
        ct_gemm_epilogue back = {0};
        back.activation = CT_ACTIVATION_RELU;
        back.y = ty.buf;
        CHECK_OK(ct_gemm_fused_with(ctx, (ct_gemm_engine)engine, &g, &back));
        download(ctx, &tc, c);
        for (int i = 0; i < GM; i++)
            for (int j = 0; j < GN; j++) {
                double want = 0;
                for (int k = 0; k < GK; k++)
                    want += (double)a[i * GK + k] * b[k * GN + j];
                if (!(y[i * GN + j] != y[i * GN + j]) && y[i * GN + j] <= 0)
                    want = 0;
                ck_assert_msg(fabs(c[i * GN + j] - want) < 1e-5, "%s backward: C[%d][%d] = %g, expected %g",
                              ct_gemm_engine_name(engine), i, j, c[i * GN + j], want);
            }
        a[1 * GK + 1] = NAN;
        CHECK_OK(ct_tensor_write(ctx, &ta, a));
    }
    ct_tensor_release(&ta), ct_tensor_release(&tb), ct_tensor_release(&tc), ct_tensor_release(&tbias);
    ct_tensor_release(&ty);
}

START_TEST(test_gemm_epilogue_relu_keeps_nan) { on_each_device(gemm_relu); }
END_TEST

/* A 3x3 'same' convolution with relu, one NaN input pixel at (2, 3): the
 * 3x3 block of outputs around it is NaN in every channel, every other
 * output finite and >= 0. Each fused-relu algorithm. */
enum { CN = 1, CH = 6, CW = 7, CC = 3, CF = 20 };

static void conv_relu(ct_context *ctx)
{
    static const ct_conv2d_algorithm algs[] = {CT_CONV2D_TILED, CT_CONV2D_WINOGRAD, CT_CONV2D_DIRECT,
                                               CT_CONV2D_IM2COL};
    float x[CN * CH * CW * CC], k[3 * 3 * CC * CF], bias[CF];
    for (int i = 0; i < CN * CH * CW * CC; i++)
        x[i] = (float)((i * 7) % 11) * 0.1f - 0.5f;
    x[(2 * CW + 3) * CC + 1] = NAN;
    for (int i = 0; i < 3 * 3 * CC * CF; i++)
        k[i] = (float)((i * 5) % 13) * 0.1f - 0.6f;
    for (int j = 0; j < CF; j++)
        bias[j] = 0.1f * (float)(j % 4) - 0.15f;
    size_t sx[4] = {CN, CH, CW, CC}, sk[4] = {3, 3, CC, CF}, sb = CF, sy[4] = {CN, CH, CW, CF};
    ct_tensor tx = upload(ctx, 4, sx, x), tk = upload(ctx, 4, sk, k), tb = upload(ctx, 1, &sb, bias);
    ct_tensor ty = upload(ctx, 4, sy, NULL);
    for (size_t a = 0; a < sizeof algs / sizeof algs[0]; a++) {
        ct_conv2d_params p = {3, 3, 1, 1, CT_PADDING_SAME, algs[a], CT_ACTIVATION_RELU};
        size_t ws_floats = 0;
        CHECK_OK(ct_conv2d_workspace_size(&p, sx, CF, &ws_floats));
        size_t wn = ws_floats ? ws_floats : 1;
        ct_tensor ws = upload(ctx, 1, &wn, NULL);
        CHECK_OK(ct_conv2d_forward(ctx, &p, &tx, &tk, &tb, &ty, &ws));
        float y[CN * CH * CW * CF];
        download(ctx, &ty, y);
        for (int r = 0; r < CH; r++)
            for (int c = 0; c < CW; c++)
                for (int f = 0; f < CF; f++) {
                    float v = y[(r * CW + c) * CF + f];
                    int near = abs(r - 2) <= 1 && abs(c - 3) <= 1;
                    if (near)
                        ck_assert_msg(isnan(v), "%s: y[%d][%d][%d] = %g, expected NaN",
                                      ct_conv2d_algorithm_name(algs[a]), r, c, f, v);
                    else
                        ck_assert_msg(isfinite(v) && v >= 0, "%s: y[%d][%d][%d] = %g",
                                      ct_conv2d_algorithm_name(algs[a]), r, c, f, v);
                }
        ct_tensor_release(&ws);
    }
    ct_tensor_release(&tx), ct_tensor_release(&tk), ct_tensor_release(&tb), ct_tensor_release(&ty);
}

START_TEST(test_conv_relu_keeps_nan) { on_each_device(conv_relu); }
END_TEST

/* The kernel gradient with relu folded in (dL/dz = dL/dy where y > 0): a
 * NaN in y lets dy pass, as PyTorch's threshold_backward, so the gradient
 * equals the one with that y replaced by a positive number. */
static void conv_relu_backward(ct_context *ctx)
{
    float x[CN * CH * CW * CC], k[3 * 3 * CC * CF], y[CN * CH * CW * CF], dy[CN * CH * CW * CF];
    for (int i = 0; i < CN * CH * CW * CC; i++)
        x[i] = (float)((i * 7) % 11) * 0.1f - 0.5f;
    for (int i = 0; i < 3 * 3 * CC * CF; i++)
        k[i] = (float)((i * 5) % 13) * 0.1f - 0.6f;
    for (int i = 0; i < CN * CH * CW * CF; i++) {
        y[i] = (i % 3) ? 1.0f : 0.0f;
        dy[i] = (float)(i % 5) * 0.25f;
    }
    const int nan_at = (2 * CW + 3) * CF + 4;
    size_t sx[4] = {CN, CH, CW, CC}, sk[4] = {3, 3, CC, CF}, sy[4] = {CN, CH, CW, CF};
    ct_tensor tx = upload(ctx, 4, sx, x), tk = upload(ctx, 4, sk, k), tyt = upload(ctx, 4, sy, NULL);
    ct_tensor tdy = upload(ctx, 4, sy, NULL), tdk = upload(ctx, 4, sk, NULL);
    ct_conv2d_params p = {3, 3, 1, 1, CT_PADDING_SAME, CT_CONV2D_TILED, CT_ACTIVATION_RELU};
    size_t ws_floats = 0;
    CHECK_OK(ct_conv2d_workspace_size(&p, sx, CF, &ws_floats));
    size_t wn = ws_floats ? ws_floats : 1;
    ct_tensor ws = upload(ctx, 1, &wn, NULL);
    float dk[2][3 * 3 * CC * CF];
    for (int run = 0; run < 2; run++) {
        y[nan_at] = run == 0 ? NAN : 1.0f;
        CHECK_OK(ct_tensor_write(ctx, &tyt, y));
        CHECK_OK(ct_tensor_write(ctx, &tdy, dy)); /* scratch: rewritten each run */
        CHECK_OK(ct_conv2d_backward_activated(ctx, &p, &tx, &tk, &tyt, &tdy, NULL, &tdk, NULL, &ws));
        download(ctx, &tdk, dk[run]);
    }
    for (int i = 0; i < 3 * 3 * CC * CF; i++)
        ck_assert_msg(dk[0][i] == dk[1][i], "dkernel[%d] = %g with y NaN, %g with y 1", i, dk[0][i], dk[1][i]);
    ct_tensor_release(&tx), ct_tensor_release(&tk), ct_tensor_release(&tyt), ct_tensor_release(&tdy);
    ct_tensor_release(&tdk), ct_tensor_release(&ws);
}

START_TEST(test_conv_relu_gradient_passes_nan) { on_each_device(conv_relu_backward); }
END_TEST

Suite *nan_relu_suite(void)
{
    Suite *s = suite_create("nan_relu");
    TCase *dev = tcase_create("device");
    tcase_set_timeout(dev, 600);
    tcase_add_test(dev, test_elementwise_relu_keeps_nan);
    tcase_add_test(dev, test_gemm_epilogue_relu_keeps_nan);
    tcase_add_test(dev, test_conv_relu_keeps_nan);
    tcase_add_test(dev, test_conv_relu_gradient_passes_nan);
    suite_add_tcase(s, dev);
    return s;
}

int main(void)
{
    SRunner *r = srunner_create(nan_relu_suite());
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
