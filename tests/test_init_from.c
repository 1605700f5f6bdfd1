/* init.from: a run's weights exported as Keras 3 .weights.h5 and as ONNX,
 * read back as another experiment's starting weights, give the source run's
 * predictions; and the errors for files that do not fit (layer count,
 * shapes, a missing or corrupt file, a misspelt key). */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx/keras_export.h"
#include "onnx/onnx_builder.h"
#include "onnx/onnx_export.h"
#include "onnx/onnx_model.h"
#include "onnx/weights_import.h"
#include "run/run.h"
#include "run/summary.h"
#include "test_tmp.h"

static char tmp[512];

static ct_experiment *sunshine_small(const char *extra_set)
{
    char file[1024];
    snprintf(file, sizeof file, "%s/experiments/sunshine_small.yaml", CLTRAIN_SOURCE_DIR);
    const char *sets[2] = {"train.epochs=2", extra_set};
    ct_experiment *exp;
    ck_assert_msg(ct_experiment_open(file, sets, extra_set ? 2 : 1, &exp) == CT_OK, "%s", ct_last_error());
    return exp;
}

/* Test-split predictions of an opened run (n x 1). */
static float *predictions(ct_run *run)
{
    size_t n = run->data.test.n;
    float *pred = malloc(n * sizeof *pred);
    double values[8];
    ct_host_split test = ct_split_data_host(&run->data.test);
    ck_assert_msg(ct_trainer_evaluate(run->trainer, &test, values, pred) == CT_OK, "%s", ct_last_error());
    return pred;
}

static char src_dir[700], h5[700], onnx[700];

/* sunshine_small trained 2 epochs, exported both ways (once per process). */
static void train_and_export(void)
{
    if (src_dir[0])
        return;
    test_tmp_make(tmp, sizeof tmp, "init_from", "roundtrip");
    snprintf(src_dir, sizeof src_dir, "%s/source", tmp);
    snprintf(h5, sizeof h5, "%s/source.weights.h5", tmp);
    snprintf(onnx, sizeof onnx, "%s/source.onnx", tmp);
    char py[760];
    snprintf(py, sizeof py, "%s/source.py", tmp);
    ct_experiment *exp = sunshine_small(NULL);
    ct_run_options o = {.out_dir = src_dir, .overwrite = true};
    char *dir = NULL;
    ck_assert_msg(ct_run_experiment(exp, &o, &dir) == CT_OK, "%s", ct_last_error());
    free(dir);
    ct_experiment_free(exp);
    ck_assert_msg(ct_keras_export_run(src_dir, h5, py) == CT_OK, "%s", ct_last_error());
    ck_assert_msg(ct_onnx_export_run(src_dir, onnx) == CT_OK, "%s", ct_last_error());
}

static void check_same_predictions(const char *file)
{
    train_and_export();
    ct_run_options o = {.import_weights = ct_weights_import};
    ct_run source, imported;
    ck_assert_msg(ct_run_open(src_dir, &o, &source) == CT_OK, "%s", ct_last_error());
    char set[800];
    snprintf(set, sizeof set, "init.from=%s", file);
    ck_assert_msg(ct_run_open_experiment(sunshine_small(set), &o, &imported) == CT_OK, "%s", ct_last_error());
    ck_assert_uint_eq(source.data.test.n, imported.data.test.n);
    ck_assert_uint_gt(source.data.test.n, 100);
    float *want = predictions(&source), *got = predictions(&imported);
    double worst = 0;
    for (size_t i = 0; i < source.data.test.n; i++)
        worst = fmax(worst, fabs((double)want[i] - got[i]));
    ck_assert_msg(worst <= 1e-6, "%s: predictions differ by %g", file, worst);
    free(want);
    free(got);
    ct_run_close(&source);
    ct_run_close(&imported);
}

START_TEST(test_keras_round_trip) { check_same_predictions(h5[0] ? h5 : (train_and_export(), h5)); }
END_TEST

START_TEST(test_onnx_round_trip) { check_same_predictions(onnx[0] ? onnx : (train_and_export(), onnx)); }
END_TEST

