/* Predicting with a saved model (src/run/predict.h).
 *
 * A small synthetic CSV run is trained once, into a folder under
 * $CLTRAIN_TEST_TMPDIR (else /tmp) that the tests share: predictions for the
 * rows of its test split must equal what the run wrote into predictions.csv,
 * and bad inputs must be refused with messages that name the problem. The
 * image test trains the shipped CIFAR-10 network for one short epoch on the
 * data in $CLTRAIN_DATA_DIR (skipped when the data is not there), writes a
 * test image as PNG, and checks that predicting on the file agrees with the
 * run's prediction for that image. */
#include <cairo.h>
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cltrain/data.h"
#include "run/predict.h"
#include "run/run.h"

static char base_dir[400]; /* set in main(), before Check forks: every test sees the same */

static const char *in_base(const char *name, char *buf, size_t size)
{
    snprintf(buf, size, "%s/%s", base_dir, name);
    return buf;
}

static int file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
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

/* ------------------------------------------------------ synthetic table */

#define ROWS 200

/* The value of a named column on row i: y depends on temp_mean and humidity
 * on very different scales (standardisation matters); constant has std 0.
 * Unknown names (typos, extras) get a number too. */
static double cell(const char *column, int i)
{
    double temp = 10 + 8 * sin(i * 0.37), humidity = 0.7 + 0.2 * cos(i * 0.11);
    if (!strcmp(column, "day"))
        return i;
    if (!strcmp(column, "temp_mean"))
        return temp;
    if (!strncmp(column, "humid", 5))
        return humidity;
    if (!strcmp(column, "y"))
        return 0.5 * temp - 10 * humidity;
    return 1; /* constant, pressure, ... */
}

/* A CSV of ROWS rows with the columns `header` names (comma-separated),
 * headed by `shown_header` (the same columns under other names, or NULL);
 * bad_row >= 0 puts `bad_text` into column `bad_column` of that data row. */
static void write_table_as(const char *path, const char *shown_header, const char *header, int bad_row,
                           const char *bad_column, const char *bad_text)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "%s\n", shown_header ? shown_header : header);
    char names[256];
    snprintf(names, sizeof names, "%s", header);
    char *cols[16];
    int n = 0;
    for (char *save, *c = strtok_r(names, ",", &save); c && n < 16; c = strtok_r(NULL, ",", &save))
        cols[n++] = c;
    for (int i = 0; i < ROWS; i++)
        for (int k = 0; k < n; k++) {
            if (i == bad_row && !strcmp(cols[k], bad_column))
                fprintf(f, "%s", bad_text);
            else
                fprintf(f, "%.9g", cell(cols[k], i));
            fputc(k + 1 < n ? ',' : '\n', f);
        }
    ck_assert_int_eq(fclose(f), 0);
}

static void write_table(const char *path, const char *header, int bad_row, const char *bad_column,
                        const char *bad_text)
{
    write_table_as(path, NULL, header, bad_row, bad_column, bad_text);
}

/* ------------------------------------------------------- the trained run */

#define SEED 5
static const char EXPERIMENT[] =
    "name: predict_synthetic\nseed: 5\n"
    "data:\n  csv:\n    file: synthetic.csv\n    features: {drop: [day, y]}\n"
    "    target: {column: y, shift: 0}\n    split: {train: 0.6, validation: 0.2, test: 0.2}\n"
    "    standardize: true\n"
    "model:\n  - dense: {units: 8, activation: relu}\n  - dense: {units: 1}\n"
    "train: {loss: mse, optimizer: adam, batch_size: 16, epochs: 3}\n"
    "output: {plots: false}\n";

/* The synthetic run, trained by the first test that needs it and reused by
 * the others (the folder outlives each test's fork). day and the target y
 * are dropped, as the workshop dropped DATE and MONTH: a file to predict on
 * may keep them. */
