/* A sweep's plan: its axes (from the file's sweep section and the command
 * line), and every point, each an ordinary run of the experiment with one
 * --set per axis. Nothing runs here; every point is checked as `cltrain
 * check` would check it, so a bad value fails before anything trains.
 *
 * Points and their order: the grid's combinations, its first axis slowest,
 * each with the `random` draws (draw d of every combination has the same
 * random values), index = combination * draws + d. The same request always
 * gives the same points in the same order, on every machine: MPI ranks and
 * Slurm tasks find their share by index.
 *
 * A point's run directory is DIR/NAME, NAME derived from its overrides
 * ("units0-5_rate1-0.1"), so a sweep run again finds the points it has done
 * whatever their index, and a point added to an axis does not disturb the
 * others. */
#ifndef CLTRAIN_SWEEP_PLAN_H
#define CLTRAIN_SWEEP_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cltrain/status.h"
#include "sweep/axis.h"

/* What the command line asks for (every field may be empty). */
typedef struct {
    const char *experiment;    /* EXPERIMENT.yaml */
    const char *const *fixed;  /* --set KEY=VALUE for every point */
    size_t fixed_count;
    const char *const *grid;   /* --grid KEY=SPEC */
    size_t grid_count;
    const char *const *sample; /* --sample KEY=SPEC */
    size_t sample_count;
    int random;                /* --random N; 0: the file's random.count */
    bool has_seed;             /* --seed S */
    int64_t seed;
    const char *name;          /* --name; NULL: sweep.name, else the experiment's name */
    const char *metric;        /* --metric; NULL: sweep.metric, else the first validation metric */
    const char *dir;           /* --dir; NULL: sweeps/NAME */
} sweep_request;

typedef struct {
    char **sets; /* "KEY=VALUE", one per axis, in axis order */
    size_t set_count;
    char *name;   /* the run directory's name within the sweep folder */
    char *config; /* the effective configuration, as the run's config.yaml will hold it */
} sweep_point;

typedef struct {
    char *experiment;   /* the file, as given */
    char *name;         /* the sweep's name */
    char *dir;          /* its folder: sweeps/NAME or --dir */
    char *metric;       /* the history column points are compared by: val_root_mean_squared_error */
    bool maximize;      /* a larger metric is better (accuracy) */
    char *devices;      /* the file's sweep.devices; NULL */
    char **fixed;       /* the request's --set, copied */
    size_t fixed_count;
    sweep_axis *axes;   /* grid axes, then random ones */
    size_t axis_count;
    size_t draws;       /* random draws per grid combination (1 without random axes) */
    sweep_point *points;
    size_t point_count;
    size_t duplicates;  /* points dropped because an earlier one had the same overrides */
} sweep_plan;

ct_status sweep_plan_make(const sweep_request *r, sweep_plan *out);
void sweep_plan_free(sweep_plan *p);

/* The run directory of point i: DIR/NAME (malloc'd; NULL when out of memory). */
char *sweep_point_dir(const sweep_plan *p, size_t i);

/* The directory name for a point's overrides (see the top of this file);
 * `short_keys` uses the last key of each path with its list indices
 * ("model[0].dense.units" -> "units0"). Exposed for the tests. */
void sweep_point_name(char *const *sets, size_t n, bool short_keys, char *buf, size_t size);

#endif
