/* cltrain sweep: axis specifications, the sweep section, point names and
 * states, and real sweeps of the command on the weather CSV (a couple of
 * epochs of sunshine_small per point): the table, skipping finished points,
 * resuming an interrupted one, recording a failing one. (MPI and the Slurm
 * script: tests/sweep/mpi_slurm_test.sh.) */
#include <check.h>
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cltrain/experiment.h"
#include "cltrain/sweep_section.h"
#include "run/run.h"
#include "sweep/axis.h"
#include "sweep/front.h"
#include "sweep/plan.h"
#include "sweep/point_state.h"
#include "sweep/results.h"
#include "test_tmp.h"

static const char *data_dir(void)
{
    const char *data = getenv("CLTRAIN_DATA_DIR");
    ck_assert_msg(data && *data, "set CLTRAIN_DATA_DIR to the folder with weather/");
    return data;
}

static void expect_values(const char *spec, const char *const *want, size_t n)
{
    sweep_axis a;
    ck_assert_msg(sweep_axis_parse("k", spec, SWEEP_GRID, "--grid k", &a) == CT_OK, "%s: %s", spec, ct_last_error());
    ck_assert_msg(a.value_count == n, "%s: %zu values, expected %zu", spec, a.value_count, n);
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(!strcmp(a.values[i], want[i]), "%s: value %zu is %s, expected %s", spec, i, a.values[i], want[i]);
    sweep_axis_free(&a);
}

static void expect_error(const char *spec, sweep_axis_kind kind, const char *fragment)
{
    sweep_axis a;
    ct_status s = sweep_axis_parse("k", spec, kind, "--grid k", &a);
    ck_assert_msg(s == CT_ERR_CONFIG, "%s: accepted", spec);
    ck_assert_msg(strstr(ct_last_error(), fragment), "%s: message '%s' lacks '%s'", spec, ct_last_error(), fragment);
    ck_assert_msg(!strncmp(ct_last_error(), "--grid k: ", 10), "%s: message '%s' does not say where", spec,
                  ct_last_error());
}

START_TEST(test_axis_specs)
{
    expect_values("1,2,5,10", (const char *const[]){"1", "2", "5", "10"}, 4);
    expect_values(" adam , sgd ", (const char *const[]){"adam", "sgd"}, 2);
    expect_values("[rmse, mae],[mae]", (const char *const[]){"[rmse, mae]", "[mae]"}, 2);
    expect_values("7", (const char *const[]){"7"}, 1);
    expect_values("0:0.5:0.1", (const char *const[]){"0", "0.1", "0.2", "0.3", "0.4", "0.5"}, 6);
    expect_values("1:10:3", (const char *const[]){"1", "4", "7", "10"}, 4);
    expect_values("1:9:3", (const char *const[]){"1", "4", "7"}, 3);
    expect_values("log:1e-4:1e-1:4", (const char *const[]){"0.0001", "0.001", "0.01", "0.1"}, 4);
    expect_values("log:1:1000:7", (const char *const[]){"1", "3", "10", "32", "100", "316", "1000"}, 7);
    expect_values("log:1:3:5", (const char *const[]){"1", "2", "3"}, 3); /* rounded, repeats dropped */

    expect_error("1:x:1", SWEEP_GRID, "'x' is not a number");
    expect_error("0:1:0", SWEEP_GRID, "the step must be above 0");
    expect_error("1:0:0.1", SWEEP_GRID, "expected A <= B");
    expect_error("0:1", SWEEP_GRID, "A:B:STEP");
    expect_error("log:0:1:3", SWEEP_GRID, "A > 0");
    expect_error("log:1:10:1", SWEEP_GRID, "from 2 to");
    expect_error("log:1:10:2.5", SWEEP_GRID, "whole number");
    expect_error("1,,2", SWEEP_GRID, "an empty value");
    expect_error("", SWEEP_GRID, "no values");
    expect_error("0:1:0.1", SWEEP_RANDOM, "A:B (uniform");
    expect_error("log:0:1", SWEEP_RANDOM, "A > 0");

    sweep_axis a;
    ck_assert_int_eq(sweep_axis_from_arg("novalue", SWEEP_GRID, "--grid", &a), CT_ERR_CONFIG);
    ck_assert_ptr_nonnull(strstr(ct_last_error(), "expected KEY.PATH=VALUES"));
}
END_TEST

