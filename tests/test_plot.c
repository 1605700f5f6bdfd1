/* Plots of a run, the filter grid, feature maps, and reading user images.
 *
 * Each test writes a small synthetic run directory, as the runner leaves
 * one (history.csv, predictions.csv, summary.yaml, config.yaml,
 * weights.bin, test_images.bin), into a fresh folder under
 * $CLTRAIN_TEST_TMPDIR (else /tmp), draws from it, and checks the PNG files:
 * signature, IHDR size, and that the picture is not blank. Set
 * CLTRAIN_TEST_KEEP=1 to keep the folders for a look at the pictures. */
#define _GNU_SOURCE /* nftw */
#include <check.h>
#include <cairo.h>
#include <ftw.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* jpeglib.h needs size_t and FILE declared first. */
#include <jpeglib.h>

#include "cltrain/data.h"
#include "cltrain/experiment.h"
#include "cltrain/plot.h"
#include "cltrain/report.h"
#include "plot/feature_maps.h"
#include "plot/quantity.h"
#include "plot/text.h"
#include "test_devices.h"

/* ------------------------------------------------------------ folders */

static char test_dir[512];

static void make_test_dir(void)
{
    const char *base = getenv("CLTRAIN_TEST_TMPDIR");
    char parent[400];
    snprintf(parent, sizeof parent, "%s", base && *base ? base : "/tmp");
    mkdir(parent, 0755);
    snprintf(test_dir, sizeof test_dir, "%s/plot-test-XXXXXX", parent);
    ck_assert_ptr_nonnull(mkdtemp(test_dir));
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    (void)type;
    (void)ftw;
    return remove(path);
}

static void remove_test_dir(void)
{
    const char *keep = getenv("CLTRAIN_TEST_KEEP");
    if (keep && *keep == '1')
        fprintf(stderr, "test_plot: kept %s\n", test_dir);
    else
        nftw(test_dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
}

/* "test_dir/name" in a static buffer per call site slot. */
static const char *in_dir(const char *dir, const char *name, char *buf, size_t size)
{
    snprintf(buf, size, "%s/%s", dir, name);
    return buf;
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fputs(text, f) >= 0, 1);
    ck_assert_int_eq(fclose(f), 0);
}

static void write_bytes(const char *path, const void *bytes, size_t size)
{
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(bytes, 1, size, f), size);
    ck_assert_int_eq(fclose(f), 0);
}

static bool file_exists(const char *path)
{
    return access(path, F_OK) == 0;
}

/* ------------------------------------------------------------ random numbers */

static uint64_t rng_state;

static double uniform(void) /* [0, 1) */
{
    rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
    return (double)(rng_state >> 11) / 9007199254740992.0;
}

static double normal(void)
{
    double u = uniform(), v = uniform();
    return sqrt(-2 * log(u + 1e-300)) * cos(2 * M_PI * v);
}

/* ------------------------------------------------------------ synthetic runs */

static const char *const CIFAR_CLASSES[10] = {"airplane", "automobile", "bird", "cat", "deer",
                                              "dog", "frog", "horse", "ship", "truck"};

static const char REGRESSION_CONFIG[] =
    "name: sunshine_early_stopping\n"
    "data:\n"
    "  csv:\n"
    "    file: weather_prediction_dataset.csv\n"
    "    features: {drop: [DATE, MONTH]}\n"
    "    target: {column: BASEL_sunshine, shift: 1}\n"
    "model:\n"
    "  - dense: {units: 10, activation: relu}\n"
    "  - dense: {units: 1}\n"
    "train: {loss: mse, metrics: [rmse], optimizer: adam, epochs: 200}\n"
    "callbacks: {early_stopping: {monitor: val_loss, patience: 10}}\n"
    "evaluate: {baselines: [{persistence: BASEL_sunshine}]}\n";

/* The workshop's first CNN, so that feature maps can rebuild it. */
static const char CLASSIFICATION_CONFIG[] =
    "name: cifar10_cnn\n"
    "data: {cifar10: {train_batches: 1, train_subset: 5000, use_test_as_validation: true}}\n"
    "model:\n"
    "  - conv2d: {filters: 32, kernel_size: [3, 3], activation: relu}\n"
    "  - conv2d: {filters: 32, kernel_size: [3, 3], activation: relu}\n"
    "  - flatten\n"
    "  - dense: {units: 10}\n"
    "train: {loss: sparse_categorical_crossentropy, from_logits: true, metrics: [accuracy], optimizer: adam, "
    "epochs: 10}\n";

/* Early stopping at epoch 30 (patience 10), best epoch 20: the validation
 * loss turns up after 20 as the model overfits. */
static void write_regression_history(const char *dir)
{
    const char *columns[] = {"loss", "root_mean_squared_error", "val_loss", "val_root_mean_squared_error",
                             "seconds"};
    ct_history *h;
    ck_assert_int_eq(ct_history_create(columns, 5, &h), CT_OK);
    for (int e = 0; e <= 30; e++) {
        double loss = 20 * exp(-e / 5.0) + 4.5 - 0.02 * e + 0.15 * normal();
        double val = 17 * exp(-e / 6.0) + 5.6 + 0.012 * (e > 20 ? (e - 20) * (e - 20) : 0) + 0.1 * normal();
        if (e == 20)
            val = 5.55; /* clearly the best */
        double values[5] = {loss, sqrt(loss), val, sqrt(val), 0.05};
        ck_assert_int_eq(ct_history_append(h, values, 5), CT_OK);
    }
    char path[600];
    ck_assert_int_eq(ct_history_write_csv(h, in_dir(dir, "history.csv", path, sizeof path)), CT_OK);
    ct_history_free(h);
}