/* A run started from init.from records the file and its hash; its first
 * epoch starts from the imported weights, so it beats a fresh start's loss. */
START_TEST(test_run_records_init)
{
    train_and_export();
    char set[800], out[700], path[800];
    snprintf(set, sizeof set, "init.from=%s", h5);
    snprintf(out, sizeof out, "%s/continued", tmp);
    ct_experiment *exp = sunshine_small(set);
    ct_run_options o = {.out_dir = out, .overwrite = true, .import_weights = ct_weights_import};
    char *dir = NULL;
    ck_assert_msg(ct_run_experiment(exp, &o, &dir) == CT_OK, "%s", ct_last_error());
    free(dir);
    ct_experiment_free(exp);
    snprintf(path, sizeof path, "%s/summary.yaml", out);
    char *text = NULL;
    size_t len = 0;
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(getdelim(&text, &len, '\0', f) > 0, 1);
    fclose(f);
    char hex[65];
    ck_assert_int_eq(ct_sha256_file_hex(h5, hex), CT_OK);
    ck_assert_msg(strstr(text, "init:") && strstr(text, hex) && strstr(text, h5), "summary.yaml:\n%s", text);
    free(text);
}
END_TEST

static const char weather_data[] =
    "data:\n  csv:\n    file: weather_prediction_dataset.csv\n    features: {drop: [DATE, MONTH]}\n"
    "    target: {column: BASEL_sunshine, shift: 1}\n";

/* The error of checking an experiment's init.from (ct_run_check_init), which
 * must contain each of `want` (want[0] is the file). */
static void expect_check_error_on(const char *data_yaml, const char *train_yaml, const char *yaml_extra,
                                  const char *const *want, size_t n_want)
{
    char yaml[2048], file[800];
    snprintf(file, sizeof file, "%s/check.yaml", tmp);
    snprintf(yaml, sizeof yaml,
             "%s"
             "model:\n%s"
             "train: %s\n"
             "init:\n  from: %s\n",
             data_yaml, yaml_extra, train_yaml, want[0]);
    FILE *f = fopen(file, "w");
    fputs(yaml, f);
    fclose(f);
    ct_experiment *exp;
    ck_assert_msg(ct_experiment_open(file, NULL, 0, &exp) == CT_OK, "%s", ct_last_error());
    size_t tensors = 0;
    ck_assert_int_ne(ct_run_check_init(exp, NULL, ct_weights_import, &tensors), CT_OK);
    for (size_t i = 0; i < n_want; i++)
        ck_assert_msg(strstr(ct_last_error(), want[i]), "'%s' not in: %s", want[i], ct_last_error());
    ct_experiment_free(exp);
}

static void expect_check_error(const char *yaml_extra, const char *const *want, size_t n_want)
{
    expect_check_error_on(weather_data, "{loss: mse}", yaml_extra, want, n_want);
}

START_TEST(test_errors_name_the_layer)
{
    train_and_export();
    const char *both[2] = {h5, onnx};
    for (int k = 0; k < 2; k++) {
        /* one Dense more than the file */
        const char *more[] = {both[k], "check.yaml:", "init.from", "layer dense_3 (Dense, model[3])",
                              k ? "3 weighted layers, the model 4" : "fewer Dense layers"};
        expect_check_error("  - dense: {units: 10, activation: relu}\n  - dense: {units: 5}\n"
                           "  - dense: {units: 1}\n  - dense: {units: 1}\n",
                           more, sizeof more / sizeof *more);
        /* one fewer */
        const char *fewer[] = {both[k], "check.yaml:", "layer batch_normalization (BatchNormalization, model[2])"};
        expect_check_error("  - dense: {units: 10, activation: relu}\n  - dense: {units: 5}\n"
                           "  - batch_normalization\n  - dense: {units: 1}\n", fewer,
                           sizeof fewer / sizeof *fewer);
        /* the middle layer of another width, named */
        const char *shape[] = {both[k], "layer hidden (Dense, model[1])", "kernel of shape (10, 6) expected",
                               "the file has (10, 5)"};
        expect_check_error("  - dense: {units: 10, activation: relu}\n  - dense: {units: 6, name: hidden}\n"
                           "  - dense: {units: 1}\n",
                           shape, sizeof shape / sizeof *shape);
    }
}
END_TEST