static const char *csv_run(void)
{
    static char run[512];
    in_base("csv-run", run, sizeof run);
    char path[700];
    snprintf(path, sizeof path, "%s/weights.bin", run);
    if (file_exists(path))
        return run;
    write_table(in_base("synthetic.csv", path, sizeof path), "day,temp_mean,humidity,constant,y", -1, NULL, NULL);
    ct_experiment *exp;
    ck_assert_msg(ct_experiment_parse_string(EXPERIMENT, "predict.yaml", &exp) == CT_OK, "%s", ct_last_error());
    ck_assert_msg(ct_experiment_validate(exp) == CT_OK, "%s", ct_last_error());
    ct_run_options o = {.data_dir = base_dir, .out_dir = run, .device_spec = getenv("CLTRAIN_TEST_DEVICE")};
    char *dir = NULL;
    ck_assert_msg(ct_run_experiment(exp, &o, &dir) == CT_OK, "%s", ct_last_error());
    free(dir);
    ct_experiment_free(exp);
    return run;
}

/* One column of a CSV file the run wrote. */
static double *read_column(const char *path, const char *column, size_t *n)
{
    ct_table t;
    ck_assert_msg(ct_csv_read(path, &t) == CT_OK, "%s", ct_last_error());
    size_t c;
    ck_assert_msg(ct_table_find_column(&t, column, &c) == CT_OK, "%s", ct_last_error());
    double *values = malloc(t.n_rows * sizeof *values);
    ck_assert_ptr_nonnull(values);
    for (size_t r = 0; r < t.n_rows; r++)
        values[r] = t.values[r * t.n_cols + c];
    *n = t.n_rows;
    ct_table_free(&t);
    return values;
}

/* Agreement of two computations of the same float forward pass: the batches
 * differ, so the summation order may too. Relative, with a floor of 1 so
 * that values near 0 are not held to an impossible standard. */
static void assert_close(double got, double want, const char *what, size_t i)
{
    ck_assert_msg(fabs(got - want) <= 1e-5 * fmax(fabs(want), 1.0), "%s %zu: predicted %.9g, the run gave %.9g",
                  what, i, got, want);
}

/* ------------------------------------------------------------- CSV rows */

START_TEST(test_csv_matches_evaluation)
{
    const char *run = csv_run();
    ct_context *ctx = open_context();
    ct_predictor *p;
    ck_assert_msg(ct_predictor_open(run, ctx, &p) == CT_OK, "%s", ct_last_error());
    ck_assert(!ct_predictor_takes_images(p));
    ck_assert(!ct_predictor_classifies(p));
    ck_assert_uint_eq(ct_predictor_width(p), 1);

    /* Every row of the training file; the test split's rows are those of a
     * split made as the run made it. */
    char path[700];
    ct_prediction pr;
    ck_assert_msg(ct_predict_csv(p, in_base("synthetic.csv", path, sizeof path), &pr) == CT_OK, "%s",
                  ct_last_error());
    ck_assert_uint_eq(pr.n, ROWS);
    ck_assert(!pr.image);
    ck_assert_uint_eq(pr.rows[ROWS - 1], ROWS - 1);
    ct_split_options so = {.train = 0.6, .validation = 0.2, .test = 0.2, .seed = SEED};
    ct_split split;
    ck_assert_int_eq(ct_split_make(ROWS, &so, &split), CT_OK);
    char predictions[700];
    snprintf(predictions, sizeof predictions, "%s/predictions.csv", run);
    size_t n;
    double *want = read_column(predictions, "predicted", &n);
    ck_assert_uint_eq(n, split.n_test);
    for (size_t i = 0; i < n; i++)
        assert_close(pr.values[split.test[i]], want[i], "test sample", i);

    /* Only the features, in another order, without the dropped columns:
     * the same predictions. */
    ct_prediction again;
    write_table(in_base("reordered.csv", path, sizeof path), "humidity,constant,temp_mean", -1, NULL, NULL);
    ck_assert_msg(ct_predict_file(p, path, &again) == CT_OK, "%s", ct_last_error());
    ck_assert_uint_eq(again.n, ROWS);
    for (size_t r = 0; r < ROWS; r++)
        assert_close(again.values[r], pr.values[r], "reordered row", r);

    ct_prediction_free(&again);
    ct_prediction_free(&pr);
    free(want);
    ct_split_free(&split);
    ct_predictor_free(p);
    ct_context_destroy(ctx);
}
END_TEST

