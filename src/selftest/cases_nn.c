/* Op-test cases, family "nn": activations, bias + activation (Dense),
 * dropout, batch normalisation (include/cltrain/ops_nn.h).
 *
 * ip[0] is the mode of every op here: 0 plain, 1 activation backward from x
 * only (no y), 2 in place (the op's output aliases its input: the case copies
 * the input into the output first, and dy into dx for the backward pass).
 * dropout: ip[1] seed, ip[2] layer id, ip[3] step, ip[4] first mask index, fp[0] rate.
 * batchnorm: fp[0] momentum, fp[1] epsilon; inputs x, gamma, beta and
 * moving (2, C) = (moving_mean; moving_variance). */
#include <stdint.h>

#include "selftest/families.h"
#include "cltrain/ops_rescaling.h"
#include "selftest/ref/ref_nn.h"

#include "cltrain/ops.h"
#include "cltrain/ops_nn.h"

enum { MODE_PLAIN = 0, MODE_FROM_X = 1, MODE_IN_PLACE = 2 };

static ct_status same_shape(const ct_optest_case *c, int *ndim, size_t *shape)
{
    *ndim = c->in[0].ndim;
    for (int d = 0; d < *ndim; d++)
        shape[d] = c->in[0].shape[d];
    return CT_OK;
}

static size_t cols_of(const ct_optest_case *c) { return c->in[0].shape[c->in[0].ndim - 1]; }
static size_t rows_of(const ct_optest_case *c) { return ct_optest_count(c->in[0].ndim, c->in[0].shape) / cols_of(c); }

/* Copy (exactly: x * 1.0f) for the in-place modes. */
static ct_status copy(ct_context *ctx, const ct_tensor *from, ct_tensor *to) { return ct_scale(ctx, 1.0f, from, to); }

/* ------------------------------------------------------------ activations
 * One op per activation; the activation is the op's index in act_ops. */
static const ct_optest_op act_ops[CT_ACTIVATION_COUNT];
static ct_activation act_of(const ct_optest_case *c) { return (ct_activation)(c->op - act_ops); }

static ct_status act_fwd(ct_context *ctx, const ct_optest_case *c, const ct_tensor *in, ct_tensor *out)
{
    if (c->ip[0] != MODE_IN_PLACE)
        return ct_activation_forward(ctx, act_of(c), &in[0], out);
    CT_TRY(copy(ctx, &in[0], out));
    return ct_activation_forward(ctx, act_of(c), out, out);
}

static void act_ref(const ct_optest_case *c, const double *const *in, double *out)
{
    ref_bias_activation(act_of(c), rows_of(c), cols_of(c), in[0], NULL, out);
}

static ct_status act_bwd(ct_context *ctx, const ct_optest_case *c, const ct_tensor *in, const ct_tensor *out,
                         const ct_tensor *dy, ct_tensor *dx)
{
    switch (c->ip[0]) {
    case MODE_FROM_X:
        return ct_activation_backward(ctx, act_of(c), &in[0], NULL, dy, &dx[0]);
    case MODE_IN_PLACE:
        CT_TRY(copy(ctx, dy, &dx[0]));
        return ct_activation_backward(ctx, act_of(c), NULL, out, &dx[0], &dx[0]);
    default:
        return ct_activation_backward(ctx, act_of(c), &in[0], out, dy, &dx[0]);
    }
}

#define ACT_OP(name) {name, same_shape, act_fwd, act_ref, act_bwd, NULL}
static const ct_optest_op act_ops[CT_ACTIVATION_COUNT] = {
    [CT_ACTIVATION_LINEAR] = ACT_OP("act_linear"),   [CT_ACTIVATION_RELU] = ACT_OP("act_relu"),
    [CT_ACTIVATION_SIGMOID] = ACT_OP("act_sigmoid"), [CT_ACTIVATION_TANH] = ACT_OP("act_tanh"),
    [CT_ACTIVATION_SOFTMAX] = ACT_OP("act_softmax"), [CT_ACTIVATION_LEAKY_RELU] = ACT_OP("act_leaky_relu"),
    [CT_ACTIVATION_ELU] = ACT_OP("act_elu"),
    [CT_ACTIVATION_GELU] = ACT_OP("act_gelu"),
    [CT_ACTIVATION_GELU_APPROXIMATE] = ACT_OP("act_gelu_approximate"),
    [CT_ACTIVATION_SILU] = ACT_OP("act_silu"),
    [CT_ACTIVATION_SELU] = ACT_OP("act_selu"),
    [CT_ACTIVATION_SOFTPLUS] = ACT_OP("act_softplus"),
};

