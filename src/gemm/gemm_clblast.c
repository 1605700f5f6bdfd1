/* The CLBlast engine: the only file that includes CLBlast. */
#include <clblast_c.h>

#include "core/context.h"
#include "gemm/engine.h"

static const char *clblast_status_name(CLBlastStatusCode s)
{
    switch (s) {
    case CLBlastSuccess: return "success";
    case CLBlastOpenCLCompilerNotAvailable: return "OpenCL compiler not available";
    case CLBlastOpenCLOutOfResources: return "out of resources";
    case CLBlastOpenCLOutOfHostMemory: return "out of host memory";
    case CLBlastInvalidLocalMemUsage: return "invalid local memory usage";
    case CLBlastInvalidMatrixA: return "invalid matrix A";
    case CLBlastInvalidMatrixB: return "invalid matrix B";
    case CLBlastInvalidMatrixC: return "invalid matrix C";
    case CLBlastInsufficientMemoryA: return "matrix A buffer too small";
    case CLBlastInsufficientMemoryB: return "matrix B buffer too small";
    case CLBlastInsufficientMemoryC: return "matrix C buffer too small";
    case CLBlastInvalidLeadDimA: return "invalid leading dimension of A";
    case CLBlastInvalidLeadDimB: return "invalid leading dimension of B";
    case CLBlastInvalidLeadDimC: return "invalid leading dimension of C";
    case CLBlastNotImplemented: return "not implemented";
    case CLBlastUnknownError: return "unknown error";
    case CLBlastInvalidLocalThreadsTotal: return "too many local threads";
    case CLBlastInvalidLocalThreadsDim: return "invalid local threads dimension";
    case CLBlastOpenCLBuildProgramFailure: return "kernel build failed";
    default: return "error";
    }
}

static int clblast_supports(ct_context *ctx)
{
    (void)ctx;
    return 1;
}

static ct_status clblast_run(ct_context *ctx, const ct_gemm_args *g)
{
    if (g->m == 0 || g->n == 0)
        return CT_OK;
    ct_context_release_queue(ctx); /* CLBlast may wait for the queue */
    cl_command_queue queue = ct_context_queue(ctx);
    CLBlastStatusCode s =
        CLBlastSgemm(CLBlastLayoutRowMajor, g->trans_a ? CLBlastTransposeYes : CLBlastTransposeNo,
                     g->trans_b ? CLBlastTransposeYes : CLBlastTransposeNo, g->m, g->n, g->k, g->alpha, g->a,
                     g->a_offset, g->lda, g->b, g->b_offset, g->ldb, g->beta, g->c, g->c_offset, g->ldc, &queue,
                     NULL);
    if (s != CLBlastSuccess)
        return ct_fail(CT_ERR_BLAS, "CLBlast sgemm (m=%zu n=%zu k=%zu) on %s: %s (%d)", g->m, g->n, g->k,
                       ct_context_device(ctx)->name, clblast_status_name(s), (int)s);
    return CT_OK;
}

const ct_gemm_engine_impl ct_gemm_clblast_engine = {"clblast", clblast_supports, clblast_run, NULL, NULL};
