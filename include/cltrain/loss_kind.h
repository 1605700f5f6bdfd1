/* Losses and metrics by kind, as an experiment file names them and as the
 * device code computes them. The spellings live in src/core/names.c, below
 * both the experiment schema and the loss code, which share them. */
#ifndef CLTRAIN_LOSS_KIND_H
#define CLTRAIN_LOSS_KIND_H

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    CT_LOSS_MSE,                             /* "mse", also "mean_squared_error" */
    CT_LOSS_MAE,                             /* "mae", also "mean_absolute_error" */
    CT_LOSS_BINARY_CROSSENTROPY,             /* "binary_crossentropy" */
    CT_LOSS_CATEGORICAL_CROSSENTROPY,        /* "categorical_crossentropy": one-hot labels */
    CT_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, /* "sparse_categorical_crossentropy": class indices */
    CT_LOSS_COUNT
} ct_loss;

typedef enum {
    CT_METRIC_RMSE,                        /* "rmse", also "root_mean_squared_error" */
    CT_METRIC_MSE,                         /* "mse", also "mean_squared_error" */
    CT_METRIC_MAE,                         /* "mae", also "mean_absolute_error" */
    CT_METRIC_ACCURACY,                    /* "accuracy", also "acc": the accuracy the loss implies */
    CT_METRIC_BINARY_ACCURACY,             /* "binary_accuracy" (threshold 0.5) */
    CT_METRIC_CATEGORICAL_ACCURACY,        /* "categorical_accuracy" */
    CT_METRIC_SPARSE_CATEGORICAL_ACCURACY, /* "sparse_categorical_accuracy" */
    CT_METRIC_COUNT
} ct_metric;

/* The YAML spelling ("mse", "rmse"); "?" when out of range. */
const char *ct_loss_name(ct_loss l);
const char *ct_metric_name(ct_metric m);
/* The name Keras gives the metric in History and in history.csv columns:
 * "root_mean_squared_error", "mean_squared_error", "mean_absolute_error",
 * "accuracy", "binary_accuracy", "categorical_accuracy",
 * "sparse_categorical_accuracy" (validation columns add "val_"). */
const char *ct_metric_keras_name(ct_metric m);

#ifdef __cplusplus
}
#endif
#endif
