/* Tuning the own GEMM's tile (include/cltrain/tune.h): each candidate gets
 * a context of its own whose profile carries the tile, so cl/gemm_tile.cl is
 * built with it (the program cache keeps every candidate's binary: a
 * second tuning run measures without compiling). */
#include "cltrain/tune.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cltrain/gemm.h"
#include "core/clock.h"
#include "core/context.h"
#include "core/profile.h"
#include "core/tune_timing.h"

/* Square products in every transpose the training uses, and a conv-shaped
 * one (im2col of 3x3x32 channels into 32 filters, 16 images of 28x28):
 * together they decide how a tile does on the work the nets give it. */
static const struct {
    const char *label, *name;
    ct_transpose ta, tb;
    size_t m, n, k;
} SHAPES[CT_TUNE_SHAPES] = {
    {"NN512", "NN 512x512x512", CT_NO_TRANS, CT_NO_TRANS, 512, 512, 512},
    {"NT512", "NT 512x512x512", CT_NO_TRANS, CT_TRANS, 512, 512, 512},
    {"TN512", "TN 512x512x512", CT_TRANS, CT_NO_TRANS, 512, 512, 512},
    {"conv", "NN 12544x32x288", CT_NO_TRANS, CT_NO_TRANS, 12544, 32, 288},
};

enum { TUNE_ROUNDS = 3 };
#define DEFAULT_MARGIN 1.05 /* a tile replaces the default when this much faster */

const char *ct_gemm_tune_shape_name(size_t i) { return i < CT_TUNE_SHAPES ? SHAPES[i].name : "?"; }
const char *ct_gemm_tune_shape_label(size_t i) { return i < CT_TUNE_SHAPES ? SHAPES[i].label : "?"; }

static int add_candidate(ct_gemm_tile *out, size_t *n, size_t max, ct_gemm_tile t)
{
    if (*n >= max || !ct_gemm_tile_valid(&t))
        return 0;
    for (size_t i = 0; i < *n; i++)
        if (!memcmp(&out[i], &t, sizeof t))
            return 0;
    out[(*n)++] = t;
    return 1;
}

size_t ct_gemm_tune_candidates(const ct_device_profile *p, ct_gemm_tile *out, size_t max)
{
    size_t n = 0;
    const ct_gemm_tile d = p->gemm_default;
    add_candidate(out, &n, max, d);
    int regs = p->vector_registers ? (int)p->vector_registers : 16;
    int budget = regs * 3 / 4;
    /* Rows for `nv` vectors per row: the default's share of the registers,
     * and as many as the registers hold next to nv B vectors and A. */
    for (int nv = 1; nv <= 3; nv++) {
        ct_gemm_tile t = d;
        t.vectors = nv;
        t.rows = budget / nv > 16 ? 16 : budget / nv;
        add_candidate(out, &n, max, t);
        t.rows = (regs - nv - 1) / nv > 16 ? 16 : (regs - nv - 1) / nv;
        add_candidate(out, &n, max, t);
    }
    ct_gemm_tile t = d;
    t.k_unroll = 2;
    add_candidate(out, &n, max, t);
    return n;
}

/* A device buffer of `floats` values in [-1, 1) (fixed pseudo-random). */
static ct_status make_buffer(ct_context *ctx, size_t floats, unsigned seed, cl_mem *out)
{
    float *host = malloc(floats * sizeof *host);
    if (!host)
        return ct_fail(CT_ERR_NO_MEMORY, "tuning buffer of %zu floats", floats);
    unsigned x = seed * 2654435761u + 1u;
    for (size_t i = 0; i < floats; i++) {
        x = x * 1664525u + 1013904223u;
        host[i] = (float)(x >> 8) / 8388608.0f - 1.0f;
    }
    cl_int err;
    *out = clCreateBuffer(ct_context_cl(ctx), CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, floats * sizeof *host, host,
                          &err);
    free(host);
    return err == CL_SUCCESS ? CT_OK : ct_cl_fail(err, "creating a tuning buffer");
}

static ct_status run_own_gemm(ct_context *ctx, void *g) { return ct_gemm_with(ctx, CT_GEMM_OWN, g); }

