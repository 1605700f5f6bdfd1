/* Op-test cases: every loss, with and without from_logits.
 *
 * in[0] = predictions (N, C), in[1] = targets (N, C), or (N) class ids for the
 * sparse loss. The op's output is the batch loss (the mean over samples),
 * read from a loss accumulator; the backward is the dpred the launcher
 * writes, scaled by the upstream gradient, against finite differences of the
 * reference mean.
 * ip[0]: rows in the first launch of the forward (0: one launch), so a case
 * can accumulate a batch of 32 and a smaller last batch of 1 and still expect
 * the mean over all samples. */
#include "selftest/families.h"
#include "selftest/ref/ref_loss.h"

#include "cltrain/loss.h"
#include "cltrain/ops.h"

static ct_status scalar_shape(const ct_optest_case *c, int *ndim, size_t *shape)
{
    (void)c;
    *ndim = 1;
    shape[0] = 1;
    return CT_OK;
}

static size_t rows_of(const ct_optest_case *c)
{
    return c->in[0].shape[0];
}
static size_t classes_of(const ct_optest_case *c)
{
    return ct_optest_count(c->in[0].ndim, c->in[0].shape) / rows_of(c);
}

/* Rows [first, first + rows) of predictions and targets as views. */
static ct_status row_views(ct_loss loss, const ct_optest_case *c, const ct_tensor *in, size_t first, size_t rows,
                           ct_tensor *pred, ct_tensor *target)
{
    size_t classes = classes_of(c), tc = loss == CT_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY ? 1 : classes;
    size_t pshape[2] = {rows, classes}, tshape[2] = {rows, tc};
    CT_TRY(ct_tensor_view(&in[0], first * classes, 2, pshape, pred));
    return ct_tensor_view(&in[1], first * tc, tc == 1 ? 1 : 2, tshape, target);
}

static ct_status loss_forward(ct_context *ctx, const ct_optest_case *c, const ct_tensor *in, ct_tensor *out,
                              ct_loss loss, int from_logits)
{
    size_t n = rows_of(c), first = c->ip[0] > 0 && (size_t)c->ip[0] < n ? (size_t)c->ip[0] : n;
    ct_loss_accum acc;
    CT_TRY(ct_loss_accum_create(ctx, &acc));
    ct_status s = CT_OK;
    for (size_t start = 0; start < n && s == CT_OK; start += first) {
        size_t rows = n - start < first ? n - start : first;
        ct_tensor pred, target;
        s = row_views(loss, c, in, start, rows, &pred, &target);
        if (s == CT_OK)
            s = ct_loss_forward_backward(ctx, loss, from_logits, &pred, &target, NULL, &acc);
    }
    double mean = 0;
    if (s == CT_OK)
        s = ct_loss_accum_read(ctx, &acc, &mean);
    if (s == CT_OK && acc.count != n)
        s = ct_fail(CT_ERR_INTERNAL, "the accumulator counted %llu samples, not %zu", (unsigned long long)acc.count, n);
    float value = (float)mean;
    if (s == CT_OK)
        s = ct_tensor_write(ctx, out, &value);
    ct_loss_accum_release(&acc);
    return s;
}

/* The training path: gradient and accumulation in one launch; dpred is
 * d(mean)/d(pred), so the harness' L = upstream * mean needs one scaling. */
static ct_status loss_backward(ct_context *ctx, const ct_optest_case *c, const ct_tensor *in, const ct_tensor *grad_out,
                               ct_tensor *grad_in, ct_loss loss, int from_logits)
{
    (void)c;
    if (!grad_in[0].buf) /* forward-only case (clipped inputs: finite differences straddle the kink) */
        return CT_OK;
    float upstream;
    CT_TRY(ct_tensor_read(ctx, grad_out, &upstream));
    ct_loss_accum acc;
    CT_TRY(ct_loss_accum_create(ctx, &acc));
    ct_status s = ct_loss_forward_backward(ctx, loss, from_logits, &in[0], &in[1], &grad_in[0], &acc);
    ct_loss_accum_release(&acc);
    CT_TRY(s);
    return ct_scale(ctx, upstream, &grad_in[0], &grad_in[0]);
}

