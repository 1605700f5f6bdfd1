/* Launchers for cl/activations.cl: activations, softmax, bias + activation.
 * They live with the GEMM, below the other ops, because they are the GEMM's
 * epilogue whenever an engine cannot fuse it (gemm.c), while ops (conv.c)
 * and the model call both the GEMM and these as ops of their own. */
#include "cltrain/ops_activation.h"

#include <math.h>
#include <string.h>

#include "core/launch_groups.h"

ct_status ct_activation_from_name(const char *name, ct_activation *out)
{
    if (!name || !*name) {
        *out = CT_ACTIVATION_LINEAR;
        return CT_OK;
    }
    for (int a = 0; a < CT_ACTIVATION_COUNT; a++)
        if (!strcmp(name, ct_activation_name((ct_activation)a))) {
            *out = (ct_activation)a;
            return CT_OK;
        }
    if (!strcmp(name, "swish")) { /* Keras 3's alias of silu */
        *out = CT_ACTIVATION_SILU;
        return CT_OK;
    }
    return ct_fail(CT_ERR_CONFIG,
                   "unknown activation '%s' (expected linear, relu, sigmoid, tanh, softmax, leaky_relu, elu, gelu, "
                   "gelu_approximate, silu, selu or softplus)",
                   name);
}

bool ct_activation_needs_x(ct_activation act)
{
    return act == CT_ACTIVATION_GELU || act == CT_ACTIVATION_GELU_APPROXIMATE || act == CT_ACTIVATION_SILU;
}

/* The activation's parameter as the kernels take it. */
static float activation_param(ct_activation act)
{
    return act == CT_ACTIVATION_LEAKY_RELU ? CT_LEAKY_RELU_NEGATIVE_SLOPE : act == CT_ACTIVATION_ELU ? CT_ELU_ALPHA : 0.0f;
}

static ct_status check_activation(const char *op, ct_activation act)
{
    if ((unsigned)act < CT_ACTIVATION_COUNT)
        return CT_OK;
    return ct_fail(CT_ERR_INVALID_ARGUMENT, "%s: activation %d is not a ct_activation", op, (int)act);
}

static ct_status check_same_shape(const char *op, const ct_tensor *a, const ct_tensor *b)
{
    size_t ra, ca, rb, cb;
    ct_nn_rows_cols(a, &ra, &ca);
    ct_nn_rows_cols(b, &rb, &cb);
    if (ra == rb && ca == cb)
        return CT_OK;
    char sa[96], sb[96];
    return ct_fail(CT_ERR_SHAPE, "%s: shapes %s and %s differ", op, ct_shape_str(a->ndim, a->shape, sa, sizeof sa),
                   ct_shape_str(b->ndim, b->shape, sb, sizeof sb));
}

static ct_status check_bias(const char *op, const ct_tensor *bias, size_t cols)
{
    if (ct_tensor_count(bias) == cols)
        return CT_OK;
    char s[96];
    return ct_fail(CT_ERR_SHAPE, "%s: bias %s should hold %zu values, one per unit of the last axis", op,
                   ct_shape_str(bias->ndim, bias->shape, s, sizeof s), cols);
}

/* The activation and its parameter: the arguments every activation kernel
 * takes right after its sizes. */
static cl_int arg_act(cl_kernel k, cl_uint *i, ct_activation act, cl_float param)
{
    cl_int a = (cl_int)act;
    cl_int err = CT_ARG(k, (*i)++, a);
    return err | CT_ARG(k, (*i)++, param);
}

/* The sizes the row-wise kernels (softmax, bias+activation) start with. */
static cl_int arg_rows_cols(cl_kernel k, cl_uint *i, size_t rows, size_t cols)
{
    cl_ulong r = rows, c = cols;
    cl_int err = CT_ARG(k, (*i)++, r);
    return err | CT_ARG(k, (*i)++, c);
}

/* The head of the bias+activation kernels: rows, cols, act, its parameter. */
static cl_int arg_rows_cols_act(cl_kernel k, cl_uint *i, size_t rows, size_t cols, ct_activation act)
{
    return arg_rows_cols(k, i, rows, cols) | arg_act(k, i, act, activation_param(act));
}

/* Two or three tensors as consecutive arguments (c NULL: two). */
static cl_int arg_tensors(cl_kernel k, cl_uint *i, const ct_tensor *a, const ct_tensor *b, const ct_tensor *c)
{
    cl_int err = ct_arg_tensor(k, i, a);
    err |= ct_arg_tensor(k, i, b);
    return c ? err | ct_arg_tensor(k, i, c) : err;
}

