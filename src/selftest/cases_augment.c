/* Op-test cases, family "augment": the image augmentation op
 * (include/cltrain/ops_augment.h) against src/selftest/ref/ref_augment.c.
 *
 * ip: {kind, seed, step, mode (flip mode, or fill mode), interpolation,
 * same_zoom, out_h, out_w (0: the input's size)}; the layer id is 3.
 * fp: {height lower, height upper, width factor f (the range [-f, f]),
 * fill_value}. Inputs (n, H, W, C). */
#include "selftest/families.h"
#include "selftest/ref/ref_augment.h"

#include "cltrain/ops_augment.h"

static ct_augment_params params_of(const ct_optest_case *c)
{
    ct_augment_params p = {0};
    p.kind = (ct_augment_kind)c->ip[0];
    p.seed = (uint64_t)c->ip[1];
    p.step = (uint32_t)c->ip[2];
    p.layer_id = 3;
    if (p.kind == CT_AUGMENT_FLIP)
        p.flip = (ct_flip_mode)c->ip[3];
    else
        p.fill_mode = (ct_fill_mode)c->ip[3];
    p.interpolation = (ct_interpolation)c->ip[4];
    p.same_zoom = (int)c->ip[5];
    p.lower[0] = c->fp[0];
    p.upper[0] = c->fp[1];
    p.lower[1] = -c->fp[2];
    p.upper[1] = c->fp[2];
    p.fill_value = c->fp[3];
    return p;
}

static ct_status out_shape(const ct_optest_case *c, int *ndim, size_t *shape)
{
    *ndim = 4;
    for (int d = 0; d < 4; d++)
        shape[d] = c->in[0].shape[d];
    if (c->ip[6]) {
        shape[1] = (size_t)c->ip[6];
        shape[2] = (size_t)c->ip[7];
    }
    return CT_OK;
}

/* The forward's scratch: 6 floats per sample. */
static ct_status with_transforms(ct_context *ctx, const ct_optest_case *c, const ct_tensor *x, const ct_tensor *y,
                                 int backward)
{
    ct_augment_params p = params_of(c);
    size_t count = 6 * c->in[0].shape[0];
    ct_tensor t;
    CT_TRY(ct_tensor_create(ctx, 1, &count, &t));
    ct_status s = backward ? ct_augment_backward(ctx, &p, y, &t, (ct_tensor *)x)
                           : ct_augment_forward(ctx, &p, x, &t, (ct_tensor *)y);
    ct_tensor_release(&t);
    return s;
}

static ct_status fwd(ct_context *ctx, const ct_optest_case *c, const ct_tensor *in, ct_tensor *out)
{
    return with_transforms(ctx, c, &in[0], out, 0);
}

static void ref(const ct_optest_case *c, const double *const *in, double *out)
{
    ct_augment_params p = params_of(c);
    int nd;
    size_t shape[CT_MAX_DIMS];
    out_shape(c, &nd, shape);
    const size_t *s = c->in[0].shape;
    ref_augment(&p, s[0], s[1], s[2], s[3], shape[1], shape[2], in[0], out);
}

static ct_status bwd(ct_context *ctx, const ct_optest_case *c, const ct_tensor *in, const ct_tensor *out,
                     const ct_tensor *dy, ct_tensor *dx)
{
    (void)in;
    (void)out;
    return with_transforms(ctx, c, &dx[0], dy, 1);
}

static const ct_optest_op op_augment = {"augment", out_shape, fwd, ref, bwd, NULL};

#define IMG(n, h, w, ch) {4, {n, h, w, ch}, -1, 1, 0, 1}
#define FWD_TOL 1e-10
#define GRAD_TOL 1e-5
#define FLIP(mode) {CT_AUGMENT_FLIP, 42, 7, mode}
/* kind, seed, step, fill mode, interpolation, same_zoom, out_h, out_w */
#define WARP(kind, fill, interp) {kind, 1234, 5, fill, interp, 0, 0, 0}
#define BILINEAR CT_INTERPOLATION_BILINEAR
#define NEAREST CT_INTERPOLATION_NEAREST

