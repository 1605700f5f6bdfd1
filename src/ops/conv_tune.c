/* Tuning the conv register tiles (include/cltrain/conv_tune.h): each
 * candidate gets a context of its own whose profile carries the tile, so the
 * tiled or the Winograd program is built with it (the program cache keeps
 * every candidate's binaries: a second tuning run measures without
 * compiling). Only the -D parameters change; the kernels are the ones in
 * cl/, whatever they are at the time (their hash keys the cache entry). */
#include "cltrain/conv_tune.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cltrain/ops_conv.h"
#include "core/clock.h"
#include "core/context.h"
#include "core/profile.h"
#include "core/tune_timing.h"

/* The passes each tile decides, at the CIFAR nets' shapes (3x3 'valid', 32
 * filters), batch 8, as training runs them: conv1's forward and every
 * kernel gradient take the tiled kernels, conv2's forward and input
 * gradient (30x30 and, in the pooled net, 15x15) Winograd F(4x4). The
 * algorithms are named, not chosen, so that every candidate runs the same
 * work. */
typedef enum { PART_FORWARD, PART_DX, PART_DW } part_kind;

typedef struct {
    const char *label, *name;
    size_t h, w, cin;
    part_kind pass;
} tune_part;

static const tune_part PARTS[2][CT_CONV_TUNE_PARTS] = {
    {
        {"c1fwd", "conv1 32x32x3->32 forward", 32, 32, 3, PART_FORWARD},
        {"c1dW", "conv1 32x32x3->32 kernel gradient", 32, 32, 3, PART_DW},
        {"c2dW", "conv2 30x30x32->32 kernel gradient", 30, 30, 32, PART_DW},
        {"c2pdW", "conv2p 15x15x32->32 kernel gradient", 15, 15, 32, PART_DW},
    },
    {
        {"c2fwd", "conv2 30x30x32->32 forward", 30, 30, 32, PART_FORWARD},
        {"c2dx", "conv2 30x30x32->32 input gradient", 30, 30, 32, PART_DX},
        {"c2pfwd", "conv2p 15x15x32->32 forward", 15, 15, 32, PART_FORWARD},
        {"c2pdx", "conv2p 15x15x32->32 input gradient", 15, 15, 32, PART_DX},
    },
};

static const tune_part *part_of(ct_conv_tune_kind kind, size_t i)
{
    return &PARTS[kind == CT_CONV_TUNE_WINOGRAD][i];
}

static ct_conv2d_algorithm algorithm_of(ct_conv_tune_kind kind)
{
    return kind == CT_CONV_TUNE_WINOGRAD ? CT_CONV2D_WINOGRAD : CT_CONV2D_TILED;
}

enum { TUNE_BATCH = 8, TUNE_FILTERS = 32, TUNE_ROUNDS = 3 };
#define DEFAULT_MARGIN 1.05 /* a tile replaces the default when this much faster */

const char *ct_conv_tune_kind_name(ct_conv_tune_kind kind) { return kind == CT_CONV_TUNE_WINOGRAD ? "Winograd" : "tiled"; }
const char *ct_conv_tune_part_name(ct_conv_tune_kind kind, size_t i)
{
    return i < CT_CONV_TUNE_PARTS ? part_of(kind, i)->name : "?";
}
const char *ct_conv_tune_part_label(ct_conv_tune_kind kind, size_t i)
{
    return i < CT_CONV_TUNE_PARTS ? part_of(kind, i)->label : "?";
}

size_t ct_conv_tune_candidates(const ct_device_profile *p, ct_conv_tile *out, size_t max)
{
    unsigned width = ct_profile_kernel_vector(p);
    size_t n = 0;
    if (max == 0)
        return 0;
    out[n++] = p->conv_default;
    int budget = (int)(p->vector_registers ? p->vector_registers : 16) * 3 / 4;
    /* Most accumulators first: a tile that fills the registers reuses each
     * load the most, unless the compiler then spills. */
    static const int rows[] = {12, 6, 4, 3, 2};
    for (int acc = budget; acc >= (budget + 1) / 2; acc--)
        for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++) {
            if (acc % rows[r] != 0)
                continue;
            ct_conv_tile t = {.rows = rows[r], .vectors = acc / rows[r]};
            if (!ct_conv_tile_valid(&t, width) || n >= max)
                continue;
            int seen = 0;
            for (size_t i = 0; i < n; i++)
                seen |= out[i].rows == t.rows && out[i].vectors == t.vectors;
            if (!seen)
                out[n++] = t;
        }
    return n;
}

