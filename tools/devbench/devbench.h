/* devbench: what each OpenCL device on the machine does, from raw memory
 * bandwidth to whole training steps, as one report with a row per
 * measurement (clpeak's shape: one file per measurement).
 *
 * A report holds devices; a device holds rows. A row is one figure: the
 * median of repeated runs after a warm-up, with its spread, in one unit,
 * with a status (ok / unsupported / error and why). Rows are matched across
 * reports by device name + test + metric (--compare).
 *
 * The measurement files only fill the report; output_*.c write it. */
#ifndef DEVBENCH_H
#define DEVBENCH_H

#include <stddef.h>
#include <stdio.h>

#include "cltrain/device.h"
#include "cltrain/model.h"

#define DB_FORMAT_NAME "cltrain-devbench"
#define DB_FORMAT_VERSION 1

typedef enum { DB_OK, DB_UNSUPPORTED, DB_ERROR } db_status;
typedef enum { DB_HIGHER_IS_BETTER, DB_LOWER_IS_BETTER } db_better;

const char *db_status_name(db_status s); /* "ok", "unsupported", "error" */

typedef struct {
    char test[32];    /* "bandwidth", "gemm", ... */
    char metric[96];  /* "copy float4", "own 1024x1024x1024 NN", ... */
    char unit[16];    /* "GB/s", "us", "GFLOP/s", "ms", "images/s" */
    db_better better;
    db_status status;
    char reason[256]; /* why not ok */
    char tag[24];     /* short, shown in the table: the width that won, the algorithm used */
    char note[128];   /* how it was measured (sizes, repetitions per run, verified) */
    double median, min, max, q1, q3; /* in unit; meaningful when status is ok */
    int runs;                        /* timed runs behind the figure */
    /* Experiment step rows: the work of one training step, estimated from the
     * model (db_step_work); 0 when unknown. Saved in JSON, so a verdict can be
     * drawn from a saved report. */
    double step_flops, step_bytes, step_launches;
} db_row;

/* Per shape class: the GEMM engine cltrain uses and the one that won here. */
#define DB_MAX_GEMM_CLASSES 8
typedef struct {
    char shape_class[16]; /* "small", "large", "tall" */
    char chosen[16];      /* cltrain's cached or measured choice ("" if unknown) */
    char fastest[16];     /* fastest in this run's gemm rows of the class ("" if not measured) */
} db_gemm_class;

typedef struct {
    char index[16]; /* "P:D" as `cltrain devices` prints it */
    char name[256];
    char vendor[128];
    char platform[128];
    char driver[128];
    char version[128];
    char type[16];
    unsigned compute_units;
    unsigned clock_mhz;
    unsigned long long global_mem_bytes;
    char profile[256]; /* the device profile in one line (empty when loaded from an older report) */
    db_status status; /* error: the device could not be used at all (reason says why) */
    char reason[1024]; /* room for the start of a build log */
    db_row *rows;
    size_t row_count, row_cap;
    db_gemm_class gemm_classes[DB_MAX_GEMM_CLASSES];
    size_t gemm_class_count;
    char gemm_choice_source[256]; /* "cache", "measured", "re-measured (--select-engines)", or why not */
} db_device;

typedef struct {
    int format_version;
    char created[32]; /* UTC, ISO 8601 */
    double max_time_s;
    db_device *devices;
    size_t device_count;
} db_report;

/* ------------------------------------------------------------ report.c */
void db_report_init(db_report *r, double max_time_s);
void db_report_free(db_report *r);
/* Appends a zeroed device; NULL when out of memory. */
db_device *db_report_add_device(db_report *r);
void db_device_describe(db_device *d, const ct_device_info *info);
/* Appends a row with test/metric/unit set and status ok; NULL when out of memory. */
db_row *db_device_add_row(db_device *d, const char *test, const char *metric, const char *unit,
                          db_better better);
/* Appends a row with a non-ok status; the reason is printf-style. */
db_row *db_device_add_failed_row(db_device *d, const char *test, const char *metric, const char *unit,
                                 db_status status, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 6, 7)))
#endif
    ;
