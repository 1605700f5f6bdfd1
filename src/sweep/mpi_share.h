/* A sweep under Open MPI (`mpirun -n K cltrain sweep ...`): rank r runs the
 * points whose index is r modulo K on its node's devices, and rank 0
 * receives every rank's rows (as text, so the ranks need no shared folder
 * for the table) and writes the table. Every rank makes the same plan from
 * the same arguments, so no plan is sent.
 *
 * Built only with MPI (CMake option CLTRAIN_WITH_MPI, Debian's
 * libopenmpi-dev; CLTRAIN_HAVE_MPI). Without it a process started by
 * mpirun is told so, instead of every rank running the whole sweep. */
#ifndef CLTRAIN_SWEEP_MPI_SHARE_H
#define CLTRAIN_SWEEP_MPI_SHARE_H

#include <stdbool.h>
#include <stddef.h>

#include "cltrain/status.h"
#include "sweep/results.h"

/* Started by an MPI launcher (its environment variables say so). */
bool sweep_mpi_launched(void);
/* This build has MPI. */
bool sweep_mpi_built(void);

/* MPI_Init; this process's rank and the number of ranks. CT_ERR_UNSUPPORTED
 * without MPI, saying how to build it. */
ct_status sweep_mpi_start(int *rank, int *size);
/* Rank 0 receives every rank's rows (its own first); the others send
 * theirs and get none back (*all NULL). Collective. */
ct_status sweep_mpi_gather(const sweep_row *mine, size_t n, sweep_row **all, size_t *all_n);
/* Whether every rank passed ok (collective), so that all stop together. */
bool sweep_mpi_all(bool ok);
void sweep_mpi_finish(void);

#endif
