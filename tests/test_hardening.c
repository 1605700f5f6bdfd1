/* Regression tests for the defects of issue #13's hardening audit: a run
 * owns its directory (--overwrite), stale temporary files of killed runs,
 * NaN weights (refused when loaded, never kept as "best"), the NaN guard
 * keeping the best epoch's weights, misleading messages, non-finite and
 * oversized inputs to predict, a full disk, and device memory exhaustion. */
#include <check.h>
#include <dirent.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jpeglib.h>

#include "cltrain/data.h"
#include "cltrain/report.h"
#include "run/memory_check.h"
#include "run/predict.h"
#include "run/run_files.h"
#include "run/run.h"
#include "run/run_dir.h"
#include "test_tmp.h"

static char tmp[512];

static void make_tmp(const char *what) { test_tmp_make(tmp, sizeof tmp, "hardening", what); }

static const char *in_tmp(const char *name, char *buf, size_t size)
{
    ck_assert_int_lt(snprintf(buf, size, "%s/%s", tmp, name), (int)size);
    return buf;
}

static int exists(const char *dir, const char *name)
{
    char path[2048];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return stat(path, &st) == 0;
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

#define CHECK_OK(expr) ck_assert_msg((expr) == CT_OK, "%s: %s", #expr, ct_last_error())
#define CHECK_FAILS(expr, code, needle)                                                                      \
    do {                                                                                                     \
        ct_status got_ = (expr);                                                                             \
        ck_assert_msg(got_ == (code), "%s: got %s (%s)", #expr, ct_status_name(got_), ct_last_error());     \
        ck_assert_msg(strstr(ct_last_error(), (needle)), "\"%s\" lacks \"%s\"", ct_last_error(), (needle)); \
    } while (0)

/* y = 2 a - b; 200 rows. */
static void write_csv(const char *path)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "a,b,y\n");
    for (int i = 0; i < 200; i++) {
        double a = sin(i * 0.37), b = cos(i * 0.11);
        fprintf(f, "%.6f,%.6f,%.6f\n", a, b, 2 * a - b);
    }
    fclose(f);
}

static ct_experiment *experiment(const char *train, const char *extra)
{
    char yaml[2048];
    snprintf(yaml, sizeof yaml,
             "name: tiny\nseed: 1\n"
             "data:\n  csv:\n    file: tiny.csv\n    features: {drop: [y]}\n    target: {column: y, shift: 0}\n"
             "    split: {train: 0.6, validation: 0.2, test: 0.2}\n"
             "model:\n  - dense: {units: 8, activation: relu}\n  - dense: {units: 1}\n"
             "train: {loss: mse, batch_size: 16, %s}\n%s",
             train, extra);
    ct_experiment *exp;
    CHECK_OK(ct_experiment_parse_string(yaml, "tiny.yaml", &exp));
    CHECK_OK(ct_experiment_validate(exp));
    return exp;
}

static ct_status run_into(const char *train, const char *extra, const char *out, bool overwrite)
{
    char csv[700];
    write_csv(in_tmp("tiny.csv", csv, sizeof csv));
    ct_experiment *exp = experiment(train, extra);
    ct_run_options o = {.data_dir = tmp, .out_dir = out, .overwrite = overwrite,
                        .device_spec = getenv("CLTRAIN_TEST_DEVICE")};
    char *dir = NULL;
    ct_status s = ct_run_experiment(exp, &o, &dir);
    free(dir);
    ct_experiment_free(exp);
    return s;
}

/* ------------------------------------------------------ run directories */

