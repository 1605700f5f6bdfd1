/* Run-directory writers: atomic files, history.csv, the weights file and
 * the YAML writer. Files go to a fresh folder under $CLTRAIN_TEST_TMPDIR
 * (else /tmp). */
#define _GNU_SOURCE /* nftw */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "cltrain/report.h"

/* ------------------------------------------------------------ helpers */

static char test_dir[512];

/* A new empty folder for each test (tests run forked, one after another). */
static void make_test_dir(void)
{
    const char *base = getenv("CLTRAIN_TEST_TMPDIR");
    char parent[400];
    snprintf(parent, sizeof parent, "%s", base && *base ? base : "/tmp");
    mkdir(parent, 0755);
    snprintf(test_dir, sizeof test_dir, "%s/report-test-XXXXXX", parent);
    ck_assert_ptr_nonnull(mkdtemp(test_dir));
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    (void)type;
    (void)ftw;
    return remove(path);
}

/* Leave nothing behind: the folder and whatever a test put in it. */
static void remove_test_dir(void)
{
    nftw(test_dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
}

static const char *path_in_test_dir(const char *name, char *buf, size_t size)
{
    snprintf(buf, size, "%s/%s", test_dir, name);
    return buf;
}

static void write_bytes(const char *path, const void *bytes, size_t size)
{
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(bytes, 1, size, f), size);
    ck_assert_int_eq(fclose(f), 0);
}

static void write_text(const char *path, const char *text)
{
    write_bytes(path, text, strlen(text));
}

/* The whole file, NUL-terminated; *size without the NUL. */
static unsigned char *read_bytes(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
    long length = ftell(f);
    ck_assert_int_ge(length, 0);
    rewind(f);
    unsigned char *bytes = malloc((size_t)length + 1);
    ck_assert_ptr_nonnull(bytes);
    ck_assert_uint_eq(fread(bytes, 1, (size_t)length, f), (size_t)length);
    bytes[length] = '\0';
    fclose(f);
    *size = (size_t)length;
    return bytes;
}

static char *read_text(const char *path)
{
    size_t size;
    return (char *)read_bytes(path, &size);
}

/* Number of entries in the test folder (temporary files included). */
static int files_in_test_dir(void)
{
    DIR *d = opendir(test_dir);
    ck_assert_ptr_nonnull(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(d));)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            n++;
    closedir(d);
    return n;
}

static bool same_bits(double a, double b) { return memcmp(&a, &b, sizeof a) == 0; }

/* =============================================================== atomic */

static void commit_synced(ct_atomic_file *f) { ck_assert_int_eq(ct_atomic_commit(f), CT_OK); }
static void commit_unsynced(ct_atomic_file *f) { ck_assert_int_eq(ct_atomic_commit_unsynced(f), CT_OK); }

/* Writes `text` to a replacement of path, ends it with `finish`, and checks
 * that path then holds `expected` and that no temporary file is left. */
static void replace_and_check(const char *path, const char *text, void (*finish)(ct_atomic_file *),
                              const char *expected)
{
    ct_atomic_file *f;
    ck_assert_int_eq(ct_atomic_open(path, &f), CT_OK);
    fputs(text, ct_atomic_stream(f));
    finish(f);
    char *back = read_text(path);
    ck_assert_str_eq(back, expected);
    free(back);
    ck_assert_int_eq(files_in_test_dir(), 1);
}

START_TEST(test_atomic_commit_and_abort)
{
    char path[600];
    path_in_test_dir("summary.yaml", path, sizeof path);
    ct_atomic_file *f;
    ck_assert_int_eq(ct_atomic_open(path, &f), CT_OK);
    fputs("first\n", ct_atomic_stream(f));
    /* Nothing at the final name until the commit, only the temporary file. */
    ck_assert_int_ne(access(path, F_OK), 0);
    ck_assert_int_eq(files_in_test_dir(), 1);
    ck_assert_int_eq(ct_atomic_commit(f), CT_OK);
    char *text = read_text(path);
    ck_assert_str_eq(text, "first\n");
    free(text);
    ck_assert_int_eq(files_in_test_dir(), 1);

    /* A replacement that is aborted leaves the old file as it was. */
    replace_and_check(path, "second, half written", ct_atomic_abort, "first\n");
    /* A committed replacement replaces, with or without the syncs. */
    replace_and_check(path, "second\n", commit_synced, "second\n");
    replace_and_check(path, "third\n", commit_unsynced, "third\n");
    ct_atomic_abort(NULL);
}
END_TEST

START_TEST(test_atomic_permissions_and_bare_names)
{
    char path[600];
    mode_t old = umask(022);
    ct_atomic_file *f;
    ck_assert_int_eq(ct_atomic_open(path_in_test_dir("w.bin", path, sizeof path), &f), CT_OK);
    ck_assert_int_eq(ct_atomic_commit(f), CT_OK);
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0644); /* as fopen would, not mkstemp's 0600 */
    umask(old);

    /* A bare file name lands in the current folder. */
    char cwd[600];
    ck_assert_ptr_nonnull(getcwd(cwd, sizeof cwd));
    ck_assert_int_eq(chdir(test_dir), 0);
    ck_assert_int_eq(ct_atomic_open("bare.txt", &f), CT_OK);
    fputs("x", ct_atomic_stream(f));
    ck_assert_int_eq(ct_atomic_commit(f), CT_OK);
    ck_assert_int_eq(access("bare.txt", F_OK), 0);
    ck_assert_int_eq(chdir(cwd), 0);
}
END_TEST

