/* ct_plot_run: every plot that a run's files allow and the caller selected,
 * into RUN_DIR/plots/. Each plot is independent: one that cannot be drawn
 * (its input missing or broken) does not stop the others, and the first
 * problem is what the caller hears about. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cltrain/plot.h"
#include "plot/figure.h"
#include "plot/plots.h"
#include "plot/run_reader.h"

typedef struct {
    const char *run_dir;
    char *plots_dir;
    char title[256];
    const ct_plot_options *options;
    run_summary summary;
    run_labels labels;
    ct_status first_error;
    char first_message[1024];
} plot_job;

/* Keep the first failure's message: later calls overwrite ct_last_error(). */
static void note(plot_job *job, ct_status s)
{
    if (s != CT_OK && job->first_error == CT_OK) {
        job->first_error = s;
        snprintf(job->first_message, sizeof job->first_message, "%s", ct_last_error());
    }
}

/* "runs/sunshine-20240501-101500/" -> "sunshine-20240501-101500" */
static void run_title(const char *run_dir, char *buf, size_t size)
{
    size_t len = strlen(run_dir);
    while (len > 1 && run_dir[len - 1] == '/')
        len--;
    size_t start = len;
    while (start > 0 && run_dir[start - 1] != '/')
        start--;
    snprintf(buf, size, "%.*s", (int)(len - start), run_dir + start);
}

/* A run file that must exist for a selected plot. */
static ct_status required_file(const plot_job *job, const char *name, const char *why, char **path)
{
    CT_TRY(figure_join(job->run_dir, name, path));
    if (access(*path, R_OK) == 0)
        return CT_OK;
    ct_status s = ct_fail(CT_ERR_IO, "%s: %s: %s", *path, errno == ENOENT ? "no such file" : strerror(errno), why);
    free(*path);
    *path = NULL;
    return s;
}

static ct_status output_path(const plot_job *job, const char *name, char **path)
{
    return figure_join(job->plots_dir, name, path);
}

static ct_status draw_history(plot_job *job)
{
    char *csv = NULL, *png = NULL;
    ct_history *history = NULL;
    ct_status s = required_file(job, "history.csv", "the history plot is drawn from the per-epoch history a run "
                                "writes (was the run stopped before its first epoch ended?)", &csv);
    if (s == CT_OK)
        s = ct_history_read_csv(csv, &history);
    if (s == CT_OK)
        s = output_path(job, "history.png", &png);
    if (s == CT_OK)
        s = plot_history(history, &job->summary, &job->labels, job->title, png, job->options);
    ct_history_free(history);
    free(csv);
    free(png);
    return s;
}

static ct_status draw_samples(plot_job *job, const run_predictions *p)
{
    char *bin = NULL, *png = NULL;
    float *images = NULL;
    size_t n = 0;
    ct_status s = figure_join(job->run_dir, "test_images.bin", &bin);
    if (job->labels.image_height * job->labels.image_width * job->labels.image_channels == 0) {
        job->labels.image_height = job->labels.image_width = 32; /* no readable config: CIFAR-10's */
        job->labels.image_channels = 3;
    }
    if (s == CT_OK)
        s = run_images_read(bin, job->labels.image_height, job->labels.image_width, job->labels.image_channels,
                            &images, &n);
    /* No test_images.bin: a classifier of CSV rows, nothing to show. */
    if (s == CT_OK && n > 0) {
        s = output_path(job, "test_samples.png", &png);
        if (s == CT_OK)
            s = plot_test_samples(images, n, job->labels.image_height, job->labels.image_width,
                                  job->labels.image_channels, p, &job->summary,
                                  job->title, png, job->options);
    }
    free(images);
    free(bin);
    free(png);
    return s;
}

static ct_status draw_predictions(plot_job *job, unsigned plots)
{
    char *csv = NULL, *png = NULL;
    run_predictions p = {0};
    ct_status s = required_file(job, "predictions.csv", "the prediction plots are drawn from the test-split "
                                "predictions a run writes after training", &csv);
    if (s == CT_OK)
        s = run_predictions_read(csv, &p);
    if (s == CT_OK && job->summary.task != TASK_UNKNOWN &&
        (job->summary.task == TASK_CLASSIFICATION) != p.classification)
        s = ct_fail(CT_ERR_PARSE, "%s: summary.yaml says task %s, but the columns are those of a %s",
                    csv, job->summary.task == TASK_CLASSIFICATION ? "classification" : "regression",
                    p.classification ? "classification (p_0, ...)" : "regression (no p_0, ...)");
    if (s == CT_OK && !p.classification && (plots & CT_PLOT_PREDICTIONS)) {
        s = output_path(job, "predictions.png", &png);
        if (s == CT_OK)
            s = plot_regression(&p, &job->labels, job->title, png, job->options);
    }
    if (s == CT_OK && p.classification && (plots & CT_PLOT_CONFUSION_MATRIX)) {
        s = output_path(job, "confusion_matrix.png", &png);
        if (s == CT_OK)
            s = plot_confusion_matrix(&p, &job->summary, &job->labels, job->title, png, job->options);
    }
    if (s == CT_OK && p.classification && (plots & CT_PLOT_PREDICTIONS))
        s = draw_samples(job, &p);
    run_predictions_free(&p);
    free(csv);
    free(png);
    return s;
}

ct_status ct_plot_run(const char *run_dir, unsigned plots, const ct_plot_options *options)
{
    if (!run_dir)
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "ct_plot_run: no run directory given");
    plot_job job = {.run_dir = run_dir, .options = options, .first_error = CT_OK};
    CT_TRY(figure_plots_dir(run_dir, &job.plots_dir));
    run_title(run_dir, job.title, sizeof job.title);

    char *path = NULL;
    ct_status s = figure_join(run_dir, "summary.yaml", &path);
    if (s == CT_OK)
        s = run_summary_read(path, &job.summary);
    note(&job, s); /* a broken summary only costs the marks and class names */
    free(path);
    path = NULL;
    s = figure_join(run_dir, "config.yaml", &path);
    if (s == CT_OK)
        s = run_labels_read(path, &job.labels);
    note(&job, s);
    free(path);

    if (plots & CT_PLOT_HISTORY)
        note(&job, draw_history(&job));
    if (plots & (CT_PLOT_PREDICTIONS | CT_PLOT_CONFUSION_MATRIX))
        note(&job, draw_predictions(&job, plots));

    run_summary_free(&job.summary);
    run_labels_free(&job.labels);
    free(job.plots_dir);
    if (job.first_error != CT_OK)
        return ct_fail(job.first_error, "%s", job.first_message);
    return CT_OK;
}
