/* `cltrain sweep --emit slurm`: a job-array script for a Slurm cluster. Its
 * array task i runs `cltrain sweep ... --point i` against the sweep folder
 * (which every node must see: a shared file system), and a job that
 * depends on the whole array gathers the table (`cltrain sweep ...
 * --gather`). Submitted by running the script itself on the login node
 * (`bash sweeps/NAME/sweep.slurm`), which calls sbatch twice. */
#ifndef CLTRAIN_SWEEP_SLURM_H
#define CLTRAIN_SWEEP_SLURM_H

#include <stddef.h>

#include "sweep/plan.h"

/* Write DIR/sweep.slurm (atomically, executable). cltrain: the executable's
 * absolute path; args[0..n): the arguments that define the sweep (the
 * experiment file, --grid, --sample, --random, --seed, --set, --name,
 * --metric, --dir, --data-dir, --devices), passed on to every task as they
 * are, run from the current folder. *path_out (malloc'd) names the script. */
ct_status sweep_emit_slurm(const sweep_plan *p, const char *cltrain, const char *const *args, size_t n,
                           char **path_out);

#endif
