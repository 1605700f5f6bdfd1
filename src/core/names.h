/* Name tables of the enumerations the library shares (cltrain/types.h,
 * model_spec.h, loss_kind.h, optimizer_spec.h, monitor.h): the spelling of
 * every value, aliases included. The ct_*_name() functions read them, and the
 * experiment schema (src/experiment/schema_tables.c) parses and writes with
 * them, so a file and the device code cannot disagree about a name. */
#ifndef CLTRAIN_CORE_NAMES_H
#define CLTRAIN_CORE_NAMES_H

#include <stdbool.h>
#include <stddef.h>

#include "cltrain/model_spec.h"
#include "cltrain/loss_kind.h"
#include "cltrain/monitor.h"
#include "cltrain/optimizer_spec.h"
#include "cltrain/types.h"

typedef struct {
    const char *name;
    int value;
    bool alias; /* accepted, never written, not listed in "expected one of" */
} ct_name_entry;

typedef struct {
    const char *what; /* "activation", for messages */
    const ct_name_entry *entries;
    size_t count;
} ct_name_table;

extern const ct_name_table ct_activation_names, ct_padding_names, ct_initializer_names, ct_layer_kind_names,
    ct_loss_names, ct_metric_names, ct_optimizer_names, ct_monitor_mode_names, ct_lr_schedule_names;
/* The augmentation layers' settings. */
extern const ct_name_table ct_fill_mode_names, ct_interpolation_names, ct_flip_mode_names;

/* Name of an enum value: the first entry that is not an alias; NULL if none. */
const char *ct_name_of(const ct_name_table *t, int value);

#endif