START_TEST(test_missing_and_corrupt_files)
{
    train_and_export();
    char missing[800], bad_h5[800], bad_onnx[800];
    snprintf(missing, sizeof missing, "%s/nope.weights.h5", tmp);
    const char *m[] = {missing, "check.yaml:10:9: init.from", "No such file"};
    expect_check_error("  - dense: {units: 1}\n", m, sizeof m / sizeof *m);
    snprintf(bad_h5, sizeof bad_h5, "%s/bad.weights.h5", tmp);
    snprintf(bad_onnx, sizeof bad_onnx, "%s/bad.onnx", tmp);
    const char *paths[2] = {bad_h5, bad_onnx};
    for (int k = 0; k < 2; k++) {
        FILE *f = fopen(paths[k], "w");
        fputs("\x0a\xff\xff\xff this is not a weights file", f);
        fclose(f);
    }
    const char *h[] = {bad_h5, "not an HDF5 file"};
    expect_check_error("  - dense: {units: 1}\n", h, 2);
    const char *o[] = {bad_onnx, "not an ONNX model"};
    expect_check_error("  - dense: {units: 1}\n", o, 2);
    /* a file of another kind by its name */
    const char *t[] = {"/etc/hostname", "expected a Keras 3 .weights.h5 or an .onnx file"};
    expect_check_error("  - dense: {units: 1}\n", t, 2);
}
END_TEST

/* ------------------------------------------------------------------ PyTorch's layouts
 * A model as PyTorch's torch.onnx.export writes nn.Conv2d(3, 4, 3) ->
 * [nn.BatchNorm2d(4)] -> nn.ReLU -> torch.flatten(x, 1) -> nn.Linear(3600, 10):
 * an NCHW input, Conv's weight (O, I, KH, KW), the flatten in (C, H, W) order
 * and Gemm with transB=1 and the weight (out, in). Loaded by init.from into
 * the channels_last cltrain model, it must predict what the ONNX graph does
 * (cltrain's ONNX runner, itself checked against ONNX's reference outputs by
 * test_onnx_conformance) on the same CIFAR-10 images. */

#define TORCH_C 4
#define TORCH_HW 30 /* 32 - 3 + 1 */
#define TORCH_FLAT (TORCH_C * TORCH_HW * TORCH_HW)

static uint64_t lcg = 1;
static float uniform(float lo, float hi)
{
    lcg = lcg * 6364136223846793005ULL + 1442695040888963407ULL;
    return lo + (hi - lo) * (float)((lcg >> 40) & 0xffffff) / (float)0x1000000;
}

/* The file; bn: with BatchNormalization (epsilon 1e-5, PyTorch's) of bn_width
 * channels (TORCH_C for a consistent file); fc2: one more Linear(10, 10). */
