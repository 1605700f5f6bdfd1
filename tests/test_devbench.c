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


/* ------------------------------------------------------------ --compare: noise */

static db_row *spread(db_device *d, const char *metric, db_better better, double q1, double median, double q3)
{
    db_row *row = add(d, "bench", metric, better == DB_HIGHER_IS_BETTER ? "GB/s" : "ms", better, median);
    row->q1 = q1;
    row->q3 = q3;
    row->min = q1 * 0.9;
    row->max = q3 * 1.1;
    row->runs = 9;
    return row;
}

START_TEST(test_compare_calls_overlapping_quartiles_noise)
{
    db_report old, now;
    db_report_init(&old, 0.5);
    db_report_init(&now, 0.5);
    db_device *o = device(&old, "D"), *n = device(&now, "D");
    /* 20 % apart, but the quartiles overlap: noise, whatever the medians say. */
    spread(o, "rate overlap", DB_HIGHER_IS_BETTER, 90, 100, 115);
    spread(n, "rate overlap", DB_HIGHER_IS_BETTER, 110, 120, 130);
    /* 2 % apart with tight quartiles that do not overlap: a real change. */
    spread(o, "rate tight up", DB_HIGHER_IS_BETTER, 99.9, 100, 100.1);
    spread(n, "rate tight up", DB_HIGHER_IS_BETTER, 101.9, 102, 102.1);
    spread(o, "rate down", DB_HIGHER_IS_BETTER, 99, 100, 101);
    spread(n, "rate down", DB_HIGHER_IS_BETTER, 80, 81, 82);
    /* Times: lower is better. */
    spread(o, "time down", DB_LOWER_IS_BETTER, 9.5, 10, 10.5);
    spread(n, "time down", DB_LOWER_IS_BETTER, 7, 7.5, 8);
    spread(o, "time up", DB_LOWER_IS_BETTER, 9.5, 10, 10.5);
    spread(n, "time up", DB_LOWER_IS_BETTER, 11, 12, 13);
    /* Touching quartiles count as overlapping. */
    spread(o, "time touching", DB_LOWER_IS_BETTER, 9, 10, 11);
    spread(n, "time touching", DB_LOWER_IS_BETTER, 11, 12, 13);

    db_comparison *c;
    size_t count;
    ck_assert(db_compare(&now, &old, &c, &count) == CT_OK);
    ck_assert_uint_eq(count, 6);
    const char *want[6] = {"within noise", "better", "worse", "better", "worse", "within noise"};
    for (size_t i = 0; i < count; i++)
        ck_assert_msg(!strcmp(db_comparison_verdict(&c[i]), want[i]), "%s: %s, expected %s", c[i].now->metric,
                      db_comparison_verdict(&c[i]), want[i]);
    ck_assert_double_eq_tol(c[0].ratio, 1.2, 1e-12);

    /* The printed comparison says it in words. */
    make_tmpdir();
    FILE *f = fopen(tpath("cmp.txt"), "w");
    ck_assert_ptr_nonnull(f);
    db_write_comparison(f, c, count, "old.json");
    fclose(f);
    char *text = read_all(tpath("cmp.txt"));
    const char *line = strstr(text, "bench rate overlap");
    ck_assert_msg(line && strstr(line, "within noise") && strstr(line, "within noise") < strchr(line, '\n'), "%s",
                  text);
    free(text);
    free(c);
    db_report_free(&old);
    db_report_free(&now);
}
END_TEST

/* ------------------------------------------------------------ verdict */

START_TEST(test_roofline_names_the_bound)
{
    /* 100 GFLOP/s, 10 GB/s, 5 us per launch. */
    db_peaks p = {100, 10, 5};
    /* 1 GFLOP = 10 ms, 10 MB = 1 ms, 20 launches = 0.1 ms: compute. */
    db_verdict v = db_roofline(&p, 1e9, 1e7, 20, 40);
    ck_assert_int_eq(v.bound, DB_BOUND_COMPUTE);
    ck_assert_double_eq_tol(v.compute_ms, 10, 1e-9);
    ck_assert_double_eq_tol(v.memory_ms, 1, 1e-9);
    ck_assert_double_eq_tol(v.launch_ms, 0.1, 1e-9);
    ck_assert_double_eq_tol(v.roof_fraction, 0.25, 1e-9);
    /* 0.1 GFLOP = 1 ms, 100 MB = 10 ms: memory bandwidth. */
    v = db_roofline(&p, 1e8, 1e8, 20, 12.5);
    ck_assert_int_eq(v.bound, DB_BOUND_MEMORY);
    ck_assert_double_eq_tol(v.roof_fraction, 0.8, 1e-9);
    /* A small net: 1 MFLOP = 0.01 ms, 1 MB = 0.1 ms, 60 launches = 0.3 ms. */
    v = db_roofline(&p, 1e6, 1e6, 60, 0.5);
    ck_assert_int_eq(v.bound, DB_BOUND_LAUNCH);
    ck_assert_double_eq_tol(v.launch_ms, 0.3, 1e-9);
    ck_assert_str_eq(db_bound_name(v.bound), "launch latency");
    /* A peak that was not measured leaves its roof out... */
    db_peaks no_launch = {100, 10, 0};
    v = db_roofline(&no_launch, 1e6, 1e6, 60, 0.5);
    ck_assert_int_eq(v.bound, DB_BOUND_MEMORY);
    ck_assert(v.launch_ms < 0);
    /* ...and with none, the bound is unknown. */
    db_peaks none = {0, 0, 0};
    v = db_roofline(&none, 1e9, 1e9, 10, 1);
    ck_assert_int_eq(v.bound, DB_BOUND_UNKNOWN);
    ck_assert_double_eq(v.roof_fraction, 0);
}
END_TEST

