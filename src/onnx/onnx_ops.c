/* The ONNX operators cltrain runs (see onnx_model.h for the list and how
 * each maps onto src/ops and src/gemm). Values live on the host between
 * nodes; each op uploads its operands, computes on the device and reads
 * the result back.
 * Longer than 600 lines: one short, self-contained function per operator
 * and the table that names them; splitting by operator family would only
 * move the table's references across files. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cltrain/gemm.h"
#include "cltrain/ops.h"
#include "cltrain/ops_conv.h"
#include "cltrain/ops_nn.h"
#include "onnx/onnx_internal.h"

/* ================================================================ device */

/* A device tensor holding n host floats, shaped (ndim, shape) (n > 0). */
static ct_status upload(ct_context *ctx, const float *host, int ndim, const size_t *shape, ct_tensor *t)
{
    CT_TRY(ct_tensor_create(ctx, ndim, shape, t));
    ct_status s = ct_tensor_write(ctx, t, host);
    if (s != CT_OK)
        ct_tensor_release(t);
    return s;
}

static ct_status upload_flat(ct_context *ctx, const float *host, size_t n, ct_tensor *t)
{
    return upload(ctx, host, 1, &n, t);
}

static ct_status download(ct_context *ctx, const ct_tensor *t, int ndim, const int64_t *dims, ct_onnx_tensor *out)
{
    CT_TRY(ct_onnx_tensor_alloc(out, ndim, dims, 0));
    ct_status s = ct_tensor_read(ctx, t, out->f);
    if (s != CT_OK)
        ct_onnx_tensor_free(out);
    return s;
}

static ct_status need_float(const ct_onnx_call *c, int i)
{
    if (c->in[i] && c->in[i]->is_int64)
        return ct_onnx_unsupported(c->node, "input %d is int64 (float32 only)", i);
    return CT_OK;
}

/* y = act(x) element-wise on the device, for any shape. */
static ct_status activation_on(ct_context *ctx, ct_activation act, const ct_onnx_tensor *x, ct_onnx_tensor *y)
{
    size_t n = ct_onnx_tensor_count(x);
    if (n == 0)
        return ct_onnx_tensor_alloc(y, x->ndim, x->dims, 0);
    ct_tensor t;
    CT_TRY(upload_flat(ctx, x->f, n, &t));
    ct_status s = ct_activation_forward(ctx, act, &t, &t);
    if (s == CT_OK)
        s = download(ctx, &t, x->ndim, x->dims, y);
    ct_tensor_release(&t);
    return s;
}

/* ============================================================ simple ops */

static ct_status run_identity(const ct_onnx_call *c) { return ct_onnx_tensor_copy(c->in[0], &c->out[0]); }

/* Constant: its `value` tensor (the value_float, value_ints, ... forms are
 * not in the attribute list, so they are refused by name). */
static ct_status check_constant(const Onnx__NodeProto *n, int64_t opset)
{
    (void)opset;
    const Onnx__AttributeProto *a = ct_onnx_attr(n, "value");
    if (!a || !a->t)
        return ct_onnx_unsupported(n, "no tensor attribute value");
    return CT_OK;
}

static ct_status run_constant(const ct_onnx_call *c)
{
    return ct_onnx_tensor_from_proto(ct_onnx_attr(c->node, "value")->t, &c->out[0]);
}

static ct_status run_dropout(const ct_onnx_call *c)
{
    if (c->in[2] && ct_onnx_tensor_count(c->in[2]) == 1 && (c->in[2]->is_int64 ? c->in[2]->i[0] != 0 : c->in[2]->f[0] != 0))
        return ct_onnx_unsupported(c->node, "input training_mode = true (inference only)");
    return ct_onnx_tensor_copy(c->in[0], &c->out[0]); /* inference: the identity */
}

static ct_status run_relu(const ct_onnx_call *c)
{
    CT_TRY(need_float(c, 0));
    return activation_on(c->ctx, CT_ACTIVATION_RELU, c->in[0], &c->out[0]);
}

static ct_status run_sigmoid(const ct_onnx_call *c)
{
    CT_TRY(need_float(c, 0));
    return activation_on(c->ctx, CT_ACTIVATION_SIGMOID, c->in[0], &c->out[0]);
}

static ct_status run_tanh(const ct_onnx_call *c)
{
    CT_TRY(need_float(c, 0));
    return activation_on(c->ctx, CT_ACTIVATION_TANH, c->in[0], &c->out[0]);
}

/* LeakyRelu(alpha) and Elu(alpha) with cltrain's constants run natively;
 * other alphas are composed on the device:
 *   leaky(x)  = relu(x) - alpha relu(-x)
 *   elu_a(x)  = relu(x) + alpha elu_1(-relu(-x))   (elu_1(v) = e^v - 1 for v <= 0) */
static ct_status run_alpha_activation(const ct_onnx_call *c, ct_activation act, float native, float fallback)
{
    CT_TRY(need_float(c, 0));
    float alpha = ct_onnx_attr_f(c->node, "alpha", fallback);
    if (alpha == native)
        return activation_on(c->ctx, act, c->in[0], &c->out[0]);
    size_t n = ct_onnx_tensor_count(c->in[0]);
    if (n == 0)
        return ct_onnx_tensor_alloc(&c->out[0], c->in[0]->ndim, c->in[0]->dims, 0);
    ct_tensor x = {0}, neg = {0};
    ct_status s = upload_flat(c->ctx, c->in[0]->f, n, &x);
    if (s == CT_OK)
        s = ct_tensor_create(c->ctx, 1, &n, &neg);
    if (s == CT_OK)
        s = ct_scale(c->ctx, -1.0f, &x, &neg); /* -x */
    if (s == CT_OK)
        s = ct_relu_forward(c->ctx, &neg, &neg); /* relu(-x) */
    if (s == CT_OK)
        s = ct_relu_forward(c->ctx, &x, &x); /* relu(x) */
    if (s == CT_OK && act == CT_ACTIVATION_ELU) {
        s = ct_scale(c->ctx, -1.0f, &neg, &neg); /* min(x, 0) */
        if (s == CT_OK)
            s = ct_activation_forward(c->ctx, CT_ACTIVATION_ELU, &neg, &neg);
        if (s == CT_OK)
            s = ct_scale(c->ctx, alpha, &neg, &neg);
    } else if (s == CT_OK) {
        s = ct_scale(c->ctx, -alpha, &neg, &neg);
    }
    if (s == CT_OK)
        s = ct_add(c->ctx, &x, &neg, &x);
    if (s == CT_OK)
        s = download(c->ctx, &x, c->in[0]->ndim, c->in[0]->dims, &c->out[0]);
    ct_tensor_release(&x);
    ct_tensor_release(&neg);
    return s;
}

