/* `cltrain sweep`: many runs of one experiment over axes of --set values,
 * on this machine's devices, across MPI ranks, or as a Slurm job array. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "sweep/front.h"
#include "sweep/gather.h"
#include "sweep/mpi_share.h"
#include "sweep/plan.h"
#include "sweep/point_state.h"
#include "sweep/runner.h"
#include "sweep/slurm.h"

#define MAX_LIST 256

static void sweep_usage(FILE *out)
{
    fprintf(out,
            "usage: cltrain sweep EXPERIMENT.yaml [--grid KEY=VALUES ...] [--sample KEY=RANGE ... --random N]\n"
            "                     [--seed S] [--set KEY=VALUE ...] [--name NAME | --dir DIR] [--metric NAME]\n"
            "                     [--devices all|gpu|cpu|P:D,P:D] [--per-gpu N|auto] [--data-dir DIR]\n"
            "                     [--dry-run | --emit slurm | --point I | --gather] [--quiet]\n"
            "       cltrain sweep --summary SWEEP_DIR\n"
            "Runs the experiment once per point of the axes, each point an ordinary run directory\n"
            "in sweeps/NAME/ (NAME: --name, the file's sweep.name, else the experiment's name) named\n"
            "after its overrides. Run again, a sweep skips finished points and resumes interrupted ones.\n"
            "  --grid KEY=VALUES   every value: a list 1,2,5,10, a range A:B:STEP (0:0.5:0.1), or a\n"
            "                      log range log:A:B:N (log:1e-4:1e-1:4); axes combine as a grid\n"
            "  --sample KEY=RANGE  drawn --random N times with --seed S: uniform A:B, log-uniform\n"
            "                      log:A:B, or one of a list; each draw is crossed with the grid\n"
            "  --set KEY=VALUE     for every point (train.epochs=5)\n"
            "  --metric NAME       the history column points are compared by (default: the first\n"
            "                      metric on the validation data, val_root_mean_squared_error)\n"
            "  --devices SPEC      run points in parallel, one per device (a CPU device runs one at a\n"
            "                      time on all cores); --per-gpu N runs N at once on each GPU, auto\n"
            "                      adds one more while that measurably raises the GPU's throughput\n"
            "  --dry-run           list the points and what a run would do with each\n"
            "  --emit slurm        write SWEEP_DIR/sweep.slurm, a job array of one point per task\n"
            "  --point I           run point I only (what a Slurm array task does)\n"
            "  --gather            write the table and plots from the run directories, run nothing\n"
            "  --summary DIR       print a finished sweep's table, best first\n"
            "The file may hold the same in a `sweep:` section (experiments/README.md). Under mpirun\n"
            "(`mpirun -n K cltrain sweep ...`) rank r runs every K-th point and rank 0 writes the table.\n"
            "Results: SWEEP_DIR/sweep.csv (one row per point), SWEEP_DIR/plots/, logs/ and errors/.\n");
}

static volatile sig_atomic_t stop_signal;

static void on_signal(int signo) { stop_signal = signo; }

static ct_status exe_path(char *buf, size_t size)
{
    ssize_t n = readlink("/proc/self/exe", buf, size - 1);
    if (n <= 0)
        return ct_fail(CT_ERR_IO, "cannot find the cltrain executable (/proc/self/exe): %s", strerror(errno));
    buf[n] = '\0';
    return CT_OK;
}

static int summary(const char *dir, const char *metric_flag)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/sweep.csv", dir);
    char *metric = NULL;
    bool maximize = false;
    sweep_table t;
    ct_status s = sweep_read_record(dir, &metric, &maximize);
    if (s == CT_OK)
        s = sweep_table_read_csv(path, &t);
    if (s != CT_OK) {
        free(metric);
        return ct_cli_error(s);
    }
    const char *m = metric_flag ? metric_flag : metric;
    if (t.row_count && !sweep_row_get(&t.rows[0], m)) {
        fprintf(stderr, "cltrain sweep: %s has no column %s\n", path, m);
        free(metric);
        sweep_table_free(&t);
        return 2;
    }
    printf("%s: %zu points, by %s (%s is better)\n", dir, t.row_count, m, maximize ? "higher" : "lower");
    sweep_table_print(&t, m, maximize, stdout);
    sweep_print_smallest_beating(&t, m, maximize, stdout);
    free(metric);
    sweep_table_free(&t);
    return 0;
}

static void dry_run(const sweep_plan *p)
{
    printf("%s: %zu points of %s in %s, compared by %s%s\n", p->name, p->point_count, p->experiment, p->dir,
           p->metric, p->duplicates ? " (draws that repeat a point are left out)" : "");
    for (size_t i = 0; i < p->point_count; i++) {
        char why[1024];
        point_state st = sweep_point_state(p, i, why, sizeof why);
        printf("%5zu  %-8s %s ", i, sweep_point_state_name(st), p->points[i].name);
        for (size_t k = 0; k < p->points[i].set_count; k++)
            printf(" --set %s", p->points[i].sets[k]);
        printf("\n");
        if (st == POINT_CONFLICT)
            printf("       %s\n", why);
    }
}

typedef struct {
    const char *list[MAX_LIST];
    size_t n;
} arg_list;

static int push(arg_list *l, const char *v, const char *option)
{
    if (l->n == MAX_LIST) {
        fprintf(stderr, "cltrain sweep: at most %d %s options\n", MAX_LIST, option);
        return -1;
    }
    l->list[l->n++] = v;
    return 0;
}

int ct_cmd_sweep(int argc, char **argv)
{
    arg_list grid = {0}, sample = {0}, sets = {0}, forward = {0};
    sweep_request r = {0};
    const char *devices = NULL, *per_gpu = NULL, *data_dir = NULL, *emit = NULL, *summary_dir = NULL;
    long point = -1;
    bool gather_only = false, dry = false, quiet = false;
    for (int i = 1; i < argc; i++) {
        const char *v;
        const char *arg = argv[i];
        int start = i; /* the option; i moves past a separate value */
        int bad = 0;
        if ((v = ct_cli_option(argc, argv, &i, "--grid")))
            bad = push(&grid, v, "--grid");
        else if ((v = ct_cli_option(argc, argv, &i, "--sample")))
            bad = push(&sample, v, "--sample");
        else if ((v = ct_cli_option(argc, argv, &i, "--set")))
            bad = push(&sets, v, "--set");
        else if ((v = ct_cli_option(argc, argv, &i, "--random"))) {
            char *end;
            long n = strtol(v, &end, 10);
            if (*end || n < 1 || n > 1000000) {
                fprintf(stderr, "cltrain sweep: --random: expected a number of draws from 1 to 1000000, got '%s'\n", v);
                return 2;
            }
            r.random = (int)n;
        } else if ((v = ct_cli_option(argc, argv, &i, "--seed"))) {
            char *end;
            long long n = strtoll(v, &end, 10);
            if (*end || n < 0) {
                fprintf(stderr, "cltrain sweep: --seed: expected a whole number >= 0, got '%s'\n", v);
                return 2;
            }
            r.seed = n, r.has_seed = true;
        } else if ((v = ct_cli_option(argc, argv, &i, "--name")))
            r.name = v;
        else if ((v = ct_cli_option(argc, argv, &i, "--dir")))
            r.dir = v;
        else if ((v = ct_cli_option(argc, argv, &i, "--metric")))
            r.metric = v;
        else if ((v = ct_cli_option(argc, argv, &i, "--devices")))
            devices = v;
        else if ((v = ct_cli_option(argc, argv, &i, "--per-gpu")))
            per_gpu = v;
        else if ((v = ct_cli_option(argc, argv, &i, "--data-dir")))
            data_dir = v;
        else if ((v = ct_cli_option(argc, argv, &i, "--emit")))
            emit = v;
        else if ((v = ct_cli_option(argc, argv, &i, "--summary")))
            summary_dir = v;
        else if ((v = ct_cli_option(argc, argv, &i, "--point"))) {
            char *end;
            point = strtol(v, &end, 10);
            if (*end || point < 0) {
                fprintf(stderr, "cltrain sweep: --point: expected a point index >= 0, got '%s'\n", v);
                return 2;
            }
            continue; /* not forwarded to a Slurm script */
        } else if (!strcmp(arg, "--gather"))
            gather_only = true;
        else if (!strcmp(arg, "--dry-run"))
            dry = true;
        else if (!strcmp(arg, "--quiet") || !strcmp(arg, "-q"))
            quiet = true;
        else if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
            sweep_usage(stdout);
            return 0;
        } else if (arg[0] == '-' || r.experiment) {
            fprintf(stderr, "cltrain sweep: unexpected argument '%s'\n", arg);
            sweep_usage(stderr);
            return 2;
        } else
            r.experiment = arg;
        if (bad)
            return 2;
        /* What defines the sweep goes to the Slurm tasks as written. */
        bool defines = strcmp(arg, "--gather") != 0 && strcmp(arg, "--dry-run") != 0 &&
                       strncmp(arg, "--emit", 6) != 0 && strcmp(arg, "--quiet") != 0 && strcmp(arg, "-q") != 0;
        for (int j = start; defines && j <= i; j++)
            if (push(&forward, argv[j], "sweep") < 0)
                return 2;
    }
    if (summary_dir)
        return summary(summary_dir, r.metric);
    if (!r.experiment) {
        sweep_usage(stderr);
        return 2;
    }
    if (emit && strcmp(emit, "slurm") != 0) {
        fprintf(stderr, "cltrain sweep: --emit: the one script this writes is 'slurm', got '%s'\n", emit);
        return 2;
    }
    if ((point >= 0) + gather_only + dry + (emit != NULL) > 1) {
        fprintf(stderr, "cltrain sweep: --point, --gather, --dry-run and --emit each do one thing; give one\n");
        return 2;
    }
    int slots = 1;
    if (per_gpu) {
        char *end;
        long n = strtol(per_gpu, &end, 10);
        if (!strcmp(per_gpu, "auto"))
            slots = 0;
        else if (*end || n < 1 || n > 8) {
            fprintf(stderr, "cltrain sweep: --per-gpu: expected 1 to 8 or auto, got '%s'\n", per_gpu);
            return 2;
        } else
            slots = (int)n;
    }
    r.fixed = sets.list, r.fixed_count = sets.n;
    r.grid = grid.list, r.grid_count = grid.n;
    r.sample = sample.list, r.sample_count = sample.n;

    /* Under mpirun: every rank makes the plan, runs its share, rank 0 writes. */
    int rank = 0, size = 1;
    bool mpi = sweep_mpi_launched() && !dry && !emit && point < 0;
    if (mpi) {
        ct_status s = sweep_mpi_start(&rank, &size);
        if (s != CT_OK) {
            ct_cli_error(s);
            return 2;
        }
    }
    FILE *report = quiet || rank != 0 ? NULL : stdout;

    sweep_plan plan;
    ct_status s = sweep_plan_make(&r, &plan);
    if (mpi && !sweep_mpi_all(s == CT_OK)) {
        if (s == CT_OK)
            sweep_plan_free(&plan);
        else if (rank == 0)
            ct_cli_error(s);
        sweep_mpi_finish();
        return 2;
    }
    if (s != CT_OK) {
        ct_cli_error(s);
        return 2;
    }
    int rc = 0;
    char cltrain[4096];
    if (dry)
        dry_run(&plan);
    else if (emit) {
        char *path = NULL;
        s = exe_path(cltrain, sizeof cltrain);
        if (s == CT_OK)
            s = sweep_emit_slurm(&plan, cltrain, forward.list, forward.n, &path);
        if (s == CT_OK)
            printf("wrote %s: a job array of %zu tasks, one point each, and a gathering job\n"
                   "submit it from the login node with: bash %s\n",
                   path, plan.point_count, path);
        else
            rc = ct_cli_error(s);
        free(path);
    } else if (gather_only) {
        sweep_row *rows = NULL;
        s = sweep_collect_rows(&plan, NULL, plan.point_count, &rows);
        if (s == CT_OK)
            s = sweep_gather(&plan, rows, plan.point_count, report);
        rc = s == CT_OK ? 0 : ct_cli_error(s);
    } else if (point >= 0 && (size_t)point >= plan.point_count) {
        fprintf(stderr, "cltrain sweep: --point %ld: the sweep has points 0 to %zu\n", point,
                plan.point_count ? plan.point_count - 1 : 0);
        rc = 2;
    } else {
        /* This process's share of the points. */
        size_t *todo = calloc(plan.point_count ? plan.point_count : 1, sizeof *todo), n = 0;
        if (!todo)
            s = ct_fail(CT_ERR_NO_MEMORY, "out of memory");
        for (size_t i = 0; todo && i < plan.point_count; i++)
            if (point >= 0 ? i == (size_t)point : i % (size_t)size == (size_t)rank)
                todo[n++] = i;
        sweep_device *devs = NULL;
        size_t ndev = 0;
        if (s == CT_OK)
            s = exe_path(cltrain, sizeof cltrain);
        if (s == CT_OK)
            s = sweep_devices_select(devices ? devices : plan.devices, slots, &devs, &ndev);
        if (s == CT_OK && rank == 0)
            s = sweep_write_record(&plan);
        sweep_tally tally = {0};
        if (s == CT_OK) {
            if (report) {
                printf("%s: %zu points of %s in %s, compared by %s", plan.name, plan.point_count, plan.experiment,
                       plan.dir, plan.metric);
                if (mpi)
                    printf(", shared by %d MPI ranks", size);
                printf("\n");
                for (size_t d = 0; d < ndev; d++)
                    printf("device %s: %s (%s)\n", devs[d].spec, devs[d].name,
                           !devs[d].gpu ? "one point at a time" : devs[d].slots ? "points at once: --per-gpu"
                                                                                : "points at once: auto");
            }
            struct sigaction sa, old_int, old_term;
            memset(&sa, 0, sizeof sa);
            sa.sa_handler = on_signal; /* no SA_RESTART: waiting for runs must see the signal */
            sigemptyset(&sa.sa_mask);
            sigaction(SIGINT, &sa, &old_int);
            sigaction(SIGTERM, &sa, &old_term);
            sweep_run_options o = {.cltrain = cltrain,
                                   .data_dir = data_dir,
                                   .progress = mpi && !quiet ? stdout : report,
                                   .stop = &stop_signal};
            s = sweep_run_points(&plan, todo, n, devs, ndev, &o, &tally);
            sigaction(SIGINT, &old_int, NULL);
            sigaction(SIGTERM, &old_term, NULL);
        }
        if (s != CT_OK)
            ct_cli_error(s);
        /* The table: all ranks take part in the gathering, whatever happened. */
        if (mpi) {
            sweep_row *mine = NULL, *all = NULL;
            size_t all_n = 0;
            ct_status g = sweep_collect_rows(&plan, todo, n, &mine);
            ct_status m = sweep_mpi_gather(mine, g == CT_OK ? n : 0, &all, &all_n);
            sweep_rows_free(mine, g == CT_OK ? n : 0);
            if (rank == 0 && g == CT_OK && m == CT_OK)
                g = sweep_gather(&plan, all, all_n, report);
            else
                sweep_rows_free(all, all_n);
            if (g != CT_OK || m != CT_OK)
                ct_cli_error(g != CT_OK ? g : m);
            bool ok = sweep_mpi_all(s == CT_OK && g == CT_OK && m == CT_OK && tally.failed == 0);
            rc = ok ? 0 : 1;
        } else if (point < 0) {
            sweep_row *rows = NULL;
            ct_status g = sweep_collect_rows(&plan, NULL, plan.point_count, &rows);
            if (g == CT_OK)
                g = sweep_gather(&plan, rows, plan.point_count, report);
            if (g != CT_OK)
                ct_cli_error(g);
            rc = s != CT_OK || g != CT_OK || tally.failed ? 1 : 0;
        } else
            rc = s != CT_OK || tally.failed ? 1 : 0;
        if (report && tally.failed)
            printf("%zu point%s failed: the error%s in %s/errors/ and sweep.csv; run the sweep again to "
                   "retry\n",
                   tally.failed, tally.failed == 1 ? "" : "s", tally.failed == 1 ? " is" : "s are", plan.dir);
        if (stop_signal) {
            if (report)
                printf("stopped: %zu points not started; run the same command again to resume\n", tally.left);
            rc = 128 + (int)stop_signal;
        }
        free(todo);
        free(devs);
    }
    sweep_plan_free(&plan);
    if (mpi)
        sweep_mpi_finish();
    return rc;
}