/* Softmax over rows of x (+ bias when given) into y: one launch. */
static ct_status softmax_forward(ct_context *ctx, const ct_tensor *x, const ct_tensor *bias, ct_tensor *y)
{
    cl_kernel k;
    CT_TRY(ct_context_kernel(ctx, "activations", "softmax_forward", &k));
    size_t rows, cols;
    ct_nn_rows_cols(x, &rows, &cols);
    cl_int has_bias = bias != NULL;
    const ct_tensor *b = bias ? bias : x; /* any valid buffer when unused */
    cl_uint i = 0;
    cl_int err = arg_rows_cols(k, &i, rows, cols);
    err |= ct_arg_tensor(k, &i, x);
    err |= CT_ARG(k, i++, has_bias);
    err |= ct_arg_tensor(k, &i, b);
    err |= ct_arg_tensor(k, &i, y);
    CT_TRY(ct_args_ok(err, "softmax_forward"));
    return ct_nn_launch_rows(ctx, k, i, rows, cols, "softmax_forward");
}

static ct_status softmax_backward(ct_context *ctx, const ct_tensor *y, const ct_tensor *dy, ct_tensor *dx)
{
    cl_kernel k;
    CT_TRY(ct_context_kernel(ctx, "activations", "softmax_backward", &k));
    size_t rows, cols;
    ct_nn_rows_cols(y, &rows, &cols);
    cl_uint i = 0;
    cl_int err = arg_rows_cols(k, &i, rows, cols);
    err |= arg_tensors(k, &i, y, dy, dx);
    CT_TRY(ct_args_ok(err, "softmax_backward"));
    return ct_nn_launch_rows(ctx, k, i, rows, cols, "softmax_backward");
}

static ct_status activation_forward(ct_context *ctx, ct_activation act, cl_float param, const ct_tensor *x,
                                    ct_tensor *y);
static ct_status activation_backward(ct_context *ctx, ct_activation act, cl_float param, const ct_tensor *x,
                                     const ct_tensor *y, const ct_tensor *dy, ct_tensor *dx);

ct_status ct_activation_forward(ct_context *ctx, ct_activation act, const ct_tensor *x, ct_tensor *y)
{
    return activation_forward(ctx, act, activation_param(act), x, y);
}

ct_status ct_activation_backward(ct_context *ctx, ct_activation act, const ct_tensor *x, const ct_tensor *y,
                                 const ct_tensor *dy, ct_tensor *dx)
{
    return activation_backward(ctx, act, activation_param(act), x, y, dy, dx);
}

static ct_status check_slope(float negative_slope)
{
    if (negative_slope >= 0.0f && negative_slope < INFINITY)
        return CT_OK;
    return ct_fail(CT_ERR_INVALID_ARGUMENT, "leaky_relu: negative_slope %g must be a number >= 0",
                   (double)negative_slope);
}

ct_status ct_leaky_relu_forward(ct_context *ctx, float negative_slope, const ct_tensor *x, ct_tensor *y)
{
    CT_TRY(check_slope(negative_slope));
    return activation_forward(ctx, CT_ACTIVATION_LEAKY_RELU, negative_slope, x, y);
}

ct_status ct_leaky_relu_backward(ct_context *ctx, float negative_slope, const ct_tensor *x, const ct_tensor *y,
                                 const ct_tensor *dy, ct_tensor *dx)
{
    CT_TRY(check_slope(negative_slope));
    return activation_backward(ctx, CT_ACTIVATION_LEAKY_RELU, negative_slope, x, y, dy, dx);
}

static ct_status activation_forward(ct_context *ctx, ct_activation act, cl_float param, const ct_tensor *x,
                                    ct_tensor *y)
{
    CT_TRY(check_activation("activation forward", act));
    CT_TRY(check_same_shape(ct_activation_name(act), x, y));
    if (act == CT_ACTIVATION_SOFTMAX)
        return softmax_forward(ctx, x, NULL, y);
    cl_kernel k;
    CT_TRY(ct_context_kernel(ctx, "activations", "act_forward", &k));
    cl_ulong n = ct_tensor_count(x);
    cl_uint i = 0;
    cl_int err = CT_ARG(k, i++, n);
    err |= arg_act(k, &i, act, param);
    err |= arg_tensors(k, &i, x, y, NULL);
    CT_TRY(ct_args_ok(err, "act_forward"));
    return ct_launch_1d(ctx, k, n, "act_forward");
}

