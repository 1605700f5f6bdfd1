/* Op-test cases: GEMM through each engine, every transpose combination,
 * offsets (the harness places every tensor at an offset) and leading
 * dimensions larger than the matrix width; alpha and beta; the default path
 * (ct_gemm: engine selection); larger forward-only products for the own
 * engine's packing, split-K and conv-shaped paths.
 * ip: [0] trans_a [1] trans_b [2] m [3] n [4] k [5] engine [6] extra columns of
 * padding in each leading dimension [7] the epilogue's activation (fused cases). */
#include "selftest/families.h"
#include "selftest/ref/ref.h"
#include "selftest/ref/ref_nn.h"

#include "cltrain/gemm.h"

/* ip[2..4] are m, n, k: positive once resolve_case has replaced the work-group marker. */
static size_t cols_a(const ct_optest_case *c) { return (size_t)(c->ip[0] ? c->ip[2] : c->ip[4]); }
static size_t cols_b(const ct_optest_case *c) { return (size_t)(c->ip[1] ? c->ip[4] : c->ip[3]); }

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

/* Inputs of C = op(A) op(B) for given transposes, sizes and padding. The
 * sizes are size_t in the shapes and long in ip: CT_OPTEST_ABOVE_WG becomes
 * (long)CT_OPTEST_ABOVE_WG there, the value resolve_case looks for. */
#define GEMM_CASE(op, label, ta, tb, m, n, k, engine, pad, tol)                                               \
    {&(op), label, 2,                                                                                        \
     {{2, {(ta) ? (k) : (m), ((ta) ? (m) : (k)) + (pad)}, -1, 1, 0, (pad) == 0},                             \
      {2, {(tb) ? (n) : (k), ((tb) ? (k) : (n)) + (pad)}, -1, 1, 0, (pad) == 0}},                            \
     {ta, tb, (long)(m), (long)(n), (long)(k), engine, pad}, {0}, tol, 1e-5}

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

/* ---- C = alpha op(A) op(B) + beta C0: a third input C0 (m x n) is copied
 * into the output first; fp: [0] alpha [1] beta. Forward only. */
static ct_status gemm_scaled_fwd(ct_context *ctx, const ct_optest_case *c, const ct_tensor *in, ct_tensor *out)
{
    size_t bytes = (size_t)c->ip[2] * (size_t)c->ip[3] * sizeof(float);
    cl_int err = clEnqueueCopyBuffer(ct_context_queue(ctx), in[2].buf, out->buf, in[2].offset * sizeof(float),
                                     out->offset * sizeof(float), bytes, 0, NULL, NULL);
    if (err != CL_SUCCESS)
        return ct_cl_fail(err, "copying C0");
    ct_gemm_args g = args_for(c, &in[0], &in[1], out);
    g.alpha = c->fp[0];
    g.beta = c->fp[1];
    return c->ip[5] == CT_GEMM_AUTO ? ct_gemm(ctx, &g) : ct_gemm_with(ctx, (ct_gemm_engine)c->ip[5], &g);
}

static void gemm_scaled_ref(const ct_optest_case *c, const double *const *in, double *out)
{
    size_t mn = (size_t)c->ip[2] * (size_t)c->ip[3];
    for (size_t i = 0; i < mn; i++)
        out[i] = in[2][i];
    ref_gemm((int)c->ip[0], (int)c->ip[1], (size_t)c->ip[2], (size_t)c->ip[3], (size_t)c->ip[4], c->fp[0], in[0],
             cols_a(c) + (size_t)c->ip[6], in[1], cols_b(c) + (size_t)c->ip[6], c->fp[1], out, (size_t)c->ip[3]);
}

/* ct_gemm() itself: the engine chosen for the device (or CLTRAIN_GEMM_ENGINE). */
static ct_status gemm_auto_fwd(ct_context *ctx, const ct_optest_case *c, const ct_tensor *in, ct_tensor *out)
{
    ct_gemm_args g = args_for(c, &in[0], &in[1], out);
    return ct_gemm(ctx, &g);
}

static int always(ct_context *ctx, const ct_optest_case *c)
{
    (void)ctx;
    (void)c;
    return 1;
}

static int scaled_supported(ct_context *ctx, const ct_optest_case *c)
{
    return c->ip[5] == CT_GEMM_AUTO || engine_supported(ctx, c);
}

static const ct_optest_op op_gemm_own_ab = {"gemm_own_ab", gemm_shape, gemm_scaled_fwd, gemm_scaled_ref, NULL,
                                            scaled_supported};
