/* Signals around a training run (see train_session.h). */
#include "cli/train_session.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli_util.h"
#include "core/collective.h"
#include "onnx/weights_import.h"

static volatile sig_atomic_t stop_signal;

static void on_signal(int signo)
{
    if (stop_signal) { /* the second one: leave now */
        static const char msg[] = "\ncltrain: stopped at once; the last checkpoint is intact\n";
        ssize_t ignored = write(STDERR_FILENO, msg, sizeof msg - 1);
        (void)ignored;
        _exit(128 + signo);
    }
    stop_signal = signo;
    static const char msg[] = "\ncltrain: stopping after this step to write a checkpoint "
                              "(press Ctrl-C again to quit at once)\n";
    ssize_t ignored = write(STDERR_FILENO, msg, sizeof msg - 1);
    (void)ignored;
}

static void handle_signals(struct sigaction *old_int, struct sigaction *old_term)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGINT, &sa, old_int);
    sigaction(SIGTERM, &sa, old_term);
}

/* Whether the run got as far as its first file (config.yaml). */
static bool wrote_something(const char *run_dir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/config.yaml", run_dir);
    return access(path, F_OK) == 0;
}

/* Under an MPI launcher: one run over the ranks (train.devices), rank 0
 * printing and writing; a failure on any rank ends them all. */
static int train_on_ranks(const ct_experiment *exp, ct_run_options *o, ct_cli_verbosity verbosity);
static int ct_cli_train_local(const ct_experiment *exp, ct_run_options *o, ct_cli_verbosity verbosity);

int ct_cli_train(const ct_experiment *exp, ct_run_options *o, ct_cli_verbosity verbosity)
{
    if (ct_collective_launcher_size() > 1 && ct_collective_built())
        return train_on_ranks(exp, o, verbosity);
    return ct_cli_train_local(exp, o, verbosity);
}

static int ct_cli_train_local(const ct_experiment *exp, ct_run_options *o, ct_cli_verbosity verbosity)
{
    o->report = verbosity == CT_CLI_NORMAL ? stdout : NULL;
    o->epoch_report = verbosity == CT_CLI_SILENT ? NULL : stdout;
    /* The bar is redrawn in place among the epoch lines, so only when both
     * streams are the terminal: in a pipe or a file (`| tee log`, `> log`)
     * the epoch lines come alone, without carriage returns or escapes. */
    o->live = verbosity == CT_CLI_NORMAL && isatty(STDOUT_FILENO) && isatty(STDERR_FILENO) ? stderr : NULL;
    o->stop = &stop_signal;
    o->import_weights = ct_weights_import;
    bool interrupted = false;
    o->interrupted = &interrupted;
    struct sigaction old_int, old_term;
    stop_signal = 0;
    handle_signals(&old_int, &old_term);
    char *run_dir = NULL;
    ct_status s = ct_run_experiment(exp, o, &run_dir);
    /* After a first signal our handler stays, so that a second one, however
     * late it comes, still means "quit at once" (exit 128 + signo) instead
     * of the default action killing the process mid-message. */
    if (!stop_signal) {
        sigaction(SIGINT, &old_int, NULL);
        sigaction(SIGTERM, &old_term, NULL);
    }
    int rc = 0;
    if (s != CT_OK) {
        rc = ct_cli_error(s);
        if (run_dir && wrote_something(run_dir))
            fprintf(stderr, "cltrain: what the run wrote before stopping is in %s\n", run_dir);
    } else if (interrupted) {
        int signo = stop_signal ? (int)stop_signal : SIGINT;
        fflush(stdout);
        fprintf(stderr, "cltrain: interrupted; training state saved in %s/checkpoint.bin\n"
                        "cltrain: continue with: cltrain resume %s\n",
                run_dir, run_dir);
        rc = 128 + signo;
    }
    free(run_dir);
    return rc;
}

int ct_cli_train_option(const char *command, int argc, char **argv, int *i, ct_cli_train_args *a,
                        ct_run_options *o)
{
    const char *v;
    if ((v = ct_cli_option(argc, argv, i, "--set"))) {
        if (a->nsets == CT_CLI_MAX_SETS) {
            fprintf(stderr, "%s: at most %d --set options\n", command, CT_CLI_MAX_SETS);
            return -1;
        }
        a->sets[a->nsets++] = v;
    } else if ((v = ct_cli_option(argc, argv, i, "--device")))
        o->device_spec = v;
    else if ((v = ct_cli_option(argc, argv, i, "--data-dir")))
        o->data_dir = v;
    else if (!strcmp(argv[*i], "--quiet") || !strcmp(argv[*i], "-q"))
        a->verbosity = CT_CLI_QUIET;
    else if (!strcmp(argv[*i], "--silent"))
        a->verbosity = CT_CLI_SILENT;
    else
        return 0;
    return 1;
}

static int train_on_ranks(const ct_experiment *exp, ct_run_options *o, ct_cli_verbosity verbosity)
{
    ct_status s = ct_collective_init(NULL, NULL);
    if (s != CT_OK)
        return ct_cli_error(s);
    int rank = ct_collective_rank(), rc;
    if (rank == 0) {
        /* The flag stays: ct_cli_train would come back here. */
        rc = ct_cli_train_local(exp, o, verbosity);
    } else {
        o->report = o->epoch_report = o->live = NULL;
        o->stop = &stop_signal;
        stop_signal = 0;
        struct sigaction old_int, old_term;
        handle_signals(&old_int, &old_term);
        char *run_dir = NULL;
        s = ct_run_experiment(exp, o, &run_dir);
        free(run_dir);
        rc = s == CT_OK ? 0 : ct_cli_error(s);
    }
    if (rc != 0 && rc < 128) {
        fprintf(stderr, "cltrain: rank %d failed; ending every rank\n", rank);
        ct_collective_abort(rc);
    }
    ct_collective_finalize();
    return rc;
}
