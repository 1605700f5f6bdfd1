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

#endif