static const ct_optest_op op_gemm_clblast_ab = {"gemm_clblast_ab", gemm_shape, gemm_scaled_fwd, gemm_scaled_ref,
                                                NULL, scaled_supported};
static const ct_optest_op op_gemm_auto = {"gemm_auto", gemm_shape, gemm_auto_fwd, gemm_ref, NULL, always};
static const ct_optest_op op_gemm_auto_ab = {"gemm_auto_ab", gemm_shape, gemm_scaled_fwd, gemm_scaled_ref, NULL,
                                             always};
/* Larger products, forward only (the reference is O(mnk) in double and the
 * finite-difference check would multiply that by ~200): the own engine's
 * packed panels, split-K and conv-like tall shapes. */
static const ct_optest_op op_gemm_own_big = {"gemm_own_big", gemm_shape, gemm_fwd, gemm_ref, NULL, engine_supported};

#define SCALED_CASE(op, label, ta, tb, m, n, k, engine, alpha, beta)                                          \
    {&(op), label, 3,                                                                                        \
     {{2, {(ta) ? (k) : (m), (ta) ? (m) : (k)}, -1, 1, 0, 0},                                                \
      {2, {(tb) ? (n) : (k), (tb) ? (k) : (n)}, -1, 1, 0, 0},                                                \
      {2, {m, n}, -1, 1, 0, 0}},                                                                             \
     {ta, tb, m, n, k, engine, 0}, {alpha, beta}, 1e-10, 0}

#define SCALED_CASES(op, engine)                                                                     \
    SCALED_CASE(op, "NN alpha beta", 0, 0, 37, 41, 43, engine, 0.5f, -1.25f),                         \
    SCALED_CASE(op, "NT alpha beta", 0, 1, 37, 41, 43, engine, -2.0f, 0.75f),                         \
    SCALED_CASE(op, "TN alpha beta", 1, 0, 37, 41, 43, engine, 1.5f, 1.0f),                           \
    SCALED_CASE(op, "TT alpha beta", 1, 1, 37, 41, 43, engine, 1.0f, 0.5f),                           \
    SCALED_CASE(op, "packed NN beta 1", 0, 0, 130, 70, 150, engine, 1.0f, 1.0f),                       \
    SCALED_CASE(op, "split-K TN alpha beta", 1, 0, 27, 32, 1500, engine, 0.25f, -0.5f)

/* ---- C = act(op(A) op(B) + bias): a third input, the bias (n); ip[7] the
 * activation. Relu and linear fuse into the own engine's tile kernel; other
 * activations and engines take a second launch. Forward only: the backward
 * is the bias+activation op's and the GEMM's, tested above and in nn. */
static ct_status gemm_fused_fwd(ct_context *ctx, const ct_optest_case *c, const ct_tensor *in, ct_tensor *out)
{
    ct_gemm_args g = args_for(c, &in[0], &in[1], out);
    ct_gemm_epilogue epi = {.bias = in[2].buf, .bias_offset = in[2].offset, .activation = (ct_activation)c->ip[7]};
    if (c->ip[5] == CT_GEMM_AUTO)
        return ct_gemm_fused(ctx, &g, &epi);
    return ct_gemm_fused_with(ctx, (ct_gemm_engine)c->ip[5], &g, &epi);
}

static void gemm_fused_ref(const ct_optest_case *c, const double *const *in, double *out)
{
    size_t m = (size_t)c->ip[2], n = (size_t)c->ip[3];
    gemm_ref(c, in, out);
    ref_bias_activation((ct_activation)c->ip[7], m, n, out, in[2], out);
}

static const ct_optest_op op_gemm_fused = {"gemm_fused", gemm_shape, gemm_fused_fwd, gemm_fused_ref, NULL,
                                           scaled_supported};

/* ---- Backward: C = (op(A) op(B)) * act'(Y), Y (m x n) the third input, as
 * the input gradient of a Dense layer whose input is an activation's output. */
static ct_status gemm_dact_fwd(ct_context *ctx, const ct_optest_case *c, const ct_tensor *in, ct_tensor *out)
{
    ct_gemm_args g = args_for(c, &in[0], &in[1], out);
    ct_gemm_epilogue epi = {.activation = (ct_activation)c->ip[7], .y = in[2].buf, .y_offset = in[2].offset};
    if (c->ip[5] == CT_GEMM_AUTO)
        return ct_gemm_fused(ctx, &g, &epi);
    return ct_gemm_fused_with(ctx, (ct_gemm_engine)c->ip[5], &g, &epi);
}

