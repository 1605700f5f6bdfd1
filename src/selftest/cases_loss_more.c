/* Op-test cases: Keras' label_smoothing on the binary and categorical
 * crossentropies and fit's class_weight on every crossentropy
 * (ct_loss_and_metrics_ex), with and without from_logits, against the
 * reference loss of the smoothed targets, each sample weighted by its class.
 *
 * in[0] = predictions (N, C), in[1] = targets (N, C), or (N) class ids for the
 * sparse loss; in[2], when given, = class weights (K); fp[0] = label_smoothing.
 * The output is the batch mean loss; the backward is the dpred the launcher
 * writes, scaled by the upstream gradient, against finite differences of
 * the reference. */
#include <math.h>
#include <stdlib.h>

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

static size_t rows_of(const ct_optest_case *c) { return c->in[0].shape[0]; }
static size_t classes_of(const ct_optest_case *c) { return c->in[0].shape[1]; }

static ct_loss_options options_of(const ct_optest_case *c, const ct_tensor *in)
{
    ct_loss_options o = {.label_smoothing = c->fp[0], .class_weights = c->n_in > 2 ? &in[2] : NULL};
    return o;
}

static ct_status smoothed_forward(ct_context *ctx, const ct_optest_case *c, const ct_tensor *in, ct_tensor *out,
                                  ct_loss loss, int from_logits)
{
    ct_loss_accum acc;
    CT_TRY(ct_loss_accum_create(ctx, &acc));
    ct_loss_options options = options_of(c, in);
    ct_status s = ct_loss_and_metrics_ex(ctx, loss, from_logits, &options, &in[0], &in[1], NULL, &acc, NULL);
    double mean = 0;
    if (s == CT_OK)
        s = ct_loss_accum_read(ctx, &acc, &mean);
    float value = (float)mean;
    if (s == CT_OK)
        s = ct_tensor_write(ctx, out, &value);
    ct_loss_accum_release(&acc);
    return s;
}

static ct_status smoothed_backward(ct_context *ctx, const ct_optest_case *c, const ct_tensor *in,
                                   const ct_tensor *grad_out, ct_tensor *grad_in, ct_loss loss, int from_logits)
{
    float upstream;
    CT_TRY(ct_tensor_read(ctx, grad_out, &upstream));
    ct_loss_options options = options_of(c, in);
    CT_TRY(ct_loss_and_metrics_ex(ctx, loss, from_logits, &options, &in[0], &in[1], &grad_in[0], NULL, NULL));
    return ct_scale(ctx, upstream, &grad_in[0], &grad_in[0]);
}

/* The class of a target row: the id (sparse), the rounded value (one
 * output) or the first maximum. */
static size_t class_of(ct_loss loss, size_t c, const double *t)
{
    if (loss == CT_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY || c == 1)
        return (size_t)(t[0] + 0.5);
    size_t k = 0;
    for (size_t j = 1; j < c; j++)
        if (t[j] > t[k])
            k = j;
    return k;
}

/* Keras: y_true * (1 - s) + s / C (categorical) or + s / 2 (binary), the
 * per-sample losses times class_weight[class], their mean over N. */
static void smoothed_reference(const ct_optest_case *c, const double *const *in, double *out, ct_loss loss,
                               int from_logits)
{
    size_t n = rows_of(c), k = classes_of(c);
    size_t tc = loss == CT_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY ? 1 : k;
    double s = (double)c->fp[0], base = loss == CT_LOSS_BINARY_CROSSENTROPY ? 0.5 : 1.0 / (double)k;
    double *t = malloc(tc * sizeof *t);
    if (!t) {
        out[0] = NAN;
        return;
    }
    double sum = 0;
    for (size_t r = 0; r < n; r++) {
        const double *row = in[1] + r * tc;
        for (size_t j = 0; j < tc; j++)
            t[j] = tc == 1 && loss == CT_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY ? row[j] : row[j] * (1 - s) + s * base;
        double w = c->n_in > 2 ? in[2][class_of(loss, tc, row)] : 1.0;
        sum += w * ref_loss_sample(loss, from_logits, k, in[0] + r * k, t);
    }
    out[0] = sum / (double)n;
    free(t);
}