typedef struct {
    ct_tensor x, kernel, bias, y, dx, dkernel, ws;
} part_buffers;

static void release(part_buffers *b)
{
    ct_tensor *all[] = {&b->x, &b->kernel, &b->bias, &b->y, &b->dx, &b->dkernel, &b->ws};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        ct_tensor_release(all[i]);
}

/* t filled with fixed pseudo-random values in [-0.5, 0.5). */
static ct_status fill(ct_context *ctx, ct_tensor *t, unsigned seed)
{
    size_t n = ct_tensor_count(t);
    float *host = malloc(n * sizeof *host);
    if (!host)
        return ct_fail(CT_ERR_NO_MEMORY, "conv tuning buffer of %zu floats", n);
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1664525u + 1013904223u;
        host[i] = (float)(seed >> 8) / 16777216.0f - 0.5f;
    }
    ct_status s = ct_tensor_write(ctx, t, host);
    free(host);
    return s;
}

static ct_status setup(ct_context *ctx, ct_conv_tune_kind kind, const tune_part *part, ct_conv2d_params *p,
                       ct_conv2d_geometry *g, part_buffers *b)
{
    memset(b, 0, sizeof *b);
    *p = (ct_conv2d_params){3, 3, 1, 1, CT_PADDING_VALID, CT_CONV2D_AUTO, CT_ACTIVATION_LINEAR};
    size_t filters = TUNE_FILTERS, xs[4] = {TUNE_BATCH, part->h, part->w, part->cin}, floats = 0;
    CT_TRY(ct_conv2d_geometry_of(p, xs, filters, g));
    CT_TRY(ct_conv2d_workspace_size(p, xs, filters, &floats)); /* AUTO: room for every algorithm */
    p->algorithm = algorithm_of(kind);
    size_t ks[4] = {3, 3, part->cin, filters}, ys[4] = {TUNE_BATCH, g->oh, g->ow, filters};
    CT_TRY(ct_tensor_create(ctx, 4, xs, &b->x));
    CT_TRY(ct_tensor_create(ctx, 4, ks, &b->kernel));
    CT_TRY(ct_tensor_create(ctx, 1, &filters, &b->bias));
    CT_TRY(ct_tensor_create(ctx, 4, ys, &b->y));
    CT_TRY(ct_tensor_create(ctx, 4, xs, &b->dx));
    CT_TRY(ct_tensor_create(ctx, 4, ks, &b->dkernel));
    if (floats)
        CT_TRY(ct_tensor_create(ctx, 1, &floats, &b->ws));
    CT_TRY(fill(ctx, &b->x, 1));
    CT_TRY(fill(ctx, &b->kernel, 2));
    CT_TRY(fill(ctx, &b->bias, 3));
    return fill(ctx, &b->y, 4); /* doubles as dy */
}

/* One timed pass: the part, its parameters and buffers (ct_tune_call's work). */
typedef struct {
    const tune_part *part;
    ct_conv2d_params params;
    part_buffers buffers;
} part_work;

static ct_status run_part(ct_context *ctx, void *work)
{
    part_work *w = work;
    const ct_conv2d_params *p = &w->params;
    part_buffers *b = &w->buffers;
    switch (w->part->pass) {
    case PART_FORWARD:
        return ct_conv2d_forward(ctx, p, &b->x, &b->kernel, &b->bias, &b->y, &b->ws);
    case PART_DX:
        return ct_conv2d_backward(ctx, p, &b->x, &b->kernel, &b->y, &b->dx, NULL, NULL, &b->ws);
    default:
        return ct_conv2d_backward(ctx, p, &b->x, &b->kernel, &b->y, NULL, &b->dkernel, NULL, &b->ws);
    }
}

/* Median GFLOP per CPU-second of one pass (flops of the equivalent GEMM,
 * 2 x pixels x patch x filters, as convbench counts them), timed as the
 * GEMM tuner times its shapes (core/tune_timing.h). */
static ct_status time_part(ct_context *ctx, ct_conv_tune_kind kind, const tune_part *part, double *gflops)
{
    ct_conv2d_geometry g;
    part_work w = {.part = part};
    ct_status st = setup(ctx, kind, part, &w.params, &g, &w.buffers);
    double seconds = 0;
    if (st == CT_OK)
        st = ct_tune_median_cpu_seconds(ctx, run_part, &w, &seconds);
    if (st == CT_OK) {
        double flops = 2.0 * (double)(g.n * g.oh * g.ow) * (double)(g.kh * g.kw * g.cin) * (double)g.cout;
        *gflops = seconds > 0 ? flops / seconds * 1e-9 : 0.0;
    }
    release(&w.buffers);
    return st;
}