/* act'(.) from the output y, for the activations these cases use. */
static double ref_grad_from_y(ct_activation act, double y)
{
    switch (act) {
    case CT_ACTIVATION_RELU:
        return y > 0 ? 1.0 : 0.0;
    case CT_ACTIVATION_TANH:
        return 1.0 - y * y;
    default:
        return 1.0;
    }
}

static void gemm_dact_ref(const ct_optest_case *c, const double *const *in, double *out)
{
    size_t mn = (size_t)c->ip[2] * (size_t)c->ip[3];
    gemm_ref(c, in, out);
    for (size_t i = 0; i < mn; i++)
        out[i] *= ref_grad_from_y((ct_activation)c->ip[7], in[2][i]);
}

/* ---- Column sums of B with the product: the output holds C (m x n) and
 * then one more row, the sums (the bias gradient of a Dense layer, computed
 * in its weight gradient's launch). B not transposed; the third input is a
 * bias (unused by the linear, bias-free epilogue, kept for the shape). */
static ct_status gemm_sums_shape(const ct_optest_case *c, int *ndim, size_t *shape)
{
    *ndim = 2;
    shape[0] = (size_t)c->ip[2] + 1;
    shape[1] = (size_t)c->ip[3];
    return CT_OK;
}

static ct_status gemm_sums_fwd(ct_context *ctx, const ct_optest_case *c, const ct_tensor *in, ct_tensor *out)
{
    ct_gemm_args g = args_for(c, &in[0], &in[1], out);
    size_t mn = (size_t)c->ip[2] * (size_t)c->ip[3];
    ct_gemm_epilogue epi = {.activation = CT_ACTIVATION_LINEAR, .col_sums = out->buf, .col_sums_offset = out->offset + mn};
    if (c->ip[5] == CT_GEMM_AUTO)
        return ct_gemm_fused(ctx, &g, &epi);
    return ct_gemm_fused_with(ctx, (ct_gemm_engine)c->ip[5], &g, &epi);
}

static void gemm_sums_ref(const ct_optest_case *c, const double *const *in, double *out)
{
    size_t m = (size_t)c->ip[2], n = (size_t)c->ip[3], k = (size_t)c->ip[4];
    gemm_ref(c, in, out);
    for (size_t j = 0; j < n; j++) {
        double sum = 0;
        for (size_t p = 0; p < k; p++)
            sum += in[1][p * n + j];
        out[m * n + j] = sum;
    }
}

static const ct_optest_op op_gemm_fused_dact = {"gemm_fused_dact", gemm_shape, gemm_dact_fwd, gemm_dact_ref, NULL,
                                                scaled_supported};
static const ct_optest_op op_gemm_fused_sums = {"gemm_fused_sums", gemm_sums_shape, gemm_sums_fwd, gemm_sums_ref,
                                                NULL, scaled_supported};

#define DACT_CASE(label, ta, tb, m, n, k, engine, act)                                                        \
    {&op_gemm_fused_dact, label, 3,                                                                          \
     {{2, {(ta) ? (k) : (m), (ta) ? (m) : (k)}, -1, 1, 0, 0},                                                \
      {2, {(tb) ? (n) : (k), (tb) ? (k) : (n)}, -1, 1, 0, 0},                                                \
      {2, {m, n}, -1, 1, 0, 0}},                                                                             \
     {ta, tb, m, n, k, engine, 0, act}, {0}, 1e-10, 0}

#define SUMS_CASE(label, ta, m, n, k, engine)                                                                 \
    {&op_gemm_fused_sums, label, 3,                                                                          \
     {{2, {(ta) ? (k) : (m), (ta) ? (m) : (k)}, -1, 1, 0, 0},                                                \
      {2, {k, n}, -1, 1, 0, 0},                                                                              \
      {1, {n}, -1, 1, 0, 0}},                                                                                \
     {ta, 0, m, n, k, engine, 0, CT_ACTIVATION_LINEAR}, {0}, 1e-10, 0}

#define FUSED_CASE(label, ta, tb, m, n, k, engine, act)                                                       \
    {&op_gemm_fused, label, 3,                                                                               \
     {{2, {(ta) ? (k) : (m), (ta) ? (m) : (k)}, -1, 1, 0, 0},                                                \
      {2, {(tb) ? (n) : (k), (tb) ? (k) : (n)}, -1, 1, 0, 0},                                                \
      {1, {n}, -1, 1, 0, 0}},                                                                                \
     {ta, tb, m, n, k, engine, 0, act}, {0}, 1e-10, 0}