static ct_status run_leaky_relu(const ct_onnx_call *c)
{
    return run_alpha_activation(c, CT_ACTIVATION_LEAKY_RELU, CT_LEAKY_RELU_NEGATIVE_SLOPE, 0.01f);
}

static ct_status run_elu(const ct_onnx_call *c) { return run_alpha_activation(c, CT_ACTIVATION_ELU, CT_ELU_ALPHA, 1.0f); }

static ct_status run_softplus(const ct_onnx_call *c)
{
    CT_TRY(need_float(c, 0));
    return activation_on(c->ctx, CT_ACTIVATION_SOFTPLUS, c->in[0], &c->out[0]);
}

/* Selu with ONNX's default constants (Keras's, which cltrain's selu uses). */
static ct_status check_selu(const Onnx__NodeProto *n, int64_t opset)
{
    (void)opset;
    float alpha = ct_onnx_attr_f(n, "alpha", 1.67326319217681884765625f);
    float gamma = ct_onnx_attr_f(n, "gamma", 1.05070102214813232421875f);
    if (alpha != 1.67326319217681884765625f || gamma != 1.05070102214813232421875f)
        return ct_onnx_unsupported(n, "alpha %g and gamma %g: only the defaults (Keras's selu) are supported",
                                   (double)alpha, (double)gamma);
    return CT_OK;
}

static ct_status run_selu(const ct_onnx_call *c)
{
    CT_TRY(need_float(c, 0));
    return activation_on(c->ctx, CT_ACTIVATION_SELU, c->in[0], &c->out[0]);
}

/* Erf (cltrain's gelu export writes x 0.5 (1 + Erf(x / sqrt 2))): the one
 * operator computed on the host, element by element in double, as no
 * device op has erf on its own. */
static ct_status run_erf(const ct_onnx_call *c)
{
    CT_TRY(need_float(c, 0));
    const ct_onnx_tensor *x = c->in[0];
    CT_TRY(ct_onnx_tensor_alloc(&c->out[0], x->ndim, x->dims, 0));
    size_t n = ct_onnx_tensor_count(x);
    for (size_t i = 0; i < n; i++)
        c->out[0].f[i] = (float)erf((double)x->f[i]);
    return CT_OK;
}

static int norm_axis(int64_t axis, int ndim) { return (int)(axis < 0 ? axis + ndim : axis); }

/* Softmax: opset 13 on one axis (moved last on the host when it is not);
 * before 13, on the trailing block from axis on, as a 2-D (rows, cols). */
static ct_status run_softmax(const ct_onnx_call *c)
{
    CT_TRY(need_float(c, 0));
    const ct_onnx_tensor *x = c->in[0];
    int ndim = x->ndim;
    int axis = norm_axis(ct_onnx_attr_i(c->node, "axis", c->opset >= 13 ? -1 : 1), ndim);
    if (axis < 0 || axis >= (ndim ? ndim : 1))
        return ct_onnx_unsupported(c->node, "attribute axis = %lld is outside the input's rank %d",
                                   (long long)ct_onnx_attr_i(c->node, "axis", 0), ndim);
    ct_onnx_tensor moved = {0}, result = {0};
    const ct_onnx_tensor *src = x;
    int perm[CT_ONNX_MAX_DIMS];
    bool move = c->opset >= 13 && axis != ndim - 1;
    if (move) { /* axis to the end, the others in order */
        for (int d = 0, k = 0; d < ndim; d++)
            if (d != axis)
                perm[k++] = d;
        perm[ndim - 1] = axis;
        CT_TRY(ct_onnx_transpose(x, perm, &moved));
        src = &moved;
    }
    size_t total = ct_onnx_tensor_count(src), cols = 1;
    if (c->opset >= 13)
        cols = ndim ? (size_t)src->dims[ndim - 1] : 1;
    else
        for (int d = axis; d < ndim; d++)
            cols *= (size_t)src->dims[d];
    ct_status s = CT_OK;
    if (total == 0) {
        s = ct_onnx_tensor_alloc(&result, src->ndim, src->dims, 0);
    } else {
        size_t shape[2] = {total / cols, cols};
        ct_tensor t;
        s = upload(c->ctx, src->f, 2, shape, &t);
        if (s == CT_OK) {
            s = ct_activation_forward(c->ctx, CT_ACTIVATION_SOFTMAX, &t, &t);
            if (s == CT_OK)
                s = download(c->ctx, &t, src->ndim, src->dims, &result);
            ct_tensor_release(&t);
        }
    }
    if (s == CT_OK && move) {
        int back[CT_ONNX_MAX_DIMS];
        for (int d = 0; d < ndim; d++)
            back[perm[d]] = d;
        s = ct_onnx_transpose(&result, back, &c->out[0]);
        ct_onnx_tensor_free(&result);
    } else if (s == CT_OK) {
        c->out[0] = result;
    }
    ct_onnx_tensor_free(&moved);
    return s;
}

/* ============================================================ shape ops */

static ct_status reshaped(const ct_onnx_tensor *x, int ndim, const int64_t *dims, ct_onnx_tensor *y)
{
    CT_TRY(ct_onnx_tensor_copy(x, y));
    y->ndim = ndim;
    memcpy(y->dims, dims, (size_t)ndim * sizeof *dims);
    return CT_OK;
}

static ct_status run_flatten(const ct_onnx_call *c)
{
    const ct_onnx_tensor *x = c->in[0];
    int axis = norm_axis(ct_onnx_attr_i(c->node, "axis", 1), x->ndim);
    if (axis < 0 || axis > x->ndim)
        return ct_onnx_unsupported(c->node, "attribute axis = %d is outside the input's rank %d", axis, x->ndim);
    int64_t dims[2] = {1, 1};
    for (int d = 0; d < x->ndim; d++)
        dims[d >= axis] *= x->dims[d];
    return reshaped(x, 2, dims, &c->out[0]);
}

