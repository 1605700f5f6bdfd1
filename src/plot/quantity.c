/* Titles and units of history quantities (see quantity.h). Regression
 * errors are in the target's units, which cltrain does not know: naming the
 * target column is the most precise unit we can give ("units of
 * BASEL_sunshine"). */
#include "plot/quantity.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

typedef enum { UNIT_TARGET, UNIT_TARGET_SQUARED, UNIT_NATS, UNIT_FRACTION, UNIT_NONE } unit_kind;

typedef struct {
    const char *name;  /* Keras name, or the YAML loss name */
    const char *title; /* spelled out */
    const char *short_name;
    unit_kind unit;
} quantity;

static const quantity quantities[] = {
    {"mse", "mean squared error", "MSE", UNIT_TARGET_SQUARED},
    {"mean_squared_error", "mean squared error", "MSE", UNIT_TARGET_SQUARED},
    {"mae", "mean absolute error", "MAE", UNIT_TARGET},
    {"mean_absolute_error", "mean absolute error", "MAE", UNIT_TARGET},
    {"root_mean_squared_error", "root mean squared error", "RMSE", UNIT_TARGET},
    {"rmse", "root mean squared error", "RMSE", UNIT_TARGET},
    {"binary_crossentropy", "binary crossentropy", "crossentropy", UNIT_NATS},
    {"categorical_crossentropy", "categorical crossentropy", "crossentropy", UNIT_NATS},
    {"sparse_categorical_crossentropy", "sparse categorical crossentropy", "crossentropy", UNIT_NATS},
    {"accuracy", "accuracy", "accuracy", UNIT_FRACTION},
    {"binary_accuracy", "binary accuracy", "accuracy", UNIT_FRACTION},
    {"categorical_accuracy", "categorical accuracy", "accuracy", UNIT_FRACTION},
    {"sparse_categorical_accuracy", "sparse categorical accuracy", "accuracy", UNIT_FRACTION},
};

static const quantity *find(const char *name)
{
    for (size_t i = 0; name && i < sizeof quantities / sizeof quantities[0]; i++)
        if (!strcmp(quantities[i].name, name))
            return &quantities[i];
    return NULL;
}

static void unit_text(unit_kind unit, const run_labels *labels, char *buf, size_t size)
{
    const char *target = labels && labels->target ? labels->target : NULL;
    switch (unit) {
    case UNIT_TARGET:
        snprintf(buf, size, target ? "units of %s" : "units of the target", target);
        break;
    case UNIT_TARGET_SQUARED:
        snprintf(buf, size, target ? "units of %s, squared" : "target units, squared", target);
        break;
    case UNIT_NATS:
        snprintf(buf, size, "nats");
        break;
    case UNIT_FRACTION:
        snprintf(buf, size, "fraction correct");
        break;
    case UNIT_NONE:
        buf[0] = '\0';
        break;
    }
}

/* "some_metric" -> "some metric" */
static void spaced(const char *name, char *buf, size_t size)
{
    snprintf(buf, size, "%s", name);
    for (char *p = buf; *p; p++)
        if (*p == '_')
            *p = ' ';
}

void quantity_describe(const char *column, const run_labels *labels, quantity_labels *out)
{
    bool is_loss = !strcmp(column, "loss");
    const quantity *q = find(is_loss ? (labels ? labels->loss : NULL) : column);
    char unit[128];
    if (!q) {
        spaced(column, out->title, sizeof out->title);
        snprintf(out->ylabel, sizeof out->ylabel, "%s", out->title);
        return;
    }
    unit_text(q->unit, labels, unit, sizeof unit);
    if (is_loss)
        snprintf(out->title, sizeof out->title, "loss: %s", q->title);
    else
        snprintf(out->title, sizeof out->title, "%s", q->title);
    snprintf(out->ylabel, sizeof out->ylabel, "%s (%s)", q->short_name, unit);
}

void quantity_short_label(const char *column, char *buf, size_t size)
{
    const char *split = "", *bare = column;
    if (!strncmp(column, "val_", 4))
        split = "validation ", bare = column + 4;
    else if (!strncmp(column, "test_", 5))
        split = "test ", bare = column + 5;
    const quantity *q = find(bare);
    char spaced_name[160];
    spaced(bare, spaced_name, sizeof spaced_name);
    snprintf(buf, size, "%s%s", split, q ? q->short_name : spaced_name);
}