static void write_regression_predictions(const char *dir)
{
    char path[600];
    FILE *f = fopen(in_dir(dir, "predictions.csv", path, sizeof path), "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "index,true,predicted,baseline\n");
    for (int i = 0; i < 165; i++) {
        double truth = fmax(0, 14 * uniform() - 1.5);
        double predicted = fmax(0, 0.75 * truth + 1.4 + 1.9 * normal());
        double baseline = fmin(15, fmax(0, truth + 3.2 * normal()));
        fprintf(f, "%d,%.4f,%.4f,%.4f\n", i, truth, predicted, baseline);
    }
    ck_assert_int_eq(fclose(f), 0);
}

static void make_regression_run(const char *dir)
{
    char path[600];
    rng_state = 42;
    mkdir(dir, 0755);
    write_regression_history(dir);
    write_regression_predictions(dir);
    write_text(in_dir(dir, "config.yaml", path, sizeof path), REGRESSION_CONFIG);
    write_text(in_dir(dir, "summary.yaml", path, sizeof path),
               "device: synthetic\n"
               "task: regression\n"
               "best_epoch: 20\n"
               "stopped_epoch: 30\n"
               "stop_reason: val_loss did not improve for 10 epochs\n"
               "test: {loss: 9.1, root_mean_squared_error: 3.0}\n"
               "baselines: [{name: persistence, root_mean_squared_error: 3.4}]\n");
}

static void write_classification_history(const char *dir)
{
    const char *columns[] = {"loss", "accuracy", "val_loss", "val_accuracy", "seconds"};
    ct_history *h;
    ck_assert_int_eq(ct_history_create(columns, 5, &h), CT_OK);
    for (int e = 0; e < 10; e++) {
        double loss = 2.0 * exp(-e / 4.0) + 0.3, val = 1.9 * exp(-e / 6.0) + 0.9 + 0.02 * normal();
        double values[5] = {loss, 1 - loss / 2.6, val, 0.95 - val / 3.2, 4.5};
        ck_assert_int_eq(ct_history_append(h, values, 5), CT_OK);
    }
    char path[600];
    ck_assert_int_eq(ct_history_write_csv(h, in_dir(dir, "history.csv", path, sizeof path)), CT_OK);
    ct_history_free(h);
}

/* About half right; mistakes favour the neighbouring class, so the matrix
 * has structure beyond its diagonal (as cat/dog do in CIFAR-10). */
static void write_classification_predictions(const char *dir, int n)
{
    char path[600];
    FILE *f = fopen(in_dir(dir, "predictions.csv", path, sizeof path), "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "index,true,predicted");
    for (int c = 0; c < 10; c++)
        fprintf(f, ",p_%d", c);
    fprintf(f, "\n");
    for (int i = 0; i < n; i++) {
        int truth = (int)(uniform() * 10), predicted = truth;
        double u = uniform();
        if (u > 0.5)
            predicted = u > 0.8 ? (int)(uniform() * 10) : (truth + 1) % 10;
        fprintf(f, "%d,%d,%d", i, truth, predicted);
        for (int c = 0; c < 10; c++)
            fprintf(f, ",%.4f", c == predicted ? 0.55 : 0.05);
        fprintf(f, "\n");
    }
    ck_assert_int_eq(fclose(f), 0);
}

/* 25 images of 32x32x3 in [0, 1]: coloured discs on gradients. */
static void write_test_images(const char *dir, int n)
{
    float *pixels = malloc((size_t)n * 32 * 32 * 3 * sizeof *pixels);
    ck_assert_ptr_nonnull(pixels);
    for (int i = 0; i < n; i++) {
        double cx = 8 + 16 * uniform(), cy = 8 + 16 * uniform(), r = 5 + 6 * uniform();
        double colour[3] = {uniform(), uniform(), uniform()};
        for (int y = 0; y < 32; y++)
            for (int x = 0; x < 32; x++)
                for (int c = 0; c < 3; c++) {
                    bool inside = (x - cx) * (x - cx) + (y - cy) * (y - cy) < r * r;
                    double background = (c == 2 ? y : x) / 40.0;
                    pixels[((size_t)i * 32 * 32 + (size_t)y * 32 + x) * 3 + c] =
                        (float)(inside ? colour[c] : background);
                }
    }
    char path[600];
    write_bytes(in_dir(dir, "test_images.bin", path, sizeof path), pixels, (size_t)n * 32 * 32 * 3 * sizeof *pixels);
    free(pixels);
}

/* Weights of CLASSIFICATION_CONFIG's model. The first layer's filters are
 * oriented colour edges (so the grid has something to show), the rest
 * small random numbers. */
static void write_cnn_weights(const char *dir)
{
    static const size_t conv1[4] = {3, 3, 3, 32}, dense[2] = {28 * 28 * 32, 10};
    ct_named_tensor t[6] = {
        {"conv2d/kernel", 4, {3, 3, 3, 32}, NULL}, {"conv2d/bias", 1, {32}, NULL},
        {"conv2d_1/kernel", 4, {3, 3, 32, 32}, NULL}, {"conv2d_1/bias", 1, {32}, NULL},
        {"dense/kernel", 2, {dense[0], dense[1]}, NULL}, {"dense/bias", 1, {10}, NULL}};
    for (int i = 0; i < 6; i++) {
        size_t n = ct_named_tensor_count(&t[i]);
        t[i].data = malloc(n * sizeof(float));
        ck_assert_ptr_nonnull(t[i].data);
        for (size_t k = 0; k < n; k++)
            t[i].data[k] = (float)(0.05 * normal());
    }
    for (size_t y = 0; y < conv1[0]; y++)
        for (size_t x = 0; x < conv1[1]; x++)
            for (size_t c = 0; c < conv1[2]; c++)
                for (size_t f = 0; f < conv1[3]; f++) {
                    double angle = f * M_PI / 8, along = ((double)x - 1) * cos(angle) + ((double)y - 1) * sin(angle);
                    double weight = along * (c == f % 3 ? 0.4 : -0.15) + 0.05 * normal();
                    t[0].data[((y * conv1[1] + x) * conv1[2] + c) * conv1[3] + f] = (float)weight;
                }
    char path[600];
    ck_assert_int_eq(ct_weights_write(in_dir(dir, "weights.bin", path, sizeof path), t, 6), CT_OK);
    for (int i = 0; i < 6; i++)
        free(t[i].data);
}

static void make_classification_run(const char *dir)
{
    char path[600], summary[2048];
    rng_state = 7;
    mkdir(dir, 0755);
    write_classification_history(dir);
    write_classification_predictions(dir, 500);
    write_test_images(dir, 25);
    write_cnn_weights(dir);
    write_text(in_dir(dir, "config.yaml", path, sizeof path), CLASSIFICATION_CONFIG);
    int len = snprintf(summary, sizeof summary, "task: classification\nbest_epoch: 6\nstopped_epoch: null\n"
                                                "stop_reason: completed all 10 epochs\nclass_names:\n");
    for (int c = 0; c < 10; c++)
        len += snprintf(summary + len, sizeof summary - len, "  - %s\n", CIFAR_CLASSES[c]);
    write_text(in_dir(dir, "summary.yaml", path, sizeof path), summary);
}

/* ------------------------------------------------------------ PNG checks */

/* Width and height from the IHDR chunk, after checking the signature. */
static void png_size(const char *path, int *width, int *height)
{
    static const unsigned char signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    unsigned char head[24];
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "%s was not written", path);
    ck_assert_uint_eq(fread(head, 1, sizeof head, f), sizeof head);
    fclose(f);
    ck_assert_msg(!memcmp(head, signature, 8), "%s: not a PNG signature", path);
    ck_assert_msg(!memcmp(head + 12, "IHDR", 4), "%s: the first chunk is not IHDR", path);
    *width = (int)((uint32_t)head[16] << 24 | (uint32_t)head[17] << 16 | (uint32_t)head[18] << 8 | head[19]);
    *height = (int)((uint32_t)head[20] << 24 | (uint32_t)head[21] << 16 | (uint32_t)head[22] << 8 | head[23]);
}

/* Decode with cairo and require a picture: the grey levels vary, and more
 * than a handful of colours are used. */
static void assert_not_blank(const char *path)
{
    cairo_surface_t *s = cairo_image_surface_create_from_png(path);
    ck_assert_msg(cairo_surface_status(s) == CAIRO_STATUS_SUCCESS, "%s: cairo cannot decode it: %s", path,
                  cairo_status_to_string(cairo_surface_status(s)));
    int w = cairo_image_surface_get_width(s), h = cairo_image_surface_get_height(s);
    int stride = cairo_image_surface_get_stride(s);
    const unsigned char *data = cairo_image_surface_get_data(s);
    double sum = 0, sum2 = 0;
    uint32_t seen[16];
    int distinct = 0;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            uint32_t p = ((const uint32_t *)(data + (size_t)y * stride))[x];
            double grey = 0.299 * (p >> 16 & 0xff) + 0.587 * (p >> 8 & 0xff) + 0.114 * (p & 0xff);
            sum += grey;
            sum2 += grey * grey;
            bool known = false;
            for (int i = 0; i < distinct && !known; i++)
                known = seen[i] == p;
            if (!known && distinct < 16)
                seen[distinct++] = p;
        }
    double n = (double)w * h, variance = sum2 / n - (sum / n) * (sum / n);
    cairo_surface_destroy(s);
    ck_assert_msg(variance > 50, "%s looks blank: grey variance %.1f", path, variance);
    ck_assert_msg(distinct >= 16, "%s uses only %d colours", path, distinct);
}

