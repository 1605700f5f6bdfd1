/* `cltrain run FILE` and `cltrain evaluate RUN_DIR`. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "cli/train_session.h"
#include "onnx/weights_import.h"
#include "run/run.h"

static void run_usage(FILE *out)
{
    fprintf(out, "usage: cltrain run EXPERIMENT.yaml [--set KEY.PATH=VALUE ...] [--device SPEC]\n"
                 "                  [--data-dir DIR] [--out RUN_DIR [--overwrite] | --resume RUN_DIR]\n"
                 "                  [--quiet | --silent] [--verbose]\n"
                 "Trains and evaluates the experiment and writes config.yaml, history.csv,\n"
                 "summary.yaml, weights.bin and predictions.csv into the run directory\n"
                 "(default runs/NAME-TIMESTAMP), and checkpoint.bin after each epoch (at most\n"
                 "every train.checkpoint_every seconds, default 1, when epochs are shorter). A run owns\n"
                 "its directory: an existing RUN_DIR must be empty, or --overwrite replaces the\n"
                 "run files in it.\n"
                 "Ctrl-C (or SIGTERM) stops after the current step with a checkpoint; a second\n"
                 "Ctrl-C quits at once. --resume RUN_DIR continues that run from its checkpoint\n"
                 "(the experiment must be the same; more train.epochs is allowed). Data is found\n"
                 "in --data-dir, $CLTRAIN_DATA_DIR, or downloaded into ~/.cache/cltrain/datasets.\n"
                 "On a terminal a progress bar shows the epoch in progress (redrawn at most 10\n"
                 "times a second); in a pipe or a file only the finished epochs' lines are\n"
                 "printed. --quiet prints nothing but those epoch lines; --silent prints nothing\n"
                 "(errors and, after Ctrl-C, how to resume still go to stderr).\n"
                 "--verbose also prints the OpenCL compiler's output for each program it builds.\n");
}

int ct_cmd_run(int argc, char **argv)
{
    const char *file = NULL;
    ct_cli_train_args a = {0};
    ct_run_options o = {0};
    for (int i = 1; i < argc; i++) {
        int taken = ct_cli_train_option("cltrain run", argc, argv, &i, &a, &o);
        if (taken < 0)
            return 2;
        if (taken)
            continue;
        const char *v;
        if ((v = ct_cli_option(argc, argv, &i, "--out")))
            o.out_dir = v;
        else if ((v = ct_cli_option(argc, argv, &i, "--resume")))
            o.resume_dir = v;
        else if (!strcmp(argv[i], "--overwrite"))
            o.overwrite = true;
        else if (!strcmp(argv[i], "--verbose") || !strcmp(argv[i], "-v"))
            ct_cli_show_build_logs();
        else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            run_usage(stdout);
            return 0;
        } else if (argv[i][0] == '-' || file) {
            fprintf(stderr, "cltrain run: unexpected argument '%s'\n", argv[i]);
            run_usage(stderr);
            return 2;
        } else
            file = argv[i];
    }
    if (!file) {
        run_usage(stderr);
        return 2;
    }
    ct_experiment *exp;
    ct_status s = ct_experiment_open(file, a.sets, a.nsets, &exp);
    if (s != CT_OK) {
        fprintf(stderr, "cltrain: error: %s\n", ct_last_error());
        return 2;
    }
    if (o.resume_dir && o.out_dir) {
        fprintf(stderr, "cltrain run: --resume continues a run in its own directory; leave out --out\n");
        ct_experiment_free(exp);
        return 2;
    }
    int rc = ct_cli_train(exp, &o, a.verbosity);
    ct_experiment_free(exp);
    return rc;
}

/* A regular file (not a run directory) is an experiment to evaluate with its init.from weights. */
static bool is_experiment_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

int ct_cmd_evaluate(int argc, char **argv)
{
    const char *dir = NULL, *data = NULL, *predictions = NULL;
    const char *sets[CT_CLI_MAX_SETS];
    size_t n_sets = 0;
    ct_run_options o = {0};
    o.import_weights = ct_weights_import;
    for (int i = 1; i < argc; i++) {
        const char *v;
        if ((v = ct_cli_option(argc, argv, &i, "--set"))) {
            if (n_sets == CT_CLI_MAX_SETS) {
                fprintf(stderr, "cltrain evaluate: more than %d --set options\n", CT_CLI_MAX_SETS);
                return 2;
            }
            sets[n_sets++] = v;
        } else if ((v = ct_cli_option(argc, argv, &i, "--device")))
            o.device_spec = v;
        else if ((v = ct_cli_option(argc, argv, &i, "--data-dir")))
            o.data_dir = v;
        else if ((v = ct_cli_option(argc, argv, &i, "--data")))
            data = v;
        else if ((v = ct_cli_option(argc, argv, &i, "--predictions")))
            predictions = v;
        else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("usage: cltrain evaluate RUN_DIR [--data FILE] [--device SPEC] [--data-dir DIR]\n"
                   "       cltrain evaluate EXPERIMENT.yaml [--set KEY.PATH=VALUE ...] [--data FILE] ...\n"
                   "Loads the run's model and weights (or the experiment's model with the weights\n"
                   "of its init.from, untrained) and evaluates it on the test split, or with\n"
                   "--data on every row of FILE, a labelled CSV file of the same form as the\n"
                   "training data (the target column and the feature columns; text labels must be\n"
                   "classes the model was trained on). Features are standardised as in training.\n"
                   "  --predictions FILE  also write each sample's prediction to FILE, as a run's\n"
                   "                      predictions.csv (index,true,predicted[,p_<class>...])\n");
            return 0;
        } else if (argv[i][0] == '-' || dir) {
            fprintf(stderr, "cltrain evaluate: unexpected argument '%s'\n", argv[i]);
            return 2;
        } else
            dir = argv[i];
    }
    if (!dir) {
        fprintf(stderr, "usage: cltrain evaluate RUN_DIR [--data FILE] [--device SPEC] [--data-dir DIR]\n");
        return 2;
    }
    ct_run run;
    ct_status s;
    if (is_experiment_file(dir)) {
        ct_experiment *exp;
        if (ct_experiment_open(dir, sets, n_sets, &exp) != CT_OK) {
            fprintf(stderr, "cltrain: error: %s\n", ct_last_error());
            return 2;
        }
        o.report = stderr; /* warnings about the file's standardisation */
        s = ct_run_open_experiment(exp, &o, &run);
    } else if (n_sets) {
        fprintf(stderr, "cltrain evaluate: --set applies to an experiment file; a run directory keeps its "
                        "configuration\n");
        return 2;
    } else
        s = ct_run_open(dir, &o, &run);
    if (s == CT_OK) {
        s = data ? ct_run_evaluate_file(&run, data, predictions, stdout)
                 : ct_run_evaluate(&run, predictions, stdout);
        ct_run_close(&run);
    }
    return s == CT_OK ? 0 : ct_cli_error(s);
}