/* The error for predicting on a table with this header (and bad cell). */
static const char *csv_error(ct_predictor *p, const char *header, int bad_row, const char *bad_text)
{
    char path[700];
    write_table(in_base("bad.csv", path, sizeof path), header, bad_row, "humidity", bad_text);
    ct_prediction pr;
    ct_status s = ct_predict_file(p, path, &pr);
    ck_assert_msg(s == CT_ERR_DATA, "%s: %s (status %d)", header, ct_last_error(), (int)s);
    ck_assert_ptr_null(pr.values);
    ck_assert_msg(strstr(ct_last_error(), "bad.csv"), "the message names the file: %s", ct_last_error());
    return ct_last_error();
}

START_TEST(test_csv_bad_inputs)
{
    const char *run = csv_run();
    ct_context *ctx = open_context();
    ct_predictor *p;
    ck_assert_msg(ct_predictor_open(run, ctx, &p) == CT_OK, "%s", ct_last_error());

    const char *e = csv_error(p, "day,temp_mean,humidty,constant,y", -1, NULL);
    ck_assert_msg(strstr(e, "\"humidity\"") && strstr(e, "did you mean \"humidty\""), "missing column: %s", e);
    ck_assert_msg(strstr(e, "features.csv"), "points at the list of columns: %s", e);

    e = csv_error(p, "day,temp_mean,humidity,constant,y,pressure", -1, NULL);
    ck_assert_msg(strstr(e, "\"pressure\""), "extra column: %s", e);

    e = csv_error(p, "temp_mean,humidity,constant,y", 3, "n/a");
    ck_assert_msg(strstr(e, "row 3") && strstr(e, "column humidity") && strstr(e, "\"n/a\""), "bad cell: %s", e);
    ck_assert_msg(strstr(e, "bad.csv:5:"), "the file's line (header, rows 0..3): %s", e);

    e = csv_error(p, "temp_mean,humidity,constant,y", 0, "");
    ck_assert_msg(strstr(e, "row 0") && strstr(e, "empty field"), "empty cell: %s", e);

    /* An image for a model of CSV rows. */
    char path[700];
    write_table(in_base("photo.png", path, sizeof path), "a", -1, NULL, NULL);
    ct_prediction pr;
    ck_assert_int_ne(ct_predict_file(p, path, &pr), CT_OK);
    ck_assert_msg(strstr(ct_last_error(), "photo.png") && strstr(ct_last_error(), "CSV rows"), "%s",
                  ct_last_error());

    /* A file that is not there. */
    ck_assert_int_ne(ct_predict_file(p, in_base("nowhere.csv", path, sizeof path), &pr), CT_OK);
    ck_assert_msg(strstr(ct_last_error(), "nowhere.csv"), "%s", ct_last_error());

    ct_predictor_free(p);
    ct_context_destroy(ctx);
}
END_TEST

static void copy_file(const char *from_dir, const char *to_dir, const char *name)
{
    char from[700], to[700], buf[65536];
    snprintf(from, sizeof from, "%s/%s", from_dir, name);
    snprintf(to, sizeof to, "%s/%s", to_dir, name);
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    ck_assert(in && out);
    for (size_t got; (got = fread(buf, 1, sizeof buf, in)) > 0;)
        ck_assert_uint_eq(fwrite(buf, 1, got, out), got);
    fclose(in);
    ck_assert_int_eq(fclose(out), 0);
}

