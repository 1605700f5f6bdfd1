/* Model plans: shape inference, Keras parameter counts and the summary table. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "cltrain/model.h"
#include "model/init.h"

#include <math.h>

static ct_layer_spec dense(int units, ct_activation act)
{
    ct_layer_spec s;
    memset(&s, 0, sizeof s);
    s.kind = CT_LAYER_DENSE;
    s.dense.units = units;
    s.dense.activation = act;
    s.dense.use_bias = true;
    return s;
}

static ct_layer_spec conv(int filters, int k, int stride, ct_padding padding)
{
    ct_layer_spec s;
    memset(&s, 0, sizeof s);
    s.kind = CT_LAYER_CONV2D;
    s.conv2d.filters = filters;
    s.conv2d.kernel_size[0] = s.conv2d.kernel_size[1] = k;
    s.conv2d.strides[0] = s.conv2d.strides[1] = stride;
    s.conv2d.padding = padding;
    s.conv2d.activation = CT_ACTIVATION_RELU;
    s.conv2d.use_bias = true;
    return s;
}

static ct_layer_spec simple(ct_layer_kind kind)
{
    ct_layer_spec s;
    memset(&s, 0, sizeof s);
    s.kind = kind;
    if (kind == CT_LAYER_MAX_POOLING2D || kind == CT_LAYER_AVERAGE_POOLING2D) {
        s.pooling.pool_size[0] = s.pooling.pool_size[1] = 2;
        s.pooling.strides[0] = s.pooling.strides[1] = 2;
    }
    if (kind == CT_LAYER_BATCH_NORMALIZATION) {
        s.batch_normalization.momentum = 0.99;
        s.batch_normalization.epsilon = 1e-3;
        s.batch_normalization.center = s.batch_normalization.scale = true;
    }
    if (kind == CT_LAYER_DROPOUT)
        s.dropout.rate = 0.5;
    return s;
}

static const size_t CIFAR[3] = {32, 32, 3};

START_TEST(test_sunshine_counts)
{
    ct_layer_spec layers[] = {dense(100, CT_ACTIVATION_RELU), dense(50, CT_ACTIVATION_RELU),
                              dense(1, CT_ACTIVATION_LINEAR)};
    ct_model_spec spec = {layers, 3};
    size_t in[1] = {89};
    ct_model_plan plan;
    ck_assert_int_eq(ct_model_plan_create(&spec, 1, in, &plan), CT_OK);
    ck_assert_uint_eq(plan.layers[0].params, 9000);
    ck_assert_uint_eq(plan.layers[1].params, 5050);
    ck_assert_uint_eq(plan.layers[2].params, 51);
    ck_assert_uint_eq(plan.total_params, 14101);
    ck_assert_double_eq(ct_model_plan_train_flops(&plan), 6.0 * 14101);
    ck_assert_str_eq(plan.layers[0].name, "dense");
    ck_assert_str_eq(plan.layers[2].name, "dense_2");

    char *text;
    ck_assert_int_eq(ct_model_plan_summary(&plan, "sequential", &text), CT_OK);
    ck_assert_ptr_nonnull(strstr(text, "Model: \"sequential\""));
    ck_assert_ptr_nonnull(strstr(text, "│ dense (Dense)                   │ (None, 100)            │         9,000 │"));
    ck_assert_ptr_nonnull(strstr(text, "│ dense_2 (Dense)                 │ (None, 1)              │            51 │"));
    ck_assert_ptr_nonnull(strstr(text, " Total params: 14,101 (55.08 KB)\n"));
    ck_assert_ptr_nonnull(strstr(text, " Non-trainable params: 0 (0.00 B)\n"));
    free(text);
    ct_model_plan_free(&plan);
}
END_TEST

START_TEST(test_cifar_counts)
{
    ct_layer_spec layers[] = {conv(32, 3, 1, CT_PADDING_VALID), conv(32, 3, 1, CT_PADDING_VALID),
                              simple(CT_LAYER_FLATTEN), dense(10, CT_ACTIVATION_LINEAR)};
    ct_model_spec spec = {layers, 4};
    ct_model_plan plan;
    ck_assert_int_eq(ct_model_plan_create(&spec, 3, CIFAR, &plan), CT_OK);
    ck_assert_uint_eq(plan.layers[0].params, 896);
    ck_assert_uint_eq(plan.layers[1].params, 9248);
    ck_assert_uint_eq(plan.layers[2].out_shape[0], 25088);
    ck_assert_uint_eq(plan.layers[3].params, 250890);
    ck_assert_str_eq(plan.layers[1].name, "conv2d_1");
    /* 6 x (896 x 30x30 + 9248 x 28x28 + 250890): a training sample's forward and both gradients */
    ck_assert_double_eq(ct_model_plan_train_flops(&plan), 6.0 * (896 * 900 + 9248 * 784 + 250890));
    ct_model_plan_free(&plan);
}
END_TEST

