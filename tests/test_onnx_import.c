/* ONNX import (src/onnx/onnx_model.h) and export errors
 * (src/onnx/onnx_export.h). ONNX's own node tests are in
 * test_onnx_conformance.c and onnxruntime's agreement with exports in
 * tests/onnx/export_check.py; here: a small graph run on the device against
 * plain C, unsupported operators and attributes refused by name before
 * anything runs, and exports of broken run directories refused with the
 * file and tensor named. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cltrain/report.h"
#include "onnx/keras_export.h"
#include "onnx/onnx_builder.h"
#include "onnx/onnx_export.h"
#include "onnx/onnx_model.h"

static char tmp_dir[512];

static const char *tmp_path(const char *name, char *buf, size_t size)
{
    snprintf(buf, size, "%s/%s", tmp_dir, name);
    return buf;
}

static ct_context *open_context(void)
{
    ct_device_info info;
    ct_context *ctx = NULL;
    ct_status s = ct_device_find(ct_device_spec_from_env(getenv("CLTRAIN_TEST_DEVICE")), &info);
    if (s == CT_OK)
        s = ct_context_create(&info, &ctx);
    ck_assert_msg(s == CT_OK, "no device: %s", ct_last_error());
    return ctx;
}

/* x (N, 3) -> Gemm(W (3, 2), b, transB = 0) -> LeakyRelu(alpha 0.1) ->
 * Softmax, plus whatever `extra` adds after the softmax. */
static void write_small_model(const char *path, const char *extra_op, const char *attr, int64_t attr_value)
{
    ct_onnx_builder *b;
    ck_assert_int_eq(ct_onnx_builder_create("small", 13, &b), CT_OK);
    static const float w[6] = {0.5f, -1.0f, 2.0f, 0.25f, -0.75f, 1.5f}, bias[2] = {0.1f, -0.2f};
    int64_t in_dims[2] = {-1, 3}, w_dims[2] = {3, 2}, b_dims[1] = {2}, out_dims[2] = {-1, 2};
    ct_onnx_add_input(b, "x", 2, in_dims);
    ct_onnx_add_float_tensor(b, "w", 2, w_dims, w);
    ct_onnx_add_float_tensor(b, "b", 1, b_dims, bias);
    const char *g_in[] = {"x", "w", "b", NULL}, *g_out[] = {"z", NULL};
    ct_onnx_add_node(b, "Gemm", "dense", g_in, g_out);
    const char *l_in[] = {"z", NULL}, *l_out[] = {"a", NULL};
    Onnx__NodeProto *leaky = ct_onnx_add_node(b, "LeakyRelu", "leaky", l_in, l_out);
    ct_onnx_node_float(b, leaky, "alpha", 0.1f);
    const char *s_in[] = {"a", NULL}, *s_out[] = {extra_op ? "p" : "y", NULL};
    ct_onnx_add_node(b, "Softmax", "softmax", s_in, s_out);
    if (extra_op) {
        const char *e_in[] = {"p", NULL}, *e_out[] = {"y", NULL};
        Onnx__NodeProto *n = ct_onnx_add_node(b, extra_op, "extra_1", e_in, e_out);
        if (attr)
            ct_onnx_node_int(b, n, attr, attr_value);
    }
    ct_onnx_add_output(b, "y", 2, out_dims);
    ck_assert_int_eq(ct_onnx_builder_write(b, path), CT_OK);
    ct_onnx_builder_free(b);
}