#define SMOOTHED_OP(var, name, loss, from_logits)                                                                      \
    static ct_status var##_fwd(ct_context *ctx, const ct_optest_case *c, const ct_tensor *in, ct_tensor *out)          \
    {                                                                                                                  \
        return smoothed_forward(ctx, c, in, out, loss, from_logits);                                                   \
    }                                                                                                                  \
    static ct_status var##_bwd(ct_context *ctx, const ct_optest_case *c, const ct_tensor *in, const ct_tensor *out,    \
                               const ct_tensor *grad_out, ct_tensor *grad_in)                                          \
    {                                                                                                                  \
        (void)out;                                                                                                     \
        return smoothed_backward(ctx, c, in, grad_out, grad_in, loss, from_logits);                                    \
    }                                                                                                                  \
    static void var##_ref(const ct_optest_case *c, const double *const *in, double *out)                               \
    {                                                                                                                  \
        smoothed_reference(c, in, out, loss, from_logits);                                                             \
    }                                                                                                                  \
    static const ct_optest_op var = {name, scalar_shape, var##_fwd, var##_ref, var##_bwd, NULL};

SMOOTHED_OP(op_bce, "binary_crossentropy_label_smoothing", CT_LOSS_BINARY_CROSSENTROPY, 0)
SMOOTHED_OP(op_bce_logits, "binary_crossentropy_from_logits_label_smoothing", CT_LOSS_BINARY_CROSSENTROPY, 1)
SMOOTHED_OP(op_cce, "categorical_crossentropy_label_smoothing", CT_LOSS_CATEGORICAL_CROSSENTROPY, 0)
SMOOTHED_OP(op_cce_logits, "categorical_crossentropy_from_logits_label_smoothing", CT_LOSS_CATEGORICAL_CROSSENTROPY,
            1)
SMOOTHED_OP(op_scce_weighted, "sparse_categorical_crossentropy_class_weight", CT_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY,
            0)
SMOOTHED_OP(op_scce_logits_weighted, "sparse_categorical_crossentropy_from_logits_class_weight",
            CT_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, 1)
SMOOTHED_OP(op_bce_weighted, "binary_crossentropy_class_weight", CT_LOSS_BINARY_CROSSENTROPY, 0)
SMOOTHED_OP(op_cce_logits_weighted, "categorical_crossentropy_from_logits_class_weight",
            CT_LOSS_CATEGORICAL_CROSSENTROPY, 1)

/* kernel_regularizer: in[0] = the weights; fp[1] = l1, fp[2] = l2. The
 * output is the penalty (added to a fresh accumulator for one row); the
 * backward the gradient it adds to zeroed gradients, scaled by the upstream
 * gradient. */
static ct_status regularize_forward(ct_context *ctx, const ct_optest_case *c, const ct_tensor *in, ct_tensor *out)
{
    ct_loss_accum acc;
    CT_TRY(ct_loss_accum_create(ctx, &acc));
    float sums[2] = {0, 0};
    ct_status s = ct_loss_regularize(ctx, &in[0], NULL, c->fp[1], c->fp[2], &acc, 1);
    if (s == CT_OK)
        s = ct_tensor_read(ctx, &acc.sums, sums);
    float value = sums[0] + sums[1]; /* the Kahan pair of one addition */
    if (s == CT_OK)
        s = ct_tensor_write(ctx, out, &value);
    ct_loss_accum_release(&acc);
    return s;
}

static ct_status regularize_backward(ct_context *ctx, const ct_optest_case *c, const ct_tensor *in,
                                     const ct_tensor *out, const ct_tensor *grad_out, ct_tensor *grad_in)
{
    (void)out;
    float upstream;
    CT_TRY(ct_tensor_read(ctx, grad_out, &upstream));
    float *zeros = calloc(ct_tensor_count(&grad_in[0]), sizeof *zeros);
    if (!zeros)
        return ct_fail(CT_ERR_NO_MEMORY, "regularizer case");
    ct_status s = ct_tensor_write(ctx, &grad_in[0], zeros);
    free(zeros);
    CT_TRY(s);
    CT_TRY(ct_loss_regularize(ctx, &in[0], &grad_in[0], c->fp[1], c->fp[2], NULL, 1));
    return ct_scale(ctx, upstream, &grad_in[0], &grad_in[0]);
}

static void regularize_reference(const ct_optest_case *c, const double *const *in, double *out)
{
    size_t n = ct_optest_count(c->in[0].ndim, c->in[0].shape);
    double l1 = 0, l2 = 0;
    for (size_t i = 0; i < n; i++) {
        l1 += fabs(in[0][i]);
        l2 += in[0][i] * in[0][i];
    }
    out[0] = (double)c->fp[1] * l1 + (double)c->fp[2] * l2;
}

static const ct_optest_op op_regularize = {"kernel_regularizer", scalar_shape, regularize_forward,
                                           regularize_reference, regularize_backward, NULL};

// clang-format off
#define PRED(n, c, lo, hi) {2, {n, c}, lo, hi, 0, 1}
#define ONE_HOT_LIKE(n, c) {2, {n, c}, 0, 2, 1, 0} /* 0/1 values */
#define CLASS_IDS(n, c) {1, {n}, 0, c, 1, 0}
#define WEIGHTS(k) {1, {k}, 0.2f, 3.0f, 0, 0}
#define TOL 1e-10, 1e-8 /* as the loss family */

static const ct_optest_case cases[] = {
    {&op_bce, "smoothing 0.1, 1 output", 2, {PRED(33, 1, 0.02f, 0.98f), ONE_HOT_LIKE(33, 1)}, {0}, {0.1f}, TOL},
    {&op_bce, "smoothing 0.3, 7 outputs", 2, {PRED(33, 7, 0.02f, 0.98f), ONE_HOT_LIKE(33, 7)}, {0}, {0.3f}, TOL},
    {&op_bce_logits, "smoothing 0.1", 2, {PRED(33, 7, -6, 6), ONE_HOT_LIKE(33, 7)}, {0}, {0.1f}, TOL},
    {&op_bce_logits, "smoothing 1 (all targets 0.5)", 2, {PRED(33, 3, -6, 6), ONE_HOT_LIKE(33, 3)}, {0}, {1.0f},
     TOL},
    {&op_cce, "smoothing 0.1, 10 classes", 2, {PRED(33, 10, 0.05f, 1), ONE_HOT_LIKE(33, 10)}, {0}, {0.1f}, TOL},
    {&op_cce, "smoothing 0.2, 3 classes", 2, {PRED(5, 3, 0.05f, 1), ONE_HOT_LIKE(5, 3)}, {0}, {0.2f}, TOL},
    {&op_cce_logits, "smoothing 0.1, 10 classes", 2, {PRED(33, 10, -5, 5), ONE_HOT_LIKE(33, 10)}, {0}, {0.1f}, TOL},
    {&op_cce_logits, "smoothing 0.5, 7 classes", 2, {PRED(33, 7, -5, 5), ONE_HOT_LIKE(33, 7)}, {0}, {0.5f}, TOL},
    {&op_scce_weighted, "10 classes", 3, {PRED(33, 10, 0.05f, 1), CLASS_IDS(33, 10), WEIGHTS(10)}, {0}, {0}, TOL},
    {&op_scce_logits_weighted, "10 classes", 3, {PRED(33, 10, -5, 5), CLASS_IDS(33, 10), WEIGHTS(10)}, {0}, {0},
     TOL},
    {&op_scce_logits_weighted, "rows above work-group size", 3,
     {PRED(CT_OPTEST_ABOVE_WG, 4, -5, 5), CLASS_IDS(CT_OPTEST_ABOVE_WG, 4), WEIGHTS(4)}, {0}, {0}, TOL},
    {&op_bce_weighted, "1 output, classes 0 and 1", 3, {PRED(33, 1, 0.02f, 0.98f), ONE_HOT_LIKE(33, 1), WEIGHTS(2)},
     {0}, {0}, TOL},
    {&op_bce_weighted, "with smoothing 0.1", 3, {PRED(33, 1, 0.02f, 0.98f), ONE_HOT_LIKE(33, 1), WEIGHTS(2)}, {0},
     {0.1f}, TOL},
    {&op_cce_logits_weighted, "argmax class, smoothing 0.1", 3,
     {PRED(33, 7, -5, 5), ONE_HOT_LIKE(33, 7), WEIGHTS(7)}, {0}, {0.1f}, TOL},
    /* |w| has a kink at 0: the l1 cases keep the weights away from it (finite differences) */
    {&op_regularize, "l2 0.01, dense kernel 13x7", 1, {{2, {13, 7}, -1, 1, 0, 1}}, {0}, {0, 0, 0.01f}, TOL},
    {&op_regularize, "l1 0.01, positive", 1, {{2, {13, 7}, 0.05f, 1, 0, 1}}, {0}, {0, 0.01f, 0}, TOL},
    {&op_regularize, "l1 0.02, negative", 1, {{2, {5, 3}, -1, -0.05f, 0, 1}}, {0}, {0, 0.02f, 0}, TOL},
    {&op_regularize, "l1_l2, conv kernel 3x3x4x8", 1, {{4, {3, 3, 4, 8}, 0.05f, 2, 0, 1}}, {0}, {0, 0.01f, 0.03f},
     TOL},
    {&op_regularize, "l2, above work-group size", 1, {{1, {CT_OPTEST_ABOVE_WG}, -1, 1, 0, 1}}, {0}, {0, 0, 0.01f},
     TOL},
};
// clang-format on
const ct_optest_family ct_optest_family_loss_more = CT_OPTEST_FAMILY("loss_more", cases);
