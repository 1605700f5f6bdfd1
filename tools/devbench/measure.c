/* Repeated runs under a time budget, and the statistics of a row.
 *
 * Every figure follows the same recipe: one warm-up run (compiles kernels,
 * fills caches, lets CLBlast tune), then timed runs until the row's budget
 * (--max-time, wall time of the timed runs) is spent, at least one run and
 * at most DB_MAX_RUNS. The row keeps the median and the spread (min, max,
 * quartiles) of the per-run values, so one noisy run on a shared machine
 * moves the spread, not the figure. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "devbench.h"

#define DB_MAX_RUNS 10000

float *db_random_floats(size_t n, unsigned seed)
{
    float *v = malloc(n * sizeof *v);
    if (!v)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1664525u + 1013904223u;
        v[i] = (float)(seed >> 8) / 16777216.0f - 0.5f;
    }
    return v;
}

double db_now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Linear interpolation between order statistics (numpy's default). */
static double quantile(const double *sorted, size_t n, double q)
{
    double pos = q * (double)(n - 1);
    size_t lo = (size_t)floor(pos);
    size_t hi = lo + 1 < n ? lo + 1 : lo;
    double frac = pos - (double)lo;
    return sorted[lo] + frac * (sorted[hi] - sorted[lo]);
}

void db_stats(double *values, size_t n, db_row *row)
{
    row->runs = (int)n;
    if (n == 0) {
        row->median = row->min = row->max = row->q1 = row->q3 = 0;
        return;
    }
    qsort(values, n, sizeof values[0], compare_doubles);
    row->min = values[0];
    row->max = values[n - 1];
    row->median = quantile(values, n, 0.5);
    row->q1 = quantile(values, n, 0.25);
    row->q3 = quantile(values, n, 0.75);
}

static double value_of(const db_row_spec *spec, double seconds)
{
    if (spec->kind == DB_DURATION)
        return seconds * spec->work;
    return seconds > 0 ? spec->work / seconds : 0;
}

ct_status db_measure(db_bench *b, const db_row_spec *spec, db_run_fn run, void *user, db_row **row_out)
{
    if (row_out)
        *row_out = NULL;
    db_better better = spec->kind == DB_RATE ? DB_HIGHER_IS_BETTER : DB_LOWER_IS_BETTER;
    if (b->opt->progress)
        b->opt->progress(b->opt->progress_user, b->dev, spec->test, spec->metric);

    size_t cap = 64, n = 0;
    double *values = malloc(cap * sizeof *values);
    if (!values)
        return ct_fail(CT_ERR_NO_MEMORY, "devbench: timing %s", spec->metric);

    double seconds;
    ct_status s = run(user, &seconds); /* warm-up */
    double start = db_now_s();
    while (s == CT_OK && n < DB_MAX_RUNS) {
        s = run(user, &seconds);
        if (s != CT_OK)
            break;
        if (n == cap) {
            double *grown = realloc(values, 2 * cap * sizeof *grown);
            if (!grown) {
                s = ct_fail(CT_ERR_NO_MEMORY, "devbench: timing %s", spec->metric);
                break;
            }
            values = grown;
            cap *= 2;
        }
        values[n++] = value_of(spec, seconds);
        if (db_now_s() - start >= b->opt->max_time_s)
            break;
    }

    db_row *row;
    if (s == CT_OK) {
        row = db_device_add_row(b->dev, spec->test, spec->metric, spec->unit, better);
        if (row)
            db_stats(values, n, row);
    } else {
        row = db_device_add_failed_row(b->dev, spec->test, spec->metric, spec->unit, DB_ERROR, "%s",
                                       *ct_last_error() ? ct_last_error() : ct_status_message(s));
        if (row)
            row->better = better;
    }
    free(values);
    if (!row)
        return ct_fail(CT_ERR_NO_MEMORY, "devbench: adding row %s", spec->metric);
    if (row_out)
        *row_out = row;
    return s;
}
