/* The end of a sweep: its table (sweep.csv), its plots and the table
 * printed, from rows read out of the run directories here or sent by the
 * other MPI ranks. */
#ifndef CLTRAIN_SWEEP_GATHER_H
#define CLTRAIN_SWEEP_GATHER_H

#include <stdio.h>

#include "sweep/plan.h"
#include "sweep/results.h"

/* The rows of points idx[0..n) (every point when idx is NULL: n is then the
 * plan's point count), read from their run directories. */
ct_status sweep_collect_rows(const sweep_plan *p, const size_t *idx, size_t n, sweep_row **rows);

/* Takes the rows: DIR/sweep.csv, DIR/plots/ (the metric against each
 * numeric axis, and against the parameter count on a log axis with the
 * Pareto front and the baseline: see front.h), and the table sorted by the
 * metric, then the smallest model beating the baseline, to out (NULL: not
 * printed).
 * A plot that cannot be drawn is reported on out and does not fail the sweep. */
ct_status sweep_gather(const sweep_plan *p, sweep_row *rows, size_t n, FILE *out);

#endif