/* Concat (Keras' Concatenate): a copy, done on the host where the values
 * live between nodes; every input float32 of one rank, the same sizes but
 * on `axis`. */
static ct_status run_concat(const ct_onnx_call *c)
{
    size_t count = c->node->n_input;
    const ct_onnx_tensor *first = c->in[0];
    if (!ct_onnx_attr(c->node, "axis"))
        return ct_onnx_unsupported(c->node, "no attribute axis (Concat requires it)");
    int ndim = first->ndim, axis = norm_axis(ct_onnx_attr_i(c->node, "axis", 0), first->ndim);
    if (axis < 0 || axis >= ndim)
        return ct_onnx_unsupported(c->node, "attribute axis is outside the inputs' rank %d", ndim);
    int64_t dims[CT_ONNX_MAX_DIMS];
    memcpy(dims, first->dims, (size_t)ndim * sizeof *dims);
    dims[axis] = 0;
    for (size_t k = 0; k < count; k++) {
        CT_TRY(need_float(c, (int)k));
        const ct_onnx_tensor *x = c->in[k];
        bool fits = x && x->ndim == ndim;
        for (int d = 0; fits && d < ndim; d++)
            fits = d == axis || x->dims[d] == first->dims[d];
        if (!fits)
            return ct_onnx_unsupported(c->node, "input %zu's shape differs from input 0's off axis %d", k, axis);
        dims[axis] += x->dims[axis];
    }
    CT_TRY(ct_onnx_tensor_alloc(&c->out[0], ndim, dims, 0));
    size_t outer = 1, row = 1, at = 0; /* row: floats of one output slice beyond the axes before `axis` */
    for (int d = 0; d < axis; d++)
        outer *= (size_t)dims[d];
    for (int d = axis; d < ndim; d++)
        row *= (size_t)dims[d];
    for (size_t k = 0; k < count; k++) {
        size_t part = ct_onnx_tensor_count(c->in[k]) / (outer ? outer : 1);
        for (size_t o = 0; o < outer; o++)
            memcpy(c->out[0].f + o * row + at, c->in[k]->f + o * part, part * sizeof(float));
        at += part;
    }
    return CT_OK;
}

static ct_status run_reshape(const ct_onnx_call *c)
{
    const ct_onnx_tensor *x = c->in[0], *shape = c->in[1];
    if (!shape->is_int64 || shape->ndim != 1)
        return ct_onnx_unsupported(c->node, "input shape must be a 1-D int64 tensor");
    int ndim = (int)shape->dims[0];
    if (ndim > CT_ONNX_MAX_DIMS)
        return ct_onnx_unsupported(c->node, "a result of rank %d (at most %d)", ndim, CT_ONNX_MAX_DIMS);
    bool allowzero = ct_onnx_attr_i(c->node, "allowzero", 0) != 0;
    int64_t dims[CT_ONNX_MAX_DIMS], known = 1;
    int infer = -1;
    for (int d = 0; d < ndim; d++) {
        dims[d] = shape->i[d];
        if (dims[d] == 0 && allowzero)
            return ct_onnx_unsupported(c->node, "attribute allowzero = 1 with a 0 in the shape (empty tensors)");
        if (dims[d] == 0)
            dims[d] = d < x->ndim ? x->dims[d] : 0; /* 0: copy the input's dimension */
        if (dims[d] == -1) {
            if (infer >= 0)
                return ct_fail(CT_ERR_SHAPE, "Reshape: more than one -1 in the shape");
            infer = d;
        } else if (dims[d] < 0) {
            return ct_fail(CT_ERR_SHAPE, "Reshape: dimension %lld", (long long)dims[d]);
        } else {
            known *= dims[d];
        }
    }
    int64_t total = (int64_t)ct_onnx_tensor_count(x);
    if (infer >= 0)
        dims[infer] = known ? total / known : 0;
    int64_t product = 1;
    for (int d = 0; d < ndim; d++)
        product *= dims[d];
    if (product != total)
        return ct_fail(CT_ERR_SHAPE, "Reshape: %lld values into a shape of %lld", (long long)total, (long long)product);
    return reshaped(x, ndim, dims, &c->out[0]);
}

static ct_status run_transpose(const ct_onnx_call *c)
{
    const ct_onnx_tensor *x = c->in[0];
    size_t n;
    const int64_t *p = ct_onnx_attr_ints(c->node, "perm", &n);
    int perm[CT_ONNX_MAX_DIMS];
    if (p && (int)n != x->ndim)
        return ct_fail(CT_ERR_SHAPE, "Transpose: perm has %zu entries for rank %d", n, x->ndim);
    for (int d = 0; d < x->ndim; d++) {
        perm[d] = p ? (int)p[d] : x->ndim - 1 - d; /* default: reverse the axes */
        if (perm[d] < 0 || perm[d] >= x->ndim)
            return ct_fail(CT_ERR_SHAPE, "Transpose: perm entry %d", perm[d]);
    }
    return ct_onnx_transpose(x, perm, &c->out[0]);
}

/* ====================================================== element-wise pairs */

typedef enum { BIN_ADD, BIN_SUB, BIN_MUL, BIN_DIV } binary_op;

/* Broadcast on the host; ct_add / ct_mul on the device (Sub adds -b, scaled
 * on the device; Div multiplies by 1/b, taken on the host). */
static ct_status run_binary(const ct_onnx_call *c, binary_op op)
{
    CT_TRY(need_float(c, 0));
    CT_TRY(need_float(c, 1));
    int ndim;
    int64_t dims[CT_ONNX_MAX_DIMS];
    CT_TRY(ct_onnx_broadcast_shape(c->in[0], c->in[1], &ndim, dims));
    ct_onnx_tensor a = {0}, b = {0};
    ct_status s = ct_onnx_expand(c->in[0], ndim, dims, &a);
    if (s == CT_OK)
        s = ct_onnx_expand(c->in[1], ndim, dims, &b);
    size_t n = ct_onnx_tensor_count(&a);
    if (s == CT_OK && n == 0) {
        s = ct_onnx_tensor_alloc(&c->out[0], ndim, dims, 0);
        n = 0;
    }
    if (s == CT_OK && n) {
        if (op == BIN_DIV)
            for (size_t i = 0; i < n; i++)
                b.f[i] = 1.0f / b.f[i];
        ct_tensor ta = {0}, tb = {0};
        s = upload_flat(c->ctx, a.f, n, &ta);
        if (s == CT_OK)
            s = upload_flat(c->ctx, b.f, n, &tb);
        if (s == CT_OK && op == BIN_SUB)
            s = ct_scale(c->ctx, -1.0f, &tb, &tb);
        if (s == CT_OK)
            s = op == BIN_ADD || op == BIN_SUB ? ct_add(c->ctx, &ta, &tb, &ta) : ct_mul(c->ctx, &ta, &tb, &ta);
        if (s == CT_OK)
            s = download(c->ctx, &ta, ndim, dims, &c->out[0]);
        ct_tensor_release(&ta);
        ct_tensor_release(&tb);
    }
    ct_onnx_tensor_free(&a);
    ct_onnx_tensor_free(&b);
    return s;
}