START_TEST(test_atomic_errors)
{
    char path[600];
    ct_atomic_file *f = (ct_atomic_file *)1;
    ck_assert_int_eq(ct_atomic_open(path_in_test_dir("no/such/folder/x", path, sizeof path), &f),
                     CT_ERR_IO);
    ck_assert_ptr_null(f);
    ck_assert_ptr_nonnull(strstr(ct_last_error(), "no/such/folder"));
    ck_assert_ptr_nonnull(strstr(ct_last_error(), strerror(ENOENT)));
    ck_assert_int_eq(ct_atomic_open("", &f), CT_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(ct_atomic_open(path_in_test_dir("", path, sizeof path), &f),
                     CT_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(ct_atomic_commit(NULL), CT_ERR_INVALID_ARGUMENT);

    /* The target is a folder: the rename fails, the temporary file goes. */
    ck_assert_int_eq(mkdir(path_in_test_dir("taken", path, sizeof path), 0755), 0);
    ck_assert_int_eq(ct_atomic_open(path, &f), CT_OK);
    fputs("x", ct_atomic_stream(f));
    ck_assert_int_eq(ct_atomic_commit(f), CT_ERR_IO);
    ck_assert_ptr_nonnull(strstr(ct_last_error(), "taken"));
    ck_assert_int_eq(files_in_test_dir(), 1);
}
END_TEST

/* A full disk (here: the file size limit) is reported by the commit and
 * leaves neither the target nor a temporary file. */
START_TEST(test_atomic_full_disk)
{
    signal(SIGXFSZ, SIG_IGN); /* write() then fails with EFBIG instead */
    struct rlimit old, small = {.rlim_cur = 4096, .rlim_max = RLIM_INFINITY};
    getrlimit(RLIMIT_FSIZE, &old);
    small.rlim_max = old.rlim_max;
    ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &small), 0);

    char path[600];
    ct_atomic_file *f;
    ck_assert_int_eq(ct_atomic_open(path_in_test_dir("big.csv", path, sizeof path), &f), CT_OK);
    for (int i = 0; i < 10000; i++)
        fputs("0123456789", ct_atomic_stream(f));
    ct_status s = ct_atomic_commit(f);
    setrlimit(RLIMIT_FSIZE, &old);
    ck_assert_int_eq(s, CT_ERR_IO);
    ck_assert_ptr_nonnull(strstr(ct_last_error(), "big.csv"));
    ck_assert_int_ne(access(path, F_OK), 0);
    ck_assert_int_eq(files_in_test_dir(), 0);
}
END_TEST

/* ============================================================== history */

static const char *const sunshine_columns[] = {"loss", "root_mean_squared_error", "val_loss",
                                               "val_root_mean_squared_error", "seconds"};

static ct_history *sunshine_history(void)
{
    ct_history *h;
    ck_assert_int_eq(ct_history_create(sunshine_columns, 5, &h), CT_OK);
    const double rows[][5] = {
        {20.5, 4.5277, 18.25, 4.272, 0.5},
        {10.1, 3.178, 9.0, 3.0, 0.25},
        {9.5, 3.0822, 9.0, 3.0, 0.25},   /* ties the best val_loss: the first stays best */
        {9.0, 3.0, NAN, NAN, 0.25},      /* a NaN is skipped */
        {8.5, 2.9155, 9.5, 3.0822, 0.125},
    };
    for (size_t r = 0; r < 5; r++)
        ck_assert_int_eq(ct_history_append(h, rows[r], 5), CT_OK);
    return h;
}

START_TEST(test_history_table)
{
    ct_history *h = sunshine_history();
    ck_assert_uint_eq(ct_history_rows(h), 5);
    ck_assert_uint_eq(ct_history_columns(h), 5);
    ck_assert_str_eq(ct_history_column_name(h, 2), "val_loss");
    ck_assert_ptr_null(ct_history_column_name(h, 5));
    ck_assert_int_eq(ct_history_epoch(h, 0), 0);
    ck_assert_int_eq(ct_history_epoch(h, 4), 4);
    ck_assert_int_eq(ct_history_epoch(h, 5), -1);
    ck_assert(ct_history_value(h, 1, 0) == 10.1);
    ck_assert(isnan(ct_history_value(h, 9, 0)));

    int epoch;
    double value;
    ck_assert_int_eq(ct_history_best(h, "val_loss", CT_MODE_AUTO, &epoch, &value), CT_OK);
    ck_assert_int_eq(epoch, 1);
    ck_assert(value == 9.0);
    ck_assert_int_eq(ct_history_best(h, "loss", CT_MODE_MAX, &epoch, &value), CT_OK);
    ck_assert_int_eq(epoch, 0);
    ck_assert(value == 20.5);
    ck_assert_int_eq(ct_history_best(h, "seconds", CT_MODE_MIN, &epoch, &value), CT_OK);
    ck_assert_int_eq(epoch, 4);

    ck_assert_int_eq(ct_history_best(h, "val_accuracy", CT_MODE_AUTO, &epoch, &value),
                     CT_ERR_NOT_FOUND);
    ck_assert_str_eq(ct_last_error(),
                     "history has no column 'val_accuracy' (columns: loss, "
                     "root_mean_squared_error, val_loss, val_root_mean_squared_error, seconds)");
    /* auto cannot tell for "seconds". */
    ck_assert_int_eq(ct_history_best(h, "seconds", CT_MODE_AUTO, &epoch, &value), CT_ERR_CONFIG);
    const double wrong[3] = {1, 2, 3};
    ck_assert_int_eq(ct_history_append(h, wrong, 3), CT_ERR_INVALID_ARGUMENT);
    ct_history_free(h);

    /* A column with only NaN has no best. */
    const char *cols[] = {"val_loss"};
    ck_assert_int_eq(ct_history_create(cols, 1, &h), CT_OK);
    double nan = NAN;
    ck_assert_int_eq(ct_history_best(h, "val_loss", CT_MODE_AUTO, &epoch, &value),
                     CT_ERR_NOT_FOUND);
    ck_assert_int_eq(ct_history_append(h, &nan, 1), CT_OK);
    ck_assert_int_eq(ct_history_best(h, "val_loss", CT_MODE_AUTO, &epoch, &value),
                     CT_ERR_NOT_FOUND);
    ct_history_free(h);
    ct_history_free(NULL);
}
END_TEST

