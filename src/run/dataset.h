/* An experiment's data, ready to upload: host arrays per split, from the
 * experiment spec through the readers in src/data. */
#ifndef CLTRAIN_RUN_DATASET_H
#define CLTRAIN_RUN_DATASET_H

#include <stddef.h>
#include <stdint.h>

#include "cltrain/data.h"
#include "cltrain/experiment.h"
#include "cltrain/train.h"

typedef struct {
    size_t n;
    float *x;        /* n x sample size; NULL when the samples are x_u8 */
    uint8_t *x_u8;   /* image folders: n x sample size pixels, 0..255, kept as bytes on the
                        device too; the model sees them times x_scale */
    float x_scale;
    float *y;        /* n x target width: a value, or a class index as float */
    float *baseline; /* n: persistence prediction ("tomorrow = today"), or NULL */
    int x_shared;    /* x belongs to another split (CIFAR's test images as validation) */
} ct_split_data;

typedef struct {
    int in_ndim;
    size_t in_shape[3];  /* per sample: {features} or {32, 32, 3} */
    size_t target_width; /* floats per label */
    ct_split_data train, validation, test;
    char **class_names; /* n_classes names, or NULL for regression */
    size_t n_classes;
    char *baseline_name; /* "persistence (BASEL_sunshine)" or NULL */
    char **feature_names; /* CSV: in_shape[0] column names in input order; NULL for images */
    size_t n_skipped;     /* image folders with on_error: skip: files left out */
    int from_cache;       /* image folders: the pixels came from the decode cache */
    ct_standardizer standardizer; /* n_cols 0 unless standardize */
} ct_dataset;

/* Locate (or download), read, select, split and scale the data the experiment
 * describes. data_dir may be NULL ($CLTRAIN_DATA_DIR, then the cache). */
ct_status ct_dataset_load(const ct_experiment *exp, const char *data_dir, ct_dataset *out);
void ct_dataset_free(ct_dataset *d);

/* A labelled file of the same form as the experiment's data (CSV with the
 * target column) to score a trained model on: every row of the file becomes a
 * sample of *out, prepared as `trained` (the run's own dataset) prepared its
 * samples: the same features, the same standardisation, text labels looked
 * up in its classes (an unknown label is an error naming the line). Free
 * *out with ct_split_data_free(). */
ct_status ct_dataset_load_file(const ct_experiment *exp, const ct_dataset *trained, const char *path,
                               ct_split_data *out);

size_t ct_dataset_sample_size(const ct_dataset *d);

/* The split as the trainer takes it (bytes or floats). */
ct_host_split ct_split_data_host(const ct_split_data *s);
/* Sample i as floats the model sees (x, or x_u8 times x_scale) into out. */
void ct_split_data_sample(const ct_split_data *s, size_t sample_size, size_t i, float *out);
void ct_split_data_free(ct_split_data *s);

/* features.csv in a run directory: `feature,mean,scale` per input column in
 * input order (mean 0, scale 1 without standardisation), so `cltrain predict`
 * can check and prepare new rows exactly as training did. CSV data only. */
ct_status ct_dataset_write_features(const ct_dataset *d, const char *run_dir);

#endif
