/* devbench (tools/devbench): its kernels compute the right thing, its JSON
 * parses and holds every device and row, and --compare gives the right
 * ratios. Kept fast: small buffers and a --max-time of a few milliseconds. */
#include <check.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "devbench.h"
#include "json.h"
#include "test_devices.h"

/* ------------------------------------------------------------ helpers */

static char tmpdir[512];

static void make_tmpdir(void)
{
    const char *base = getenv("CLTRAIN_TEST_TMPDIR");
    char dir[400];
    snprintf(dir, sizeof dir, "%s", base && *base ? base : "/tmp");
    mkdir(dir, 0755);
    snprintf(tmpdir, sizeof tmpdir, "%s/devbench-test-XXXXXX", dir);
    ck_assert_msg(mkdtemp(tmpdir) != NULL, "cannot create a folder under %s", dir);
}

static const char *tpath(const char *name)
{
    static char buf[4][700];
    static int next;
    char *p = buf[next++ % 4];
    snprintf(p, sizeof buf[0], "%s/%s", tmpdir, name);
    return p;
}

static char *read_all(const char *path)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *text = malloc((size_t)n + 1);
    ck_assert_ptr_nonnull(text);
    ck_assert_uint_eq(fread(text, 1, (size_t)n, f), (size_t)n);
    text[n] = '\0';
    fclose(f);
    return text;
}

/* Runs db_main with stdout going to a file (the table is not test output). */
static int run_devbench(int argc, char **argv, const char *stdout_path)
{
    fflush(stdout);
    int saved = dup(1);
    int fd = open(stdout_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ck_assert_int_ge(fd, 0);
    dup2(fd, 1);
    close(fd);
    int status = db_main(argc, argv);
    fflush(stdout);
    dup2(saved, 1);
    close(saved);
    return status;
}

static const json_value *member(const json_value *obj, const char *key, json_type type)
{
    const json_value *v = json_get(obj, key);
    ck_assert_msg(v != NULL, "missing key \"%s\"", key);
    ck_assert_msg(v->type == type, "key \"%s\" has type %d, expected %d", key, (int)v->type, (int)type);
    return v;
}

/* ------------------------------------------------------------ JSON reader */

START_TEST(test_json_reader_accepts_json)
{
    json_value v;
    char err[256];
    const char *text = " {\"a\": [1, -2.5e3, 0.125, true, false, null, \"x\\u00e9\\n\\\"\\ud83d\\ude00\"],\n"
                       "  \"b\": {}, \"c\": [], \"a\": 7} ";
    ck_assert_msg(json_parse(text, &v, err, sizeof err), "%s", err);
    ck_assert_int_eq(v.type, JSON_OBJECT);
    ck_assert_uint_eq(v.count, 4);
    ck_assert_double_eq(member(&v, "a", JSON_NUMBER)->number, 7); /* the last of a repeated key */
    const json_value *a = &v.items[0];
    ck_assert_int_eq(a->type, JSON_ARRAY);
    ck_assert_uint_eq(a->count, 7);
    ck_assert_double_eq(a->items[0].number, 1);
    ck_assert_double_eq(a->items[1].number, -2500);
    ck_assert_double_eq(a->items[2].number, 0.125);
    ck_assert(a->items[3].type == JSON_BOOL && a->items[3].boolean);
    ck_assert(a->items[4].type == JSON_BOOL && !a->items[4].boolean);
    ck_assert_int_eq(a->items[5].type, JSON_NULL);
    ck_assert_str_eq(a->items[6].string, "x\xc3\xa9\n\"\xf0\x9f\x98\x80");
    ck_assert_uint_eq(member(&v, "b", JSON_OBJECT)->count, 0);
    ck_assert_uint_eq(member(&v, "c", JSON_ARRAY)->count, 0);
    json_free(&v);
}
END_TEST

START_TEST(test_json_reader_rejects_non_json)
{
    static const char *const bad[] = {
        "",          "{",          "[1,]",      "{\"a\":1,}", "01",       "1.",        "-",
        "\"\\x\"",   "[1] 2",      "{'a':1}",   "\"a\nb\"",   "nul",      "[1 2]",     "{\"a\" 1}",
        "\"\\ud800\"", "\"abc",     "+1",        ".5",         "1e",       "[true false]", "{1: 2}",
    };
    char err[256];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_value v;
        ck_assert_msg(!json_parse(bad[i], &v, err, sizeof err), "accepted: %s", bad[i]);
        ck_assert_msg(strstr(err, "line ") != NULL, "no location for %s: %s", bad[i], err);
    }
    /* Deep nesting is refused, not a stack overflow. */
    char deep[400];
    memset(deep, '[', sizeof deep - 1);
    deep[sizeof deep - 1] = '\0';
    json_value v;
    ck_assert(!json_parse(deep, &v, err, sizeof err));
}
END_TEST

