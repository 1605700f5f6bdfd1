/* Op-test cases: element-wise arithmetic, ReLU, sum. */
#include "selftest/families.h"
#include "selftest/ref/ref.h"

#include "cltrain/ops.h"

static ct_status same_shape(const ct_optest_case *c, int *ndim, size_t *shape)
{
    *ndim = c->in[0].ndim;
    for (int d = 0; d < *ndim; d++)
        shape[d] = c->in[0].shape[d];
    return CT_OK;
}

static size_t n0(const ct_optest_case *c) { return ct_optest_count(c->in[0].ndim, c->in[0].shape); }

/* add: dA = dB = dy */
static ct_status add_fwd(ct_context *ctx, const ct_optest_case *c, const ct_tensor *in, ct_tensor *out)
{
    (void)c;
    return ct_add(ctx, &in[0], &in[1], out);
}
static void add_ref(const ct_optest_case *c, const double *const *in, double *out) { ref_add(n0(c), in[0], in[1], out); }
static ct_status add_bwd(ct_context *ctx, const ct_optest_case *c, const ct_tensor *in, const ct_tensor *out,
                         const ct_tensor *dy, ct_tensor *dx)
{
    (void)c, (void)in, (void)out;
    CT_TRY(ct_scale(ctx, 1.0f, dy, &dx[0]));
    return ct_scale(ctx, 1.0f, dy, &dx[1]);
}
static const ct_optest_op op_add = {"add", same_shape, add_fwd, add_ref, add_bwd, NULL};

/* mul: dA = dy * B, dB = dy * A */
static ct_status mul_fwd(ct_context *ctx, const ct_optest_case *c, const ct_tensor *in, ct_tensor *out)
{
    (void)c;
    return ct_mul(ctx, &in[0], &in[1], out);
}
static void mul_ref(const ct_optest_case *c, const double *const *in, double *out) { ref_mul(n0(c), in[0], in[1], out); }
static ct_status mul_bwd(ct_context *ctx, const ct_optest_case *c, const ct_tensor *in, const ct_tensor *out,
                         const ct_tensor *dy, ct_tensor *dx)
{
    (void)c, (void)out;
    CT_TRY(ct_mul(ctx, dy, &in[1], &dx[0]));
    return ct_mul(ctx, dy, &in[0], &dx[1]);
}
static const ct_optest_op op_mul = {"mul", same_shape, mul_fwd, mul_ref, mul_bwd, NULL};

/* scale by fp[0] */
static ct_status scale_fwd(ct_context *ctx, const ct_optest_case *c, const ct_tensor *in, ct_tensor *out)
{
    return ct_scale(ctx, c->fp[0], &in[0], out);
}
static void scale_ref(const ct_optest_case *c, const double *const *in, double *out)
{
    ref_scale(n0(c), c->fp[0], in[0], out);
}
static ct_status scale_bwd(ct_context *ctx, const ct_optest_case *c, const ct_tensor *in, const ct_tensor *out,
                           const ct_tensor *dy, ct_tensor *dx)
{
    (void)in, (void)out;
    return ct_scale(ctx, c->fp[0], dy, &dx[0]);
}
static const ct_optest_op op_scale = {"scale", same_shape, scale_fwd, scale_ref, scale_bwd, NULL};

static ct_status relu_fwd(ct_context *ctx, const ct_optest_case *c, const ct_tensor *in, ct_tensor *out)
{
    (void)c;
    return ct_relu_forward(ctx, &in[0], out);
}
static void relu_ref(const ct_optest_case *c, const double *const *in, double *out) { ref_relu(n0(c), in[0], out); }
static ct_status relu_bwd(ct_context *ctx, const ct_optest_case *c, const ct_tensor *in, const ct_tensor *out,
                          const ct_tensor *dy, ct_tensor *dx)
{
    (void)c, (void)out;
    return ct_relu_backward(ctx, &in[0], dy, &dx[0]);
}
static const ct_optest_op op_relu = {"relu", same_shape, relu_fwd, relu_ref, relu_bwd, NULL};

static ct_status scalar_shape(const ct_optest_case *c, int *ndim, size_t *shape)
{
    (void)c;
    *ndim = 1;
    shape[0] = 1;
    return CT_OK;
}
static ct_status sum_fwd(ct_context *ctx, const ct_optest_case *c, const ct_tensor *in, ct_tensor *out)
{
    (void)c;
    return ct_sum(ctx, &in[0], out);
}
static void sum_ref(const ct_optest_case *c, const double *const *in, double *out) { out[0] = ref_sum(n0(c), in[0]); }
static const ct_optest_op op_sum = {"sum", scalar_shape, sum_fwd, sum_ref, NULL, NULL};

#define V1(n) {1, {n}, -1, 1, 0, 1}
#define V2(a, b) {2, {a, b}, -1, 1, 0, 1}

static const ct_optest_case cases[] = {
    {&op_add, "one element", 2, {V1(1), V1(1)}, {0}, {0}, 0, 0},
    {&op_add, "odd prime", 2, {V1(1031), V1(1031)}, {0}, {0}, 0, 0},
    {&op_add, "above work-group size", 2, {V1(CT_OPTEST_ABOVE_WG), V1(CT_OPTEST_ABOVE_WG)}, {0}, {0}, 0, 0},
    {&op_mul, "odd 2-D", 2, {V2(37, 53), V2(37, 53)}, {0}, {0}, 0, 0},
    {&op_mul, "above work-group size", 2, {V1(CT_OPTEST_ABOVE_WG), V1(CT_OPTEST_ABOVE_WG)}, {0}, {0}, 0, 0},
    {&op_scale, "alpha -2.5", 1, {V1(997)}, {0}, {-2.5f}, 0, 0},
    {&op_relu, "odd prime", 1, {V1(1031)}, {0}, {0}, 0, 0},
    {&op_relu, "4-D", 1, {{4, {3, 7, 5, 11}, -1, 1, 0, 1}}, {0}, {0}, 0, 0},
    {&op_relu, "above work-group size", 1, {V1(CT_OPTEST_ABOVE_WG)}, {0}, {0}, 0, 0},
    {&op_sum, "one element", 1, {V1(1)}, {0}, {0}, 1e-8, 0},
    {&op_sum, "odd prime", 1, {V1(10007)}, {0}, {0}, 1e-8, 0},
    {&op_sum, "above work-group size", 1, {V1(CT_OPTEST_ABOVE_WG)}, {0}, {0}, 1e-8, 0},
};
const ct_optest_family ct_optest_family_elementwise = CT_OPTEST_FAMILY("elementwise", cases);
