/* `cltrain check FILE [--set KEY.PATH=VALUE ...]`: validate an experiment
 * and print its effective configuration (every default filled in). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cltrain/experiment.h"
#include "run/devices.h"
#include "cltrain/sweep_section.h"
#include "sweep/plan.h"
#include "onnx/weights_import.h"
#include "run/summary.h"

static void check_usage(FILE *out)
{
    fprintf(out,
            "usage: cltrain check FILE [--set KEY.PATH=VALUE ...] [--data-dir DIR]\n"
            "\n"
            "Validates the experiment FILE and prints its effective configuration as YAML,\n"
            "every default filled in. --set overrides a value, as `cltrain run` does:\n"
            "  --set train.epochs=5  --set model[1].dense.units=10\n"
            "  --set callbacks.early_stopping.patience=3  --set 'train.metrics=[rmse, mae]'\n"
            "With init.from, the weights file must exist and fit the model layer by layer;\n"
            "a CSV experiment's data is then read to count its features (--data-dir DIR,\n"
            "else $CLTRAIN_DATA_DIR, as `cltrain run` finds it).\n"
            "train.devices must name devices of this machine.\n"
            "Exit status: 0 valid, 2 invalid or usage error.\n");
}

int ct_cmd_check(int argc, char **argv)
{
    const char *file = NULL, *data_dir = NULL;
    const char **sets = calloc((size_t)(argc > 0 ? argc : 1), sizeof *sets);
    size_t n_sets = 0;
    int status = 2;
    if (!sets) {
        fprintf(stderr, "error: out of memory\n");
        return 2;
    }
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
            check_usage(stdout);
            status = 0;
            goto done;
        } else if (!strcmp(arg, "--set")) {
            if (i + 1 >= argc) {
                fprintf(stderr, "error: --set needs KEY.PATH=VALUE\n");
                goto done;
            }
            sets[n_sets++] = argv[++i];
        } else if (!strncmp(arg, "--set=", 6)) {
            sets[n_sets++] = arg + 6;
        } else if (!strcmp(arg, "--data-dir") && i + 1 < argc) {
            data_dir = argv[++i];
        } else if (!strncmp(arg, "--data-dir=", 11)) {
            data_dir = arg + 11;
        } else if (arg[0] == '-' && arg[1] != '\0') {
            fprintf(stderr, "error: unknown option '%s' (see cltrain check --help)\n", arg);
            goto done;
        } else if (file) {
            fprintf(stderr, "error: one experiment file at a time ('%s' and '%s')\n", file, arg);
            goto done;
        } else {
            file = arg;
        }
    }
    if (!file) {
        fprintf(stderr, "error: no experiment file\n");
        check_usage(stderr);
        goto done;
    }

    ct_experiment *exp = NULL;
    if (ct_experiment_open(file, sets, n_sets, &exp) != CT_OK) {
        fprintf(stderr, "error: %s\n", ct_last_error());
        goto done;
    }
    /* train.devices must name devices of this machine (the rest needs none). */
    if (ct_run_devices_check(exp) != CT_OK) {
        fprintf(stderr, "error: %s\n", ct_last_error());
        ct_experiment_free(exp);
        goto done;
    }
    size_t tensors = 0;
    if (ct_run_check_init(exp, data_dir, ct_weights_import, &tensors) != CT_OK) {
        fprintf(stderr, "error: %s\n", ct_last_error());
        ct_experiment_free(exp);
        goto done;
    }
    if (exp->init.enabled)
        fprintf(stderr, "init.from: %s fits the model (%zu tensors, layer by layer)\n", exp->init.from, tensors);
    /* A sweep section is checked too: its keys, its axes, and every point
     * as a run of its own (the effective configuration leaves it out). */
    ct_sweep_section sweep_sec;
    sweep_plan plan;
    ct_status s = ct_experiment_sweep_section(exp, &sweep_sec);
    bool has_sweep = s == CT_OK && sweep_sec.present;
    if (s == CT_OK)
        ct_sweep_section_free(&sweep_sec);
    if (has_sweep) {
        sweep_request r = {.experiment = file, .fixed = sets, .fixed_count = n_sets};
        s = sweep_plan_make(&r, &plan);
    }
    bool planned = has_sweep && s == CT_OK;
    if (s == CT_OK)
        s = ct_experiment_write_yaml(exp, stdout);
    if (s != CT_OK)
        fprintf(stderr, "error: %s\n", ct_last_error());
    else
        status = 0;
    if (planned) {
        if (status == 0)
            printf("# sweep %s: %zu points over %zu axes, compared by %s (cltrain sweep %s --dry-run lists them)\n",
                   plan.name, plan.point_count, plan.axis_count, plan.metric, file);
        sweep_plan_free(&plan);
    }
    ct_experiment_free(exp);
done:
    free(sets);
    return status;
}