/* ------------------------------------------- LeakyReLU with its slope
 * fp[0] = negative_slope; ip[0] a MODE_ as for the activations. */
static ct_status leaky_fwd(ct_context *ctx, const ct_optest_case *c, const ct_tensor *in, ct_tensor *out)
{
    return ct_leaky_relu_forward(ctx, c->fp[0], &in[0], out);
}

static void leaky_ref(const ct_optest_case *c, const double *const *in, double *out)
{
    size_t n = ct_optest_count(c->in[0].ndim, c->in[0].shape);
    for (size_t i = 0; i < n; i++)
        out[i] = in[0][i] > 0 ? in[0][i] : (double)c->fp[0] * in[0][i];
}

static ct_status leaky_bwd(ct_context *ctx, const ct_optest_case *c, const ct_tensor *in, const ct_tensor *out,
                           const ct_tensor *dy, ct_tensor *dx)
{
    if (c->ip[0] == MODE_FROM_X)
        return ct_leaky_relu_backward(ctx, c->fp[0], &in[0], NULL, dy, &dx[0]);
    return ct_leaky_relu_backward(ctx, c->fp[0], &in[0], out, dy, &dx[0]);
}

static const ct_optest_op op_leaky = {"leaky_relu_layer", same_shape, leaky_fwd, leaky_ref, leaky_bwd, NULL};

/* ------------------------------------------------------------ Rescaling
 * fp[0] = scale, fp[1] = offset; ip[0] MODE_IN_PLACE or not. */
static ct_status rescale_fwd(ct_context *ctx, const ct_optest_case *c, const ct_tensor *in, ct_tensor *out)
{
    if (c->ip[0] != MODE_IN_PLACE)
        return ct_rescaling_forward(ctx, c->fp[0], c->fp[1], &in[0], out);
    CT_TRY(copy(ctx, &in[0], out));
    return ct_rescaling_forward(ctx, c->fp[0], c->fp[1], out, out);
}

static void rescale_ref(const ct_optest_case *c, const double *const *in, double *out)
{
    size_t n = ct_optest_count(c->in[0].ndim, c->in[0].shape);
    for (size_t i = 0; i < n; i++)
        out[i] = in[0][i] * (double)c->fp[0] + (double)c->fp[1];
}

static ct_status rescale_bwd(ct_context *ctx, const ct_optest_case *c, const ct_tensor *in, const ct_tensor *out,
                             const ct_tensor *dy, ct_tensor *dx)
{
    (void)in;
    (void)out;
    if (c->ip[0] != MODE_IN_PLACE)
        return ct_rescaling_backward(ctx, c->fp[0], dy, &dx[0]);
    CT_TRY(copy(ctx, dy, &dx[0]));
    return ct_rescaling_backward(ctx, c->fp[0], &dx[0], &dx[0]);
}

static const ct_optest_op op_rescaling = {"rescaling", same_shape, rescale_fwd, rescale_ref, rescale_bwd, NULL};

/* ------------------------------------------------- bias + activation
 * Inputs z (N, U) and bias (U); outputs y; gradients dz and dbias (the
 * latter only when the case asks for the bias gradient). */
static const ct_optest_op bias_ops[CT_ACTIVATION_COUNT];
static ct_activation bias_act_of(const ct_optest_case *c) { return (ct_activation)(c->op - bias_ops); }

static ct_status bias_fwd(ct_context *ctx, const ct_optest_case *c, const ct_tensor *in, ct_tensor *out)
{
    if (c->ip[0] != MODE_IN_PLACE)
        return ct_bias_activation_forward(ctx, bias_act_of(c), &in[0], &in[1], out);
    CT_TRY(copy(ctx, &in[0], out));
    return ct_bias_activation_forward(ctx, bias_act_of(c), out, &in[1], out);
}

static void bias_ref(const ct_optest_case *c, const double *const *in, double *out)
{
    ref_bias_activation(bias_act_of(c), rows_of(c), cols_of(c), in[0], in[1], out);
}

static ct_status bias_bwd(ct_context *ctx, const ct_optest_case *c, const ct_tensor *in, const ct_tensor *out,
                          const ct_tensor *dy, ct_tensor *dx)
{
    (void)in;
    ct_tensor *dbias = dx[1].buf ? &dx[1] : NULL;
    if (c->ip[0] != MODE_IN_PLACE)
        return ct_bias_activation_backward(ctx, bias_act_of(c), out, dy, &dx[0], dbias);
    CT_TRY(copy(ctx, dy, &dx[0]));
    return ct_bias_activation_backward(ctx, bias_act_of(c), out, &dx[0], &dx[0], dbias);
}