/* ct_predictor_open on an incomplete run directory fails naming `missing`. */
static void assert_open_fails(ct_context *ctx, const char *dir, const char *missing)
{
    ct_predictor *p = NULL;
    ck_assert_int_ne(ct_predictor_open(dir, ctx, &p), CT_OK);
    ck_assert_ptr_null(p);
    ck_assert_msg(strstr(ct_last_error(), missing), "expected a message naming %s: %s", missing, ct_last_error());
}

START_TEST(test_incomplete_run_directories)
{
    const char *run = csv_run();
    ct_context *ctx = open_context();
    char dir[512];
    in_base("incomplete", dir, sizeof dir);
    assert_open_fails(ctx, dir, "incomplete"); /* no such folder */
    ck_assert_int_eq(mkdir(dir, 0755), 0);
    assert_open_fails(ctx, dir, "config.yaml");
    copy_file(run, dir, "config.yaml");
    assert_open_fails(ctx, dir, "weights.bin");
    copy_file(run, dir, "weights.bin");
    assert_open_fails(ctx, dir, "features.csv");
    copy_file(run, dir, "features.csv");
    ct_predictor *p = NULL;
    ck_assert_msg(ct_predictor_open(dir, ctx, &p) == CT_OK, "%s", ct_last_error());
    ct_predictor_free(p);
    ct_context_destroy(ctx);
}
END_TEST

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    ck_assert_int_eq(fclose(f), 0);
}

/* Column names need not be identifiers: features.csv quotes names with a
 * comma or a quote, and a name may look like a number. The run's columns
 * renamed so, in features.csv and in the data, predict the same. */
START_TEST(test_unusual_column_names)
{
    const char *run = csv_run();
    ct_context *ctx = open_context();
    char dir[512], path[700];
    in_base("renamed", dir, sizeof dir);
    ck_assert_int_eq(mkdir(dir, 0755), 0);
    copy_file(run, dir, "config.yaml");
    copy_file(run, dir, "weights.bin");

    /* features.csv with the new names and the run's mean and scale. */
    static const char *const renamed[][2] = {{"temp_mean", "\"temp, mean\""}, {"humidity", "2019"},
                                             {"constant", "\"say \"\"c\"\"\""}};
    snprintf(path, sizeof path, "%s/features.csv", run);
    FILE *in = fopen(path, "r");
    ck_assert_ptr_nonnull(in);
    char line[512], text[4096] = "";
    ck_assert_ptr_nonnull(fgets(line, sizeof line, in));
    strcat(text, line);
    while (fgets(line, sizeof line, in)) {
        char *numbers = strchr(line, ',');
        ck_assert_ptr_nonnull(numbers);
        for (size_t k = 0; k < 3; k++)
            if (!strncmp(line, renamed[k][0], (size_t)(numbers - line)))
                strcat(text, renamed[k][1]);
        strcat(text, numbers);
    }
    fclose(in);
    snprintf(path, sizeof path, "%s/features.csv", dir);
    write_text(path, text);

    /* The same rows under the new names. */
    write_table_as(in_base("renamed.csv", path, sizeof path), "day,\"temp, mean\",2019,\"say \"\"c\"\"\",y",
                   "day,temp_mean,humidity,constant,y", -1, NULL, NULL);

    ct_predictor *p, *original;
    ct_prediction pr, want;
    ck_assert_msg(ct_predictor_open(dir, ctx, &p) == CT_OK, "%s", ct_last_error());
    ck_assert_msg(ct_predict_file(p, path, &pr) == CT_OK, "%s", ct_last_error());
    ck_assert_msg(ct_predictor_open(run, ctx, &original) == CT_OK, "%s", ct_last_error());
    ck_assert_msg(ct_predict_file(original, in_base("synthetic.csv", path, sizeof path), &want) == CT_OK, "%s",
                  ct_last_error());
    ck_assert_uint_eq(pr.n, want.n);
    for (size_t r = 0; r < pr.n; r++)
        ck_assert_float_eq(pr.values[r], want.values[r]);
    ct_prediction_free(&pr);
    ct_prediction_free(&want);
    ct_predictor_free(original);
    ct_predictor_free(p);

    /* A broken features.csv is named with its line. */
    snprintf(path, sizeof path, "%s/features.csv", dir);
    write_text(path, "feature,mean,scale\ntemp_mean,0,1\nhumidity,n/a,1\n");
    ck_assert_int_eq(ct_predictor_open(dir, ctx, &p), CT_ERR_PARSE);
    ck_assert_msg(strstr(ct_last_error(), "features.csv:3"), "%s", ct_last_error());
    ct_context_destroy(ctx);
}
END_TEST