START_TEST(test_run_refuses_a_used_directory)
{
    make_tmp("reuse");
    char out[700];
    in_tmp("out", out, sizeof out);
    CHECK_OK(run_into("epochs: 2", "", out, false));
    ck_assert(exists(out, "weights.bin"));
    /* A second run into it is refused before it writes anything. */
    char errors[700];
    CHECK_FAILS(run_into("epochs: 3", "", out, false), CT_ERR_CONFIG, "already holds files");
    snprintf(errors, sizeof errors, "%s", ct_last_error());
    ck_assert_msg(strstr(errors, "--overwrite"), "%s", errors);
    ct_history *h;
    char path[1024];
    snprintf(path, sizeof path, "%s/history.csv", out);
    CHECK_OK(ct_history_read_csv(path, &h));
    ck_assert_uint_eq(ct_history_rows(h), 2); /* the first run's, untouched */
    ct_history_free(h);

    /* --overwrite replaces the run files and leaves other files alone. */
    write_text(in_tmp("out/notes.txt", path, sizeof path), "mine\n");
    mkdir(in_tmp("out/plots", path, sizeof path), 0755);
    write_text(in_tmp("out/plots/old_filters.png", path, sizeof path), "old picture");
    CHECK_OK(run_into("epochs: 3", "", out, true));
    ck_assert(exists(out, "notes.txt"));
    ck_assert(!exists(out, "plots/old_filters.png"));
    snprintf(path, sizeof path, "%s/history.csv", out);
    CHECK_OK(ct_history_read_csv(path, &h));
    ck_assert_uint_eq(ct_history_rows(h), 3);
    ct_history_free(h);

    /* A file where the folder should be. */
    write_text(in_tmp("plain", path, sizeof path), "x");
    CHECK_FAILS(ct_run_dir_claim(path, true), CT_ERR_CONFIG, "is a file");

    /* A folder that cannot be made: no run directory is reported (the CLI
     * said "what the run wrote before stopping is in DIR" of it). */
    char csv[700], bad[700];
    write_csv(in_tmp("tiny.csv", csv, sizeof csv));
    ct_experiment *exp = experiment("epochs: 1", "");
    ct_run_options o = {.data_dir = tmp, .out_dir = in_tmp("plain/sub", bad, sizeof bad),
                        .device_spec = getenv("CLTRAIN_TEST_DEVICE")};
    char *dir = NULL;
    ck_assert_int_ne(ct_run_experiment(exp, &o, &dir), CT_OK);
    ck_assert_msg(strstr(ct_last_error(), "plain"), "%s", ct_last_error());
    ck_assert_ptr_null(dir);
    ct_experiment_free(exp);
}
END_TEST

START_TEST(test_stale_temporary_files_are_removed)
{
    make_tmp("stale");
    char dir[700], path[1024];
    in_tmp("run", dir, sizeof dir);
    mkdir(dir, 0755);
    /* A child that exits: its pid then names no process. */
    pid_t child = fork();
    if (child == 0)
        _exit(0);
    waitpid(child, NULL, 0);
    snprintf(path, sizeof path, "%s/.history.csv.%ld-3.tmp", dir, (long)child);
    write_text(path, "half an epoch");
    snprintf(path, sizeof path, "%s/.weights.bin.%ld-0.tmp", dir, (long)getppid()); /* alive: kept */
    write_text(path, "being written");
    snprintf(path, sizeof path, "%s/.hidden.tmp", dir); /* not a temporary file of ours */
    write_text(path, "x");
    size_t removed = 0;
    CHECK_OK(ct_atomic_remove_stale(dir, &removed));
    ck_assert_uint_eq(removed, 1);
    snprintf(path, sizeof path, ".history.csv.%ld-3.tmp", (long)child);
    ck_assert(!exists(dir, path));
    snprintf(path, sizeof path, ".weights.bin.%ld-0.tmp", (long)getppid());
    ck_assert(exists(dir, path));
    ck_assert(exists(dir, ".hidden.tmp"));

    /* A folder that holds only a killed run's temporary file counts as empty. */
    char fresh[700];
    in_tmp("fresh", fresh, sizeof fresh);
    mkdir(fresh, 0755);
    snprintf(path, sizeof path, "%s/.history.csv.%ld-0.tmp", fresh, (long)child);
    write_text(path, "x");
    CHECK_OK(ct_run_dir_claim(fresh, false));
    snprintf(path, sizeof path, ".history.csv.%ld-0.tmp", (long)child);
    ck_assert(!exists(fresh, path));
}
END_TEST

