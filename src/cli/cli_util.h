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

/* Find the device for --device/CLTRAIN_DEVICE and create its context. */
ct_status ct_cli_open_device(const char *spec, ct_context **ctx);

#endif
