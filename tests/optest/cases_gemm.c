/* Op-test cases: GEMM through each engine, every transpose combination,
 * offsets (the harness places every tensor at an offset) and leading
 * dimensions larger than the matrix width.
 * ip: [0] trans_a [1] trans_b [2] m [3] n [4] k [5] engine [6] extra columns of
 * padding in each leading dimension. */
#include "optest/families.h"
#include "ref/ref.h"

#include "cltrain/gemm.h"

static size_t cols_a(const ct_optest_case *c) { return (c->ip[0] ? c->ip[2] : c->ip[4]); }
static size_t cols_b(const ct_optest_case *c) { return (c->ip[1] ? c->ip[4] : c->ip[3]); }

static ct_status gemm_shape(const ct_optest_case *c, int *ndim, size_t *shape)
{
    *ndim = 2;
    shape[0] = (size_t)c->ip[2];
    shape[1] = (size_t)c->ip[3];
    return CT_OK;
}

static ct_gemm_args args_for(const ct_optest_case *c, const ct_tensor *a, const ct_tensor *b, ct_tensor *out)
{
    ct_gemm_args g = {
        .trans_a = c->ip[0] ? CT_TRANS : CT_NO_TRANS, .trans_b = c->ip[1] ? CT_TRANS : CT_NO_TRANS,
        .m = (size_t)c->ip[2], .n = (size_t)c->ip[3], .k = (size_t)c->ip[4], .alpha = 1.0f, .beta = 0.0f,
        .a = a->buf, .a_offset = a->offset, .lda = cols_a(c) + (size_t)c->ip[6],
        .b = b->buf, .b_offset = b->offset, .ldb = cols_b(c) + (size_t)c->ip[6],
        .c = out->buf, .c_offset = out->offset, .ldc = (size_t)c->ip[3],
    };
    return g;
}

static ct_status gemm_fwd(ct_context *ctx, const ct_optest_case *c, const ct_tensor *in, ct_tensor *out)
{
    ct_gemm_args g = args_for(c, &in[0], &in[1], out);
    return ct_gemm_with(ctx, (ct_gemm_engine)c->ip[5], &g);
}

static void gemm_ref(const ct_optest_case *c, const double *const *in, double *out)
{
    ref_gemm((int)c->ip[0], (int)c->ip[1], (size_t)c->ip[2], (size_t)c->ip[3], (size_t)c->ip[4], 1.0, in[0],
             cols_a(c) + (size_t)c->ip[6], in[1], cols_b(c) + (size_t)c->ip[6], 0.0, out, (size_t)c->ip[3]);
}

/* The backward pass a Dense layer needs, itself made of GEMMs (no padding):
 *   dA = dC op(B)^T (stored transposed when A is), dB = op(A)^T dC (likewise). */
static ct_status gemm_bwd(ct_context *ctx, const ct_optest_case *c, const ct_tensor *in, const ct_tensor *out,
                          const ct_tensor *dc, ct_tensor *grad)
{
    (void)out;
    ct_gemm_engine e = (ct_gemm_engine)c->ip[5];
    size_t m = (size_t)c->ip[2], n = (size_t)c->ip[3], k = (size_t)c->ip[4];
    int ta = (int)c->ip[0], tb = (int)c->ip[1];
    const ct_tensor *a = &in[0], *b = &in[1];
    ct_gemm_args g = {.alpha = 1.0f, .beta = 0.0f};
    if (!ta) /* dA (m x k) = dC (m x n) . op(B)^T */
        g = (ct_gemm_args){CT_NO_TRANS, tb ? CT_NO_TRANS : CT_TRANS, m, k, n, 1.0f, 0.0f, dc->buf, dc->offset, n,
                           b->buf, b->offset, cols_b(c), grad[0].buf, grad[0].offset, k};
    else /* dA stored (k x m) = op(B) . dC^T */
        g = (ct_gemm_args){tb ? CT_TRANS : CT_NO_TRANS, CT_TRANS, k, m, n, 1.0f, 0.0f, b->buf, b->offset, cols_b(c),
                           dc->buf, dc->offset, n, grad[0].buf, grad[0].offset, m};
    CT_TRY(ct_gemm_with(ctx, e, &g));
    if (!tb) /* dB (k x n) = op(A)^T . dC */
        g = (ct_gemm_args){ta ? CT_NO_TRANS : CT_TRANS, CT_NO_TRANS, k, n, m, 1.0f, 0.0f, a->buf, a->offset, cols_a(c),
                           dc->buf, dc->offset, n, grad[1].buf, grad[1].offset, n};
    else /* dB stored (n x k) = dC^T . op(A) */
        g = (ct_gemm_args){CT_TRANS, ta ? CT_TRANS : CT_NO_TRANS, n, k, m, 1.0f, 0.0f, dc->buf, dc->offset, n,
                           a->buf, a->offset, cols_a(c), grad[1].buf, grad[1].offset, k};
    return ct_gemm_with(ctx, e, &g);
}

