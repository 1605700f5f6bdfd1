/* Checkpoints and exact resume: the checkpoint file format (round trip,
 * corruption, versions), which configuration changes a resume accepts, runs
 * of a sunshine MLP (with dropout, batch normalisation, early stopping and
 * model_checkpoint) and of a CIFAR CNN stopped at several steps (mid-epoch
 * and at epoch ends) and resumed until done, compared byte for byte with
 * the uninterrupted run, and runs killed with SIGKILL at random moments. */
#define _XOPEN_SOURCE 700 /* posix_openpt: a terminal for the CLI output test */
#define _DEFAULT_SOURCE
#include <check.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include "cltrain/report.h"
#include "run/checkpoint_io.h"
#include "run/progress_bar.h"
#include "run/run.h"
#include "test_tmp.h"

static char tmp[512];
static unsigned long long bytes_compared;

static void make_tmp(const char *what) { test_tmp_make(tmp, sizeof tmp, "resume", what); }

static char *slurp(const char *dir, const char *name, size_t *size)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    ck_assert_ptr_nonnull(buf);
    ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    *size = (size_t)n;
    return buf;
}

static void assert_same_file(const char *a, const char *b, const char *name)
{
    size_t na, nb;
    char *x = slurp(a, name, &na), *y = slurp(b, name, &nb);
    ck_assert_msg(x && y, "%s missing in %s or %s", name, a, b);
    ck_assert_msg(na == nb && !memcmp(x, y, na), "%s differs between %s and %s", name, a, b);
    bytes_compared += na;
    free(x);
    free(y);
}

/* history.csv without its last column (seconds, which differ run to run). */
static char *history_values(const char *dir, size_t *size)
{
    char *text = slurp(dir, "history.csv", size);
    ck_assert_ptr_nonnull(text);
    char *out = malloc(*size + 1), *o = out;
    for (char *line = text; *line;) {
        char *end = strchr(line, '\n'), *comma = NULL;
        size_t len = end ? (size_t)(end - line) : strlen(line);
        for (size_t i = 0; i < len; i++)
            if (line[i] == ',')
                comma = line + i;
        size_t keep = comma ? (size_t)(comma - line) : len;
        memcpy(o, line, keep);
        o += keep;
        *o++ = '\n';
        line += len + (end != NULL);
    }
    *o = '\0';
    *size = (size_t)(o - out);
    free(text);
    return out;
}

/* summary.yaml from "epochs_run:" up to "seconds:" (what does not depend on the clock). */
static char *summary_results(const char *dir)
{
    size_t n;
    char *text = slurp(dir, "summary.yaml", &n);
    ck_assert_ptr_nonnull(text);
    char *from = strstr(text, "epochs_run:"), *to = strstr(text, "seconds:");
    ck_assert_msg(from && to && to > from, "summary.yaml of %s lacks its results", dir);
    *to = '\0';
    char *out = strdup(from);
    free(text);
    return out;
}

static void assert_same_run(const char *a, const char *b, int has_best)
{
    assert_same_file(a, b, "weights.bin");
    assert_same_file(a, b, "predictions.csv");
    if (has_best)
        assert_same_file(a, b, "best.weights.bin");
    size_t na, nb;
    char *ha = history_values(a, &na), *hb = history_values(b, &nb);
    ck_assert_msg(na == nb && !strcmp(ha, hb), "history of %s:\n%s\ndiffers from %s:\n%s", a, ha, b, hb);
    bytes_compared += na;
    free(ha);
    free(hb);
    char *sa = summary_results(a), *sb = summary_results(b);
    ck_assert_msg(!strcmp(sa, sb), "summary of %s:\n%s\ndiffers from %s:\n%s", a, sa, b, sb);
    bytes_compared += strlen(sa);
    free(sa);
    free(sb);
}

static ct_experiment *shipped(const char *name, const char *const *sets, size_t n)
{
    char file[1024];
    snprintf(file, sizeof file, "%s/experiments/%s.yaml", CLTRAIN_SOURCE_DIR, name);
    ct_experiment *exp;
    ck_assert_msg(ct_experiment_open(file, sets, n, &exp) == CT_OK, "%s", ct_last_error());
    return exp;
}

static const char *data_dir(void)
{
    const char *data = getenv("CLTRAIN_DATA_DIR");
    ck_assert_msg(data && *data, "set CLTRAIN_DATA_DIR to the folder with weather/ and cifar-10-batches-bin/");
    return data;
}

/* One uninterrupted run into tmp/full, then for each list of stop steps a
 * run stopped at the first, resumed and stopped at the next, ..., and
 * resumed to the end; each must equal the uninterrupted one. */
static void check_interruptions(const ct_experiment *exp, const uint64_t *const *stops, size_t nlists,
                                int has_best)
{
    char full[700];
    snprintf(full, sizeof full, "%s/full", tmp);
    ct_run_options o = {.data_dir = data_dir(), .out_dir = full};
    char *dir = NULL;
    ck_assert_msg(ct_run_experiment(exp, &o, &dir) == CT_OK, "%s", ct_last_error());
    free(dir);
    for (size_t l = 0; l < nlists; l++) {
        char out[700];
        snprintf(out, sizeof out, "%s/stopped-%zu", tmp, l);
        bool interrupted = false;
        for (size_t k = 0;; k++) {
            ct_run_options r = {.data_dir = data_dir(), .interrupted = &interrupted, .stop_at_step = stops[l][k]};
            if (k == 0)
                r.out_dir = out;
            else
                r.resume_dir = out;
            ck_assert_msg(ct_run_experiment(exp, &r, &dir) == CT_OK, "%s", ct_last_error());
            free(dir);
            if (!stops[l][k]) {
                ck_assert(!interrupted);
                break;
            }
            ck_assert_msg(interrupted, "list %zu: not stopped at step %llu", l, (unsigned long long)stops[l][k]);
            size_t n;
            char *weights = slurp(out, "weights.bin", &n);
            ck_assert_msg(!weights, "an interrupted run wrote weights.bin");
        }
        assert_same_run(full, out, has_best);
    }
}

/* ------------------------------------------------------------ the file */

static void write_sample(const char *path)
{
    ct_checkpoint *c;
    ck_assert(ct_checkpoint_create(&c) == CT_OK);
    float f[3] = {1.5f, -0.0f, NAN};
    double d[2] = {0.1, INFINITY};
    ck_assert(ct_checkpoint_put(c, "model/state", CT_RECORD_F32, f, 3) == CT_OK);
    ck_assert(ct_checkpoint_put(c, "history/values", CT_RECORD_F64, d, 2) == CT_OK);
    ck_assert(ct_checkpoint_put_i64(c, "position", -7) == CT_OK);
    ck_assert(ct_checkpoint_put_text(c, "experiment", "name: x\n") == CT_OK);
    ck_assert(ct_checkpoint_put(c, "empty", CT_RECORD_F32, NULL, 0) == CT_OK);
    ck_assert(ct_checkpoint_put_i64(c, "position", 1) == CT_ERR_INVALID_ARGUMENT); /* twice */
    ck_assert(ct_checkpoint_write(c, path, true) == CT_OK);
    ct_checkpoint_free(c);
}