START_TEST(test_random_draws)
{
    sweep_axis lr, units, choice;
    ck_assert_int_eq(sweep_axis_parse("lr", "log:1e-4:1e-2", SWEEP_RANDOM, "w", &lr), CT_OK);
    ck_assert_int_eq(sweep_axis_parse("u", "1:4", SWEEP_RANDOM, "w", &units), CT_OK);
    ck_assert_int_eq(sweep_axis_parse("o", "adam,sgd", SWEEP_RANDOM, "w", &choice), CT_OK);
    ck_assert(lr.draw == DRAW_LOG_UNIFORM && !lr.integer && units.integer && choice.draw == DRAW_CHOICE);
    sweep_rng r1, r2;
    sweep_rng_seed(&r1, 7);
    sweep_rng_seed(&r2, 7);
    int seen[5] = {0}, low = 0;
    for (int i = 0; i < 400; i++) {
        char a[64], b[64];
        sweep_axis_draw(&lr, &r1, a, sizeof a);
        sweep_axis_draw(&lr, &r2, b, sizeof b);
        ck_assert_str_eq(a, b); /* the same seed, the same draws */
        double v = strtod(a, NULL);
        ck_assert_msg(v >= 1e-4 * 0.9999 && v <= 1e-2 * 1.0001, "%s out of range", a);
        low += v < 1e-3; /* log-uniform: half the draws below the geometric middle */
        sweep_axis_draw(&units, &r1, a, sizeof a);
        sweep_axis_draw(&units, &r2, b, sizeof b);
        int u = atoi(a);
        ck_assert(u >= 1 && u <= 4 && strchr(a, '.') == NULL);
        seen[u]++;
        sweep_axis_draw(&choice, &r1, a, sizeof a);
        sweep_axis_draw(&choice, &r2, b, sizeof b);
        ck_assert(!strcmp(a, "adam") || !strcmp(a, "sgd"));
    }
    ck_assert_msg(low > 140 && low < 260, "%d of 400 log-uniform draws below 1e-3", low);
    for (int u = 1; u <= 4; u++)
        ck_assert_msg(seen[u] > 60, "%d drawn %d times of 400", u, seen[u]);
    sweep_axis_free(&lr);
    sweep_axis_free(&units);
    sweep_axis_free(&choice);
}
END_TEST

START_TEST(test_point_names)
{
    char name[256];
    char *a[] = {"model[0].dense.units=5", "model[1].dropout.rate=0.1"};
    sweep_point_name(a, 2, true, name, sizeof name);
    ck_assert_str_eq(name, "units0-5_rate1-0.1");
    sweep_point_name(a, 2, false, name, sizeof name);
    ck_assert_str_eq(name, "model0.dense.units-5_model1.dropout.rate-0.1");
    char *b[] = {"train.optimizer.adam.learning_rate=0.001"};
    sweep_point_name(b, 1, true, name, sizeof name);
    ck_assert_str_eq(name, "learning_rate-0.001");
    /* Characters a folder name should not carry: replaced, and a hash keeps it unique. */
    char *c[] = {"train.metrics=[rmse, mae]"}, *d[] = {"train.metrics=[rmse,_mae]"};
    char other[256];
    sweep_point_name(c, 1, true, name, sizeof name);
    sweep_point_name(d, 1, true, other, sizeof other);
    ck_assert_msg(strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._+-") == strlen(name),
                  "%s", name);
    ck_assert_str_ne(name, other);
    sweep_point_name(NULL, 0, true, name, sizeof name);
    ck_assert_str_eq(name, "base");
}
END_TEST

static const char EXPERIMENT[] = "name: s\n"
                                 "data: {csv: {file: weather_prediction_dataset.csv, target: BASEL_sunshine}}\n"
                                 "model: [{dense: {units: 3, activation: relu}}, {dense: {units: 1}}]\n"
                                 "train: {loss: mse, metrics: [rmse]}\n";