/* ------------------------------------------------------------ kernels are right */

START_TEST(test_copy_kernel_copies)
{
    ct_device_info *devs;
    size_t n = test_devices(&devs);
    for (size_t d = 0; d < n; d++) {
        ct_context *ctx;
        ck_assert_msg(ct_context_create(&devs[d], &ctx) == CT_OK, "%s", ct_last_error());
        static const unsigned widths[] = {1, 2, 4, 8, 16};
        for (size_t w = 0; w < 5; w++) {
            size_t wrong = 99;
            ct_status s = db_check_copy(ctx, widths[w], 100003, &wrong);
            ck_assert_msg(s == CT_OK, "%s: copy width %u: %s", devs[d].name, widths[w], ct_last_error());
            ck_assert_msg(wrong == 0, "%s: copy width %u: %zu floats differ", devs[d].name, widths[w], wrong);
        }
        ct_context_destroy(ctx);
    }
    free(devs);
}
END_TEST

START_TEST(test_fma_reference_by_hand)
{
    /* One iteration of x = fma(x, 0.5, 1) from x0 = j/16 on chain j (item 0,
     * one lane): 1 + j/32, summed over 8 chains = 8 + 28/32. */
    ck_assert_float_eq(db_fma_reference(1, 0, 1, 0.5f, 1.0f), 8.875f);
    /* No iterations: the start values, 0/16 + ... + 7/16 per lane, lanes at
     * l/2 added 8 times: lane 0 gives 1.75, lane 1 gives 1.75 + 4. */
    ck_assert_float_eq(db_fma_reference(2, 0, 0, 0.5f, 1.0f), 7.5f);
}
END_TEST

START_TEST(test_fma_kernel_matches_host)
{
    ct_device_info *devs;
    size_t n = test_devices(&devs);
    for (size_t d = 0; d < n; d++) {
        ct_context *ctx;
        ck_assert_msg(ct_context_create(&devs[d], &ctx) == CT_OK, "%s", ct_last_error());
        static const unsigned widths[] = {1, 4, 16};
        for (size_t w = 0; w < 3; w++) {
            size_t wrong = 99;
            float device_value = 0, host_value = 1;
            ct_status s = db_check_fma(ctx, widths[w], 1000, 257, &wrong, &device_value, &host_value);
            ck_assert_msg(s == CT_OK, "%s: fma width %u: %s", devs[d].name, widths[w], ct_last_error());
            ck_assert_msg(wrong == 0, "%s: fma width %u: %zu of 9 items differ (item 0: %.9g, host %.9g)",
                          devs[d].name, widths[w], wrong, device_value, host_value);
            ck_assert(memcmp(&device_value, &host_value, sizeof host_value) == 0);
            /* The chains did work: the result is not the start value. */
            ck_assert(host_value != db_fma_reference(widths[w], 0, 0, 0.999f, 0.0005f));
        }
        ct_context_destroy(ctx);
    }
    free(devs);
}
END_TEST

/* ------------------------------------------------------------ the JSON devbench writes */

