/* cltrain's own GEMM kernels (cl/gemm.cl). Placeholder until they land. */
#include "gemm/engine.h"

static int own_supports(ct_context *ctx)
{
    (void)ctx;
    return 0;
}

static ct_status own_run(ct_context *ctx, const ct_gemm_args *args)
{
    (void)ctx;
    (void)args;
    return ct_fail(CT_ERR_UNSUPPORTED, "own GEMM kernels not built yet");
}

const ct_gemm_engine_impl ct_gemm_own_engine = {"own", own_supports, own_run};