/* SIGKILL at random moments of a run that rewrites history.csv every
 * epoch: reopening the folder (a new run with --overwrite) leaves no
 * temporary file behind. */
START_TEST(test_sigkill_leaves_no_temporary_files)
{
    make_tmp("kill");
    char out[700], csv[700];
    in_tmp("out", out, sizeof out);
    write_csv(in_tmp("tiny.csv", csv, sizeof csv));
    int leftovers_seen = 0;
    for (int k = 0; k < 12; k++) {
        pid_t child = fork();
        if (child == 0) {
            ct_experiment *exp = experiment("epochs: 100000", "");
            ct_run_options o = {.data_dir = tmp, .out_dir = out, .overwrite = true,
                                .device_spec = getenv("CLTRAIN_TEST_DEVICE")};
            char *dir = NULL;
            ct_run_experiment(exp, &o, &dir);
            _exit(0);
        }
        usleep(200000 + 37000 * (unsigned)k); /* after the device start-up, at varied moments */
        kill(child, SIGKILL);
        waitpid(child, NULL, 0);
        DIR *d = opendir(out);
        if (d) {
            struct dirent *e;
            while ((e = readdir(d)) != NULL)
                leftovers_seen += strstr(e->d_name, ".tmp") != NULL;
            closedir(d);
        }
        CHECK_OK(ct_run_dir_claim(out, true));
        d = opendir(out);
        ck_assert_ptr_nonnull(d);
        struct dirent *e;
        while ((e = readdir(d)) != NULL)
            ck_assert_msg(!strstr(e->d_name, ".tmp"), "%s left in %s", e->d_name, out);
        closedir(d);
    }
    (void)leftovers_seen; /* how many kills hit a write: timing, not asserted */
}
END_TEST

/* ------------------------------------------------------------- NaN */

/* SGD at 2.0 on this net diverges in its fifth epoch (checked: epoch 1's
 * validation loss is finite); with restore_best_weights the run stops with
 * an error that names the epoch and keeps epoch 1's finite weights. */
START_TEST(test_nan_guard_keeps_best_weights)
{
    make_tmp("nan");
    char out[700], path[1024];
    in_tmp("out", out, sizeof out);
    const char *train = "epochs: 20, optimizer: {sgd: {learning_rate: 2.0}}";
    const char *es = "callbacks:\n  early_stopping: {monitor: val_loss, patience: 100, restore_best_weights: true}\n";
    ct_status s = run_into(train, es, out, false);
    ck_assert_msg(s == CT_ERR_NUMERIC, "%s: %s", ct_status_name(s), ct_last_error());
    char message[1024];
    snprintf(message, sizeof message, "%s", ct_last_error());
    ck_assert_msg(strstr(message, "at epoch "), "%s", message);
    if (strstr(message, "no weights were written")) {
        /* Diverged in epoch 1: nothing to keep, and nothing kept. */
        ck_assert(!exists(out, "weights.bin"));
        ck_abort_msg("the test wants a divergence after epoch 1: %s", message);
    }
    ck_assert_msg(strstr(message, "kept the weights of epoch "), "%s", message);
    ck_assert(exists(out, "weights.bin"));
    ct_named_tensor *t;
    size_t n;
    snprintf(path, sizeof path, "%s/weights.bin", out);
    CHECK_OK(ct_weights_read(path, &t, &n));
    CHECK_OK(ct_weights_check_finite(path, t, n));
    ct_weights_free(t, n);

    /* Without restore_best_weights no weights are written at all. */
    in_tmp("out2", out, sizeof out);
    s = run_into(train, "", out, false);
    ck_assert_int_eq(s, CT_ERR_NUMERIC);
    ck_assert_msg(strstr(ct_last_error(), "no weights were written"), "%s", ct_last_error());
    ck_assert(!exists(out, "weights.bin"));
}
END_TEST