START_TEST(test_history_bad_columns)
{
    ct_history *h = (ct_history *)1;
    const char *dup[] = {"loss", "val_loss", "loss"};
    ck_assert_int_eq(ct_history_create(dup, 3, &h), CT_ERR_INVALID_ARGUMENT);
    ck_assert_ptr_null(h);
    ck_assert_str_eq(ct_last_error(), "history column 'loss' appears twice");
    const char *comma[] = {"a,b"};
    ck_assert_int_eq(ct_history_create(comma, 1, &h), CT_ERR_INVALID_ARGUMENT);
    const char *epoch[] = {"epoch"};
    ck_assert_int_eq(ct_history_create(epoch, 1, &h), CT_ERR_INVALID_ARGUMENT);
    const char *empty[] = {""};
    ck_assert_int_eq(ct_history_create(empty, 1, &h), CT_ERR_INVALID_ARGUMENT);
    /* No columns at all is a valid (if dull) history. */
    ck_assert_int_eq(ct_history_create(NULL, 0, &h), CT_OK);
    ck_assert_int_eq(ct_history_append(h, NULL, 0), CT_OK);
    ck_assert_uint_eq(ct_history_rows(h), 1);
    ct_history_free(h);
}
END_TEST

START_TEST(test_history_csv_text)
{
    const char *cols[] = {"loss", "val_loss", "seconds"};
    ct_history *h;
    ck_assert_int_eq(ct_history_create(cols, 3, &h), CT_OK);
    const double r0[] = {1.5, 2.0, 0.1};
    const double r1[] = {0.30000000000000004, NAN, INFINITY};
    ck_assert_int_eq(ct_history_append(h, r0, 3), CT_OK);
    ck_assert_int_eq(ct_history_append(h, r1, 3), CT_OK);
    char path[600];
    ck_assert_int_eq(ct_history_write_csv(h, path_in_test_dir("history.csv", path, sizeof path)),
                     CT_OK);
    char *text = read_text(path);
    ck_assert_str_eq(text, "epoch,loss,val_loss,seconds\n"
                           "0,1.5,2,0.1\n"
                           "1,0.30000000000000004,nan,inf\n");
    free(text);
    ck_assert_int_eq(files_in_test_dir(), 1);

    /* Rewritten every epoch: the file always holds every row so far, also
     * when written without syncing (the runner's choice between syncs). */
    ck_assert_int_eq(ct_history_append(h, r0, 3), CT_OK);
    ck_assert_int_eq(ct_history_write_csv_durability(h, path, false), CT_OK);
    const char *three_rows = "epoch,loss,val_loss,seconds\n"
                             "0,1.5,2,0.1\n"
                             "1,0.30000000000000004,nan,inf\n"
                             "2,1.5,2,0.1\n";
    text = read_text(path);
    ck_assert_str_eq(text, three_rows);
    free(text);
    ck_assert_int_eq(files_in_test_dir(), 1);
    ct_history_free(h);

    /* A table read back writes the same text. */
    ck_assert_int_eq(ct_history_read_csv(path, &h), CT_OK);
    ck_assert_int_eq(ct_history_write_csv(h, path_in_test_dir("again.csv", path, sizeof path)), CT_OK);
    text = read_text(path);
    ck_assert_str_eq(text, three_rows);
    free(text);
    ct_history_free(h);
}
END_TEST

START_TEST(test_history_round_trip)
{
    const char *cols[] = {"loss", "val_accuracy"};
    ct_history *h;
    ck_assert_int_eq(ct_history_create(cols, 2, &h), CT_OK);
    /* Values whose shortest exact text needs all 17 digits, tiny, huge, -0. */
    const double rows[][2] = {{1.0 / 3.0, 0.1}, {1e-300, 4.9e-324}, {1.7976931348623157e308, -0.0},
                              {NAN, -INFINITY}, {2.0 / 3.0, 123456789.125}};
    for (int r = 0; r < 5; r++)
        ck_assert_int_eq(ct_history_append(h, rows[r], 2), CT_OK);
    char path[600];
    ck_assert_int_eq(ct_history_write_csv(h, path_in_test_dir("h.csv", path, sizeof path)), CT_OK);
    ct_history *back;
    ck_assert_int_eq(ct_history_read_csv(path, &back), CT_OK);
    ck_assert_uint_eq(ct_history_rows(back), 5);
    ck_assert_uint_eq(ct_history_columns(back), 2);
    ck_assert_str_eq(ct_history_column_name(back, 1), "val_accuracy");
    for (size_t r = 0; r < 5; r++) {
        ck_assert_int_eq(ct_history_epoch(back, r), (int)r);
        for (size_t c = 0; c < 2; c++) {
            double a = rows[r][c], b = ct_history_value(back, r, c);
            ck_assert_msg((isnan(a) && isnan(b)) || same_bits(a, b), "row %zu col %zu: %.17g vs %.17g",
                          r, c, a, b);
        }
    }
    ct_history_free(back);
    ct_history_free(h);
}
END_TEST

START_TEST(test_history_read_keras_csv)
{
    /* Keras' CSVLogger: CRLF here, "NA" for a value an epoch lacked. */
    char path[600];
    write_text(path_in_test_dir("keras.csv", path, sizeof path),
               "epoch,loss,val_loss\r\n0,2.5,NA\r\n1,1.25,1.5\r\n\r\n");
    ct_history *h;
    ck_assert_int_eq(ct_history_read_csv(path, &h), CT_OK);
    ck_assert_uint_eq(ct_history_rows(h), 2);
    ck_assert(isnan(ct_history_value(h, 0, 1)));
    ck_assert(ct_history_value(h, 1, 1) == 1.5);
    ct_history_free(h);
}
END_TEST

/* Each bad file and the exact message it gets. */
static void expect_read_error(const char *content, ct_status status, const char *message_tail)
{
    char path[600];
    write_text(path_in_test_dir("bad.csv", path, sizeof path), content);
    ct_history *h = (ct_history *)1;
    ck_assert_int_eq(ct_history_read_csv(path, &h), status);
    ck_assert_ptr_null(h);
    char expected[900];
    snprintf(expected, sizeof expected, "%s%s", path, message_tail);
    ck_assert_str_eq(ct_last_error(), expected);
}