START_TEST(test_checkpoint_file_round_trip)
{
    make_tmp("file");
    char path[700];
    snprintf(path, sizeof path, "%s/checkpoint.bin", tmp);
    write_sample(path);
    ct_checkpoint *c;
    ck_assert_msg(ct_checkpoint_read(path, &c) == CT_OK, "%s", ct_last_error());
    float f[3];
    ck_assert(ct_checkpoint_get_array(c, "model/state", CT_RECORD_F32, f, 3) == CT_OK);
    ck_assert(f[0] == 1.5f && signbit(f[1]) && isnan(f[2]));
    double d[2];
    ck_assert(ct_checkpoint_get_array(c, "history/values", CT_RECORD_F64, d, 2) == CT_OK);
    ck_assert(d[0] == 0.1 && isinf(d[1]));
    int64_t v;
    ck_assert(ct_checkpoint_get_i64(c, "position", &v) == CT_OK);
    ck_assert_int_eq(v, -7);
    const void *text;
    uint64_t n;
    ck_assert(ct_checkpoint_get(c, "experiment", CT_RECORD_TEXT, &text, &n) == CT_OK);
    ck_assert(n == 8 && !memcmp(text, "name: x\n", 8));
    ck_assert(ct_checkpoint_get(c, "empty", CT_RECORD_F32, &text, &n) == CT_OK);
    ck_assert_uint_eq(n, 0);
    ck_assert(ct_checkpoint_get_i64(c, "missing", &v) == CT_ERR_NOT_FOUND);
    ck_assert(ct_checkpoint_get_array(c, "model/state", CT_RECORD_F64, d, 2) == CT_ERR_PARSE);
    ck_assert(ct_checkpoint_get_array(c, "model/state", CT_RECORD_F32, f, 2) == CT_ERR_SHAPE);
    ct_checkpoint_free(c);

    /* The layout of report.h: magic, version 1, record count, CRC of the rest. */
    size_t size;
    unsigned char *bytes = (unsigned char *)slurp(tmp, "checkpoint.bin", &size);
    ck_assert(!memcmp(bytes, "CLTRAINC", 8));
    ck_assert(bytes[8] == 1 && bytes[9] == 0 && bytes[10] == 0 && bytes[11] == 0);
    ck_assert_int_eq(bytes[12], 5);
    uint32_t crc = (uint32_t)bytes[size - 4] | (uint32_t)bytes[size - 3] << 8 | (uint32_t)bytes[size - 2] << 16 |
                   (uint32_t)bytes[size - 1] << 24;
    ck_assert_uint_eq(crc, ct_crc32(0, bytes, size - 4));

    /* Every flipped byte and every truncation is refused, never crashes. */
    char bad[700];
    snprintf(bad, sizeof bad, "%s/bad.bin", tmp);
    for (size_t i = 0; i < size; i++) {
        bytes[i] ^= 0x40;
        FILE *w = fopen(bad, "wb");
        fwrite(bytes, 1, size, w);
        fclose(w);
        ct_status s = ct_checkpoint_read(bad, &c);
        ck_assert_msg(s == CT_ERR_CHECKSUM || s == CT_ERR_PARSE || s == CT_ERR_UNSUPPORTED,
                      "byte %zu flipped: status %d", i, (int)s);
        bytes[i] ^= 0x40;
    }
    for (size_t cut = 0; cut < size; cut++) {
        FILE *w = fopen(bad, "wb");
        fwrite(bytes, 1, cut, w);
        fclose(w);
        ck_assert(ct_checkpoint_read(bad, &c) != CT_OK);
    }
    bytes[8] = 2; /* a newer version */
    FILE *w = fopen(bad, "wb");
    fwrite(bytes, 1, size, w);
    fclose(w);
    ck_assert(ct_checkpoint_read(bad, &c) == CT_ERR_UNSUPPORTED);
    ck_assert(strstr(ct_last_error(), "version 2"));
    free(bytes);
    snprintf(bad, sizeof bad, "%s/none.bin", tmp);
    ck_assert(ct_checkpoint_read(bad, &c) == CT_ERR_NOT_FOUND);
}
END_TEST

START_TEST(test_config_changes)
{
    const char *saved = "name: a\nmodel:\n  - dense: {units: 100}\n  - dense: {units: 1}\ntrain:\n  loss: mse\n"
                        "  batch_size: 32\n  epochs: 10\noutput:\n  plots: true\n";
    const char *more = "name: a\nmodel:\n  - dense: {units: 100}\n  - dense: {units: 1}\ntrain:\n  loss: mse\n"
                       "  batch_size: 32\n  epochs: 20\noutput:\n  plots: false\n";
    ck_assert_msg(ct_run_check_config_change(saved, more, 5) == CT_OK, "%s", ct_last_error());
    ck_assert(ct_run_check_config_change(saved, more, 25) == CT_ERR_CONFIG);
    ck_assert(strstr(ct_last_error(), "train.epochs: 20 is fewer than the 25 epochs"));
    const char *other = "name: a\nmodel:\n  - dense: {units: 100}\n  - dense: {units: 2}\ntrain:\n  loss: mse\n"
                        "  batch_size: 16\n  epochs: 10\noutput:\n  plots: true\n";
    ck_assert(ct_run_check_config_change(saved, other, 5) == CT_ERR_CONFIG);
    ck_assert_msg(strstr(ct_last_error(), "model[1].dense.units: 1 -> 2") &&
                      strstr(ct_last_error(), "train.batch_size: 32 -> 16"),
                  "%s", ct_last_error());
    const char *added = "name: a\nmodel:\n  - dense: {units: 100}\n  - dense: {units: 1}\n  - flatten\ntrain:\n"
                        "  loss: mse\n  batch_size: 32\n  epochs: 10\noutput:\n  plots: true\n";
    ck_assert(ct_run_check_config_change(saved, added, 5) == CT_ERR_CONFIG);
    ck_assert_msg(strstr(ct_last_error(), "model[2]: (absent) -> flatten"), "%s", ct_last_error());
    /* Nested flow mappings name the innermost key. */
    const char *opt_a = "train:\n  optimizer: {adam: {learning_rate: 0.001, beta_1: 0.9}}\n  epochs: 3\n";
    const char *opt_b = "train:\n  optimizer: {adam: {learning_rate: 0.01, beta_1: 0.9}}\n  epochs: 3\n";
    ck_assert(ct_run_check_config_change(opt_a, opt_b, 1) == CT_ERR_CONFIG);
    ck_assert_msg(strstr(ct_last_error(), "train.optimizer.adam.learning_rate: 0.001 -> 0.01"), "%s",
                  ct_last_error());
    const char *opt_c = "train:\n  optimizer: {sgd: {learning_rate: 0.01, momentum: 0.0, nesterov: false}}\n"
                        "  epochs: 3\n";
    ck_assert(ct_run_check_config_change(opt_a, opt_c, 1) == CT_ERR_CONFIG);
    ck_assert_msg(strstr(ct_last_error(), "train.optimizer.adam: {learning_rate: 0.001, beta_1: 0.9} -> (absent)") &&
                      strstr(ct_last_error(), "train.optimizer.sgd: (absent) -> {learning_rate"),
                  "%s", ct_last_error());
}
END_TEST