static const char *const expected_rows[][2] = {
    {"bandwidth", "copy float"},   {"bandwidth", "copy float2"}, {"bandwidth", "copy float4"},
    {"bandwidth", "copy float8"},  {"bandwidth", "copy float16"}, {"bandwidth", "copy best"},
    {"transfer", "host to device"}, {"transfer", "device to host"}, {"launch", "enqueue"},
    {"launch", "round trip"},      {"compute", "fma float"},     {"compute", "fma float2"},
    {"compute", "fma float4"},     {"compute", "fma float8"},    {"compute", "fma float16"},
    {"compute", "fma best"},
};
#define EXPECTED_ROWS (sizeof expected_rows / sizeof expected_rows[0])

static void check_row(const json_value *row, const char *device)
{
    const char *test = member(row, "test", JSON_STRING)->string;
    const char *metric = member(row, "metric", JSON_STRING)->string;
    const char *status = member(row, "status", JSON_STRING)->string;
    ck_assert_uint_gt(strlen(member(row, "unit", JSON_STRING)->string), 0);
    const char *better = member(row, "better", JSON_STRING)->string;
    ck_assert(!strcmp(better, "higher") || !strcmp(better, "lower"));
    member(row, "reason", JSON_STRING);
    member(row, "note", JSON_STRING);
    member(row, "tag", JSON_STRING);
    /* The copy and FMA rows are verified by devbench itself: an error there
     * means a kernel computed the wrong thing. */
    ck_assert_msg(!strcmp(status, "ok"), "%s: %s %s: %s (%s)", device, test, metric, status,
                  member(row, "reason", JSON_STRING)->string);
    double median = member(row, "median", JSON_NUMBER)->number, lo = member(row, "min", JSON_NUMBER)->number,
           hi = member(row, "max", JSON_NUMBER)->number, q1 = member(row, "q1", JSON_NUMBER)->number,
           q3 = member(row, "q3", JSON_NUMBER)->number;
    ck_assert_msg(median > 0 && isfinite(median), "%s %s: median %g", test, metric, median);
    ck_assert(lo <= q1 && q1 <= median && median <= q3 && q3 <= hi);
    ck_assert_double_ge(member(row, "runs", JSON_NUMBER)->number, 1);
}

START_TEST(test_json_output_has_every_device_and_row)
{
    make_tmpdir();
    char json[700], csv[700];
    snprintf(json, sizeof json, "%s", tpath("out.json"));
    snprintf(csv, sizeof csv, "%s", tpath("out.csv"));
    char *argv[16] = {"devbench", "--only", "bandwidth,transfer,launch,compute", "--max-time", "0.01",
                      "--size-mb", "1", "--quiet", "--json", json, "--csv", csv};
    int argc = 12;
    const char *one = getenv("CLTRAIN_TEST_DEVICE");
    if (one && *one) {
        argv[argc++] = "--device";
        argv[argc++] = (char *)one;
    }
    ck_assert_int_eq(run_devbench(argc, argv, tpath("table.txt")), 0);

    ct_device_info *devs;
    size_t ndev = test_devices(&devs);
    char *text = read_all(json);
    json_value root;
    char err[256];
    ck_assert_msg(json_parse(text, &root, err, sizeof err), "devbench wrote invalid JSON: %s", err);
    free(text);
    ck_assert_str_eq(member(&root, "format", JSON_STRING)->string, DB_FORMAT_NAME);
    ck_assert_double_eq(member(&root, "format_version", JSON_NUMBER)->number, DB_FORMAT_VERSION);
    ck_assert_double_eq_tol(member(&root, "max_time_s", JSON_NUMBER)->number, 0.01, 1e-12);
    const json_value *devices = member(&root, "devices", JSON_ARRAY);
    ck_assert_uint_eq(devices->count, ndev);
    for (size_t d = 0; d < ndev; d++) {
        const json_value *dev = &devices->items[d];
        ck_assert_str_eq(member(dev, "name", JSON_STRING)->string, devs[d].name);
        ck_assert_str_eq(member(dev, "driver", JSON_STRING)->string, devs[d].driver_version);
        ck_assert_double_eq(member(dev, "compute_units", JSON_NUMBER)->number, devs[d].compute_units);
        ck_assert_str_eq(member(dev, "status", JSON_STRING)->string, "ok");
        const json_value *rows = member(dev, "rows", JSON_ARRAY);
        ck_assert_uint_eq(rows->count, EXPECTED_ROWS);
        for (size_t e = 0; e < EXPECTED_ROWS; e++) {
            size_t found = 0;
            for (size_t i = 0; i < rows->count; i++)
                if (!strcmp(member(&rows->items[i], "test", JSON_STRING)->string, expected_rows[e][0]) &&
                    !strcmp(member(&rows->items[i], "metric", JSON_STRING)->string, expected_rows[e][1])) {
                    found++;
                    check_row(&rows->items[i], devs[d].name);
                }
            ck_assert_msg(found == 1, "%s: row %s %s found %zu times", devs[d].name, expected_rows[e][0],
                          expected_rows[e][1], found);
        }
    }
    json_free(&root);

    /* The same report through devbench's own reader, and the CSV: a header
     * and one line per row. */
    db_report r;
    ck_assert_msg(db_read_json(json, &r) == CT_OK, "%s", ct_last_error());
    ck_assert_uint_eq(r.device_count, ndev);
    ck_assert_uint_eq(r.devices[0].row_count, EXPECTED_ROWS);
    db_report_free(&r);
    text = read_all(csv);
    ck_assert_msg(!strncmp(text, "format_version,device_index,device_name,", 40), "CSV header: %.60s", text);
    size_t lines = 0;
    for (const char *p = text; *p; p++)
        lines += *p == '\n';
    ck_assert_uint_eq(lines, 1 + ndev * EXPECTED_ROWS);
    free(text);
    free(devs);
}
END_TEST