START_TEST(test_sweep_section)
{
    char text[2048];
    snprintf(text, sizeof text,
             "%ssweep:\n  name: how_low\n  grid:\n    model[0].dense.units: [1, 2, 5]\n"
             "    train.batch_size: \"16:64:16\"\n  random:\n    count: 3\n    seed: 4\n"
             "    axes: {train.optimizer.adam.learning_rate: \"log:1e-4:1e-2\"}\n",
             EXPERIMENT);
    ct_experiment *exp;
    ck_assert_msg(ct_experiment_parse_string(text, "s.yaml", &exp) == CT_OK, "%s", ct_last_error());
    ct_sweep_section sec;
    ck_assert_msg(ct_experiment_sweep_section(exp, &sec) == CT_OK, "%s", ct_last_error());
    ck_assert(sec.present);
    ck_assert_str_eq(sec.name, "how_low");
    ck_assert_uint_eq(sec.grid_count, 2);
    ck_assert_str_eq(sec.grid[0].key, "model[0].dense.units");
    ck_assert_uint_eq(sec.grid[0].value_count, 3);
    ck_assert_str_eq(sec.grid[0].values[2], "5");
    ck_assert_str_eq(sec.grid[1].spec, "16:64:16");
    ck_assert_str_eq(sec.grid[1].where, "s.yaml:9:5: sweep.grid.train.batch_size");
    ck_assert_int_eq(sec.samples, 3);
    ck_assert_int_eq(sec.seed, 4);
    ck_assert_uint_eq(sec.random_count, 1);
    ct_sweep_section_free(&sec);
    /* The run leaves the section out of its configuration. */
    char *yaml = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&yaml, &len);
    ck_assert_int_eq(ct_experiment_write_yaml(exp, f), CT_OK);
    fclose(f);
    ck_assert_ptr_null(strstr(yaml, "sweep"));
    free(yaml);
    ct_experiment_free(exp);

    const struct {
        const char *section, *message;
    } bad[] = {
        {"sweep:\n  grdi: {a: [1]}\n", "s.yaml:6:3: sweep: unknown key 'grdi' (did you mean 'grid'?)"},
        {"sweep:\n  grid: [1, 2]\n", "s.yaml:6:9: sweep.grid: expected a mapping of KEY.PATH: values"},
        {"sweep:\n  grid: {a: []}\n", "sweep.grid.a: expected at least one value"},
        {"sweep:\n  grid: {a: [[1, 2]]}\n", "sweep.grid.a[0]: expected a single value"},
        {"sweep:\n  random: {count: 0, axes: {a: \"0:1\"}}\n", "sweep.random.count: expected an integer >= 1"},
        {"sweep:\n  random: {axes: {a: \"0:1\"}}\n", "missing key 'count'"},
        {"sweep:\n  random: {count: 2, axis: {a: \"0:1\"}}\n", "unknown key 'axis' (did you mean 'axes'?)"},
        {"sweep:\n  name: a/b\n", "sweep.name: expected letters, digits"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(text, sizeof text, "%s%s", EXPERIMENT, bad[i].section);
        ck_assert_msg(ct_experiment_parse_string(text, "s.yaml", &exp) == CT_OK, "%s", ct_last_error());
        ck_assert_int_eq(ct_experiment_sweep_section(exp, &sec), CT_ERR_CONFIG);
        ck_assert_msg(strstr(ct_last_error(), bad[i].message), "'%s' lacks '%s'", ct_last_error(), bad[i].message);
        ct_experiment_free(exp);
    }
}
END_TEST

/* A sweep file in dir: sunshine_small with a sweep section. */
static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