static void write_torch_style(const char *path, bool bn, int64_t bn_width, bool fc2)
{
    lcg = bn ? 7 : 3;
    ct_onnx_builder *b;
    ck_assert_int_eq(ct_onnx_builder_create("torch_jit", 13, &b), CT_OK);
    ct_onnx_set_producer(b, "pytorch", "2.3.0");
    int64_t in_dims[4] = {-1, 3, 32, 32}, out_dims[2] = {-1, 10};
    ct_onnx_add_input(b, "input", 4, in_dims);
    static float conv_w[TORCH_C * 3 * 3 * 3], conv_b[TORCH_C], fc_w[10 * TORCH_FLAT], fc_b[10], bn_v[4][8];
    for (size_t i = 0; i < sizeof conv_w / sizeof *conv_w; i++)
        conv_w[i] = uniform(-0.4f, 0.4f);
    for (size_t i = 0; i < TORCH_C; i++)
        conv_b[i] = uniform(-0.2f, 0.2f);
    for (size_t i = 0; i < sizeof fc_w / sizeof *fc_w; i++)
        fc_w[i] = uniform(-0.05f, 0.05f);
    for (size_t i = 0; i < 10; i++)
        fc_b[i] = uniform(-0.1f, 0.1f);
    for (int64_t c = 0; c < bn_width; c++) {
        bn_v[0][c] = uniform(0.5f, 1.5f);  /* scale */
        bn_v[1][c] = uniform(-0.5f, 0.5f); /* B */
        bn_v[2][c] = uniform(-0.2f, 0.2f); /* running mean */
        bn_v[3][c] = uniform(0.3f, 1.5f);  /* running var */
    }
    int64_t conv_dims[4] = {TORCH_C, 3, 3, 3}, c_dims[1] = {TORCH_C}, fc_dims[2] = {10, TORCH_FLAT}, fcb_dims[1] = {10};
    ct_onnx_add_float_tensor(b, "conv1.weight", 4, conv_dims, conv_w);
    ct_onnx_add_float_tensor(b, "conv1.bias", 1, c_dims, conv_b);
    ct_onnx_add_float_tensor(b, "fc.weight", 2, fc_dims, fc_w);
    ct_onnx_add_float_tensor(b, "fc.bias", 1, fcb_dims, fc_b);
    const char *conv_in[] = {"input", "conv1.weight", "conv1.bias", NULL}, *conv_out[] = {"/conv1/Conv_output_0", NULL};
    Onnx__NodeProto *conv = ct_onnx_add_node(b, "Conv", "/conv1/Conv", conv_in, conv_out);
    int64_t kernel[2] = {3, 3}, ones[2] = {1, 1}, pads[4] = {0, 0, 0, 0};
    ct_onnx_node_ints(b, conv, "kernel_shape", 2, kernel);
    ct_onnx_node_ints(b, conv, "strides", 2, ones);
    ct_onnx_node_ints(b, conv, "dilations", 2, ones);
    ct_onnx_node_ints(b, conv, "pads", 4, pads);
    ct_onnx_node_int(b, conv, "group", 1);
    const char *relu_in[] = {"/conv1/Conv_output_0", NULL};
    if (bn) {
        int64_t w_dims[1] = {bn_width};
        static const char *const names[4] = {"bn.weight", "bn.bias", "bn.running_mean", "bn.running_var"};
        for (int k = 0; k < 4; k++)
            ct_onnx_add_float_tensor(b, names[k], 1, w_dims, bn_v[k]);
        const char *bn_in[] = {"/conv1/Conv_output_0", names[0], names[1], names[2], names[3], NULL},
                   *bn_out[] = {"/bn/BatchNormalization_output_0", NULL};
        Onnx__NodeProto *n = ct_onnx_add_node(b, "BatchNormalization", "/bn/BatchNormalization", bn_in, bn_out);
        ct_onnx_node_float(b, n, "epsilon", 1e-5f);
        ct_onnx_node_float(b, n, "momentum", 0.9f);
        relu_in[0] = "/bn/BatchNormalization_output_0";
    }
    const char *relu_out[] = {"/relu/Relu_output_0", NULL};
    ct_onnx_add_node(b, "Relu", "/relu/Relu", relu_in, relu_out);
    const char *flat_out[] = {"/Flatten_output_0", NULL};
    ct_onnx_node_int(b, ct_onnx_add_node(b, "Flatten", "/Flatten", relu_out, flat_out), "axis", 1);
    const char *fc_in[] = {"/Flatten_output_0", "fc.weight", "fc.bias", NULL},
               *fc_out[] = {fc2 ? "/fc/Gemm_output_0" : "logits", NULL};
    Onnx__NodeProto *fc = ct_onnx_add_node(b, "Gemm", "/fc/Gemm", fc_in, fc_out);
    ct_onnx_node_float(b, fc, "alpha", 1.0f);
    ct_onnx_node_float(b, fc, "beta", 1.0f);
    ct_onnx_node_int(b, fc, "transB", 1);
    if (fc2) {
        int64_t fc2_dims[2] = {10, 10};
        ct_onnx_add_float_tensor(b, "fc2.weight", 2, fc2_dims, fc_w);
        const char *fc2_in[] = {"/fc/Gemm_output_0", "fc2.weight", "fc.bias", NULL}, *fc2_out[] = {"logits", NULL};
        ct_onnx_node_int(b, ct_onnx_add_node(b, "Gemm", "/fc2/Gemm", fc2_in, fc2_out), "transB", 1);
    }
    ct_onnx_add_output(b, "logits", 2, out_dims);
    ck_assert_int_eq(ct_onnx_builder_write(b, path), CT_OK);
    ct_onnx_builder_free(b);
}

