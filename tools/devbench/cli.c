/* devbench's command line: options, the device loop, and where the report
 * goes (table on stdout, --json, --csv, --compare). Progress lines go to
 * stderr so stdout stays the table. */
#include <stdlib.h>
#include <string.h>

#include "devbench.h"

#define DEFAULT_MAX_TIME_S 0.5
#define MAX_LIST 64

typedef struct {
    const char *devices[MAX_LIST];
    size_t device_count;
    const char *experiments[MAX_LIST];
    size_t experiment_count;
    const char *json, *csv, *compare, *from;
    int quiet;
    db_options opt;
} cli;

static void usage(FILE *out)
{
    fprintf(out,
            "usage: devbench [options]\n"
            "Measures every OpenCL device (or those chosen with --device) and prints a table\n"
            "with one column per device.\n\n"
            "  --device SPEC        a device: P:D, cpu, gpu, accelerator or part of its name\n"
            "                       (repeat for several; default: every device)\n"
            "  --only LIST          comma-separated measurements: %s\n"
            "                       (default: all; experiment only with --experiment)\n"
            "  --max-time SECONDS   time budget of the timed runs of each row (default %.1f)\n"
            "  --size-mb N          buffer size of the bandwidth and transfer rows (default 64)\n"
            "  --experiment FILE    also time training steps of this experiment (repeatable)\n"
            "  --data-dir DIR       where the experiments' data are (default $CLTRAIN_DATA_DIR)\n"
            "  --select-engines     re-measure and re-cache cltrain's GEMM engine choice\n"
            "  --json FILE          write the report as JSON\n"
            "  --csv FILE           write the report as CSV\n"
            "  --compare OLD.json   print the ratio new / old for every row\n"
            "  --from RESULT.json   do not measure: print (and compare) a saved report\n"
            "  --quiet              no progress lines on stderr\n",
            db_test_names(), DEFAULT_MAX_TIME_S);
}

/* "--name VALUE" or "--name=VALUE" at argv[*i]; NULL when argv[*i] is
 * another option; *missing set when the value is missing. */
static const char *option(int argc, char **argv, int *i, const char *name, int *missing)
{
    size_t len = strlen(name);
    if (strncmp(argv[*i], name, len) != 0)
        return NULL;
    if (argv[*i][len] == '=')
        return argv[*i] + len + 1;
    if (argv[*i][len] != '\0')
        return NULL;
    if (*i + 1 >= argc) {
        *missing = 1;
        return NULL;
    }
    return argv[++*i];
}

static int parse_only(const char *list, unsigned *tests)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", list);
    *tests = 0;
    for (char *save = NULL, *name = strtok_r(buf, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
        unsigned bit = db_test_bit(name);
        if (!bit) {
            fprintf(stderr, "devbench: --only: unknown measurement '%s' (known: %s)\n", name, db_test_names());
            return 0;
        }
        *tests |= bit;
    }
    return 1;
}

/* 0: parsed; 1: --help printed; 2: usage error (printed). */
static int parse_args(int argc, char **argv, cli *c)
{
    int only_given = 0;
    for (int i = 1; i < argc; i++) {
        int missing = 0;
        const char *v;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 1;
        } else if (!strcmp(argv[i], "--quiet")) {
            c->quiet = 1;
        } else if (!strcmp(argv[i], "--select-engines")) {
            c->opt.select_engines = 1;
        } else if ((v = option(argc, argv, &i, "--device", &missing))) {
            if (c->device_count < MAX_LIST)
                c->devices[c->device_count++] = v;
        } else if ((v = option(argc, argv, &i, "--experiment", &missing))) {
            if (c->experiment_count < MAX_LIST)
                c->experiments[c->experiment_count++] = v;
        } else if ((v = option(argc, argv, &i, "--only", &missing))) {
            if (!parse_only(v, &c->opt.tests))
                return 2;
            only_given = 1;
        } else if ((v = option(argc, argv, &i, "--max-time", &missing))) {
            char *end;
            c->opt.max_time_s = strtod(v, &end);
            if (*end || !(c->opt.max_time_s > 0)) {
                fprintf(stderr, "devbench: --max-time: a positive number of seconds expected, got '%s'\n", v);
                return 2;
            }
        } else if ((v = option(argc, argv, &i, "--size-mb", &missing))) {
            char *end;
            double mb = strtod(v, &end);
            if (*end || !(mb > 0)) {
                fprintf(stderr, "devbench: --size-mb: a positive number expected, got '%s'\n", v);
                return 2;
            }
            c->opt.buffer_bytes = (size_t)(mb * 1048576.0);
        } else if ((v = option(argc, argv, &i, "--data-dir", &missing))) {
            c->opt.data_dir = v;
        } else if ((v = option(argc, argv, &i, "--json", &missing))) {
            c->json = v;
        } else if ((v = option(argc, argv, &i, "--csv", &missing))) {
            c->csv = v;
        } else if ((v = option(argc, argv, &i, "--compare", &missing))) {
            c->compare = v;
        } else if ((v = option(argc, argv, &i, "--from", &missing))) {
            c->from = v;
        } else {
            fprintf(stderr, missing ? "devbench: option %s needs a value\n" : "devbench: unknown option '%s'\n",
                    argv[i]);
            if (!missing)
                usage(stderr);
            return 2;
        }
        if (missing) {
            fprintf(stderr, "devbench: option %s needs a value\n", argv[i]);
            return 2;
        }
    }
    if (!only_given)
        c->opt.tests = DB_TEST_ALL & ~(unsigned)DB_TEST_EXPERIMENT;
    if (c->experiment_count)
        c->opt.tests |= DB_TEST_EXPERIMENT; /* asking for an experiment is asking to time it */
    else if (only_given && (c->opt.tests & DB_TEST_EXPERIMENT)) {
        fprintf(stderr, "devbench: --only experiment needs --experiment FILE\n");
        return 2;
    }
    c->opt.experiments = c->experiments;
    c->opt.experiment_count = c->experiment_count;
    return 0;
}

