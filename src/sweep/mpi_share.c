/* MPI for sweeps (see mpi_share.h). */
#include "sweep/mpi_share.h"

#include <stdlib.h>
#include <string.h>

#ifdef CLTRAIN_HAVE_MPI
#include <mpi.h>
#endif

bool sweep_mpi_launched(void)
{
    return getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMIX_RANK") || getenv("PMI_RANK") || getenv("PMI_SIZE");
}

#ifdef CLTRAIN_HAVE_MPI

bool sweep_mpi_built(void) { return true; }

ct_status sweep_mpi_start(int *rank, int *size)
{
    int ready = 0;
    MPI_Initialized(&ready);
    if (!ready && MPI_Init(NULL, NULL) != MPI_SUCCESS)
        return ct_fail(CT_ERR_INTERNAL, "MPI_Init failed");
    MPI_Comm_rank(MPI_COMM_WORLD, rank);
    MPI_Comm_size(MPI_COMM_WORLD, size);
    return CT_OK;
}

bool sweep_mpi_all(bool ok)
{
    int mine = ok, all = 0;
    MPI_Allreduce(&mine, &all, 1, MPI_INT, MPI_LAND, MPI_COMM_WORLD);
    return all != 0;
}

ct_status sweep_mpi_gather(const sweep_row *mine, size_t n, sweep_row **all, size_t *all_n)
{
    *all = NULL;
    *all_n = 0;
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    char *text = NULL;
    size_t length = 0;
    ct_status s = sweep_rows_encode(mine, n, &text, &length);
    /* Every rank takes part even after a failure here, with nothing to send. */
    int len = s == CT_OK && length < (size_t)1 << 30 ? (int)length : 0;
    int *lengths = rank == 0 ? calloc((size_t)size, sizeof *lengths) : NULL;
    int *offsets = rank == 0 ? calloc((size_t)size, sizeof *offsets) : NULL;
    MPI_Gather(&len, 1, MPI_INT, lengths, 1, MPI_INT, 0, MPI_COMM_WORLD);
    char *received = NULL;
    size_t total = 0;
    if (rank == 0 && lengths && offsets) {
        for (int r = 0; r < size; r++) {
            offsets[r] = (int)total;
            total += (size_t)lengths[r];
        }
        received = malloc(total + 1);
    }
    MPI_Gatherv(text, len, MPI_CHAR, received, lengths, offsets, MPI_CHAR, 0, MPI_COMM_WORLD);
    free(text);
    if (rank == 0) {
        if (!received || !lengths || !offsets)
            s = ct_fail(CT_ERR_NO_MEMORY, "out of memory gathering the sweep's rows");
        else if (s == CT_OK)
            s = sweep_rows_decode(received, total, all, all_n);
    }
    free(received);
    free(lengths);
    free(offsets);
    return s;
}

void sweep_mpi_finish(void)
{
    int ready = 0, done = 0;
    MPI_Initialized(&ready);
    MPI_Finalized(&done);
    if (ready && !done)
        MPI_Finalize();
}

#else

bool sweep_mpi_built(void) { return false; }

static ct_status not_built(void)
{
    return ct_fail(CT_ERR_UNSUPPORTED,
                   "this cltrain was built without MPI, so `mpirun ... cltrain sweep` cannot share the points "
                   "between ranks: install Debian's libopenmpi-dev and openmpi-bin (tools/deps.sh does) and "
                   "rebuild (CMake option CLTRAIN_WITH_MPI, on by default); or run `cltrain sweep` without mpirun, "
                   "or with --emit slurm");
}

ct_status sweep_mpi_start(int *rank, int *size)
{
    *rank = 0;
    *size = 1;
    return not_built();
}

ct_status sweep_mpi_gather(const sweep_row *mine, size_t n, sweep_row **all, size_t *all_n)
{
    (void)mine, (void)n;
    *all = NULL;
    *all_n = 0;
    return not_built();
}

bool sweep_mpi_all(bool ok) { return ok; }
void sweep_mpi_finish(void) {}

#endif
