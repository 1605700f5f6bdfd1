/* The in-epoch progress bar on a terminal: batch i/N of the batches the
 * device has finished, elapsed time, ETA, the running loss and metrics.
 * Redrawn in place at most CT_PROGRESS_REDRAWS_PER_SECOND times a second
 * (and once more for the last batch, which validation may follow),
 * cut to the terminal's width (a wrapped line could not be redrawn), and
 * erased before the epoch's own line is printed. Only for a terminal: in a
 * pipe the runner makes none. */
#ifndef CLTRAIN_RUN_PROGRESS_BAR_H
#define CLTRAIN_RUN_PROGRESS_BAR_H

#include <stddef.h>
#include <stdio.h>

#include "cltrain/status.h"

#define CT_PROGRESS_REDRAWS_PER_SECOND 10

typedef struct ct_progress_bar ct_progress_bar;

/* names: the n running values' names (loss, then the metrics). */
ct_status ct_progress_bar_create(FILE *tty, const char *const *names, size_t n, ct_progress_bar **out);
void ct_progress_bar_free(ct_progress_bar *bar); /* NULL is fine */

/* A new epoch (0-based) of `epochs`: the clock starts. */
void ct_progress_bar_start(ct_progress_bar *bar, int epoch, int epochs);
/* `done` of `batches` finished; running: n values. Draws when the last draw
 * is old enough. */
void ct_progress_bar_update(ct_progress_bar *bar, size_t done, size_t batches, const double *running);
/* Erases the bar if one is shown. */
void ct_progress_bar_clear(ct_progress_bar *bar);

#endif
