/* MaxPooling2D / AveragePooling2D forward and backward (cl/pool.cl).
 *
 * Max-pool backward recomputes from x which element is each window's first
 * maximum (ct_pool2d_backward: no extra buffer, any windows), or reads it
 * from the indices the forward saved (the _indexed pair: windows that do not
 * overlap; what training uses, where a layer can keep the bytes). */
#include "cltrain/ops_conv.h"

#include <string.h>

#include "core/launch.h"
#include "ops/window.h"

/* Mirror of pool_geometry in cl/pool.cl: 16 ints in the same order. */
typedef struct {
    cl_int n, h, w, c, oh, ow, ph, pw, sh, sw, pad_top, pad_left, unused[4];
} pool_geometry_cl;
#include "ops/pool_layout.h" /* _Static_asserts against cl/pool.cl */

static const char *pool_op_name(const ct_pool2d_params *p)
{
    return p->kind == CT_POOL_MAX ? "max_pooling2d" : "average_pooling2d";
}

ct_status ct_pool2d_geometry_of(const ct_pool2d_params *p, const size_t x_shape[4], ct_pool2d_geometry *g)
{
    if (!p || !x_shape || !g)
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "pooling: NULL params, shape or geometry");
    if (p->kind != CT_POOL_MAX && p->kind != CT_POOL_AVERAGE)
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "pooling: unknown kind %d", (int)p->kind);
    const char *op = pool_op_name(p);
    if (x_shape[0] == 0 || x_shape[3] == 0 || x_shape[0] > CT_WINDOW_MAX_EXTENT || x_shape[3] > CT_WINDOW_MAX_EXTENT)
        return ct_fail(CT_ERR_SHAPE, "%s: batch %zu and channels %zu must be positive (and sane)", op, x_shape[0],
                       x_shape[3]);
    memset(g, 0, sizeof *g);
    g->ph = p->ph;
    g->pw = p->pw;
    g->sh = p->sh ? p->sh : p->ph; /* Keras strides=None: the pool size */
    g->sw = p->sw ? p->sw : p->pw;
    CT_TRY(ct_window_axis(op, "height", x_shape[1], g->ph, g->sh, p->padding, &g->oh, &g->pad_top));
    CT_TRY(ct_window_axis(op, "width", x_shape[2], g->pw, g->sw, p->padding, &g->ow, &g->pad_left));
    g->n = x_shape[0];
    g->h = x_shape[1];
    g->w = x_shape[2];
    g->c = x_shape[3];
    if (!ct_fits_int(g->n, g->h, g->w, g->c))
        return ct_fail(CT_ERR_SHAPE, "%s: the input has more than %d elements", op, INT_MAX);
    return CT_OK;
}

static ct_status pool_setup(const char *what, const ct_pool2d_params *p, const ct_tensor *x, ct_pool2d_geometry *g)
{
    if (!p)
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "pooling %s: NULL params", what);
    if (!x || !x->buf || x->ndim != 4)
        return ct_fail(CT_ERR_SHAPE, "%s %s: the input must be a 4-D NHWC tensor (N, H, W, C)", pool_op_name(p), what);
    return ct_pool2d_geometry_of(p, x->shape, g);
}

static pool_geometry_cl to_cl(const ct_pool2d_geometry *g)
{
    pool_geometry_cl c = {
        .n = (cl_int)g->n, .h = (cl_int)g->h, .w = (cl_int)g->w, .c = (cl_int)g->c, .oh = (cl_int)g->oh,
        .ow = (cl_int)g->ow, .ph = (cl_int)g->ph, .pw = (cl_int)g->pw, .sh = (cl_int)g->sh, .sw = (cl_int)g->sw,
        .pad_top = (cl_int)g->pad_top, .pad_left = (cl_int)g->pad_left,
    };
    return c;
}

/* kernel(geometry, per_item, tensors...) over (channel items, `pixels`). */
static ct_status launch(ct_context *ctx, const char *name, const ct_pool2d_geometry *g, size_t pixels, int tensors,
                        const ct_tensor *const *t)
{
    cl_kernel k;
    CT_TRY(ct_context_kernel(ctx, "pool", name, &k));
    pool_geometry_cl gc = to_cl(g);
    cl_int per_item = ct_channels_per_item(ctx, g->c);
    cl_uint i = 0;
    cl_int err = clSetKernelArg(k, i++, sizeof gc, &gc);
    err |= CT_ARG(k, i++, per_item);
    for (int j = 0; j < tensors; j++)
        err |= ct_arg_tensor(k, &i, t[j]);
    CT_TRY(ct_args_ok(err, name));
    return ct_launch_rows(ctx, k, ct_items_for(g->c, per_item), pixels, name);
}