static const char cifar_data[] =
    "data:\n  cifar10: {dir: cifar-10-batches-bin, train_batches: 1, train_subset: 32, test_subset: 48, scale: true}\n";
static const char cifar_train[] = "{loss: sparse_categorical_crossentropy, from_logits: true, batch_size: 16}";
static const char torch_model[] = "  - conv2d: {filters: 4, kernel_size: [3, 3], activation: relu}\n  - flatten\n"
                                  "  - dense: {units: 10}\n";
static const char torch_bn_model[] = "  - conv2d: {filters: 4, kernel_size: [3, 3]}\n"
                                     "  - batch_normalization: {epsilon: 1.0e-5}\n  - activation: relu\n"
                                     "  - flatten\n  - dense: {units: 10}\n";

static ct_experiment *experiment_from(const char *name, const char *model, const char *init)
{
    char yaml[2048], file[800];
    snprintf(file, sizeof file, "%s/%s.yaml", tmp, name);
    snprintf(yaml, sizeof yaml, "%smodel:\n%strain: %s\ninit: {from: %s}\n", cifar_data, model, cifar_train, init);
    FILE *f = fopen(file, "w");
    ck_assert_ptr_nonnull(f);
    fputs(yaml, f);
    fclose(f);
    ct_experiment *exp;
    ck_assert_msg(ct_experiment_open(file, NULL, 0, &exp) == CT_OK, "%s", ct_last_error());
    return exp;
}

static void check_torch_style(bool bn)
{
    if (!tmp[0])
        test_tmp_make(tmp, sizeof tmp, "init_from", "roundtrip");
    char path[700];
    snprintf(path, sizeof path, "%s/torch%s.onnx", tmp, bn ? "_bn" : "");
    write_torch_style(path, bn, TORCH_C, false);
    ct_run_options o = {.import_weights = ct_weights_import};
    ct_run run;
    ck_assert_msg(ct_run_open_experiment(experiment_from("torch", bn ? torch_bn_model : torch_model, path), &o,
                                         &run) == CT_OK,
                  "%s", ct_last_error());
    size_t n = run.data.test.n;
    ck_assert_uint_eq(n, 48);
    float *got = malloc(n * 10 * sizeof *got);
    double values[8];
    ct_host_split test = ct_split_data_host(&run.data.test);
    ck_assert_msg(ct_trainer_evaluate(run.trainer, &test, values, got) == CT_OK, "%s", ct_last_error());
    /* The same images as NCHW through the ONNX graph. */
    ct_onnx_model *m;
    ck_assert_msg(ct_onnx_model_load(path, &m) == CT_OK, "%s", ct_last_error());
    ct_onnx_tensor x, y[1];
    int64_t dims[4] = {(int64_t)n, 3, 32, 32};
    ck_assert_int_eq(ct_onnx_tensor_alloc(&x, 4, dims, 0), CT_OK);
    size_t sample = ct_dataset_sample_size(&run.data);
    ck_assert_uint_eq(sample, 32 * 32 * 3);
    float *nhwc = malloc(sample * sizeof *nhwc);
    for (size_t i = 0; i < n; i++) {
        ct_split_data_sample(&run.data.test, sample, i, nhwc);
        for (size_t c = 0; c < 3; c++)
            for (size_t p = 0; p < 32 * 32; p++)
                x.f[(i * 3 + c) * 32 * 32 + p] = nhwc[p * 3 + c];
    }
    ck_assert_msg(ct_onnx_model_run(m, run.ctx, &x, y) == CT_OK, "%s", ct_last_error());
    ck_assert_int_eq(y[0].ndim, 2);
    ck_assert_int_eq(y[0].dims[0], (int64_t)n);
    ck_assert_int_eq(y[0].dims[1], 10);
    /* numpy's allclose as tests/onnx/export_check.py: 1e-5 relative, and a
     * floor of 1e-6 of the largest logit for values that cancel to near 0. */
    double largest = 0, worst = 0, spread = 0;
    for (size_t i = 0; i < n * 10; i++)
        largest = fmax(largest, fabs((double)y[0].f[i]));
    for (size_t i = 0; i < n * 10; i++) {
        double want = y[0].f[i], err = fabs((double)got[i] - want) / (1e-5 * fabs(want) + 1e-6 * largest);
        worst = fmax(worst, err);
        spread = fmax(spread, fabs(want - y[0].f[i % 10]));
    }
    ck_assert_msg(worst <= 1.0, "%s: cltrain's predictions differ from the ONNX graph's by %g of the tolerance",
                  path, worst);
    ck_assert_msg(spread > 0.1 && largest > 0.1, "the logits should differ between images (%g, %g)", spread, largest);
    free(nhwc);
    free(got);
    ct_onnx_tensor_free(&x);
    ct_onnx_tensor_free(&y[0]);
    ct_onnx_model_free(m);
    ct_run_close(&run);
}