static const ct_optest_case cases[] = {
    {&op_augment, "flip horizontal", 1, {IMG(9, 5, 7, 3)}, FLIP(CT_FLIP_HORIZONTAL), {0}, FWD_TOL, GRAD_TOL},
    {&op_augment, "flip vertical", 1, {IMG(9, 5, 7, 3)}, FLIP(CT_FLIP_VERTICAL), {0}, FWD_TOL, GRAD_TOL},
    {&op_augment, "flip both, 1 channel", 1, {IMG(9, 6, 4, 1)}, FLIP(CT_FLIP_HORIZONTAL_AND_VERTICAL), {0}, FWD_TOL,
     GRAD_TOL},
    {&op_augment, "flip, 64-bit seed, high step", 1, {IMG(5, 3, 3, 2)},
     {CT_AUGMENT_FLIP, 0x123456789abcdef0L, 4000000000L, CT_FLIP_HORIZONTAL}, {0}, FWD_TOL, GRAD_TOL},
    {&op_augment, "translation 0.125 reflect (CIFAR recipe)", 1, {IMG(3, 32, 32, 3)},
     WARP(CT_AUGMENT_TRANSLATION, CT_FILL_REFLECT, BILINEAR), {-0.125f, 0.125f, 0.125f}, FWD_TOL, GRAD_TOL},
    {&op_augment, "translation [-0.3, 0.5] wrap", 1, {IMG(4, 7, 9, 2)},
     WARP(CT_AUGMENT_TRANSLATION, CT_FILL_WRAP, BILINEAR), {-0.3f, 0.5f, 0.4f}, FWD_TOL, GRAD_TOL},
    {&op_augment, "translation constant fill -0.5", 1, {IMG(4, 7, 9, 2)},
     WARP(CT_AUGMENT_TRANSLATION, CT_FILL_CONSTANT, BILINEAR), {-0.4f, 0.4f, 0.4f, -0.5f}, FWD_TOL, GRAD_TOL},
    {&op_augment, "translation nearest fill", 1, {IMG(4, 7, 9, 2)},
     WARP(CT_AUGMENT_TRANSLATION, CT_FILL_NEAREST, BILINEAR), {-0.6f, 0.6f, 0.7f}, FWD_TOL, GRAD_TOL},
    {&op_augment, "translation whole factor, reflect twice", 1, {IMG(4, 5, 6, 1)},
     WARP(CT_AUGMENT_TRANSLATION, CT_FILL_REFLECT, BILINEAR), {-1.0f, 1.0f, 1.0f}, FWD_TOL, GRAD_TOL},
    {&op_augment, "translation, nearest interpolation, constant", 1, {IMG(4, 8, 8, 3)},
     WARP(CT_AUGMENT_TRANSLATION, CT_FILL_CONSTANT, NEAREST), {-0.25f, 0.25f, 0.25f}, FWD_TOL, GRAD_TOL},
    {&op_augment, "translation, one row", 1, {IMG(3, 1, 6, 2)},
     WARP(CT_AUGMENT_TRANSLATION, CT_FILL_REFLECT, BILINEAR), {-0.5f, 0.5f, 0.5f}, FWD_TOL, GRAD_TOL},
    {&op_augment, "rotation 0.1 reflect", 1, {IMG(4, 9, 7, 2)},
     WARP(CT_AUGMENT_ROTATION, CT_FILL_REFLECT, BILINEAR), {-0.1f, 0.1f}, FWD_TOL, GRAD_TOL},
    {&op_augment, "rotation [-0.5, 1] wrap", 1, {IMG(4, 8, 8, 3)},
     WARP(CT_AUGMENT_ROTATION, CT_FILL_WRAP, BILINEAR), {-0.5f, 1.0f}, FWD_TOL, GRAD_TOL},
    {&op_augment, "rotation constant fill 2", 1, {IMG(3, 6, 10, 1)},
     WARP(CT_AUGMENT_ROTATION, CT_FILL_CONSTANT, BILINEAR), {-0.25f, 0.25f, 0, 2.0f}, FWD_TOL, GRAD_TOL},
    {&op_augment, "rotation nearest fill", 1, {IMG(3, 6, 10, 1)},
     WARP(CT_AUGMENT_ROTATION, CT_FILL_NEAREST, BILINEAR), {-0.2f, 0.3f}, FWD_TOL, GRAD_TOL},
    {&op_augment, "zoom in and out, same both ways", 1, {IMG(4, 9, 7, 2)},
     {CT_AUGMENT_ZOOM, 99, 2, CT_FILL_REFLECT, BILINEAR, 1}, {-0.5f, 0.5f}, FWD_TOL, GRAD_TOL},
    {&op_augment, "zoom, own width factor, wrap", 1, {IMG(4, 8, 6, 3)},
     {CT_AUGMENT_ZOOM, 99, 2, CT_FILL_WRAP, BILINEAR, 0}, {-0.3f, 1.0f, 0.8f}, FWD_TOL, GRAD_TOL},
    {&op_augment, "zoom out, constant fill", 1, {IMG(3, 7, 7, 1)},
     {CT_AUGMENT_ZOOM, 5, 8, CT_FILL_CONSTANT, BILINEAR, 1}, {0.2f, 0.9f, 0, -1.0f}, FWD_TOL, GRAD_TOL},
    {&op_augment, "crop 5x4 of 8x7", 1, {IMG(6, 8, 7, 2)}, {CT_AUGMENT_CROP, 17, 3, 0, 0, 0, 5, 4}, {0}, FWD_TOL,
     GRAD_TOL},
    {&op_augment, "crop 24x24 of 32x32", 1, {IMG(2, 32, 32, 3)}, {CT_AUGMENT_CROP, 17, 3, 0, 0, 0, 24, 24}, {0},
     FWD_TOL, GRAD_TOL},
    {&op_augment, "central crop, resized 32x32 to 24x24", 1, {IMG(2, 32, 32, 3)},
     {CT_AUGMENT_CENTER_CROP, 0, 0, 0, 0, 0, 24, 24}, {0}, FWD_TOL, GRAD_TOL},
    {&op_augment, "central crop, other aspect 9x12 to 4x3", 1, {IMG(2, 9, 12, 2)},
     {CT_AUGMENT_CENTER_CROP, 0, 0, 0, 0, 0, 4, 3}, {0}, FWD_TOL, GRAD_TOL},
    {&op_augment, "central crop, upsampled 5x6 to 8x9", 1, {IMG(2, 5, 6, 1)},
     {CT_AUGMENT_CENTER_CROP, 0, 0, 0, 0, 0, 8, 9}, {0}, FWD_TOL, GRAD_TOL},
};

const ct_optest_family ct_optest_family_augment = CT_OPTEST_FAMILY("augment", cases);