/* ---------------------------------------------------------------- images */

/* rgb (height x width x 3 in [0,1]) as a PNG, each pixel repeated `zoom`
 * times in x and zoom_y times in y (an image of another size). */
static void write_png(const char *path, const float *rgb, int width, int height, int zoom, int zoom_y)
{
    cairo_surface_t *surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, width * zoom, height * zoom_y);
    ck_assert_int_eq(cairo_surface_status(surface), CAIRO_STATUS_SUCCESS);
    cairo_surface_flush(surface);
    unsigned char *data = cairo_image_surface_get_data(surface);
    int stride = cairo_image_surface_get_stride(surface);
    for (int y = 0; y < height * zoom_y; y++)
        for (int x = 0; x < width * zoom; x++) {
            const float *px = rgb + ((size_t)(y / zoom_y) * width + (size_t)(x / zoom)) * 3;
            uint32_t value = 0;
            for (int ch = 0; ch < 3; ch++) /* the bytes the CIFAR file held */
                value = value << 8 | (uint32_t)lroundf(px[ch] * 255.0f);
            memcpy(data + (size_t)y * stride + (size_t)x * 4, &value, 4); /* native-endian 0x00RRGGBB */
        }
    cairo_surface_mark_dirty(surface);
    ck_assert_int_eq(cairo_surface_write_to_png(surface, path), CAIRO_STATUS_SUCCESS);
    cairo_surface_destroy(surface);
}

/* The shipped CIFAR-10 network, one short epoch; NULL without the data. */
static const char *cifar_run(char *test_batch, size_t size)
{
    const char *data = getenv("CLTRAIN_DATA_DIR");
    if (!data || !*data)
        return NULL;
    snprintf(test_batch, size, "%s/cifar-10-batches-bin/test_batch.bin", data);
    if (!file_exists(test_batch))
        return NULL;
    static char run[512];
    in_base("cifar-run", run, sizeof run);
    const char *sets[] = {"train.epochs=1", "data.cifar10.train_subset=64", "data.cifar10.test_subset=32",
                          "output.plots=false"};
    ct_experiment *exp;
    ck_assert_msg(ct_experiment_open(CLTRAIN_SOURCE_DIR "/experiments/cifar10_cnn_pool.yaml", sets, 4, &exp) == CT_OK,
                  "%s", ct_last_error());
    ct_run_options o = {.data_dir = data, .out_dir = run, .device_spec = getenv("CLTRAIN_TEST_DEVICE")};
    char *dir = NULL;
    ck_assert_msg(ct_run_experiment(exp, &o, &dir) == CT_OK, "%s", ct_last_error());
    free(dir);
    ct_experiment_free(exp);
    return run;
}

