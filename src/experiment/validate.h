/* Cross-field checks (validate.c); ct_experiment_validate() is public. */
#ifndef CLTRAIN_EXPERIMENT_VALIDATE_H
#define CLTRAIN_EXPERIMENT_VALIDATE_H

#include "cltrain/experiment.h"

/* Fill ct_early_stopping_spec's derived fields (monitor_*, maximize) from
 * monitor, mode and train.metrics. Never fails: a monitor it cannot
 * resolve reads as the loss, and ct_experiment_validate() reports it. */
void xp_resolve_derived(ct_experiment *exp);

/* (where.c) A configuration error at `path` ("model[2].add.inputs"), prefixed with
 * the file's line:column for it: "FILE:L:C: PATH: message". */
ct_status xp_fail_at(const ct_experiment *exp, const char *path, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Graph models (validate_graph.c). A layer's k-th input is an earlier
 * layer's index, XP_GRAPH_DATA for the model's data (`input`, or the first
 * layer's default) or XP_GRAPH_UNKNOWN for a name no layer has. */
#define XP_GRAPH_DATA (-1L)
#define XP_GRAPH_UNKNOWN (-2L)
bool xp_model_is_graph(const ct_model_spec *model);
size_t xp_graph_input_count(const ct_model_spec *model, size_t layer);
long xp_graph_input(const ct_model_spec *model, size_t layer, size_t k);
/* Names resolve, point upward, merges have 2+ inputs, every layer is used. */
ct_status xp_check_graph(const ct_experiment *exp);

#endif