/* ------------------------------------------------------------ exact resume */

START_TEST(test_resume_mlp_exact)
{
    make_tmp("mlp");
    /* 767 training samples in 24 batches: steps 24, 48, ... end epochs. */
    const char *sets[] = {"train.epochs=10", "callbacks.early_stopping.patience=4",
                          "callbacks.early_stopping.restore_best_weights=true",
                          "callbacks.model_checkpoint={monitor: val_rmse, save_best_only: true}",
                          "output.plots=false"};
    ct_experiment *exp = shipped("sunshine_dropout_batchnorm", sets, 5);
    static const uint64_t a[] = {1, 0}, b[] = {24, 61, 0}, c[] = {13, 14, 120, 0}, d[] = {200, 0};
    const uint64_t *stops[] = {a, b, c, d};
    check_interruptions(exp, stops, 4, 1);
    ct_experiment_free(exp);
}
END_TEST

/* Optimizers with more state (Nadam's product of the momentum schedule,
 * Adagrad's accumulator), clipping, a schedule and ReduceLROnPlateau's
 * progress and reduced rate resume exactly too. */
START_TEST(test_resume_training_options_exact)
{
    make_tmp("knobs-schedule");
    const char *sets[] = {"train.epochs=6", "output.plots=false",
                          "train.optimizer={nadam: {learning_rate: 0.002, clipnorm: 1.0}}",
                          "train.learning_rate_schedule={cosine_decay: {initial_learning_rate: 0.0, "
                          "warmup_target: 0.002, warmup_steps: 30, decay_steps: 100}}"};
    ct_experiment *exp = shipped("sunshine", sets, 4);
    static const uint64_t a[] = {13, 50, 0}, b[] = {24, 0};
    const uint64_t *stops[] = {a, b};
    check_interruptions(exp, stops, 2, 0);
    ct_experiment_free(exp);

    make_tmp("knobs-plateau");
    const char *sets2[] = {"train.epochs=8", "output.plots=false",
                           "train.optimizer={adagrad: {learning_rate: 0.5, global_clipnorm: 5.0}}",
                           "callbacks.reduce_lr_on_plateau={patience: 1, factor: 0.5, cooldown: 1}"};
    exp = shipped("sunshine", sets2, 4);
    static const uint64_t c[] = {30, 72, 130, 0}, d[] = {48, 96, 0};
    const uint64_t *stops2[] = {c, d};
    check_interruptions(exp, stops2, 2, 0);
    ct_experiment_free(exp);
}
END_TEST

START_TEST(test_resume_cnn_exact)
{
    make_tmp("cnn");
    /* 256 training images in 8 batches of 32, 3 epochs. */
    const char *sets[] = {"train.epochs=3", "data.cifar10.train_subset=256", "data.cifar10.test_subset=100",
                          "output.plots=false"};
    ct_experiment *exp = shipped("cifar10_cnn_pool", sets, 4);
    static const uint64_t a[] = {3, 0}, b[] = {8, 13, 0}, c[] = {17, 0};
    const uint64_t *stops[] = {a, b, c};
    check_interruptions(exp, stops, 3, 0);
    ct_experiment_free(exp);
    fprintf(stderr, "test_resume: %llu bytes compared so far in this process\n", bytes_compared);
}
END_TEST

/* Augmentation draws its transforms from (seed, layer, training step,
 * sample): a resumed run redraws the same ones, first in the model (no
 * backward) and behind a convolution (its backward runs too). */
START_TEST(test_resume_augmentation_exact)
{
    make_tmp("augment");
    const char *sets[] = {"train.epochs=2", "data.cifar10.train_subset=160", "data.cifar10.test_subset=50",
                          "output.plots=false"};
    ct_experiment *exp = shipped("cifar10_augment", sets, 4);
    static const uint64_t a[] = {3, 0}, b[] = {5, 7, 0};
    const uint64_t *stops[] = {a, b};
    check_interruptions(exp, stops, 2, 0);
    ct_experiment_free(exp);

    make_tmp("augment-inside");
    const char *inside[] = {"train.epochs=2", "data.cifar10.train_subset=160", "data.cifar10.test_subset=50",
                            "output.plots=false",
                            "model=[{conv2d: {filters: 4, kernel_size: 3, activation: relu}}, "
                            "{random_translation: {height_factor: [-0.2, 0.3], width_factor: 0.2, "
                            "fill_mode: constant}}, {random_flip: horizontal_and_vertical}, flatten, "
                            "{dense: {units: 10}}]"};
    exp = shipped("cifar10_augment", inside, 5);
    static const uint64_t c[] = {4, 0};
    const uint64_t *stops2[] = {c};
    check_interruptions(exp, stops2, 1, 0);
    ct_experiment_free(exp);
}
END_TEST

/* A graph model (the ResNet: shortcuts, gradient sums, batch norm) resumes
 * exactly too: 128 images in 4 batches of 32, 2 epochs. */
START_TEST(test_resume_graph_exact)
{
    make_tmp("graph");
    const char *sets[] = {"train.epochs=2", "train.batch_size=32", "data.cifar10.train_batches=1",
                          "data.cifar10.train_subset=128", "data.cifar10.test_subset=32", "output.plots=false"};
    ct_experiment *exp = shipped("cifar10_resnet", sets, 6);
    static const uint64_t a[] = {3, 0}, b[] = {4, 6, 0};
    const uint64_t *stops[] = {a, b};
    check_interruptions(exp, stops, 2, 0);
    ct_experiment_free(exp);
}
END_TEST