static void assert_svg(const char *path)
{
    char head[256] = "";
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "%s was not written", path);
    size_t n = fread(head, 1, sizeof head - 1, f);
    fclose(f);
    head[n] = '\0';
    ck_assert_msg(strstr(head, "<svg") != NULL, "%s: not an SVG document", path);
}

static void assert_error_mentions(ct_status got, ct_status expected, const char *fragment)
{
    ck_assert_msg(got == expected, "expected %s, got %s: %s", ct_status_name(expected), ct_status_name(got),
                  ct_last_error());
    ck_assert_msg(strstr(ct_last_error(), fragment) != NULL, "error \"%s\" does not mention \"%s\"",
                  ct_last_error(), fragment);
}

/* ------------------------------------------------------------ run plots */

START_TEST(regression_run_plots)
{
    make_test_dir();
    char run[600], path[700];
    in_dir(test_dir, "sunshine-20240501-101500", run, sizeof run);
    make_regression_run(run);
    ck_assert_msg(ct_plot_run(run, CT_PLOT_ALL, NULL) == CT_OK, "%s", ct_last_error());

    int w, h;
    png_size(in_dir(run, "plots/history.png", path, sizeof path), &w, &h);
    /* Two panels side by side (loss, RMSE), a title and a legend strip. */
    ck_assert_int_eq(w, 2 * 620);
    ck_assert_msg(h > 46 + 440 && h < 46 + 440 + 120, "history.png height %d", h);
    assert_not_blank(path);
    assert_svg(in_dir(run, "plots/history.svg", path, sizeof path));

    png_size(in_dir(run, "plots/predictions.png", path, sizeof path), &w, &h);
    ck_assert_int_eq(w, 640 + 110);
    ck_assert_int_eq(h, 74 + 640 + 72 + 64);
    assert_not_blank(path);
    assert_svg(in_dir(run, "plots/predictions.svg", path, sizeof path));

    /* Nothing of classification for a regression. */
    ck_assert(!file_exists(in_dir(run, "plots/confusion_matrix.png", path, sizeof path)));
    ck_assert(!file_exists(in_dir(run, "plots/test_samples.png", path, sizeof path)));
    remove_test_dir();
}
END_TEST

START_TEST(classification_run_plots)
{
    make_test_dir();
    char run[600], path[700];
    in_dir(test_dir, "cifar10_cnn-20240501-101500", run, sizeof run);
    make_classification_run(run);
    ck_assert_msg(ct_plot_run(run, CT_PLOT_ALL, NULL) == CT_OK, "%s", ct_last_error());

    int w, h;
    png_size(in_dir(run, "plots/history.png", path, sizeof path), &w, &h);
    ck_assert_int_eq(w, 2 * 620);
    assert_not_blank(path);

    png_size(in_dir(run, "plots/confusion_matrix.png", path, sizeof path), &w, &h);
    ck_assert_msg(w >= 600 && w < 1000 && h >= 600 && h < 1000, "confusion_matrix.png is %dx%d", w, h);
    assert_not_blank(path);
    assert_svg(in_dir(run, "plots/confusion_matrix.svg", path, sizeof path));

    /* 5x5 images of 32 pixels enlarged 4x, cells of 168 x (128+8+46+14). */
    png_size(in_dir(run, "plots/test_samples.png", path, sizeof path), &w, &h);
    ck_assert_int_eq(w, 2 * 16 + 5 * 168);
    ck_assert_int_eq(h, 84 + 5 * (128 + 8 + 46 + 14) + 16);
    assert_not_blank(path);

    ck_assert(!file_exists(in_dir(run, "plots/predictions.png", path, sizeof path)));
    remove_test_dir();
}
END_TEST

