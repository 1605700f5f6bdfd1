/* What a sweep's plots and summary say about its points beyond the table:
 * the line through the points of a plot, and the smallest model that beats
 * the baseline ("how low can you go").
 *
 * Two lines, for two kinds of x:
 * - a grid axis takes few values, each shared by many points: the best
 *   metric at each value says how the metric moves with that axis;
 * - nearly every point has a parameter count of its own, so the best per
 *   count would visit every point. There the line is the Pareto front: for
 *   each count, the best metric among the points with at most that many
 *   parameters, a step that falls (or rises, for a metric to maximize) only
 *   where a larger model does better than every smaller one. */
#ifndef CLTRAIN_SWEEP_FRONT_H
#define CLTRAIN_SWEEP_FRONT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "sweep/results.h"

typedef struct {
    double x, y;
    size_t index; /* of the point in the arrays given */
} sweep_front_point;

/* The best y at each distinct x, in x order. Points whose x or y is not a
 * finite number are left out (and, with log_x, those with x <= 0). Writes
 * at most n points to out; returns how many. */
size_t sweep_best_per_x(const double *x, const double *y, size_t n, bool maximize, bool log_x, sweep_front_point *out);

/* The Pareto front, in x order: the points better than every point with a
 * smaller or equal x (at equal x, the best one). The best y among points
 * with at most x is that of the last front point at or before x. Same
 * arguments and result as sweep_best_per_x. */
size_t sweep_pareto_front(const double *x, const double *y, size_t n, bool maximize, bool log_x,
                          sweep_front_point *out);

/* The first point of a front whose y beats baseline (strictly): the
 * smallest model that does. Returns its place in front, or -1 for none. */
long sweep_front_first_beating(const sweep_front_point *front, size_t n, bool maximize, double baseline);

/* The baseline the metric is compared with, from a table's columns: on the
 * metric's own split (baseline_val_root_mean_squared_error for
 * val_root_mean_squared_error) where the runs recorded it, else the test
 * split's (baseline_root_mean_squared_error; *same_split false). Returns
 * false when the table has none. *value: the first row's finite value;
 * *name: the "baseline" cell ("persistence (BASEL_sunshine)"), or NULL. */
bool sweep_table_baseline(const sweep_table *t, const char *metric, double *value, const char **name, bool *same_split);

/* The line that ends a sweep's printed table:
 *   smallest model beating the baseline: 180 parameters (model[0].dense.units=1,
 *   model[1].dense.units=2), val_root_mean_squared_error 2.9812 vs baseline 3.6297
 * or "no model beats the baseline: ..." with the best value; nothing when
 * the table has no baseline. */
void sweep_print_smallest_beating(const sweep_table *t, const char *metric, bool maximize, FILE *out);

#endif