/* More epochs is a safe change: 4 epochs, then resumed to 7, equal 7 at once. */
START_TEST(test_resume_more_epochs)
{
    make_tmp("more");
    const char *sets7[] = {"train.epochs=7", "output.plots=false"}, *sets4[] = {"train.epochs=4", "output.plots=false"};
    ct_experiment *e7 = shipped("sunshine", sets7, 2), *e4 = shipped("sunshine", sets4, 2);
    char full[700], part[700], *dir;
    snprintf(full, sizeof full, "%s/full", tmp);
    snprintf(part, sizeof part, "%s/part", tmp);
    ct_run_options o = {.data_dir = data_dir(), .out_dir = full};
    ck_assert_msg(ct_run_experiment(e7, &o, &dir) == CT_OK, "%s", ct_last_error());
    free(dir);
    o.out_dir = part;
    ck_assert_msg(ct_run_experiment(e4, &o, &dir) == CT_OK, "%s", ct_last_error());
    free(dir);
    /* A finished run resumed without more epochs is refused. */
    ct_run_options r = {.data_dir = data_dir(), .resume_dir = part};
    ck_assert(ct_run_experiment(e4, &r, &dir) == CT_ERR_CONFIG);
    ck_assert_msg(strstr(ct_last_error(), "finished all its 4 epochs"), "%s", ct_last_error());
    free(dir);
    /* Resumed with more epochs and stopped again: the old weights.bin is
     * stale, so evaluate takes the checkpoint and says so. */
    bool interrupted = false;
    r.interrupted = &interrupted;
    r.stop_at_step = 4 * 24 + 5;
    ck_assert_msg(ct_run_experiment(e7, &r, &dir) == CT_OK, "%s", ct_last_error());
    free(dir);
    ck_assert(interrupted);
    ct_run run;
    ct_run_options eo = {.data_dir = data_dir()};
    ck_assert_msg(ct_run_open(part, &eo, &run) == CT_OK, "%s", ct_last_error());
    ck_assert(!run.final_weights);
    ck_assert_msg(strstr(run.weights_source, "checkpoint.bin: the last checkpoint (epoch 5, after batch 5)"), "%s",
                  run.weights_source);
    ct_run_close(&run);
    r.stop_at_step = 0;
    ck_assert_msg(ct_run_experiment(e7, &r, &dir) == CT_OK, "%s", ct_last_error());
    free(dir);
    ck_assert(!interrupted);
    assert_same_run(full, part, 0);
    ck_assert_msg(ct_run_open(part, &eo, &run) == CT_OK, "%s", ct_last_error());
    ck_assert(run.final_weights);
    ct_run_close(&run);
    /* Another batch size is not. */
    const char *other[] = {"train.epochs=9", "train.batch_size=16"};
    ct_experiment *e16 = shipped("sunshine", other, 2);
    ck_assert(ct_run_experiment(e16, &r, &dir) == CT_ERR_CONFIG);
    ck_assert_msg(strstr(ct_last_error(), "train.batch_size: 32 -> 16"), "%s", ct_last_error());
    free(dir);
    ct_experiment_free(e4);
    ct_experiment_free(e7);
    ct_experiment_free(e16);
}
END_TEST

/* A pid that no process has (a child that has exited and been reaped). */
static long dead_pid(void)
{
    pid_t pid = fork();
    ck_assert(pid >= 0);
    if (pid == 0)
        _exit(0);
    waitpid(pid, NULL, 0);
    return (long)pid;
}

static void plant(const char *dir, const char *name)
{
    char path[2048];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    ck_assert_msg(f != NULL, "cannot create %s", path);
    fputs("left behind\n", f);
    fclose(f);
}

static bool exists(const char *dir, const char *name)
{
    char path[2048];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return access(path, F_OK) == 0;
}

/* Resuming clears the temporary files a killed run's atomic writes left
 * (".NAME.PID-N.tmp" of a process that is gone), in the run directory and
 * plots/, and nothing else; the results stay bit for bit. */
START_TEST(test_resume_clears_stale_temp_files)
{
    make_tmp("stale");
    const char *sets[] = {"train.epochs=4", "output.plots=false"};
    ct_experiment *exp = shipped("sunshine", sets, 2);
    char full[700], out[700], plots[800], *dir;
    snprintf(full, sizeof full, "%s/full", tmp);
    snprintf(out, sizeof out, "%s/stopped", tmp);
    ct_run_options o = {.data_dir = data_dir(), .out_dir = full};
    ck_assert_msg(ct_run_experiment(exp, &o, &dir) == CT_OK, "%s", ct_last_error());
    free(dir);
    bool interrupted = false;
    ct_run_options r = {.data_dir = data_dir(), .out_dir = out, .interrupted = &interrupted, .stop_at_step = 30};
    ck_assert_msg(ct_run_experiment(exp, &r, &dir) == CT_OK, "%s", ct_last_error());
    free(dir);
    ck_assert(interrupted);
    snprintf(plots, sizeof plots, "%s/plots", out);
    ck_assert_int_eq(mkdir(plots, 0777), 0);
    long dead = dead_pid();
    char stale[4][128], keep[6][128];
    snprintf(stale[0], sizeof stale[0], ".checkpoint.bin.%ld-0.tmp", dead);
    snprintf(stale[1], sizeof stale[1], ".history.csv.%ld-7.tmp", dead);
    snprintf(stale[2], sizeof stale[2], ".weights.bin.%ld-12.tmp", dead);
    snprintf(stale[3], sizeof stale[3], ".history.png.%ld-1.tmp", dead);
    snprintf(keep[0], sizeof keep[0], "notes.tmp");                   /* the user's */
    snprintf(keep[1], sizeof keep[1], ".mine.tmp");                   /* no PID-N */
    snprintf(keep[2], sizeof keep[2], ".draft.%ldx-1.tmp", dead);     /* not a number */
    snprintf(keep[3], sizeof keep[3], "history.csv.%ld-1.tmp", dead); /* no leading dot */
    snprintf(keep[4], sizeof keep[4], ".history.csv.%ld-1.tmp", (long)getppid()); /* a live writer's */
    snprintf(keep[5], sizeof keep[5], ".link.%ld-2.tmp", dead);       /* a folder of that form */
    for (int i = 0; i < 3; i++)
        plant(out, stale[i]);
    plant(plots, stale[3]);
    for (int i = 0; i < 5; i++)
        plant(out, keep[i]);
    char folder[2048];
    snprintf(folder, sizeof folder, "%s/%s", out, keep[5]);
    ck_assert_int_eq(mkdir(folder, 0777), 0);
    ct_run_options again = {.data_dir = data_dir(), .resume_dir = out, .interrupted = &interrupted};
    ck_assert_msg(ct_run_experiment(exp, &again, &dir) == CT_OK, "%s", ct_last_error());
    free(dir);
    ck_assert(!interrupted);
    for (int i = 0; i < 3; i++)
        ck_assert_msg(!exists(out, stale[i]), "%s was not removed", stale[i]);
    ck_assert_msg(!exists(plots, stale[3]), "plots/%s was not removed", stale[3]);
    for (int i = 0; i < 6; i++)
        ck_assert_msg(exists(out, keep[i]), "%s was removed", keep[i]);
    assert_same_run(full, out, 0);
    ct_experiment_free(exp);
}
END_TEST

/* train.checkpoint_every: 0 writes history.csv and checkpoint.bin after
 * every epoch; a long interval after the first and the last epoch only (a
 * stop request writes one too). Either way the results are the same. */