START_TEST(test_plan)
{
    char dir[512], file[600], out[600];
    test_tmp_make(dir, sizeof dir, "sweep", "plan");
    snprintf(file, sizeof file, "%s/e.yaml", dir);
    snprintf(out, sizeof out, "%s/sw", dir);
    char text[2048];
    snprintf(text, sizeof text,
             "%ssweep:\n  grid:\n    model[0].dense.units: [1, 2]\n  random: {count: 2, seed: 1, axes: "
             "{train.optimizer.adam.learning_rate: \"log:1e-4:1e-2\"}}\n",
             EXPERIMENT);
    write_file(file, text);
    const char *grid[] = {"train.batch_size=16,32,64"};
    const char *fixed[] = {"train.epochs=2", "train.optimizer=adam"};
    sweep_request r = {.experiment = file, .grid = grid, .grid_count = 1, .fixed = fixed, .fixed_count = 2, .dir = out};
    sweep_plan p;
    ck_assert_msg(sweep_plan_make(&r, &p) == CT_OK, "%s", ct_last_error());
    ck_assert_uint_eq(p.point_count, 2 * 3 * 2);
    ck_assert_uint_eq(p.axis_count, 3);
    ck_assert_str_eq(p.axes[0].key, "model[0].dense.units");
    ck_assert_str_eq(p.axes[1].key, "train.batch_size");
    ck_assert_str_eq(p.metric, "val_root_mean_squared_error");
    ck_assert(!p.maximize);
    /* The first axis varies slowest; draw d of every combination is the same draw. */
    ck_assert_str_eq(p.points[0].sets[0], "model[0].dense.units=1");
    ck_assert_str_eq(p.points[0].sets[1], "train.batch_size=16");
    ck_assert_str_eq(p.points[2].sets[1], "train.batch_size=32");
    ck_assert_str_eq(p.points[6].sets[0], "model[0].dense.units=2");
    ck_assert_str_eq(p.points[0].sets[2], p.points[2].sets[2]);
    ck_assert_str_ne(p.points[0].sets[2], p.points[1].sets[2]);
    ck_assert_ptr_nonnull(strstr(p.points[0].name, "units0-1_batch_size-16_learning_rate-"));
    for (size_t i = 0; i < p.point_count; i++)
        for (size_t j = i + 1; j < p.point_count; j++)
            ck_assert_str_ne(p.points[i].name, p.points[j].name);
    ck_assert_int_eq(sweep_point_state(&p, 0, NULL, 0), POINT_NEW);
    sweep_plan_free(&p);

    /* The same request, the same plan (MPI ranks and Slurm tasks rely on it). */
    sweep_plan q, q2;
    ck_assert_int_eq(sweep_plan_make(&r, &q), CT_OK);
    ck_assert_int_eq(sweep_plan_make(&r, &q2), CT_OK);
    for (size_t i = 0; i < q.point_count; i++)
        ck_assert_str_eq(q.points[i].name, q2.points[i].name);
    sweep_plan_free(&q);
    sweep_plan_free(&q2);

    /* A bad value is found before anything runs, naming the point. */
    const char *bad[] = {"model[0].dense.units=4,0"};
    sweep_request rb = {.experiment = file, .grid = bad, .grid_count = 1, .dir = out};
    ck_assert_int_eq(sweep_plan_make(&rb, &p), CT_ERR_CONFIG);
    ck_assert_msg(strstr(ct_last_error(), "sweep point 2 (units0-0") &&
                      strstr(ct_last_error(), "expected a positive integer"),
                  "%s", ct_last_error());
    sweep_request rm = {.experiment = file, .metric = "val_rmse_typo", .dir = out};
    ck_assert_int_eq(sweep_plan_make(&rm, &p), CT_ERR_CONFIG);
    ck_assert_msg(strstr(ct_last_error(), "no column of the runs' history"), "%s", ct_last_error());
    sweep_request rr = {.experiment = file, .random = 3, .dir = out};
    snprintf(text, sizeof text, "%s", EXPERIMENT);
    write_file(file, text);
    ck_assert_int_eq(sweep_plan_make(&rr, &p), CT_ERR_CONFIG);
    ck_assert_msg(strstr(ct_last_error(), "--random 3 draws values of random axes, and there are none"), "%s",
                  ct_last_error());
}
END_TEST

/* ------------------------------------------------------------ real sweeps */

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
    char cmd[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    int status = system(cmd);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return strdup(buf);
}

static size_t count(const char *text, const char *word)
{
    size_t n = 0;
    for (const char *p = text; (p = strstr(p, word)); p++)
        n++;
    return n;
}

#define SMALL CLTRAIN_SOURCE_DIR "/experiments/sunshine_small.yaml"
#define COMMON "--set train.epochs=2 --set output.plots=false"

