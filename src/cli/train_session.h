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
typedef enum {
    CT_CLI_NORMAL, /* the whole report on stdout; the live bar when stdout and stderr are a terminal */
    CT_CLI_QUIET,  /* --quiet: the epoch lines only */
    CT_CLI_SILENT, /* --silent: nothing on stdout (errors and the resume hint still on stderr) */
} ct_cli_verbosity;

int ct_cli_train(const ct_experiment *exp, ct_run_options *o, ct_cli_verbosity verbosity);

#define CT_CLI_MAX_SETS 64

/* What the options `run` and `resume` share set besides o. */
typedef struct {
    const char *sets[CT_CLI_MAX_SETS]; /* --set KEY.PATH=VALUE, in order */
    size_t nsets;
    ct_cli_verbosity verbosity; /* --quiet / -q, --silent */
} ct_cli_train_args;

/* Takes argv[*i] if it is one of the options `run` and `resume` share
 * (--set, --device, --data-dir, --quiet, --silent): returns 1 (and advances *i past a
 * separate value), 0 when it is none of them, -1 after printing an error
 * naming `command` ("cltrain run"); the exit status is then 2. */
int ct_cli_train_option(const char *command, int argc, char **argv, int *i, ct_cli_train_args *a,
                        ct_run_options *o);

#endif