START_TEST(test_history_read_errors)
{
    expect_read_error("", CT_ERR_PARSE, ": empty file, expected a header line \"epoch,...\"");
    expect_read_error("loss,val_loss\n1,2\n", CT_ERR_PARSE,
                      ":1: the first column must be 'epoch', found 'loss'");
    expect_read_error("epoch,loss,loss\n", CT_ERR_PARSE, ":1: history column 'loss' appears twice");
    expect_read_error("epoch,loss,val_loss\n0,1,2\n1,1\n", CT_ERR_PARSE,
                      ":3: expected 3 fields like the header, found 2");
    expect_read_error("epoch,loss,val_loss\n0,1,2,3\n", CT_ERR_PARSE,
                      ":2: expected 3 fields like the header, found 4");
    expect_read_error("epoch,loss,val_loss\n0,1,2\n1,0.5,abc\n", CT_ERR_PARSE,
                      ":3: column val_loss: expected a number, got 'abc'");
    expect_read_error("epoch,loss\n0,1.5x\n", CT_ERR_PARSE,
                      ":2: column loss: expected a number, got '1.5x'");
    expect_read_error("epoch,loss\n-1,1.5\n", CT_ERR_PARSE,
                      ":2: epoch: expected a whole number >= 0, got '-1'");
    expect_read_error("epoch,loss\n1.5,1.5\n", CT_ERR_PARSE,
                      ":2: epoch: expected a whole number >= 0, got '1.5'");

    char path[600];
    ct_history *h;
    ck_assert_int_eq(ct_history_read_csv(path_in_test_dir("missing.csv", path, sizeof path), &h),
                     CT_ERR_IO);
    ck_assert_ptr_nonnull(strstr(ct_last_error(), "missing.csv"));
}
END_TEST

/* ============================================================== weights */

/* A small net's weights: kernel, bias, a scalar and an empty tensor, with
 * floats that must survive bit for bit (NaN payload, -0, denormal, inf). */
typedef struct {
    float kernel[3 * 2];
    float bias[2];
    float scalar[1];
    ct_named_tensor tensors[4];
} sample_weights;

static void make_sample(sample_weights *s)
{
    memset(s, 0, sizeof *s);
    const float kernel[6] = {0.5f, -0.25f, 1e-40f /* denormal */, -0.0f, INFINITY, 3.14159f};
    memcpy(s->kernel, kernel, sizeof kernel);
    uint32_t nan_bits = 0x7fc12345u; /* a NaN with a payload */
    memcpy(&s->bias[0], &nan_bits, sizeof nan_bits);
    s->bias[1] = -7.75f;
    s->scalar[0] = 42.0f;
    s->tensors[0] = (ct_named_tensor){.name = "dense/kernel", .ndim = 2, .shape = {3, 2},
                                      .data = s->kernel};
    s->tensors[1] = (ct_named_tensor){.name = "dense/bias", .ndim = 1, .shape = {2},
                                      .data = s->bias};
    s->tensors[2] = (ct_named_tensor){.name = "batch_normalization/count", .ndim = 0,
                                      .data = s->scalar};
    s->tensors[3] = (ct_named_tensor){.name = "empty", .ndim = 2, .shape = {0, 5}, .data = NULL};
}

static size_t sample_file_size(void)
{
    /* header + 4 tensors (name length, name, ndim, shape, data) + CRC */
    return 16 + (4 + 12 + 4 + 16 + 24) + (4 + 10 + 4 + 8 + 8) + (4 + 25 + 4 + 0 + 4) +
           (4 + 5 + 4 + 16 + 0) + 4;
}

static char *write_sample(char *path, size_t size)
{
    sample_weights s;
    make_sample(&s);
    ck_assert_int_eq(ct_weights_write(path_in_test_dir("weights.bin", path, size), s.tensors, 4),
                     CT_OK);
    return path;
}

START_TEST(test_crc32_check_value)
{
    /* The standard check value of CRC-32/ISO-HDLC (zlib's crc32). */
    ck_assert_uint_eq(ct_crc32(0, "123456789", 9), 0xcbf43926u);
    ck_assert_uint_eq(ct_crc32(ct_crc32(0, "1234", 4), "56789", 5), 0xcbf43926u);
    ck_assert_uint_eq(ct_crc32(0, "", 0), 0);
}
END_TEST

START_TEST(test_weights_round_trip)
{
    sample_weights s;
    make_sample(&s);
    char path[600];
    write_sample(path, sizeof path);

    ct_named_tensor *back;
    size_t n;
    ck_assert_int_eq(ct_weights_read(path, &back, &n), CT_OK);
    ck_assert_uint_eq(n, 4);
    for (size_t i = 0; i < n; i++) {
        ck_assert_str_eq(back[i].name, s.tensors[i].name);
        ck_assert_int_eq(back[i].ndim, s.tensors[i].ndim);
        for (int d = 0; d < back[i].ndim; d++)
            ck_assert_uint_eq(back[i].shape[d], s.tensors[i].shape[d]);
        size_t count = ct_named_tensor_count(&back[i]);
        ck_assert_uint_eq(count, ct_named_tensor_count(&s.tensors[i]));
        if (count)
            ck_assert_mem_eq(back[i].data, s.tensors[i].data, count * sizeof(float));
    }
    ct_weights_free(back, n);
}
END_TEST

START_TEST(test_weights_layout)
{
    char path[600];
    write_sample(path, sizeof path);
    size_t size;
    unsigned char *bytes = read_bytes(path, &size);
    ck_assert_uint_eq(size, sample_file_size());
    ck_assert_mem_eq(bytes, "CLTRAINW", 8);
    const unsigned char version_and_count[] = {1, 0, 0, 0, 4, 0, 0, 0};
    ck_assert_mem_eq(bytes + 8, version_and_count, 8);
    /* First tensor: name length 12, "dense/kernel", ndim 2, shape 3 x 2, 0.5f. */
    const unsigned char first[] = {12, 0, 0, 0, 'd', 'e', 'n', 's', 'e', '/', 'k', 'e', 'r', 'n',
                                   'e', 'l', 2, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0,
                                   0, 0, 0, 0, 0x00, 0x00, 0x00, 0x3f};
    ck_assert_mem_eq(bytes + 16, first, sizeof first);
    /* The trailer is the CRC-32 of everything before it, little-endian. */
    uint32_t crc = ct_crc32(0, bytes, size - 4);
    const unsigned char trailer[] = {(unsigned char)crc, (unsigned char)(crc >> 8),
                                     (unsigned char)(crc >> 16), (unsigned char)(crc >> 24)};
    ck_assert_mem_eq(bytes + size - 4, trailer, 4);
    free(bytes);
}
END_TEST

