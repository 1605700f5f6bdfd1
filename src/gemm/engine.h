/* One GEMM engine: what cltrain's GEMM dispatcher (src/gemm/gemm.c) needs. */
#ifndef CLTRAIN_GEMM_ENGINE_H
#define CLTRAIN_GEMM_ENGINE_H

#include "cltrain/gemm.h"

typedef struct {
    const char *name;
    /* 1 when the engine can run on this context's device at all. */
    int (*supports)(ct_context *ctx);
    /* Enqueue C = alpha op(A) op(B) + beta C; no host synchronisation. */
    ct_status (*run)(ct_context *ctx, const ct_gemm_args *args);
    /* Enqueue the GEMM with its epilogue in one launch and set *fused, or
     * enqueue nothing and clear *fused when the engine cannot; NULL: never. */
    ct_status (*run_fused)(ct_context *ctx, const ct_gemm_args *args, const ct_gemm_epilogue *epi, int *fused);
    /* Enqueue two independent GEMMs (epilogues may be NULL) in one launch
     * and set *done, or enqueue nothing and clear *done; NULL: never. */
    ct_status (*run_pair)(ct_context *ctx, const ct_gemm_args *g0, const ct_gemm_epilogue *e0,
                          const ct_gemm_args *g1, const ct_gemm_epilogue *e1, int *done);
} ct_gemm_engine_impl;

extern const ct_gemm_engine_impl ct_gemm_clblast_engine;
extern const ct_gemm_engine_impl ct_gemm_own_engine;

/* Two GEMMs (epilogues may be NULL) on engines x0 and x1: one launch when
 * both are the same engine and it can pair them, else one after the other
 * (gemm.c; ct_gemm_pair and ct_gemm_pair_with use it). */
ct_status ct_gemm_pair_engines(ct_context *ctx, ct_gemm_engine x0, const ct_gemm_args *g0, const ct_gemm_epilogue *e0,
                               ct_gemm_engine x1, const ct_gemm_args *g1, const ct_gemm_epilogue *e1);

#endif