START_TEST(test_checkpoint_every)
{
    make_tmp("every");
    const char *each[] = {"train.epochs=6", "output.plots=false", "train.checkpoint_every=0"};
    const char *rare[] = {"train.epochs=6", "output.plots=false", "train.checkpoint_every=1000"};
    ct_experiment *e0 = shipped("sunshine", each, 3), *e1000 = shipped("sunshine", rare, 3);
    char a[700], b[700], c[700], *dir;
    snprintf(a, sizeof a, "%s/each", tmp);
    snprintf(b, sizeof b, "%s/rare", tmp);
    snprintf(c, sizeof c, "%s/rare-stopped", tmp);
    size_t writes = 0;
    ct_run_options o = {.data_dir = data_dir(), .out_dir = a, .checkpoint_writes = &writes};
    ck_assert_msg(ct_run_experiment(e0, &o, &dir) == CT_OK, "%s", ct_last_error());
    free(dir);
    ck_assert_uint_eq(writes, 6);
    writes = 0;
    o.out_dir = b;
    ck_assert_msg(ct_run_experiment(e1000, &o, &dir) == CT_OK, "%s", ct_last_error());
    free(dir);
    ck_assert_uint_eq(writes, 2);
    assert_same_run(a, b, 0);
    /* Stopped in epoch 4: the stop writes the checkpoint the interval held back. */
    writes = 0;
    bool interrupted = false;
    ct_run_options r = {.data_dir = data_dir(), .out_dir = c, .checkpoint_writes = &writes,
                        .interrupted = &interrupted, .stop_at_step = 3 * 24 + 5};
    ck_assert_msg(ct_run_experiment(e1000, &r, &dir) == CT_OK, "%s", ct_last_error());
    free(dir);
    ck_assert(interrupted);
    ck_assert_uint_eq(writes, 2);
    size_t n, rows = 0;
    char *h = slurp(c, "history.csv", &n);
    ck_assert_ptr_nonnull(h);
    for (char *p = h; *p; p++)
        rows += *p == '\n';
    free(h);
    ck_assert_uint_eq(rows, 1 + 3); /* every finished epoch, although only the first was written before */
    r.out_dir = NULL;
    r.resume_dir = c;
    r.stop_at_step = 0;
    ck_assert_msg(ct_run_experiment(e1000, &r, &dir) == CT_OK, "%s", ct_last_error());
    free(dir);
    assert_same_run(a, c, 0);
    /* Another interval is a safe change on resume; a negative one is refused, named. */
    ct_experiment *bad;
    const char *negative[] = {"train.checkpoint_every=-1"};
    char file[1024];
    snprintf(file, sizeof file, "%s/experiments/sunshine.yaml", CLTRAIN_SOURCE_DIR);
    ck_assert(ct_experiment_open(file, negative, 1, &bad) != CT_OK);
    ck_assert_msg(strstr(ct_last_error(), "checkpoint_every"), "%s", ct_last_error());
    ck_assert_msg(ct_run_check_config_change("train:\n  checkpoint_every: 1.0\n  epochs: 3\n",
                                             "train:\n  checkpoint_every: 0.0\n  epochs: 3\n", 1) == CT_OK,
                  "%s", ct_last_error());
    ct_experiment_free(e0);
    ct_experiment_free(e1000);
}
END_TEST

/* ------------------------------------------------------------ NaN */

static void assert_checkpoint_readable(const char *out, bool *finished);

static size_t count_lines(const char *dir, const char *name)
{
    size_t n, rows = 0;
    char *text = slurp(dir, name, &n);
    ck_assert_msg(text != NULL, "%s/%s missing", dir, name);
    for (char *p = text; *p; p++)
        rows += *p == '\n';
    free(text);
    return rows;
}

/* The batch the NaN guard's message names, after "at epoch E, batch ". */
static int named_batch(const char *message, int epoch)
{
    char want[64];
    snprintf(want, sizeof want, "at epoch %d, batch ", epoch);
    const char *at = strstr(message, want);
    ck_assert_msg(at != NULL, "no '%s' in: %s", want, message);
    ck_assert_msg(strstr(at, " of 24 ("), "%s", message);
    return atoi(at + strlen(want));
}

/* A learning rate that jumps to 1e6 at step 30 (batch 7 of epoch 2): the
 * guard's error names the epoch, the batch (not before 7), where the last
 * good state is and what to try; history.csv keeps both epochs, the
 * checkpoint the first, failure.txt says how the run ended, and no weights
 * are written. The same jump at step 5 fails in epoch 1, before any
 * checkpoint: the batch is found from the state before training. */
START_TEST(test_nan_names_epoch_and_batch)
{
    make_tmp("nan");
    const char *sets[] = {"train.epochs=4", "output.plots=false", "train.optimizer={sgd: {learning_rate: 0.001}}",
                          "train.learning_rate_schedule={piecewise_constant_decay: {boundaries: [30], "
                          "values: [0.001, 1000000.0]}}"};
    ct_experiment *exp = shipped("sunshine", sets, 4);
    char out[700], *dir = NULL;
    snprintf(out, sizeof out, "%s/epoch2", tmp);
    ct_run_options o = {.data_dir = data_dir(), .out_dir = out};
    ck_assert_int_eq(ct_run_experiment(exp, &o, &dir), CT_ERR_NUMERIC);
    free(dir);
    char message[4096];
    snprintf(message, sizeof message, "%s", ct_last_error());
    int batch = named_batch(message, 2);
    ck_assert_msg(batch >= 7 && batch <= 24, "batch %d: %s", batch, message);
    ck_assert_msg(strstr(message, "loss became NaN at epoch 2") && strstr(message, "the last good state (after epoch 1)") &&
                      strstr(message, "try a lower learning rate (train.learning_rate_schedule reached 1e+06)") &&
                      strstr(message, "clipnorm"),
                  "%s", message);
    ck_assert_uint_eq(count_lines(out, "history.csv"), 1 + 2);
    bool finished;
    assert_checkpoint_readable(out, &finished);
    ck_assert(!finished);
    char path[800];
    snprintf(path, sizeof path, "%s/checkpoint.bin", out);
    ct_checkpoint *c;
    ck_assert(ct_checkpoint_read(path, &c) == CT_OK);
    int epoch;
    uint64_t at;
    ck_assert(ct_run_checkpoint_position(c, &epoch, &at, &finished) == CT_OK);
    ct_checkpoint_free(c);
    ck_assert_int_eq(epoch, 1);
    size_t n;
    char *failure = slurp(out, "failure.txt", &n);
    ck_assert_msg(failure && strstr(failure, "The run failed: loss became NaN at epoch 2, batch "), "%s",
                  failure ? failure : "(no failure.txt)");
    free(failure);
    ck_assert(!exists(out, "weights.bin") && !exists(out, "summary.yaml"));
    ct_experiment_free(exp);

    const char *early[] = {"train.epochs=4", "output.plots=false", "train.optimizer={sgd: {learning_rate: 0.001}}",
                           "train.learning_rate_schedule={piecewise_constant_decay: {boundaries: [5], "
                           "values: [0.001, 1000000.0]}}"};
    exp = shipped("sunshine", early, 4);
    snprintf(out, sizeof out, "%s/epoch1", tmp);
    o.out_dir = out;
    ck_assert_int_eq(ct_run_experiment(exp, &o, &dir), CT_ERR_NUMERIC);
    free(dir);
    snprintf(message, sizeof message, "%s", ct_last_error());
    batch = named_batch(message, 1);
    ck_assert_msg(batch >= 6 && !strstr(message, "last good state"), "batch %d: %s", batch, message);
    ck_assert_uint_eq(count_lines(out, "history.csv"), 1 + 1);
    ck_assert(!exists(out, "checkpoint.bin") && exists(out, "failure.txt"));
    ct_experiment_free(exp);
}
END_TEST

