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
#include "onnx/onnx_export.h"
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

/* The error of checking exp's init.from (ct_run_check_init), which must contain each of `want`. */
static void expect_check_error(const char *yaml_extra, const char *const *want, size_t n_want)
{
    char yaml[2048], file[800];
    snprintf(file, sizeof file, "%s/check.yaml", tmp);
    snprintf(yaml, sizeof yaml,
             "data:\n  csv:\n    file: weather_prediction_dataset.csv\n    features: {drop: [DATE, MONTH]}\n"
             "    target: {column: BASEL_sunshine, shift: 1}\n"
             "model:\n%s"
             "train: {loss: mse}\n"
             "init:\n  from: %s\n",
             yaml_extra, want[0]);
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
    suite_add_tcase(s, tc);
    SRunner *r = srunner_create(s);
    srunner_set_fork_status(r, CK_NOFORK);
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