START_TEST(test_pooled_and_deeper_counts)
{
    ct_layer_spec pooled[] = {conv(32, 3, 1, CT_PADDING_VALID), simple(CT_LAYER_MAX_POOLING2D),
                              conv(32, 3, 1, CT_PADDING_VALID), simple(CT_LAYER_MAX_POOLING2D),
                              simple(CT_LAYER_FLATTEN), dense(32, CT_ACTIVATION_RELU), dense(10, CT_ACTIVATION_LINEAR)};
    ct_model_spec spec = {pooled, 7};
    ct_model_plan plan;
    ck_assert_int_eq(ct_model_plan_create(&spec, 3, CIFAR, &plan), CT_OK);
    ck_assert_uint_eq(plan.total_params, 47370);
    ct_model_plan_free(&plan);

    ct_layer_spec deeper[] = {conv(32, 3, 1, CT_PADDING_VALID), simple(CT_LAYER_MAX_POOLING2D),
                              conv(32, 3, 1, CT_PADDING_VALID), simple(CT_LAYER_MAX_POOLING2D),
                              conv(32, 3, 1, CT_PADDING_VALID), simple(CT_LAYER_FLATTEN),
                              dense(32, CT_ACTIVATION_RELU), dense(10, CT_ACTIVATION_LINEAR)};
    spec = (ct_model_spec){deeper, 8};
    ck_assert_int_eq(ct_model_plan_create(&spec, 3, CIFAR, &plan), CT_OK);
    ck_assert_uint_eq(plan.total_params, 36138);
    ck_assert_uint_eq(plan.layers[4].out_shape[0], 4); /* 6x6 -> 4x4 */
    ct_model_plan_free(&plan);
}
END_TEST

/* Keras: Conv2D(16, 3) on 32x32x3 has 448 parameters, the global pools none;
 * (None, 16) without keepdims, (None, 1, 1, 16) with it. */
START_TEST(test_global_pooling_counts)
{
    ct_layer_spec layers[] = {conv(16, 3, 1, CT_PADDING_VALID), simple(CT_LAYER_GLOBAL_AVERAGE_POOLING2D),
                              dense(10, CT_ACTIVATION_LINEAR)};
    ct_model_spec spec = {layers, 3};
    ct_model_plan plan;
    ck_assert_int_eq(ct_model_plan_create(&spec, 3, CIFAR, &plan), CT_OK);
    ck_assert_int_eq(plan.layers[1].out_ndim, 1);
    ck_assert_uint_eq(plan.layers[1].out_shape[0], 16);
    ck_assert_uint_eq(plan.layers[1].params, 0);
    ck_assert_uint_eq(plan.total_params, 448 + 170);
    char *text;
    ck_assert_int_eq(ct_model_plan_summary(&plan, "sequential", &text), CT_OK);
    ck_assert_ptr_nonnull(strstr(text, "global_average_pooling2d (GlobalAveragePooling2D)"));
    ck_assert_ptr_nonnull(strstr(text, "(None, 16)"));
    free(text);
    ct_model_plan_free(&plan);

    ct_layer_spec kept[] = {conv(16, 3, 1, CT_PADDING_VALID), simple(CT_LAYER_GLOBAL_MAX_POOLING2D),
                            simple(CT_LAYER_FLATTEN), dense(10, CT_ACTIVATION_LINEAR)};
    kept[1].global_pooling.keepdims = true;
    spec = (ct_model_spec){kept, 4};
    ck_assert_int_eq(ct_model_plan_create(&spec, 3, CIFAR, &plan), CT_OK);
    ck_assert_int_eq(plan.layers[1].out_ndim, 3);
    ck_assert_uint_eq(plan.layers[1].out_shape[0], 1);
    ck_assert_uint_eq(plan.layers[1].out_shape[1], 1);
    ck_assert_uint_eq(plan.layers[1].out_shape[2], 16);
    ck_assert_uint_eq(plan.total_params, 448 + 170);
    ck_assert_str_eq(ct_layer_class_name(kept[1].kind), "GlobalMaxPooling2D");
    ct_model_plan_free(&plan);

    ct_layer_spec leaky[] = {dense(10, CT_ACTIVATION_LINEAR), simple(CT_LAYER_LEAKY_RELU),
                             simple(CT_LAYER_RESCALING)};
    leaky[1].leaky_relu.negative_slope = 0.3;
    leaky[2].rescaling.scale = 0.5;
    spec = (ct_model_spec){leaky, 3};
    size_t features[1] = {5};
    ck_assert_int_eq(ct_model_plan_create(&spec, 1, features, &plan), CT_OK);
    ck_assert_uint_eq(plan.layers[1].params, 0);
    ck_assert_uint_eq(plan.layers[1].out_shape[0], 10);
    ck_assert_uint_eq(plan.layers[2].params, 0);
    ck_assert_uint_eq(plan.total_params, 60);
    ck_assert_str_eq(ct_layer_class_name(CT_LAYER_LEAKY_RELU), "LeakyReLU");
    ck_assert_str_eq(ct_layer_class_name(CT_LAYER_RESCALING), "Rescaling");
    ct_model_plan_free(&plan);

    ct_layer_spec reshaped[] = {simple(CT_LAYER_RESHAPE), simple(CT_LAYER_RESHAPE)};
    reshaped[0].reshape = (ct_reshape_spec){{8, -1, 12}, 3};
    reshaped[1].reshape = (ct_reshape_spec){{-1}, 1};
    spec = (ct_model_spec){reshaped, 2};
    ck_assert_int_eq(ct_model_plan_create(&spec, 3, CIFAR, &plan), CT_OK);
    ck_assert_uint_eq(plan.layers[0].out_shape[1], 32);
    ck_assert_uint_eq(plan.layers[1].out_shape[0], 3072);
    ck_assert_uint_eq(plan.total_params, 0);
    ck_assert_str_eq(ct_layer_class_name(CT_LAYER_RESHAPE), "Reshape");
    ct_model_plan_free(&plan);
    reshaped[0].reshape = (ct_reshape_spec){{5, 5, 5}, 3};
    spec = (ct_model_spec){reshaped, 1};
    ck_assert_int_eq(ct_model_plan_create(&spec, 3, CIFAR, &plan), CT_ERR_SHAPE);
    ck_assert_ptr_nonnull(strstr(ct_last_error(), "3072 values per sample do not fit target_shape"));

    ct_layer_spec on_flat[] = {simple(CT_LAYER_GLOBAL_MAX_POOLING2D)};
    spec = (ct_model_spec){on_flat, 1};
    size_t flat[1] = {89};
    ck_assert_int_eq(ct_model_plan_create(&spec, 1, flat, &plan), CT_ERR_SHAPE);
    ck_assert_ptr_nonnull(strstr(ct_last_error(), "(GlobalMaxPooling2D): input (None, 89): expects images"));
}
END_TEST

