/* Tests of the host-side data module: CSV, selection and target shift, split,
 * standardisation, CIFAR-10 binaries, SHA-256, and locating/fetching files.
 *
 * Unit tests write small synthetic files into a fresh folder under
 * $CLTRAIN_TEST_TMPDIR (else /tmp) and never use the network: downloads go
 * through file:// URLs and the failure path through file:///nonexistent and
 * http://127.0.0.1:1/. The integration tests read the real datasets from
 * $CLTRAIN_DATA_DIR and fail (not skip) when it is unset. */
#define _GNU_SOURCE /* nftw flags, setenv */
#include <check.h>
#include <ctype.h>
#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cltrain/data.h"
#include "data/sha256.h"

/* ================================================================= helpers */

#define ck_assert_ok(expr)                                                                    \
    do {                                                                                      \
        ct_status ok_status_ = (expr);                                                        \
        ck_assert_msg(ok_status_ == CT_OK, "%s failed: %s: %s", #expr,                        \
                      ct_status_name(ok_status_), ct_last_error());                           \
    } while (0)

/* The call fails with `code` and its detail contains `needle`. */
#define ck_assert_fails(expr, code, needle)                                                   \
    do {                                                                                      \
        ct_status fail_status_ = (expr);                                                      \
        ck_assert_msg(fail_status_ == (code), "%s: got %s (%s), expected %s", #expr,          \
                      ct_status_name(fail_status_), ct_last_error(), ct_status_name(code));   \
        ck_assert_msg(strstr(ct_last_error(), (needle)) != NULL,                              \
                      "error \"%s\" does not contain \"%s\"", ct_last_error(), (needle));     \
    } while (0)

#define BUF 10000 /* room for any path built from test_dir */

static char test_dir[2048];

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    (void)type;
    (void)ftw;
    remove(path);
    return 0;
}

/* A fresh folder per test (tests run in parallel with other suites). */
static void make_test_dir(void)
{
    const char *base = getenv("CLTRAIN_TEST_TMPDIR");
    if (!base || !base[0])
        base = "/tmp";
    mkdir(base, 0755);
    snprintf(test_dir, sizeof test_dir, "%s/test_data-XXXXXX", base);
    ck_assert_msg(mkdtemp(test_dir) != NULL, "cannot create a folder in %s", base);
}

