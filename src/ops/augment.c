/* Launchers for cl/augment.cl: the per-sample maps, then the sampling (or
 * its transpose). */
#include "cltrain/ops_augment.h"

#include <limits.h>

#include "core/launch.h"

void ct_augment_center_window(size_t in_h, size_t in_w, size_t out_h, size_t out_w, size_t *y0, size_t *x0,
                              size_t *h, size_t *w)
{
    /* Keras 3's RandomCrop: int(in_w * height / width), at least 1, at most
     * the input; the same across; the start int((in - crop) / 2). */
    size_t ch = (size_t)((double)(in_w * out_h) / (double)out_w);
    size_t cw = (size_t)((double)(in_h * out_w) / (double)out_h);
    ch = ch > in_h ? in_h : ch < 1 ? 1 : ch;
    cw = cw > in_w ? in_w : cw < 1 ? 1 : cw;
    *h = ch;
    *w = cw;
    *y0 = (in_h - ch) / 2;
    *x0 = (in_w - cw) / 2;
}

typedef struct {
    size_t n, in_h, in_w, ch, out_h, out_w;
    size_t win_y0, win_x0, win_h, win_w;
} geometry;

static int fits_int(size_t v) { return v <= (size_t)INT_MAX; }

/* x is the input side (n, H, W, C), y the output side. */
static ct_status augment_geometry(const ct_augment_params *p, const ct_tensor *x, const ct_tensor *y,
                                  const ct_tensor *transforms, geometry *g)
{
    if (!p || p->kind < 0 || p->kind >= CT_AUGMENT_KIND_COUNT)
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "augment: parameters missing or of an unknown kind");
    if (x->ndim != 4 || y->ndim != 4)
        return ct_fail(CT_ERR_SHAPE, "augment: expects images (n, height, width, channels), got %d-D and %d-D",
                       x->ndim, y->ndim);
    *g = (geometry){x->shape[0], x->shape[1], x->shape[2], x->shape[3], y->shape[1], y->shape[2], 0, 0,
                    x->shape[1], x->shape[2]};
    if (y->shape[0] != g->n || y->shape[3] != g->ch)
        return ct_fail(CT_ERR_SHAPE, "augment: input (%zu, ..., %zu) and output (%zu, ..., %zu) differ in samples "
                       "or channels", g->n, g->ch, y->shape[0], y->shape[3]);
    int crop = p->kind == CT_AUGMENT_CROP || p->kind == CT_AUGMENT_CENTER_CROP;
    if (!crop && (g->out_h != g->in_h || g->out_w != g->in_w))
        return ct_fail(CT_ERR_SHAPE, "augment: output %zux%zu differs from input %zux%zu", g->out_h, g->out_w,
                       g->in_h, g->in_w);
    if (p->kind == CT_AUGMENT_CROP && (g->out_h > g->in_h || g->out_w > g->in_w))
        return ct_fail(CT_ERR_SHAPE, "augment: a %zux%zu crop of a %zux%zu image", g->out_h, g->out_w, g->in_h,
                       g->in_w);
    if (p->kind == CT_AUGMENT_CENTER_CROP)
        ct_augment_center_window(g->in_h, g->in_w, g->out_h, g->out_w, &g->win_y0, &g->win_x0, &g->win_h,
                                 &g->win_w);
    if (!fits_int(g->in_h * g->in_w * g->ch) || !fits_int(g->out_h * g->out_w) || !fits_int(g->ch) ||
        g->n > (size_t)UINT_MAX)
        return ct_fail(CT_ERR_SHAPE, "augment: images too large");
    if (ct_tensor_count(transforms) < 6 * g->n)
        return ct_fail(CT_ERR_SHAPE, "augment: transforms hold %zu values, %zu samples need %zu",
                       ct_tensor_count(transforms), g->n, 6 * g->n);
    return CT_OK;
}

static ct_status draw_transforms(ct_context *ctx, const ct_augment_params *p, const geometry *g,
                                 ct_tensor *transforms)
{
    cl_kernel k;
    CT_TRY(ct_context_kernel(ctx, "augment", "augment_transforms", &k));
    cl_float lo_h = p->lower[0], hi_h = p->upper[0], lo_w = p->lower[1], hi_w = p->upper[1];
    if (p->kind == CT_AUGMENT_ROTATION) { /* Keras: factor * 360 degrees */
        lo_h = (float)((double)p->lower[0] * 360.0);
        hi_h = (float)((double)p->upper[0] * 360.0);
    } else if (p->kind == CT_AUGMENT_CENTER_CROP) { /* window-to-output scales */
        lo_h = (float)g->win_h / (float)g->out_h;
        lo_w = (float)g->win_w / (float)g->out_w;
    }
    cl_uint n = (cl_uint)g->n, seed_lo = (cl_uint)(p->seed & 0xFFFFFFFFu), seed_hi = (cl_uint)(p->seed >> 32);
    cl_uint step = p->step, layer = p->layer_id, first = p->first;
    cl_int kind = (cl_int)p->kind, flip = (cl_int)p->flip, same_zoom = p->same_zoom != 0;
    /* The window is the whole image except for the central crop. */
    cl_int in_h = (cl_int)g->win_h, in_w = (cl_int)g->win_w, out_h = (cl_int)g->out_h, out_w = (cl_int)g->out_w;
    cl_uint i = 0;
    cl_int err = CT_ARG(k, i++, n);
    err |= CT_ARG(k, i++, kind);
    err |= CT_ARG(k, i++, flip);
    err |= CT_ARG(k, i++, lo_h);
    err |= CT_ARG(k, i++, hi_h);
    err |= CT_ARG(k, i++, lo_w);
    err |= CT_ARG(k, i++, hi_w);
    err |= CT_ARG(k, i++, same_zoom);
    err |= CT_ARG(k, i++, in_h);
    err |= CT_ARG(k, i++, in_w);
    err |= CT_ARG(k, i++, out_h);
    err |= CT_ARG(k, i++, out_w);
    err |= CT_ARG(k, i++, seed_lo);
    err |= CT_ARG(k, i++, seed_hi);
    err |= CT_ARG(k, i++, step);
    err |= CT_ARG(k, i++, layer);
    err |= CT_ARG(k, i++, first);
    err |= ct_arg_tensor(k, &i, transforms);
    CT_TRY(ct_args_ok(err, "augment_transforms"));
    return ct_launch_1d(ctx, k, g->n, "augment_transforms");
}

