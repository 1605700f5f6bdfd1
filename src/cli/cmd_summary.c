/* `cltrain summary FILE [--set KEY.PATH=VALUE ...] [--data-dir DIR]`: the
 * model summary before training, as Keras users call model.summary()
 * before fit(). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "run/summary.h"

static void summary_usage(FILE *out)
{
    fprintf(out, "usage: cltrain summary EXPERIMENT.yaml [--set KEY.PATH=VALUE ...] [--data-dir DIR]\n"
                 "\n"
                 "Prints the model of the experiment as Keras' model.summary() does (layers,\n"
                 "output shapes, parameters) and the FLOPs per sample, without a device and\n"
                 "without training. Image data needs no files; CSV data is read to count the\n"
                 "feature columns (found as `cltrain run` finds it).\n"
                 "Exit status: 0 printed, 1 the data could not be read, 2 invalid or usage error.\n");
}

int ct_cmd_summary(int argc, char **argv)
{
    const char *file = NULL, *data_dir = NULL, *v;
    const char **sets = calloc((size_t)(argc > 0 ? argc : 1), sizeof *sets);
    size_t n_sets = 0;
    if (!sets) {
        fprintf(stderr, "cltrain summary: out of memory\n");
        return 1;
    }
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            summary_usage(stdout);
            free(sets);
            return 0;
        } else if ((v = ct_cli_option(argc, argv, &i, "--set"))) {
            sets[n_sets++] = v;
        } else if ((v = ct_cli_option(argc, argv, &i, "--data-dir"))) {
            data_dir = v;
        } else if (argv[i][0] == '-' || file) {
            fprintf(stderr, "cltrain summary: unexpected argument '%s'\n", argv[i]);
            summary_usage(stderr);
            free(sets);
            return 2;
        } else {
            file = argv[i];
        }
    }
    if (!file) {
        summary_usage(stderr);
        free(sets);
        return 2;
    }
    ct_experiment *exp = NULL;
    ct_status s = ct_experiment_open(file, sets, n_sets, &exp);
    free(sets);
    if (s != CT_OK) {
        fprintf(stderr, "cltrain: error: %s\n", ct_last_error());
        return 2;
    }
    s = ct_run_summary(exp, data_dir, stdout);
    ct_experiment_free(exp);
    return s == CT_OK ? 0 : ct_cli_error(s);
}
