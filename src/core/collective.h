/* The processes of one data-parallel run (issue #15): MPI's world when
 * cltrain is built with MPI (CLTRAIN_HAVE_MPI) and started by an MPI
 * launcher (mpirun, srun), else this process alone. The trainer
 * (src/train/train.c) reduces gradients and accumulators through it; the
 * command line starts and ends it. Every call is collective: all ranks make
 * it, in the same order. Blocking; one thread per process calls it. */
#ifndef CLTRAIN_CORE_COLLECTIVE_H
#define CLTRAIN_CORE_COLLECTIVE_H

#include <stdbool.h>
#include <stddef.h>

#include "cltrain/status.h"

/* Ranks an MPI launcher started this process among, from its environment
 * (OMPI_COMM_WORLD_SIZE, PMI_SIZE, PMIX_SIZE...); 1 when none did. Known
 * without MPI built, so that such a run can say MPI is missing. */
int ct_collective_launcher_size(void);

/* Whether this build has MPI. */
bool ct_collective_built(void);

/* Joins the launcher's world (MPI_Init) when built with MPI and
 * ct_collective_launcher_size() > 1; a no-op otherwise, and when MPI is
 * already initialised (by another part of cltrain). */
ct_status ct_collective_init(int *argc, char ***argv);
/* MPI_Finalize when ct_collective_init initialised MPI. */
void ct_collective_finalize(void);
/* Ends every rank at once (MPI_Abort) after a failure on one: the others
 * would wait for it in their next collective forever. Returns when not in
 * an MPI world of several ranks. */
void ct_collective_abort(int exit_code);

int ct_collective_rank(void); /* 0 without MPI */
int ct_collective_size(void); /* 1 without MPI */

/* recv (size x bytes) = every rank's send (bytes), in rank order. */
ct_status ct_collective_allgather(const void *send, size_t bytes, void *recv);
/* buf (bytes) from rank root to every rank. */
ct_status ct_collective_broadcast(void *buf, size_t bytes, int root);
/* *any = whether `mine` is true on some rank. */
ct_status ct_collective_any(bool mine, bool *any);

#endif