/* A context whose profile carries the candidate's tile of `kind`, with
 * the program the timed passes run built for it (F(2x2) Winograd,
 * conv_winograd, is built when a pass needs it: none of these does); NULL
 * (r->ok 0, the reason in r->detail) on failure. */
static ct_context *candidate_context(const ct_device_info *info, ct_conv_tune_kind kind, ct_conv_tune_result *r)
{
    ct_device_info with_tile = *info;
    if (kind == CT_CONV_TUNE_WINOGRAD)
        with_tile.profile.winograd = r->tile;
    else
        with_tile.profile.conv = r->tile;
    ct_context *ctx = NULL;
    ct_status st = ct_context_create(&with_tile, &ctx);
    if (st == CT_OK) {
        double t0 = ct_now_seconds();
        cl_program prog;
        st = ct_context_program(ctx, kind == CT_CONV_TUNE_WINOGRAD ? "conv_winograd4" : "conv_tiled", &prog);
        r->build_seconds = ct_now_seconds() - t0;
    }
    if (st != CT_OK) {
        snprintf(r->detail, sizeof r->detail, "%s", ct_last_error());
        ct_clear_error();
        ct_context_destroy(ctx);
        return NULL;
    }
    r->ok = 1;
    return ctx;
}

ct_status ct_conv_tune(const ct_device_info *info, ct_conv_tune_kind kind, ct_conv_tune_result *results,
                       size_t *count, size_t *best, ct_conv_tune_progress progress, void *user)
{
    *count = 0;
    *best = 0;
    if (!info->profile.is_cpu_class)
        return ct_fail(CT_ERR_UNSUPPORTED, "conv tuning: %s is not a CPU-class device; the tiled and Winograd "
                                           "kernels run on CPUs only",
                       info->name);
    ct_conv_tile tiles[CT_CONV_TUNE_MAX_CANDIDATES];
    ct_context *ctx[CT_CONV_TUNE_MAX_CANDIDATES] = {NULL};
    size_t n = ct_conv_tune_candidates(&info->profile, tiles, CT_CONV_TUNE_MAX_CANDIDATES);
    for (size_t i = 0; i < n; i++) {
        memset(&results[i], 0, sizeof results[i]);
        results[i].tile = tiles[i];
        ctx[i] = candidate_context(info, kind, &results[i]);
    }
    /* Rounds in which every candidate takes its turn on every pass; per
     * pass the best round counts (a round that other processes slowed
     * down does not decide). */
    for (int round = 0; round < TUNE_ROUNDS; round++)
        for (size_t i = 0; i < n; i++)
            for (size_t s = 0; s < CT_CONV_TUNE_PARTS && ctx[i]; s++) {
                double g = 0;
                if (time_part(ctx[i], kind, part_of(kind, s), &g) != CT_OK) {
                    snprintf(results[i].detail, sizeof results[i].detail, "%s", ct_last_error());
                    ct_clear_error();
                    results[i].ok = 0;
                    ct_context_destroy(ctx[i]);
                    ctx[i] = NULL;
                } else if (g > results[i].gflops[s]) {
                    results[i].gflops[s] = g;
                }
            }
    int any = 0;
    for (size_t i = 0; i < n; i++) {
        ct_context_destroy(ctx[i]);
        if (results[i].ok) {
            results[i].score = ct_tune_geometric_mean(results[i].gflops, CT_CONV_TUNE_PARTS);
            /* Another tile must beat the default by more than timing noise. */
            double margin = *best == 0 && any ? DEFAULT_MARGIN : 1.0;
            if (!any || results[i].score > results[*best].score * margin) {
                *best = i;
                any = 1;
            }
        }
        if (progress)
            progress(&results[i], i, n, user);
    }
    *count = n;
    if (!any)
        return ct_fail(CT_ERR_BUILD, "conv tuning: no %s candidate tile ran on %s (first: %s)",
                       ct_conv_tune_kind_name(kind), info->name, results[0].detail);
    return CT_OK;
}

ct_status ct_conv_tune_save(const ct_device_info *info, ct_conv_tune_kind kind, const ct_conv_tile *tile,
                            const char *note)
{
    return ct_profile_save_tuned_conv(info, kind == CT_CONV_TUNE_WINOGRAD, tile, note);
}