/* ---- Two GEMMs in one call (ct_gemm_pair: one launch of the own engine's
 * tile kernel where it can, two calls otherwise). ip[0]: index into
 * pair_specs, ip[1]: engine. Inputs: A0 then B0 (one vector), A1 then B1,
 * X0, X1: per GEMM its epilogue's bias (n) or Y (m x n). The output holds
 * C0, then the column sums of B0 when asked, then C1 and its sums. */
enum { PAIR_NONE, PAIR_RELU_BIAS, PAIR_DRELU, PAIR_COLSUM, PAIR_DTANH };

typedef struct {
    int ta, tb;
    size_t m, n, k;
    float alpha;
    int epi; /* PAIR_* */
} pair_gemm;

/* Each GEMM as (ta, tb, m, n, k, alpha, epilogue), so that the case table
 * can size the inputs from the same numbers. */
#define PAIR_DENSE_BWD_0 (1, 0, 100, 50, 32, 1.0f, PAIR_COLSUM)
#define PAIR_DENSE_BWD_1 (0, 1, 32, 100, 50, 1.0f, PAIR_DRELU)
#define PAIR_DENSE_OUT_0 (1, 0, 50, 1, 32, 1.0f, PAIR_COLSUM)
#define PAIR_DENSE_OUT_1 (0, 1, 32, 50, 1, 1.0f, PAIR_DRELU)
#define PAIR_SPLIT_0 (1, 0, 27, 40, 1500, 1.0f, PAIR_DRELU)
#define PAIR_SPLIT_1 (0, 0, 37, 41, 43, 0.5f, PAIR_RELU_BIAS)
#define PAIR_PACKED_0 (0, 1, 130, 70, 300, 1.0f, PAIR_NONE)
#define PAIR_PACKED_1 (0, 1, 61, 45, 150, -1.5f, PAIR_DRELU)
#define PAIR_PACK_A_0 (1, 1, 19, 23, 29, 1.0f, PAIR_NONE)
#define PAIR_PACK_A_1 (0, 0, 24, 70, 1024, 1.0f, PAIR_COLSUM)
#define PAIR_SPLITS_0 (1, 0, 27, 32, 2000, 1.0f, PAIR_COLSUM)
#define PAIR_SPLITS_1 (0, 0, 20, 40, 3000, 2.0f, PAIR_NONE)
#define PAIR_TANH_0 (1, 0, 100, 50, 32, 1.0f, PAIR_COLSUM)
#define PAIR_TANH_1 (0, 1, 32, 100, 50, 1.0f, PAIR_DTANH)
#define PAIR_INLINE_0 (0, 1, 32, 203, 10, 1.0f, PAIR_NONE)
#define PAIR_INLINE_1 (0, 1, 300, 90, 200, 1.0f, PAIR_DRELU)

#define PAIR_APPLY(f, args) f args
#define PAIR_INIT(ta, tb, m, n, k, alpha, epi) {ta, tb, m, n, k, alpha, epi}
#define PAIR_AB(ta, tb, m, n, k, alpha, epi) ((m) * (k) + (k) * (n))
#define PAIR_X(ta, tb, m, n, k, alpha, epi)                                                                   \
    ((epi) == PAIR_RELU_BIAS ? (n) : ((epi) == PAIR_DRELU || (epi) == PAIR_DTANH) ? (m) * (n) : 1)

enum { PAIR_DENSE_BWD, PAIR_DENSE_OUT, PAIR_SPLIT, PAIR_PACKED, PAIR_PACK_A, PAIR_SPLITS, PAIR_TANH, PAIR_INLINE };