static void loss_reference(const ct_optest_case *c, const double *const *in, double *out, ct_loss loss, int from_logits)
{
    out[0] = ref_loss_mean(loss, from_logits, rows_of(c), classes_of(c), in[0], in[1]);
}

#define LOSS_OP(var, name, loss, from_logits)                                                                          \
    static ct_status var##_fwd(ct_context *ctx, const ct_optest_case *c, const ct_tensor *in, ct_tensor *out)          \
    {                                                                                                                  \
        return loss_forward(ctx, c, in, out, loss, from_logits);                                                       \
    }                                                                                                                  \
    static ct_status var##_bwd(ct_context *ctx, const ct_optest_case *c, const ct_tensor *in, const ct_tensor *out,    \
                               const ct_tensor *grad_out, ct_tensor *grad_in)                                          \
    {                                                                                                                  \
        (void)out;                                                                                                     \
        return loss_backward(ctx, c, in, grad_out, grad_in, loss, from_logits);                                        \
    }                                                                                                                  \
    static void var##_ref(const ct_optest_case *c, const double *const *in, double *out)                               \
    {                                                                                                                  \
        loss_reference(c, in, out, loss, from_logits);                                                                 \
    }                                                                                                                  \
    static const ct_optest_op var = {name, scalar_shape, var##_fwd, var##_ref, var##_bwd, NULL};

LOSS_OP(op_mse, "mse", CT_LOSS_MSE, 0)
LOSS_OP(op_mae, "mae", CT_LOSS_MAE, 0)
LOSS_OP(op_bce, "binary_crossentropy", CT_LOSS_BINARY_CROSSENTROPY, 0)
LOSS_OP(op_bce_logits, "binary_crossentropy_from_logits", CT_LOSS_BINARY_CROSSENTROPY, 1)
LOSS_OP(op_cce, "categorical_crossentropy", CT_LOSS_CATEGORICAL_CROSSENTROPY, 0)
LOSS_OP(op_cce_logits, "categorical_crossentropy_from_logits", CT_LOSS_CATEGORICAL_CROSSENTROPY, 1)
LOSS_OP(op_scce, "sparse_categorical_crossentropy", CT_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, 0)
LOSS_OP(op_scce_logits, "sparse_categorical_crossentropy_from_logits", CT_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, 1)

/* Inputs: predictions in [lo, hi) with gradient; targets without. */
// clang-format off
#define PRED(n, c, lo, hi) {2, {n, c}, lo, hi, 0, 1}
#define PRED_INT(n, c, lo, hi) {2, {n, c}, lo, hi, 1, 0} /* integer values: exact clip bounds, forward only */
#define TARGET(n, c) {2, {n, c}, 0, 1, 0, 0}
#define TARGET_REAL(n, c) {2, {n, c}, -2, 2, 0, 0}
#define TARGET_BINARY(n, c) {2, {n, c}, 0, 2, 1, 0}
#define CLASS_IDS(n, c) {1, {n}, 0, c, 1, 0}
// clang-format on

#define FWD_TOL 1e-10 /* the batch mean, float vs double */
#define GRAD_TOL 1e-8 /* measured worst 4e-11 (binary crossentropy near p = 0.02: finite-difference truncation) */
#define TOL FWD_TOL, GRAD_TOL
#define ABOVE CT_OPTEST_ABOVE_WG

// clang-format off
static const ct_optest_case cases[] = {
    /* mse, mae: real-valued targets */
    {&op_mse, "batch 1", 2, {PRED(1, 1, -2, 2), TARGET_REAL(1, 1)}, {0}, {0}, TOL},
    {&op_mse, "batch 33, 7 outputs", 2, {PRED(33, 7, -2, 2), TARGET_REAL(33, 7)}, {0}, {0}, TOL},
    {&op_mse, "batches 32 + 1", 2, {PRED(33, 5, -2, 2), TARGET_REAL(33, 5)}, {32}, {0}, TOL},
    {&op_mse, "rows above work-group size", 2, {PRED(ABOVE, 3, -2, 2), TARGET_REAL(ABOVE, 3)}, {0}, {0}, TOL},
    {&op_mae, "batch 1", 2, {PRED(1, 1, -2, 2), TARGET_REAL(1, 1)}, {0}, {0}, TOL},
    {&op_mae, "batch 33, 7 outputs", 2, {PRED(33, 7, -2, 2), TARGET_REAL(33, 7)}, {0}, {0}, TOL},
    {&op_mae, "batches 20 + 13", 2, {PRED(33, 2, -2, 2), TARGET_REAL(33, 2)}, {20}, {0}, TOL},
    {&op_mae, "rows above work-group size", 2, {PRED(ABOVE, 2, -2, 2), TARGET_REAL(ABOVE, 2)}, {0}, {0}, TOL},

    /* binary crossentropy: soft and hard targets, 1 and 7 outputs */
    {&op_bce, "batch 1, 1 output", 2, {PRED(1, 1, 0.02f, 0.98f), TARGET(1, 1)}, {0}, {0}, TOL},
    {&op_bce, "batch 33, 1 output", 2, {PRED(33, 1, 0.02f, 0.98f), TARGET_BINARY(33, 1)}, {0}, {0}, TOL},
    {&op_bce, "batch 33, 7 outputs", 2, {PRED(33, 7, 0.02f, 0.98f), TARGET(33, 7)}, {0}, {0}, TOL},
    {&op_bce, "batches 32 + 1", 2, {PRED(33, 1, 0.02f, 0.98f), TARGET_BINARY(33, 1)}, {32}, {0}, TOL},
    {&op_bce, "rows above work-group size", 2, {PRED(ABOVE, 1, 0.02f, 0.98f), TARGET_BINARY(ABOVE, 1)}, {0}, {0},
     TOL},
    {&op_bce, "probabilities exactly 0 and 1 (clipped)", 2, {PRED_INT(33, 7, 0, 2), TARGET(33, 7)}, {0}, {0}, TOL},
    {&op_bce_logits, "batch 1, 1 output", 2, {PRED(1, 1, -6, 6), TARGET(1, 1)}, {0}, {0}, TOL},
    {&op_bce_logits, "batch 33, 1 output", 2, {PRED(33, 1, -6, 6), TARGET_BINARY(33, 1)}, {0}, {0}, TOL},
    {&op_bce_logits, "batch 33, 7 outputs", 2, {PRED(33, 7, -6, 6), TARGET(33, 7)}, {0}, {0}, TOL},
    {&op_bce_logits, "extreme logits +-50", 2, {PRED(33, 7, -50, 50), TARGET_BINARY(33, 7)}, {0}, {0}, TOL},
    {&op_bce_logits, "rows above work-group size", 2, {PRED(ABOVE, 1, -6, 6), TARGET_BINARY(ABOVE, 1)}, {0}, {0},
     TOL},

    /* categorical crossentropy: targets need not be one-hot for the formula */
    {&op_cce, "batch 1, 10 classes", 2, {PRED(1, 10, 0.05f, 1), TARGET(1, 10)}, {0}, {0}, TOL},
    {&op_cce, "batch 33, 10 classes", 2, {PRED(33, 10, 0.05f, 1), TARGET(33, 10)}, {0}, {0}, TOL},
    {&op_cce, "batch 33, 7 classes", 2, {PRED(33, 7, 0.05f, 1), TARGET(33, 7)}, {0}, {0}, TOL},
    {&op_cce, "batches 32 + 1", 2, {PRED(33, 10, 0.05f, 1), TARGET(33, 10)}, {32}, {0}, TOL},
    {&op_cce, "1 class (always clipped)", 2, {PRED(5, 1, 0.05f, 1), TARGET(5, 1)}, {0}, {0}, TOL},
    {&op_cce, "rows above work-group size", 2, {PRED(ABOVE, 10, 0.05f, 1), TARGET(ABOVE, 10)}, {0}, {0}, TOL},
    {&op_cce, "probabilities with exact zeros (clipped)", 2, {PRED_INT(33, 7, 0, 3), TARGET(33, 7)}, {0}, {0}, TOL},
    {&op_cce_logits, "batch 1, 10 classes", 2, {PRED(1, 10, -5, 5), TARGET(1, 10)}, {0}, {0}, TOL},
    {&op_cce_logits, "batch 33, 10 classes", 2, {PRED(33, 10, -5, 5), TARGET(33, 10)}, {0}, {0}, TOL},
    {&op_cce_logits, "batch 33, 7 classes", 2, {PRED(33, 7, -5, 5), TARGET(33, 7)}, {0}, {0}, TOL},
    {&op_cce_logits, "1 class", 2, {PRED(5, 1, -5, 5), TARGET(5, 1)}, {0}, {0}, TOL},
    {&op_cce_logits, "extreme logits +-50", 2, {PRED(33, 10, -50, 50), TARGET(33, 10)}, {0}, {0}, TOL},
    {&op_cce_logits, "rows above work-group size", 2, {PRED(ABOVE, 10, -5, 5), TARGET(ABOVE, 10)}, {0}, {0}, TOL},

    /* sparse categorical crossentropy: class ids 0..C-1 */
    {&op_scce, "batch 1, 10 classes", 2, {PRED(1, 10, 0.05f, 1), CLASS_IDS(1, 10)}, {0}, {0}, TOL},
    {&op_scce, "batch 33, 10 classes", 2, {PRED(33, 10, 0.05f, 1), CLASS_IDS(33, 10)}, {0}, {0}, TOL},
    {&op_scce, "batch 33, 7 classes", 2, {PRED(33, 7, 0.05f, 1), CLASS_IDS(33, 7)}, {0}, {0}, TOL},
    {&op_scce, "batches 32 + 1", 2, {PRED(33, 10, 0.05f, 1), CLASS_IDS(33, 10)}, {32}, {0}, TOL},
    {&op_scce, "rows above work-group size", 2, {PRED(ABOVE, 10, 0.05f, 1), CLASS_IDS(ABOVE, 10)}, {0}, {0}, TOL},
    {&op_scce, "probabilities exactly 0 and 1 (clipped)", 2, {PRED_INT(33, 7, 0, 2), CLASS_IDS(33, 7)}, {0}, {0},
     TOL},
    {&op_scce_logits, "batch 1, 10 classes", 2, {PRED(1, 10, -5, 5), CLASS_IDS(1, 10)}, {0}, {0}, TOL},
    {&op_scce_logits, "batch 33, 10 classes", 2, {PRED(33, 10, -5, 5), CLASS_IDS(33, 10)}, {0}, {0}, TOL},
    {&op_scce_logits, "batch 33, 7 classes", 2, {PRED(33, 7, -5, 5), CLASS_IDS(33, 7)}, {0}, {0}, TOL},
    {&op_scce_logits, "batches 32 + 1", 2, {PRED(33, 10, -5, 5), CLASS_IDS(33, 10)}, {32}, {0}, TOL},
    {&op_scce_logits, "extreme logits +-50", 2, {PRED(33, 10, -50, 50), CLASS_IDS(33, 10)}, {0}, {0}, TOL},
    {&op_scce_logits, "rows above work-group size", 2, {PRED(ABOVE, 10, -5, 5), CLASS_IDS(ABOVE, 10)}, {0}, {0},
     TOL},
};
// clang-format on
const ct_optest_family ct_optest_family_loss = CT_OPTEST_FAMILY("loss", cases);