/* The per-epoch check of the weights: one NaN in a kernel is found and
 * named (the loss can stay finite while a weight is not). */
START_TEST(test_weights_check_names_the_tensor)
{
    ct_device_info info;
    ct_context *ctx;
    CHECK_OK(ct_device_find(ct_device_spec_from_env(getenv("CLTRAIN_TEST_DEVICE")), &info));
    CHECK_OK(ct_context_create(&info, &ctx));
    ct_experiment *exp = experiment("epochs: 1", "");
    size_t in_shape[1] = {2};
    ct_model *m;
    CHECK_OK(ct_model_create(ctx, &exp->model, 1, in_shape, 16, 1, &m));
    CHECK_OK(ct_run_check_weights_finite(m, 0));
    const char *name;
    ct_tensor view;
    CHECK_OK(ct_model_tensor(m, 2, &name, &view));
    ck_assert_str_eq(name, "dense_1/kernel");
    float values[8];
    CHECK_OK(ct_tensor_read(ctx, &view, values));
    values[6] = NAN;
    CHECK_OK(ct_tensor_write(ctx, &view, values));
    CHECK_FAILS(ct_run_check_weights_finite(m, 4), CT_ERR_NUMERIC,
                "the weights became NaN or infinite at epoch 5 ('dense_1/kernel': 1 of 8 values)");
    ct_model_free(m);
    ct_experiment_free(exp);
    ct_context_destroy(ctx);
}
END_TEST

/* A weights.bin with NaN and a valid CRC: evaluate and predict refuse it,
 * naming the tensor. */
START_TEST(test_nan_weights_are_refused)
{
    make_tmp("nanweights");
    char out[700], path[1024];
    in_tmp("out", out, sizeof out);
    CHECK_OK(run_into("epochs: 1", "", out, false));
    snprintf(path, sizeof path, "%s/weights.bin", out);
    ct_named_tensor *t;
    size_t n;
    CHECK_OK(ct_weights_read(path, &t, &n));
    CHECK_OK(ct_weights_check_finite(path, t, n));
    ck_assert_str_eq(t[2].name, "dense_1/kernel");
    t[2].data[3] = NAN;
    t[2].data[5] = INFINITY;
    CHECK_OK(ct_weights_write(path, t, n));
    ct_weights_free(t, n);
    CHECK_FAILS(ct_weights_read(path, &t, &n) == CT_OK ? ct_weights_check_finite(path, t, n) : CT_ERR_IO,
                CT_ERR_NUMERIC, "tensor 'dense_1/kernel' holds 2 NaN or infinite values of 8 (the first at index 3)");
    ct_weights_free(t, n);

    ct_run_options o = {.data_dir = tmp, .device_spec = getenv("CLTRAIN_TEST_DEVICE")};
    ct_run run;
    CHECK_FAILS(ct_run_open(out, &o, &run), CT_ERR_NUMERIC, "dense_1/kernel");

    ct_device_info info;
    ct_context *ctx;
    CHECK_OK(ct_device_find(ct_device_spec_from_env(getenv("CLTRAIN_TEST_DEVICE")), &info));
    CHECK_OK(ct_context_create(&info, &ctx));
    ct_predictor *p = NULL;
    CHECK_FAILS(ct_predictor_open(out, ctx, &p), CT_ERR_NUMERIC, "dense_1/kernel");
    ct_context_destroy(ctx);
}
END_TEST

/* ------------------------------------------------------------- predict */