#define BIAS_OP(name) {name, same_shape, bias_fwd, bias_ref, bias_bwd, NULL}
static const ct_optest_op bias_ops[CT_ACTIVATION_COUNT] = {
    [CT_ACTIVATION_LINEAR] = BIAS_OP("bias_linear"),   [CT_ACTIVATION_RELU] = BIAS_OP("bias_relu"),
    [CT_ACTIVATION_SIGMOID] = BIAS_OP("bias_sigmoid"), [CT_ACTIVATION_TANH] = BIAS_OP("bias_tanh"),
    [CT_ACTIVATION_SOFTMAX] = BIAS_OP("bias_softmax"), [CT_ACTIVATION_LEAKY_RELU] = BIAS_OP("bias_leaky_relu"),
    [CT_ACTIVATION_ELU] = BIAS_OP("bias_elu"),
    [CT_ACTIVATION_SELU] = BIAS_OP("bias_selu"),
    [CT_ACTIVATION_SOFTPLUS] = BIAS_OP("bias_softplus"),
};

/* ---------------------------------------------------------------- dropout */
static ct_dropout_params dropout_params(const ct_optest_case *c)
{
    ct_dropout_params p = {c->fp[0], (uint64_t)c->ip[1], (uint32_t)c->ip[2], (uint32_t)c->ip[3], (uint64_t)c->ip[4]};
    return p;
}

static ct_status dropout_fwd(ct_context *ctx, const ct_optest_case *c, const ct_tensor *in, ct_tensor *out)
{
    ct_dropout_params p = dropout_params(c);
    if (c->ip[0] != MODE_IN_PLACE)
        return ct_dropout_forward(ctx, &p, &in[0], out, NULL);
    CT_TRY(copy(ctx, &in[0], out));
    return ct_dropout_forward(ctx, &p, out, out, NULL);
}

static void dropout_ref(const ct_optest_case *c, const double *const *in, double *out)
{
    ct_dropout_params p = dropout_params(c);
    ref_dropout(&p, ct_optest_count(c->in[0].ndim, c->in[0].shape), in[0], out);
}

static ct_status dropout_bwd(ct_context *ctx, const ct_optest_case *c, const ct_tensor *in, const ct_tensor *out,
                             const ct_tensor *dy, ct_tensor *dx)
{
    (void)in, (void)out;
    ct_dropout_params p = dropout_params(c);
    if (c->ip[0] != MODE_IN_PLACE)
        return ct_dropout_backward(ctx, &p, dy, &dx[0]);
    CT_TRY(copy(ctx, dy, &dx[0]));
    return ct_dropout_backward(ctx, &p, &dx[0], &dx[0]);
}

static const ct_optest_op op_dropout = {"dropout", same_shape, dropout_fwd, dropout_ref, dropout_bwd, NULL};

/* The mask output itself (multiplier per element). */
static ct_status mask_fwd(ct_context *ctx, const ct_optest_case *c, const ct_tensor *in, ct_tensor *out)
{
    ct_dropout_params p = dropout_params(c);
    ct_tensor y;
    CT_TRY(ct_tensor_create(ctx, in[0].ndim, in[0].shape, &y));
    ct_status s = ct_dropout_forward(ctx, &p, &in[0], &y, out);
    ct_tensor_release(&y);
    return s;
}

static void mask_ref(const ct_optest_case *c, const double *const *in, double *out)
{
    (void)in;
    ct_dropout_params p = dropout_params(c);
    size_t n = ct_optest_count(c->in[0].ndim, c->in[0].shape);
    for (size_t i = 0; i < n; i++)
        out[i] = ref_dropout_multiplier(&p, i);
}

static const ct_optest_op op_dropout_mask = {"dropout_mask", same_shape, mask_fwd, mask_ref, NULL, NULL};

/* ----------------------------------------------------- batch normalisation */
static ct_batchnorm_params bn_params(const ct_optest_case *c)
{
    ct_batchnorm_params p = {c->fp[0], c->fp[1]};
    return p;
}