START_TEST(test_image_matches_evaluation)
{
    char test_batch[700];
    const char *run = cifar_run(test_batch, sizeof test_batch);
    if (!run) {
        fprintf(stderr, "test_predict: no CIFAR-10 data in $CLTRAIN_DATA_DIR: image prediction not tested\n");
        return;
    }
    ct_context *ctx = open_context();
    ct_predictor *p;
    ck_assert_msg(ct_predictor_open(run, ctx, &p) == CT_OK, "%s", ct_last_error());
    ck_assert(ct_predictor_takes_images(p) && ct_predictor_classifies(p));
    ck_assert_uint_eq(ct_predictor_width(p), 10);
    ck_assert_str_eq(ct_predictor_class_name(p, 0), "airplane"); /* from summary.yaml */

    /* Test image 0 as a PNG file: the run's prediction for it, from the file. */
    ct_image_set images = {0};
    ck_assert_msg(ct_cifar10_read_batch(test_batch, 1, &images) == CT_OK, "%s", ct_last_error());
    char png[700];
    write_png(in_base("test0.png", png, sizeof png), images.x, 32, 32, 1, 1);
    ct_prediction pr;
    ck_assert_msg(ct_predict_file(p, png, &pr) == CT_OK, "%s", ct_last_error());
    ck_assert(pr.image);
    ck_assert_uint_eq(pr.n, 1);
    char predictions[700];
    snprintf(predictions, sizeof predictions, "%s/predictions.csv", run);
    size_t n;
    double *predicted = read_column(predictions, "predicted", &n);
    ck_assert_uint_eq(n, 32);
    ck_assert_uint_eq(ct_prediction_class(&pr, 0), (size_t)predicted[0]);
    for (size_t c = 0; c < 10; c++) {
        char column[16];
        snprintf(column, sizeof column, "p_%zu", c);
        double *probability = read_column(predictions, column, &n);
        /* predictions.csv keeps 6 significant digits */
        ck_assert_msg(fabs(pr.values[c] - probability[0]) <= 2e-6, "class %zu: %.7f, the run gave %.7f", c,
                      pr.values[c], probability[0]);
        free(probability);
    }
    ct_prediction_free(&pr);

    /* Another size is resized to the model's input: still probabilities. */
    write_png(in_base("test0-big.png", png, sizeof png), images.x, 32, 32, 3, 2);
    ck_assert_msg(ct_predict_file(p, png, &pr) == CT_OK, "%s", ct_last_error());
    double sum = 0;
    for (size_t c = 0; c < 10; c++)
        sum += pr.values[c];
    ck_assert_double_eq_tol(sum, 1.0, 1e-5);
    ct_prediction_free(&pr);

    /* An unreadable image, a missing one, and CSV rows for an image model. */
    FILE *f = fopen(in_base("broken.png", png, sizeof png), "w");
    ck_assert_ptr_nonnull(f);
    fputs("not a picture\n", f);
    fclose(f);
    ck_assert_int_eq(ct_predict_file(p, png, &pr), CT_ERR_PARSE);
    ck_assert_msg(strstr(ct_last_error(), "broken.png"), "%s", ct_last_error());
    ck_assert_int_eq(ct_predict_file(p, in_base("absent.jpg", png, sizeof png), &pr), CT_ERR_IO);
    ck_assert_msg(strstr(ct_last_error(), "absent.jpg"), "%s", ct_last_error());
    ck_assert_int_ne(ct_predict_file(p, in_base("rows.csv", png, sizeof png), &pr), CT_OK);
    ck_assert_msg(strstr(ct_last_error(), "rows.csv") && strstr(ct_last_error(), "images"), "%s", ct_last_error());

    free(predicted);
    ct_image_set_free(&images);
    ct_predictor_free(p);
    ct_context_destroy(ctx);
}
END_TEST

int main(void)
{
    const char *base = getenv("CLTRAIN_TEST_TMPDIR");
    char parent[300];
    snprintf(parent, sizeof parent, "%s", base && *base ? base : "/tmp");
    mkdir(parent, 0755);
    snprintf(base_dir, sizeof base_dir, "%s/predict-%ld", parent, (long)getpid());
    mkdir(base_dir, 0755);

    Suite *s = suite_create("predict");
    TCase *tc = tcase_create("predict");
    tcase_set_timeout(tc, 1200);
    tcase_add_test(tc, test_csv_matches_evaluation);
    tcase_add_test(tc, test_csv_bad_inputs);
    tcase_add_test(tc, test_incomplete_run_directories);
    tcase_add_test(tc, test_unusual_column_names);
    tcase_add_test(tc, test_image_matches_evaluation);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
