/* `cltrain plot RUN_DIR [--only NAMES] [--no-svg]`: redraw a run's plots from
 * the files it left (history.csv, predictions.csv, ...), without training. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "cltrain/plot.h"

static void plot_usage(FILE *out)
{
    fprintf(out,
            "usage: cltrain plot RUN_DIR [--only NAME[,NAME...]] [--no-svg]\n"
            "\n"
            "Redraws the plots of a finished (or interrupted) run into RUN_DIR/plots/ from the\n"
            "files the run wrote; nothing is trained or evaluated again.\n"
            "  history           history.csv: loss and metrics per epoch, best and stopping epoch\n"
            "  predictions       predictions.csv: predicted vs true (regression), or the first\n"
            "                    test images with their predicted classes (image classification)\n"
            "  confusion_matrix  predictions.csv: true vs predicted classes (classification)\n"
            "  --only NAMES      draw only these (comma-separated); default: all that apply\n"
            "  --no-svg          PNG only (default: PNG and SVG)\n"
            "Exit status: 0 all drawn, 1 a plot could not be drawn, 2 usage error.\n");
}

/* "history,confusion_matrix" -> CT_PLOT_* bits; 0 for an unknown name. */
static unsigned parse_only(const char *list)
{
    static const struct {
        const char *name;
        unsigned bit;
    } names[] = {{"history", CT_PLOT_HISTORY},
                 {"predictions", CT_PLOT_PREDICTIONS},
                 {"confusion_matrix", CT_PLOT_CONFUSION_MATRIX}};
    unsigned bits = 0;
    if (!*list)
        fprintf(stderr, "cltrain plot: --only needs plot names (history, predictions, confusion_matrix)\n");
    while (*list) {
        size_t len = strcspn(list, ",");
        unsigned bit = 0;
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
            if (strlen(names[i].name) == len && !strncmp(names[i].name, list, len))
                bit = names[i].bit;
        if (!bit) {
            fprintf(stderr, "cltrain plot: unknown plot '%.*s' (history, predictions, confusion_matrix)\n",
                    (int)len, list);
            return 0;
        }
        bits |= bit;
        list += len + (list[len] == ',');
    }
    return bits;
}

int ct_cmd_plot(int argc, char **argv)
{
    const char *run_dir = NULL;
    unsigned plots = CT_PLOT_ALL;
    ct_plot_options options = {.written = ct_cli_print_written};
    for (int i = 1; i < argc; i++) {
        const char *value;
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            plot_usage(stdout);
            return 0;
        } else if (!strcmp(argv[i], "--no-svg")) {
            options.no_svg = true;
        } else if ((value = ct_cli_option(argc, argv, &i, "--only"))) {
            if (!(plots = parse_only(value)))
                return 2;
        } else if (ct_cli_run_dir_arg("plot", argv[i], &run_dir) != 0) {
            return 2;
        }
    }
    if (!run_dir) {
        fprintf(stderr, "cltrain plot: no run directory given\n");
        plot_usage(stderr);
        return 2;
    }
    /* An interrupted run (a checkpoint, no test predictions yet) has only its history to draw. */
    char predictions[4096], checkpoint[4096];
    snprintf(predictions, sizeof predictions, "%s/predictions.csv", run_dir);
    snprintf(checkpoint, sizeof checkpoint, "%s/checkpoint.bin", run_dir);
    if ((plots & CT_PLOT_HISTORY) && access(predictions, F_OK) != 0 && access(checkpoint, F_OK) == 0) {
        printf("the run did not finish: drawing its history up to the last checkpoint (the other plots need the "
               "test predictions written when training ends)\n");
        plots = CT_PLOT_HISTORY;
    }
    ct_status s = ct_plot_run(run_dir, plots, &options);
    return s == CT_OK ? 0 : ct_cli_error(s);
}