/* moving (2, C) as its two rows. */
static ct_status bn_moving(const ct_optest_case *c, const ct_tensor *in, ct_tensor *mean, ct_tensor *var)
{
    size_t cols = cols_of(c);
    CT_TRY(ct_tensor_view(&in[3], 0, 1, &cols, mean));
    return ct_tensor_view(&in[3], cols, 1, &cols, var);
}

static void bn_ref(int training, const ct_optest_case *c, const double *const *in, double *out)
{
    size_t cols = cols_of(c);
    ref_batchnorm(training, c->fp[1], rows_of(c), cols, in[0], in[1], in[2], in[3], in[3] + cols, out, NULL, NULL);
}
static void bn_train_ref(const ct_optest_case *c, const double *const *in, double *out) { bn_ref(1, c, in, out); }
static void bn_infer_ref(const ct_optest_case *c, const double *const *in, double *out) { bn_ref(0, c, in, out); }

/* Training forward into y with a fresh saved workspace (the moving statistics
 * in in[3] are updated on the device; the reference never reads them back). */
static ct_status bn_train_into(ct_context *ctx, const ct_optest_case *c, const ct_tensor *in, ct_tensor *y,
                               ct_tensor *saved)
{
    ct_batchnorm_params p = bn_params(c);
    ct_tensor mm, mv;
    CT_TRY(bn_moving(c, in, &mm, &mv));
    size_t shape[2] = {2, cols_of(c)};
    CT_TRY(ct_tensor_create(ctx, 2, shape, saved));
    if (c->ip[0] != MODE_IN_PLACE)
        return ct_batchnorm_forward_train(ctx, &p, &in[0], &in[1], &in[2], &mm, &mv, saved, y);
    CT_TRY(copy(ctx, &in[0], y));
    return ct_batchnorm_forward_train(ctx, &p, y, &in[1], &in[2], &mm, &mv, saved, y);
}

static ct_status bn_train_fwd(ct_context *ctx, const ct_optest_case *c, const ct_tensor *in, ct_tensor *out)
{
    ct_tensor saved = {0};
    ct_status s = bn_train_into(ctx, c, in, out, &saved);
    ct_tensor_release(&saved);
    return s;
}

static ct_status bn_train_bwd(ct_context *ctx, const ct_optest_case *c, const ct_tensor *in, const ct_tensor *out,
                              const ct_tensor *dy, ct_tensor *dx)
{
    (void)out;
    /* Recompute the forward pass for its saved statistics. */
    ct_tensor y = {0}, saved = {0};
    ct_status s = ct_tensor_create(ctx, in[0].ndim, in[0].shape, &y);
    if (s == CT_OK)
        s = bn_train_into(ctx, c, in, &y, &saved);
    if (s == CT_OK && c->ip[0] == MODE_IN_PLACE) {
        s = copy(ctx, dy, &dx[0]);
        if (s == CT_OK)
            s = ct_batchnorm_backward_train(ctx, &in[0], &in[1], &saved, &dx[0], &dx[0], &dx[1], &dx[2]);
    } else if (s == CT_OK) {
        s = ct_batchnorm_backward_train(ctx, &in[0], &in[1], &saved, dy, &dx[0], &dx[1], &dx[2]);
    }
    ct_tensor_release(&y);
    ct_tensor_release(&saved);
    return s;
}

static ct_status bn_infer_fwd(ct_context *ctx, const ct_optest_case *c, const ct_tensor *in, ct_tensor *out)
{
    ct_batchnorm_params p = bn_params(c);
    ct_tensor mm, mv;
    CT_TRY(bn_moving(c, in, &mm, &mv));
    if (c->ip[0] != MODE_IN_PLACE)
        return ct_batchnorm_forward_inference(ctx, &p, &in[0], &in[1], &in[2], &mm, &mv, out);
    CT_TRY(copy(ctx, &in[0], out));
    return ct_batchnorm_forward_inference(ctx, &p, out, &in[1], &in[2], &mm, &mv, out);
}

static ct_status bn_infer_bwd(ct_context *ctx, const ct_optest_case *c, const ct_tensor *in, const ct_tensor *out,
                              const ct_tensor *dy, ct_tensor *dx)
{
    (void)out;
    ct_batchnorm_params p = bn_params(c);
    ct_tensor mm, mv;
    CT_TRY(bn_moving(c, in, &mm, &mv));
    if (c->ip[0] != MODE_IN_PLACE)
        return ct_batchnorm_backward_inference(ctx, &p, &in[0], &in[1], &mm, &mv, dy, &dx[0], &dx[1], &dx[2]);
    CT_TRY(copy(ctx, dy, &dx[0]));
    return ct_batchnorm_backward_inference(ctx, &p, &in[0], &in[1], &mm, &mv, &dx[0], &dx[0], &dx[1], &dx[2]);
}

