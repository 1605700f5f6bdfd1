/* MPI, or this process alone (see collective.h). */
#include "core/collective.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#ifdef CLTRAIN_HAVE_MPI
#include <mpi.h>
#endif

int ct_collective_launcher_size(void)
{
    /* Open MPI, MPICH/Intel MPI (PMI), PMIx (srun with --mpi=pmix). */
    /* Not SLURM_NTASKS: a batch script's plain `cltrain run` sees it too. */
    static const char *const vars[] = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE", "MPI_LOCALNRANKS"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
        const char *v = getenv(vars[i]);
        if (v && *v) {
            long n = strtol(v, NULL, 10);
            if (n > 1 && n < INT_MAX)
                return (int)n;
        }
    }
    return 1;
}

#ifdef CLTRAIN_HAVE_MPI

static bool we_initialised;

bool ct_collective_built(void) { return true; }

static bool mpi_running(void)
{
    int up = 0, down = 0;
    MPI_Initialized(&up);
    if (up)
        MPI_Finalized(&down);
    return up && !down;
}

ct_status ct_collective_init(int *argc, char ***argv)
{
    if (ct_collective_launcher_size() <= 1 || mpi_running())
        return CT_OK;
    if (MPI_Init(argc, argv) != MPI_SUCCESS)
        return ct_fail(CT_ERR_INTERNAL, "MPI_Init failed (started by mpirun with %d ranks)",
                       ct_collective_launcher_size());
    we_initialised = true;
    return CT_OK;
}

void ct_collective_finalize(void)
{
    if (we_initialised && mpi_running())
        MPI_Finalize();
    we_initialised = false;
}

int ct_collective_rank(void)
{
    int rank = 0;
    if (mpi_running())
        MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    return rank;
}

int ct_collective_size(void)
{
    int size = 1;
    if (mpi_running())
        MPI_Comm_size(MPI_COMM_WORLD, &size);
    return size;
}

void ct_collective_abort(int exit_code)
{
    if (ct_collective_size() > 1)
        MPI_Abort(MPI_COMM_WORLD, exit_code);
}

static ct_status check_count(size_t bytes, const char *what)
{
    return bytes <= (size_t)INT_MAX ? CT_OK
                                    : ct_fail(CT_ERR_UNSUPPORTED, "MPI %s of %zu bytes: at most %d in one call",
                                              what, bytes, INT_MAX);
}

ct_status ct_collective_allgather(const void *send, size_t bytes, void *recv)
{
    if (ct_collective_size() <= 1) {
        memmove(recv, send, bytes);
        return CT_OK;
    }
    CT_TRY(check_count(bytes, "allgather"));
    /* The caller's part already in place in recv: MPI forbids aliased buffers. */
    const void *from = send == (const char *)recv + (size_t)ct_collective_rank() * bytes ? MPI_IN_PLACE : send;
    int rc = MPI_Allgather(from, (int)bytes, MPI_BYTE, recv, (int)bytes, MPI_BYTE, MPI_COMM_WORLD);
    return rc == MPI_SUCCESS ? CT_OK : ct_fail(CT_ERR_INTERNAL, "MPI_Allgather of %zu bytes failed", bytes);
}

ct_status ct_collective_broadcast(void *buf, size_t bytes, int root)
{
    if (ct_collective_size() <= 1)
        return CT_OK;
    CT_TRY(check_count(bytes, "broadcast"));
    int rc = MPI_Bcast(buf, (int)bytes, MPI_BYTE, root, MPI_COMM_WORLD);
    return rc == MPI_SUCCESS ? CT_OK : ct_fail(CT_ERR_INTERNAL, "MPI_Bcast of %zu bytes failed", bytes);
}

ct_status ct_collective_any(bool mine, bool *any)
{
    if (ct_collective_size() <= 1) {
        *any = mine;
        return CT_OK;
    }
    int in = mine, out = 0;
    int rc = MPI_Allreduce(&in, &out, 1, MPI_INT, MPI_LOR, MPI_COMM_WORLD);
    *any = out != 0;
    return rc == MPI_SUCCESS ? CT_OK : ct_fail(CT_ERR_INTERNAL, "MPI_Allreduce of a flag failed");
}

#else /* no MPI: this process alone */

bool ct_collective_built(void) { return false; }
ct_status ct_collective_init(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    return CT_OK;
}
void ct_collective_finalize(void) {}
void ct_collective_abort(int exit_code) { (void)exit_code; }
int ct_collective_rank(void) { return 0; }
int ct_collective_size(void) { return 1; }

ct_status ct_collective_allgather(const void *send, size_t bytes, void *recv)
{
    memmove(recv, send, bytes);
    return CT_OK;
}

ct_status ct_collective_broadcast(void *buf, size_t bytes, int root)
{
    (void)buf, (void)bytes, (void)root;
    return CT_OK;
}

ct_status ct_collective_any(bool mine, bool *any)
{
    *any = mine;
    return CT_OK;
}

#endif
