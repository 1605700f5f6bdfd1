/* One axis of a sweep: a --set key path and the values it takes.
 *
 * Grid axes (`--grid KEY=SPEC`, sweep.grid) list their values:
 *   1,2,5,10          the values as written (YAML scalars; a value with a
 *                     comma is written in brackets: [rmse, mae])
 *   0:0.5:0.1         A to B in steps of STEP, B included (0, 0.1, ... 0.5);
 *                     whole numbers when A, B and STEP are
 *   log:1e-4:1e-1:4   N values spaced evenly on a log scale from A to B
 *                     (both > 0); rounded to whole numbers, repeats dropped,
 *                     when A and B are written as whole numbers (log:1:1000:7)
 * Random axes (`--sample KEY=SPEC`, sweep.random.axes) are drawn from:
 *   0:0.5             uniform in [A, B]; a whole number when A and B are
 *   log:1e-4:1e-2     log-uniform in [A, B] (both > 0); whole when A and B are
 *   adam,sgd,rmsprop  one of the values, each equally likely
 * Drawn numbers keep 4 significant digits, so that they name run
 * directories readably and read back as the value that was run. */
#ifndef CLTRAIN_SWEEP_AXIS_H
#define CLTRAIN_SWEEP_AXIS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cltrain/status.h"

typedef enum { SWEEP_GRID, SWEEP_RANDOM } sweep_axis_kind;
typedef enum { DRAW_CHOICE, DRAW_UNIFORM, DRAW_LOG_UNIFORM } sweep_draw;

typedef struct {
    char *key; /* "model[0].dense.units" */
    sweep_axis_kind kind;
    char **values; /* grid values, or the choices of a random axis */
    size_t value_count;
    sweep_draw draw; /* random axes */
    double lo, hi;   /* DRAW_UNIFORM, DRAW_LOG_UNIFORM */
    bool integer;    /* draws are whole numbers */
} sweep_axis;

/* Parse SPEC for key. `where` starts every error message ("--grid
 * units=1:x", "file.yaml:12:5: sweep.grid.units"); errors are CT_ERR_CONFIG
 * saying what was expected. */
ct_status sweep_axis_parse(const char *key, const char *spec, sweep_axis_kind kind, const char *where,
                           sweep_axis *out);
/* An axis from a list of values as written (sweep.grid's YAML lists). */
ct_status sweep_axis_from_list(const char *key, const char *const *values, size_t n, sweep_axis_kind kind,
                               const char *where, sweep_axis *out);
/* "KEY=SPEC" from the command line; `option` names it in errors ("--grid"). */
ct_status sweep_axis_from_arg(const char *arg, sweep_axis_kind kind, const char *option, sweep_axis *out);
void sweep_axis_free(sweep_axis *a);

/* The key as a plot labels it: "model[0].dense.units" -> "units of layer 0
 * (dense)"; other keys as written. */
void sweep_axis_label(const char *key, char *buf, size_t size);

/* A reproducible stream of random numbers (splitmix64): the same seed gives
 * the same draws on every machine. */
typedef struct {
    uint64_t state;
} sweep_rng;
void sweep_rng_seed(sweep_rng *r, uint64_t seed);
double sweep_rng_uniform(sweep_rng *r); /* in [0, 1) */

/* Draw one value of a random axis as text into buf. */
void sweep_axis_draw(const sweep_axis *a, sweep_rng *r, char *buf, size_t size);

#endif
