/* Explaining a run the NaN guard stopped: where training first went
 * non-finite (epoch, batch, tensor) and what to try. */
#ifndef CLTRAIN_RUN_NONFINITE_H
#define CLTRAIN_RUN_NONFINITE_H

#include <stddef.h>

#include "cltrain/report.h"
#include "cltrain/train.h"

/* The guard found a non-finite value after `epoch` (0-based). Puts the
 * trainer back to the checkpoint at checkpoint_path (or, when NULL, to
 * `initial`, its state before the first epoch), replays the epochs
 * from there (with the learning rates history logged, when
 * ReduceLROnPlateau changed them) and then `epoch` one batch at a time, and
 * writes into `where` (size bytes) e.g. ", batch 17 of 24 (the loss; after
 * it dense_1/kernel holds NaN or inf)" and into `advice` what to try. On
 * any failure of the replay (no checkpoint, another position) `where` stays
 * empty: the guard's message then stands alone. The trainer's state is
 * undefined afterwards. */
void ct_run_explain_nonfinite(const ct_experiment *exp, ct_trainer *t, const char *checkpoint_path,
                              const ct_trainer_state *initial, const ct_history *history, int epoch, char *where, size_t size, char *advice,
                              size_t advice_size);

#endif