/* Flips and crops move whole pixels: nearest sampling reads them exactly. */
static int samples_nearest(const ct_augment_params *p)
{
    return p->kind == CT_AUGMENT_FLIP || p->kind == CT_AUGMENT_CROP ||
           ((p->kind == CT_AUGMENT_TRANSLATION || p->kind == CT_AUGMENT_ROTATION || p->kind == CT_AUGMENT_ZOOM) &&
            p->interpolation == CT_INTERPOLATION_NEAREST);
}

/* The fill mode the sampler uses: RandomCrop's resize clamps to its window. */
static cl_int fill_mode_of(const ct_augment_params *p)
{
    if (p->kind == CT_AUGMENT_TRANSLATION || p->kind == CT_AUGMENT_ROTATION || p->kind == CT_AUGMENT_ZOOM)
        return (cl_int)p->fill_mode;
    return (cl_int)CT_FILL_NEAREST;
}

/* The arguments augment_sample and augment_adjoint share, from in_h on. */
static cl_int geometry_args(cl_kernel k, cl_uint *i, const geometry *g)
{
    cl_int v[9] = {(cl_int)g->in_h,   (cl_int)g->in_w,   (cl_int)g->ch,    (cl_int)g->out_h, (cl_int)g->out_w,
                   (cl_int)g->win_y0, (cl_int)g->win_x0, (cl_int)g->win_h, (cl_int)g->win_w};
    cl_int err = CL_SUCCESS;
    for (int j = 0; j < 9; j++)
        err |= CT_ARG(k, (*i)++, v[j]);
    return err;
}

ct_status ct_augment_forward(ct_context *ctx, const ct_augment_params *p, const ct_tensor *x,
                             ct_tensor *transforms, ct_tensor *y)
{
    geometry g;
    CT_TRY(augment_geometry(p, x, y, transforms, &g));
    if (g.n == 0)
        return CT_OK;
    CT_TRY(draw_transforms(ctx, p, &g, transforms));
    cl_kernel k;
    CT_TRY(ct_context_kernel(ctx, "augment", "augment_sample", &k));
    cl_ulong pixels = g.n * g.out_h * g.out_w;
    cl_int fill = fill_mode_of(p), nearest = samples_nearest(p);
    cl_float fill_value = p->fill_value;
    cl_uint i = 0;
    cl_int err = CT_ARG(k, i++, pixels);
    err |= geometry_args(k, &i, &g);
    err |= CT_ARG(k, i++, fill);
    err |= CT_ARG(k, i++, fill_value);
    err |= CT_ARG(k, i++, nearest);
    err |= ct_arg_tensor(k, &i, transforms);
    err |= ct_arg_tensor(k, &i, x);
    err |= ct_arg_tensor(k, &i, y);
    CT_TRY(ct_args_ok(err, "augment_sample"));
    return ct_launch_1d(ctx, k, pixels, "augment_sample");
}

ct_status ct_augment_backward(ct_context *ctx, const ct_augment_params *p, const ct_tensor *dy,
                              ct_tensor *transforms, ct_tensor *dx)
{
    geometry g;
    CT_TRY(augment_geometry(p, dx, dy, transforms, &g));
    if (g.n == 0)
        return CT_OK;
    CT_TRY(draw_transforms(ctx, p, &g, transforms));
    cl_kernel k;
    CT_TRY(ct_context_kernel(ctx, "augment", "augment_adjoint", &k));
    cl_ulong items = g.n * g.ch;
    cl_int fill = fill_mode_of(p), nearest = samples_nearest(p);
    cl_uint i = 0;
    cl_int err = CT_ARG(k, i++, items);
    err |= geometry_args(k, &i, &g);
    err |= CT_ARG(k, i++, fill);
    err |= CT_ARG(k, i++, nearest);
    err |= ct_arg_tensor(k, &i, transforms);
    err |= ct_arg_tensor(k, &i, dy);
    err |= ct_arg_tensor(k, &i, dx);
    CT_TRY(ct_args_ok(err, "augment_adjoint"));
    return ct_launch_1d(ctx, k, items, "augment_adjoint");
}