START_TEST(test_torch_layouts) { check_torch_style(false); }
END_TEST

START_TEST(test_torch_layouts_batch_norm) { check_torch_style(true); }
END_TEST

/* Shape errors name the model's layer and the file's node. */
START_TEST(test_torch_errors_name_the_layer)
{
    if (!tmp[0])
        test_tmp_make(tmp, sizeof tmp, "init_from", "roundtrip");
    char path[700], odd[700];
    snprintf(path, sizeof path, "%s/torch_bn_errors.onnx", tmp);
    write_torch_style(path, true, TORCH_C, false);
    /* Conv2D: one filter more than the file's Conv */
    const char *conv[] = {path, "check.yaml:", "layer conv2d (Conv2D, model[0])", "node '/conv1/Conv' (Conv)",
                          "kernel of shape (3, 3, 3, 5) expected", "the file has (3, 3, 3, 4) (from Conv's (O, I, KH, KW))"};
    expect_check_error_on(cifar_data, cifar_train,
                          "  - conv2d: {filters: 5, kernel_size: [3, 3]}\n  - batch_normalization\n  - flatten\n"
                          "  - dense: {units: 10}\n",
                          conv, sizeof conv / sizeof *conv);
    /* Dense: the flatten of another size than the file's Gemm reads */
    const char *dense[] = {path, "layer dense (Dense, model[3])", "node '/fc/Gemm' (Gemm)",
                           "kernel of shape (4096, 10) expected",
                           "the file has (3600, 10) (transposed from Gemm's transB=1 (out, in))"};
    expect_check_error_on(cifar_data, cifar_train,
                          "  - conv2d: {filters: 4, kernel_size: [3, 3], padding: same}\n  - batch_normalization\n"
                          "  - flatten\n  - dense: {units: 10}\n",
                          dense, sizeof dense / sizeof *dense);
    /* BatchNormalization: center: false, but the file's B is not 0 */
    const char *center[] = {path, "layer batch_normalization (BatchNormalization, model[1])",
                            "node '/bn/BatchNormalization' (BatchNormalization)", "beta[0] = ",
                            "but the layer has center: false"};
    expect_check_error_on(cifar_data, cifar_train,
                          "  - conv2d: {filters: 4, kernel_size: [3, 3]}\n  - batch_normalization: {center: false}\n"
                          "  - flatten\n  - dense: {units: 10}\n",
                          center, sizeof center / sizeof *center);
    /* BatchNormalization: the file's vectors of 5 after a Conv of 4 */
    snprintf(odd, sizeof odd, "%s/torch_bn_width.onnx", tmp);
    write_torch_style(odd, true, 5, false);
    const char *width[] = {odd, "layer batch_normalization (BatchNormalization, model[1])",
                           "gamma of shape (4,) expected, the file has (5,)"};
    expect_check_error_on(cifar_data, cifar_train, torch_bn_model, width, sizeof width / sizeof *width);
    /* the file's fourth weighted layer (a second Gemm) has none in the model */
    snprintf(odd, sizeof odd, "%s/torch_fc2.onnx", tmp);
    write_torch_style(odd, true, TORCH_C, true);
    const char *extra[] = {odd, "check.yaml:", "init.from", "the file's node '/fc2/Gemm' (Gemm) has no layer in the model",
                           "the file holds 4 weighted layers, the model 3"};
    expect_check_error_on(cifar_data, cifar_train, torch_bn_model, extra, sizeof extra / sizeof *extra);
    /* the model's Dense where the file has BatchNormalization */
    const char *kind[] = {path, "layer dense (Dense, model[2])", "the file's layer is a BatchNormalization"};
    expect_check_error_on(cifar_data, cifar_train,
                          "  - conv2d: {filters: 4, kernel_size: [3, 3]}\n  - flatten\n  - dense: {units: 10}\n",
                          kind, sizeof kind / sizeof *kind);
}
END_TEST