START_TEST(test_small_graph_matches_plain_c)
{
    char path[600];
    write_small_model(tmp_path("small.onnx", path, sizeof path), NULL, NULL, 0);
    ct_onnx_model *m;
    ck_assert_msg(ct_onnx_model_load(path, &m) == CT_OK, "%s", ct_last_error());
    ck_assert_uint_eq(ct_onnx_model_input_count(m), 1);
    ck_assert_str_eq(ct_onnx_model_input_name(m, 0), "x");
    ct_context *ctx = open_context();
    ct_onnx_tensor x, y[1];
    int64_t dims[2] = {4, 3};
    ck_assert_int_eq(ct_onnx_tensor_alloc(&x, 2, dims, 0), CT_OK);
    for (int i = 0; i < 12; i++)
        x.f[i] = (float)(i % 5) - 1.5f;
    ck_assert_msg(ct_onnx_model_run(m, ctx, &x, y) == CT_OK, "%s", ct_last_error());
    ck_assert_int_eq(y[0].ndim, 2);
    ck_assert_int_eq(y[0].dims[0], 4);
    ck_assert_int_eq(y[0].dims[1], 2);
    static const double w[6] = {0.5, -1.0, 2.0, 0.25, -0.75, 1.5}, bias[2] = {0.1, -0.2};
    for (int r = 0; r < 4; r++) {
        double a[2], sum = 0;
        for (int j = 0; j < 2; j++) {
            double z = bias[j];
            for (int k = 0; k < 3; k++)
                z += x.f[r * 3 + k] * w[k * 2 + j];
            a[j] = z > 0 ? z : 0.1 * z;
        }
        double mx = fmax(a[0], a[1]);
        for (int j = 0; j < 2; j++)
            sum += exp(a[j] - mx);
        for (int j = 0; j < 2; j++)
            ck_assert_double_eq_tol(y[0].f[r * 2 + j], exp(a[j] - mx) / sum, 1e-6);
    }
    ct_onnx_tensor_free(&x);
    ct_onnx_tensor_free(&y[0]);
    ct_onnx_model_free(m);
    ct_context_destroy(ctx);
}
END_TEST

/* Loading fails with CT_ERR_UNSUPPORTED and a message holding `want`. */
static void expect_refused(const char *name, const char *op, const char *attr, int64_t value, const char *want)
{
    char path[600];
    write_small_model(tmp_path(name, path, sizeof path), op, attr, value);
    ct_onnx_model *m = (ct_onnx_model *)1;
    ck_assert_int_eq(ct_onnx_model_load(path, &m), CT_ERR_UNSUPPORTED);
    ck_assert_ptr_null(m); /* nothing to run */
    ck_assert_msg(strstr(ct_last_error(), want), "message '%s' lacks '%s'", ct_last_error(), want);
    ck_assert_msg(strstr(ct_last_error(), path), "message '%s' lacks the file", ct_last_error());
}

START_TEST(test_unsupported_operator_named_with_its_node)
{
    expect_refused("lstm.onnx", "LSTM", NULL, 0, "node 'extra_1' (LSTM): operator LSTM is not supported");
}
END_TEST

START_TEST(test_unsupported_attribute_named)
{
    expect_refused("relu_attr.onnx", "Relu", "fancy", 1, "node 'extra_1' (Relu): attribute fancy is not supported");
    expect_refused("pool_storage.onnx", "MaxPool", "storage_order", 1, "attribute storage_order = 1");
    expect_refused("flatten_training_mode.onnx", "Flatten", "training_mode", 1, "attribute training_mode is not supported");
}
END_TEST

START_TEST(test_conv_group_refused)
{
    expect_refused("conv_group.onnx", "Conv", "group", 2, "node 'extra_1' (Conv): attribute group = 2");
}
END_TEST

