/* Training from the command line (`cltrain run`, `cltrain resume`): the
 * signal handling around ct_run_experiment and what is printed at the end. */
#ifndef CLTRAIN_CLI_TRAIN_SESSION_H
#define CLTRAIN_CLI_TRAIN_SESSION_H

#include "run/run.h"

/* Runs exp with o (report, live bar and stop flag are filled in here) and
 * returns the exit status: 0 done; 130 or 143 when a first SIGINT or SIGTERM
 * stopped training after the current step and a checkpoint was written (the
 * way to resume is printed); 1 on failure. A second SIGINT or SIGTERM exits
 * at once with the same status; the last checkpoint stays intact, as every
 * file is replaced atomically. */
int ct_cli_train(const ct_experiment *exp, ct_run_options *o, int quiet);

#endif