static const ct_optest_op op_bn_train = {"batchnorm_train", same_shape, bn_train_fwd, bn_train_ref, bn_train_bwd, NULL};
static const ct_optest_op op_bn_infer = {"batchnorm_infer", same_shape, bn_infer_fwd, bn_infer_ref, bn_infer_bwd, NULL};

/* ------------------------------------------------------------------ cases */
#define WG CT_OPTEST_ABOVE_WG
#define X(nd, lo, hi, ...) {nd, {__VA_ARGS__}, lo, hi, 0, 1}
#define X1(a) X(1, -1, 1, a)
#define X2(a, b) X(2, -1, 1, a, b)
#define WIDE2(a, b) X(2, -100, 100, a, b)
#define BIAS(u) X(1, -1, 1, u)
/* Integer z in [-3, 2]: z + bias stays away from the kink of relu and
 * leaky_relu (unless a bias lies within the finite-difference step of an
 * integer), which with thousands of rows some row would otherwise straddle,
 * spoiling the finite differences of dbias. */
#define INT_Z(a, b) {2, {a, b}, -3, 3, 1, 1}
#define NO_GRAD(u) {1, {u}, -1, 1, 0, 0}
#define FWD_TOL 1e-10
#define GRAD_TOL 1e-5

/* Each element-wise activation: 1-D odd prime, above the work-group size with
 * the backward from x, 4-D in place, and saturating inputs. */
#define ACT_CASES(a)                                                                                        \
    {&act_ops[a], "odd prime", 1, {X1(1031)}, {MODE_PLAIN}, {0}, FWD_TOL, GRAD_TOL},                        \
    {&act_ops[a], "above work-group size, backward from x", 1, {X1(WG)}, {MODE_FROM_X}, {0}, FWD_TOL,       \
     GRAD_TOL},                                                                                             \
    {&act_ops[a], "4-D in place", 1, {X(4, -1, 1, 3, 7, 5, 11)}, {MODE_IN_PLACE}, {0}, FWD_TOL, GRAD_TOL}, \
    {&act_ops[a], "wide range [-100, 100]", 1, {WIDE2(7, 13)}, {MODE_PLAIN}, {0}, FWD_TOL, GRAD_TOL},       \
    {&act_ops[a], "wide range, backward from x", 1, {WIDE2(5, 11)}, {MODE_FROM_X}, {0}, FWD_TOL, GRAD_TOL}

/* The activations whose derivative needs x (gelu, silu): the same without
 * the in-place backward (it has y only); both x and y given must use x. */
#define ACT_X_CASES(a)                                                                                      \
    {&act_ops[a], "odd prime, x and y given", 1, {X1(1031)}, {MODE_PLAIN}, {0}, FWD_TOL, GRAD_TOL},         \
    {&act_ops[a], "above work-group size, backward from x", 1, {X1(WG)}, {MODE_FROM_X}, {0}, FWD_TOL,       \
     GRAD_TOL},                                                                                             \
    {&act_ops[a], "4-D, 3 sigma", 1, {X(4, -3, 3, 3, 7, 5, 11)}, {MODE_FROM_X}, {0}, FWD_TOL, GRAD_TOL},    \
    {&act_ops[a], "wide range [-100, 100]", 1, {WIDE2(7, 13)}, {MODE_PLAIN}, {0}, FWD_TOL, GRAD_TOL}

/* Bias + each element-wise activation: a Dense layer's shape, batch 1 with one
 * unit, odd, rows and columns above the work-group size, in place, and no
 * bias gradient. */
#define BIAS_CASES(a)                                                                                         \
    {&bias_ops[a], "Dense 32x100", 2, {X2(32, 100), BIAS(100)}, {MODE_PLAIN}, {0}, FWD_TOL, GRAD_TOL},        \
    {&bias_ops[a], "batch 1, one unit", 2, {X2(1, 1), BIAS(1)}, {MODE_PLAIN}, {0}, FWD_TOL, GRAD_TOL},        \
    {&bias_ops[a], "odd primes", 2, {X2(37, 13), BIAS(13)}, {MODE_PLAIN}, {0}, FWD_TOL, GRAD_TOL},            \
    {&bias_ops[a], "rows above work-group size", 2, {INT_Z(WG, 3), BIAS(3)}, {MODE_PLAIN}, {0}, FWD_TOL,      \
     GRAD_TOL},                                                                                               \
    {&bias_ops[a], "units above work-group size", 2, {X2(3, WG), BIAS(WG)}, {MODE_PLAIN}, {0}, FWD_TOL,       \
     GRAD_TOL},                                                                                               \
    {&bias_ops[a], "in place", 2, {X2(17, 5), BIAS(5)}, {MODE_IN_PLACE}, {0}, FWD_TOL, GRAD_TOL},             \
    {&bias_ops[a], "no bias gradient", 2, {X2(9, 7), NO_GRAD(7)}, {MODE_PLAIN}, {0}, FWD_TOL, GRAD_TOL}