static ct_status run_add(const ct_onnx_call *c) { return run_binary(c, BIN_ADD); }
static ct_status run_sub(const ct_onnx_call *c) { return run_binary(c, BIN_SUB); }
static ct_status run_mul(const ct_onnx_call *c) { return run_binary(c, BIN_MUL); }
static ct_status run_div(const ct_onnx_call *c) { return run_binary(c, BIN_DIV); }

/* ================================================================= GEMM */

/* y (m, n) = alpha op(A) op(B) + beta y on the device, batch times, with
 * operands at the given element strides between batches. */
static ct_status gemm_batches(ct_context *ctx, const ct_onnx_tensor *a, const ct_onnx_tensor *b, size_t batches,
                              size_t m, size_t n, size_t k, bool ta, bool tb, float alpha, float beta,
                              const float *y_init, int ndim, const int64_t *dims, ct_onnx_tensor *out)
{
    size_t na = batches * m * k, nb = batches * k * n, ny = batches * m * n;
    if (ny == 0)
        return ct_onnx_tensor_alloc(out, ndim, dims, 0);
    ct_tensor da = {0}, db = {0}, dy = {0};
    ct_status s = CT_OK;
    if (k == 0) { /* an empty sum: beta y */
        s = ct_onnx_tensor_alloc(out, ndim, dims, 0);
        for (size_t i = 0; s == CT_OK && y_init && i < ny; i++)
            out->f[i] = beta * y_init[i];
        return s;
    }
    s = upload_flat(ctx, a->f, na, &da);
    if (s == CT_OK)
        s = upload_flat(ctx, b->f, nb, &db);
    if (s == CT_OK)
        s = y_init ? upload_flat(ctx, y_init, ny, &dy) : ct_tensor_zeros(ctx, 1, &ny, &dy);
    for (size_t i = 0; s == CT_OK && i < batches; i++) {
        ct_gemm_args g = {ta ? CT_TRANS : CT_NO_TRANS, tb ? CT_TRANS : CT_NO_TRANS, m, n, k, alpha,
                          y_init ? beta : 0.0f, da.buf, da.offset + i * m * k, ta ? m : k, db.buf,
                          db.offset + i * k * n, tb ? k : n, dy.buf, dy.offset + i * m * n, n};
        s = ct_gemm(ctx, &g);
    }
    if (s == CT_OK)
        s = download(ctx, &dy, ndim, dims, out);
    ct_tensor_release(&da);
    ct_tensor_release(&db);
    ct_tensor_release(&dy);
    return s;
}

static ct_status run_gemm(const ct_onnx_call *c)
{
    for (int i = 0; i < 3; i++)
        CT_TRY(need_float(c, i));
    const ct_onnx_tensor *a = c->in[0], *b = c->in[1], *bias = c->in[2];
    if (a->ndim != 2 || b->ndim != 2)
        return ct_fail(CT_ERR_SHAPE, "Gemm: A and B must be 2-D (got rank %d and %d)", a->ndim, b->ndim);
    bool ta = ct_onnx_attr_i(c->node, "transA", 0) != 0, tb = ct_onnx_attr_i(c->node, "transB", 0) != 0;
    size_t m = (size_t)a->dims[ta ? 1 : 0], k = (size_t)a->dims[ta ? 0 : 1];
    size_t kb = (size_t)b->dims[tb ? 1 : 0], n = (size_t)b->dims[tb ? 0 : 1];
    if (k != kb)
        return ct_fail(CT_ERR_SHAPE, "Gemm: inner dimensions %zu and %zu differ", k, kb);
    float alpha = ct_onnx_attr_f(c->node, "alpha", 1.0f), beta = ct_onnx_attr_f(c->node, "beta", 1.0f);
    int64_t dims[2] = {(int64_t)m, (int64_t)n};
    ct_onnx_tensor y0 = {0};
    if (bias)
        CT_TRY(ct_onnx_expand(bias, 2, dims, &y0)); /* C broadcast to (M, N) */
    ct_status s = gemm_batches(c->ctx, a, b, 1, m, n, k, ta, tb, alpha, beta, bias ? y0.f : NULL, 2, dims, &c->out[0]);
    ct_onnx_tensor_free(&y0);
    return s;
}

