/* A sweep's table: one row per point, read from the point's run directory
 * alone (summary.yaml, history.csv) and its error record, so that any
 * process that sees the folder (rank 0, a Slurm gathering job, `cltrain
 * sweep` run again) builds the same table, and ranks without a shared
 * folder can send their rows as text.
 *
 * sweep.csv columns, in this order: point, name, status (done, failed,
 * interrupted, pending, conflict), one column per axis (its key path),
 * parameters, flops_per_sample, epochs_run, best_epoch (by the sweep's
 * metric, from 1 as the run prints epochs), the validation values at that
 * epoch (val_loss, val_root_mean_squared_error, ...), the test values of the
 * final model (test_loss, ...), baseline and baseline_<metric> (the
 * experiment's baseline as summary.yaml gives it: root_mean_squared_error on
 * the test split, val_root_mean_squared_error on the validation split), seconds (the run's startup,
 * training and evaluation), device, error. */
#ifndef CLTRAIN_SWEEP_RESULTS_H
#define CLTRAIN_SWEEP_RESULTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "cltrain/status.h"
#include "sweep/plan.h"

typedef struct {
    char *column;
    char *value;
} sweep_cell;

typedef struct {
    size_t point;
    sweep_cell *cells;
    size_t count;
} sweep_row;

/* The best value of `metric` in dir's history.csv and its epoch (0-based). */
ct_status sweep_point_best(const char *dir, const char *metric, bool maximize, int *epoch, double *value);

/* Point i's row, from its run directory and error record. */
ct_status sweep_row_read(const sweep_plan *p, size_t i, sweep_row *out);
/* The value of a column, NULL when the row has none. */
const char *sweep_row_get(const sweep_row *r, const char *column);
void sweep_rows_free(sweep_row *rows, size_t n);

/* Rows as text ("point<TAB>column<TAB>value" lines) and back, for MPI. */
ct_status sweep_rows_encode(const sweep_row *rows, size_t n, char **text, size_t *length);
ct_status sweep_rows_decode(const char *text, size_t length, sweep_row **rows, size_t *n);

/* A table: the columns (in the order above) and the rows by point. */
typedef struct {
    char **columns;
    size_t column_count;
    sweep_row *rows;
    size_t row_count;
} sweep_table;

/* Takes the rows (sorted by point here). */
ct_status sweep_table_make(const sweep_plan *p, sweep_row *rows, size_t n, sweep_table *out);
/* DIR/sweep.csv, atomically. */
ct_status sweep_table_write_csv(const sweep_table *t, const char *path);
/* A sweep.csv read back (for --summary). */
ct_status sweep_table_read_csv(const char *path, sweep_table *out);
void sweep_table_free(sweep_table *t);

/* DIR/sweep.yaml: what --summary needs to know without the experiment
 * (name, experiment, metric and its direction, axes, point count). */
ct_status sweep_write_record(const sweep_plan *p);
ct_status sweep_read_record(const char *dir, char **metric, bool *maximize);

/* The table sorted by `metric` (best first; rows without it last) as
 * aligned text: rank, the axes, parameters, metric, test values, baseline, seconds, status. */
void sweep_table_print(const sweep_table *t, const char *metric, bool maximize, FILE *out);

#endif
