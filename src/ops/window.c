/* Helpers shared by the convolution and pooling launchers (window.h). */
#include "core/launch.h"
#include "ops/window.h"


ct_status ct_check_shape4(const char *op, const char *what, const ct_tensor *t, size_t n, size_t h, size_t w,
                          size_t c)
{
    if (!t || !t->buf)
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "%s: %s is missing (NULL tensor or buffer)", op, what);
    size_t want[4] = {n, h, w, c};
    int same = t->ndim == 4;
    for (int d = 0; d < 4 && same; d++)
        same = t->shape[d] == want[d];
    if (same)
        return CT_OK;
    char got_s[96], want_s[96];
    return ct_fail(CT_ERR_SHAPE, "%s: %s has shape %s, expected %s", op, what,
                   ct_shape_str(t->ndim, t->shape, got_s, sizeof got_s), ct_shape_str(4, want, want_s, sizeof want_s));
}

ct_status ct_launch_rows(ct_context *ctx, cl_kernel k, size_t inner, size_t outer, const char *name)
{
    if (inner == 0 || outer == 0)
        return CT_OK;
    const ct_device_info *dev = ct_context_device(ctx);
    size_t enough_groups = 4 * (dev->compute_units ? dev->compute_units : 1);
    size_t group = inner * outer / 64 >= enough_groups ? 64 : 8;
    size_t local[2] = {1, 1};
    while (local[0] * 2 <= group && local[0] < inner)
        local[0] *= 2;
    while (local[0] * local[1] * 2 <= group)
        local[1] *= 2;
    size_t global[2] = {inner, outer};
    return ct_launch(ctx, k, 2, global, local, name);
}

cl_int ct_channels_per_item(ct_context *ctx, size_t run)
{
    return ct_context_device(ctx)->profile.is_cpu_class ? (cl_int)run : 1;
}

size_t ct_items_for(size_t run, cl_int per_item) { return (run + (size_t)per_item - 1) / (size_t)per_item; }