static const pair_gemm pair_specs[][2] = {
    /* A Dense layer's backward (100 -> 50 units, batch 32): dW + db, dx relu'. */
    [PAIR_DENSE_BWD] = {PAIR_APPLY(PAIR_INIT, PAIR_DENSE_BWD_0), PAIR_APPLY(PAIR_INIT, PAIR_DENSE_BWD_1)},
    /* The output layer's (50 -> 1): single-column dW, edge tiles everywhere. */
    [PAIR_DENSE_OUT] = {PAIR_APPLY(PAIR_INIT, PAIR_DENSE_OUT_0), PAIR_APPLY(PAIR_INIT, PAIR_DENSE_OUT_1)},
    /* Split-K in the first, a forward epilogue in the second (edge tiles). */
    [PAIR_SPLIT] = {PAIR_APPLY(PAIR_INIT, PAIR_SPLIT_0), PAIR_APPLY(PAIR_INIT, PAIR_SPLIT_1)},
    /* Packed B in both (pack tasks and ready flags in both sync regions). */
    [PAIR_PACKED] = {PAIR_APPLY(PAIR_INIT, PAIR_PACKED_0), PAIR_APPLY(PAIR_INIT, PAIR_PACKED_1)},
    /* Packed A and split-K with column sums in the second (lda 1024). */
    [PAIR_PACK_A] = {PAIR_APPLY(PAIR_INIT, PAIR_PACK_A_0), PAIR_APPLY(PAIR_INIT, PAIR_PACK_A_1)},
    /* Split-K in both (partial products side by side in the workspace). */
    [PAIR_SPLITS] = {PAIR_APPLY(PAIR_INIT, PAIR_SPLITS_0), PAIR_APPLY(PAIR_INIT, PAIR_SPLITS_1)},
    /* An epilogue the tile kernel does not fuse: two calls. */
    [PAIR_TANH] = {PAIR_APPLY(PAIR_INIT, PAIR_TANH_0), PAIR_APPLY(PAIR_INIT, PAIR_TANH_1)},
    /* B packed by its one task in the first, pack tasks in the second. */
    [PAIR_INLINE] = {PAIR_APPLY(PAIR_INIT, PAIR_INLINE_0), PAIR_APPLY(PAIR_INIT, PAIR_INLINE_1)},
};

static const pair_gemm *pair_of(const ct_optest_case *c)
{
    return pair_specs[c->ip[0]];
}

static size_t pair_a_size(const pair_gemm *g) { return g->m * g->k; }
/* C and its column sums, if any. */
static size_t pair_out_size(const pair_gemm *g) { return g->m * g->n + (g->epi == PAIR_COLSUM ? g->n : 0); }

static ct_status pair_shape(const ct_optest_case *c, int *ndim, size_t *shape)
{
    const pair_gemm *p = pair_of(c);
    *ndim = 1;
    shape[0] = pair_out_size(&p[0]) + pair_out_size(&p[1]);
    return CT_OK;
}

static ct_status pair_fwd(ct_context *ctx, const ct_optest_case *c, const ct_tensor *in, ct_tensor *out)
{
    const pair_gemm *p = pair_of(c);
    ct_gemm_args g[2];
    ct_gemm_epilogue e[2];
    size_t at = out->offset;
    for (int i = 0; i < 2; i++) {
        const pair_gemm *q = &p[i];
        const ct_tensor *ab = &in[i], *x = &in[2 + i];
        g[i] = (ct_gemm_args){q->ta ? CT_TRANS : CT_NO_TRANS, q->tb ? CT_TRANS : CT_NO_TRANS, q->m, q->n, q->k,
                              q->alpha, 0.0f, ab->buf, ab->offset, q->ta ? q->m : q->k, ab->buf,
                              ab->offset + pair_a_size(q), q->tb ? q->k : q->n, out->buf, at, q->n};
        e[i] = (ct_gemm_epilogue){.activation = CT_ACTIVATION_LINEAR};
        if (q->epi == PAIR_RELU_BIAS)
            e[i] = (ct_gemm_epilogue){.bias = x->buf, .bias_offset = x->offset, .activation = CT_ACTIVATION_RELU};
        else if (q->epi == PAIR_DRELU || q->epi == PAIR_DTANH)
            e[i] = (ct_gemm_epilogue){.activation = q->epi == PAIR_DRELU ? CT_ACTIVATION_RELU : CT_ACTIVATION_TANH,
                                      .y = x->buf, .y_offset = x->offset};
        else if (q->epi == PAIR_COLSUM)
            e[i].col_sums = out->buf, e[i].col_sums_offset = at + q->m * q->n;
        at += pair_out_size(q);
    }
    const ct_gemm_epilogue *e0 = p[0].epi ? &e[0] : NULL, *e1 = p[1].epi ? &e[1] : NULL;
    if (c->ip[1] == CT_GEMM_AUTO)
        return ct_gemm_pair(ctx, &g[0], e0, &g[1], e1);
    return ct_gemm_pair_with(ctx, (ct_gemm_engine)c->ip[1], &g[0], e0, &g[1], e1);
}

