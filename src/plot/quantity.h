/* What a history column means to a reader: a title and a y-axis label with
 * its unit, from the Keras column name ("root_mean_squared_error") and what
 * config.yaml says (loss, target column). */
#ifndef CLTRAIN_PLOT_QUANTITY_H
#define CLTRAIN_PLOT_QUANTITY_H

#include <stddef.h>

#include "plot/run_reader.h"

typedef struct {
    char title[160];
    char ylabel[160];
} quantity_labels;

void quantity_describe(const char *column, const run_labels *labels, quantity_labels *out);

/* A metric column as a reader names it: "val_root_mean_squared_error" ->
 * "validation RMSE", "test_accuracy" -> "test accuracy", "loss" -> "loss";
 * a name not known is spaced out ("val_my_metric" -> "validation my metric"). */
void quantity_short_label(const char *column, char *buf, size_t size);

#endif