START_TEST(test_predict_rejects_bad_inputs)
{
    make_tmp("predict");
    char out[700], path[1024];
    in_tmp("out", out, sizeof out);
    CHECK_OK(run_into("epochs: 1", "", out, false));
    /* As if training had standardised b by a scale of 0.5. */
    snprintf(path, sizeof path, "%s/features.csv", out);
    write_text(path, "feature,mean,scale\na,0,1\nb,0,0.5\n");
    ct_device_info info;
    ct_context *ctx;
    CHECK_OK(ct_device_find(ct_device_spec_from_env(getenv("CLTRAIN_TEST_DEVICE")), &info));
    CHECK_OK(ct_context_create(&info, &ctx));
    ct_predictor *p;
    CHECK_OK(ct_predictor_open(out, ctx, &p));
    ct_prediction pr;

    /* 1e300 overflows float: rejected, naming the row and column (it was
     * inf, and a finite prediction came out). */
    write_text(in_tmp("big.csv", path, sizeof path), "a,b\n0.5,0.25\n1e300,0\n");
    CHECK_FAILS(ct_predict_file(p, path, &pr), CT_ERR_DATA, "big.csv:3: row 1, column a: 1e+300 does not fit");
    /* 3e38 fits a float, but not once divided by b's scale. */
    write_text(path, "a,b\n0.5,3e38\n");
    CHECK_FAILS(ct_predict_file(p, path, &pr), CT_ERR_DATA, "big.csv:2: row 0, column b: 3e+38 is too far");

    /* A folder is a folder, not "an empty file". */
    CHECK_FAILS(ct_predict_file(p, tmp, &pr), CT_ERR_IO, "is a folder");
    ck_assert_ptr_null(strstr(ct_last_error(), "empty"));
    ct_predictor_free(p);
    ct_context_destroy(ctx);

    /* evaluate of a run without any weights (weights.bin, checkpoint.bin)
     * says so before loading data: the data file is gone here, so loading
     * it first would fail differently. */
    const char *gone[] = {"weights.bin", "checkpoint.bin", "best.weights.bin"};
    for (size_t i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s", out, gone[i]);
        unlink(path);
    }
    in_tmp("tiny.csv", path, sizeof path);
    unlink(path);
    ct_run_options o = {.data_dir = tmp, .device_spec = getenv("CLTRAIN_TEST_DEVICE")};
    ct_run run;
    ck_assert_int_ne(ct_run_open(out, &o, &run), CT_OK);
    ck_assert_msg(strstr(ct_last_error(), "weights") && !strstr(ct_last_error(), "tiny.csv"), "%s", ct_last_error());
}
END_TEST

/* ------------------------------------------------------------- images */

static uint32_t crc32_of(const unsigned char *p, size_t n, uint32_t crc)
{
    crc = ~crc;
    for (size_t i = 0; i < n; i++) {
        crc ^= p[i];
        for (int k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
    }
    return ~crc;
}

static void put_chunk(FILE *f, const char *type, const unsigned char *data, uint32_t len)
{
    unsigned char head[8] = {(unsigned char)(len >> 24), (unsigned char)(len >> 16), (unsigned char)(len >> 8),
                             (unsigned char)len, (unsigned char)type[0], (unsigned char)type[1],
                             (unsigned char)type[2], (unsigned char)type[3]};
    fwrite(head, 1, 8, f);
    fwrite(data, 1, len, f);
    uint32_t crc = crc32_of(data, len, crc32_of(head + 4, 4, 0));
    unsigned char tail[4] = {(unsigned char)(crc >> 24), (unsigned char)(crc >> 16), (unsigned char)(crc >> 8),
                             (unsigned char)crc};
    fwrite(tail, 1, 4, f);
}

/* The header of a side x side greyscale PNG, with a token IDAT: the reader
 * must refuse it from the header, before decoding or allocating. */
static void write_png_header(const char *path, uint32_t side)
{
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    fwrite(sig, 1, 8, f);
    unsigned char ihdr[13] = {(unsigned char)(side >> 24), (unsigned char)(side >> 16), (unsigned char)(side >> 8),
                              (unsigned char)side, (unsigned char)(side >> 24), (unsigned char)(side >> 16),
                              (unsigned char)(side >> 8), (unsigned char)side, 8, 0, 0, 0, 0};
    put_chunk(f, "IHDR", ihdr, 13);
    static const unsigned char idat[] = {0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01};
    put_chunk(f, "IDAT", idat, sizeof idat);
    put_chunk(f, "IEND", NULL, 0);
    fclose(f);
}

static void write_jpeg(const char *path, int w, int h)
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
    info.input_components = 1;
    info.in_color_space = JCS_GRAYSCALE;
    jpeg_set_defaults(&info);
    jpeg_start_compress(&info, TRUE);
    unsigned char *row = malloc((size_t)w);
    ck_assert_ptr_nonnull(row);
    for (int x = 0; x < w; x++)
        row[x] = (unsigned char)(x < w / 2 ? 40 : 200);
    while (info.next_scanline < info.image_height)
        jpeg_write_scanlines(&info, &row, 1);
    jpeg_finish_compress(&info);
    jpeg_destroy_compress(&info);
    fclose(f);
    free(row);
}