START_TEST(selected_plots_only)
{
    make_test_dir();
    char run[600], path[700];
    in_dir(test_dir, "run", run, sizeof run);
    make_classification_run(run);
    ck_assert_msg(ct_plot_run(run, CT_PLOT_CONFUSION_MATRIX, &(ct_plot_options){.no_svg = true}) == CT_OK, "%s",
                  ct_last_error());
    ck_assert(file_exists(in_dir(run, "plots/confusion_matrix.png", path, sizeof path)));
    ck_assert(!file_exists(in_dir(run, "plots/confusion_matrix.svg", path, sizeof path)));
    ck_assert(!file_exists(in_dir(run, "plots/history.png", path, sizeof path)));
    ck_assert(!file_exists(in_dir(run, "plots/test_samples.png", path, sizeof path)));
    ck_assert_int_eq(ct_plot_run(run, 0, NULL), CT_OK); /* output.plots: false */
    remove_test_dir();
}
END_TEST

static int written_count;
static void count_written(const char *path, void *user)
{
    (void)path;
    (void)user;
    written_count++;
}

/* `cltrain plot` works from history.csv and predictions.csv alone. */
START_TEST(plots_without_summary_or_config)
{
    make_test_dir();
    char run[600], path[700];
    in_dir(test_dir, "bare", run, sizeof run);
    make_regression_run(run);
    unlink(in_dir(run, "summary.yaml", path, sizeof path));
    unlink(in_dir(run, "config.yaml", path, sizeof path));
    written_count = 0;
    ct_plot_options o = {.written = count_written};
    ck_assert_msg(ct_plot_run(run, CT_PLOT_ALL, &o) == CT_OK, "%s", ct_last_error());
    ck_assert_int_eq(written_count, 4); /* history and predictions, PNG and SVG */
    int w, h;
    png_size(in_dir(run, "plots/history.png", path, sizeof path), &w, &h);
    assert_not_blank(path);
    remove_test_dir();
}
END_TEST

/* ------------------------------------------------------------ bad run directories */

START_TEST(missing_history_is_named_and_others_still_drawn)
{
    make_test_dir();
    char run[600], path[700];
    in_dir(test_dir, "run", run, sizeof run);
    make_regression_run(run);
    unlink(in_dir(run, "history.csv", path, sizeof path));
    assert_error_mentions(ct_plot_run(run, CT_PLOT_ALL, NULL), CT_ERR_IO, "history.csv: no such file");
    ck_assert(file_exists(in_dir(run, "plots/predictions.png", path, sizeof path)));
    remove_test_dir();
}
END_TEST

START_TEST(missing_predictions_is_named)
{
    make_test_dir();
    char run[600], path[700];
    in_dir(test_dir, "run", run, sizeof run);
    make_classification_run(run);
    unlink(in_dir(run, "predictions.csv", path, sizeof path));
    assert_error_mentions(ct_plot_run(run, CT_PLOT_ALL, NULL), CT_ERR_IO, "predictions.csv: no such file");
    ck_assert(file_exists(in_dir(run, "plots/history.png", path, sizeof path)));
    remove_test_dir();
}
END_TEST

START_TEST(missing_run_dir)
{
    make_test_dir();
    char run[600];
    in_dir(test_dir, "no-such-run", run, sizeof run);
    assert_error_mentions(ct_plot_run(run, CT_PLOT_ALL, NULL), CT_ERR_IO, "no-such-run");
    assert_error_mentions(ct_plot_filters(run, NULL), CT_ERR_IO, "no-such-run");
    remove_test_dir();
}
END_TEST

START_TEST(corrupt_history_csv)
{
    make_test_dir();
    char run[600], path[700];
    in_dir(test_dir, "run", run, sizeof run);
    make_regression_run(run);
    write_text(in_dir(run, "history.csv", path, sizeof path),
               "epoch,loss,val_loss\n0,3.5,4.0\n1,2.9,banana\n");
    assert_error_mentions(ct_plot_run(run, CT_PLOT_HISTORY, NULL), CT_ERR_PARSE, "history.csv:3");
    write_text(path, "epoch,loss\n");
    assert_error_mentions(ct_plot_run(run, CT_PLOT_HISTORY, NULL), CT_ERR_PARSE, "no epochs");
    remove_test_dir();
}
END_TEST

START_TEST(corrupt_predictions_csv)
{
    make_test_dir();
    char run[600], path[700];
    in_dir(test_dir, "run", run, sizeof run);
    make_regression_run(run);
    in_dir(run, "predictions.csv", path, sizeof path);
    write_text(path, "index,true,predicted\n0,1.5,oops\n");
    assert_error_mentions(ct_plot_run(run, CT_PLOT_PREDICTIONS, NULL), CT_ERR_DATA, "oops");
    write_text(path, "index,truth,guess\n0,1.5,2\n");
    assert_error_mentions(ct_plot_run(run, CT_PLOT_PREDICTIONS, NULL), CT_ERR_PARSE, "no column 'true'");
    write_text(path, "index,true,predicted\n0,1.5\n");
    assert_error_mentions(ct_plot_run(run, CT_PLOT_PREDICTIONS, NULL), CT_ERR_PARSE, "field");
    /* A class id beyond the p_ columns. */
    write_text(path, "index,true,predicted,p_0,p_1\n0,1,2,0.5,0.5\n");
    assert_error_mentions(ct_plot_run(run, CT_PLOT_CONFUSION_MATRIX, NULL), CT_ERR_PARSE, "class id");
    remove_test_dir();
}
END_TEST

START_TEST(corrupt_summary_and_images)
{
    make_test_dir();
    char run[600], path[700];
    in_dir(test_dir, "run", run, sizeof run);
    make_classification_run(run);
    write_text(in_dir(run, "summary.yaml", path, sizeof path), "task: [unclosed\n");
    assert_error_mentions(ct_plot_run(run, CT_PLOT_HISTORY, NULL), CT_ERR_PARSE, "summary.yaml:");
    ck_assert(file_exists(in_dir(run, "plots/history.png", path, sizeof path)));
    write_text(in_dir(run, "summary.yaml", path, sizeof path), "task: classification\nbest_epoch: soon\n");
    assert_error_mentions(ct_plot_run(run, CT_PLOT_HISTORY, NULL), CT_ERR_PARSE, "best_epoch");
    write_text(in_dir(run, "summary.yaml", path, sizeof path), "task: regression\n");
    assert_error_mentions(ct_plot_run(run, CT_PLOT_CONFUSION_MATRIX, NULL), CT_ERR_PARSE, "task regression");
    unlink(in_dir(run, "summary.yaml", path, sizeof path));
    write_bytes(in_dir(run, "test_images.bin", path, sizeof path), "0123456789", 10);
    assert_error_mentions(ct_plot_run(run, CT_PLOT_PREDICTIONS, NULL), CT_ERR_PARSE, "test_images.bin");
    remove_test_dir();
}
END_TEST