START_TEST(test_batchnorm_dropout_same_padding)
{
    ct_layer_spec layers[] = {dense(10, CT_ACTIVATION_RELU), simple(CT_LAYER_BATCH_NORMALIZATION),
                              simple(CT_LAYER_DROPOUT), dense(1, CT_ACTIVATION_LINEAR)};
    ct_model_spec spec = {layers, 4};
    size_t in[1] = {89};
    ct_model_plan plan;
    ck_assert_int_eq(ct_model_plan_create(&spec, 1, in, &plan), CT_OK);
    ck_assert_uint_eq(plan.layers[1].params, 40);
    ck_assert_uint_eq(plan.layers[1].trainable_params, 20);
    ck_assert_uint_eq(plan.total_params, 900 + 40 + 11);
    ck_assert_uint_eq(plan.trainable_params, 900 + 20 + 11);
    char *text;
    ck_assert_int_eq(ct_model_plan_summary(&plan, "sequential", &text), CT_OK);
    ck_assert_ptr_nonnull(strstr(text, " Non-trainable params: 20 (80.00 B)\n"));
    ck_assert_ptr_nonnull(strstr(text, "batch_normalization (BatchNormalization)"));
    free(text);
    ct_model_plan_free(&plan);

    ct_layer_spec same[] = {conv(8, 3, 2, CT_PADDING_SAME)};
    spec = (ct_model_spec){same, 1};
    size_t img[3] = {11, 13, 3};
    ck_assert_int_eq(ct_model_plan_create(&spec, 3, img, &plan), CT_OK);
    ck_assert_uint_eq(plan.layers[0].out_shape[0], 6);
    ck_assert_uint_eq(plan.layers[0].out_shape[1], 7);
    ct_model_plan_free(&plan);
}
END_TEST