/* ------------------------------------------------------------ SIGKILL */

/* Runs exp into out in a child process, killed with SIGKILL after
 * delay_us (counted from when out/checkpoint.bin first appears, if
 * after_checkpoint: on a loaded machine start-up alone may outlast the
 * delay); returns whether it was still running then. */
static int run_killed(const ct_experiment *exp, const char *out, long delay_us, bool after_checkpoint)
{
    fflush(NULL);
    pid_t pid = fork();
    ck_assert(pid >= 0);
    if (pid == 0) {
        ct_run_options o = {.data_dir = data_dir(), .out_dir = out};
        char *dir;
        _exit(ct_run_experiment(exp, &o, &dir) == CT_OK ? 0 : 1);
    }
    char checkpoint[800];
    snprintf(checkpoint, sizeof checkpoint, "%s/checkpoint.bin", out);
    for (int i = 0; after_checkpoint && i < 60000 && access(checkpoint, F_OK) != 0; i++)
        usleep(1000);
    struct timespec ts = {delay_us / 1000000, (delay_us % 1000000) * 1000};
    nanosleep(&ts, NULL);
    int killed = kill(pid, SIGKILL) == 0, status;
    waitpid(pid, &status, 0);
    return killed && WIFSIGNALED(status);
}

START_TEST(test_sigkill_at_random_moments)
{
    make_tmp("kill");
    /* 300 epochs of ~1-2 ms after a start-up of a few hundred: kills land
     * before the first checkpoint, between epochs, in checkpoint writes and
     * in the evaluation at the end. */
    /* checkpoint_every 0: a checkpoint after every epoch, so that kills land in its writes too. */
    const char *sets[] = {"train.epochs=300", "output.plots=false", "train.checkpoint_every=0"};
    ct_experiment *exp = shipped("sunshine", sets, 3);
    enum { TRIALS = 12 };
    srand((unsigned)time(NULL) ^ (unsigned)getpid());
    long delays[TRIALS];
    int killed[TRIALS];
    for (int i = 0; i < TRIALS; i++) { /* first, before this process touches OpenCL */
        char out[700];
        snprintf(out, sizeof out, "%s/killed-%d", tmp, i);
        /* Odd trials: within the 0.6 s of training after the first checkpoint. */
        delays[i] = i % 2 ? rand() % 600000 : 150000 + rand() % 700000;
        killed[i] = run_killed(exp, out, delays[i], i % 2);
    }
    char full[700], *dir;
    snprintf(full, sizeof full, "%s/full", tmp);
    ct_run_options o = {.data_dir = data_dir(), .out_dir = full};
    ck_assert_msg(ct_run_experiment(exp, &o, &dir) == CT_OK, "%s", ct_last_error());
    free(dir);
    int resumed = 0;
    for (int i = 0; i < TRIALS; i++) {
        char out[700], path[800];
        snprintf(out, sizeof out, "%s/killed-%d", tmp, i);
        snprintf(path, sizeof path, "%s/checkpoint.bin", out);
        ct_checkpoint *c;
        ct_status s = ct_checkpoint_read(path, &c);
        if (s == CT_ERR_NOT_FOUND) { /* killed before the first epoch ended: nothing to lose */
            size_t n;
            char *h = slurp(out, "history.csv", &n);
            ck_assert_msg(!h || !strchr(strchr(h, '\n') + 1, '\n'), "history.csv has epochs but no checkpoint");
            free(h);
            continue;
        }
        ck_assert_msg(s == CT_OK, "kill %d after %ld us left a bad checkpoint: %s", i, delays[i], ct_last_error());
        int epoch;
        uint64_t batch;
        bool finished;
        ck_assert(ct_run_checkpoint_position(c, &epoch, &batch, &finished) == CT_OK);
        ct_checkpoint_free(c);
        ck_assert_uint_eq(batch, 0);
        /* history.csv is written first: at most the epoch in progress is lost. */
        size_t n, rows = 0;
        char *h = slurp(out, "history.csv", &n);
        ck_assert_ptr_nonnull(h);
        for (char *p = h; *p; p++)
            rows += *p == '\n';
        free(h);
        ck_assert_msg(rows - 1 == (size_t)epoch || rows - 1 == (size_t)epoch + 1,
                      "history.csv has %zu epochs, the checkpoint %d", rows - 1, epoch);
        if (finished)
            continue; /* killed while evaluating: training was done */
        ct_run_options r = {.data_dir = data_dir(), .resume_dir = out};
        ck_assert_msg(ct_run_experiment(exp, &r, &dir) == CT_OK, "kill %d: %s", i, ct_last_error());
        free(dir);
        assert_same_run(full, out, 0);
        resumed++;
    }
    int kills = 0;
    for (int i = 0; i < TRIALS; i++)
        kills += killed[i];
    fprintf(stderr, "test_sigkill_at_random_moments: %d kills, %d resumed to identical results, %llu bytes compared\n",
            kills, resumed, bytes_compared);
    ct_experiment_free(exp);
}
END_TEST

/* ------------------------------------------------------------ signals */

/* `cltrain run` of sunshine into out in a child, its output to out.log; returns its pid. */
static pid_t start_cli(const char *out, const char *epochs)
{
    char log[800], set_epochs[64];
    snprintf(log, sizeof log, "%s.log", out);
    snprintf(set_epochs, sizeof set_epochs, "train.epochs=%s", epochs);
    char file[1024];
    snprintf(file, sizeof file, "%s/experiments/sunshine.yaml", CLTRAIN_SOURCE_DIR);
    fflush(NULL);
    pid_t pid = fork();
    ck_assert(pid >= 0);
    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(fd, 1);
        dup2(fd, 2);
        execl(CLTRAIN_BINARY, "cltrain", "run", file, "--set", set_epochs, "--set", "output.plots=false", "--out",
              out, "--data-dir", data_dir(), (char *)NULL);
        _exit(127);
    }
    return pid;
}

/* Waits (up to 60 s) until out/checkpoint.bin exists. */
static void wait_for_checkpoint(const char *out)
{
    char path[800];
    snprintf(path, sizeof path, "%s/checkpoint.bin", out);
    for (int i = 0; i < 6000 && access(path, F_OK) != 0; i++)
        usleep(10000);
    ck_assert_msg(access(path, F_OK) == 0, "%s never appeared", path);
}