START_TEST(test_real_sweep)
{
    char dir[512], path[1024];
    test_tmp_make(dir, sizeof dir, "sweep", "real");
    /* A failing point (no such target column) is recorded; the others go on. */
    int rc = sh("cd '%s' && '%s' sweep '%s' --grid 'model[0].dense.units=1,4' --grid "
                "'data.csv.target.column=BASEL_sunshine,NO_SUCH_COLUMN' " COMMON " --data-dir '%s' --name t -q",
                dir, CLTRAIN_BINARY, SMALL, data_dir());
    ck_assert_int_eq(rc, 1);
    snprintf(path, sizeof path, "%s/sweeps/t/sweep.csv", dir);
    char *csv = slurp(path);
    ck_assert_ptr_nonnull(csv);
    const char *header = "point,name,status,model[0].dense.units,data.csv.target.column,parameters,"
                         "flops_per_sample,epochs_run,best_epoch,val_loss,val_root_mean_squared_error,"
                         "test_loss,test_root_mean_squared_error,baseline,baseline_root_mean_squared_error,"
                         "baseline_val_root_mean_squared_error,seconds,device,error\n";
    ck_assert_msg(!strncmp(csv, header, strlen(header)), "%s", csv);
    ck_assert_uint_eq(count(csv, ",done,"), 2);
    ck_assert_uint_eq(count(csv, ",failed,"), 2);
    /* 163 features: 163*1+1 + (1*5+5) + (5+1) = 180 and 163*4+4 + 25 + 6 = 687 parameters. */
    ck_assert_msg(strstr(csv, "0,units0-1_column-BASEL_sunshine,done,1,BASEL_sunshine,180,"), "%s", csv);
    ck_assert_msg(strstr(csv, "2,units0-4_column-BASEL_sunshine,done,4,BASEL_sunshine,687,"), "%s", csv);
    ck_assert_msg(strstr(csv, "no column named \"\"NO_SUCH_COLUMN\"\""), "%s", csv);
    free(csv);
    snprintf(path, sizeof path, "%s/sweeps/t/errors/units0-1_column-NO_SUCH_COLUMN.txt", dir);
    char *err = slurp(path);
    ck_assert_ptr_nonnull(err);
    ck_assert_ptr_nonnull(strstr(err, "NO_SUCH_COLUMN"));
    free(err);
    snprintf(path, sizeof path, "%s/sweeps/t/plots/val_root_mean_squared_error_vs_parameters.png", dir);
    ck_assert_int_eq(access(path, F_OK), 0);

    /* Again: the finished points are skipped (one attempt in their logs). */
    rc = sh("cd '%s' && '%s' sweep '%s' --grid 'model[0].dense.units=1,4' " COMMON " --data-dir '%s' --name t2 -q",
            dir, CLTRAIN_BINARY, SMALL, data_dir());
    ck_assert_int_eq(rc, 0);
    rc = sh("cd '%s' && '%s' sweep '%s' --grid 'model[0].dense.units=1,4,2' " COMMON
            " --data-dir '%s' --name t2 > again.txt",
            dir, CLTRAIN_BINARY, SMALL, data_dir());
    ck_assert_int_eq(rc, 0);
    snprintf(path, sizeof path, "%s/again.txt", dir);
    char *again = slurp(path);
    ck_assert_msg(strstr(again, "2 of 3 points are done already"), "%s", again);
    ck_assert_uint_eq(count(again, " started on "), 1);
    free(again);
    snprintf(path, sizeof path, "%s/sweeps/t2/logs/units0-1.log", dir);
    char *log = slurp(path);
    ck_assert_uint_eq(count(log, "=== "), 1);
    free(log);
    /* The summary sorts by the validation metric. */
    rc = sh("cd '%s' && '%s' sweep --summary sweeps/t2 > summary.txt", dir, CLTRAIN_BINARY);
    ck_assert_int_eq(rc, 0);
    snprintf(path, sizeof path, "%s/summary.txt", dir);
    char *summary = slurp(path);
    ck_assert_msg(strstr(summary, "3 points, by val_root_mean_squared_error (lower is better)"), "%s", summary);
    double previous = 0;
    size_t ranked = 0;
    for (char *line = strstr(summary, "\n   1 "); line; line = strstr(line + 1, "\n   ")) {
        double units, params, metric;
        ck_assert_int_eq(sscanf(line, " %*d %lf %lf %lf", &units, &params, &metric), 3);
        ck_assert_msg(metric >= previous, "not sorted:\n%s", summary);
        previous = metric;
        ranked++;
    }
    ck_assert_uint_eq(ranked, 3);
    /* The last line: the smallest model that beats the persistence baseline
     * on the validation split, or the best that does not. */
    ck_assert_msg(strstr(summary, "\nsmallest model beating the baseline: ") ||
                      strstr(summary, "\nno model beats the baseline: best val_root_mean_squared_error "),
                  "%s", summary);
    ck_assert_msg(strstr(summary, "(persistence (BASEL_sunshine), validation split)\n"), "%s", summary);
    free(summary);
}
END_TEST