static void pair_ref(const ct_optest_case *c, const double *const *in, double *out)
{
    const pair_gemm *p = pair_of(c);
    for (int i = 0; i < 2; i++) {
        const pair_gemm *q = &p[i];
        const double *a = in[i], *b = in[i] + pair_a_size(q), *x = in[2 + i];
        size_t mn = q->m * q->n;
        ref_gemm(q->ta, q->tb, q->m, q->n, q->k, q->alpha, a, q->ta ? q->m : q->k, b, q->tb ? q->k : q->n, 0.0, out,
                 q->n);
        if (q->epi == PAIR_RELU_BIAS)
            ref_bias_activation(CT_ACTIVATION_RELU, q->m, q->n, out, x, out);
        for (size_t e = 0; e < mn && (q->epi == PAIR_DRELU || q->epi == PAIR_DTANH); e++)
            out[e] *= ref_grad_from_y(q->epi == PAIR_DRELU ? CT_ACTIVATION_RELU : CT_ACTIVATION_TANH, x[e]);
        for (size_t j = 0; j < q->n && q->epi == PAIR_COLSUM; j++) {
            double sum = 0;
            for (size_t r = 0; r < q->k; r++)
                sum += b[r * q->n + j];
            out[mn + j] = sum;
        }
        out += pair_out_size(q);
    }
}

static int pair_supported(ct_context *ctx, const ct_optest_case *c)
{
    return c->ip[1] == CT_GEMM_AUTO || ct_gemm_engine_available(ctx, (ct_gemm_engine)c->ip[1]);
}

static const ct_optest_op op_gemm_pair = {"gemm_pair", pair_shape, pair_fwd, pair_ref, NULL, pair_supported};