/* ------------------------------------------------------------ filters */

START_TEST(filter_grid_of_the_first_conv_layer)
{
    make_test_dir();
    char run[600], path[700];
    in_dir(test_dir, "run", run, sizeof run);
    make_classification_run(run);
    ck_assert_msg(ct_plot_filters(run, NULL) == CT_OK, "%s", ct_last_error());

    /* 32 RGB filters of 3x3, each pixel 22x22 (66-pixel tiles), 8 columns x 4 rows. */
    ct_named_tensor kernel = {"conv2d/kernel", 4, {3, 3, 3, 32}, (float[3 * 3 * 3 * 32]){0}};
    int expected_w, expected_h, w, h;
    ck_assert_int_eq(ct_plot_filter_grid_size(&kernel, &expected_w, &expected_h), CT_OK);
    png_size(in_dir(run, "plots/filters.png", path, sizeof path), &w, &h);
    ck_assert_int_eq(w, expected_w);
    ck_assert_int_eq(h, expected_h);
    ck_assert_int_ge(w, 8 * 66);
    ck_assert_int_eq(h, 82 + 4 * (66 + 20 + 12) + 16);
    assert_not_blank(path);
    assert_svg(in_dir(run, "plots/filters.svg", path, sizeof path));
    remove_test_dir();
}
END_TEST

START_TEST(filter_grid_sizes)
{
    int w, h;
    /* Greyscale input: one tile per filter; 16 filters in 6 columns, 3 rows. */
    ct_named_tensor grey = {"conv2d/kernel", 4, {5, 5, 1, 16}, (float[5 * 5 * 16]){0}};
    ck_assert_int_eq(ct_plot_filter_grid_size(&grey, &w, &h), CT_OK);
    ck_assert_int_eq(h, 82 + 3 * (65 + 20 + 12) + 16);
    /* Many input channels: a row per filter, a column per channel. */
    ct_named_tensor deep = {"conv2d_1/kernel", 4, {3, 3, 8, 4}, (float[3 * 3 * 8 * 4]){0}};
    ck_assert_int_eq(ct_plot_filter_grid_size(&deep, &w, &h), CT_OK);
    ck_assert_int_eq(h, 82 + 4 * (42 + 4) + 16);
    ck_assert_int_ge(w, 16 + 48 + 8 * (42 + 4) + 16);
    /* Not a conv kernel. */
    ct_named_tensor dense = {"dense/kernel", 2, {10, 4}, (float[40]){0}};
    assert_error_mentions(ct_plot_filter_grid_size(&dense, &w, &h), CT_ERR_INVALID_ARGUMENT, "4 dimensions");
}
END_TEST

START_TEST(filters_need_weights_and_a_conv_layer)
{
    make_test_dir();
    char run[600], path[700];
    in_dir(test_dir, "run", run, sizeof run);
    make_regression_run(run);
    assert_error_mentions(ct_plot_filters(run, NULL), CT_ERR_IO, "weights.bin: no such file");
    ct_named_tensor dense = {"dense/kernel", 2, {10, 4}, (float[40]){0}};
    ck_assert_int_eq(ct_weights_write(in_dir(run, "weights.bin", path, sizeof path), &dense, 1), CT_OK);
    assert_error_mentions(ct_plot_filters(run, NULL), CT_ERR_NOT_FOUND, "no conv layer");
    write_text(path, "CLTRAINW but then nothing sensible");
    ck_assert_int_ne(ct_plot_filters(run, NULL), CT_OK);
    ck_assert_ptr_nonnull(strstr(ct_last_error(), "weights.bin"));
    remove_test_dir();
}
END_TEST

/* ------------------------------------------------------------ images */

/* A PNG written by cairo: red left half, blue right half, w x h. */
static void write_png_halves(const char *path, int w, int h)
{
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h);
    cairo_t *cr = cairo_create(s);
    cairo_set_source_rgb(cr, 1, 0, 0);
    cairo_rectangle(cr, 0, 0, w / 2.0, h);
    cairo_fill(cr);
    cairo_set_source_rgb(cr, 0, 0, 1);
    cairo_rectangle(cr, w / 2.0, 0, w / 2.0, h);
    cairo_fill(cr);
    cairo_destroy(cr);
    ck_assert_int_eq(cairo_surface_write_to_png(s, path), CAIRO_STATUS_SUCCESS);
    cairo_surface_destroy(s);
}

/* A greyscale JPEG of a horizontal ramp, through libjpeg. */
static void write_jpeg_ramp(const char *path, int w, int h, int components)
{
    struct jpeg_compress_struct info;
    struct jpeg_error_mgr errors;
    info.err = jpeg_std_error(&errors);
    jpeg_create_compress(&info);
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    jpeg_stdio_dest(&info, f);
    info.image_width = (JDIMENSION)w;
    info.image_height = (JDIMENSION)h;
    info.input_components = components;
    info.in_color_space = components == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_set_defaults(&info);
    jpeg_set_quality(&info, 95, TRUE);
    jpeg_start_compress(&info, TRUE);
    unsigned char *row = malloc((size_t)w * components);
    ck_assert_ptr_nonnull(row);
    for (int x = 0; x < w; x++)
        for (int c = 0; c < components; c++)
            row[x * components + c] = (unsigned char)(x * 255 / (w - 1));
    while (info.next_scanline < info.image_height)
        jpeg_write_scanlines(&info, &row, 1);
    jpeg_finish_compress(&info);
    jpeg_destroy_compress(&info);
    fclose(f);
    free(row);
}

START_TEST(reads_png)
{
    make_test_dir();
    char path[700];
    write_png_halves(in_dir(test_dir, "halves.png", path, sizeof path), 40, 30);
    size_t w, h;
    float *rgb;
    ck_assert_msg(ct_image_read(path, &w, &h, &rgb) == CT_OK, "%s", ct_last_error());
    ck_assert_uint_eq(w, 40);
    ck_assert_uint_eq(h, 30);
    /* (row 5, column 3) is red, (row 5, column 35) blue. */
    const float *left = rgb + (5 * 40 + 3) * 3, *right = rgb + (5 * 40 + 35) * 3;
    ck_assert_float_eq_tol(left[0], 1, 1e-6);
    ck_assert_float_eq_tol(left[2], 0, 1e-6);
    ck_assert_float_eq_tol(right[0], 0, 1e-6);
    ck_assert_float_eq_tol(right[2], 1, 1e-6);
    free(rgb);
    remove_test_dir();
}
END_TEST