START_TEST(test_resume_interrupted_point)
{
    char dir[512], out[700], file[] = SMALL;
    test_tmp_make(dir, sizeof dir, "sweep", "resume");
    snprintf(out, sizeof out, "%s/sw", dir);
    const char *grid[] = {"model[0].dense.units=3"};
    const char *fixed[] = {"train.epochs=3", "output.plots=false"};
    sweep_request r = {.experiment = file, .grid = grid, .grid_count = 1, .fixed = fixed, .fixed_count = 2, .dir = out};
    sweep_plan p;
    ck_assert_msg(sweep_plan_make(&r, &p) == CT_OK, "%s", ct_last_error());
    /* Interrupt point 0 in epoch 2, as a Ctrl-C would. */
    const char *sets[] = {fixed[0], fixed[1], p.points[0].sets[0]};
    ct_experiment *exp;
    ck_assert_int_eq(ct_experiment_open(file, sets, 3, &exp), CT_OK);
    char *point_dir = sweep_point_dir(&p, 0), *run_dir = NULL;
    bool interrupted = false;
    ct_run_options o = {.data_dir = data_dir(), .out_dir = point_dir, .stop_at_step = 30, .interrupted = &interrupted};
    ck_assert_msg(ct_run_experiment(exp, &o, &run_dir) == CT_OK, "%s", ct_last_error());
    ck_assert(interrupted);
    free(run_dir);
    ct_experiment_free(exp);
    ck_assert_int_eq(sweep_point_state(&p, 0, NULL, 0), POINT_RESUME);

    int rc = sh("'%s' sweep '%s' --grid '%s' --set %s --set %s --dir '%s' --data-dir '%s' -q", CLTRAIN_BINARY, file,
                grid[0], fixed[0], fixed[1], out, data_dir());
    ck_assert_int_eq(rc, 0);
    ck_assert_int_eq(sweep_point_state(&p, 0, NULL, 0), POINT_DONE);
    char path[1024];
    snprintf(path, sizeof path, "%s/logs/%s.log", out, p.points[0].name);
    char *log = slurp(path);
    ck_assert_msg(strstr(log, ": resume on "), "%s", log);
    free(log);
    /* The same as a sweep never interrupted. */
    char fresh[800];
    snprintf(fresh, sizeof fresh, "%s/fresh", dir);
    rc = sh("'%s' sweep '%s' --grid '%s' --set %s --set %s --dir '%s' --data-dir '%s' -q", CLTRAIN_BINARY, file,
            grid[0], fixed[0], fixed[1], fresh, data_dir());
    ck_assert_int_eq(rc, 0);
    sweep_table a, b;
    snprintf(path, sizeof path, "%s/sweep.csv", out);
    ck_assert_int_eq(sweep_table_read_csv(path, &a), CT_OK);
    snprintf(path, sizeof path, "%s/sweep.csv", fresh);
    ck_assert_int_eq(sweep_table_read_csv(path, &b), CT_OK);
    const char *same[] = {"val_root_mean_squared_error", "test_root_mean_squared_error", "best_epoch", "status"};
    for (size_t i = 0; i < 4; i++)
        ck_assert_str_eq(sweep_row_get(&a.rows[0], same[i]), sweep_row_get(&b.rows[0], same[i]));
    ck_assert_str_eq(sweep_row_get(&a.rows[0], "status"), "done");
    sweep_table_free(&a);
    sweep_table_free(&b);

    /* A finished point of another configuration is left alone and reported. */
    const char *other[] = {"train.epochs=3", "output.plots=false", "train.batch_size=16"};
    sweep_request r2 = {.experiment = file, .grid = grid, .grid_count = 1, .fixed = other, .fixed_count = 3, .dir = out};
    sweep_plan p2;
    ck_assert_int_eq(sweep_plan_make(&r2, &p2), CT_OK);
    char why[1024];
    ck_assert_int_eq(sweep_point_state(&p2, 0, why, sizeof why), POINT_CONFLICT);
    ck_assert_msg(strstr(why, "train.batch_size") && strstr(why, "another --name"), "%s", why);
    sweep_plan_free(&p2);
    free(point_dir);
    sweep_plan_free(&p);
}
END_TEST