#define PAIR_CASE(label, spec, engine)                                                                     \
    {&op_gemm_pair, label, 4,                                                                             \
     {{1, {PAIR_APPLY(PAIR_AB, spec##_0)}, -1, 1, 0, 0}, {1, {PAIR_APPLY(PAIR_AB, spec##_1)}, -1, 1, 0, 0},                          \
      {1, {PAIR_APPLY(PAIR_X, spec##_0)}, -1, 1, 0, 0}, {1, {PAIR_APPLY(PAIR_X, spec##_1)}, -1, 1, 0, 0}},                           \
     {spec, engine}, {0}, 1e-10, 0}

#define BIG_CASE(label, ta, tb, m, n, k) GEMM_CASE(op_gemm_own_big, label, ta, tb, m, n, k, CT_GEMM_OWN, 0, 1e-10)

/* Square cases (1x1x1, 200x200x200) expand GEMM_CASE's choice of shape by
 * transpose into "t ? 1 : 1", which bugprone-branch-clone reports. */
/* NOLINTBEGIN(bugprone-branch-clone) */
static const ct_optest_case cases[] = {
    ENGINE_CASES(op_gemm_clblast, op_gemm_clblast_ld, CT_GEMM_CLBLAST),
    ENGINE_CASES(op_gemm_own, op_gemm_own_ld, CT_GEMM_OWN),
    /* Dense backward shapes of the workshop net (163 inputs, 100 units, batch 32). */
    GEMM_CASE(op_gemm_own, "Dense dX 32x163x100 NT", 0, 1, 32, 163, 100, CT_GEMM_OWN, 0, 1e-10),
    GEMM_CASE(op_gemm_own, "Dense dW 163x100x32 TN", 1, 0, 163, 100, 32, CT_GEMM_OWN, 0, 1e-10),
    GEMM_CASE(op_gemm_own, "GEMV-like 1x300x77", 0, 0, 1, 300, 77, CT_GEMM_OWN, 0, 1e-10),
    /* One task per B panel (few rows, short K): the task packs its panel itself. */
    GEMM_CASE(op_gemm_own, "Dense dX, B packed in task 32x203x10 NT", 0, 1, 32, 203, 10, CT_GEMM_OWN, 0, 1e-10),
    GEMM_CASE(op_gemm_own, "B packed in task 5x70x17 NT", 0, 1, 5, 70, 17, CT_GEMM_OWN, 0, 1e-10),
    GEMM_CASE(op_gemm_own_ld, "NT ldb>k, B packed in task", 0, 1, 20, 70, 11, CT_GEMM_OWN, 5, 1e-10),
    GEMM_CASE(op_gemm_own, "n=1 300x1x77 NT", 0, 1, 300, 1, 77, CT_GEMM_OWN, 0, 1e-10),
    GEMM_CASE(op_gemm_own_ld, "TN lda>m", 1, 0, 150, 100, 200, CT_GEMM_OWN, 7, 1e-10),
    GEMM_CASE(op_gemm_own_ld, "NT ldb>k packed", 0, 1, 131, 67, 71, CT_GEMM_OWN, 9, 1e-10),
    BIG_CASE("NN panels first 260x200x300", 0, 0, 260, 200, 300),
    /* Leading dimensions of 1024 floats (rows in one cache set): packed. */
    BIG_CASE("NN packed A, split-K 24x70x1024", 0, 0, 24, 70, 1024),
    BIG_CASE("NN packed B (ldb 1024) 50x1024x130", 0, 0, 50, 1024, 130),
    BIG_CASE("NT packed B^T 130x70x300", 0, 1, 130, 70, 300),
    /* op(B) past the cache (k x n > 64K floats): A and B packed, row blocks
     * of A taking the panels in turn; edge rows and columns in the last ones. */
    BIG_CASE("NN row blocks 70x300x260", 0, 0, 70, 300, 260),
    BIG_CASE("TN row blocks 70x300x260", 1, 0, 70, 300, 260),
    BIG_CASE("TN prefetched A^T 150x100x200", 1, 0, 150, 100, 200),
    BIG_CASE("TT 100x90x110", 1, 1, 100, 90, 110),
    BIG_CASE("split-K TN 27x32x2000", 1, 0, 27, 32, 2000),
    BIG_CASE("split-K NN 20x40x3000", 0, 0, 20, 40, 3000),
    BIG_CASE("split-K TN n=1 5x1x250000", 1, 0, 5, 1, 250000),
    BIG_CASE("conv1 fwd 2880x32x27", 0, 0, 2880, 32, 27),
    BIG_CASE("conv1 dX 2880x27x32 NT", 0, 1, 2880, 27, 32),
    BIG_CASE("conv2 fwd 2508x32x288", 0, 0, 2508, 32, 288),
    BIG_CASE("conv2 dX 2508x288x32 NT", 0, 1, 2508, 288, 32),
    BIG_CASE("conv2 dW 288x32x2508 TN", 1, 0, 288, 32, 2508),
    /* A C of 16 MiB: non-temporal stores. */
    BIG_CASE("streaming stores 2048x2048x4", 0, 0, 2048, 2048, 4),
    SCALED_CASES(op_gemm_own_ab, CT_GEMM_OWN),
    SCALED_CASES(op_gemm_clblast_ab, CT_GEMM_CLBLAST),
    /* The default path: engine selection (cached per device) or the override. */
    GEMM_CASE(op_gemm_auto, "Dense 32x100x163", 0, 0, 32, 100, 163, CT_GEMM_AUTO, 0, 1e-10),
    GEMM_CASE(op_gemm_auto, "NT odd primes", 0, 1, 37, 41, 43, CT_GEMM_AUTO, 0, 1e-10),
    GEMM_CASE(op_gemm_auto, "large 200x200x200", 0, 0, 200, 200, 200, CT_GEMM_AUTO, 0, 1e-10),
    GEMM_CASE(op_gemm_auto, "tall TN 27x32x2000", 1, 0, 27, 32, 2000, CT_GEMM_AUTO, 0, 1e-10),
    SCALED_CASE(op_gemm_auto_ab, "NN alpha beta", 0, 0, 37, 41, 43, CT_GEMM_AUTO, 0.5f, -1.25f),
    /* The Dense forward with its bias and activation in the GEMM's launch. */
    FUSED_CASE("Dense relu 32x100x163", 0, 0, 32, 100, 163, CT_GEMM_OWN, CT_ACTIVATION_RELU),
    FUSED_CASE("Dense linear 32x1x50", 0, 0, 32, 1, 50, CT_GEMM_OWN, CT_ACTIVATION_LINEAR),
    FUSED_CASE("relu odd primes NT", 0, 1, 37, 41, 43, CT_GEMM_OWN, CT_ACTIVATION_RELU),
    FUSED_CASE("relu split-K TN 27x40x1500", 1, 0, 27, 40, 1500, CT_GEMM_OWN, CT_ACTIVATION_RELU),
    FUSED_CASE("linear split-K TN n=7 20x7x8000", 1, 0, 20, 7, 8000, CT_GEMM_OWN, CT_ACTIVATION_LINEAR),
    FUSED_CASE("tanh (second launch) 37x41x43", 0, 0, 37, 41, 43, CT_GEMM_OWN, CT_ACTIVATION_TANH),
    FUSED_CASE("softmax (second launch) 20x10x30", 0, 0, 20, 10, 30, CT_GEMM_OWN, CT_ACTIVATION_SOFTMAX),
    FUSED_CASE("relu 37x41x43", 0, 0, 37, 41, 43, CT_GEMM_CLBLAST, CT_ACTIVATION_RELU),
    FUSED_CASE("relu 32x100x163", 0, 0, 32, 100, 163, CT_GEMM_AUTO, CT_ACTIVATION_RELU),
    /* The Dense backward: dx times the layer below's relu'(y), dbias with dW. */
    DACT_CASE("Dense dX relu' 32x100x50 NT", 0, 1, 32, 100, 50, CT_GEMM_OWN, CT_ACTIVATION_RELU),
    DACT_CASE("relu' odd primes NT", 0, 1, 37, 41, 43, CT_GEMM_OWN, CT_ACTIVATION_RELU),
    DACT_CASE("linear' odd primes NN", 0, 0, 37, 41, 43, CT_GEMM_OWN, CT_ACTIVATION_LINEAR),
    DACT_CASE("relu' split-K TN 27x40x1500", 1, 0, 27, 40, 1500, CT_GEMM_OWN, CT_ACTIVATION_RELU),
    DACT_CASE("tanh' (second launch) 37x41x43", 0, 1, 37, 41, 43, CT_GEMM_OWN, CT_ACTIVATION_TANH),
    DACT_CASE("relu' 37x41x43", 0, 1, 37, 41, 43, CT_GEMM_CLBLAST, CT_ACTIVATION_RELU),
    SUMS_CASE("Dense dW+db 163x100x32 TN", 1, 163, 100, 32, CT_GEMM_OWN),
    SUMS_CASE("Dense dW+db 50x1x32 TN", 1, 50, 1, 32, CT_GEMM_OWN),
    SUMS_CASE("odd primes NN", 0, 37, 41, 43, CT_GEMM_OWN),
    SUMS_CASE("split-K TN 27x40x1500", 1, 27, 40, 1500, CT_GEMM_OWN),
    SUMS_CASE("odd primes TN (second launch)", 1, 37, 41, 43, CT_GEMM_CLBLAST),
    SUMS_CASE("Dense dW+db 100x50x32 TN", 1, 100, 50, 32, CT_GEMM_AUTO),
    /* Two GEMMs in one launch (own engine on a CPU), two calls elsewhere. */
    PAIR_CASE("Dense dW+db 100x50x32 TN | dX relu' 32x100x50 NT", PAIR_DENSE_BWD, CT_GEMM_OWN),
    PAIR_CASE("Dense dW+db 50x1x32 TN | dX relu' 32x50x1 NT", PAIR_DENSE_OUT, CT_GEMM_OWN),
    PAIR_CASE("split-K TN relu' 27x40x1500 | NN relu+bias 37x41x43", PAIR_SPLIT, CT_GEMM_OWN),
    PAIR_CASE("packed B NT 130x70x300 | packed B NT relu' 61x45x150", PAIR_PACKED, CT_GEMM_OWN),
    PAIR_CASE("TT 19x23x29 | packed A, split-K NN+sums 24x70x1024", PAIR_PACK_A, CT_GEMM_OWN),
    PAIR_CASE("split-K TN+sums 27x32x2000 | split-K NN 20x40x3000", PAIR_SPLITS, CT_GEMM_OWN),
    PAIR_CASE("TN+sums 100x50x32 | tanh' (two calls) 32x100x50 NT", PAIR_TANH, CT_GEMM_OWN),
    PAIR_CASE("B packed in task NT 32x203x10 | packed B NT relu' 300x90x200", PAIR_INLINE, CT_GEMM_OWN),
    PAIR_CASE("Dense dW+db | dX relu' (two calls)", PAIR_DENSE_BWD, CT_GEMM_CLBLAST),
    PAIR_CASE("Dense dW+db | dX relu' (engine chosen)", PAIR_DENSE_BWD, CT_GEMM_AUTO),
};
/* NOLINTEND(bugprone-branch-clone) */

const ct_optest_family ct_optest_family_gemm = CT_OPTEST_FAMILY("gemm", cases);