/* MatMul of rank >= 2 operands, batch axes broadcast (on the host). */
static ct_status run_matmul(const ct_onnx_call *c)
{
    CT_TRY(need_float(c, 0));
    CT_TRY(need_float(c, 1));
    const ct_onnx_tensor *a = c->in[0], *b = c->in[1];
    if (a->ndim < 2 || b->ndim < 2)
        return ct_onnx_unsupported(c->node, "a 1-D operand (rank %d and %d; cltrain multiplies matrices)", a->ndim,
                                   b->ndim);
    size_t m = (size_t)a->dims[a->ndim - 2], k = (size_t)a->dims[a->ndim - 1];
    size_t kb = (size_t)b->dims[b->ndim - 2], n = (size_t)b->dims[b->ndim - 1];
    if (k != kb)
        return ct_fail(CT_ERR_SHAPE, "MatMul: inner dimensions %zu and %zu differ", k, kb);
    ct_onnx_tensor ba = *a, bb = *b; /* batch shapes only */
    ba.ndim = a->ndim - 2, bb.ndim = b->ndim - 2;
    int nbatch;
    int64_t dims[CT_ONNX_MAX_DIMS];
    CT_TRY(ct_onnx_broadcast_shape(&ba, &bb, &nbatch, dims));
    size_t batches = 1;
    for (int d = 0; d < nbatch; d++)
        batches *= (size_t)dims[d];
    /* Each operand expanded to (batch..., rows, cols). */
    int64_t da[CT_ONNX_MAX_DIMS], db[CT_ONNX_MAX_DIMS];
    memcpy(da, dims, (size_t)nbatch * sizeof *da);
    memcpy(db, dims, (size_t)nbatch * sizeof *db);
    da[nbatch] = (int64_t)m, da[nbatch + 1] = (int64_t)k;
    db[nbatch] = (int64_t)k, db[nbatch + 1] = (int64_t)n;
    ct_onnx_tensor ea = {0}, eb = {0};
    ct_status s = ct_onnx_expand(a, nbatch + 2, da, &ea);
    if (s == CT_OK)
        s = ct_onnx_expand(b, nbatch + 2, db, &eb);
    dims[nbatch] = (int64_t)m, dims[nbatch + 1] = (int64_t)n;
    if (s == CT_OK)
        s = gemm_batches(c->ctx, &ea, &eb, batches, m, n, k, false, false, 1.0f, 0.0f, NULL, nbatch + 2, dims,
                         &c->out[0]);
    ct_onnx_tensor_free(&ea);
    ct_onnx_tensor_free(&eb);
    return s;
}

/* =============================================== windows: Conv and pooling */

typedef struct {
    size_t kh, kw, sh, sw;
    int64_t pad[4]; /* top, left, bottom, right */
    size_t oh, ow;
    size_t extra_h, extra_w; /* ceil_mode: rows/columns past the padded input */
} window;

static ct_status check_2d_window(const Onnx__NodeProto *n, bool needs_kernel_shape)
{
    size_t count;
    const int64_t *v = ct_onnx_attr_ints(n, "kernel_shape", &count);
    if (needs_kernel_shape && !v)
        return ct_onnx_unsupported(n, "attribute kernel_shape is missing");
    if (v && count != 2)
        return ct_onnx_unsupported(n, "attribute kernel_shape has %zu entries: only 2-D windows (images) are supported",
                                   count);
    for (size_t i = 0; v && i < count; i++)
        if (v[i] < 1)
            return ct_onnx_unsupported(n, "attribute kernel_shape = %lld (must be >= 1)", (long long)v[i]);
    v = ct_onnx_attr_ints(n, "dilations", &count);
    for (size_t i = 0; v && i < count; i++)
        if (v[i] != 1)
            return ct_onnx_unsupported(n, "attribute dilations = %lld is not supported (only 1)", (long long)v[i]);
    char pad[32];
    if (ct_onnx_attr_s(n, "auto_pad", pad, sizeof pad) && strcmp(pad, "NOTSET") != 0 && strcmp(pad, "VALID") != 0 &&
        strcmp(pad, "SAME_UPPER") != 0 && strcmp(pad, "SAME_LOWER") != 0)
        return ct_onnx_unsupported(n, "attribute auto_pad = %s is not an ONNX value", pad);
    v = ct_onnx_attr_ints(n, "strides", &count);
    for (size_t i = 0; v && i < count; i++)
        if (v[i] < 1)
            return ct_onnx_unsupported(n, "attribute strides = %lld (must be >= 1)", (long long)v[i]);
    return CT_OK;
}

/* The window of an NCHW input of h x w for kernel kh x kw. */
static ct_status window_of(const Onnx__NodeProto *n, size_t h, size_t w, size_t kh, size_t kw, bool ceil_mode,
                           window *g)
{
    memset(g, 0, sizeof *g);
    size_t count;
    const int64_t *st = ct_onnx_attr_ints(n, "strides", &count);
    g->kh = kh, g->kw = kw;
    g->sh = st && count == 2 ? (size_t)st[0] : 1, g->sw = st && count == 2 ? (size_t)st[1] : 1;
    char mode[32] = "NOTSET";
    ct_onnx_attr_s(n, "auto_pad", mode, sizeof mode);
    size_t in[2] = {h, w}, k[2] = {kh, kw}, s[2] = {g->sh, g->sw};
    if (!strcmp(mode, "SAME_UPPER") || !strcmp(mode, "SAME_LOWER")) {
        for (int d = 0; d < 2; d++) {
            int64_t out = (int64_t)((in[d] + s[d] - 1) / s[d]);
            int64_t total = (out - 1) * (int64_t)s[d] + (int64_t)k[d] - (int64_t)in[d];
            if (total < 0)
                total = 0;
            int64_t small = total / 2, big = total - small;
            bool upper = !strcmp(mode, "SAME_UPPER");
            g->pad[d] = upper ? small : big;
            g->pad[d + 2] = upper ? big : small;
        }
    } else if (strcmp(mode, "VALID") != 0) {
        const int64_t *p = ct_onnx_attr_ints(n, "pads", &count);
        if (p && count != 4)
            return ct_onnx_unsupported(n, "attribute pads has %zu entries (2-D: 4)", count);
        for (int i = 0; p && i < 4; i++) {
            if (p[i] > 1 << 20)
                return ct_onnx_unsupported(n, "attribute pads = %lld (at most 2^20)", (long long)p[i]);
            if (p[i] < 0)
                return ct_onnx_unsupported(n, "attribute pads = %lld (negative pads are not supported)",
                                           (long long)p[i]);
            g->pad[i] = p[i];
        }
    }
    for (int d = 0; d < 2; d++) {
        int64_t span = (int64_t)in[d] + g->pad[d] + g->pad[d + 2] - (int64_t)k[d];
        if (span < 0)
            return ct_fail(CT_ERR_SHAPE, "the %zux%zu window is larger than the padded %zux%zu input", kh, kw, h, w);
        size_t out = (size_t)span / s[d] + 1;
        if (ceil_mode && span % (int64_t)s[d])
            out++;
        size_t reach = (out - 1) * s[d] + k[d], padded = in[d] + (size_t)(g->pad[d] + g->pad[d + 2]);
        *(d ? &g->ow : &g->oh) = out;
        *(d ? &g->extra_w : &g->extra_h) = reach > padded ? reach - padded : 0;
    }
    return CT_OK;
}

/* NCHW (n, c, h, w) to NHWC with the window's padding around it filled with
 * `fill` (zeros, or -inf for max pooling). */
