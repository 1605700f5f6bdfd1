/* Reading what a run directory holds, for drawing: summary.yaml (only the
 * few keys plots use), predictions.csv, test_images.bin and the labels
 * config.yaml gives. Missing optional parts read as "unknown", so that
 * `cltrain plot` works on any run directory that has the files a plot needs. */
#ifndef CLTRAIN_PLOT_RUN_READER_H
#define CLTRAIN_PLOT_RUN_READER_H

#include <stdbool.h>
#include <stddef.h>

#include "cltrain/status.h"

typedef enum { TASK_UNKNOWN, TASK_REGRESSION, TASK_CLASSIFICATION } run_task;

/* summary.yaml, top-level keys only. */
typedef struct {
    run_task task;         /* `task: regression|classification` */
    int best_epoch;        /* `best_epoch` (0-based), -1 when absent or null */
    int stopped_epoch;     /* `stopped_epoch` (0-based), -1 when absent or null */
    char *stop_reason;     /* `stop_reason`, NULL when absent */
    char **class_names;    /* `class_names: [...]`, NULL when absent */
    size_t n_class_names;
} run_summary;

/* A missing file is not an error (*out stays "unknown"); malformed YAML is
 * (CT_ERR_PARSE with line and column). */
ct_status run_summary_read(const char *path, run_summary *out);
void run_summary_free(run_summary *s);

/* predictions.csv of the test split. */
typedef struct {
    size_t n;
    bool classification;  /* has p_0..p_{C-1} columns */
    double *truth;        /* n: value, or class id */
    double *predicted;    /* n: value, or class id */
    double *baseline;     /* n, or NULL without a `baseline` column */
    size_t n_classes;     /* classification: the p_ columns */
} run_predictions;

/* CT_ERR_IO when the file is missing, CT_ERR_PARSE/CT_ERR_DATA when it is
 * not the runner's format (missing columns, text, class ids out of range). */
ct_status run_predictions_read(const char *path, run_predictions *out);
void run_predictions_free(run_predictions *p);

/* test_images.bin: raw float32 images of height x width x channels, their
 * count told by the size. *n may be 0 for a missing file (not an error: a
 * CSV run has none); a size that is not a whole number of images is
 * CT_ERR_PARSE. */
ct_status run_images_read(const char *path, size_t height, size_t width, size_t channels, float **pixels,
                          size_t *n);

/* Names from config.yaml that make labels specific; NULL when unknown. */
typedef struct {
    char *loss;     /* "mse", "sparse_categorical_crossentropy" */
    char *target;   /* the CSV target column: "BASEL_sunshine" */
    char *baseline; /* the persistence baseline's column */
    bool images;    /* the samples are images (CIFAR-10, an image folder), not CSV rows */
    size_t image_height, image_width, image_channels; /* their shape (32x32x3 without a config) */
} run_labels;

/* Never fails for a missing or unreadable config.yaml: labels are a nicety,
 * and a run directory without it still deserves its plots. */
ct_status run_labels_read(const char *path, run_labels *out);
void run_labels_free(run_labels *l);

/* A malloc'd copy of s (NULL for NULL); NULL also when out of memory, which
 * callers check with s != NULL. */
char *run_strdup(const char *s);

#endif