START_TEST(reads_jpeg_grey_and_colour)
{
    make_test_dir();
    char path[700];
    for (int components = 1; components <= 3; components += 2) {
        /* Named .png on purpose: the format comes from the bytes. */
        write_jpeg_ramp(in_dir(test_dir, "ramp.png", path, sizeof path), 64, 16, components);
        size_t w, h;
        float *rgb;
        ck_assert_msg(ct_image_read(path, &w, &h, &rgb) == CT_OK, "%s", ct_last_error());
        ck_assert_uint_eq(w, 64);
        ck_assert_uint_eq(h, 16);
        const float *first = rgb + (8 * 64 + 0) * 3, *last = rgb + (8 * 64 + 63) * 3;
        for (int c = 0; c < 3; c++) { /* grey comes back as R = G = B */
            ck_assert_float_eq_tol(first[c], 0, 0.04);
            ck_assert_float_eq_tol(last[c], 1, 0.04);
        }
        free(rgb);
    }
    remove_test_dir();
}
END_TEST

START_TEST(unreadable_images)
{
    make_test_dir();
    char path[700];
    size_t w, h;
    float *rgb = NULL;
    assert_error_mentions(ct_image_read(in_dir(test_dir, "missing.png", path, sizeof path), &w, &h, &rgb), CT_ERR_IO,
                          "cannot open image");
    write_text(in_dir(test_dir, "picture.gif", path, sizeof path), "GIF89a....");
    assert_error_mentions(ct_image_read(path, &w, &h, &rgb), CT_ERR_PARSE, "not a PNG or JPEG image");
    write_text(in_dir(test_dir, "empty.png", path, sizeof path), "");
    assert_error_mentions(ct_image_read(path, &w, &h, &rgb), CT_ERR_PARSE, "empty file");
    /* A PNG cut after its header. */
    write_png_halves(in_dir(test_dir, "cut.png", path, sizeof path), 40, 30);
    ck_assert_int_eq(truncate(path, 60), 0);
    assert_error_mentions(ct_image_read(path, &w, &h, &rgb), CT_ERR_PARSE, "cut.png");
    /* A JPEG cut in its header. */
    write_jpeg_ramp(in_dir(test_dir, "cut.jpg", path, sizeof path), 64, 16, 3);
    ck_assert_int_eq(truncate(path, 20), 0);
    assert_error_mentions(ct_image_read(path, &w, &h, &rgb), CT_ERR_PARSE, "corrupt JPEG");
    ck_assert_ptr_null(rgb);
    remove_test_dir();
}
END_TEST

START_TEST(resize_keeps_flat_images_flat)
{
    float in[7 * 5 * 3];
    for (size_t i = 0; i < sizeof in / sizeof in[0]; i++)
        in[i] = 0.25f;
    float *out;
    ck_assert_int_eq(ct_image_resize(in, 7, 5, 3, 32, 32, &out), CT_OK);
    for (size_t i = 0; i < 32 * 32 * 3; i++)
        ck_assert_float_eq_tol(out[i], 0.25f, 1e-6);
    free(out);
    ck_assert_int_eq(ct_image_resize(in, 7, 5, 3, 2, 3, &out), CT_OK);
    for (size_t i = 0; i < 2 * 3 * 3; i++)
        ck_assert_float_eq_tol(out[i], 0.25f, 1e-6);
    free(out);
}
END_TEST

START_TEST(resize_interpolates_and_averages)
{
    /* Upscaling 0 | 1 (one row, two pixels) to four: half-pixel centres
     * give 0, 0.25, 0.75, 1 (edges clamp). */
    float two[2] = {0, 1}, *out;
    ck_assert_int_eq(ct_image_resize(two, 2, 1, 1, 4, 1, &out), CT_OK);
    ck_assert_float_eq_tol(out[0], 0, 1e-6);
    ck_assert_float_eq_tol(out[1], 0.25, 1e-6);
    ck_assert_float_eq_tol(out[2], 0.75, 1e-6);
    ck_assert_float_eq_tol(out[3], 1, 1e-6);
    free(out);
    /* Shrinking a fine checkerboard 8x: the filter averages, it does not
     * sample one square (plain bilinear would give 0 or 1). */
    float board[64 * 64];
    for (int y = 0; y < 64; y++)
        for (int x = 0; x < 64; x++)
            board[y * 64 + x] = (float)((x + y) % 2);
    ck_assert_int_eq(ct_image_resize(board, 64, 64, 1, 8, 8, &out), CT_OK);
    for (int i = 0; i < 64; i++)
        ck_assert_float_eq_tol(out[i], 0.5, 0.05);
    free(out);
    /* Size 1 to 1 is the identity. */
    float one[3] = {0.1f, 0.2f, 0.3f};
    ck_assert_int_eq(ct_image_resize(one, 1, 1, 3, 1, 1, &out), CT_OK);
    ck_assert_float_eq_tol(out[2], 0.3, 1e-6);
    free(out);
    assert_error_mentions(ct_image_resize(one, 1, 1, 3, 0, 4, &out), CT_ERR_INVALID_ARGUMENT, "cannot resize");
}
END_TEST

/* ------------------------------------------------------------ feature maps (device) */

START_TEST(feature_maps_on_each_device)
{
    make_test_dir();
    char run[600], path[700], image[700];
    in_dir(test_dir, "run", run, sizeof run);
    make_classification_run(run);
    write_png_halves(in_dir(test_dir, "photo.png", image, sizeof image), 75, 50); /* any size */
    ct_device_info *devices;
    size_t n = test_devices(&devices);
    for (size_t d = 0; d < n; d++) {
        ct_context *ctx;
        ck_assert_msg(ct_context_create(&devices[d], &ctx) == CT_OK, "%s", ct_last_error());
        ct_status s = ct_plot_feature_maps(run, ctx, image, &(ct_plot_options){.no_svg = true});
        ck_assert_msg(s == CT_OK, "%s: %s", devices[d].name, ct_last_error());
        int w, h;
        /* 32 maps of 30x30 (then 28x28) in 8 columns x 4 rows, enlarged 2x. */
        png_size(in_dir(run, "plots/feature_maps_conv2d.png", path, sizeof path), &w, &h);
        ck_assert_int_eq(h, 84 + 4 * (60 + 20 + 10) + 16);
        assert_not_blank(path);
        png_size(in_dir(run, "plots/feature_maps_conv2d_1.png", path, sizeof path), &w, &h);
        ck_assert_int_eq(h, 84 + 4 * (56 + 20 + 10) + 16);

        /* An image that cannot be read is named. */
        assert_error_mentions(ct_plot_feature_maps(run, ctx, in_dir(test_dir, "nope.jpg", path, sizeof path), NULL),
                              CT_ERR_IO, "nope.jpg");
        ct_context_destroy(ctx);
    }
    free(devices);
    remove_test_dir();
}
END_TEST