START_TEST(test_image_pixel_budget)
{
    make_tmp("images");
    char path[1024];
    size_t w, h;
    float *rgb = NULL;
    /* 16384 x 16384 (2^28 pixels, once read at a cost of ~4 GB): refused. */
    write_png_header(in_tmp("huge.png", path, sizeof path), 16384);
    CHECK_FAILS(ct_image_read(path, &w, &h, &rgb), CT_ERR_DATA, "16384x16384 pixels is more than cltrain reads");
    ck_assert_ptr_null(rgb);
    /* Just above the budget (4097 x 4097) too; the budget itself is fine
     * (checked with a header only: it fails later, in the image data). */
    write_png_header(path, 4097);
    CHECK_FAILS(ct_image_read(path, &w, &h, &rgb), CT_ERR_DATA, "more than cltrain reads");
    write_png_header(path, 4096);
    ct_status s = ct_image_read(path, &w, &h, &rgb);
    ck_assert_int_ne(s, CT_OK);
    ck_assert_msg(!strstr(ct_last_error(), "more than cltrain reads"), "%s", ct_last_error());

    /* A 5000 x 4000 JPEG (20 MP) is decoded at half scale, 2500 x 2000, with
     * its content: dark left half, light right half. */
    write_jpeg(in_tmp("big.jpg", path, sizeof path), 5000, 4000);
    CHECK_OK(ct_image_read(path, &w, &h, &rgb));
    ck_assert_uint_eq(w, 2500);
    ck_assert_uint_eq(h, 2000);
    ck_assert_float_eq_tol(rgb[(1000 * w + 100) * 3], 40 / 255.0f, 0.02f);
    ck_assert_float_eq_tol(rgb[(1000 * w + 2400) * 3 + 2], 200 / 255.0f, 0.02f);
    free(rgb);
    /* Small images keep their size. */
    write_jpeg(path, 64, 48);
    CHECK_OK(ct_image_read(path, &w, &h, &rgb));
    ck_assert_uint_eq(w, 64);
    ck_assert_uint_eq(h, 48);
    free(rgb);

    /* A folder is a folder, not "an empty file". */
    CHECK_FAILS(ct_image_read(tmp, &w, &h, &rgb), CT_ERR_IO, "is a folder");
}
END_TEST

/* ------------------------------------------------------------ full disk */

/* A run whose files outgrow the space left on a 64 KB tmpfs (where root
 * may mount one): the run stops with an error naming the file it could not
 * write, and the last complete history.csv stays, every row whole. In a
 * child process, which reports its status through a pipe. */