/* Median GFLOP per CPU-second of the own engine on one shape (core/tune_timing.h). */
static ct_status time_shape(ct_context *ctx, size_t s, double *gflops)
{
    const size_t m = SHAPES[s].m, n = SHAPES[s].n, k = SHAPES[s].k;
    cl_mem a = NULL, b = NULL, c = NULL;
    ct_status st = make_buffer(ctx, m * k, 1, &a);
    if (st == CT_OK)
        st = make_buffer(ctx, k * n, 2, &b);
    if (st == CT_OK)
        st = make_buffer(ctx, m * n, 3, &c);
    ct_gemm_args g = {.trans_a = SHAPES[s].ta, .trans_b = SHAPES[s].tb, .m = m, .n = n, .k = k,
                      .alpha = 1.0f, .beta = 0.0f, .a = a, .lda = SHAPES[s].ta ? m : k,
                      .b = b, .ldb = SHAPES[s].tb ? k : n, .c = c, .ldc = n};
    double seconds = 0;
    if (st == CT_OK)
        st = ct_tune_median_cpu_seconds(ctx, run_own_gemm, &g, &seconds);
    if (st == CT_OK)
        *gflops = 2.0 * (double)m * (double)n * (double)k / seconds * 1e-9;
    if (a)
        clReleaseMemObject(a);
    if (b)
        clReleaseMemObject(b);
    if (c)
        clReleaseMemObject(c);
    return st;
}

/* A context whose profile carries the candidate's tile, with cl/gemm_tile.cl
 * built for it; NULL (and r->ok 0, the reason in r->detail) on failure. */
static ct_context *candidate_context(const ct_device_info *info, ct_tune_result *r)
{
    ct_device_info with_tile = *info;
    with_tile.profile.gemm = r->tile;
    ct_context *ctx = NULL;
    ct_status st = ct_context_create(&with_tile, &ctx);
    if (st == CT_OK) {
        double t0 = ct_now_seconds();
        cl_kernel k;
        st = ct_context_kernel(ctx, "gemm_tile", "gemm_tile", &k);
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

ct_status ct_gemm_tune(const ct_device_info *info, ct_tune_result *results, size_t *count, size_t *best,
                       ct_tune_progress progress, void *user)
{
    *count = 0;
    *best = 0;
    if (!info->profile.is_cpu_class)
        return ct_fail(CT_ERR_UNSUPPORTED, "tuning: %s is not a CPU-class device; its GEMM kernel's work-group "
                                           "shape follows the device's limits and is not tuned yet",
                       info->name);
    ct_gemm_tile tiles[CT_TUNE_MAX_CANDIDATES];
    ct_context *ctx[CT_TUNE_MAX_CANDIDATES] = {NULL};
    size_t n = ct_gemm_tune_candidates(&info->profile, tiles, CT_TUNE_MAX_CANDIDATES);
    for (size_t i = 0; i < n; i++) {
        memset(&results[i], 0, sizeof results[i]);
        results[i].tile = tiles[i];
        ctx[i] = candidate_context(info, &results[i]);
    }
    /* Rounds in which every candidate takes its turn on every shape, and
     * per shape the best round counts: on a machine that other work
     * shares, the load then falls on all candidates alike, and a round
     * that others slowed down does not decide. */
    for (int round = 0; round < TUNE_ROUNDS; round++)
        for (size_t i = 0; i < n; i++)
            for (size_t s = 0; s < CT_TUNE_SHAPES && ctx[i]; s++) {
                double g = 0;
                if (time_shape(ctx[i], s, &g) != CT_OK) {
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
            results[i].score = ct_tune_geometric_mean(results[i].gflops, CT_TUNE_SHAPES);
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
        return ct_fail(CT_ERR_BUILD, "tuning: no candidate tile ran on %s (first: %s)", info->name,
                       results[0].detail);
    return CT_OK;
}

ct_status ct_gemm_tune_save(const ct_device_info *info, const ct_gemm_tile *tile, const char *note)
{
    return ct_profile_save_tuned(info, tile, note);
}