static void progress(void *user, const db_device *dev, const char *test, const char *metric)
{
    (void)user;
    fprintf(stderr, "devbench: %s %s: %s\n", dev->index, test, metric);
    fflush(stderr);
}

/* The devices to measure: every one, or those --device names (each once). */
static ct_status choose_devices(const cli *c, ct_device_info **list, size_t *count, size_t *chosen, size_t *n)
{
    CT_TRY(ct_device_list(list, count));
    *n = 0;
    if (c->device_count == 0) {
        for (size_t i = 0; i < *count && *n < MAX_LIST; i++)
            chosen[(*n)++] = i;
        return CT_OK;
    }
    for (size_t d = 0; d < c->device_count; d++) {
        size_t index;
        ct_status s = ct_device_select(*list, *count, c->devices[d], &index);
        if (s != CT_OK) {
            free(*list);
            return ct_fail_context(s, "--device %s", c->devices[d]);
        }
        int seen = 0;
        for (size_t k = 0; k < *n; k++)
            seen |= chosen[k] == index;
        if (!seen)
            chosen[(*n)++] = index;
    }
    return CT_OK;
}

static ct_status measure(const cli *c, db_report *r)
{
    ct_device_info *list;
    size_t count, n, chosen[MAX_LIST];
    CT_TRY(choose_devices(c, &list, &count, chosen, &n));
    db_report_init(r, c->opt.max_time_s);
    for (size_t k = 0; k < n; k++) {
        db_device *dev = db_report_add_device(r);
        if (!dev) {
            free(list);
            return ct_fail(CT_ERR_NO_MEMORY, "devbench");
        }
        db_run_device(&list[chosen[k]], &c->opt, dev);
        if (dev->status != DB_OK && !c->quiet)
            fprintf(stderr, "devbench: %s %s skipped: %s\n", dev->index, dev->name, dev->reason);
    }
    free(list);
    return CT_OK;
}

static int report_error(ct_status s)
{
    fprintf(stderr, "devbench: error: %s\n", *ct_last_error() ? ct_last_error() : ct_status_message(s));
    return 1;
}

static int compare_with(const db_report *r, const char *path)
{
    db_report old;
    ct_status s = db_read_json(path, &old);
    if (s != CT_OK)
        return report_error(s);
    db_comparison *c;
    size_t n;
    s = db_compare(r, &old, &c, &n);
    if (s == CT_OK) {
        db_write_comparison(stdout, c, n, path);
        free(c);
    }
    db_report_free(&old);
    return s == CT_OK ? 0 : report_error(s);
}

int db_main(int argc, char **argv)
{
    cli c;
    memset(&c, 0, sizeof c);
    c.opt.max_time_s = DEFAULT_MAX_TIME_S;
    int parsed = parse_args(argc, argv, &c);
    if (parsed)
        return parsed == 1 ? 0 : 2;
    if (!c.quiet)
        c.opt.progress = progress;

    db_report r;
    ct_status s = c.from ? db_read_json(c.from, &r) : measure(&c, &r);
    if (s != CT_OK)
        return report_error(s);
    db_write_table(stdout, &r);
    db_write_verdicts(stdout, &r);
    int status = 0;
    if (c.json && (s = db_write_json(c.json, &r)) != CT_OK)
        status = report_error(s);
    if (c.csv && (s = db_write_csv(c.csv, &r)) != CT_OK)
        status = report_error(s);
    if (c.compare && compare_with(&r, c.compare) != 0)
        status = 1;
    fflush(stdout);
    db_report_free(&r);
    return status;
}
