/* Small helpers shared by the subcommands. */
#ifndef CLTRAIN_CLI_UTIL_H
#define CLTRAIN_CLI_UTIL_H

#include "cltrain/device.h"

/* Prints "cltrain: error: <detail>" (or the status message when there is no
 * detail) to stderr; returns 1, the exit status of a failed command. */
int ct_cli_error(ct_status s);

/* Value of "--name VALUE" or "--name=VALUE" at argv[*i]; advances *i past a
 * separate value. NULL when argv[*i] is not that option. Exits 2 with a
 * message when the value is missing. */
const char *ct_cli_option(int argc, char **argv, int *i, const char *name);

/* An argument of `cltrain COMMAND RUN_DIR [options]` that no option took:
 * the run directory (*run_dir, one at most), or an unknown option. Returns 0,
 * or 2 (a usage error) after saying why on stderr. */
int ct_cli_run_dir_arg(const char *command, const char *arg, const char **run_dir);

/* ct_plot_options.written for the commands that draw: "wrote PATH" on stdout. */
void ct_cli_print_written(const char *path, void *user);

/* --verbose: print the compiler's output of every program built from
 * source to stderr (it never reaches the terminal otherwise; it is kept
 * beside the kernel cache entry as a .log file either way). */
void ct_cli_show_build_logs(void);

/* Find the device for --device/CLTRAIN_DEVICE and create its context. */
ct_status ct_cli_open_device(const char *spec, ct_context **ctx);

struct ct_atomic_file;
/* The end of both predict paths: the --out CSV (NULL: stdout) committed, or
 * abandoned when any input failed; the exit status. */
int ct_cli_predictions_close(struct ct_atomic_file *file, const char *out_path, int failures, int n_inputs,
                             size_t written);

#endif
