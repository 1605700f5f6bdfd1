/* `cltrain resume RUN_DIR`: continue an interrupted run from its checkpoint. */
#include <stdio.h>
#include <string.h>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "cli/train_session.h"

#define MAX_SETS 64

static void resume_usage(FILE *out)
{
    fprintf(out, "usage: cltrain resume RUN_DIR [--set KEY.PATH=VALUE ...] [--device SPEC]\n"
                 "                     [--data-dir DIR] [--quiet]\n"
                 "Continues the run in RUN_DIR from its checkpoint.bin with the experiment in its\n"
                 "config.yaml, then evaluates and writes its results as `cltrain run` does. On the\n"
                 "same device the result is bit for bit that of an uninterrupted run. Only\n"
                 "train.epochs (to train longer), description, output.plots and output.dir may be\n"
                 "changed with --set; anything else is refused, naming what changed.\n");
}

int ct_cmd_resume(int argc, char **argv)
{
    const char *dir = NULL, *sets[MAX_SETS];
    size_t nsets = 0;
    int quiet = 0;
    ct_run_options o = {0};
    for (int i = 1; i < argc; i++) {
        const char *v;
        if ((v = ct_cli_option(argc, argv, &i, "--set"))) {
            if (nsets == MAX_SETS) {
                fprintf(stderr, "cltrain resume: at most %d --set options\n", MAX_SETS);
                return 2;
            }
            sets[nsets++] = v;
        } else if ((v = ct_cli_option(argc, argv, &i, "--device")))
            o.device_spec = v;
        else if ((v = ct_cli_option(argc, argv, &i, "--data-dir")))
            o.data_dir = v;
        else if (!strcmp(argv[i], "--quiet") || !strcmp(argv[i], "-q"))
            quiet = 1;
        else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            resume_usage(stdout);
            return 0;
        } else if (argv[i][0] == '-' || dir) {
            fprintf(stderr, "cltrain resume: unexpected argument '%s'\n", argv[i]);
            resume_usage(stderr);
            return 2;
        } else
            dir = argv[i];
    }
    if (!dir) {
        resume_usage(stderr);
        return 2;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/config.yaml", dir);
    ct_experiment *exp;
    if (ct_experiment_open(path, sets, nsets, &exp) != CT_OK) {
        fprintf(stderr, "cltrain: error: %s\n", ct_last_error());
        return 2;
    }
    o.resume_dir = dir;
    int rc = ct_cli_train(exp, &o, quiet);
    ct_experiment_free(exp);
    return rc;
}