START_TEST(test_weights_zero_tensors)
{
    char path[600];
    ck_assert_int_eq(ct_weights_write(path_in_test_dir("none.bin", path, sizeof path), NULL, 0),
                     CT_OK);
    size_t size;
    free(read_bytes(path, &size));
    ck_assert_uint_eq(size, 20);
    ct_named_tensor *back = (ct_named_tensor *)1;
    size_t n = 9;
    ck_assert_int_eq(ct_weights_read(path, &back, &n), CT_OK);
    ck_assert_uint_eq(n, 0);
    ck_assert_ptr_null(back);
    ct_weights_free(NULL, 0);
}
END_TEST

static ct_status read_status(const char *path)
{
    ct_named_tensor *back = NULL;
    size_t n = 0;
    ct_status s = ct_weights_read(path, &back, &n);
    if (s == CT_OK)
        ct_weights_free(back, n);
    else
        ck_assert_ptr_null(back);
    return s;
}

START_TEST(test_weights_truncated)
{
    char path[600], cut[600];
    write_sample(path, sizeof path);
    size_t size;
    unsigned char *bytes = read_bytes(path, &size);
    path_in_test_dir("cut.bin", cut, sizeof cut);
    /* Every shorter file fails cleanly. */
    for (size_t length = 0; length < size; length++) {
        write_bytes(cut, bytes, length);
        ct_status s = read_status(cut);
        ck_assert_msg(s == CT_ERR_PARSE || s == CT_ERR_CHECKSUM, "cut at %zu: %s (%s)", length,
                      ct_status_name(s), ct_last_error());
    }
    /* The message says where. */
    write_bytes(cut, bytes, 0);
    ck_assert_int_eq(read_status(cut), CT_ERR_PARSE);
    ck_assert_ptr_nonnull(strstr(ct_last_error(), "empty file, not a cltrain weights file"));
    write_bytes(cut, bytes, 16 + 60 + 30); /* inside tensor 2's data */
    ck_assert_int_eq(read_status(cut), CT_ERR_PARSE);
    ck_assert_msg(strstr(ct_last_error(), "tensor 2 of 4 ('dense/bias'): the data needs 8 bytes") != NULL, "%s", ct_last_error());
    write_bytes(cut, bytes, 16 + 2); /* inside tensor 1's name length */
    ck_assert_int_eq(read_status(cut), CT_ERR_PARSE);
    ck_assert_ptr_nonnull(strstr(ct_last_error(), "truncated"));
    write_bytes(cut, bytes, size - 1); /* half the checksum */
    ck_assert_int_eq(read_status(cut), CT_ERR_PARSE);
    ck_assert_ptr_nonnull(strstr(ct_last_error(), "tensor 4 of 4 ('empty')"));
    free(bytes);
}
END_TEST

START_TEST(test_weights_flipped_bytes)
{
    char path[600], bad[600];
    write_sample(path, sizeof path);
    size_t size;
    unsigned char *bytes = read_bytes(path, &size);
    path_in_test_dir("flipped.bin", bad, sizeof bad);
    for (size_t i = 0; i < size; i++) {
        bytes[i] ^= 0x10;
        write_bytes(bad, bytes, size);
        ct_status s = read_status(bad);
        ck_assert_msg(s != CT_OK, "byte %zu flipped was accepted", i);
        /* Inside float data only the checksum can tell. */
        if (i >= 16 + 4 + 12 + 4 + 16 && i < 16 + 4 + 12 + 4 + 16 + 24)
            ck_assert_msg(s == CT_ERR_CHECKSUM, "byte %zu: %s", i, ct_last_error());
        bytes[i] ^= 0x10;
    }
    bytes[60] ^= 1; /* a bit of the first float */
    write_bytes(bad, bytes, size);
    ck_assert_int_eq(read_status(bad), CT_ERR_CHECKSUM);
    ck_assert_ptr_nonnull(strstr(ct_last_error(), "checksum mismatch"));
    free(bytes);
}
END_TEST

/* A header with a correct checksum, so only the size checks can object. */
static void write_with_crc(const char *path, unsigned char *bytes, size_t size)
{
    uint32_t crc = ct_crc32(0, bytes, size - 4);
    for (int i = 0; i < 4; i++)
        bytes[size - 4 + i] = (unsigned char)(crc >> (8 * i));
    write_bytes(path, bytes, size);
}