static int engine_supported(ct_context *ctx, const ct_optest_case *c)
{
    return ct_gemm_engine_available(ctx, (ct_gemm_engine)c->ip[5]);
}

static const ct_optest_op op_gemm_clblast = {"gemm_clblast", gemm_shape, gemm_fwd, gemm_ref, gemm_bwd, engine_supported};
static const ct_optest_op op_gemm_own = {"gemm_own", gemm_shape, gemm_fwd, gemm_ref, gemm_bwd, engine_supported};
static const ct_optest_op op_gemm_clblast_ld = {"gemm_clblast_ld", gemm_shape, gemm_fwd, gemm_ref, NULL, engine_supported};
static const ct_optest_op op_gemm_own_ld = {"gemm_own_ld", gemm_shape, gemm_fwd, gemm_ref, NULL, engine_supported};

/* Inputs of C = op(A) op(B) for given transposes, sizes and padding. */
#define GEMM_CASE(op, label, ta, tb, m, n, k, engine, pad, tol)                                               \
    {&op, label, 2,                                                                                          \
     {{2, {(ta) ? (k) : (m), ((ta) ? (m) : (k)) + (pad)}, -1, 1, 0, (pad) == 0},                             \
      {2, {(tb) ? (n) : (k), ((tb) ? (k) : (n)) + (pad)}, -1, 1, 0, (pad) == 0}},                            \
     {ta, tb, m, n, k, engine, pad}, {0}, tol, 1e-5}

#define ENGINE_CASES(op, op_ld, engine)                                                     \
    GEMM_CASE(op, "NN 1x1x1", 0, 0, 1, 1, 1, engine, 0, 1e-10),                               \
    GEMM_CASE(op, "NN odd primes", 0, 0, 37, 41, 43, engine, 0, 1e-10),                       \
    GEMM_CASE(op, "NT odd primes", 0, 1, 37, 41, 43, engine, 0, 1e-10),                       \
    GEMM_CASE(op, "TN odd primes", 1, 0, 37, 41, 43, engine, 0, 1e-10),                       \
    GEMM_CASE(op, "TT odd primes", 1, 1, 37, 41, 43, engine, 0, 1e-10),                       \
    GEMM_CASE(op, "Dense 32x100x163", 0, 0, 32, 100, 163, engine, 0, 1e-10),                  \
    GEMM_CASE(op, "tall-skinny 1031x7x13", 0, 1, 1031, 7, 13, engine, 0, 1e-10),             \
    GEMM_CASE(op, "k above work-group", 1, 0, 5, 3, CT_OPTEST_ABOVE_WG, engine, 0, 1e-9),   \
    GEMM_CASE(op_ld, "NN lda>k", 0, 0, 19, 23, 29, engine, 5, 1e-10),                         \
    GEMM_CASE(op_ld, "TT lda>m", 1, 1, 19, 23, 29, engine, 3, 1e-10)

static const ct_optest_case cases[] = {
    ENGINE_CASES(op_gemm_clblast, op_gemm_clblast_ld, CT_GEMM_CLBLAST),
    ENGINE_CASES(op_gemm_own, op_gemm_own_ld, CT_GEMM_OWN),
};

const ct_optest_family ct_optest_family_gemm = CT_OPTEST_FAMILY("gemm", cases);