#define BN_IN(nd, ...) {nd, {__VA_ARGS__}, -2, 3, 0, 1}
#define BN_PER_FEATURE(cols) {1, {cols}, 0.5f, 1.5f, 0, 1}, {1, {cols}, -1, 1, 0, 1}, {2, {2, cols}, 0.5f, 1.5f, 0, 0}
#define BN_KERAS {0.99f, 1e-3f}

static const ct_optest_case cases[] = {
    ACT_CASES(CT_ACTIVATION_LINEAR),
    ACT_CASES(CT_ACTIVATION_RELU),
    ACT_CASES(CT_ACTIVATION_SIGMOID),
    ACT_CASES(CT_ACTIVATION_TANH),
    ACT_CASES(CT_ACTIVATION_LEAKY_RELU),
    ACT_CASES(CT_ACTIVATION_ELU),
    ACT_X_CASES(CT_ACTIVATION_GELU),
    ACT_X_CASES(CT_ACTIVATION_GELU_APPROXIMATE),
    ACT_X_CASES(CT_ACTIVATION_SILU),
    ACT_CASES(CT_ACTIVATION_SELU),
    ACT_CASES(CT_ACTIVATION_SOFTPLUS),
    /* softmax over the last axis */
    {&act_ops[CT_ACTIVATION_SOFTMAX], "odd rows", 1, {X2(7, 13)}, {MODE_PLAIN}, {0}, FWD_TOL, GRAD_TOL},
    {&act_ops[CT_ACTIVATION_SOFTMAX], "batch 1", 1, {X2(1, 10)}, {MODE_PLAIN}, {0}, FWD_TOL, GRAD_TOL},
    {&act_ops[CT_ACTIVATION_SOFTMAX], "row of one", 1, {X2(5, 1)}, {MODE_PLAIN}, {0}, FWD_TOL, GRAD_TOL},
    {&act_ops[CT_ACTIVATION_SOFTMAX], "rows above work-group size", 1, {X2(3, WG)}, {MODE_PLAIN}, {0}, FWD_TOL,
     GRAD_TOL},
    {&act_ops[CT_ACTIVATION_SOFTMAX], "many rows", 1, {X2(WG, 3)}, {MODE_PLAIN}, {0}, FWD_TOL, GRAD_TOL},
    {&act_ops[CT_ACTIVATION_SOFTMAX], "3-D, last axis", 1, {X(3, -1, 1, 2, 3, 5)}, {MODE_PLAIN}, {0}, FWD_TOL,
     GRAD_TOL},
    /* exp(100) overflows float: only the max-subtracted form survives. The
     * float rounding of v - max (|v - max| up to 200) bounds the forward. */
    {&act_ops[CT_ACTIVATION_SOFTMAX], "wide range [-100, 100]", 1, {WIDE2(5, 11)}, {MODE_PLAIN}, {0}, 1e-8, GRAD_TOL},
    {&act_ops[CT_ACTIVATION_SOFTMAX], "in place", 1, {X2(4, 17)}, {MODE_IN_PLACE}, {0}, FWD_TOL, GRAD_TOL},

    /* Keras's LeakyReLU layer: its default 0.3, a small slope, 0 (relu), above 1 */
    {&op_leaky, "slope 0.3", 1, {X1(1031)}, {MODE_PLAIN}, {0.3f}, FWD_TOL, GRAD_TOL},
    {&op_leaky, "slope 0.01, backward from x", 1, {X1(WG)}, {MODE_FROM_X}, {0.01f}, FWD_TOL, GRAD_TOL},
    {&op_leaky, "slope 0 (relu)", 1, {X(4, -1, 1, 3, 7, 5, 11)}, {MODE_PLAIN}, {0.0f}, FWD_TOL, GRAD_TOL},
    {&op_leaky, "slope 1.5, wide range", 1, {WIDE2(7, 13)}, {MODE_PLAIN}, {1.5f}, FWD_TOL, GRAD_TOL},

    /* Keras's Rescaling: 8-bit pixels to [0, 1], to [-1, 1], a negative scale, in place */
    {&op_rescaling, "1/255 on pixels", 1, {X(4, 0, 255, 2, 5, 7, 3)}, {MODE_PLAIN}, {1.0f / 255, 0}, FWD_TOL,
     GRAD_TOL},
    {&op_rescaling, "1/127.5, offset -1", 1, {X(2, 0, 255, 37, 13)}, {MODE_PLAIN}, {1.0f / 127.5f, -1.0f}, FWD_TOL,
     GRAD_TOL},
    {&op_rescaling, "scale -2, offset 0.5, above work-group size", 1, {X1(WG)}, {MODE_PLAIN}, {-2.0f, 0.5f},
     FWD_TOL, GRAD_TOL},
    {&op_rescaling, "in place", 1, {X2(17, 5)}, {MODE_IN_PLACE}, {3.0f, 0.25f}, FWD_TOL, GRAD_TOL},

    BIAS_CASES(CT_ACTIVATION_LINEAR),
    BIAS_CASES(CT_ACTIVATION_RELU),
    BIAS_CASES(CT_ACTIVATION_SIGMOID),
    BIAS_CASES(CT_ACTIVATION_TANH),
    BIAS_CASES(CT_ACTIVATION_LEAKY_RELU),
    BIAS_CASES(CT_ACTIVATION_ELU),
    BIAS_CASES(CT_ACTIVATION_SELU),
    BIAS_CASES(CT_ACTIVATION_SOFTPLUS),
    /* softmax: rows up to 16 take the fused backward, longer rows the row
     * pass + column sums */
    {&bias_ops[CT_ACTIVATION_SOFTMAX], "Dense 32x10, fused backward", 2, {X2(32, 10), BIAS(10)}, {MODE_PLAIN}, {0},
     FWD_TOL, GRAD_TOL},
    {&bias_ops[CT_ACTIVATION_SOFTMAX], "batch 1", 2, {X2(1, 10), BIAS(10)}, {MODE_PLAIN}, {0}, FWD_TOL, GRAD_TOL},
    {&bias_ops[CT_ACTIVATION_SOFTMAX], "97 units, two-pass backward", 2, {X2(5, 97), BIAS(97)}, {MODE_PLAIN}, {0},
     FWD_TOL, GRAD_TOL},
    {&bias_ops[CT_ACTIVATION_SOFTMAX], "rows above work-group size", 2, {X2(WG, 7), BIAS(7)}, {MODE_PLAIN}, {0},
     FWD_TOL, GRAD_TOL},
    {&bias_ops[CT_ACTIVATION_SOFTMAX], "units above work-group size", 2, {X2(2, WG), BIAS(WG)}, {MODE_PLAIN}, {0},
     FWD_TOL, GRAD_TOL},
    {&bias_ops[CT_ACTIVATION_SOFTMAX], "in place, fused backward", 2, {X2(9, 10), BIAS(10)}, {MODE_IN_PLACE}, {0},
     FWD_TOL, GRAD_TOL},
    {&bias_ops[CT_ACTIVATION_SOFTMAX], "in place, two-pass backward", 2, {X2(6, 23), BIAS(23)}, {MODE_IN_PLACE},
     {0}, FWD_TOL, GRAD_TOL},
    {&bias_ops[CT_ACTIVATION_SOFTMAX], "16 units, widest fused backward", 2, {X2(33, 16), BIAS(16)}, {MODE_PLAIN},
     {0}, FWD_TOL, GRAD_TOL},
    {&bias_ops[CT_ACTIVATION_SOFTMAX], "no bias gradient", 2, {X2(6, 11), NO_GRAD(11)}, {MODE_PLAIN}, {0}, FWD_TOL,
     GRAD_TOL},

    /* dropout: ip {mode, seed, layer, step}, fp {rate} */
    {&op_dropout, "rate 0.3 odd prime", 1, {X1(1031)}, {MODE_PLAIN, 42, 1, 0}, {0.3f}, FWD_TOL, GRAD_TOL},
    {&op_dropout, "rate 0.5 above work-group size", 1, {X1(WG)}, {MODE_PLAIN, 7, 3, 11}, {0.5f}, FWD_TOL,
     GRAD_TOL},
    {&op_dropout, "64-bit seed, 4-D in place", 1, {X(4, -1, 1, 3, 5, 7, 11)},
     {MODE_IN_PLACE, 0x123456789abcdef0L, 2, 123456}, {0.1f}, FWD_TOL, GRAD_TOL},
    {&op_dropout, "rate 0", 1, {X1(997)}, {MODE_PLAIN, 1, 0, 0}, {0.0f}, FWD_TOL, GRAD_TOL},
    {&op_dropout, "one element", 1, {X1(1)}, {MODE_PLAIN, 5, 1, 2}, {0.5f}, FWD_TOL, GRAD_TOL},
    {&op_dropout, "rate 0.9", 1, {X2(37, 53)}, {MODE_PLAIN, 99, 4, 5}, {0.9f}, FWD_TOL, GRAD_TOL},
    /* a replica's share of a split batch: mask indices from `first` (not a multiple of 4) */
    {&op_dropout, "first 6, odd count", 1, {X2(5, 7)}, {MODE_PLAIN, 42, 1, 3, 6}, {0.5f}, FWD_TOL, GRAD_TOL},
    {&op_dropout_mask, "first 2^32 + 1", 1, {X1(1031)}, {MODE_PLAIN, 42, 1, 0, 4294967297L}, {0.3f}, FWD_TOL, 0},
    {&op_dropout_mask, "rate 0.3", 1, {X1(1031)}, {MODE_PLAIN, 42, 1, 0}, {0.3f}, FWD_TOL, 0},
    {&op_dropout_mask, "rate 0.5, high step", 1, {X2(WG, 2)}, {MODE_PLAIN, 3, 9, 4000000000L}, {0.5f}, FWD_TOL, 0},

    /* batch normalisation: inputs x, gamma, beta, moving (2, C) */
    {&op_bn_train, "batch 1 (variance 0)", 4, {BN_IN(2, 1, 7), BN_PER_FEATURE(7)}, {MODE_PLAIN}, BN_KERAS,
     FWD_TOL, GRAD_TOL},
    {&op_bn_train, "N=32 F=7", 4, {BN_IN(2, 32, 7), BN_PER_FEATURE(7)}, {MODE_PLAIN}, BN_KERAS, FWD_TOL, GRAD_TOL},
    {&op_bn_train, "NHWC", 4, {BN_IN(4, 2, 5, 5, 3), BN_PER_FEATURE(3)}, {MODE_PLAIN}, BN_KERAS, FWD_TOL, GRAD_TOL},
    {&op_bn_train, "features above work-group size", 4, {BN_IN(2, 3, WG), BN_PER_FEATURE(WG)}, {MODE_PLAIN},
     BN_KERAS, FWD_TOL, GRAD_TOL},
    {&op_bn_train, "rows above work-group size", 4, {BN_IN(2, WG, 3), BN_PER_FEATURE(3)}, {MODE_PLAIN}, BN_KERAS,
     FWD_TOL, GRAD_TOL},
    {&op_bn_train, "in place, epsilon 0.1", 4, {BN_IN(2, 16, 5), BN_PER_FEATURE(5)}, {MODE_IN_PLACE},
     {0.9f, 0.1f}, FWD_TOL, GRAD_TOL},
    {&op_bn_infer, "N=32 F=7", 4, {BN_IN(2, 32, 7), BN_PER_FEATURE(7)}, {MODE_PLAIN}, BN_KERAS, FWD_TOL, GRAD_TOL},
    {&op_bn_infer, "batch 1", 4, {BN_IN(2, 1, 7), BN_PER_FEATURE(7)}, {MODE_PLAIN}, BN_KERAS, FWD_TOL, GRAD_TOL},
    {&op_bn_infer, "NHWC", 4, {BN_IN(4, 2, 5, 5, 3), BN_PER_FEATURE(3)}, {MODE_PLAIN}, BN_KERAS, FWD_TOL, GRAD_TOL},
    {&op_bn_infer, "features above work-group size", 4, {BN_IN(2, 3, WG), BN_PER_FEATURE(WG)}, {MODE_PLAIN},
     BN_KERAS, FWD_TOL, GRAD_TOL},
    {&op_bn_infer, "rows above work-group size, in place", 4, {BN_IN(2, WG, 3), BN_PER_FEATURE(3)},
     {MODE_IN_PLACE}, BN_KERAS, FWD_TOL, GRAD_TOL},
};
const ct_optest_family ct_optest_family_nn = CT_OPTEST_FAMILY("nn", cases);