ct_status ct_pool2d_forward(ct_context *ctx, const ct_pool2d_params *p, const ct_tensor *x, ct_tensor *y)
{
    ct_pool2d_geometry g;
    CT_TRY(pool_setup("forward", p, x, &g));
    CT_TRY(ct_check_shape4(pool_op_name(p), "output", y, g.n, g.oh, g.ow, g.c));
    const ct_tensor *args[2] = {x, y};
    const char *kernel = p->kind == CT_POOL_MAX ? "maxpool2d_forward" : "avgpool2d_forward";
    return launch(ctx, kernel, &g, g.n * g.oh * g.ow, 2, args);
}

ct_status ct_pool2d_backward(ct_context *ctx, const ct_pool2d_params *p, const ct_tensor *x, const ct_tensor *dy,
                             ct_tensor *dx)
{
    ct_pool2d_geometry g;
    CT_TRY(pool_setup("backward", p, x, &g));
    CT_TRY(ct_check_shape4(pool_op_name(p), "output gradient", dy, g.n, g.oh, g.ow, g.c));
    CT_TRY(ct_check_shape4(pool_op_name(p), "input gradient", dx, g.n, g.h, g.w, g.c));
    size_t pixels = g.n * g.h * g.w;
    if (p->kind == CT_POOL_MAX) {
        const ct_tensor *args[3] = {x, dy, dx};
        if (g.sh >= g.ph && g.sw >= g.pw) /* windows do not overlap: one work-item per window */
            return launch(ctx, "maxpool2d_backward_disjoint", &g, g.n * g.oh * g.ow, 3, args);
        return launch(ctx, "maxpool2d_backward", &g, pixels, 3, args);
    }
    const ct_tensor *args[2] = {dy, dx};
    return launch(ctx, "avgpool2d_backward", &g, pixels, 2, args);
}

/* ---- max pooling with the argmax saved (disjoint windows, see ops_conv.h) */

bool ct_pool2d_indexable(const ct_pool2d_params *p)
{
    if (!p || p->kind != CT_POOL_MAX)
        return false;
    size_t sh = p->sh ? p->sh : p->ph, sw = p->sw ? p->sw : p->pw;
    return sh >= p->ph && sw >= p->pw && p->ph * p->pw < 255; /* 255 marks a NaN maximum */
}

size_t ct_pool2d_index_floats(size_t outputs) { return outputs; /* an int each */ }

static ct_status check_index(const ct_pool2d_params *p, const ct_tensor *index, const ct_pool2d_geometry *g)
{
    if (!ct_pool2d_indexable(p))
        return ct_fail(CT_ERR_INVALID_ARGUMENT,
                       "max_pooling2d with saved indices: needs max pooling whose windows do not overlap "
                       "(strides %zux%zu, pool %zux%zu)",
                       g->sh, g->sw, g->ph, g->pw);
    size_t need = ct_pool2d_index_floats(g->n * g->oh * g->ow * g->c);
    if (!index || !index->buf || ct_tensor_count(index) < need)
        return ct_fail(CT_ERR_SHAPE, "max_pooling2d: the index tensor holds %zu floats, %zu needed",
                       index && index->buf ? ct_tensor_count(index) : 0, need);
    return CT_OK;
}

ct_status ct_maxpool2d_forward_indexed(ct_context *ctx, const ct_pool2d_params *p, const ct_tensor *x, ct_tensor *y,
                                       ct_tensor *index)
{
    ct_pool2d_geometry g;
    CT_TRY(pool_setup("forward", p, x, &g));
    CT_TRY(check_index(p, index, &g));
    CT_TRY(ct_check_shape4(pool_op_name(p), "output", y, g.n, g.oh, g.ow, g.c));
    const ct_tensor *args[3] = {x, y, index};
    return launch(ctx, "maxpool2d_forward_index", &g, g.n * g.oh * g.ow, 3, args);
}

ct_status ct_maxpool2d_backward_indexed(ct_context *ctx, const ct_pool2d_params *p, const ct_tensor *index,
                                        const ct_tensor *dy, ct_tensor *dx)
{
    ct_pool2d_geometry g;
    CT_TRY(pool_setup("backward", p, dx, &g));
    CT_TRY(check_index(p, index, &g));
    CT_TRY(ct_check_shape4(pool_op_name(p), "output gradient", dy, g.n, g.oh, g.ow, g.c));
    const ct_tensor *args[3] = {index, dy, dx};
    return launch(ctx, "maxpool2d_backward_index", &g, g.n * g.oh * g.ow, 3, args);
}