/* The first conv layer's maps from the device equal a plain convolution of
 * the input with the saved kernel and bias, then ReLU: the weights were
 * loaded by name into the right places. */
START_TEST(feature_maps_match_a_host_convolution)
{
    make_test_dir();
    char run[600], path[700];
    in_dir(test_dir, "run", run, sizeof run);
    make_classification_run(run);
    ct_experiment *exp;
    ck_assert_int_eq(ct_experiment_parse_string(CLASSIFICATION_CONFIG, "config.yaml", &exp), CT_OK);
    ct_named_tensor *weights;
    size_t n_weights;
    ck_assert_int_eq(ct_weights_read(in_dir(run, "weights.bin", path, sizeof path), &weights, &n_weights), CT_OK);
    const float *kernel = weights[0].data, *bias = weights[1].data; /* conv2d/kernel, conv2d/bias */
    float input[32 * 32 * 3];
    for (size_t i = 0; i < 32 * 32 * 3; i++)
        input[i] = (float)uniform();

    ct_device_info *devices;
    size_t n = test_devices(&devices);
    for (size_t d = 0; d < n; d++) {
        ct_context *ctx;
        ck_assert_msg(ct_context_create(&devices[d], &ctx) == CT_OK, "%s", ct_last_error());
        float *maps;
        size_t shape[3];
        char name[64];
        ct_status s = feature_maps_forward(ctx, exp, weights, n_weights, path, 0, input, &maps, shape, name,
                                           sizeof name);
        ck_assert_msg(s == CT_OK, "%s: %s", devices[d].name, ct_last_error());
        ck_assert_str_eq(name, "conv2d");
        ck_assert_uint_eq(shape[0], 30);
        ck_assert_uint_eq(shape[1], 30);
        ck_assert_uint_eq(shape[2], 32);
        double worst = 0;
        for (size_t y = 0; y < 30; y++)
            for (size_t x = 0; x < 30; x++)
                for (size_t f = 0; f < 32; f++) {
                    double sum = bias[f];
                    for (size_t ky = 0; ky < 3; ky++)
                        for (size_t kx = 0; kx < 3; kx++)
                            for (size_t c = 0; c < 3; c++)
                                sum += (double)input[((y + ky) * 32 + x + kx) * 3 + c] *
                                       kernel[((ky * 3 + kx) * 3 + c) * 32 + f];
                    double expected = sum > 0 ? sum : 0;
                    double diff = fabs(maps[(y * 30 + x) * 32 + f] - expected);
                    worst = diff > worst ? diff : worst;
                }
        ck_assert_msg(worst < 1e-4, "%s: feature maps differ from the host convolution by %g", devices[d].name,
                      worst);
        free(maps);
        ct_context_destroy(ctx);
    }
    free(devices);
    ct_weights_free(weights, n_weights);
    ct_experiment_free(exp);
    remove_test_dir();
}
END_TEST

START_TEST(feature_maps_need_an_image_model)
{
    make_test_dir();
    char run[600], image[700];
    in_dir(test_dir, "run", run, sizeof run);
    make_regression_run(run);
    write_png_halves(in_dir(test_dir, "photo.png", image, sizeof image), 20, 20);
    ct_device_info *devices;
    test_devices(&devices);
    ct_context *ctx;
    ck_assert_msg(ct_context_create(&devices[0], &ctx) == CT_OK, "%s", ct_last_error());
    assert_error_mentions(ct_plot_feature_maps(run, ctx, image, NULL), CT_ERR_CONFIG, "need an image model");
    ct_context_destroy(ctx);
    free(devices);
    remove_test_dir();
}
END_TEST

/* ------------------------------------------------------------ sweep plots */

/* Pixels of colour rgb (within 40 per channel) in rows [y0, y1) and columns [x0, x1). */
static size_t count_colour(cairo_surface_t *s, uint32_t rgb, int x0, int x1, int y0, int y1)
{
    int stride = cairo_image_surface_get_stride(s);
    const unsigned char *data = cairo_image_surface_get_data(s);
    size_t n = 0;
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++) {
            uint32_t p = ((const uint32_t *)(data + (size_t)y * stride))[x];
            int dr = (int)(p >> 16 & 0xff) - (int)(rgb >> 16 & 0xff), dg = (int)(p >> 8 & 0xff) - (int)(rgb >> 8 & 0xff),
                db = (int)(p & 0xff) - (int)(rgb & 0xff);
            n += abs(dr) < 40 && abs(dg) < 40 && abs(db) < 40;
        }
    return n;
}

/* Not white: drawn on. */
static size_t count_ink(cairo_surface_t *s, int x0, int x1, int y0, int y1)
{
    return (size_t)(x1 - x0) * (size_t)(y1 - y0) - count_colour(s, 0xffffff, x0, x1, y0, y1);
}

