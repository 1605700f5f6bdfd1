/* Cross-field checks (validate.c); ct_experiment_validate() is public. */
#ifndef CLTRAIN_EXPERIMENT_VALIDATE_H
#define CLTRAIN_EXPERIMENT_VALIDATE_H

#include "cltrain/experiment.h"

/* Fill ct_early_stopping_spec's derived fields (monitor_*, maximize) from
 * monitor, mode and train.metrics. Never fails: a monitor it cannot
 * resolve reads as the loss, and ct_experiment_validate() reports it. */
void xp_resolve_derived(ct_experiment *exp);

#endif