START_TEST(test_step_work_from_plan)
{
    /* Dense 4 -> 3 -> 2 (15 and 8 parameters), Adam (2 state floats per parameter), batch 10. */
    ct_layer_spec spec[2];
    memset(spec, 0, sizeof spec);
    spec[0].kind = spec[1].kind = CT_LAYER_DENSE;
    ct_layer_plan layers[2];
    memset(layers, 0, sizeof layers);
    size_t dims[3] = {4, 3, 2};
    for (int i = 0; i < 2; i++) {
        layers[i].spec = &spec[i];
        layers[i].in_ndim = layers[i].out_ndim = 1;
        layers[i].in_shape[0] = dims[i];
        layers[i].out_shape[0] = dims[i + 1];
        layers[i].params = layers[i].trainable_params = (dims[i] + 1) * dims[i + 1];
    }
    ct_model_plan plan = {layers, 2, 1, {4}, 23, 23, false};
    double flops, bytes, launches;
    db_step_work(&plan, 10, 2, &flops, &bytes, &launches);
    ck_assert_double_eq_tol(flops, 6.0 * 23 * 10, 1e-9);
    /* Activations: (4+3)+(3+8) and (3+2)+(2+6) floats a sample; parameters 3 x 23;
     * Adam 23 x (3 + 4). */
    ck_assert_double_eq_tol(bytes, 4.0 * (31 * 10 + 69 + 161), 1e-9);
    ck_assert_double_eq_tol(launches, 3 + 3 + 3, 1e-9);
}
END_TEST

START_TEST(test_verdict_in_the_report)
{
    make_tmpdir();
    db_report r;
    db_report_init(&r, 0.5);
    db_device *d = device(&r, "GPU X");
    add(d, "compute", "fma best", "GFLOP/s", DB_HIGHER_IS_BETTER, 1000);
    add(d, "bandwidth", "copy best", "GB/s", DB_HIGHER_IS_BETTER, 100);
    add(d, "launch", "enqueue", "us", DB_LOWER_IS_BETTER, 10);
    db_row *step = add(d, "experiment", "cifar step", "ms", DB_LOWER_IS_BETTER, 4);
    step->step_flops = 2e9; /* 2 ms of compute */
    step->step_bytes = 5e7; /* 0.5 ms of memory */
    step->step_launches = 30; /* 0.3 ms of launches */
    add(d, "experiment", "cifar throughput", "images/s", DB_HIGHER_IS_BETTER, 8000);
    db_row *small = add(d, "experiment", "sunshine step", "ms", DB_LOWER_IS_BETTER, 0.5);
    small->step_flops = 1e6;
    small->step_bytes = 1e6;
    small->step_launches = 40; /* 0.4 ms: launch latency */
    db_device *cpu = device(&r, "CPU Y"); /* no peak rows: bound unknown */
    db_row *blind = add(cpu, "experiment", "cifar step", "ms", DB_LOWER_IS_BETTER, 30);
    blind->step_flops = 2e9;
    char path[700];
    snprintf(path, sizeof path, "%s", tpath("verdict.json"));
    ck_assert_msg(db_write_json(path, &r) == CT_OK, "%s", ct_last_error());
    db_report_free(&r);

    /* From the saved file: the work estimates travel with the rows. */
    char *argv[] = {"devbench", "--from", path, "--quiet"};
    ck_assert_int_eq(run_devbench(4, argv, tpath("verdict.txt")), 0);
    char *text = read_all(tpath("verdict.txt"));
    const char *v = strstr(text, "Verdict");
    ck_assert_msg(v != NULL, "%s", text);
    const char *line = strstr(v, "cifar:");
    ck_assert_msg(line && strstr(line, "4 ms per step") && strstr(line, "compute-bound") &&
                      strstr(line, "at 50% of its roof") &&
                      strstr(line, "[compute 2 ms, memory 0.5 ms, launches 0.3 ms at peak]"),
                  "%s", text);
    line = strstr(v, "sunshine:");
    ck_assert_msg(line && strstr(line, "launch latency-bound, at 80% of its roof"), "%s", text);
    line = strstr(v, "0:1 cifar:");
    ck_assert_msg(line && strstr(line, "bound unknown"), "%s", text);
    ck_assert_msg(strstr(v, "throughput") == NULL, "only step rows get a verdict: %s", text);
    free(text);
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
    tcase_add_test(output, test_compare_calls_overlapping_quartiles_noise);
    tcase_add_test(output, test_roofline_names_the_bound);
    tcase_add_test(output, test_step_work_from_plan);
    tcase_add_test(output, test_verdict_in_the_report);
    suite_add_tcase(s, output);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