START_TEST(test_garbage_and_bad_perm_refused)
{
    char path[600];
    tmp_path("garbage.onnx", path, sizeof path);
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    for (int i = 0; i < 300; i++)
        fputc((i * 37 + 11) & 0xff, f);
    fclose(f);
    ct_onnx_model *m = NULL;
    ck_assert_int_eq(ct_onnx_model_load(path, &m), CT_ERR_PARSE);
    ck_assert_ptr_null(m);
    ck_assert_msg(strstr(ct_last_error(), "garbage.onnx"), "%s", ct_last_error());

    /* Transpose with a repeated axis: refused when it runs, naming the node. */
    ct_onnx_builder *b;
    ck_assert_int_eq(ct_onnx_builder_create("perm", 13, &b), CT_OK);
    int64_t dims[2] = {2, 3}, perm[2] = {0, 0};
    ct_onnx_add_input(b, "x", 2, dims);
    const char *in[] = {"x", NULL}, *out[] = {"y", NULL};
    ct_onnx_node_ints(b, ct_onnx_add_node(b, "Transpose", "twice", in, out), "perm", 2, perm);
    ct_onnx_add_output(b, "y", 2, dims);
    tmp_path("perm.onnx", path, sizeof path);
    ck_assert_int_eq(ct_onnx_builder_write(b, path), CT_OK);
    ct_onnx_builder_free(b);
    ck_assert_msg(ct_onnx_model_load(path, &m) == CT_OK, "%s", ct_last_error());
    ct_onnx_tensor x, y[1];
    ck_assert_int_eq(ct_onnx_tensor_alloc(&x, 2, dims, 0), CT_OK);
    ct_context *ctx = open_context();
    ck_assert_int_eq(ct_onnx_model_run(m, ctx, &x, y), CT_ERR_SHAPE);
    ck_assert_msg(strstr(ct_last_error(), "node 'twice' (Transpose)") && strstr(ct_last_error(), "permutation"), "%s",
                  ct_last_error());
    ct_onnx_tensor_free(&x);
    ct_onnx_model_free(m);
    ct_context_destroy(ctx);
}
END_TEST

/* --------------------------------------------------------- export errors */

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

/* A run directory of a two-column CSV model: config.yaml and features.csv. */
static void make_run_dir(const char *dir)
{
    char path[700];
    mkdir(dir, 0755);
    snprintf(path, sizeof path, "%s/config.yaml", dir);
    write_text(path, "name: tiny\n"
                     "data:\n  csv:\n    file: tiny.csv\n    target: y\n"
                     "model:\n  - dense: {units: 3, activation: relu}\n  - dense: {units: 1}\n"
                     "train:\n  loss: mse\n");
    snprintf(path, sizeof path, "%s/features.csv", dir);
    write_text(path, "feature,mean,scale\na,1.5,2\nb,0,1\n");
}

START_TEST(test_export_without_weights_names_the_file)
{
    char dir[600], out[700];
    tmp_path("run_no_weights", dir, sizeof dir);
    make_run_dir(dir);
    snprintf(out, sizeof out, "%s/model.onnx", dir);
    unlink(out);
    ck_assert_int_eq(ct_onnx_export_run(dir, out), CT_ERR_IO);
    ck_assert_msg(strstr(ct_last_error(), "weights.bin"), "%s", ct_last_error());
    struct stat st;
    ck_assert_int_ne(stat(out, &st), 0); /* nothing written */
}
END_TEST

START_TEST(test_export_wrong_shape_names_tensor_and_layer)
{
    char dir[600], path[700], out[700];
    tmp_path("run_bad_shape", dir, sizeof dir);
    make_run_dir(dir);
    float data[16] = {0};
    ct_named_tensor t[4] = {
        {"dense/kernel", 2, {2, 4}, data}, /* 3 units in config.yaml */
        {"dense/bias", 1, {3}, data},
        {"dense_1/kernel", 2, {3, 1}, data},
        {"dense_1/bias", 1, {1}, data},
    };
    snprintf(path, sizeof path, "%s/weights.bin", dir);
    ck_assert_int_eq(ct_weights_write(path, t, 4), CT_OK);
    snprintf(out, sizeof out, "%s/model.onnx", dir);
    ck_assert_int_eq(ct_onnx_export_run(dir, out), CT_ERR_SHAPE);
    ck_assert_msg(strstr(ct_last_error(), "dense/kernel") && strstr(ct_last_error(), "layer dense"), "%s",
                  ct_last_error());
    /* Right shapes: written, and it reads back with the standardisation nodes first. */
    t[0].shape[1] = 3;
    ck_assert_int_eq(ct_weights_write(path, t, 4), CT_OK);
    ck_assert_msg(ct_onnx_export_run(dir, out) == CT_OK, "%s", ct_last_error());
    ct_onnx_model *m;
    ck_assert_msg(ct_onnx_model_load(out, &m) == CT_OK, "%s", ct_last_error());
    ck_assert_str_eq(ct_onnx_model_metadata(m, "cltrain.input_columns"), "a\nb");
    ck_assert_str_eq(ct_onnx_model_metadata(m, "cltrain.output"), "values");
    int64_t dims[CT_ONNX_MAX_DIMS];
    ck_assert_int_eq(ct_onnx_model_input_shape(m, 0, dims), 2);
    ck_assert_int_eq(dims[0], -1);
    ck_assert_int_eq(dims[1], 2);
    ct_onnx_model_free(m);
}
END_TEST