static void assert_checkpoint_readable(const char *out, bool *finished)
{
    char path[800];
    snprintf(path, sizeof path, "%s/checkpoint.bin", out);
    ct_checkpoint *c;
    ck_assert_msg(ct_checkpoint_read(path, &c) == CT_OK, "%s", ct_last_error());
    int epoch;
    uint64_t batch;
    ck_assert(ct_run_checkpoint_position(c, &epoch, &batch, finished) == CT_OK);
    ct_checkpoint_free(c);
}

START_TEST(test_signals)
{
    make_tmp("signals");
    const char *sets[] = {"train.epochs=400", "output.plots=false"};
    ct_experiment *exp = shipped("sunshine", sets, 2);
    char full[700], *dir;
    snprintf(full, sizeof full, "%s/full", tmp);
    ct_run_options o = {.data_dir = data_dir(), .out_dir = full};
    ck_assert_msg(ct_run_experiment(exp, &o, &dir) == CT_OK, "%s", ct_last_error());
    free(dir);
    srand((unsigned)getpid());
    /* First SIGINT / SIGTERM: stop after the step, checkpoint, exit 130 / 143, resumable exactly. */
    const int signals[] = {SIGINT, SIGTERM};
    for (int k = 0; k < 2; k++) {
        char out[700];
        snprintf(out, sizeof out, "%s/signal-%d", tmp, signals[k]);
        pid_t pid = start_cli(out, "400");
        wait_for_checkpoint(out);
        usleep((useconds_t)(rand() % 100000));
        kill(pid, signals[k]);
        int status;
        waitpid(pid, &status, 0);
        ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 128 + signals[k], "signal %d: status %d",
                      signals[k], status);
        bool finished;
        assert_checkpoint_readable(out, &finished);
        ck_assert(!finished);
        size_t n;
        char log[800];
        snprintf(log, sizeof log, "%s.log", out);
        char *text = slurp(tmp, strrchr(log, '/') + 1, &n);
        ck_assert_msg(text && strstr(text, "cltrain resume "), "no resume hint in:\n%s", text ? text : "");
        free(text);
        ct_run_options r = {.data_dir = data_dir(), .resume_dir = out};
        ck_assert_msg(ct_run_experiment(exp, &r, &dir) == CT_OK, "%s", ct_last_error());
        free(dir);
        assert_same_run(full, out, 0);
    }
    /* Two SIGINTs: the second exits at once (130); the last checkpoint is whole. */
    char out[700];
    snprintf(out, sizeof out, "%s/twice", tmp);
    pid_t pid = start_cli(out, "4000");
    wait_for_checkpoint(out);
    kill(pid, SIGINT);
    kill(pid, SIGINT);
    int status;
    waitpid(pid, &status, 0);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 130, "status %d", status);
    bool finished;
    assert_checkpoint_readable(out, &finished);
    ck_assert(!finished);
    ct_experiment_free(exp);
}
END_TEST

/* ------------------------------------------------------------ output */

enum { TO_PIPE, TO_TERMINAL, STDOUT_TO_FILE };

/* `cltrain run` of 3 sunshine epochs with `flag` (or none), its stdout and
 * stderr into one pipe, or one terminal (a pseudo-terminal), or its stdout
 * into out.log and its stderr into a terminal; returns what the pipe or
 * terminal got (malloc'd) after it exited with 0. */
static char *cli_output(const char *out, const char *flag, int where)
{
    bool tty = where != TO_PIPE;
    char file[1024];
    snprintf(file, sizeof file, "%s/experiments/sunshine.yaml", CLTRAIN_SOURCE_DIR);
    int fds[2], reader;
    char slave[256] = "";
    if (tty) {
        reader = posix_openpt(O_RDWR | O_NOCTTY);
        ck_assert(reader >= 0 && grantpt(reader) == 0 && unlockpt(reader) == 0);
        snprintf(slave, sizeof slave, "%s", ptsname(reader));
    } else {
        ck_assert_int_eq(pipe(fds), 0);
        reader = fds[0];
    }
    fflush(NULL);
    pid_t pid = fork();
    ck_assert(pid >= 0);
    if (pid == 0) {
        int fd = fds[1];
        if (tty) {
            setsid();
            fd = open(slave, O_RDWR);
        } else
            close(fds[0]);
        dup2(fd, 2);
        if (where == STDOUT_TO_FILE) {
            char log[800];
            snprintf(log, sizeof log, "%s.log", out);
            fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        }
        dup2(fd, 1);
        const char *args[16] = {"cltrain", "run", file, "--set", "train.epochs=3", "--set", "output.plots=false",
                                "--out", out, "--data-dir", data_dir(), flag, NULL};
        execv(CLTRAIN_BINARY, (char *const *)args);
        _exit(127);
    }
    if (!tty)
        close(fds[1]);
    size_t size = 0, cap = 65536;
    char *text = malloc(cap);
    ck_assert_ptr_nonnull(text);
    for (ssize_t n; (n = read(reader, text + size, cap - 1 - size)) > 0;) /* a terminal ends with EIO */
        size += (size_t)n;
    text[size] = '\0';
    close(reader);
    int status;
    waitpid(pid, &status, 0);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %d:\n%s", status, text);
    return text;
}

/* Whether every line of text is an epoch line of a 3-epoch run, and there are 3. */
static bool epoch_lines_only(const char *text)
{
    int lines = 0;
    for (const char *p = text; *p; lines++) {
        char want[32];
        snprintf(want, sizeof want, "Epoch %d/3  ", lines + 1);
        const char *end = strchr(p, '\n');
        if (!end || strncmp(p, want, strlen(want)) || !strstr(p, "val_loss: ") || strstr(p, "val_loss: ") > end)
            return false;
        p = end + 1;
    }
    return lines == 3;
}

/* A pipe gets the whole report with plain epoch lines and no bar; --quiet
 * the epoch lines only; --silent nothing. On a terminal the bar is drawn
 * (carriage return, erase to the end of the line) and erased before each
 * epoch line; --quiet draws none there either, nor does a run whose stdout
 * goes to a file. */