static ct_status pad_to_nhwc(const ct_onnx_tensor *x, const window *g, float fill, float **out, size_t shape[4])
{
    size_t n = (size_t)x->dims[0], c = (size_t)x->dims[1], h = (size_t)x->dims[2], w = (size_t)x->dims[3];
    size_t ph = h + (size_t)(g->pad[0] + g->pad[2]) + g->extra_h, pw = w + (size_t)(g->pad[1] + g->pad[3]) + g->extra_w;
    size_t total = n * ph * pw * c;
    float *y = malloc((total > 0 ? total : 1) * sizeof *y);
    if (!y)
        return ct_fail(CT_ERR_NO_MEMORY, "out of memory");
    for (size_t i = 0; i < total; i++)
        y[i] = fill;
    for (size_t b = 0; b < n; b++)
        for (size_t ch = 0; ch < c; ch++)
            for (size_t r = 0; r < h; r++)
                for (size_t q = 0; q < w; q++)
                    y[((b * ph + r + (size_t)g->pad[0]) * pw + q + (size_t)g->pad[1]) * c + ch] =
                        x->f[((b * c + ch) * h + r) * w + q];
    shape[0] = n, shape[1] = ph, shape[2] = pw, shape[3] = c;
    *out = y;
    return CT_OK;
}

/* A device NHWC (n, oh, ow, c) result as an NCHW host tensor. */
static ct_status nhwc_result(ct_context *ctx, const ct_tensor *y, ct_onnx_tensor *out)
{
    int64_t dims[4] = {(int64_t)y->shape[0], (int64_t)y->shape[1], (int64_t)y->shape[2], (int64_t)y->shape[3]};
    ct_onnx_tensor nhwc = {0};
    CT_TRY(download(ctx, y, 4, dims, &nhwc));
    static const int to_nchw[4] = {0, 3, 1, 2};
    ct_status s = ct_onnx_transpose(&nhwc, to_nchw, out);
    ct_onnx_tensor_free(&nhwc);
    return s;
}

static ct_status need_image(const ct_onnx_call *c)
{
    CT_TRY(need_float(c, 0));
    if (c->in[0]->ndim != 4)
        return ct_onnx_unsupported(c->node, "an input of rank %d: only 2-D images (N, C, H, W) are supported",
                                   c->in[0]->ndim);
    for (int d = 0; d < 4; d++)
        if (c->in[0]->dims[d] == 0)
            return ct_onnx_unsupported(c->node, "an empty input");
    return CT_OK;
}

static ct_status check_conv(const Onnx__NodeProto *n, int64_t opset)
{
    (void)opset;
    int64_t group = ct_onnx_attr_i(n, "group", 1);
    if (group != 1)
        return ct_onnx_unsupported(n, "attribute group = %lld is not supported (only 1)", (long long)group);
    return check_2d_window(n, false);
}

static ct_status run_conv(const ct_onnx_call *c)
{
    CT_TRY(need_image(c));
    CT_TRY(need_float(c, 1));
    CT_TRY(need_float(c, 2));
    const ct_onnx_tensor *x = c->in[0], *wt = c->in[1], *bias = c->in[2];
    if (wt->ndim != 4)
        return ct_onnx_unsupported(c->node, "weights of rank %d: only 2-D convolutions are supported", wt->ndim);
    size_t cin = (size_t)x->dims[1], cout = (size_t)wt->dims[0], kh = (size_t)wt->dims[2], kw = (size_t)wt->dims[3];
    if (!cout || !kh || !kw)
        return ct_onnx_unsupported(c->node, "empty weights");
    if ((size_t)wt->dims[1] != cin)
        return ct_fail(CT_ERR_SHAPE, "Conv: weights for %lld channels, input has %zu", (long long)wt->dims[1], cin);
    if (bias && ct_onnx_tensor_count(bias) != cout)
        return ct_fail(CT_ERR_SHAPE, "Conv: bias of %zu values for %zu filters", ct_onnx_tensor_count(bias), cout);
    size_t given;
    const int64_t *ks = ct_onnx_attr_ints(c->node, "kernel_shape", &given);
    if (ks && (given != 2 || (size_t)ks[0] != kh || (size_t)ks[1] != kw))
        return ct_fail(CT_ERR_SHAPE, "Conv: attribute kernel_shape does not match the %zux%zu weights", kh, kw);
    window g;
    CT_TRY(window_of(c->node, (size_t)x->dims[2], (size_t)x->dims[3], kh, kw, false, &g));
    /* ONNX (Cout, Cin, KH, KW) to cltrain's (KH, KW, Cin, Cout). */
    ct_onnx_tensor hwio = {0};
    static const int to_hwio[4] = {2, 3, 1, 0};
    CT_TRY(ct_onnx_transpose(wt, to_hwio, &hwio));
    float *xp = NULL;
    size_t xshape[4], kshape[4] = {kh, kw, cin, cout};
    ct_tensor dx = {0}, dk = {0}, db = {0}, dy = {0};
    ct_status s = pad_to_nhwc(x, &g, 0.0f, &xp, xshape);
    if (s == CT_OK)
        s = upload(c->ctx, xp, 4, xshape, &dx);
    if (s == CT_OK)
        s = upload(c->ctx, hwio.f, 4, kshape, &dk);
    if (s == CT_OK && bias)
        s = upload_flat(c->ctx, bias->f, cout, &db);
    ct_conv2d_params p = {.kh = kh, .kw = kw, .sh = g.sh, .sw = g.sw, .padding = CT_PADDING_VALID};
    size_t yshape[4] = {xshape[0], g.oh, g.ow, cout};
    if (s == CT_OK)
        s = ct_tensor_create(c->ctx, 4, yshape, &dy);
    if (s == CT_OK)
        s = ct_conv2d_forward(c->ctx, &p, &dx, &dk, bias ? &db : NULL, &dy, NULL);
    if (s == CT_OK)
        s = nhwc_result(c->ctx, &dy, &c->out[0]);
    ct_tensor_release(&dx);
    ct_tensor_release(&dk);
    ct_tensor_release(&db);
    ct_tensor_release(&dy);
    free(xp);
    ct_onnx_tensor_free(&hwio);
    return s;
}

