#include "cli/cli_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cltrain/report.h"
#include "core/program.h"

int ct_cli_error(ct_status s)
{
    const char *detail = ct_last_error();
    fprintf(stderr, "cltrain: error: %s\n", *detail ? detail : ct_status_message(s));
    return 1;
}

const char *ct_cli_option(int argc, char **argv, int *i, const char *name)
{
    size_t len = strlen(name);
    const char *arg = argv[*i];
    if (strncmp(arg, name, len) != 0)
        return NULL;
    if (arg[len] == '=')
        return arg + len + 1;
    if (arg[len] != '\0')
        return NULL;
    if (*i + 1 >= argc) {
        fprintf(stderr, "cltrain: option %s needs a value\n", name);
        exit(2);
    }
    return argv[++*i];
}

void ct_cli_print_written(const char *path, void *user)
{
    (void)user;
    printf("wrote %s\n", path);
}

int ct_cli_run_dir_arg(const char *command, const char *arg, const char **run_dir)
{
    if (arg[0] == '-' && arg[1]) {
        fprintf(stderr, "cltrain %s: unknown option '%s' (see cltrain %s --help)\n", command, arg, command);
        return 2;
    }
    if (*run_dir) {
        fprintf(stderr, "cltrain %s: one run directory at a time ('%s' and '%s')\n", command, *run_dir, arg);
        return 2;
    }
    *run_dir = arg;
    return 0;
}

ct_status ct_cli_open_device(const char *spec, ct_context **ctx)
{
    ct_device_info info;
    CT_TRY(ct_device_find(ct_device_spec_from_env(spec), &info));
    return ct_context_create(&info, ctx);
}

static void print_build_log(const char *program, const ct_device_info *info, const char *log, void *user)
{
    (void)user;
    size_t len = strlen(log);
    fprintf(stderr, "cltrain: compiler output for program %s on %s:\n%s%s", program, info->name, log,
            len && log[len - 1] == '\n' ? "" : "\n");
}

void ct_cli_show_build_logs(void) { ct_program_set_log_sink(print_build_log, NULL); }

int ct_cli_predictions_close(ct_atomic_file *file, const char *out_path, int failures, int n_inputs,
                             size_t written)
{
    if (!file)
        return failures ? 1 : 0;
    if (failures) {
        ct_atomic_abort(file);
        fprintf(stderr, "cltrain predict: %s not written: %d of %d inputs failed\n", out_path, failures, n_inputs);
        return 1;
    }
    ct_status s = ct_atomic_commit(file);
    if (s != CT_OK)
        return ct_cli_error(s);
    printf("wrote %s: %zu predictions\n", out_path, written);
    return 0;
}