const db_row *db_device_find_row(const db_device *d, const char *test, const char *metric);
db_row *db_device_row(db_device *d, const char *test, const char *metric); /* NULL if absent */
const db_device *db_report_find_device(const db_report *r, const char *name);
/* The entry for a GEMM shape class, added when missing; NULL when full. */
db_gemm_class *db_device_gemm_class(db_device *d, const char *shape_class);

/* ------------------------------------------------------------ options */
enum {
    DB_TEST_BANDWIDTH = 1 << 0,
    DB_TEST_TRANSFER = 1 << 1,
    DB_TEST_LAUNCH = 1 << 2,
    DB_TEST_COMPUTE = 1 << 3,
    DB_TEST_GEMM = 1 << 4,
    DB_TEST_CONV = 1 << 5,
    DB_TEST_EXPERIMENT = 1 << 6,
    DB_TEST_ALL = (1 << 7) - 1
};
/* "bandwidth" -> DB_TEST_BANDWIDTH; 0 for an unknown name. */
unsigned db_test_bit(const char *name);
const char *db_test_names(void); /* "bandwidth, transfer, ..." for help texts */

typedef void (*db_progress_fn)(void *user, const db_device *dev, const char *test, const char *metric);

typedef struct {
    unsigned tests;          /* DB_TEST_* bits */
    double max_time_s;       /* timing budget per row (after the warm-up) */
    size_t buffer_bytes;     /* bandwidth and transfer buffer size; 0: 64 MiB (capped by the device) */
    const char *data_dir;    /* experiments' data (NULL: $CLTRAIN_DATA_DIR, cache) */
    const char *const *experiments; /* experiment files */
    size_t experiment_count;
    int select_engines;      /* re-measure and re-cache cltrain's GEMM engine choice */
    db_progress_fn progress; /* may be NULL */
    void *progress_user;
} db_options;

/* What one measurement file gets: the device's context and where rows go. */
typedef struct {
    ct_context *ctx;
    const db_options *opt;
    db_device *dev;
} db_bench;

/* ------------------------------------------------------------ measure.c
 * One timed run. It does its work, waits for the device, and reports the
 * seconds that count (a run may leave part of its time out, as the launch
 * measurement leaves out the final wait when it times enqueues alone). */
typedef ct_status (*db_run_fn)(void *user, double *seconds);

typedef enum {
    DB_RATE,    /* value = work / seconds (GB/s, GFLOP/s, samples/s) */
    DB_DURATION /* value = seconds * per_second (us, ms) */
} db_value_kind;

typedef struct {
    const char *test, *metric, *unit;
    db_value_kind kind;
    double work; /* DB_RATE: work per run in units*seconds (1e9 bytes = 1 GB); DB_DURATION: 1e6 for us */
} db_row_spec;

double db_now_s(void);
/* Warm-up run, then timed runs until the budget is spent (at least one).
 * Adds an ok row with the statistics, or an error row with ct_last_error()
 * when a run fails (the status is returned too; *row_out gets the row, may be NULL). */
ct_status db_measure(db_bench *b, const db_row_spec *spec, db_run_fn run, void *user, db_row **row_out);
/* n floats in [-0.5, 0.5) from a small LCG started at seed (the same for the
 * same seed everywhere), malloc'd; NULL when out of memory. */
float *db_random_floats(size_t n, unsigned seed);
/* Median, min, max and quartiles of n values (sorted in place). */
void db_stats(double *values, size_t n, db_row *row);

/* ------------------------------------------------------------ the measurements */
ct_status db_bench_bandwidth(db_bench *b);
ct_status db_bench_transfer(db_bench *b);
ct_status db_bench_launch(db_bench *b);
ct_status db_bench_compute(db_bench *b);
ct_status db_bench_gemm(db_bench *b);
ct_status db_bench_conv(db_bench *b);
ct_status db_bench_experiments(db_bench *b);
/* cltrain's GEMM engine choice per shape class (--select-engines refreshes it). */
ct_status db_bench_engine_choice(db_bench *b);

/* Run the selected measurements on one device; never fails as a whole: a
 * device that cannot be opened or whose kernels do not build gets an error
 * status and no rows. */
void db_run_device(const ct_device_info *info, const db_options *opt, db_device *dev);

/* ------------------------------------------------------------ correctness checks
 * The kernels behind the figures, checked against the host (also used by the
 * measurements themselves, and by tests/test_devbench.c). */