static ct_status check_pool(const Onnx__NodeProto *n, int64_t opset)
{
    (void)opset;
    int64_t storage = ct_onnx_attr_i(n, "storage_order", 0);
    if (storage != 0)
        return ct_onnx_unsupported(n, "attribute storage_order = %lld is not supported (only 0)", (long long)storage);
    return check_2d_window(n, true);
}

/* AveragePool's divisor per output position as a factor on the device's
 * 'valid' average (which divides by kh kw): kh kw / count, where count is
 * the number of window positions inside the input (count_include_pad = 0)
 * or inside the padded input (1); never the ceil_mode overhang. */
static ct_status average_factors(const window *g, size_t h, size_t w, bool include_pad, size_t n, size_t ch,
                                 float **out)
{
    size_t per = g->oh * g->ow;
    float *f = malloc(n * per * ch * sizeof *f);
    if (!f)
        return ct_fail(CT_ERR_NO_MEMORY, "out of memory");
    int64_t lo_h = include_pad ? -g->pad[0] : 0, hi_h = (int64_t)h + (include_pad ? g->pad[2] : 0);
    int64_t lo_w = include_pad ? -g->pad[1] : 0, hi_w = (int64_t)w + (include_pad ? g->pad[3] : 0);
    for (size_t r = 0; r < g->oh; r++)
        for (size_t q = 0; q < g->ow; q++) {
            int64_t top = (int64_t)(r * g->sh) - g->pad[0], left = (int64_t)(q * g->sw) - g->pad[1];
            int64_t rows = 0, cols = 0;
            for (int64_t y = top; y < top + (int64_t)g->kh; y++)
                rows += y >= lo_h && y < hi_h;
            for (int64_t x = left; x < left + (int64_t)g->kw; x++)
                cols += x >= lo_w && x < hi_w;
            float factor = rows > 0 && cols > 0 ? (float)(g->kh * g->kw) / (float)(rows * cols) : 0.0f;
            for (size_t b = 0; b < n; b++)
                for (size_t k = 0; k < ch; k++)
                    f[((b * g->oh + r) * g->ow + q) * ch + k] = factor;
        }
    *out = f;
    return CT_OK;
}

static ct_status pool(const ct_onnx_call *c, ct_pool_kind kind, bool global)
{
    CT_TRY(need_image(c));
    const ct_onnx_tensor *x = c->in[0];
    size_t n = (size_t)x->dims[0], ch = (size_t)x->dims[1], h = (size_t)x->dims[2], w = (size_t)x->dims[3];
    window g;
    if (global) {
        memset(&g, 0, sizeof g);
        g.kh = h, g.kw = w, g.sh = h, g.sw = w, g.oh = 1, g.ow = 1;
    } else {
        size_t count;
        const int64_t *k = ct_onnx_attr_ints(c->node, "kernel_shape", &count);
        CT_TRY(window_of(c->node, h, w, (size_t)k[0], (size_t)k[1], ct_onnx_attr_i(c->node, "ceil_mode", 0) != 0, &g));
    }
    float *xp = NULL, *factors = NULL;
    size_t xshape[4];
    ct_tensor dx = {0}, dy = {0}, df = {0};
    ct_status s = pad_to_nhwc(x, &g, kind == CT_POOL_MAX ? -INFINITY : 0.0f, &xp, xshape);
    if (s == CT_OK)
        s = upload(c->ctx, xp, 4, xshape, &dx);
    ct_pool2d_params p = {kind, g.kh, g.kw, g.sh, g.sw, CT_PADDING_VALID};
    size_t yshape[4] = {n, g.oh, g.ow, ch};
    if (s == CT_OK)
        s = ct_tensor_create(c->ctx, 4, yshape, &dy);
    if (s == CT_OK)
        s = ct_pool2d_forward(c->ctx, &p, &dx, &dy);
    bool padded = g.pad[0] || g.pad[1] || g.pad[2] || g.pad[3] || g.extra_h || g.extra_w;
    if (s == CT_OK && kind == CT_POOL_AVERAGE && padded) {
        bool include = ct_onnx_attr_i(c->node, "count_include_pad", 0) != 0;
        s = average_factors(&g, h, w, include, n, ch, &factors);
        if (s == CT_OK)
            s = upload(c->ctx, factors, 4, yshape, &df);
        if (s == CT_OK)
            s = ct_mul(c->ctx, &dy, &df, &dy);
    }
    if (s == CT_OK)
        s = nhwc_result(c->ctx, &dy, &c->out[0]);
    ct_tensor_release(&dx);
    ct_tensor_release(&dy);
    ct_tensor_release(&df);
    free(xp);
    free(factors);
    return s;
}

static ct_status run_maxpool(const ct_onnx_call *c) { return pool(c, CT_POOL_MAX, false); }
static ct_status run_averagepool(const ct_onnx_call *c) { return pool(c, CT_POOL_AVERAGE, false); }
static ct_status run_global_averagepool(const ct_onnx_call *c) { return pool(c, CT_POOL_AVERAGE, true); }
static ct_status run_global_maxpool(const ct_onnx_call *c) { return pool(c, CT_POOL_MAX, true); }

/* ===================================================== BatchNormalization */

static ct_status check_batchnorm(const Onnx__NodeProto *n, int64_t opset)
{
    (void)opset;
    if (ct_onnx_attr_i(n, "training_mode", 0) != 0)
        return ct_onnx_unsupported(n, "attribute training_mode = 1 is not supported (inference only)");
    if (ct_onnx_attr_i(n, "is_test", 1) != 1) /* opsets before 7 */
        return ct_onnx_unsupported(n, "attribute is_test = 0 is not supported (inference only)");
    if (ct_onnx_attr_i(n, "spatial", 1) != 1)
        return ct_onnx_unsupported(n, "attribute spatial = 0 is not supported (per-channel statistics only)");
    return CT_OK;
}

