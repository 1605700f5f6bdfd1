/* GEMM on a given engine: argument checks, then the engine's launch. An
 * epilogue the engine cannot fuse runs as the bias+activation op after it.
 * The engine chosen per device (ct_gemm, ct_gemm_fused, ct_gemm_pair) is
 * dispatch.c's, above select.c, which times the engines through this file. */
#include "cltrain/gemm.h"

#include <stdlib.h>
#include <string.h>

#include "cltrain/ops_activation.h"
#include "gemm/engine.h"

static const ct_gemm_engine_impl *const engines[CT_GEMM_ENGINE_COUNT] = {
    [CT_GEMM_CLBLAST] = &ct_gemm_clblast_engine,
    [CT_GEMM_OWN] = &ct_gemm_own_engine,
};

const char *ct_gemm_engine_name(ct_gemm_engine e)
{
    if (e == CT_GEMM_AUTO)
        return "auto";
    return (e > 0 && e < CT_GEMM_ENGINE_COUNT) ? engines[e]->name : "unknown";
}

static ct_status check_args(const ct_gemm_args *g)
{
    size_t a_cols = g->trans_a ? g->m : g->k;
    size_t b_cols = g->trans_b ? g->k : g->n;
    if (!g->a || !g->b || !g->c)
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "gemm: a NULL buffer");
    if (g->lda < (a_cols ? a_cols : 1) || g->ldb < (b_cols ? b_cols : 1) || g->ldc < (g->n ? g->n : 1))
        return ct_fail(CT_ERR_INVALID_ARGUMENT,
                       "gemm: leading dimensions lda=%zu ldb=%zu ldc=%zu too small for m=%zu n=%zu k=%zu%s%s",
                       g->lda, g->ldb, g->ldc, g->m, g->n, g->k, g->trans_a ? " A^T" : "", g->trans_b ? " B^T" : "");
    return CT_OK;
}

int ct_gemm_engine_available(ct_context *ctx, ct_gemm_engine engine)
{
    return engine > CT_GEMM_AUTO && engine < CT_GEMM_ENGINE_COUNT && engines[engine]->supports(ctx);
}

/* The engine's implementation, once args and engine are checked. */
static ct_status resolve(ct_context *ctx, ct_gemm_engine engine, const ct_gemm_args *args,
                         const ct_gemm_engine_impl **impl)
{
    CT_TRY(check_args(args));
    if (engine <= CT_GEMM_AUTO || engine >= CT_GEMM_ENGINE_COUNT)
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "gemm: engine %d is not a concrete engine", (int)engine);
    *impl = engines[engine];
    if (!(*impl)->supports(ctx))
        return ct_fail(CT_ERR_UNSUPPORTED, "gemm engine %s does not run on %s", (*impl)->name,
                       ct_context_device(ctx)->name);
    return CT_OK;
}

ct_status ct_gemm_with(ct_context *ctx, ct_gemm_engine engine, const ct_gemm_args *args)
{
    const ct_gemm_engine_impl *impl = NULL;
    CT_TRY(resolve(ctx, engine, args, &impl));
    return impl->run(ctx, args);
}

/* The epilogue as launches of the bias+activation ops on C (m x n,
 * contiguous) and B (k x n, contiguous). */
static ct_status run_epilogue(ct_context *ctx, const ct_gemm_args *g, const ct_gemm_epilogue *epi)
{
    ct_tensor c = {g->c, g->c_offset, 2, {g->m, g->n}, 0};
    if (epi->y) {
        ct_tensor y = {epi->y, epi->y_offset, 2, {g->m, g->n}, 0};
        CT_TRY(ct_bias_activation_backward(ctx, epi->activation, &y, &c, &c, NULL));
    } else {
        ct_tensor bias = {epi->bias, epi->bias_offset, 1, {g->n}, 0};
        CT_TRY(ct_bias_activation_forward(ctx, epi->activation, &c, epi->bias ? &bias : NULL, &c));
    }
    if (!epi->col_sums)
        return CT_OK;
    /* B's column sums: the bias gradient of a linear activation (dz = dy, rewritten in place). */
    ct_tensor b = {g->b, g->b_offset, 2, {g->k, g->n}, 0}, sums = {epi->col_sums, epi->col_sums_offset, 1, {g->n}, 0};
    return ct_bias_activation_backward(ctx, CT_ACTIVATION_LINEAR, &b, &b, &b, &sums);
}

static ct_status check_epilogue(const ct_gemm_args *g, const ct_gemm_epilogue *epi)
{
    if (g->beta != 0.0f || g->ldc != g->n)
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "gemm: an epilogue needs beta 0 and ldc = n (beta %g, ldc %zu, n %zu)",
                       (double)g->beta, g->ldc, g->n);
    if (epi->y && epi->bias)
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "gemm: an epilogue has a bias (forward) or y (backward), not both");
    if (epi->col_sums && (g->trans_b || g->ldb != g->n))
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "gemm: column sums of B need B not transposed with ldb = n");
    return CT_OK;
}

ct_status ct_gemm_fused_with(ct_context *ctx, ct_gemm_engine engine, const ct_gemm_args *args,
                             const ct_gemm_epilogue *epi)
{
    CT_TRY(check_epilogue(args, epi));
    const ct_gemm_engine_impl *impl = NULL;
    CT_TRY(resolve(ctx, engine, args, &impl));
    int fused = 0;
    if (impl->run_fused)
        CT_TRY(impl->run_fused(ctx, args, epi, &fused));
    if (fused)
        return CT_OK;
    CT_TRY(impl->run(ctx, args));
    return run_epilogue(ctx, args, epi);
}

/* One GEMM of a pair on its own: fused when it has an epilogue. */
static ct_status run_one(ct_context *ctx, ct_gemm_engine engine, const ct_gemm_args *args,
                         const ct_gemm_epilogue *epi)
{
    return epi ? ct_gemm_fused_with(ctx, engine, args, epi) : ct_gemm_with(ctx, engine, args);
}

ct_status ct_gemm_pair_engines(ct_context *ctx, ct_gemm_engine x0, const ct_gemm_args *g0, const ct_gemm_epilogue *e0,
                               ct_gemm_engine x1, const ct_gemm_args *g1, const ct_gemm_epilogue *e1)
{
    const ct_gemm_engine_impl *i0 = NULL, *i1 = NULL;
    if (e0)
        CT_TRY(check_epilogue(g0, e0));
    if (e1)
        CT_TRY(check_epilogue(g1, e1));
    CT_TRY(resolve(ctx, x0, g0, &i0));
    CT_TRY(resolve(ctx, x1, g1, &i1));
    int done = 0;
    if (i0 == i1 && i0->run_pair)
        CT_TRY(i0->run_pair(ctx, g0, e0, g1, e1, &done));
    if (done)
        return CT_OK;
    CT_TRY(run_one(ctx, x0, g0, e0));
    return run_one(ctx, x1, g1, e1);
}

ct_status ct_gemm_pair_with(ct_context *ctx, ct_gemm_engine engine, const ct_gemm_args *g0,
                            const ct_gemm_epilogue *e0, const ct_gemm_args *g1, const ct_gemm_epilogue *e1)
{
    return ct_gemm_pair_engines(ctx, engine, g0, e0, engine, g1, e1);
}
