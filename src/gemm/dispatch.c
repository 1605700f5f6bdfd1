/* GEMM on the engine chosen for the device: measured per device and shape
 * class and cached (select.c), or forced everywhere by
 * CLTRAIN_GEMM_ENGINE=clblast|own. */
#include <stdlib.h>
#include <strings.h>

#include "cltrain/gemm.h"
#include "cltrain/gemm_select.h"
#include "gemm/engine.h"

static ct_gemm_engine forced_engine(void)
{
    const char *env = getenv("CLTRAIN_GEMM_ENGINE");
    if (!env || !*env)
        return CT_GEMM_AUTO;
    for (int e = 1; e < CT_GEMM_ENGINE_COUNT; e++)
        if (!strcasecmp(env, ct_gemm_engine_name((ct_gemm_engine)e)))
            return (ct_gemm_engine)e;
    return CT_GEMM_AUTO;
}

/* The engine chosen for this shape on this device. */
static ct_status choose(ct_context *ctx, const ct_gemm_args *args, ct_gemm_engine *e)
{
    *e = forced_engine();
    if (*e == CT_GEMM_AUTO) /* measured per device and shape class, cached (src/gemm/select.c) */
        CT_TRY(ct_gemm_engine_for(ctx, args->m, args->n, args->k, e));
    return CT_OK;
}

ct_status ct_gemm(ct_context *ctx, const ct_gemm_args *args)
{
    ct_gemm_engine e;
    CT_TRY(choose(ctx, args, &e));
    return ct_gemm_with(ctx, e, args);
}

ct_status ct_gemm_fused(ct_context *ctx, const ct_gemm_args *args, const ct_gemm_epilogue *epi)
{
    ct_gemm_engine e;
    CT_TRY(choose(ctx, args, &e));
    return ct_gemm_fused_with(ctx, e, args, epi);
}

ct_status ct_gemm_pair(ct_context *ctx, const ct_gemm_args *g0, const ct_gemm_epilogue *e0, const ct_gemm_args *g1,
                       const ct_gemm_epilogue *e1)
{
    ct_gemm_engine x0, x1;
    CT_TRY(choose(ctx, g0, &x0));
    CT_TRY(choose(ctx, g1, &x1));
    return ct_gemm_pair_engines(ctx, x0, g0, e0, x1, g1, e1);
}
