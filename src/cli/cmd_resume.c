/* `cltrain resume RUN_DIR`: continue an interrupted run from its checkpoint. */
#include <stdio.h>
#include <string.h>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "cli/train_session.h"

static void resume_usage(FILE *out)
{
    fprintf(out, "usage: cltrain resume RUN_DIR [--set KEY.PATH=VALUE ...] [--device SPEC]\n"
                 "                     [--data-dir DIR] [--quiet | --silent]\n"
                 "Continues the run in RUN_DIR from its checkpoint.bin with the experiment in its\n"
                 "config.yaml, then evaluates and writes its results as `cltrain run` does. On the\n"
                 "same device the result is bit for bit that of an uninterrupted run. Only\n"
                 "train.epochs (to train longer), train.checkpoint_every, description,\n"
                 "output.plots and output.dir may be changed with --set; anything else is\n"
                 "refused, naming what changed.\n"
                 "--quiet prints the epoch lines only, --silent nothing (as for `cltrain run`).\n");
}

int ct_cmd_resume(int argc, char **argv)
{
    const char *dir = NULL;
    ct_cli_train_args a = {0};
    ct_run_options o = {0};
    for (int i = 1; i < argc; i++) {
        int taken = ct_cli_train_option("cltrain resume", argc, argv, &i, &a, &o);
        if (taken < 0)
            return 2;
        if (taken)
            continue;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
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
    if (ct_experiment_open(path, a.sets, a.nsets, &exp) != CT_OK) {
        fprintf(stderr, "cltrain: error: %s\n", ct_last_error());
        return 2;
    }
    o.resume_dir = dir;
    int rc = ct_cli_train(exp, &o, a.verbosity);
    ct_experiment_free(exp);
    return rc;
}