/* ------------------------------------------------------------ --compare */

static db_row *add(db_device *d, const char *test, const char *metric, const char *unit, db_better better,
                   double median)
{
    db_row *row = db_device_add_row(d, test, metric, unit, better);
    ck_assert_ptr_nonnull(row);
    row->median = row->min = row->max = row->q1 = row->q3 = median;
    row->runs = 3;
    return row;
}

static db_device *device(db_report *r, const char *name)
{
    db_device *d = db_report_add_device(r);
    ck_assert_ptr_nonnull(d);
    snprintf(d->index, sizeof d->index, "0:%zu", r->device_count - 1);
    snprintf(d->name, sizeof d->name, "%s", name);
    snprintf(d->driver, sizeof d->driver, "1.0");
    d->compute_units = 4;
    return d;
}

START_TEST(test_compare_saved_files)
{
    make_tmpdir();
    db_report old, now;
    db_report_init(&old, 0.5);
    db_report_init(&now, 0.5);
    db_device *a = device(&old, "Device \"A\"");
    add(a, "bandwidth", "copy best", "GB/s", DB_HIGHER_IS_BETTER, 10);
    add(a, "launch", "round trip", "us", DB_LOWER_IS_BETTER, 20);
    add(a, "gemm", "256x256x256 NN own", "GFLOP/s", DB_HIGHER_IS_BETTER, 5);
    add(a, "conv", "gone now", "GFLOP/s", DB_HIGHER_IS_BETTER, 1);
    device(&old, "Device B");
    add(&old.devices[1], "bandwidth", "copy best", "GB/s", DB_HIGHER_IS_BETTER, 100);

    /* The new report lists the devices in the other order: rows match by
     * device name, not by position. */
    db_device *b = device(&now, "Device B");
    add(b, "bandwidth", "copy best", "GB/s", DB_HIGHER_IS_BETTER, 101);
    a = device(&now, "Device \"A\"");
    add(a, "bandwidth", "copy best", "GB/s", DB_HIGHER_IS_BETTER, 25);
    add(a, "launch", "round trip", "us", DB_LOWER_IS_BETTER, 10);
    db_row *failed = add(a, "gemm", "256x256x256 NN own", "GFLOP/s", DB_HIGHER_IS_BETTER, 0);
    failed->status = DB_ERROR;
    snprintf(failed->reason, sizeof failed->reason, "kernel build failed");
    add(a, "experiment", "sunshine step", "ms", DB_LOWER_IS_BETTER, 2);
    device(&now, "Device C");
    add(&now.devices[2], "bandwidth", "copy best", "GB/s", DB_HIGHER_IS_BETTER, 7);

    char old_path[700], new_path[700];
    snprintf(old_path, sizeof old_path, "%s", tpath("old.json"));
    snprintf(new_path, sizeof new_path, "%s", tpath("new.json"));
    ck_assert_msg(db_write_json(old_path, &old) == CT_OK, "%s", ct_last_error());
    ck_assert_msg(db_write_json(new_path, &now) == CT_OK, "%s", ct_last_error());
    db_report_free(&old);
    db_report_free(&now);

    /* Saved files, read back, compared. */
    ck_assert_msg(db_read_json(old_path, &old) == CT_OK, "%s", ct_last_error());
    ck_assert_msg(db_read_json(new_path, &now) == CT_OK, "%s", ct_last_error());
    db_comparison *c;
    size_t n;
    ck_assert(db_compare(&now, &old, &c, &n) == CT_OK);
    ck_assert_uint_eq(n, 6);
    ck_assert_str_eq(c[0].device->name, "Device B");
    ck_assert_double_eq_tol(c[0].ratio, 1.01, 1e-9);
    ck_assert_str_eq(c[1].now->metric, "copy best");
    ck_assert_double_eq_tol(c[1].ratio, 2.5, 1e-9);
    ck_assert_str_eq(c[2].now->metric, "round trip");
    ck_assert_double_eq_tol(c[2].ratio, 0.5, 1e-9); /* half the time: better */
    ck_assert_ptr_nonnull(c[3].old);
    ck_assert_double_eq(c[3].ratio, 0); /* an error row has no ratio */
    ck_assert_ptr_null(c[4].old);        /* a row the old file did not have */
    ck_assert_str_eq(c[5].device->name, "Device C");
    ck_assert_ptr_null(c[5].old);        /* a device the old file did not have */
    free(c);
    db_report_free(&old);
    db_report_free(&now);

    /* The command line does the same and prints it. */
    char *argv[] = {"devbench", "--from", new_path, "--compare", old_path, "--quiet"};
    ck_assert_int_eq(run_devbench(6, argv, tpath("compare.txt")), 0);
    char *text = read_all(tpath("compare.txt"));
    ck_assert_msg(strstr(text, "2.500") && strstr(text, "0.500") && strstr(text, "1.010"), "%s", text);
    const char *line = strstr(text, "launch round trip");
    ck_assert_msg(line && strstr(line, "better") && strstr(line, "better") < strchr(line, '\n'), "%s", text);
    ck_assert_msg(strstr(text, "new row") != NULL, "%s", text);
    free(text);

    /* A file that is not a devbench result is an error, not a comparison. */
    FILE *f = fopen(tpath("other.json"), "w");
    fputs("{\"format\": \"something else\", \"format_version\": 1}", f);
    fclose(f);
    ck_assert(db_read_json(tpath("other.json"), &old) == CT_ERR_PARSE);
    ck_assert_msg(strstr(ct_last_error(), "something else") != NULL, "%s", ct_last_error());
}
END_TEST

int main(void)
{
    Suite *s = suite_create("devbench");
    TCase *json = tcase_create("json reader");
    tcase_add_test(json, test_json_reader_accepts_json);
    tcase_add_test(json, test_json_reader_rejects_non_json);
    suite_add_tcase(s, json);
    TCase *kernels = tcase_create("kernels");
    tcase_set_timeout(kernels, 600); /* a cold PoCL compile takes seconds */
    tcase_add_test(kernels, test_fma_reference_by_hand);
    tcase_add_test(kernels, test_copy_kernel_copies);
    tcase_add_test(kernels, test_fma_kernel_matches_host);
    suite_add_tcase(s, kernels);
    TCase *output = tcase_create("output");
    tcase_set_timeout(output, 600);
    tcase_add_test(output, test_json_output_has_every_device_and_row);
    tcase_add_test(output, test_compare_saved_files);
    suite_add_tcase(s, output);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
