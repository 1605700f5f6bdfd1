/* The `sweep:` section of an experiment file: what `cltrain sweep` varies.
 *
 *     sweep:
 *       name: sunshine_how_low          # default: the experiment's name
 *       metric: val_root_mean_squared_error
 *       grid:                           # every combination of these values
 *         model[0].dense.units: [1, 2, 5, 10, 20, 50, 100]
 *         model[1].dropout.rate: "0:0.5:0.1"
 *       random:                         # `count` draws of these, for each grid point
 *         count: 8
 *         seed: 1
 *         axes:
 *           train.optimizer.adam.learning_rate: "log:1e-4:1e-2"
 *
 * Keys of `grid` and `random.axes` are --set key paths; a value is a YAML
 * list (each item one value) or a text in the grammar of `cltrain sweep
 * --grid/--sample` (src/sweep/axis.h reads it). A run ignores the section:
 * it is left out of the specification, of config.yaml and of the effective
 * configuration `cltrain check` prints. */
#ifndef CLTRAIN_SWEEP_SECTION_H
#define CLTRAIN_SWEEP_SECTION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cltrain/experiment.h"
#include "cltrain/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One axis as written. Exactly one of values / spec is set. */
typedef struct {
    char *key;          /* "model[0].dense.units" */
    char **values;      /* a YAML list: each scalar item as written */
    size_t value_count;
    char *spec;         /* a scalar: "0:0.5:0.1", "log:1e-4:1e-2", "1,2,5" */
    char where[256];    /* "file.yaml:12:5: sweep.grid.model[0].dense.units", for messages */
} ct_sweep_axis_text;

typedef struct {
    bool present;          /* the file has a sweep section */
    char *name;            /* `name`, NULL: the experiment's */
    char *metric;          /* `metric`, NULL: the sweep's default */
    char *devices;         /* `devices`, NULL: the default device */
    ct_sweep_axis_text *grid; /* `grid` */
    size_t grid_count;
    ct_sweep_axis_text *random; /* `random.axes` */
    size_t random_count;
    int samples;           /* `random.count` >= 1 when random axes are given */
    int64_t seed;          /* `random.seed`, default 0 */
} ct_sweep_section;

/* Read exp's sweep section (from the file's YAML tree, so positions point
 * into the file). Without one, *out is zeroed with present false. Errors
 * (CT_ERR_CONFIG) name file, line:column and key, with a did-you-mean for
 * unknown keys. Release with ct_sweep_section_free(). */
ct_status ct_experiment_sweep_section(const ct_experiment *exp, ct_sweep_section *out);
void ct_sweep_section_free(ct_sweep_section *s);

#ifdef __cplusplus
}
#endif
#endif