static void full_disk_run(const char *out)
{
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    pid_t child = fork();
    if (child == 0) {
        close(fds[0]);
        /* checkpoint_every 0: history.csv after every epoch, so that the disk fills with many rows written. */
        ct_status st = run_into("epochs: 100000, checkpoint_every: 0", "", out, false);
        char msg[1024];
        int len = snprintf(msg, sizeof msg, "%d %s", (int)st, ct_last_error());
        if (write(fds[1], msg, (size_t)len) < 0)
            _exit(3);
        _exit(0);
    }
    close(fds[1]);
    char msg[1024] = "";
    ssize_t got = read(fds[0], msg, sizeof msg - 1);
    close(fds[0]);
    int status;
    waitpid(child, &status, 0);
    ck_assert_msg(got > 0, "the run reported nothing");
    msg[got] = '\0';
    ck_assert_msg(atoi(msg) == CT_ERR_IO, "%s", msg);
    ck_assert_msg((strstr(msg, "history.csv") || strstr(msg, "checkpoint.bin")) && strstr(msg, "No space left"),
                  "%s", msg);
    char path[1024];
    snprintf(path, sizeof path, "%s/history.csv", out);
    ct_history *h;
    CHECK_OK(ct_history_read_csv(path, &h));
    ck_assert_uint_gt(ct_history_rows(h), 20);
    for (size_t r = 0; r < ct_history_rows(h); r++)
        ck_assert(isfinite(ct_history_value(h, r, 0)));
    ct_history_free(h);
    DIR *d = opendir(out);
    ck_assert_ptr_nonnull(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        ck_assert_msg(!strstr(e->d_name, ".tmp"), "%s left behind", e->d_name);
    closedir(d);
}

START_TEST(test_full_disk_names_the_file)
{
    make_tmp("full");
    /* The atomic writer when a write fails (RLIMIT_FSIZE: EFBIG, as ENOSPC
     * on a full disk; a whole run cannot take the limit, since PoCL's
     * compiler writes its own files and exits when it cannot): the error
     * names history.csv, the previous history.csv stays whole, and no
     * temporary file is left. */
    char dir[700], path[1024];
    in_tmp("limited", dir, sizeof dir);
    mkdir(dir, 0755);
    snprintf(path, sizeof path, "%s/history.csv", dir);
    const char *cols[] = {"loss", "val_loss"};
    ct_history *h;
    CHECK_OK(ct_history_create(cols, 2, &h));
    double row[2] = {1.5, 2.5};
    for (int i = 0; i < 10; i++)
        CHECK_OK(ct_history_append(h, row, 2));
    CHECK_OK(ct_history_write_csv(h, path));
    for (int i = 0; i < 2000; i++)
        CHECK_OK(ct_history_append(h, row, 2));
    pid_t child = fork();
    if (child == 0) {
        signal(SIGXFSZ, SIG_IGN);
        struct rlimit lim = {4096, 4096};
        setrlimit(RLIMIT_FSIZE, &lim);
        ct_status st = ct_history_write_csv(h, path);
        _exit(st == CT_ERR_IO && strstr(ct_last_error(), "history.csv") ? 0 : 1);
    }
    int status;
    waitpid(child, &status, 0);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the failed write was not reported as such");
    ct_history_free(h);
    CHECK_OK(ct_history_read_csv(path, &h));
    ck_assert_uint_eq(ct_history_rows(h), 10);
    ct_history_free(h);
    DIR *d = opendir(dir);
    ck_assert_ptr_nonnull(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        ck_assert_msg(!strstr(e->d_name, ".tmp"), "%s left behind", e->d_name);
    closedir(d);

    /* A whole run on a real tmpfs where mounting is allowed (root here and
     * in CI containers); elsewhere the part above stands alone. */
    char mnt[700], out[700];
    in_tmp("tmpfs", mnt, sizeof mnt);
    mkdir(mnt, 0755);
    if (mount("tmpfs", mnt, "tmpfs", 0, "size=64k") != 0) {
        fprintf(stderr, "test_full_disk_names_the_file: mount not permitted, the tmpfs run is left out\n");
        return;
    }
    full_disk_run(in_tmp("tmpfs/run", out, sizeof out));
    umount(mnt);
}
END_TEST

/* ------------------------------------------------------- device memory */

/* Two Dense layers of u units hold about u^2 parameters: u = 2 sqrt(M / 16)
 * for a device of M bytes needs four times what it has. The run is refused
 * before anything is allocated or written, naming the parts and the fix. */
START_TEST(test_device_memory_exhaustion_is_explained)
{
    make_tmp("memory");
    ct_device_info info;
    CHECK_OK(ct_device_find(ct_device_spec_from_env(getenv("CLTRAIN_TEST_DEVICE")), &info));
    double units = 2 * sqrt((double)info.global_mem_bytes / 16);
    char csv[700], yaml[1024], out[700];
    write_csv(in_tmp("tiny.csv", csv, sizeof csv));
    snprintf(yaml, sizeof yaml,
             "name: wide\ndata:\n  csv:\n    file: tiny.csv\n    features: {drop: [y]}\n"
             "    target: {column: y}\n    split: {train: 0.6, validation: 0.2, test: 0.2}\n"
             "model:\n  - dense: {units: %.0f, activation: relu}\n  - dense: {units: %.0f}\n  - dense: {units: 1}\n"
             "train: {loss: mse, batch_size: 16, epochs: 1}\n",
             units, units);
    ct_experiment *exp;
    CHECK_OK(ct_experiment_parse_string(yaml, "wide.yaml", &exp));
    CHECK_OK(ct_experiment_validate(exp));
    ct_run_options o = {.data_dir = tmp, .out_dir = in_tmp("out", out, sizeof out),
                        .device_spec = getenv("CLTRAIN_TEST_DEVICE")};
    char *dir = NULL;
    CHECK_FAILS(ct_run_experiment(exp, &o, &dir), CT_ERR_NO_MEMORY, "GB of device memory");
    ck_assert_msg(strstr(ct_last_error(), "parameters, gradients and optimizer state") &&
                      strstr(ct_last_error(), "use a smaller train.batch_size"),
                  "%s", ct_last_error());
    ck_assert_ptr_null(dir);
    ck_assert(!exists(tmp, "out"));
    ct_experiment_free(exp);

    /* An allocation the device refuses gets the same advice. */
    ct_fail(CT_ERR_NO_MEMORY, "allocating tensor (1000000000) (4000000000 bytes) on X: CL_MEM_OBJECT_ALLOCATION_FAILURE");
    exp = experiment("epochs: 1", "");
    CHECK_FAILS(ct_run_memory_hint(CT_ERR_NO_MEMORY, exp), CT_ERR_NO_MEMORY,
                "(4000000000 bytes) on X: CL_MEM_OBJECT_ALLOCATION_FAILURE: use a smaller train.batch_size (now 16)");
    ck_assert_int_eq(ct_run_memory_hint(CT_ERR_IO, exp), CT_ERR_IO);
    ct_experiment_free(exp);
}
END_TEST

Suite *hardening_suite(void)
{
    Suite *s = suite_create("hardening");
    TCase *tc = tcase_create("run");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_run_refuses_a_used_directory);
    tcase_add_test(tc, test_stale_temporary_files_are_removed);
    tcase_add_test(tc, test_sigkill_leaves_no_temporary_files);
    tcase_add_test(tc, test_nan_guard_keeps_best_weights);
    tcase_add_test(tc, test_nan_weights_are_refused);
    tcase_add_test(tc, test_weights_check_names_the_tensor);
    tcase_add_test(tc, test_predict_rejects_bad_inputs);
    tcase_add_test(tc, test_image_pixel_budget);
    tcase_add_test(tc, test_full_disk_names_the_file);
    tcase_add_test(tc, test_device_memory_exhaustion_is_explained);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *r = srunner_create(hardening_suite());
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
