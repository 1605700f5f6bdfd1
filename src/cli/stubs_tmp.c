/* TEMPORARY placeholders while the foundation lands; removed when the real commands exist. */
#include "cli/commands.h"
#include <stdio.h>
__attribute__((weak)) int ct_cmd_check(int argc, char **argv) { (void)argc; (void)argv; return 1; }