static void remove_test_dir(void)
{
    if (test_dir[0])
        nftw(test_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Path of `name` in the test folder; up to 4 live results. */
static const char *tpath(const char *name)
{
    static char paths[4][4096 + 2048];
    static int next;
    char *p = paths[next++ % 4];
    snprintf(p, 4096 + 2048, "%s/%s", test_dir, name);
    return p;
}

static void write_bytes(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    ck_assert_msg(f != NULL, "cannot write %s", path);
    ck_assert_uint_eq(fwrite(data, 1, len, f), len);
    fclose(f);
}

static const char *write_text(const char *name, const char *text)
{
    const char *path = tpath(name);
    write_bytes(path, text, strlen(text));
    return path;
}

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot read %s", path);
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *data = malloc((size_t)size + 1);
    ck_assert_uint_eq(fread(data, 1, (size_t)size, f), (size_t)size);
    data[size] = '\0';
    fclose(f);
    *len = (size_t)size;
    return data;
}

static int exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static ct_status read_csv_text(const char *text, ct_table *t)
{
    return ct_csv_read(write_text("t.csv", text), t);
}

/* ===================================================================== CSV */

START_TEST(test_csv_basic)
{
    ct_table t;
    ck_assert_ok(read_csv_text("a,b\n1,2.5\n-3e2,4\n", &t));
    ck_assert_uint_eq(t.n_rows, 2);
    ck_assert_uint_eq(t.n_cols, 2);
    ck_assert_str_eq(t.names[0], "a");
    ck_assert_str_eq(t.names[1], "b");
    ck_assert_double_eq(t.values[0], 1.0);
    ck_assert_double_eq(t.values[1], 2.5);
    ck_assert_double_eq(t.values[2], -300.0);
    ck_assert_double_eq(t.values[3], 4.0);
    ck_assert_uint_eq(t.lines[0], 2);
    ck_assert_uint_eq(t.lines[1], 3);
    ck_assert_uint_eq(t.n_problems, 0);
    ck_assert_ok(ct_table_require_numeric(&t));
    ct_table_free(&t);
    ct_table_free(&t); /* twice is harmless */
}
END_TEST

START_TEST(test_csv_quoted)
{
    ct_table t;
    /* Quoted names and numbers, a comma and doubled quotes inside quotes, a
     * field spanning two lines; line numbers must follow the file. */
    ck_assert_ok(read_csv_text("\"id\",\"name, full\",v\n"
                               "\"1\",\"a\nb\",2\n"
                               "2,\"say \"\"hi\"\"\", 3 \n",
                               &t));
    ck_assert_uint_eq(t.n_rows, 2);
    ck_assert_str_eq(t.names[1], "name, full");
    ck_assert_double_eq(t.values[0], 1.0);
    ck_assert_double_eq(t.values[2], 2.0);
    ck_assert_double_eq(t.values[5], 3.0); /* spaces around a number are fine */
    ck_assert_uint_eq(t.lines[0], 2);
    ck_assert_uint_eq(t.lines[1], 4);
    ck_assert_uint_eq(t.n_problems, 2);
    ck_assert_str_eq(t.problems[0].text, "a\nb");
    ck_assert_str_eq(t.problems[1].text, "say \"hi\"");
    ck_assert_int_eq(t.problems[1].kind, CT_CELL_NOT_A_NUMBER);
    ck_assert(isnan(t.values[1]));
    ck_assert_fails(ct_table_require_numeric(&t), CT_ERR_DATA, "row 2, column name, full");
    ct_table_free(&t);

    ck_assert_fails(read_csv_text("a,b\n1,\"2\n", &t), CT_ERR_PARSE, "row 2: a quoted field is never closed");
    ck_assert_fails(read_csv_text("a,b\n1,\"2\"x\n", &t), CT_ERR_PARSE, "after a closing quote");
}
END_TEST

START_TEST(test_csv_line_ends)
{
    ct_table t;
    /* CRLF and no final newline (like the weather file). */
    ck_assert_ok(read_csv_text("a,b\r\n1,2\r\n3,4", &t));
    ck_assert_uint_eq(t.n_rows, 2);
    ck_assert_str_eq(t.names[1], "b");
    ck_assert_double_eq(t.values[3], 4.0);
    ck_assert_uint_eq(t.lines[1], 3);
    ct_table_free(&t);

    /* Blank lines in the middle and at the end are skipped but counted. */
    ck_assert_ok(read_csv_text("a,b\n1,2\n\n3,4\n\r\n\n", &t));
    ck_assert_uint_eq(t.n_rows, 2);
    ck_assert_uint_eq(t.lines[0], 2);
    ck_assert_uint_eq(t.lines[1], 4);
    ct_table_free(&t);

    /* A byte-order mark and an unnamed index column as pandas writes them. */
    ck_assert_ok(read_csv_text("\xEF\xBB\xBF,x\n0,5\n", &t));
    ck_assert_str_eq(t.names[0], "Unnamed: 0");
    ck_assert_str_eq(t.names[1], "x");
    ct_table_free(&t);
}
END_TEST

START_TEST(test_csv_bad_cells)
{
    ct_table t;
    ck_assert_ok(read_csv_text("a,BASEL_sunshine\n1,2\n3,\n4,n/a\n5,abc\n6,inf\n7,1e999\n8,1.#IND\n9,-1.#QNAN\n", &t));
    ck_assert_uint_eq(t.n_rows, 8);
    ck_assert_uint_eq(t.n_problems, 7);
    /* pandas' markers that start like numbers are missing values too. */
    ck_assert_int_eq(t.problems[5].kind, CT_CELL_MISSING);
    ck_assert_int_eq(t.problems[6].kind, CT_CELL_MISSING);
    ck_assert_int_eq(t.problems[0].kind, CT_CELL_MISSING);
    ck_assert_int_eq(t.problems[1].kind, CT_CELL_MISSING);
    ck_assert_int_eq(t.problems[2].kind, CT_CELL_NOT_A_NUMBER);
    ck_assert_int_eq(t.problems[3].kind, CT_CELL_NOT_A_NUMBER);
    ck_assert_int_eq(t.problems[4].kind, CT_CELL_NOT_A_NUMBER);
    ck_assert_fails(ct_table_require_numeric(&t), CT_ERR_DATA,
                    "row 3, column BASEL_sunshine: expected a number, got an empty field");
    /* The file is named in the message. */
    ck_assert_msg(strstr(ct_last_error(), "t.csv: row 3") != NULL, "%s", ct_last_error());
    ct_table_free(&t);

    ck_assert_ok(read_csv_text("a,BASEL_sunshine\n1,2\n2,3\n4,n/a\n", &t));
    ck_assert_fails(ct_table_require_numeric(&t), CT_ERR_DATA,
                    "row 4, column BASEL_sunshine: expected a number, got \"n/a\"");
    ct_table_free(&t);

    ck_assert_ok(read_csv_text("a,b\n1,2\n1,x2\n", &t));
    ck_assert_fails(ct_table_require_numeric(&t), CT_ERR_DATA, "row 3, column b: expected a number, got \"x2\"");
    ct_table_free(&t);
}
END_TEST

START_TEST(test_csv_structure_errors)
{
    ct_table t;
    ck_assert_fails(read_csv_text("a,b,c\n1,2,3\n4,5\n", &t), CT_ERR_PARSE, "row 3 has 2 fields, the header has 3");
    ck_assert_ptr_null(t.names); /* nothing to free after a failure */
    ck_assert_fails(read_csv_text("a,b\n1,2,3\n", &t), CT_ERR_PARSE, "row 2 has 3 fields, the header has 2");
    ck_assert_fails(read_csv_text("", &t), CT_ERR_DATA, "is empty");
    ck_assert_fails(read_csv_text("\n\n\r\n", &t), CT_ERR_DATA, "is empty");
    ck_assert_fails(read_csv_text("a,b\n", &t), CT_ERR_DATA, "header row (2 columns) but no data rows");
    ck_assert_fails(read_csv_text("a,b", &t), CT_ERR_DATA, "no data rows");
    ck_assert_fails(read_csv_text("a,b,a\n1,2,3\n", &t), CT_ERR_PARSE,
                    "duplicate column name \"a\" (columns 1 and 3");
    ck_assert_fails(ct_csv_read(tpath("absent.csv"), &t), CT_ERR_NOT_FOUND, "absent.csv");
}
END_TEST

START_TEST(test_csv_parse_memory)
{
    ct_table t;
    const char text[] = "x\n1\n2";
    ck_assert_ok(ct_csv_parse("inline", text, sizeof text - 1, &t));
    ck_assert_uint_eq(t.n_rows, 2);
    ck_assert_str_eq(t.source, "inline");
    ct_table_free(&t);
}
END_TEST

/* =============================================================== selection */

static const char *weather_like =
    "DATE,MONTH,BASEL_sunshine,BASEL_temp_mean,DE_BILT_temp_mean,DE_BILT_sunshine\n"
    "20000101,1,0.5,3.5,4.5,1.5\n"
    "20000102,1,1.5,4.0,5.0,2.0\n"
    "20000103,1,2.5,4.5,5.5,2.5\n";

static void expect_features(const ct_tabular *d, const char *const *names, size_t n)
{
    ck_assert_uint_eq(d->n_features, n);
    for (size_t i = 0; i < n; i++)
        ck_assert_str_eq(d->feature_names[i], names[i]);
}

START_TEST(test_select_columns)
{
    ct_table t;
    ck_assert_ok(read_csv_text(weather_like, &t));
    ct_tabular_options o;
    ct_tabular d;

    const char *prefixes[] = {"BASEL_"};
    ct_tabular_options_init(&o);
    o.features.prefixes = prefixes;
    o.features.n_prefixes = 1;
    ck_assert_ok(ct_tabular_from_table(&t, &o, &d));
    expect_features(&d, (const char *[]){"BASEL_sunshine", "BASEL_temp_mean"}, 2);
    ck_assert_uint_eq(d.n_samples, 3);
    ck_assert_float_eq(d.x[1 * 2 + 1], 4.0f);
    ck_assert_ptr_null(d.y);
    ct_tabular_free(&d);

    const char *globs[] = {"*_temp_mean"};
    const char *names[] = {"DE_BILT_sunshine"};
    ct_tabular_options_init(&o);
    o.features.globs = globs;
    o.features.n_globs = 1;
    o.features.names = names; /* file order is kept, whatever the list order */
    o.features.n_names = 1;
    ck_assert_ok(ct_tabular_from_table(&t, &o, &d));
    expect_features(&d, (const char *[]){"BASEL_temp_mean", "DE_BILT_temp_mean", "DE_BILT_sunshine"}, 3);
    ct_tabular_free(&d);

    const char *drop[] = {"DATE", "MONTH"};
    ct_tabular_options_init(&o);
    o.features.drop = drop;
    o.features.n_drop = 2;
    ck_assert_ok(ct_tabular_from_table(&t, &o, &d));
    expect_features(&d, (const char *[]){"BASEL_sunshine", "BASEL_temp_mean", "DE_BILT_temp_mean", "DE_BILT_sunshine"}, 4);
    ct_tabular_free(&d);

    const char *drop_glob[] = {"*_sunshine", "DATE", "MONTH"};
    o.features.drop = drop_glob;
    o.features.n_drop = 3;
    ck_assert_ok(ct_tabular_from_table(&t, &o, &d));
    expect_features(&d, (const char *[]){"BASEL_temp_mean", "DE_BILT_temp_mean"}, 2);
    ct_tabular_free(&d);
    ct_table_free(&t);
}
END_TEST

START_TEST(test_select_errors)
{
    ct_table t;
    ck_assert_ok(read_csv_text(weather_like, &t));
    ct_tabular_options o;
    ct_tabular d;

    const char *typo[] = {"BASEL_sunshin"};
    ct_tabular_options_init(&o);
    o.features.names = typo;
    o.features.n_names = 1;
    ck_assert_fails(ct_tabular_from_table(&t, &o, &d), CT_ERR_NOT_FOUND,
                    "no column named \"BASEL_sunshin\" (did you mean \"BASEL_sunshine\"?)");
    ck_assert_ptr_null(d.x);

    const char *case_slip[] = {"basel_temp_mean"};
    o.features.names = case_slip;
    ck_assert_fails(ct_tabular_from_table(&t, &o, &d), CT_ERR_NOT_FOUND, "did you mean \"BASEL_temp_mean\"");

    const char *unrelated[] = {"rainfall_in_lisbon"};
    o.features.names = unrelated;
    ck_assert_fails(ct_tabular_from_table(&t, &o, &d), CT_ERR_NOT_FOUND, "no column named \"rainfall_in_lisbon\"");
    ck_assert_msg(strstr(ct_last_error(), "did you mean") == NULL, "%s", ct_last_error());

    const char *prefix[] = {"BASLE_"};
    ct_tabular_options_init(&o);
    o.features.prefixes = prefix;
    o.features.n_prefixes = 1;
    ck_assert_fails(ct_tabular_from_table(&t, &o, &d), CT_ERR_NOT_FOUND,
                    "no column starts with \"BASLE_\" (did you mean \"BASEL_\"?)");

    const char *glob[] = {"*_temp_maen"};
    ct_tabular_options_init(&o);
    o.features.globs = glob;
    o.features.n_globs = 1;
    ck_assert_fails(ct_tabular_from_table(&t, &o, &d), CT_ERR_NOT_FOUND, "no column matches the pattern \"*_temp_maen\"");

    const char *drop_typo[] = {"MONTHS"};
    ct_tabular_options_init(&o);
    o.features.drop = drop_typo;
    o.features.n_drop = 1;
    ck_assert_fails(ct_tabular_from_table(&t, &o, &d), CT_ERR_NOT_FOUND, "did you mean \"MONTH\"");

    const char *drop_all[] = {"*"};
    o.features.drop = drop_all;
    ck_assert_fails(ct_tabular_from_table(&t, &o, &d), CT_ERR_DATA, "no feature columns are left");

    ct_tabular_options_init(&o);
    o.target = "BASEL_sunshien";
    ck_assert_fails(ct_tabular_from_table(&t, &o, &d), CT_ERR_NOT_FOUND, "target column");
    ck_assert_msg(strstr(ct_last_error(), "did you mean \"BASEL_sunshine\"") != NULL, "%s", ct_last_error());
    ct_table_free(&t);
}
END_TEST

/* A column "v" = 10 * row and a target "t" = row, n rows. */
static void write_counting_csv(size_t n, const char *missing_target_rows)
{
    FILE *f = fopen(tpath("count.csv"), "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "v,t\n");
    for (size_t r = 0; r < n; r++) {
        char key[32];
        snprintf(key, sizeof key, ",%zu,", r);
        if (missing_target_rows && strstr(missing_target_rows, key))
            fprintf(f, "%zu,\n", r * 10);
        else
            fprintf(f, "%zu,%zu\n", r * 10, r);
    }
    fclose(f);
}

START_TEST(test_target_shift)
{
    write_counting_csv(10, NULL);
    ct_table t;
    ck_assert_ok(ct_csv_read(tpath("count.csv"), &t));
    ct_tabular_options o;
    ct_tabular d;
    const char *feature[] = {"v"};

    /* rows 0..5 inclusive, y = tomorrow: 6 samples, y on rows 1..6. */
    ct_tabular_options_init(&o);
    o.features.names = feature;
    o.features.n_names = 1;
    o.first_row = 0;
    o.last_row = 5;
    o.target = "t";
    o.shift = 1;
    ck_assert_ok(ct_tabular_from_table(&t, &o, &d));
    ck_assert_uint_eq(d.n_samples, 6);
    ck_assert_str_eq(d.target_name, "t");
    for (size_t i = 0; i < 6; i++) {
        ck_assert_float_eq(d.x[i], (float)(10 * i));
        ck_assert_float_eq(d.y[i], (float)(i + 1));
        ck_assert_float_eq(d.y_today[i], (float)i);
        ck_assert_uint_eq(d.rows[i], i);
        ck_assert_uint_eq(d.lines[i], i + 2);
    }
    double rmse;
    ck_assert_ok(ct_tabular_persistence_rmse(&d, NULL, 0, &rmse));
    ck_assert_double_eq_tol(rmse, 1.0, 1e-12);
    size_t some[] = {0, 3};
    ck_assert_ok(ct_tabular_persistence_rmse(&d, some, 2, &rmse));
    ck_assert_double_eq_tol(rmse, 1.0, 1e-12);
    ct_tabular_free(&d);

    /* The default range stops where the shifted target runs out. */
    o.first_row = 2;
    o.last_row = CT_LAST_ROW;
    o.shift = 3;
    ck_assert_ok(ct_tabular_from_table(&t, &o, &d));
    ck_assert_uint_eq(d.n_samples, 5); /* rows 2..6, y on rows 5..9 */
    ck_assert_float_eq(d.y[0], 5.0f);
    ck_assert_float_eq(d.y[4], 9.0f);
    ct_tabular_free(&d);

    /* Shift 0: y is today's value. */
    o.shift = 0;
    ck_assert_ok(ct_tabular_from_table(&t, &o, &d));
    ck_assert_uint_eq(d.n_samples, 8);
    ck_assert_float_eq(d.y[0], d.y_today[0]);
    ct_tabular_free(&d);

    /* An explicit range whose shifted target leaves the file is an error. */
    o.first_row = 0;
    o.last_row = 9;
    o.shift = 1;
    ck_assert_fails(ct_tabular_from_table(&t, &o, &d), CT_ERR_DATA, "end the range at row 8");
    o.last_row = 10;
    ck_assert_fails(ct_tabular_from_table(&t, &o, &d), CT_ERR_DATA, "last row 10 is past the end");
    o.first_row = 10;
    o.last_row = CT_LAST_ROW;
    ck_assert_fails(ct_tabular_from_table(&t, &o, &d), CT_ERR_DATA, "first row 10 is past the end");
    o.first_row = 5;
    o.last_row = 4;
    ck_assert_fails(ct_tabular_from_table(&t, &o, &d), CT_ERR_DATA, "is empty");
    o.first_row = 0;
    o.last_row = CT_LAST_ROW;
    o.shift = 10;
    ck_assert_fails(ct_tabular_from_table(&t, &o, &d), CT_ERR_DATA, "leaves no samples");
    /* A shift past the file with an explicit range: the message once printed
     * a row number that wrapped around (n - 1 - shift in size_t). */
    o.last_row = 5;
    o.shift = 1400;
    ck_assert_fails(ct_tabular_from_table(&t, &o, &d), CT_ERR_DATA,
                    "count.csv: a target shift of 1400 rows leaves no samples: the file has 10 data rows");
    ck_assert_ptr_null(strstr(ct_last_error(), "184467"));
    ct_table_free(&t);
}
END_TEST

START_TEST(test_workshop_row_counts)
{
    /* The workshop: X = data.loc[:365*3].drop(columns=['DATE','MONTH']),
     * y = data.loc[1:365*3+1]['BASEL_sunshine'] -> 1096 samples, y on rows
     * 1..1096; train_test_split(test_size=0.3) then 50/50 -> 767/164/165. */
    write_counting_csv(3653, NULL);
    ct_table t;
    ck_assert_ok(ct_csv_read(tpath("count.csv"), &t));
    ct_tabular_options o;
    ct_tabular_options_init(&o);
    o.first_row = 0;
    o.last_row = 365 * 3;
    o.target = "t";
    o.shift = 1;
    ct_tabular d;
    ck_assert_ok(ct_tabular_from_table(&t, &o, &d));
    ck_assert_uint_eq(d.n_samples, 1096);
    ck_assert_uint_eq(d.rows[0], 0);
    ck_assert_uint_eq(d.rows[1095], 1095);
    ck_assert_float_eq(d.y[0], 1.0f);
    ck_assert_float_eq(d.y[1095], 1096.0f);
    ct_split s;
    ct_split_options so = {.train = 0.7, .validation = 0.15, .test = 0.15, .seed = 0};
    ck_assert_ok(ct_split_make(d.n_samples, &so, &s));
    ck_assert_uint_eq(s.n_train, 767);
    ck_assert_uint_eq(s.n_validation, 164);
    ck_assert_uint_eq(s.n_test, 165);
    ct_split_free(&s);
    ct_tabular_free(&d);
    ct_table_free(&t);
}
END_TEST

START_TEST(test_missing_values_in_selection)
{
    /* Target missing on rows 3 and 7. */
    write_counting_csv(10, ",3,,7,");
    ct_table t;
    ck_assert_ok(ct_csv_read(tpath("count.csv"), &t));
    ct_tabular_options o;
    ct_tabular d;
    const char *feature[] = {"v"};
    ct_tabular_options_init(&o);
    o.features.names = feature;
    o.features.n_names = 1;

    /* Features only: the target column is not used, nothing is missing. */
    ck_assert_ok(ct_tabular_from_table(&t, &o, &d));
    ck_assert_uint_eq(d.n_samples, 10);
    ct_tabular_free(&d);

    o.target = "t";
    o.shift = 1;
    ck_assert_fails(ct_tabular_from_table(&t, &o, &d), CT_ERR_DATA, "row 5, column t: expected a number, got an empty field");

    /* drop_missing: a sample needs t on its own row (baseline) and on row + 1:
     * rows 2,3 (for row 3) and 6,7 (for row 7) go; rows 0..8 remain 5. */
    o.drop_missing = 1;
    ck_assert_ok(ct_tabular_from_table(&t, &o, &d));
    ck_assert_uint_eq(d.n_dropped, 4);
    ck_assert_uint_eq(d.n_samples, 5);
    size_t expected_rows[] = {0, 1, 4, 5, 8};
    for (size_t i = 0; i < 5; i++) {
        ck_assert_uint_eq(d.rows[i], expected_rows[i]);
        ck_assert_float_eq(d.y[i], (float)(expected_rows[i] + 1));
        ck_assert_float_eq(d.x[i], (float)(expected_rows[i] * 10));
    }
    ct_tabular_free(&d);

    /* Outside the used rows a missing value does not matter. */
    o.drop_missing = 0;
    o.first_row = 4;
    o.last_row = 5;
    ck_assert_ok(ct_tabular_from_table(&t, &o, &d));
    ck_assert_uint_eq(d.n_samples, 2);
    ct_tabular_free(&d);
    ct_table_free(&t);

    /* Text is always an error, drop_missing or not; a text column that is
     * dropped does no harm. */
    ck_assert_ok(read_csv_text("DATE,v\n2000-01-01,1\n2000-01-02,oops\n2000-01-03,\n", &t));
    ct_tabular_options_init(&o);
    o.drop_missing = 1;
    ck_assert_fails(ct_tabular_from_table(&t, &o, &d), CT_ERR_DATA, "row 2, column DATE: expected a number, got \"2000-01-01\"");
    const char *drop[] = {"DATE"};
    o.features.drop = drop;
    o.features.n_drop = 1;
    ck_assert_fails(ct_tabular_from_table(&t, &o, &d), CT_ERR_DATA, "row 3, column v: expected a number, got \"oops\"");
    ct_table_free(&t);

    ck_assert_ok(read_csv_text("DATE,v\n2000-01-01,1\n2000-01-02,NA\n2000-01-03,3\n", &t));
    ck_assert_ok(ct_tabular_from_table(&t, &o, &d));
    ck_assert_uint_eq(d.n_samples, 2);
    ck_assert_uint_eq(d.n_dropped, 1);
    ck_assert_float_eq(d.x[1], 3.0f);
    ct_tabular_free(&d);
    o.drop_missing = 0;
    ck_assert_fails(ct_tabular_from_table(&t, &o, &d), CT_ERR_DATA, "row 3, column v: expected a number, got \"NA\"");
    ct_table_free(&t);
}
END_TEST

/* =================================================================== split */

static void check_partition(const ct_split *s, size_t n)
{
    ck_assert_uint_eq(s->n_train + s->n_validation + s->n_test, n);
    unsigned char *seen = calloc(n, 1);
    const size_t *lists[] = {s->train, s->validation, s->test};
    size_t sizes[] = {s->n_train, s->n_validation, s->n_test};
    for (int l = 0; l < 3; l++)
        for (size_t k = 0; k < sizes[l]; k++) {
            ck_assert_uint_lt(lists[l][k], n);
            ck_assert_msg(!seen[lists[l][k]], "sample %zu appears twice", lists[l][k]);
            seen[lists[l][k]] = 1;
        }
    free(seen); /* n entries, each seen once: nothing lost */
}

START_TEST(test_split_sizes_and_partition)
{
    struct {
        size_t n;
        double train, validation, test;
        size_t n_train, n_validation, n_test;
    } cases[] = {
        {1096, 0.7, 0.15, 0.15, 767, 164, 165}, /* the workshop */
        {10, 0.7, 0.15, 0.15, 7, 1, 2},
        {30, 0.7, 0.2, 0.1, 21, 6, 3}, /* 0.3*30 = 9.000000000000002 means 9 */
        {100, 0.8, 0.0, 0.2, 80, 0, 20},
        {100, 0.5, 0.5, 0.0, 50, 50, 0},
        {7, 1.0, 0.0, 0.0, 7, 0, 0},
        {1, 1.0, 0.0, 0.0, 1, 0, 0},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        ct_split_options o = {.train = cases[c].train, .validation = cases[c].validation, .test = cases[c].test,
                              .seed = 42};
        ct_split s;
        ck_assert_ok(ct_split_make(cases[c].n, &o, &s));
        ck_assert_msg(s.n_train == cases[c].n_train && s.n_validation == cases[c].n_validation &&
                          s.n_test == cases[c].n_test,
                      "case %zu: %zu/%zu/%zu", c, s.n_train, s.n_validation, s.n_test);
        check_partition(&s, cases[c].n);
        ct_split_free(&s);
        o.keep_order = 1;
        ck_assert_ok(ct_split_make(cases[c].n, &o, &s));
        check_partition(&s, cases[c].n);
        for (size_t k = 0; k < s.n_train; k++)
            ck_assert_uint_eq(s.train[k], k);
        for (size_t k = 0; k < s.n_test; k++)
            ck_assert_uint_eq(s.test[k], s.n_train + s.n_validation + k);
        ct_split_free(&s);
    }
}
END_TEST

/* random_state: sklearn's rows. Expected values printed by numpy 1.24:
 *   numpy.random.RandomState(0).permutation(1096), split as
 *   train_test_split(test_size=0.3, random_state=0) then
 *   train_test_split(holdout, test_size=0.5, random_state=0). */
START_TEST(test_split_random_state_matches_sklearn)
{
    ct_split_options o = {.train = 0.7, .validation = 0.15, .test = 0.15, .seed = 99,
                          .use_random_state = 1, .random_state = 0};
    ct_split s;
    ck_assert_ok(ct_split_make(1096, &o, &s));
    ck_assert_uint_eq(s.n_train, 767);
    ck_assert_uint_eq(s.n_validation, 164);
    ck_assert_uint_eq(s.n_test, 165);
    check_partition(&s, 1096);
    const size_t train[] = {458, 181, 427, 815, 9}, validation[] = {583, 794, 721, 1040, 193},
                 test[] = {634, 1050, 403, 561, 687};
    for (size_t k = 0; k < 5; k++) {
        ck_assert_uint_eq(s.train[k], train[k]);
        ck_assert_uint_eq(s.validation[k], validation[k]);
        ck_assert_uint_eq(s.test[k], test[k]);
    }
    ck_assert_uint_eq(s.test[164], 742);
    ck_assert_uint_eq(s.validation[163], 890);
    ct_split_free(&s);

    /* One call (no validation): the holdout in the permutation's order,
     * RandomState(3).permutation(20) = 14 2 1 17 4 16 6 7 15 12 | 9 11 ... */
    ct_split_options one = {.train = 0.5, .test = 0.5, .use_random_state = 1, .random_state = 3};
    ck_assert_ok(ct_split_make(20, &one, &s));
    const size_t test20[] = {14, 2, 1, 17, 4, 16, 6, 7, 15, 12}, train20[] = {9, 11, 19, 18, 13, 5, 0, 8, 3, 10};
    ck_assert_mem_eq(s.test, test20, sizeof test20);
    ck_assert_mem_eq(s.train, train20, sizeof train20);
    ct_split_free(&s);

    /* Whole permutations: all samples to the test list. */
    struct {
        uint32_t random_state;
        size_t n, expected[10];
    } whole[] = {
        {42, 10, {8, 1, 5, 0, 7, 2, 9, 4, 3, 6}},
        {4294967295u, 7, {1, 5, 0, 6, 4, 2, 3}},
        {5, 1, {0}},
    };
    for (size_t c = 0; c < sizeof whole / sizeof whole[0]; c++) {
        ct_split_options all = {.test = 1.0, .use_random_state = 1, .random_state = whole[c].random_state};
        ck_assert_ok(ct_split_make(whole[c].n, &all, &s));
        ck_assert_uint_eq(s.n_test, whole[c].n);
        ck_assert_mem_eq(s.test, whole[c].expected, whole[c].n * sizeof *s.test);
        ct_split_free(&s);
    }
}
END_TEST

START_TEST(test_split_determinism)
{
    ct_split_options o = {.train = 0.7, .validation = 0.15, .test = 0.15, .seed = 0};
    ct_split a, b, c;
    ck_assert_ok(ct_split_make(1000, &o, &a));
    ck_assert_ok(ct_split_make(1000, &o, &b));
    o.seed = 1;
    ck_assert_ok(ct_split_make(1000, &o, &c));
    ck_assert_mem_eq(a.train, b.train, a.n_train * sizeof *a.train);
    ck_assert_mem_eq(a.validation, b.validation, a.n_validation * sizeof *a.validation);
    ck_assert_mem_eq(a.test, b.test, a.n_test * sizeof *a.test);
    ck_assert_msg(memcmp(a.train, c.train, a.n_train * sizeof *a.train) != 0, "seeds 0 and 1 gave the same split");
    /* Shuffled, not a block: the training list is not 0..699 in order. */
    size_t in_order = 0;
    for (size_t k = 0; k < a.n_train; k++)
        in_order += a.train[k] == k;
    ck_assert_uint_lt(in_order, 50);
    ct_split_free(&a);
    ct_split_free(&b);
    ct_split_free(&c);

    /* Golden values: the same permutation on every machine and compiler
     * (cross-checked against a Python transcription of random.c + split.c). */
    o.seed = 0;
    ck_assert_ok(ct_split_make(10, &o, &a));
    size_t golden[10] = {7, 4, 6, 5, 0, 8, 1, 9, 3, 2};
    size_t got[10];
    memcpy(got, a.train, a.n_train * sizeof *got);
    memcpy(got + a.n_train, a.validation, a.n_validation * sizeof *got);
    memcpy(got + a.n_train + a.n_validation, a.test, a.n_test * sizeof *got);
    for (int k = 0; k < 10; k++)
        ck_assert_msg(got[k] == golden[k], "position %d: %zu, expected %zu", k, got[k], golden[k]);
    ct_split_free(&a);
}
END_TEST

START_TEST(test_split_errors)
{
    ct_split s;
    ct_split_options o = {.train = 0.7, .validation = 0.2, .test = 0.2};
    ck_assert_fails(ct_split_make(100, &o, &s), CT_ERR_CONFIG, "add up to 1");
    o = (ct_split_options){.train = 1.2, .validation = -0.2};
    ck_assert_fails(ct_split_make(100, &o, &s), CT_ERR_CONFIG, "the train fraction must be between 0 and 1");
    o = (ct_split_options){.train = 0.7, .validation = 0.15, .test = 0.15};
    ck_assert_fails(ct_split_make(0, &o, &s), CT_ERR_DATA, "no samples");
    ck_assert_fails(ct_split_make(2, &o, &s), CT_ERR_DATA, "none for validation");
    o = (ct_split_options){.train = 0.1, .validation = 0.0, .test = 0.9};
    ck_assert_fails(ct_split_make(3, &o, &s), CT_ERR_DATA, "none for training");
}
END_TEST

START_TEST(test_gather_rows)
{
    float src[] = {0, 1, 10, 11, 20, 21};
    size_t idx[] = {2, 0};
    float *out;
    ck_assert_ok(ct_gather_rows(src, 2, idx, 2, &out));
    ck_assert_float_eq(out[0], 20);
    ck_assert_float_eq(out[1], 21);
    ck_assert_float_eq(out[2], 0);
    ck_assert_float_eq(out[3], 1);
    free(out);
}
END_TEST

/* ========================================================= standardisation */

START_TEST(test_standardize_train_only)
{
    /* 4 rows x 3 columns; rows 0 and 2 are the training split. Column 1 is
     * constant in training. */
    float x[] = {
        1, 5, 10, /* train */
        100, 7, -1, /* not train */
        3, 5, 30, /* train */
        1000, 5, 0, /* not train */
    };
    size_t train[] = {0, 2};
    ct_standardizer s;
    ck_assert_ok(ct_standardizer_fit(x, 3, train, 2, &s));
    ck_assert_uint_eq(s.n_cols, 3);
    ck_assert_double_eq_tol(s.mean[0], 2.0, 1e-12);
    ck_assert_double_eq_tol(s.std[0], 1.0, 1e-12); /* population std of {1, 3} */
    ck_assert_double_eq_tol(s.mean[1], 5.0, 1e-12);
    ck_assert_double_eq(s.std[1], 0.0);
    ck_assert_double_eq(s.scale[1], 1.0);
    ck_assert_double_eq_tol(s.mean[2], 20.0, 1e-12);
    ck_assert_double_eq_tol(s.scale[2], 10.0, 1e-12);
    ct_standardizer_apply(&s, x, 4);
    float expected[] = {-1, 0, -1, 98, 2, -2.1f, 1, 0, 1, 998, 0, -2};
    for (int i = 0; i < 12; i++) {
        ck_assert(!isnan(x[i]));
        ck_assert_float_eq_tol(x[i], expected[i], 1e-5f);
    }
    ct_standardizer_free(&s);
    ct_standardizer_free(&s);
    ck_assert_fails(ct_standardizer_fit(x, 3, train, 0, &s), CT_ERR_DATA, "empty");
}
END_TEST

/* ================================================================ CIFAR-10 */

/* A distinct byte for (image, channel, row, column). */
static unsigned char pixel(size_t image, size_t c, size_t h, size_t w)
{
    return (unsigned char)((image * 31 + c * 101 + h * 7 + w * 3) & 255);
}

/* n records with labels first_label, first_label+1, ... (mod 10), images
 * numbered from first_image. */
static void write_cifar_batch(const char *name, size_t n, size_t first_image, unsigned first_label)
{
    unsigned char *data = malloc(n * CT_CIFAR10_RECORD);
    for (size_t i = 0; i < n; i++) {
        unsigned char *record = data + i * CT_CIFAR10_RECORD;
        record[0] = (unsigned char)((first_label + i) % 10);
        for (size_t c = 0; c < 3; c++)
            for (size_t h = 0; h < 32; h++)
                for (size_t w = 0; w < 32; w++)
                    record[1 + c * 1024 + h * 32 + w] = pixel(first_image + i, c, h, w);
    }
    write_bytes(tpath(name), data, n * CT_CIFAR10_RECORD);
    free(data);
}

static const char *class_names_text = "airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n\n";

START_TEST(test_cifar_layout)
{
    write_cifar_batch("b.bin", 3, 0, 7);
    ct_image_set set = {0};
    ck_assert_ok(ct_cifar10_read_batch(tpath("b.bin"), 0, &set));
    ck_assert_uint_eq(set.n, 3);
    for (size_t i = 0; i < 3; i++) {
        ck_assert_int_eq(set.labels[i], (int)((7 + i) % 10));
        for (size_t h = 0; h < 32; h++)
            for (size_t w = 0; w < 32; w++)
                for (size_t c = 0; c < 3; c++) {
                    float got = set.x[((i * 32 + h) * 32 + w) * 3 + c];
                    float want = (float)(pixel(i, c, h, w) / 255.0);
                    if (got != want)
                        ck_abort_msg("image %zu h %zu w %zu c %zu: %g, expected %g", i, h, w, c, got, want);
                }
    }
    /* Appending a second file and a cap on the count. */
    ck_assert_ok(ct_cifar10_read_batch(tpath("b.bin"), 2, &set));
    ck_assert_uint_eq(set.n, 5);
    ck_assert_int_eq(set.labels[4], 8);
    ct_image_set_free(&set);

    /* 0 and 255 map to exactly 0 and 1. */
    unsigned char record[CT_CIFAR10_RECORD] = {3};
    record[1] = 255;
    write_bytes(tpath("extremes.bin"), record, sizeof record);
    ck_assert_ok(ct_cifar10_read_batch(tpath("extremes.bin"), 0, &set));
    ck_assert_float_eq(set.x[0], 1.0f);
    ck_assert_float_eq(set.x[1], 0.0f);
    ct_image_set_free(&set);
}
END_TEST

START_TEST(test_cifar_bad_files)
{
    ct_image_set set = {0};
    write_cifar_batch("b.bin", 2, 0, 0);
    size_t len;
    char *data = read_all(tpath("b.bin"), &len);
    write_bytes(tpath("truncated.bin"), data, len - 100);
    ck_assert_fails(ct_cifar10_read_batch(tpath("truncated.bin"), 0, &set), CT_ERR_DATA,
                    "6046 bytes is not a whole number of 3073-byte records (1 records and 2973 bytes over)");
    data[CT_CIFAR10_RECORD] = 10; /* label of record 1 */
    write_bytes(tpath("label.bin"), data, len);
    ck_assert_fails(ct_cifar10_read_batch(tpath("label.bin"), 0, &set), CT_ERR_DATA,
                    "record 1 (byte offset 3073) has label 10, expected 0..9");
    write_bytes(tpath("empty.bin"), data, 0);
    ck_assert_fails(ct_cifar10_read_batch(tpath("empty.bin"), 0, &set), CT_ERR_DATA, "empty");
    ck_assert_fails(ct_cifar10_read_batch(tpath("absent.bin"), 0, &set), CT_ERR_NOT_FOUND, "absent.bin");
    ct_image_set_free(&set);
    free(data);
}
END_TEST

START_TEST(test_cifar_dataset)
{
    write_cifar_batch("data_batch_1.bin", 3, 0, 0);
    write_cifar_batch("data_batch_2.bin", 3, 3, 3);
    write_cifar_batch("test_batch.bin", 4, 100, 5);
    write_text("batches.meta.txt", class_names_text);
    ct_cifar10_options o = {.dir = test_dir, .train_batches = 5};
    ct_cifar10 c;

    /* Batches 3..5 do not exist: skipped, and reported in the bit mask. */
    ck_assert_ok(ct_cifar10_load(&o, &c));
    ck_assert_uint_eq(c.train.n, 6);
    ck_assert_uint_eq(c.train_batches_read, 3);
    ck_assert_uint_eq(c.test.n, 4);
    ck_assert_int_eq(c.train.labels[5], 5);
    ck_assert_int_eq(c.test.labels[0], 5);
    ck_assert_str_eq(c.class_names[0], "airplane");
    ck_assert_str_eq(c.class_names[9], "truck");
    ck_assert_float_eq(c.train.x[4 * CT_CIFAR10_PIXELS + 2], (float)(pixel(4, 2, 0, 0) / 255.0));
    ct_cifar10_free(&c);

    /* A subset reads batch 2 only as far as needed, and not at all if batch 1 suffices. */
    o.train_subset = 4;
    o.test_subset = 2;
    ck_assert_ok(ct_cifar10_load(&o, &c));
    ck_assert_uint_eq(c.train.n, 4);
    ck_assert_uint_eq(c.test.n, 2);
    ck_assert_uint_eq(c.train_batches_read, 3);
    ct_cifar10_free(&c);
    o.train_subset = 2;
    ck_assert_ok(ct_cifar10_load(&o, &c));
    ck_assert_uint_eq(c.train.n, 2);
    ck_assert_uint_eq(c.train_batches_read, 1);
    ct_cifar10_free(&c);

    o.train_subset = 7;
    ck_assert_fails(ct_cifar10_load(&o, &c), CT_ERR_DATA, "training subset of 7 images");
    o.train_subset = 0;
    o.train_batches = 1;
    ck_assert_ok(ct_cifar10_load(&o, &c));
    ck_assert_uint_eq(c.train.n, 3);
    ct_cifar10_free(&c);
    o.train_batches = 6;
    ck_assert_fails(ct_cifar10_load(&o, &c), CT_ERR_CONFIG, "5 training batches");

    /* Missing files say which and where. */
    o.train_batches = 5;
    write_text("batches.meta.txt", "airplane\nautomobile\n");
    ck_assert_fails(ct_cifar10_load(&o, &c), CT_ERR_DATA, "found 2 class names, expected 10");
    unlink(tpath("batches.meta.txt"));
    ck_assert_fails(ct_cifar10_load(&o, &c), CT_ERR_NOT_FOUND, "batches.meta.txt");
    unlink(tpath("test_batch.bin"));
    ck_assert_fails(ct_cifar10_load(&o, &c), CT_ERR_NOT_FOUND, tpath("test_batch.bin"));
    unlink(tpath("data_batch_1.bin"));
    unlink(tpath("data_batch_2.bin"));
    char expected[BUF];
    snprintf(expected, sizeof expected, "looked for data_batch_1.bin .. data_batch_5.bin in %s", test_dir);
    ck_assert_fails(ct_cifar10_load(&o, &c), CT_ERR_NOT_FOUND, expected);
}
END_TEST

/* ================================================================= SHA-256 */

static void sha256_hex_of(const void *data, size_t len, char hex[65])
{
    ct_data_sha256 h;
    unsigned char digest[32];
    ct_data_sha256_init(&h);
    ct_data_sha256_update(&h, data, len);
    ct_data_sha256_final(&h, digest);
    ct_data_sha256_hex(digest, hex);
}

START_TEST(test_sha256_vectors)
{
    char hex[65];
    /* FIPS 180-4 examples and the NIST long-message vector. */
    sha256_hex_of("", 0, hex);
    ck_assert_str_eq(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    sha256_hex_of("abc", 3, hex);
    ck_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *two_blocks = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    sha256_hex_of(two_blocks, strlen(two_blocks), hex);
    ck_assert_str_eq(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    char *million = malloc(1000000);
    memset(million, 'a', 1000000);
    sha256_hex_of(million, 1000000, hex);
    ck_assert_str_eq(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");

    /* Fed in uneven pieces around the 55/56/64-byte padding edges, the
     * result is the same as in one piece. */
    for (size_t len = 50; len < 140; len++) {
        char whole[65], pieces[65];
        sha256_hex_of(million, len, whole);
        ct_data_sha256 h;
        unsigned char digest[32];
        ct_data_sha256_init(&h);
        for (size_t done = 0, step = 1; done < len; done += step, step = step * 2 + 1)
            ct_data_sha256_update(&h, million + done, step < len - done ? step : len - done);
        ct_data_sha256_final(&h, digest);
        ct_data_sha256_hex(digest, pieces);
        ck_assert_str_eq(whole, pieces);
    }

    make_test_dir();
    write_bytes(tpath("m.bin"), million, 1000000);
    ck_assert_ok(ct_sha256_file_hex(tpath("m.bin"), hex));
    ck_assert_str_eq(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    ck_assert_fails(ct_sha256_file_hex(tpath("none"), hex), CT_ERR_NOT_FOUND, "none");
    free(million);
    remove_test_dir();
}
END_TEST

/* =========================================================== locate/fetch */

static const char *small_text = "a,b\n1,2\n";
/* sha256 of small_text */
static char small_sha[65];

static void setup_locate(void)
{
    char dir[BUF];
    snprintf(dir, sizeof dir, "%s/cache", test_dir);
    setenv("XDG_CACHE_HOME", dir, 1);
    unsetenv("CLTRAIN_DATA_DIR");
    sha256_hex_of(small_text, strlen(small_text), small_sha);
}

static char *cache_path(const char *name)
{
    char *p = malloc(BUF);
    snprintf(p, BUF, "%s/cache/cltrain/datasets/%s", test_dir, name);
    return p;
}

static void make_dir(const char *name) { ck_assert_int_eq(mkdir(tpath(name), 0755), 0); }

START_TEST(test_locate_order)
{
    setup_locate();
    char *path;
    make_dir("data");
    make_dir("data/weather");
    make_dir("data/x");
    make_dir("other");
    ck_assert_int_eq(system("true"), 0);
    char *cached = cache_path("x.csv");
    char cache_dirs[BUF];
    snprintf(cache_dirs, sizeof cache_dirs, "mkdir -p '%s/cache/cltrain/datasets'", test_dir);
    ck_assert_int_eq(system(cache_dirs), 0);

    /* Only in the cache. */
    write_bytes(cached, small_text, strlen(small_text));
    ck_assert_ok(ct_data_locate("x.csv", NULL, small_sha, tpath("data"), &path));
    ck_assert_str_eq(path, cached);
    free(path);

    /* DIR/STEM/NAME beats the cache, DIR/weather/NAME beats that, DIR/NAME beats all. */
    write_text("data/x/x.csv", small_text);
    ck_assert_ok(ct_data_locate("x.csv", NULL, small_sha, tpath("data"), &path));
    ck_assert_str_eq(path, tpath("data/x/x.csv"));
    free(path);
    write_text("data/weather/x.csv", small_text);
    ck_assert_ok(ct_data_locate("x.csv", NULL, small_sha, tpath("data"), &path));
    ck_assert_str_eq(path, tpath("data/weather/x.csv"));
    free(path);
    write_text("data/x.csv", small_text);
    ck_assert_ok(ct_data_locate("x.csv", NULL, NULL, tpath("data"), &path));
    ck_assert_str_eq(path, tpath("data/x.csv"));
    free(path);

    /* $CLTRAIN_DATA_DIR when no dir is given; the given dir wins over it. */
    write_text("other/x.csv", small_text);
    setenv("CLTRAIN_DATA_DIR", tpath("other"), 1);
    ck_assert_ok(ct_data_locate("x.csv", NULL, NULL, NULL, &path));
    ck_assert_str_eq(path, tpath("other/x.csv"));
    free(path);
    ck_assert_ok(ct_data_locate("x.csv", NULL, NULL, tpath("data"), &path));
    ck_assert_str_eq(path, tpath("data/x.csv"));
    free(path);

    /* A folder is found as well (CIFAR's cifar-10-batches-bin). */
    make_dir("data/some-folder");
    ck_assert_ok(ct_data_locate("some-folder", NULL, small_sha, tpath("data"), &path));
    ck_assert_str_eq(path, tpath("data/some-folder"));
    free(path);

    /* Nowhere, and no URL. */
    ck_assert_fails(ct_data_locate("y.csv", NULL, NULL, tpath("data"), &path), CT_ERR_NOT_FOUND,
                    "y.csv not found in");
    ck_assert_ptr_null(path);
    /* A path (with a folder) is taken as it is: no data folders, no download
     * (issue 14: data next to the experiment file). */
    ck_assert_fails(ct_data_locate("no-such-folder/x.csv", NULL, NULL, tpath("data"), &path), CT_ERR_NOT_FOUND,
                    "no-such-folder/x.csv: No such file or directory (a path with a folder is taken as it is");
    ck_assert_ok(ct_data_locate(tpath("data/x.csv"), NULL, NULL, NULL, &path));
    ck_assert_str_eq(path, tpath("data/x.csv"));
    free(path);
    ck_assert_ok(ct_data_locate(tpath("data/x.csv"), NULL, small_sha, NULL, &path)); /* its checksum is checked */
    free(path);
    ck_assert_fails(ct_data_locate(tpath("data/x.csv"), NULL,
                                   "0000000000000000000000000000000000000000000000000000000000000000", NULL, &path),
                    CT_ERR_CHECKSUM, "SHA-256 is");
    ck_assert_fails(ct_data_locate("..", NULL, NULL, tpath("data"), &path), CT_ERR_INVALID_ARGUMENT, "names no file");
    ck_assert_fails(ct_data_locate("x.csv", NULL, "abc", tpath("data"), &path), CT_ERR_CONFIG,
                    "64 hexadecimal digits");
    free(cached);
}
END_TEST

START_TEST(test_locate_checksum_mismatch)
{
    setup_locate();
    char *path;
    make_dir("data");
    write_text("data/x.csv", "a,b\n1,3\n"); /* not small_text */
    ck_assert_fails(ct_data_locate("x.csv", "file:///nonexistent/x.csv", small_sha, tpath("data"), &path),
                    CT_ERR_CHECKSUM, "expected");
    ck_assert_msg(strstr(ct_last_error(), small_sha) != NULL, "%s", ct_last_error());
    ck_assert_msg(strstr(ct_last_error(), "left as it is") != NULL, "%s", ct_last_error());
    /* Not replaced, not removed. */
    size_t len;
    char *content = read_all(tpath("data/x.csv"), &len);
    ck_assert_str_eq(content, "a,b\n1,3\n");
    free(content);
    /* Upper-case digests are accepted. */
    char upper[65];
    for (int i = 0; i < 65; i++)
        upper[i] = (char)toupper((unsigned char)small_sha[i]);
    write_text("data/x.csv", small_text);
    ck_assert_ok(ct_data_locate("x.csv", NULL, upper, tpath("data"), &path));
    free(path);
}
END_TEST

START_TEST(test_fetch_download_file_url)
{
    setup_locate();
    char *path;
    const char *source = write_text("source.csv", small_text);
    char url[BUF];
    snprintf(url, sizeof url, "file://%s?download=1", source);
    char *cached = cache_path("x.csv");
    char *part = cache_path("x.csv.part");

    /* Downloaded into the cache (folders created), verified, renamed. */
    ck_assert_ok(ct_data_locate("x.csv", url, small_sha, NULL, &path));
    ck_assert_str_eq(path, cached);
    size_t len;
    char *content = read_all(cached, &len);
    ck_assert_str_eq(content, small_text);
    free(content);
    ck_assert(!exists(part));
    free(path);

    /* Found in the cache the second time (the source is gone). */
    unlink(source);
    ck_assert_ok(ct_data_locate("x.csv", url, small_sha, NULL, &path));
    ck_assert_str_eq(path, cached);
    free(path);

    /* A cached file that no longer matches is reported, not replaced. */
    write_bytes(cached, "tampered", 8);
    ck_assert_fails(ct_data_locate("x.csv", url, small_sha, NULL, &path), CT_ERR_CHECKSUM, cached);
    content = read_all(cached, &len);
    ck_assert_str_eq(content, "tampered");
    free(content);
    free(cached);
    free(part);
}
END_TEST

START_TEST(test_fetch_resume_and_bad_checksum)
{
    setup_locate();
    char *path;
    /* A bigger source, so that resuming is visible. */
    size_t n = 100000;
    char *big = malloc(n);
    for (size_t i = 0; i < n; i++)
        big[i] = (char)('a' + i % 26);
    write_bytes(tpath("big.bin"), big, n);
    char sha[65];
    sha256_hex_of(big, n, sha);
    char url[BUF];
    snprintf(url, sizeof url, "file://%s", tpath("big.bin"));
    char *cached = cache_path("big.bin");
    char *part = cache_path("big.bin.part");

    /* An interrupted earlier download left the first 40000 bytes. */
    char mk[BUF];
    snprintf(mk, sizeof mk, "mkdir -p '%s/cache/cltrain/datasets'", test_dir);
    ck_assert_int_eq(system(mk), 0);
    write_bytes(part, big, 40000);
    ck_assert_ok(ct_data_locate("big.bin", url, sha, NULL, &path));
    size_t len;
    char *content = read_all(cached, &len);
    ck_assert_uint_eq(len, n);
    ck_assert_mem_eq(content, big, n);
    ck_assert(!exists(part));
    free(content);
    free(path);

    /* Another process downloading the same file holds the .part locked. */
    unlink(cached);
    FILE *other = fopen(part, "ab");
    ck_assert_int_eq(flock(fileno(other), LOCK_EX), 0);
    ck_assert_fails(ct_data_locate("big.bin", url, sha, NULL, &path), CT_ERR_IO,
                    "is being downloaded by another process");
    ck_assert(exists(part)); /* not ours to remove */
    fclose(other);
    unlink(part);

    /* The wrong digest: nothing lands under the name, the .part is removed. */
    unlink(cached);
    char wrong[65];
    memcpy(wrong, sha, 65);
    wrong[0] = wrong[0] == '0' ? '1' : '0';
    ck_assert_fails(ct_data_locate("big.bin", url, wrong, NULL, &path), CT_ERR_CHECKSUM, "the download was removed");
    ck_assert(!exists(cached));
    ck_assert(!exists(part));
    free(cached);
    free(part);
    free(big);
}
END_TEST

START_TEST(test_fetch_unreachable)
{
    setup_locate();
    char *path;
    char *cached = cache_path("weather_prediction_dataset.csv");
    char expected[BUF];
    snprintf(expected, sizeof expected,
             "Download it yourself: curl -L -o '%s' 'file:///nonexistent/weather_prediction_dataset.csv'", cached);
    ck_assert_fails(ct_data_locate("weather_prediction_dataset.csv",
                                   "file:///nonexistent/weather_prediction_dataset.csv", small_sha, NULL, &path),
                    CT_ERR_NETWORK, expected);
    ck_assert_msg(strstr(ct_last_error(), "CLTRAIN_DATA_DIR") != NULL, "%s", ct_last_error());
    ck_assert(!exists(cached));
    char *part = cache_path("weather_prediction_dataset.csv.part");
    ck_assert_msg(!exists(part), "an empty %s was left behind", part);
    free(part);

    /* Loopback port 1: connection refused, fast, and never the network. */
    ck_assert_fails(ct_data_locate("w.csv", "http://127.0.0.1:1/w.csv", small_sha, NULL, &path), CT_ERR_NETWORK,
                    "could not download http://127.0.0.1:1/w.csv");
    ck_assert_ptr_null(path);
    free(cached);
}
END_TEST

START_TEST(test_fetch_archive)
{
    setup_locate();
    char *path;
    make_dir("pack");
    make_dir("pack/mydata-bin");
    write_text("pack/mydata-bin/test_batch.bin", "data");
    char command[3 * BUF];
    snprintf(command, sizeof command, "tar -czf '%s' -C '%s' mydata-bin", tpath("mydata.tar.gz"), tpath("pack"));
    ck_assert_int_eq(system(command), 0);
    char sha[65];
    ck_assert_ok(ct_sha256_file_hex(tpath("mydata.tar.gz"), sha));
    char url[BUF];
    snprintf(url, sizeof url, "file://%s", tpath("mydata.tar.gz"));

    /* Wrong digest: nothing unpacked. */
    char wrong[65];
    memcpy(wrong, sha, 65);
    wrong[5] = wrong[5] == 'a' ? 'b' : 'a';
    ck_assert_fails(ct_data_locate("mydata-bin", url, wrong, NULL, &path), CT_ERR_CHECKSUM, "SHA-256");
    char *folder = cache_path("mydata-bin");
    ck_assert(!exists(folder));

    ck_assert_ok(ct_data_locate("mydata-bin", url, sha, NULL, &path));
    ck_assert_str_eq(path, folder);
    free(path);
    char *inside = cache_path("mydata-bin/test_batch.bin");
    ck_assert(exists(inside));
    char *archive = cache_path("mydata.tar.gz");
    ck_assert(exists(archive)); /* kept: the download is not repeated */

    /* Unpacked again from the cached archive if the folder went away. */
    unlink(inside);
    rmdir(folder);
    unlink(tpath("mydata.tar.gz"));
    ck_assert_ok(ct_data_locate("mydata-bin", url, sha, NULL, &path));
    ck_assert(exists(inside));
    free(path);

    /* An archive without the folder asked for. */
    ck_assert_fails(ct_data_locate("other-bin", url, NULL, NULL, &path), CT_ERR_DATA,
                    "does not contain other-bin/ at its top level");
    free(folder);
    free(inside);
    free(archive);
}
END_TEST

START_TEST(test_cache_dir)
{
    char *dir;
    setenv("CLTRAIN_CACHE_DIR", "/own/cache", 1); /* over XDG_CACHE_HOME */
    setenv("XDG_CACHE_HOME", "/somewhere/cache", 1);
    ck_assert_ok(ct_data_cache_dir(&dir));
    ck_assert_str_eq(dir, "/own/cache/datasets");
    free(dir);
    unsetenv("CLTRAIN_CACHE_DIR");
    ck_assert_ok(ct_data_cache_dir(&dir));
    ck_assert_str_eq(dir, "/somewhere/cache/cltrain/datasets");
    free(dir);
    setenv("XDG_CACHE_HOME", "relative", 1); /* ignored, as the XDG spec says */
    setenv("HOME", "/home/someone", 1);
    ck_assert_ok(ct_data_cache_dir(&dir));
    ck_assert_str_eq(dir, "/home/someone/.cache/cltrain/datasets");
    free(dir);
    unsetenv("XDG_CACHE_HOME");
    unsetenv("HOME");
    ck_assert_fails(ct_data_cache_dir(&dir), CT_ERR_NOT_FOUND, "HOME");
}
END_TEST

/* ====================================================== real data (shared) */

/* Read once in main(): tests that run without fork (CK_FORK=no, e.g. under a
 * debugger) change the environment. */
static char *shared_data_dir;

static const char *require_data_dir(void)
{
    const char *dir = shared_data_dir;
    ck_assert_msg(dir && dir[0],
                  "CLTRAIN_DATA_DIR is not set: the integration tests need the shared datasets "
                  "(weather/ and cifar-10-batches-bin/). Run through ctest, or set it to ../shared/data");
    return dir;
}

#define WEATHER_SHA256 "9bacfc5dde79eddcf855c1c0f304686ed66a1cfaf3059bfd9fefc9139ee7cca8"

START_TEST(test_real_weather)
{
    const char *data_dir = require_data_dir();
    char cache[BUF];
    snprintf(cache, sizeof cache, "%s/no-cache", test_dir);
    setenv("XDG_CACHE_HOME", cache, 1); /* must be found in the data dir */
    char *path;
    ck_assert_ok(ct_data_locate("weather_prediction_dataset.csv", NULL, WEATHER_SHA256, data_dir, &path));
    ck_assert_msg(strncmp(path, data_dir, strlen(data_dir)) == 0, "found %s", path);

    ct_table t;
    ck_assert_ok(ct_csv_read(path, &t));
    ck_assert_uint_eq(t.n_rows, 3653);
    ck_assert_uint_eq(t.n_cols, 165);
    ck_assert_uint_eq(t.n_problems, 0);
    ck_assert_str_eq(t.names[0], "DATE");
    ck_assert_str_eq(t.names[1], "MONTH");
    ck_assert_double_eq(t.values[0], 20000101.0);
    ck_assert_uint_eq(t.lines[3652], 3654);

    /* The workshop's sunshine setup. */
    const char *drop[] = {"DATE", "MONTH"};
    ct_tabular_options o;
    ct_tabular_options_init(&o);
    o.features.drop = drop;
    o.features.n_drop = 2;
    o.first_row = 0;
    o.last_row = 365 * 3;
    o.target = "BASEL_sunshine";
    o.shift = 1;
    ct_tabular d;
    ck_assert_ok(ct_tabular_from_table(&t, &o, &d));
    ck_assert_uint_eq(d.n_samples, 1096);
    ck_assert_uint_eq(d.n_features, 163);
    size_t sunshine;
    ck_assert_ok(ct_table_find_column(&t, "BASEL_sunshine", &sunshine));
    ck_assert_str_eq(d.feature_names[sunshine - 2], "BASEL_sunshine");
    size_t mismatches = 0; /* counted: a Check assertion per value would be slow */
    for (size_t i = 0; i < d.n_samples; i++) {
        mismatches += d.y[i] != (float)t.values[(i + 1) * t.n_cols + sunshine];
        mismatches += d.y_today[i] != d.x[i * d.n_features + sunshine - 2];
    }
    ck_assert_uint_eq(mismatches, 0);
    ct_split_options so = {.train = 0.7, .validation = 0.15, .test = 0.15, .seed = 0};
    ct_split s;
    ck_assert_ok(ct_split_make(d.n_samples, &so, &s));
    ck_assert_uint_eq(s.n_train, 767);
    ck_assert_uint_eq(s.n_validation, 164);
    ck_assert_uint_eq(s.n_test, 165);
    double rmse;
    ck_assert_ok(ct_tabular_persistence_rmse(&d, s.test, s.n_test, &rmse));
    ck_assert(rmse > 1.0 && rmse < 10.0); /* hours of sunshine */
    ct_standardizer z;
    ck_assert_ok(ct_standardizer_fit(d.x, d.n_features, s.train, s.n_train, &z));
    ct_standardizer_apply(&z, d.x, d.n_samples);
    size_t not_finite = 0;
    for (size_t i = 0; i < d.n_samples * d.n_features; i++)
        not_finite += !isfinite(d.x[i]);
    ck_assert_uint_eq(not_finite, 0);
    ct_standardizer_free(&z);
    ct_split_free(&s);
    ct_tabular_free(&d);

    /* All rows: the last day has no tomorrow. */
    o.last_row = CT_LAST_ROW;
    ck_assert_ok(ct_tabular_from_table(&t, &o, &d));
    ck_assert_uint_eq(d.n_samples, 3652);
    ct_tabular_free(&d);
    ct_table_free(&t);
    free(path);
}
END_TEST

START_TEST(test_real_cifar)
{
    const char *data_dir = require_data_dir();
    char cache[BUF];
    snprintf(cache, sizeof cache, "%s/no-cache", test_dir);
    setenv("XDG_CACHE_HOME", cache, 1);
    char *dir;
    /* No URL: a test must never reach the network, even when the data is missing. */
    ck_assert_ok(ct_data_locate("cifar-10-batches-bin", NULL, NULL, data_dir, &dir));
    ck_assert_msg(strncmp(dir, data_dir, strlen(data_dir)) == 0, "found %s", dir);
    ct_cifar10_options o = {.dir = dir, .train_batches = 5};
    ct_cifar10 c;
    ck_assert_ok(ct_cifar10_load(&o, &c));
    /* The data folder may carry data_batch_1 only (the workshop's) or all five:
     * every batch read adds its 10000 images. */
    ck_assert_uint_eq(c.train_batches_read & 1, 1);
    ck_assert_uint_eq(c.train.n, 10000u * (unsigned)__builtin_popcount(c.train_batches_read));
    ck_assert_uint_eq(c.test.n, 10000);
    static const char *names[] = {"airplane", "automobile", "bird", "cat", "deer",
                                  "dog", "frog", "horse", "ship", "truck"};
    for (int k = 0; k < 10; k++)
        ck_assert_str_eq(c.class_names[k], names[k]);
    /* Counted, then asserted once: a Check assertion per value is slow. */
    size_t counts[10] = {0}, bad_labels = 0, out_of_range = 0;
    for (size_t i = 0; i < c.train.n; i++) {
        if (c.train.labels[i] >= 0 && c.train.labels[i] <= 9)
            counts[c.train.labels[i]]++;
        else
            bad_labels++;
    }
    for (size_t i = 0; i < c.test.n; i++)
        bad_labels += !(c.test.labels[i] >= 0 && c.test.labels[i] <= 9);
    ck_assert_uint_eq(bad_labels, 0);
    for (int k = 0; k < 10; k++)
        ck_assert_uint_gt(counts[k], 500); /* every class is there */
    double sum = 0;
    for (size_t i = 0; i < c.test.n * CT_CIFAR10_PIXELS; i++) {
        out_of_range += !(c.test.x[i] >= 0.0f && c.test.x[i] <= 1.0f);
        sum += c.test.x[i];
    }
    ck_assert_uint_eq(out_of_range, 0);
    double mean = sum / (double)(c.test.n * CT_CIFAR10_PIXELS);
    ck_assert(mean > 0.3 && mean < 0.7); /* natural images, not zeros */
    ct_cifar10_free(&c);

    /* The workshop's subset: the first 5000 training images. */
    o.train_subset = 5000;
    ck_assert_ok(ct_cifar10_load(&o, &c));
    ck_assert_uint_eq(c.train.n, 5000);
    ct_cifar10_free(&c);
    free(dir);
}
END_TEST

/* =================================================================== suite */

static void add(Suite *s, const char *name, const TTest *test, int needs_dir)
{
    TCase *tc = tcase_create(name);
    if (needs_dir)
        tcase_add_checked_fixture(tc, make_test_dir, remove_test_dir);
    tcase_add_test(tc, test);
    suite_add_tcase(s, tc);
}

static Suite *data_suite(void)
{
    Suite *s = suite_create("data");
    add(s, "csv_basic", test_csv_basic, 1);
    add(s, "csv_quoted", test_csv_quoted, 1);
    add(s, "csv_line_ends", test_csv_line_ends, 1);
    add(s, "csv_bad_cells", test_csv_bad_cells, 1);
    add(s, "csv_structure_errors", test_csv_structure_errors, 1);
    add(s, "csv_parse_memory", test_csv_parse_memory, 0);
    add(s, "select_columns", test_select_columns, 1);
    add(s, "select_errors", test_select_errors, 1);
    add(s, "target_shift", test_target_shift, 1);
    add(s, "workshop_row_counts", test_workshop_row_counts, 1);
    add(s, "missing_values_in_selection", test_missing_values_in_selection, 1);
    add(s, "split_sizes_and_partition", test_split_sizes_and_partition, 0);
    add(s, "split_determinism", test_split_determinism, 0);
    add(s, "split_random_state_matches_sklearn", test_split_random_state_matches_sklearn, 0);
    add(s, "split_errors", test_split_errors, 0);
    add(s, "gather_rows", test_gather_rows, 0);
    add(s, "standardize_train_only", test_standardize_train_only, 0);
    add(s, "cifar_layout", test_cifar_layout, 1);
    add(s, "cifar_bad_files", test_cifar_bad_files, 1);
    add(s, "cifar_dataset", test_cifar_dataset, 1);
    add(s, "sha256_vectors", test_sha256_vectors, 0);
    add(s, "locate_order", test_locate_order, 1);
    add(s, "locate_checksum_mismatch", test_locate_checksum_mismatch, 1);
    add(s, "fetch_download_file_url", test_fetch_download_file_url, 1);
    add(s, "fetch_resume_and_bad_checksum", test_fetch_resume_and_bad_checksum, 1);
    add(s, "fetch_unreachable", test_fetch_unreachable, 1);
    add(s, "fetch_archive", test_fetch_archive, 1);
    add(s, "cache_dir", test_cache_dir, 0);
    add(s, "real_weather", test_real_weather, 1);
    add(s, "real_cifar", test_real_cifar, 1);
    return s;
}

int main(void)
{
    const char *dir = getenv("CLTRAIN_DATA_DIR");
    shared_data_dir = dir ? strdup(dir) : NULL;
    SRunner *sr = srunner_create(data_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    free(shared_data_dir);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