/* Channels (axis 1) moved last on the host, where cltrain normalises them. */
static ct_status run_batchnorm(const ct_onnx_call *c)
{
    for (int i = 0; i < 5; i++)
        CT_TRY(need_float(c, i));
    const ct_onnx_tensor *x = c->in[0];
    if (x->ndim < 2)
        return ct_fail(CT_ERR_SHAPE, "BatchNormalization: input of rank %d (at least (N, C))", x->ndim);
    size_t ch = (size_t)x->dims[1];
    for (int i = 1; i < 5; i++)
        if (ct_onnx_tensor_count(c->in[i]) != ch)
            return ct_fail(CT_ERR_SHAPE, "BatchNormalization: input %d has %zu values for %zu channels", i,
                           ct_onnx_tensor_count(c->in[i]), ch);
    int perm[CT_ONNX_MAX_DIMS], back[CT_ONNX_MAX_DIMS];
    for (int d = 0, k = 0; d < x->ndim; d++)
        if (d != 1)
            perm[k++] = d;
    perm[x->ndim - 1] = 1;
    for (int d = 0; d < x->ndim; d++)
        back[perm[d]] = d;
    ct_onnx_tensor last = {0}, result = {0};
    CT_TRY(ct_onnx_transpose(x, perm, &last));
    size_t total = ct_onnx_tensor_count(&last);
    ct_status s = CT_OK;
    if (total == 0) {
        s = ct_onnx_tensor_alloc(&result, last.ndim, last.dims, 0);
    } else {
        size_t shape[2] = {total / ch, ch};
        ct_tensor dx = {0}, dp[4] = {{0}};
        s = upload(c->ctx, last.f, 2, shape, &dx);
        for (int i = 0; s == CT_OK && i < 4; i++)
            s = upload_flat(c->ctx, c->in[i + 1]->f, ch, &dp[i]);
        ct_batchnorm_params p = {ct_onnx_attr_f(c->node, "momentum", 0.9f), ct_onnx_attr_f(c->node, "epsilon", 1e-5f)};
        if (s == CT_OK)
            s = ct_batchnorm_forward_inference(c->ctx, &p, &dx, &dp[0], &dp[1], &dp[2], &dp[3], &dx);
        if (s == CT_OK)
            s = download(c->ctx, &dx, last.ndim, last.dims, &result);
        ct_tensor_release(&dx);
        for (int i = 0; i < 4; i++)
            ct_tensor_release(&dp[i]);
    }
    if (s == CT_OK)
        s = ct_onnx_transpose(&result, back, &c->out[0]);
    ct_onnx_tensor_free(&last);
    ct_onnx_tensor_free(&result);
    return s;
}

/* ================================================================= table */

static const char *const no_attributes[] = {NULL};
static const char *const axis_attribute[] = {"axis", NULL};
static const char *const value_attribute[] = {"value", NULL};
static const char *const alpha_attribute[] = {"alpha", NULL};
static const char *const selu_attributes[] = {"alpha", "gamma", NULL};
/* Gemm's broadcast (opsets before 7) only allowed what C's broadcasting does anyway. */
static const char *const gemm_attributes[] = {"alpha", "beta", "broadcast", "transA", "transB", NULL};
static const char *const conv_attributes[] = {"auto_pad", "dilations", "group", "kernel_shape", "pads", "strides",
                                              NULL};
static const char *const maxpool_attributes[] = {"auto_pad", "ceil_mode", "dilations", "kernel_shape",
                                                 "pads",     "storage_order", "strides", NULL};
static const char *const averagepool_attributes[] = {"auto_pad", "ceil_mode", "count_include_pad", "kernel_shape",
                                                     "pads",     "strides",   NULL};
static const char *const batchnorm_attributes[] = {"epsilon", "is_test", "momentum", "spatial", "training_mode", NULL};
static const char *const dropout_attributes[] = {"ratio", "seed", NULL};
static const char *const reshape_attributes[] = {"allowzero", NULL};
static const char *const transpose_attributes[] = {"perm", NULL};

/* Sorted by name. */
static const ct_onnx_op ops[] = {
    {"Add", no_attributes, 2, 2, 1, NULL, run_add},
    {"AveragePool", averagepool_attributes, 1, 1, 1, check_pool, run_averagepool},
    {"BatchNormalization", batchnorm_attributes, 5, 5, 1, check_batchnorm, run_batchnorm},
    {"Concat", axis_attribute, 1, 64, 1, NULL, run_concat},
    {"Constant", value_attribute, 0, 0, 1, check_constant, run_constant},
    {"Conv", conv_attributes, 2, 3, 1, check_conv, run_conv},
    {"Div", no_attributes, 2, 2, 1, NULL, run_div},
    {"Dropout", dropout_attributes, 1, 3, 1, NULL, run_dropout},
    {"Elu", alpha_attribute, 1, 1, 1, NULL, run_elu},
    {"Erf", no_attributes, 1, 1, 1, NULL, run_erf},
    {"Flatten", axis_attribute, 1, 1, 1, NULL, run_flatten},
    {"Gemm", gemm_attributes, 2, 3, 1, NULL, run_gemm},
    {"GlobalAveragePool", no_attributes, 1, 1, 1, NULL, run_global_averagepool},
    {"GlobalMaxPool", no_attributes, 1, 1, 1, NULL, run_global_maxpool},
    {"Identity", no_attributes, 1, 1, 1, NULL, run_identity},
    {"LeakyRelu", alpha_attribute, 1, 1, 1, NULL, run_leaky_relu},
    {"MatMul", no_attributes, 2, 2, 1, NULL, run_matmul},
    {"MaxPool", maxpool_attributes, 1, 1, 1, check_pool, run_maxpool},
    {"Mul", no_attributes, 2, 2, 1, NULL, run_mul},
    {"Relu", no_attributes, 1, 1, 1, NULL, run_relu},
    {"Reshape", reshape_attributes, 2, 2, 1, NULL, run_reshape},
    {"Selu", selu_attributes, 1, 1, 1, check_selu, run_selu},
    {"Sigmoid", no_attributes, 1, 1, 1, NULL, run_sigmoid},
    {"Softmax", axis_attribute, 1, 1, 1, NULL, run_softmax},
    {"Softplus", no_attributes, 1, 1, 1, NULL, run_softplus},
    {"Sub", no_attributes, 2, 2, 1, NULL, run_sub},
    {"Tanh", no_attributes, 1, 1, 1, NULL, run_tanh},
    {"Transpose", transpose_attributes, 1, 1, 1, NULL, run_transpose},
};

const ct_onnx_op *ct_onnx_find_op(const char *op_type)
{
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (!strcmp(ops[i].op_type, op_type))
            return &ops[i];
    return NULL;
}

const char *ct_onnx_supported_ops(void)
{
    static char list[512];
    if (!list[0])
        for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "", ops[i].op_type);
    return list;
}
