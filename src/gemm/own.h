/* Internals of the own GEMM engine (src/gemm/gemm_own.c, cl/gemm_tile.cl) shared
 * with the engine selector and tools/gemmbench. */
#ifndef CLTRAIN_GEMM_OWN_H
#define CLTRAIN_GEMM_OWN_H

#include <stddef.h>

#include "cltrain/gemm.h"

/* How one GEMM runs on the own engine: which kernel family, which operands
 * are packed first, how K is split. Derived from the shape and device only. */
typedef struct {
    int portable;                         /* 1: local-memory tiled kernel (non-CPU devices) */
    int pack_a, pack_b;                   /* copy op(A) / op(B) into panels first */
    int pack_b_inline;                    /* each B panel packed by the one task that uses it */
    int splits;                           /* K ranges computed separately, then summed */
    int k_split;                          /* K steps per range */
    int groups;                           /* work-groups launched for the tile kernel */
    int group;                            /* row tiles per task */
    int panel_fastest;                    /* task order: column panels of a row tile first */
    int ahead;                            /* prefetch A: rows ahead (A^T in place: any nonzero); 0: off */
    int stream;                           /* write C with non-temporal stores */
    size_t ws_a, ws_b, ws_part, ws_total; /* workspace offsets/size in floats */
    size_t counter_ints;                  /* size of the sync buffer (cl/gemm_tile.cl) */
    int mr, nr;                           /* the tile: rows and columns of C per work-item */
    int pack_tasks;                       /* tasks of the packing launch (0: no such launch) */
} ct_gemm_own_plan;

/* The plan the engine would use for args on this context's device. */
void ct_gemm_own_make_plan(ct_context *ctx, const ct_gemm_args *args, ct_gemm_own_plan *plan);

/* "pack B, 4 K-splits" and the like, for benchmarks and logs. */
const char *ct_gemm_own_plan_str(const ct_gemm_own_plan *plan, char *buf, size_t size);

#endif