START_TEST(test_shape_errors)
{
    ct_layer_spec layers[] = {conv(32, 3, 1, CT_PADDING_VALID), dense(10, CT_ACTIVATION_LINEAR)};
    ct_model_spec spec = {layers, 2};
    ct_model_plan plan;
    ck_assert_int_eq(ct_model_plan_create(&spec, 3, CIFAR, &plan), CT_ERR_SHAPE);
    ck_assert_ptr_nonnull(strstr(ct_last_error(), "model[1] dense (Dense): input (None, 30, 30, 32)"));
    ck_assert_ptr_nonnull(strstr(ct_last_error(), "add a flatten layer"));

    ct_layer_spec big[] = {conv(4, 5, 1, CT_PADDING_VALID)};
    spec = (ct_model_spec){big, 1};
    size_t tiny[3] = {3, 3, 1};
    ck_assert_int_eq(ct_model_plan_create(&spec, 3, tiny, &plan), CT_ERR_SHAPE);
    ck_assert_ptr_nonnull(strstr(ct_last_error(), "5x5 window does not fit"));

    ct_layer_spec on_flat[] = {conv(4, 3, 1, CT_PADDING_VALID)};
    spec = (ct_model_spec){on_flat, 1};
    size_t flat[1] = {89};
    ck_assert_int_eq(ct_model_plan_create(&spec, 1, flat, &plan), CT_ERR_SHAPE);
    ck_assert_ptr_nonnull(strstr(ct_last_error(), "expects images"));
}
END_TEST

/* Mean and standard deviation of n values. */
static void moments(const float *v, size_t n, double *mean, double *std)
{
    double s = 0, ss = 0;
    for (size_t i = 0; i < n; i++)
        s += v[i];
    *mean = s / (double)n;
    for (size_t i = 0; i < n; i++)
        ss += (v[i] - *mean) * (v[i] - *mean);
    *std = sqrt(ss / (double)n);
}

START_TEST(test_initializers)
{
    enum { N = 200000 };
    float *v = malloc(N * sizeof *v), *w = malloc(N * sizeof *w);
    double mean, std;
    /* glorot_uniform, fans 163 and 100: U(-l, l) with l = sqrt(6 / 263). */
    double limit = sqrt(6.0 / 263.0);
    ct_initialize(CT_INIT_GLOROT_UNIFORM, 163, 100, 0, 1, 0, v, N);
    for (size_t i = 0; i < N; i++)
        ck_assert(fabsf(v[i]) <= limit);
    moments(v, N, &mean, &std);
    ck_assert_double_eq_tol(mean, 0.0, 0.002);
    ck_assert_double_eq_tol(std, limit / sqrt(3.0), 0.002);
    /* he_normal: truncated normal with standard deviation sqrt(2 / fan_in), within 2 of its sigmas. */
    ct_initialize(CT_INIT_HE_NORMAL, 27, 32, 0, 1, 0, v, N);
    moments(v, N, &mean, &std);
    ck_assert_double_eq_tol(std, sqrt(2.0 / 27.0), 0.004);
    for (size_t i = 0; i < N; i++)
        ck_assert(fabs(v[i]) <= 2.0 * sqrt(2.0 / 27.0) / 0.87962566103423978 + 1e-6);
    /* he_uniform: U(-sqrt(6 / fan_in), sqrt(6 / fan_in)). */
    ct_initialize(CT_INIT_HE_UNIFORM, 27, 32, 0, 1, 0, v, N);
    moments(v, N, &mean, &std);
    ck_assert_double_eq_tol(std, sqrt(6.0 / 27.0) / sqrt(3.0), 0.003);
    /* zeros and ones */
    ct_initialize(CT_INIT_ZEROS, 3, 3, 0, 0, 0, v, 10);
    ct_initialize(CT_INIT_ONES, 3, 3, 0, 0, 0, w, 10);
    for (int i = 0; i < 10; i++)
        ck_assert(v[i] == 0.0f && w[i] == 1.0f);
    /* A pure function of (seed, layer, tensor, index): same key same values, other keys differ. */
    ct_initialize(CT_INIT_GLOROT_UNIFORM, 10, 10, 42, 3, 0, v, 1000);
    ct_initialize(CT_INIT_GLOROT_UNIFORM, 10, 10, 42, 3, 0, w, 1000);
    ck_assert_int_eq(memcmp(v, w, 1000 * sizeof *v), 0);
    ct_initialize(CT_INIT_GLOROT_UNIFORM, 10, 10, 43, 3, 0, w, 1000);
    ck_assert_int_ne(memcmp(v, w, 1000 * sizeof *v), 0);
    ct_initialize(CT_INIT_GLOROT_UNIFORM, 10, 10, 42, 4, 0, w, 1000);
    ck_assert_int_ne(memcmp(v, w, 1000 * sizeof *v), 0);
    free(v), free(w);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("model");
    TCase *tc = tcase_create("plan");
    tcase_add_test(tc, test_sunshine_counts);
    tcase_add_test(tc, test_cifar_counts);
    tcase_add_test(tc, test_pooled_and_deeper_counts);
    tcase_add_test(tc, test_batchnorm_dropout_same_padding);
    tcase_add_test(tc, test_global_pooling_counts);
    tcase_add_test(tc, test_shape_errors);
    tcase_add_test(tc, test_initializers);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