START_TEST(sweep_plot_titles_fit_and_the_smallest_is_ringed)
{
    make_test_dir();
    /* A Pareto front of parameter counts, as src/sweep/ passes it. */
    const double x[] = {168, 171, 180, 529, 5481, 21501, 16503};
    const double val[] = {4.2619, 4.1837, 2.9767, 2.9409, 2.9112, 2.8962, 4.2621};
    const double test[] = {4.63, 4.54, 3.11, 3.34, 3.20, 3.19, 4.63};
    const double line_x[] = {168, 171, 180, 529, 5481, 21501}, line_y[] = {4.2619, 4.1837, 2.9767, 2.9409, 2.9112, 2.8962};
    char title[400];
    snprintf(title, sizeof title, "%s: validation RMSE against units of layer 0 (dense) on a log scale",
             "a_sweep_with_a_name_long_enough_to_run_past_any_figure");
    ct_sweep_plot p = {.title = title,
                       .subtitle = "7 points; the steps: the best validation RMSE at this size or smaller (lower is "
                                   "better), a subtitle that is also much too long for the width of the figure",
                       .xlabel = "parameters (log scale)",
                       .ylabel = "validation RMSE",
                       .x = x,
                       .validation = val,
                       .test = test,
                       .n = 7,
                       .line_x = line_x,
                       .line_y = line_y,
                       .line_n = 6,
                       .line_steps = true,
                       .line_label = "best at this size or smaller",
                       .has_baseline = true,
                       .baseline = 3.63,
                       .baseline_label = "persistence (BASEL_sunshine) 3.63",
                       .has_highlight = true,
                       .highlight_x = 180,
                       .highlight_y = 2.9767,
                       .highlight_label = "smallest beating the baseline: 180 parameters, 2.977",
                       .log_x = true};
    char path[700];
    in_dir(test_dir, "sweep.png", path, sizeof path);
    ck_assert_msg(ct_plot_sweep(path, &p, NULL) == CT_OK, "%s", ct_last_error());
    cairo_surface_t *s = cairo_image_surface_create_from_png(path);
    ck_assert_int_eq(cairo_surface_status(s), CAIRO_STATUS_SUCCESS);
    int w = cairo_image_surface_get_width(s);
    ck_assert_int_eq(w, 820);
    /* The heading (rows 0-70) is drawn, and stays off the figure's edges:
     * shrunk and cut rather than clipped by them. */
    ck_assert_uint_gt(count_ink(s, 0, w, 0, 40), 1000);
    ck_assert_uint_gt(count_ink(s, 0, w, 40, 70), 500);
    ck_assert_uint_eq(count_ink(s, 0, 8, 0, 70), 0);
    ck_assert_uint_eq(count_ink(s, w - 8, w, 0, 70), 0);
    /* The ring (Okabe-Ito bluish green, nothing else uses it): on the plot and in the legend. */
    ck_assert_uint_gt(count_colour(s, 0x009E73, 0, w, 74, 74 + 520), 40);
    ck_assert_uint_gt(count_colour(s, 0x009E73, 0, w, 74 + 520, cairo_image_surface_get_height(s)), 20);
    cairo_surface_destroy(s);

    /* Without a point to call out, no ring. */
    p.has_highlight = false;
    ck_assert_msg(ct_plot_sweep(path, &p, NULL) == CT_OK, "%s", ct_last_error());
    s = cairo_image_surface_create_from_png(path);
    ck_assert_uint_eq(count_colour(s, 0x009E73, 0, w, 0, cairo_image_surface_get_height(s)), 0);
    cairo_surface_destroy(s);
    remove_test_dir();
}
END_TEST

START_TEST(fitted_text_and_short_labels)
{
    cairo_surface_t *surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 400, 40);
    cairo_t *cr = cairo_create(surface);
    text_font(cr, 20, true);
    const char *shortest = "RMSE", *longer = "validation RMSE vs parameters, and more",
               *longest = "validation root mean squared error against the parameter count of the model";
    double natural = text_width(cr, longer);
    /* Fits: drawn as it is. */
    ck_assert_double_eq(text_draw_fitted(cr, 0, 0, shortest, 300, TEXT_START, TEXT_START), text_width(cr, shortest));
    /* A little too wide: a smaller font, no cut. */
    double shrunk = text_draw_fitted(cr, 0, 0, longer, natural * 0.9, TEXT_START, TEXT_START);
    ck_assert_double_le(shrunk, natural * 0.9);
    ck_assert_double_ge(shrunk, natural * 0.85);
    /* Far too wide: the smallest font allowed, cut with an ellipsis. */
    double cut = text_draw_fitted(cr, 0, 0, longest, 200, TEXT_START, TEXT_START);
    ck_assert_double_le(cut, 200);
    ck_assert_double_ge(cut, 150);
    /* The current font is left as it was. */
    ck_assert_double_eq(text_width(cr, longer), natural);
    cairo_destroy(cr);
    cairo_surface_destroy(surface);

    char buf[160];
    quantity_short_label("val_root_mean_squared_error", buf, sizeof buf);
    ck_assert_str_eq(buf, "validation RMSE");
    quantity_short_label("test_accuracy", buf, sizeof buf);
    ck_assert_str_eq(buf, "test accuracy");
    quantity_short_label("val_my_metric", buf, sizeof buf);
    ck_assert_str_eq(buf, "validation my metric");
    quantity_short_label("mean_absolute_error", buf, sizeof buf);
    ck_assert_str_eq(buf, "MAE");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("plot");
    TCase *runs = tcase_create("run plots");
    tcase_add_test(runs, regression_run_plots);
    tcase_add_test(runs, classification_run_plots);
    tcase_add_test(runs, selected_plots_only);
    tcase_add_test(runs, plots_without_summary_or_config);
    tcase_add_test(runs, missing_history_is_named_and_others_still_drawn);
    tcase_add_test(runs, missing_predictions_is_named);
    tcase_add_test(runs, missing_run_dir);
    tcase_add_test(runs, corrupt_history_csv);
    tcase_add_test(runs, corrupt_predictions_csv);
    tcase_add_test(runs, corrupt_summary_and_images);
    tcase_add_test(runs, sweep_plot_titles_fit_and_the_smallest_is_ringed);
    tcase_add_test(runs, fitted_text_and_short_labels);
    suite_add_tcase(s, runs);

    TCase *filters = tcase_create("filters");
    tcase_add_test(filters, filter_grid_of_the_first_conv_layer);
    tcase_add_test(filters, filter_grid_sizes);
    tcase_add_test(filters, filters_need_weights_and_a_conv_layer);
    suite_add_tcase(s, filters);

    TCase *images = tcase_create("images");
    tcase_add_test(images, reads_png);
    tcase_add_test(images, reads_jpeg_grey_and_colour);
    tcase_add_test(images, unreadable_images);
    tcase_add_test(images, resize_keeps_flat_images_flat);
    tcase_add_test(images, resize_interpolates_and_averages);
    suite_add_tcase(s, images);

    TCase *device = tcase_create("feature maps");
    tcase_set_timeout(device, 1200); /* kernel compiles on PoCL */
    tcase_add_test(device, feature_maps_on_each_device);
    tcase_add_test(device, feature_maps_match_a_host_convolution);
    tcase_add_test(device, feature_maps_need_an_image_model);
    suite_add_tcase(s, device);

    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
