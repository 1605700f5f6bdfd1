/* The context's GEMM state hook (gemm/state.h): created on first use,
 * destroyed with the context through the destroyers its parts left. */
#include <stdlib.h>

#include "core/context.h"
#include "gemm/state.h"

static void hook_destroy(void *p)
{
    ct_gemm_hook *h = p;
    if (!h)
        return;
    if (h->own && h->own_destroy)
        h->own_destroy(h->own);
    if (h->select && h->select_destroy)
        h->select_destroy(h->select);
    free(h);
}

ct_gemm_hook *ct_gemm_hook_get(ct_context *ctx)
{
    ct_gemm_hook *h = ct_context_hook(ctx, CT_HOOK_GEMM);
    if (h)
        return h;
    h = calloc(1, sizeof *h);
    if (h)
        ct_context_set_hook(ctx, CT_HOOK_GEMM, h, hook_destroy);
    return h;
}