/* Copies n floats with the copy kernel of the given vector width (1, 2, 4, 8,
 * 16) and counts elements whose copy differs from the input. */
ct_status db_check_copy(ct_context *ctx, unsigned width, size_t n, size_t *mismatches);
/* Runs the FMA-chain kernel of the given width for `iterations` on `items`
 * work-items and compares every checked work-item's output with the host's
 * fmaf() chain; *mismatches counts the checked work-items that differ, *first_device
 * and *first_host give work-item 0's values. */
ct_status db_check_fma(ct_context *ctx, unsigned width, size_t items, int iterations, size_t *mismatches,
                       float *first_device, float *first_host);
/* The value work-item `item` of the FMA kernel of the given width writes. */
float db_fma_reference(unsigned width, size_t item, int iterations, float a, float b);

/* ------------------------------------------------------------ output */
void db_write_table(FILE *out, const db_report *r);
ct_status db_write_json(const char *path, const db_report *r);
ct_status db_write_csv(const char *path, const db_report *r);
/* Reads a file written by db_write_json. */
ct_status db_read_json(const char *path, db_report *r);

/* ------------------------------------------------------------ compare.c */
typedef struct {
    const db_device *device; /* in the new report */
    const db_row *now;
    const db_row *old;      /* NULL: no row with this device name + test + metric before */
    double ratio;           /* now / old medians; 0 when either is not ok */
} db_comparison;

/* "better", "worse", "within noise" (the interquartile ranges overlap), "new
 * row", "status changed" or "-". A difference is real only when the two
 * rows' interquartile ranges [q1, q3] do not overlap. */
const char *db_comparison_verdict(const db_comparison *c);

/* One entry per row of `now`, in order. *out is malloc'd. */
ct_status db_compare(const db_report *now, const db_report *old, db_comparison **out, size_t *count);
void db_write_comparison(FILE *out, const db_comparison *c, size_t count, const char *old_name);

/* ------------------------------------------------------------ verdict.c
 * What bounds a training step: a roofline from the device's own peak rows
 * (compute "fma best", bandwidth "copy best", launch "enqueue"). The model
 * times of a step are flops / peak, bytes / bandwidth and launches x launch
 * cost; the largest is the bound, and the measured step time against it says
 * how close to the roof the step runs. */
typedef enum { DB_BOUND_UNKNOWN, DB_BOUND_COMPUTE, DB_BOUND_MEMORY, DB_BOUND_LAUNCH } db_bound;
const char *db_bound_name(db_bound b); /* "compute", "memory bandwidth", "launch latency", "unknown" */

typedef struct {
    double gflops;    /* 0: not measured */
    double gbytes_s;  /* 0: not measured */
    double launch_us; /* 0: not measured */
} db_peaks;

typedef struct {
    double step_ms;                       /* measured */
    double compute_ms, memory_ms, launch_ms; /* model times; < 0 where the peak or the work is unknown */
    db_bound bound;                       /* the largest model time; UNKNOWN when none is known */
    double roof_fraction;                 /* the bound's model time / step time (0 when unknown) */
} db_verdict;

/* The peaks from a device's ok rows. */
db_peaks db_device_peaks(const db_device *d);
/* Roofline of one step of the given work measured at step_ms. */
db_verdict db_roofline(const db_peaks *p, double flops, double bytes, double launches, double step_ms);
/* Work of one training step of `batch` samples, estimated from the plan of a
 * model trained with an optimizer of `state_slots` floats per parameter:
 * flops as ct_model_plan_train_flops; bytes as the minimum traffic (each
 * layer reads its input and writes its output forward, reads the output
 * gradient and its input and writes the input gradient backward, and reads
 * its parameters twice and writes their gradients; the optimizer reads and
 * writes weights and state and reads gradients); launches as 3 per layer with
 * parameters (forward, input and weight gradients), 2 per other layer, plus
 * the batch gather, the loss and the optimizer. */
void db_step_work(const ct_model_plan *plan, size_t batch, size_t state_slots, double *flops, double *bytes,
                  double *launches);
/* "Verdict" section: one line per device and experiment step row. */
void db_write_verdicts(FILE *out, const db_report *r);

/* ------------------------------------------------------------ cli.c */
/* The whole tool; returns the exit status (tests call it with argv). */
int db_main(int argc, char **argv);

#endif
