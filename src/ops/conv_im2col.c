/* Conv2D by im2col + GEMM (cl/conv_im2col.cl; the GEMMs are the GEMM
 * engine's), row-major, NHWC: the patch matrix P (rows = N*OH*OW,
 * K = KH*KW*Cin, patch elements in (ky, kx, ci) order) times the Keras kernel
 * seen as a K x Cout matrix W is the output seen as rows x Cout:
 *   y  = P W (+ bias, written into y first and accumulated with beta = 1)
 *   dW = P^T dy                (summed over chunks with beta = 1)
 *   dP = dy W^T, then col2im folds dP onto dx
 *   db = column sums of dy (conv_bias.c)
 * P lives in the caller's workspace, a chunk of images at a time. A 1x1
 * kernel with stride 1 needs no P at all: x itself is P. The GPU path. */
#include "ops/conv_internal.h"

#include "cltrain/gemm.h"

size_t ct_conv_im2col_floats(const ct_conv2d_geometry *g)
{
    if (is_pointwise(g))
        return 0;
    size_t per_image = patch_floats_per_image(g);
    size_t images = per_image > IM2COL_CAP_FLOATS ? 1 : IM2COL_CAP_FLOATS / per_image;
    return per_image * (images < g->n ? images : g->n);
}

size_t ct_conv_images_per_chunk(const ct_conv2d_geometry *g, size_t workspace_floats)
{
    if (is_pointwise(g))
        return g->n;
    size_t fit = workspace_floats / patch_floats_per_image(g);
    return fit < g->n ? fit : g->n;
}

static ct_status launch_im2col(ct_context *ctx, const ct_conv2d_geometry *g, size_t images, const ct_tensor *x,
                               const ct_tensor *col)
{
    cl_kernel k;
    CT_TRY(ct_context_kernel(ctx, "conv_im2col", "conv2d_im2col", &k));
    conv_geometry_cl gc = to_cl(g, images);
    cl_int per_item = ct_channels_per_item(ctx, g->kw * g->cin);
    cl_uint i = 0;
    cl_int err = clSetKernelArg(k, i++, sizeof gc, &gc);
    err |= CT_ARG(k, i++, per_item);
    err |= ct_arg_tensor(k, &i, x);
    err |= ct_arg_tensor(k, &i, col);
    CT_TRY(ct_args_ok(err, "conv2d_im2col"));
    return ct_launch_rows(ctx, k, ct_items_for(g->kw * g->cin, per_item), images * out_pixels(g) * g->kh,
                       "conv2d_im2col");
}

static ct_status launch_col2im(ct_context *ctx, const ct_conv2d_geometry *g, size_t images, const ct_tensor *dcol,
                               const ct_tensor *dx)
{
    cl_kernel k;
    CT_TRY(ct_context_kernel(ctx, "conv_im2col", "conv2d_col2im", &k));
    conv_geometry_cl gc = to_cl(g, images);
    cl_int per_item = ct_channels_per_item(ctx, g->cin);
    cl_uint i = 0;
    cl_int err = clSetKernelArg(k, i++, sizeof gc, &gc);
    err |= CT_ARG(k, i++, per_item);
    err |= ct_arg_tensor(k, &i, dcol);
    err |= ct_arg_tensor(k, &i, dx);
    CT_TRY(ct_args_ok(err, "conv2d_col2im"));
    return ct_launch_rows(ctx, k, ct_items_for(g->cin, per_item), images * g->h * g->w, "conv2d_col2im");
}

static ct_status gemm(ct_context *ctx, ct_transpose ta, ct_transpose tb, size_t m, size_t n, size_t k, float beta,
                      const ct_tensor *a, size_t lda, const ct_tensor *b, size_t ldb, const ct_tensor *c, size_t ldc)
{
    ct_gemm_args args = {
        .trans_a = ta, .trans_b = tb, .m = m, .n = n, .k = k, .alpha = 1.0f, .beta = beta,
        .a = a->buf, .a_offset = a->offset, .lda = lda,
        .b = b->buf, .b_offset = b->offset, .ldb = ldb,
        .c = c->buf, .c_offset = c->offset, .ldc = ldc,
    };
    return ct_gemm(ctx, &args);
}

/* The patch matrix of images [first, first + images): x itself when pointwise,
 * else built in the workspace. */
static ct_status patches(ct_context *ctx, const ct_conv2d_geometry *g, const ct_tensor *x, size_t first,
                         size_t images, const ct_tensor *ws, ct_tensor *out)
{
    ct_tensor x_chunk = advanced(x, first * g->h * g->w * g->cin);
    if (is_pointwise(g)) {
        *out = x_chunk;
        return CT_OK;
    }
    *out = advanced(ws, 0);
    return launch_im2col(ctx, g, images, &x_chunk, out);
}

ct_status ct_conv_forward_im2col(ct_context *ctx, const ct_conv2d_geometry *g, const ct_tensor *x,
                                 const ct_tensor *kernel, const ct_tensor *bias, ct_tensor *y, const ct_tensor *ws)
{
    const size_t K = patch_size(g), chunk = ct_conv_images_per_chunk(g, workspace_floats_of(ws));
    if (bias)
        CT_TRY(ct_conv_fill_bias(ctx, g, bias, y));
    for (size_t first = 0; first < g->n; first += chunk) {
        size_t images = g->n - first < chunk ? g->n - first : chunk;
        size_t rows = images * out_pixels(g);
        ct_tensor p, y_chunk = advanced(y, first * out_pixels(g) * g->cout);
        CT_TRY(patches(ctx, g, x, first, images, ws, &p));
        CT_TRY(gemm(ctx, CT_NO_TRANS, CT_NO_TRANS, rows, g->cout, K, bias ? 1.0f : 0.0f, &p, K, kernel, g->cout,
                    &y_chunk, g->cout));
    }
    return CT_OK;
}

ct_status ct_conv_backward_im2col(ct_context *ctx, const ct_conv2d_geometry *g, const ct_tensor *x,
                                  const ct_tensor *kernel, const ct_tensor *dy, ct_tensor *dx, ct_tensor *dkernel,
                                  const ct_tensor *ws)
{
    const size_t K = patch_size(g), chunk = ct_conv_images_per_chunk(g, workspace_floats_of(ws));
    for (size_t first = 0; first < g->n; first += chunk) {
        size_t images = g->n - first < chunk ? g->n - first : chunk;
        size_t rows = images * out_pixels(g);
        ct_tensor dy_chunk = advanced(dy, first * out_pixels(g) * g->cout);
        if (dkernel) { /* dW (K x Cout) (+)= P^T dy */
            ct_tensor p;
            CT_TRY(patches(ctx, g, x, first, images, ws, &p));
            CT_TRY(gemm(ctx, CT_TRANS, CT_NO_TRANS, K, g->cout, rows, first ? 1.0f : 0.0f, &p, K, &dy_chunk,
                        g->cout, dkernel, g->cout));
        }
        if (dx) { /* dP (rows x K) = dy W^T overwrites P: the queue is in order, the dW GEMM has read P */
            ct_tensor dx_chunk = advanced(dx, first * g->h * g->w * g->cin);
            const ct_tensor *dp = is_pointwise(g) ? &dx_chunk : ws;
            CT_TRY(gemm(ctx, CT_NO_TRANS, CT_TRANS, rows, K, g->cout, 0.0f, &dy_chunk, g->cout, kernel, g->cout, dp,
                        K));
            if (!is_pointwise(g))
                CT_TRY(launch_col2im(ctx, g, images, ws, &dx_chunk));
        }
    }
    return CT_OK;
}