START_TEST(test_weights_bad_headers)
{
    char path[600];
    path_in_test_dir("bad.bin", path, sizeof path);

    write_text(path, "PK\3\4 this is a zip file, not weights");
    ck_assert_int_eq(read_status(path), CT_ERR_PARSE);
    ck_assert_ptr_nonnull(strstr(ct_last_error(), "not a cltrain weights file"));
    write_text(path, "CLT");
    ck_assert_int_eq(read_status(path), CT_ERR_PARSE);
    ck_assert_ptr_nonnull(strstr(ct_last_error(), "not a cltrain weights file"));

    /* Version 2 from a newer cltrain. */
    unsigned char header[20] = {'C', 'L', 'T', 'R', 'A', 'I', 'N', 'W', 2, 0, 0, 0, 0, 0, 0, 0};
    write_with_crc(path, header, sizeof header);
    ck_assert_int_eq(read_status(path), CT_ERR_UNSUPPORTED);
    ck_assert_ptr_nonnull(strstr(ct_last_error(), "version 2"));

    /* 4 billion tensors in 20 bytes: refused before any allocation. */
    unsigned char many[20] = {'C', 'L', 'T', 'R', 'A', 'I', 'N', 'W', 1, 0, 0, 0,
                              0xff, 0xff, 0xff, 0xff};
    write_with_crc(path, many, sizeof many);
    ck_assert_int_eq(read_status(path), CT_ERR_PARSE);
    ck_assert_ptr_nonnull(strstr(ct_last_error(), "4294967295 tensors cannot fit"));

    /* One tensor "w" of shape 2^62 x 4. */
    unsigned char huge[] = {'C', 'L', 'T', 'R', 'A', 'I', 'N', 'W', 1, 0, 0, 0, 1, 0, 0, 0,
                            1, 0, 0, 0, 'w', 2, 0, 0, 0,
                            0, 0, 0, 0, 0, 0, 0, 0x40, 4, 0, 0, 0, 0, 0, 0, 0,
                            0, 0, 0, 0};
    write_with_crc(path, huge, sizeof huge);
    ck_assert_int_eq(read_status(path), CT_ERR_PARSE);
    ck_assert_ptr_nonnull(strstr(ct_last_error(), "tensor 1 of 1 ('w'): shape dimension 0"));

    /* A shape of 2^40 values that fits the arithmetic but not the file. */
    huge[32] = 0;
    huge[30] = 1;
    write_with_crc(path, huge, sizeof huge);
    ck_assert_int_eq(read_status(path), CT_ERR_PARSE);
    ck_assert_ptr_nonnull(strstr(ct_last_error(), "('w'): the data needs 17592186044416 bytes"));

    /* ndim 9. */
    unsigned char dims[] = {'C', 'L', 'T', 'R', 'A', 'I', 'N', 'W', 1, 0, 0, 0, 1, 0, 0, 0,
                            1, 0, 0, 0, 'w', 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    write_with_crc(path, dims, sizeof dims);
    ck_assert_int_eq(read_status(path), CT_ERR_PARSE);
    ck_assert_ptr_nonnull(strstr(ct_last_error(), "ndim 9 not in 0..8"));

    /* Name length 0 and a name longer than the file. */
    unsigned char noname[] = {'C', 'L', 'T', 'R', 'A', 'I', 'N', 'W', 1, 0, 0, 0, 1, 0, 0, 0,
                              0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    write_with_crc(path, noname, sizeof noname);
    ck_assert_int_eq(read_status(path), CT_ERR_PARSE);
    ck_assert_ptr_nonnull(strstr(ct_last_error(), "name length 0"));
    noname[16] = 0xff;
    noname[17] = 0x03; /* 1023: allowed, but beyond the file */
    write_with_crc(path, noname, sizeof noname);
    ck_assert_int_eq(read_status(path), CT_ERR_PARSE);
    ck_assert_ptr_nonnull(strstr(ct_last_error(), "the name needs 1023 bytes"));

    /* Bytes after the last tensor. */
    unsigned char extra[24] = {'C', 'L', 'T', 'R', 'A', 'I', 'N', 'W', 1, 0, 0, 0, 0, 0, 0, 0};
    write_with_crc(path, extra, sizeof extra);
    ck_assert_int_eq(read_status(path), CT_ERR_PARSE);
    ck_assert_ptr_nonnull(strstr(ct_last_error(), "4 unexpected bytes after the last tensor"));

    char missing[600];
    ck_assert_int_eq(read_status(path_in_test_dir("missing.bin", missing, sizeof missing)),
                     CT_ERR_IO);
    ck_assert_int_eq(read_status(test_dir), CT_ERR_IO); /* a folder */
}
END_TEST

START_TEST(test_weights_write_checks)
{
    char path[600];
    path_in_test_dir("w.bin", path, sizeof path);
    float x = 1.0f;
    ct_named_tensor t = {.name = "t", .ndim = 9, .data = &x};
    ck_assert_int_eq(ct_weights_write(path, &t, 1), CT_ERR_INVALID_ARGUMENT);
    t.ndim = -1;
    ck_assert_int_eq(ct_weights_write(path, &t, 1), CT_ERR_INVALID_ARGUMENT);
    t.ndim = 1;
    t.shape[0] = 1;
    t.name = NULL;
    ck_assert_int_eq(ct_weights_write(path, &t, 1), CT_ERR_INVALID_ARGUMENT);
    t.name = "";
    ck_assert_int_eq(ct_weights_write(path, &t, 1), CT_ERR_INVALID_ARGUMENT);
    t.name = "t";
    t.data = NULL;
    ck_assert_int_eq(ct_weights_write(path, &t, 1), CT_ERR_INVALID_ARGUMENT);
    ck_assert_str_eq(ct_last_error(), "weights: tensor 't' has no data");
    char long_name[CT_WEIGHTS_MAX_NAME + 2];
    memset(long_name, 'a', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = '\0';
    t.name = long_name;
    t.data = &x;
    ck_assert_int_eq(ct_weights_write(path, &t, 1), CT_ERR_INVALID_ARGUMENT);
    /* Nothing was written by the refused calls. */
    ck_assert_int_eq(files_in_test_dir(), 0);
    /* The longest name allowed round-trips. */
    long_name[CT_WEIGHTS_MAX_NAME] = '\0';
    ck_assert_int_eq(ct_weights_write(path, &t, 1), CT_OK);
    ct_named_tensor *back;
    size_t n;
    ck_assert_int_eq(ct_weights_read(path, &back, &n), CT_OK);
    ck_assert_str_eq(back[0].name, long_name);
    ct_weights_free(back, n);
}
END_TEST

/* ================================================================= YAML */

/* The node at a dotted key path in a parsed document ("test.loss"), or NULL. */
static yaml_node_t *lookup(yaml_document_t *doc, yaml_node_t *node, const char *path)
{
    char key[128];
    const char *dot = strchr(path, '.');
    size_t length = dot ? (size_t)(dot - path) : strlen(path);
    snprintf(key, sizeof key, "%.*s", (int)length, path);
    if (!node || node->type != YAML_MAPPING_NODE)
        return NULL;
    for (yaml_node_pair_t *p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top;
         p++) {
        yaml_node_t *k = yaml_document_get_node(doc, p->key);
        if (k->type == YAML_SCALAR_NODE && strcmp((char *)k->data.scalar.value, key) == 0) {
            yaml_node_t *v = yaml_document_get_node(doc, p->value);
            return dot ? lookup(doc, v, dot + 1) : v;
        }
    }
    return NULL;
}

static yaml_node_t *scalar_at(yaml_document_t *doc, const char *path)
{
    yaml_node_t *node = lookup(doc, yaml_document_get_root_node(doc), path);
    ck_assert_msg(node != NULL, "no key %s", path);
    ck_assert_msg(node->type == YAML_SCALAR_NODE, "%s is not a scalar", path);
    return node;
}

/* A string reads back as the same text, quoted whenever plain would read
 * as another type. */
static void expect_string(yaml_document_t *doc, const char *path, const char *value,
                          bool must_be_quoted)
{
    yaml_node_t *node = scalar_at(doc, path);
    ck_assert_str_eq((char *)node->data.scalar.value, value);
    if (must_be_quoted)
        ck_assert_msg(node->data.scalar.style != YAML_PLAIN_SCALAR_STYLE, "%s is plain", path);
}

/* A number reads back plain (so typed) with the same value. */
static void expect_plain(yaml_document_t *doc, const char *path, const char *text)
{
    yaml_node_t *node = scalar_at(doc, path);
    ck_assert_int_eq(node->data.scalar.style, YAML_PLAIN_SCALAR_STYLE);
    ck_assert_str_eq((char *)node->data.scalar.value, text);
}

static void expect_double(yaml_document_t *doc, const char *path, double value)
{
    yaml_node_t *node = scalar_at(doc, path);
    ck_assert_int_eq(node->data.scalar.style, YAML_PLAIN_SCALAR_STYLE);
    const char *text = (const char *)node->data.scalar.value;
    ck_assert_msg(strchr(text, '.') != NULL, "%s: '%s' has no '.'", path, text);
    double back = strcmp(text, ".nan") == 0   ? NAN
                  : strcmp(text, ".inf") == 0  ? INFINITY
                  : strcmp(text, "-.inf") == 0 ? -INFINITY
                                               : strtod(text, NULL);
    ck_assert_msg((isnan(value) && isnan(back)) || same_bits(value, back), "%s: %s vs %.17g",
                  path, text, value);
}

static const char *const tricky_strings[][2] = {
    /* key, value */
    {"quotes", "she said \"hi\" and 'bye'"},
    {"colon", "val_loss: 3.2"},
    {"newlines", "line one\nline two\n"},
    {"leading_space", "  indented"},
    {"hash", "# not a comment"},
    {"dash", "- not a list"},
    {"braces", "{not: a map}"},
    {"unicode", "Basel \xe2\x98\x80 sunshine"},
    {"tab", "a\tb"},
    {"backslash", "C:\\runs\\x"},
    {"device", "pthread-haswell"},
};

static const char *const lookalikes[][2] = {
    {"number", "123"}, {"float", "1.5"},   {"bool", "true"}, {"yes", "Yes"}, {"off", "off"},
    {"null", "null"},  {"tilde", "~"},     {"empty", ""},    {"date", "2024-05-01"},
    {"inf", ".inf"},   {"neg", "-1"},
};

START_TEST(test_yaml_round_trip)
{
    char path[600];
    FILE *out = fopen(path_in_test_dir("summary.yaml", path, sizeof path), "w");
    ck_assert_ptr_nonnull(out);
    ct_yaml_writer *w;
    ck_assert_int_eq(ct_yaml_writer_open(out, &w), CT_OK);
    ct_yaml_begin_map(w);
    ct_yaml_key(w, "strings");
    ct_yaml_begin_map(w);
    for (size_t i = 0; i < sizeof tricky_strings / sizeof tricky_strings[0]; i++) {
        ct_yaml_key(w, tricky_strings[i][0]);
        ct_yaml_value_str(w, tricky_strings[i][1]);
    }
    for (size_t i = 0; i < sizeof lookalikes / sizeof lookalikes[0]; i++) {
        ct_yaml_key(w, lookalikes[i][0]);
        ct_yaml_value_str(w, lookalikes[i][1]);
    }
    ct_yaml_end_map(w);
    ct_yaml_key(w, "numbers");
    ct_yaml_begin_map(w);
    const double doubles[] = {1.0, 0.1, 3.215, 1e20, 1e-7, -2.5, 1.0 / 3.0, NAN, INFINITY,
                              -INFINITY, 5e-324};
    for (size_t i = 0; i < sizeof doubles / sizeof doubles[0]; i++) {
        char key[16];
        snprintf(key, sizeof key, "d%zu", i);
        ct_yaml_key(w, key);
        ct_yaml_value_double(w, doubles[i]);
    }
    ct_yaml_key(w, "best_epoch");
    ct_yaml_value_int(w, 21);
    ct_yaml_key(w, "min");
    ct_yaml_value_int(w, INT64_MIN);
    ct_yaml_key(w, "stopped");
    ct_yaml_value_bool(w, true);
    ct_yaml_key(w, "baseline");
    ct_yaml_value_str(w, NULL);
    ct_yaml_end_map(w);
    ct_yaml_key(w, "metrics");
    ct_yaml_begin_list(w);
    ct_yaml_value_str(w, "rmse");
    ct_yaml_value_str(w, "true");
    ct_yaml_end_list(w);
    ct_yaml_key(w, "123"); /* a key that looks like a number stays a string */
    ct_yaml_value_str(w, "numeric key");
    ct_yaml_end_map(w);
    ck_assert_msg(ct_yaml_writer_close(w) == CT_OK, "%s", ct_last_error());
    ck_assert_int_eq(fclose(out), 0);

    /* Parse it back with libyaml. */
    FILE *in = fopen(path, "rb");
    ck_assert_ptr_nonnull(in);
    yaml_parser_t parser;
    yaml_document_t doc;
    ck_assert(yaml_parser_initialize(&parser));
    yaml_parser_set_input_file(&parser, in);
    ck_assert_msg(yaml_parser_load(&parser, &doc), "parse error: %s", parser.problem);
    fclose(in);

    char key[64];
    for (size_t i = 0; i < sizeof tricky_strings / sizeof tricky_strings[0]; i++) {
        snprintf(key, sizeof key, "strings.%s", tricky_strings[i][0]);
        expect_string(&doc, key, tricky_strings[i][1], false);
    }
    for (size_t i = 0; i < sizeof lookalikes / sizeof lookalikes[0]; i++) {
        snprintf(key, sizeof key, "strings.%s", lookalikes[i][0]);
        expect_string(&doc, key, lookalikes[i][1], true);
    }
    expect_string(&doc, "strings.device", "pthread-haswell", false);
    ck_assert_int_eq(scalar_at(&doc, "strings.device")->data.scalar.style,
                     YAML_PLAIN_SCALAR_STYLE); /* plain text stays readable */
    for (size_t i = 0; i < sizeof doubles / sizeof doubles[0]; i++) {
        snprintf(key, sizeof key, "numbers.d%zu", i);
        expect_double(&doc, key, doubles[i]);
    }
    expect_plain(&doc, "numbers.d0", "1.0");
    expect_plain(&doc, "numbers.d3", "1.0e+20");
    expect_plain(&doc, "numbers.best_epoch", "21");
    expect_plain(&doc, "numbers.min", "-9223372036854775808");
    expect_plain(&doc, "numbers.stopped", "true");
    expect_plain(&doc, "numbers.baseline", "null");
    yaml_node_t *metrics = lookup(&doc, yaml_document_get_root_node(&doc), "metrics");
    ck_assert_ptr_nonnull(metrics);
    ck_assert_int_eq(metrics->type, YAML_SEQUENCE_NODE);
    ck_assert_int_eq(metrics->data.sequence.items.top - metrics->data.sequence.items.start, 2);
    yaml_node_t *second = yaml_document_get_node(&doc, metrics->data.sequence.items.start[1]);
    ck_assert_str_eq((char *)second->data.scalar.value, "true");
    ck_assert_int_ne(second->data.scalar.style, YAML_PLAIN_SCALAR_STYLE);
    expect_string(&doc, "123", "numeric key", false);
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
}
END_TEST

START_TEST(test_yaml_errors_stick)
{
    char path[600];
    FILE *out = fopen(path_in_test_dir("bad.yaml", path, sizeof path), "w");
    ck_assert_ptr_nonnull(out);
    ct_yaml_writer *w;
    ck_assert_int_eq(ct_yaml_writer_open(out, &w), CT_OK);
    /* libyaml looks ahead a few events, so a misuse may surface a call or
     * two later; from then on every call repeats the first failure. */
    ct_status first = CT_OK;
    char detail[512] = "";
    ct_status calls[] = {ct_yaml_begin_map(w), ct_yaml_key(w, "a"),
                         ct_yaml_end_list(w) /* no list is open */, ct_yaml_value_int(w, 1),
                         ct_yaml_key(w, "b"), ct_yaml_value_int(w, 2)};
    for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++) {
        if (first == CT_OK && calls[i] != CT_OK)
            first = calls[i];
        else if (first != CT_OK)
            ck_assert_int_eq(calls[i], first);
    }
    snprintf(detail, sizeof detail, "%s", ct_last_error());
    ck_assert_int_ne(first, CT_OK);
    ck_assert_int_eq(ct_yaml_key(w, NULL), first);
    ck_assert_int_eq(ct_yaml_writer_close(w), first);
    ck_assert_str_eq(ct_last_error(), detail);
    ck_assert_ptr_nonnull(strstr(detail, "writing YAML: "));
    fclose(out);

    ck_assert_int_eq(ct_yaml_writer_open(NULL, &w), CT_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(ct_yaml_value_int(NULL, 1), CT_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(ct_yaml_writer_close(NULL), CT_ERR_INVALID_ARGUMENT);
}
END_TEST

/* ================================================================ suite */

static Suite *report_suite(void)
{
    Suite *s = suite_create("report");
    TCase *atomic = tcase_create("atomic");
    tcase_add_checked_fixture(atomic, make_test_dir, remove_test_dir);
    tcase_add_test(atomic, test_atomic_commit_and_abort);
    tcase_add_test(atomic, test_atomic_permissions_and_bare_names);
    tcase_add_test(atomic, test_atomic_errors);
    tcase_add_test(atomic, test_atomic_full_disk);
    suite_add_tcase(s, atomic);

    TCase *history = tcase_create("history");
    tcase_add_checked_fixture(history, make_test_dir, remove_test_dir);
    tcase_add_test(history, test_history_table);
    tcase_add_test(history, test_history_bad_columns);
    tcase_add_test(history, test_history_csv_text);
    tcase_add_test(history, test_history_round_trip);
    tcase_add_test(history, test_history_read_keras_csv);
    tcase_add_test(history, test_history_read_errors);
    suite_add_tcase(s, history);

    TCase *weights = tcase_create("weights");
    tcase_add_checked_fixture(weights, make_test_dir, remove_test_dir);
    tcase_add_test(weights, test_crc32_check_value);
    tcase_add_test(weights, test_weights_round_trip);
    tcase_add_test(weights, test_weights_layout);
    tcase_add_test(weights, test_weights_zero_tensors);
    tcase_add_test(weights, test_weights_truncated);
    tcase_add_test(weights, test_weights_flipped_bytes);
    tcase_add_test(weights, test_weights_bad_headers);
    tcase_add_test(weights, test_weights_write_checks);
    suite_add_tcase(s, weights);

    TCase *yaml = tcase_create("yaml");
    tcase_add_checked_fixture(yaml, make_test_dir, remove_test_dir);
    tcase_add_test(yaml, test_yaml_round_trip);
    tcase_add_test(yaml, test_yaml_errors_stick);
    suite_add_tcase(s, yaml);
    return s;
}

int main(void)
{
    SRunner *runner = srunner_create(report_suite());
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
