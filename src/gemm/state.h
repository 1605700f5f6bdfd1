/* Per-context GEMM state, attached to the context's CT_HOOK_GEMM slot and
 * destroyed with it (hook.c): the own engine's workspace (gemm_own.c) and
 * the engine choices (select.c). Each part is put there with its destroyer,
 * so the hook calls into neither file. */
#ifndef CLTRAIN_GEMM_STATE_H
#define CLTRAIN_GEMM_STATE_H

#include "cltrain/gemm.h"

struct ct_gemm_own_state;
struct ct_gemm_select_state;

typedef struct {
    struct ct_gemm_own_state *own;       /* NULL until the own engine runs */
    struct ct_gemm_select_state *select; /* NULL until an engine is chosen */
    void (*own_destroy)(struct ct_gemm_own_state *);
    void (*select_destroy)(struct ct_gemm_select_state *);
} ct_gemm_hook;

/* The context's GEMM state, created on first use; NULL when out of memory. */
ct_gemm_hook *ct_gemm_hook_get(ct_context *ctx);

void ct_gemm_own_state_destroy(struct ct_gemm_own_state *s);
void ct_gemm_select_state_destroy(struct ct_gemm_select_state *s);

#endif