START_TEST(test_cli_output_quiet_silent_pipe_terminal)
{
    make_tmp("output");
    char out[700];
    snprintf(out, sizeof out, "%s/pipe", tmp);
    char *text = cli_output(out, NULL, TO_PIPE);
    ck_assert_msg(strstr(text, "Device: ") && strstr(text, "\nEpoch 1/3  ") && strstr(text, "\nEpoch 3/3  ") &&
                      strstr(text, "Test set (165 samples)") && strstr(text, "Run directory: "),
                  "%s", text);
    ck_assert_msg(!strchr(text, '\r') && !strchr(text, '\033'), "a bar in a pipe:\n%s", text);
    free(text);

    snprintf(out, sizeof out, "%s/quiet", tmp);
    text = cli_output(out, "--quiet", TO_PIPE);
    ck_assert_msg(epoch_lines_only(text), "--quiet printed more or less than 3 epoch lines:\n%s", text);
    free(text);

    snprintf(out, sizeof out, "%s/silent", tmp);
    text = cli_output(out, "--silent", TO_PIPE);
    ck_assert_msg(!*text, "--silent printed:\n%s", text);
    free(text);
    ck_assert(exists(out, "summary.yaml")); /* it did run */

    snprintf(out, sizeof out, "%s/terminal", tmp);
    text = cli_output(out, NULL, TO_TERMINAL);
    ck_assert_msg(strstr(text, "\rEpoch 1/3  ") && strstr(text, "\r\033[K") && strstr(text, "Test set"), "%s", text);
    free(text);

    snprintf(out, sizeof out, "%s/terminal-quiet", tmp);
    text = cli_output(out, "--quiet", TO_TERMINAL);
    /* A terminal turns \n into \r\n: drop those carriage returns, then only epoch lines remain. */
    char *o = text;
    for (const char *p = text; *p; p++)
        if (!(p[0] == '\r' && p[1] == '\n'))
            *o++ = *p;
    *o = '\0';
    ck_assert_msg(!strchr(text, '\r') && epoch_lines_only(text), "--quiet on a terminal:\n%s", text);
    free(text);

    /* `cltrain run ... > log` on a terminal: no bar on stderr between the
     * lines the file gets. */
    snprintf(out, sizeof out, "%s/file", tmp);
    text = cli_output(out, NULL, STDOUT_TO_FILE);
    ck_assert_msg(!*text, "stderr got:\n%s", text);
    free(text);
}
END_TEST

/* ------------------------------------------------------------ progress */

typedef struct {
    size_t calls, last_done, batches;
    double last_running[2];
    bool monotonic;
} progress_log;

static void log_progress(void *user, size_t done, size_t batches, const double *running)
{
    progress_log *p = user;
    p->monotonic = p->monotonic && done == p->last_done + 1;
    p->calls++;
    p->last_done = done;
    p->batches = batches;
    memcpy(p->last_running, running, sizeof p->last_running);
}

/* Every finished batch is reported once, in order, and the running values
 * after the last batch are the epoch's training values, bit for bit. */
START_TEST(test_progress_follows_finished_batches)
{
    const char *sets[] = {"train.epochs=1"};
    ct_experiment *exp = shipped("sunshine", sets, 1);
    ct_dataset d;
    ck_assert_msg(ct_dataset_load(exp, data_dir(), &d) == CT_OK, "%s", ct_last_error());
    ct_device_info info;
    ck_assert(ct_device_find(ct_device_spec_from_env(NULL), &info) == CT_OK);
    ct_context *ctx;
    ck_assert(ct_context_create(&info, &ctx) == CT_OK);
    ct_host_split train = ct_split_data_host(&d.train);
    ct_trainer *t;
    ck_assert_msg(ct_trainer_create(ctx, exp, d.in_ndim, d.in_shape, d.target_width, &train, NULL, &t) == CT_OK, "%s",
                  ct_last_error());
    for (int epoch = 0; epoch < 2; epoch++) {
        progress_log log = {.monotonic = true};
        ct_epoch_hooks hooks = {log_progress, NULL, &log};
        double values[2];
        bool finished;
        ck_assert(ct_trainer_epoch(t, epoch, values, &hooks, &finished) == CT_OK);
        ck_assert(finished);
        ck_assert_uint_eq(log.batches, ct_trainer_batches(t));
        ck_assert_uint_eq(log.calls, ct_trainer_batches(t));
        ck_assert(log.monotonic);
        ck_assert_msg(log.last_running[0] == values[0] && log.last_running[1] == values[1],
                      "running %.9g %.9g, epoch %.9g %.9g", log.last_running[0], log.last_running[1], values[0],
                      values[1]);
    }
    ct_trainer_free(t);
    ct_context_destroy(ctx);
    ct_dataset_free(&d);
    ct_experiment_free(exp);
}
END_TEST

/* The bar's line: epoch, i/N, elapsed, ETA, running values; throttled redraws. */
START_TEST(test_progress_bar_line)
{
    FILE *f = tmpfile();
    ck_assert_ptr_nonnull(f);
    const char *names[] = {"loss", "accuracy"};
    ct_progress_bar *bar;
    ck_assert(ct_progress_bar_create(f, names, 2, &bar) == CT_OK);
    ct_progress_bar_start(bar, 2, 10);
    double running[2] = {1.25, 0.5};
    ct_progress_bar_update(bar, 1, 157, running);
    ct_progress_bar_update(bar, 2, 157, running); /* within 0.1 s: not drawn */
    usleep(1000000 / CT_PROGRESS_REDRAWS_PER_SECOND + 20000);
    ct_progress_bar_update(bar, 40, 157, running);
    ct_progress_bar_clear(bar);
    ct_progress_bar_free(bar);
    rewind(f);
    char text[2048] = "";
    size_t n = fread(text, 1, sizeof text - 1, f);
    text[n] = '\0';
    fclose(f);
    ck_assert_msg(strstr(text, "\rEpoch 3/10  1/157 [") && strstr(text, "ETA ?  loss: 1.2500  accuracy: 0.5000"),
                  "%s", text);
    ck_assert_msg(!strstr(text, " 2/157 "), "redrawn within 0.1 s: %s", text);
    ck_assert_msg(strstr(text, "\rEpoch 3/10  40/157 [======>") && strstr(text, "s, ETA "), "%s", text);
    ck_assert_msg(n >= 4 && !strcmp(text + n - 4, "\r\033[K"), "not erased at the end: %s", text);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("resume");
    TCase *tc = tcase_create("checkpoint");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_checkpoint_file_round_trip);
    tcase_add_test(tc, test_config_changes);
    tcase_add_test(tc, test_resume_mlp_exact);
    tcase_add_test(tc, test_resume_cnn_exact);
    tcase_add_test(tc, test_resume_augmentation_exact);
    tcase_add_test(tc, test_resume_graph_exact);
    tcase_add_test(tc, test_resume_training_options_exact);
    tcase_add_test(tc, test_resume_more_epochs);
    tcase_add_test(tc, test_resume_clears_stale_temp_files);
    tcase_add_test(tc, test_sigkill_at_random_moments);
    tcase_add_test(tc, test_signals);
    tcase_add_test(tc, test_progress_follows_finished_batches);
    tcase_add_test(tc, test_progress_bar_line);
    suite_add_tcase(s, tc);
    TCase *output = tcase_create("output"); /* CK_RUN_CASE=output runs it alone */
    tcase_set_timeout(output, 600);
    tcase_add_test(output, test_cli_output_quiet_silent_pipe_terminal);
    tcase_add_test(output, test_nan_names_epoch_and_batch);
    tcase_add_test(output, test_checkpoint_every);
    suite_add_tcase(s, output);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
