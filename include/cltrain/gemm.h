/* General matrix multiply on the device, row-major (C order):
 *   C = alpha * op(A) * op(B) + beta * C
 * op(A) is m x k, op(B) is k x n, C is m x n. Offsets and leading dimensions
 * are in elements. Engines: CLBlast and cltrain's own kernels; the engine for
 * a device is chosen by measurement (see src/gemm/). */
#ifndef CLTRAIN_GEMM_H
#define CLTRAIN_GEMM_H

#include "cltrain/device.h"
#include "cltrain/types.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { CT_NO_TRANS = 0, CT_TRANS = 1 } ct_transpose;

typedef enum { CT_GEMM_AUTO = 0, CT_GEMM_CLBLAST, CT_GEMM_OWN, CT_GEMM_ENGINE_COUNT } ct_gemm_engine;

const char *ct_gemm_engine_name(ct_gemm_engine e);

typedef struct {
    ct_transpose trans_a, trans_b;
    size_t m, n, k;
    float alpha, beta;
    cl_mem a;
    size_t a_offset, lda;
    cl_mem b;
    size_t b_offset, ldb;
    cl_mem c;
    size_t c_offset, ldc;
} ct_gemm_args;

/* What happens around the product, so that a Dense layer's passes need no
 * other launch. Forward (y NULL): C = act(alpha op(A) op(B) + bias[column]),
 * bias NULL: no bias. Backward (y given, bias NULL): C = alpha op(A) op(B)
 * * act'(y), for y = act(.) shaped as C. With col_sums: also the column sums
 * of op(B) (k x n; B not transposed) into col_sums (n floats). */
typedef struct {
    cl_mem bias;
    size_t bias_offset;
    ct_activation activation;
    cl_mem y;
    size_t y_offset;
    cl_mem col_sums;
    size_t col_sums_offset;
} ct_gemm_epilogue;

/* 1 when the engine can run on this context's device. */
int ct_gemm_engine_available(ct_context *ctx, ct_gemm_engine engine);

/* Enqueue a GEMM on the context's queue with the engine chosen for it. */
ct_status ct_gemm(ct_context *ctx, const ct_gemm_args *args);
/* Same, with an explicit engine (CT_ERR_UNSUPPORTED status if it cannot run). */
ct_status ct_gemm_with(ct_context *ctx, ct_gemm_engine engine, const ct_gemm_args *args);

/* A GEMM with an epilogue (beta must be 0; C contiguous: ldc == n). The
 * own engine on a CPU runs it in the GEMM's launch for relu and linear;
 * otherwise it takes launches of the bias+activation ops (then B must also
 * be contiguous for col_sums: ldb == n). */
ct_status ct_gemm_fused(ct_context *ctx, const ct_gemm_args *args, const ct_gemm_epilogue *epi);
ct_status ct_gemm_fused_with(ct_context *ctx, ct_gemm_engine engine, const ct_gemm_args *args,
                             const ct_gemm_epilogue *epi);

/* Two independent GEMMs, each with an epilogue or none (NULL; as
 * ct_gemm_fused / ct_gemm): the results of the two calls in order. Neither
 * GEMM may write memory that the other reads or writes. The own engine on
 * a CPU runs both in one launch (one launch overhead fewer, and both
 * GEMMs' tasks for the runtime's threads to share) when both take it and
 * their epilogues fuse; otherwise they are two calls (CLBlast, the portable
 * kernel for GPUs). */
ct_status ct_gemm_pair(ct_context *ctx, const ct_gemm_args *g0, const ct_gemm_epilogue *e0, const ct_gemm_args *g1,
                       const ct_gemm_epilogue *e1);
/* Same, with an explicit engine for both. */
ct_status ct_gemm_pair_with(ct_context *ctx, ct_gemm_engine engine, const ct_gemm_args *g0,
                            const ct_gemm_epilogue *e0, const ct_gemm_args *g1, const ct_gemm_epilogue *e1);

#ifdef __cplusplus
}
#endif
#endif