START_TEST(test_schema)
{
    ct_experiment *exp = NULL;
    const char *base = "data: {csv: {file: x.csv, target: y}}\nmodel: [{dense: {units: 1}}]\ntrain: {loss: mse}\n";
    char yaml[1024];
    snprintf(yaml, sizeof yaml, "%sinit: {frm: w.weights.h5}\n", base);
    ck_assert_int_ne(ct_experiment_parse_string(yaml, "x.yaml", &exp), CT_OK);
    ck_assert_msg(strstr(ct_last_error(), "x.yaml:4:8") && strstr(ct_last_error(), "did you mean 'from'"), "%s",
                  ct_last_error());
    snprintf(yaml, sizeof yaml, "%sinit: {}\n", base);
    ck_assert_int_eq(ct_experiment_parse_string(yaml, "x.yaml", &exp), CT_OK);
    ck_assert_int_ne(ct_experiment_validate(exp), CT_OK);
    ck_assert_msg(strstr(ct_last_error(), "missing required key 'from'"), "%s", ct_last_error());
    ct_experiment_free(exp);
    /* absent: off, and left out of the written configuration */
    ck_assert_int_eq(ct_experiment_parse_string(base, "x.yaml", &exp), CT_OK);
    ck_assert(!exp->init.enabled);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    ck_assert_int_eq(ct_experiment_write_yaml(exp, f), CT_OK);
    fclose(f);
    ck_assert_ptr_null(strstr(text, "\ninit:"));
    free(text);
    ct_experiment_free(exp);
    /* a relative path is the experiment file's, made absolute */
    snprintf(yaml, sizeof yaml, "%sinit: {from: w.onnx}\n", base);
    ck_assert_int_eq(ct_experiment_parse_string(yaml, "/some/where/x.yaml", &exp), CT_OK);
    ck_assert_str_eq(exp->init.from, "w.onnx"); /* the folder does not exist: left as written */
    ct_experiment_free(exp);
    snprintf(yaml, sizeof yaml, "%sinit: {from: w.onnx}\n", base);
    ck_assert_int_eq(ct_experiment_parse_string(yaml, "/tmp/x.yaml", &exp), CT_OK);
    ck_assert_str_eq(exp->init.from, "/tmp/w.onnx");
    ct_experiment_free(exp);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("init_from");
    TCase *tc = tcase_create("init_from");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_schema);
    tcase_add_test(tc, test_keras_round_trip);
    tcase_add_test(tc, test_onnx_round_trip);
    tcase_add_test(tc, test_run_records_init);
    tcase_add_test(tc, test_errors_name_the_layer);
    tcase_add_test(tc, test_missing_and_corrupt_files);
    tcase_add_test(tc, test_torch_layouts);
    tcase_add_test(tc, test_torch_layouts_batch_norm);
    tcase_add_test(tc, test_torch_errors_name_the_layer);
    suite_add_tcase(s, tc);
    SRunner *r = srunner_create(s);
    srunner_set_fork_status(r, CK_NOFORK);
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
