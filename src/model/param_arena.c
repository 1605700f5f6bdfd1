/* The parameter arena: every parameter tensor of a model in one device
 * buffer, its gradient at the same offset of a second one (cltrain/param_arena.h). */
#include "model/param_arena.h"

#include <stdlib.h>

#include "core/launch.h"

/* Elements of a shape; 0 for a shape a tensor cannot have. */
static size_t shape_count(int ndim, const size_t *shape)
{
    if (ndim < 1 || ndim > CT_MAX_DIMS)
        return 0;
    size_t n = 1;
    for (int d = 0; d < ndim; d++)
        n *= shape[d];
    return n;
}

size_t ct_param_arena_padded(size_t count)
{
    return (count + CT_PARAM_ALIGN - 1) / CT_PARAM_ALIGN * CT_PARAM_ALIGN;
}

ct_status ct_param_arena_create(ct_context *ctx, size_t capacity, ct_param_arena **out)
{
    *out = NULL;
    ct_param_arena *a = calloc(1, sizeof *a);
    if (!a)
        return ct_fail(CT_ERR_NO_MEMORY, "parameter arena");
    a->capacity = capacity;
    size_t alloc = capacity ? capacity : 1; /* a model without parameters still gets valid buffers */
    ct_status s = ct_tensor_zeros(ctx, 1, &alloc, &a->weights);
    if (s == CT_OK)
        s = ct_tensor_zeros(ctx, 1, &alloc, &a->grads);
    if (s != CT_OK) {
        ct_param_arena_destroy(a);
        return ct_fail_context(s, "parameter arena of %zu floats", capacity);
    }
    *out = a;
    return CT_OK;
}

void ct_param_arena_destroy(ct_param_arena *arena)
{
    if (!arena)
        return;
    ct_tensor_release(&arena->weights);
    ct_tensor_release(&arena->grads);
    free(arena->starts);
    free(arena);
}

ct_status ct_param_arena_add(ct_param_arena *arena, int ndim, const size_t *shape, ct_tensor *weights, ct_tensor *grads)
{
    char s[96];
    if (arena->frozen)
        return ct_fail(CT_ERR_SHAPE, "parameter arena: cannot add %s after an optimizer was created for it",
                       ct_shape_str(ndim, shape, s, sizeof s));
    size_t count = shape_count(ndim, shape);
    size_t padded = ct_param_arena_padded(count);
    if (count == 0 || padded > arena->capacity - arena->used)
        return ct_fail(CT_ERR_SHAPE, "parameter arena: a tensor %s (%zu floats) does not fit: %zu of %zu used",
                       ct_shape_str(ndim, shape, s, sizeof s), count, arena->used, arena->capacity);
    if (arena->count == arena->starts_capacity) {
        size_t grown = arena->starts_capacity ? 2 * arena->starts_capacity : 16;
        size_t *starts = realloc(arena->starts, grown * sizeof *starts);
        if (!starts)
            return ct_fail(CT_ERR_NO_MEMORY, "parameter arena: tensor offsets");
        arena->starts = starts;
        arena->starts_capacity = grown;
    }
    CT_TRY(ct_tensor_view(&arena->weights, arena->used, ndim, shape, weights));
    CT_TRY(ct_tensor_view(&arena->grads, arena->used, ndim, shape, grads));
    arena->starts[arena->count] = arena->used;
    arena->used += padded;
    arena->count++;
    return CT_OK;
}

size_t ct_param_arena_used(const ct_param_arena *arena)
{
    return arena->used;
}

size_t ct_param_arena_count(const ct_param_arena *arena)
{
    return arena->count;
}

size_t ct_param_arena_start(const ct_param_arena *arena, size_t i)
{
    return i < arena->count ? arena->starts[i] : arena->used;
}

ct_status ct_param_arena_weights(const ct_param_arena *arena, ct_tensor *out)
{
    return ct_tensor_view(&arena->weights, 0, 1, &arena->used, out);
}

ct_status ct_param_arena_grads(const ct_param_arena *arena, ct_tensor *out)
{
    return ct_tensor_view(&arena->grads, 0, 1, &arena->used, out);
}

ct_status ct_param_arena_zero_grads(ct_context *ctx, ct_param_arena *arena)
{
    float zero = 0.0f;
    cl_int err = clEnqueueFillBuffer(ct_context_queue(ctx), arena->grads.buf, &zero, sizeof zero, 0,
                                     ct_tensor_count(&arena->grads) * sizeof(float), 0, NULL, NULL);
    return err == CL_SUCCESS ? CT_OK : ct_cl_fail(err, "zeroing the gradients");
}