START_TEST(test_rows_as_text)
{
    sweep_row rows[2] = {{.point = 3}, {.point = 5}};
    sweep_cell c3[] = {{"point", "3"}, {"error", "a\ttab\nand a line"}}, c5[] = {{"point", "5"}, {"x", ""}};
    rows[0].cells = c3, rows[0].count = 2, rows[1].cells = c5, rows[1].count = 2;
    char *text;
    size_t len;
    ck_assert_int_eq(sweep_rows_encode(rows, 2, &text, &len), CT_OK);
    sweep_row *back;
    size_t n;
    ck_assert_int_eq(sweep_rows_decode(text, len, &back, &n), CT_OK);
    ck_assert_uint_eq(n, 2);
    ck_assert_uint_eq(back[1].point, 5);
    ck_assert_str_eq(sweep_row_get(&back[0], "error"), "a tab and a line");
    ck_assert_str_eq(sweep_row_get(&back[1], "x"), "");
    sweep_rows_free(back, n);
    free(text);
}
END_TEST

/* Values from the shipped sunshine_how_low sweep: parameters, validation RMSE. */
static const double FRONT_X[] = {168, 171, 180, 195, 337, 529, 5481, 21501, 16503, 180, 400};
static const double FRONT_Y[] = {4.2619, 4.1837, 3.05, 2.9875, 4.2942, 2.9409, 2.9112, 2.8962, 4.2621, 2.9767, NAN};

START_TEST(test_pareto_front)
{
    sweep_front_point f[11];
    /* Lower is better: a step down wherever a larger model beats every
     * smaller one; of the two points at 180 the better; the failed point
     * (NaN) and the ones no better than a smaller model are left out. */
    size_t n = sweep_pareto_front(FRONT_X, FRONT_Y, 11, false, true, f);
    const double want_x[] = {168, 171, 180, 529, 5481, 21501}, want_y[] = {4.2619, 4.1837, 2.9767, 2.9409, 2.9112, 2.8962};
    const size_t want_index[] = {0, 1, 9, 5, 6, 7};
    ck_assert_uint_eq(n, 6);
    for (size_t i = 0; i < n; i++) {
        ck_assert_double_eq(f[i].x, want_x[i]);
        ck_assert_double_eq(f[i].y, want_y[i]);
        ck_assert_uint_eq(f[i].index, want_index[i]);
    }
    /* The smallest beating the persistence baseline: on validation (4.247)
     * the 171-parameter net, on test (3.8773) the 180-parameter one; none
     * beats 2.8. */
    ck_assert_int_eq(sweep_front_first_beating(f, n, false, 4.247), 1);
    ck_assert_int_eq(sweep_front_first_beating(f, n, false, 3.8773), 2);
    ck_assert_int_eq(sweep_front_first_beating(f, n, false, 2.8962), -1); /* strictly better */

    /* Higher is better (accuracy). */
    const double ax[] = {300, 100, 200, 400, 250}, ay[] = {0.6, 0.5, 0.7, 0.8, 0.7};
    n = sweep_pareto_front(ax, ay, 5, true, true, f);
    ck_assert_uint_eq(n, 3);
    ck_assert_double_eq(f[0].x, 100);
    ck_assert_double_eq(f[1].x, 200);
    ck_assert_double_eq(f[2].x, 400);
    ck_assert_int_eq(sweep_front_first_beating(f, n, true, 0.75), 2);

    /* A grid axis: the best at each value, in value order; log_x drops 0. */
    const double ux[] = {5, 1, 2, 1, 2, 0}, uy[] = {3.03, 4.26, 4.18, 2.98, 2.95, 2.5};
    n = sweep_best_per_x(ux, uy, 6, false, true, f);
    ck_assert_uint_eq(n, 3);
    ck_assert_double_eq(f[0].x, 1);
    ck_assert_double_eq(f[0].y, 2.98);
    ck_assert_double_eq(f[1].x, 2);
    ck_assert_double_eq(f[1].y, 2.95);
    ck_assert_double_eq(f[2].x, 5);
    ck_assert_double_eq(f[2].y, 3.03);
    ck_assert_uint_eq(sweep_best_per_x(ux, uy, 6, false, false, f), 4);
}
END_TEST