static ct_status activation_backward(ct_context *ctx, ct_activation act, cl_float param, const ct_tensor *x,
                                     const ct_tensor *y, const ct_tensor *dy, ct_tensor *dx)
{
    CT_TRY(check_activation("activation backward", act));
    bool need_x = ct_activation_needs_x(act);
    if (need_x && !x)
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "%s backward: needs the forward input x (its derivative is not a "
                       "function of y)", ct_activation_name(act));
    const ct_tensor *v = y && !need_x ? y : x;
    if (!v)
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "%s backward: needs the forward input x or output y",
                       ct_activation_name(act));
    CT_TRY(check_same_shape(ct_activation_name(act), v, dy));
    CT_TRY(check_same_shape(ct_activation_name(act), v, dx));
    if (act == CT_ACTIVATION_SOFTMAX) {
        if (!y)
            return ct_fail(CT_ERR_INVALID_ARGUMENT, "softmax backward: needs the forward output y");
        return softmax_backward(ctx, y, dy, dx);
    }
    cl_kernel k;
    CT_TRY(ct_context_kernel(ctx, "activations", "act_backward", &k));
    cl_ulong n = ct_tensor_count(v);
    cl_int from_y = v == y;
    cl_uint i = 0;
    cl_int err = CT_ARG(k, i++, n);
    err |= arg_act(k, &i, act, param);
    err |= CT_ARG(k, i++, from_y);
    err |= arg_tensors(k, &i, v, dy, dx);
    CT_TRY(ct_args_ok(err, "act_backward"));
    return ct_launch_1d(ctx, k, n, "act_backward");
}

ct_status ct_bias_activation_forward(ct_context *ctx, ct_activation act, const ct_tensor *z, const ct_tensor *bias,
                                     ct_tensor *y)
{
    CT_TRY(check_activation("bias+activation forward", act));
    if (!bias)
        return ct_activation_forward(ctx, act, z, y);
    CT_TRY(check_same_shape("bias+activation forward", z, y));
    size_t rows, cols;
    ct_nn_rows_cols(z, &rows, &cols);
    CT_TRY(check_bias("bias+activation forward", bias, cols));
    if (act == CT_ACTIVATION_SOFTMAX)
        return softmax_forward(ctx, z, bias, y);
    cl_kernel k;
    CT_TRY(ct_context_kernel(ctx, "activations", "bias_act_forward", &k));
    cl_uint i = 0;
    cl_int err = arg_rows_cols_act(k, &i, rows, cols, act);
    err |= arg_tensors(k, &i, z, bias, y);
    CT_TRY(ct_args_ok(err, "bias_act_forward"));
    size_t global[2] = {cols, rows};
    return ct_launch_nd(ctx, k, 2, global, "bias_act_forward");
}

/* dz = dy * act'(y) and, when dbias is given, its column sums: one launch. */
static ct_status bias_act_backward_fused(ct_context *ctx, ct_activation act, const ct_tensor *y, const ct_tensor *dy,
                                         ct_tensor *dz, ct_tensor *dbias)
{
    cl_kernel k;
    CT_TRY(ct_context_kernel(ctx, "activations", "bias_act_backward", &k));
    size_t rows, cols;
    ct_nn_rows_cols(y, &rows, &cols);
    cl_int want_dbias = dbias != NULL;
    cl_uint i = 0;
    cl_int err = arg_rows_cols_act(k, &i, rows, cols, act);
    err |= arg_tensors(k, &i, y, dy, dz);
    err |= CT_ARG(k, i++, want_dbias);
    err |= ct_arg_tensor(k, &i, dbias ? dbias : dz); /* any valid buffer when unused */
    CT_TRY(ct_args_ok(err, "bias_act_backward"));
    return ct_nn_launch_columns(ctx, k, i, rows, cols, "bias_act_backward");
}

ct_status ct_bias_activation_backward(ct_context *ctx, ct_activation act, const ct_tensor *y, const ct_tensor *dy,
                                      ct_tensor *dz, ct_tensor *dbias)
{
    CT_TRY(check_activation("bias+activation backward", act));
    if (ct_activation_needs_x(act))
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "bias+activation backward: %s needs the pre-activation values, "
                       "not y", ct_activation_name(act));
    CT_TRY(check_same_shape("bias+activation backward", y, dy));
    CT_TRY(check_same_shape("bias+activation backward", y, dz));
    size_t rows, cols;
    ct_nn_rows_cols(y, &rows, &cols);
    if (dbias)
        CT_TRY(check_bias("bias+activation backward", dbias, cols));
    if (act == CT_ACTIVATION_SOFTMAX && cols > CT_NN_COLUMN_BLOCK) {
        /* The fused kernel holds whole softmax rows in one item only up to
         * CT_NN_COLUMN_BLOCK columns. Longer rows: the row pass, then the
         * column sums of dz in place (linear: dz = dz). */
        CT_TRY(softmax_backward(ctx, y, dy, dz));
        return dbias ? bias_act_backward_fused(ctx, CT_ACTIVATION_LINEAR, dz, dz, dz, dbias) : CT_OK;
    }
    return bias_act_backward_fused(ctx, act, y, dy, dz, dbias);
}