/* Keras: a BatchNormalization with center: false has no beta in Keras, so
 * a trained, non-zero beta is refused by name; with beta 0 the export is
 * written (.weights.h5 and .py). */
START_TEST(test_keras_export_refuses_beta_without_center)
{
    char dir[600], path[700], h5[700], py[700];
    tmp_path("run_keras_bn", dir, sizeof dir);
    mkdir(dir, 0755);
    snprintf(path, sizeof path, "%s/config.yaml", dir);
    write_text(path, "name: tiny_bn\n"
                     "data:\n  csv:\n    file: tiny.csv\n    target: y\n"
                     "model:\n  - batch_normalization: {center: false}\n  - dense: {units: 1}\n"
                     "train:\n  loss: mse\n");
    snprintf(path, sizeof path, "%s/features.csv", dir);
    write_text(path, "feature,mean,scale\na,1.5,2\nb,0,1\n");
    float ones[2] = {1, 1}, beta[2] = {0, 0.5f}, kernel[2] = {1, -1}, bias[1] = {0};
    ct_named_tensor t[6] = {
        {"batch_normalization/gamma", 1, {2}, ones},
        {"batch_normalization/beta", 1, {2}, beta},
        {"batch_normalization/moving_mean", 1, {2}, beta},
        {"batch_normalization/moving_variance", 1, {2}, ones},
        {"dense/kernel", 2, {2, 1}, kernel},
        {"dense/bias", 1, {1}, bias},
    };
    snprintf(path, sizeof path, "%s/weights.bin", dir);
    ck_assert_int_eq(ct_weights_write(path, t, 6), CT_OK);
    snprintf(h5, sizeof h5, "%s/model.weights.h5", dir);
    snprintf(py, sizeof py, "%s/model.py", dir);
    unlink(h5); /* from an earlier run of the test */
    ck_assert_int_eq(ct_keras_export_run(dir, h5, py), CT_ERR_UNSUPPORTED);
    ck_assert_msg(strstr(ct_last_error(), "layer batch_normalization has beta = 0.5 although center is false"), "%s",
                  ct_last_error());
    struct stat st;
    ck_assert_int_ne(stat(h5, &st), 0);
    beta[1] = 0;
    ck_assert_int_eq(ct_weights_write(path, t, 6), CT_OK);
    ck_assert_msg(ct_keras_export_run(dir, h5, py) == CT_OK, "%s", ct_last_error());
    ck_assert_int_eq(stat(h5, &st), 0);
    ck_assert_int_gt(st.st_size, 0);
    ck_assert_int_eq(stat(py, &st), 0);
}
END_TEST

int main(void)
{
    const char *base = getenv("CLTRAIN_TEST_TMPDIR");
    snprintf(tmp_dir, sizeof tmp_dir, "%s/onnx_import", base && *base ? base : "/tmp");
    mkdir(base && *base ? base : "/tmp", 0755);
    mkdir(tmp_dir, 0755);
    Suite *suite = suite_create("onnx_import");
    TCase *tc = tcase_create("import");
    tcase_add_test(tc, test_small_graph_matches_plain_c);
    tcase_add_test(tc, test_unsupported_operator_named_with_its_node);
    tcase_add_test(tc, test_unsupported_attribute_named);
    tcase_add_test(tc, test_conv_group_refused);
    tcase_add_test(tc, test_garbage_and_bad_perm_refused);
    tcase_add_test(tc, test_export_without_weights_names_the_file);
    tcase_add_test(tc, test_export_wrong_shape_names_tensor_and_layer);
    tcase_add_test(tc, test_keras_export_refuses_beta_without_center);
    suite_add_tcase(suite, tc);
    SRunner *runner = srunner_create(suite);
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