/* sweep.csv as text -> the summary's last line. */
static char *smallest_line(const char *csv)
{
    char dir[512], path[700];
    test_tmp_make(dir, sizeof dir, "sweep", "smallest");
    snprintf(path, sizeof path, "%s/sweep.csv", dir);
    write_file(path, csv);
    sweep_table t;
    ck_assert_msg(sweep_table_read_csv(path, &t) == CT_OK, "%s", ct_last_error());
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    sweep_print_smallest_beating(&t, "val_root_mean_squared_error", false, out);
    fclose(out);
    sweep_table_free(&t);
    return text;
}

START_TEST(test_smallest_beating_the_baseline)
{
    const char *head = "point,name,status,model[0].dense.units,model[1].dense.units,parameters,"
                       "val_root_mean_squared_error,baseline,baseline_root_mean_squared_error%s\n";
    const char *rows[] = {"0,a,done,1,1,168,4.2619,persistence (BASEL_sunshine),3.8773%s\n",
                          "1,b,done,1,2,171,4.1837,persistence (BASEL_sunshine),3.8773%s\n",
                          "2,c,done,1,5,180,2.9767,persistence (BASEL_sunshine),3.8773%s\n",
                          "3,d,failed,100,50,,,,%s\n",
                          "4,e,done,100,50,21501,2.8962,persistence (BASEL_sunshine),3.8773%s\n"};
    char csv[2048], with_val[2048], part[256];
    snprintf(csv, sizeof csv, head, "");
    snprintf(with_val, sizeof with_val, head, ",baseline_val_root_mean_squared_error");
    for (size_t i = 0; i < 5; i++) {
        snprintf(part, sizeof part, rows[i], "");
        strcat(csv, part);
        snprintf(part, sizeof part, rows[i], i == 3 ? "," : ",4.247");
        strcat(with_val, part);
    }
    /* On the metric's own split where the runs recorded it... */
    char *line = smallest_line(with_val);
    ck_assert_str_eq(line, "smallest model beating the baseline: 171 parameters (model[0].dense.units=1, "
                           "model[1].dense.units=2), val_root_mean_squared_error 4.1837 vs baseline 4.247 "
                           "(persistence (BASEL_sunshine), validation split)\n");
    free(line);
    /* ...else the test split's, said so. */
    line = smallest_line(csv);
    ck_assert_str_eq(line, "smallest model beating the baseline: 180 parameters (model[0].dense.units=1, "
                           "model[1].dense.units=5), val_root_mean_squared_error 2.9767 vs baseline 3.8773 "
                           "(persistence (BASEL_sunshine), test split)\n");
    free(line);
    /* None beats it: the best, and its size. */
    char *high = strdup(with_val);
    for (char *p; (p = strstr(high, "4.247"));)
        memcpy(p, "2.500", 5);
    line = smallest_line(high);
    ck_assert_str_eq(line, "no model beats the baseline: best val_root_mean_squared_error 2.8962 (21501 parameters) "
                           "vs baseline 2.5 (persistence (BASEL_sunshine), validation split)\n");
    free(line);
    free(high);
    /* No baseline: no line. */
    line = smallest_line("point,name,status,units,parameters,val_root_mean_squared_error\n0,a,done,1,180,2.9\n");
    ck_assert_str_eq(line, "");
    free(line);

    char label[128];
    sweep_axis_label("model[0].dense.units", label, sizeof label);
    ck_assert_str_eq(label, "units of layer 0 (dense)");
    sweep_axis_label("model[12].conv2d.kernel_size", label, sizeof label);
    ck_assert_str_eq(label, "kernel_size of layer 12 (conv2d)");
    sweep_axis_label("train.optimizer.learning_rate", label, sizeof label);
    ck_assert_str_eq(label, "train.optimizer.learning_rate");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sweep");
    TCase *tc = tcase_create("sweep");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_axis_specs);
    tcase_add_test(tc, test_random_draws);
    tcase_add_test(tc, test_point_names);
    tcase_add_test(tc, test_sweep_section);
    tcase_add_test(tc, test_plan);
    tcase_add_test(tc, test_rows_as_text);
    tcase_add_test(tc, test_pareto_front);
    tcase_add_test(tc, test_smallest_beating_the_baseline);
    tcase_add_test(tc, test_real_sweep);
    tcase_add_test(tc, test_resume_interrupted_point);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
