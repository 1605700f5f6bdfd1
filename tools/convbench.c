/* convbench: time Conv2D forward and backward by every algorithm (im2col +
 * GEMM, direct, tiled, Winograd) and by the automatic per-pass choice (auto),
 * at the workshop's CIFAR shapes (3x3 'valid', 32 filters):
 *   conv1:  (B, 32, 32, 3)  -> (B, 30, 30, 32)
 *   conv2:  (B, 30, 30, 32) -> (B, 28, 28, 32)
 *   conv2p: (B, 15, 15, 32) -> (B, 13, 13, 32)  (the pooled net's second conv)
 *   conv16: (B, 30, 30, 32) -> (B, 28, 28, 16)  (fewer filters than a tile's 32 channels)
 * and 2x2 max/average pooling of (B, 30, 30, 32).
 * Each figure is the median over --runs timed runs (after one warm-up run
 * that also compiles kernels) of enqueue + ct_context_finish. GFLOP/s counts
 * 2*M*K*Cout per product, the equivalent GEMM (M = B*OH*OW, K = KH*KW*Cin):
 * forward one product, input gradient one, kernel gradient one (the bias
 * gradient, a column sum of dy, is timed on its own).
 *
 * usage: convbench [--device SPEC] [--batch 32] [--runs 7] [--cpu-time]
 * --cpu-time times by the process's CPU time (all threads), as gemmbench's
 * option does: with one runtime thread (POCL_MAX_PTHREAD_COUNT=1) a per-core
 * figure that other processes on a shared machine disturb far less.
 * The GEMM engine is ct_gemm's default; CLTRAIN_GEMM_ENGINE=clblast|own forces one. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cltrain/gemm.h"
#include "cltrain/ops_conv.h"

typedef struct {
    const char *name;
    size_t h, w, cin, cout, k;
} conv_shape;

static const conv_shape shapes[] = {
    {"conv1 32x32x3->32", 32, 32, 3, 32, 3},
    {"conv2 30x30x32->32", 30, 30, 32, 32, 3},
    {"conv2p 15x15x32->32", 15, 15, 32, 32, 3},
    {"conv16 30x30x32->16", 30, 30, 32, 16, 3},
};

typedef enum { PART_FORWARD, PART_DX, PART_DW, PART_DB, PART_BACKWARD, PART_COUNT } part;
static const char *const part_names[PART_COUNT] = {"forward", "dx", "dW", "db", "backward (dx+dW+db)"};

typedef struct {
    ct_tensor x, kernel, bias, y, dx, dkernel, dbias, ws;
} buffers;

static int timer_cpu; /* --cpu-time */

static double now_s(void)
{
    struct timespec t;
    clock_gettime(timer_cpu ? CLOCK_PROCESS_CPUTIME_ID : CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void release(buffers *b)
{
    ct_tensor *all[] = {&b->x, &b->kernel, &b->bias, &b->y, &b->dx, &b->dkernel, &b->dbias, &b->ws};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        ct_tensor_release(all[i]);
}

static ct_status fill(ct_context *ctx, ct_tensor *t, unsigned seed)
{
    size_t n = ct_tensor_count(t);
    float *host = malloc(n * sizeof *host);
    if (!host)
        return ct_fail(CT_ERR_NO_MEMORY, "convbench");
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1664525u + 1013904223u;
        host[i] = (float)(seed >> 8) / 16777216.0f - 0.5f;
    }
    ct_status s = ct_tensor_write(ctx, t, host);
    free(host);
    return s;
}

static ct_status setup(ct_context *ctx, const conv_shape *sh, size_t batch, const ct_conv2d_params *p,
                       ct_conv2d_geometry *g, buffers *b)
{
    memset(b, 0, sizeof *b);
    size_t xs[4] = {batch, sh->h, sh->w, sh->cin}, floats;
    CT_TRY(ct_conv2d_geometry_of(p, xs, sh->cout, g));
    ct_conv2d_params any = *p;
    any.algorithm = CT_CONV2D_AUTO; /* the workspace every algorithm can use */
    CT_TRY(ct_conv2d_workspace_size(&any, xs, sh->cout, &floats));
    size_t ks[4] = {sh->k, sh->k, sh->cin, sh->cout}, ys[4] = {batch, g->oh, g->ow, sh->cout};
    CT_TRY(ct_tensor_create(ctx, 4, xs, &b->x));
    CT_TRY(ct_tensor_create(ctx, 4, ks, &b->kernel));
    CT_TRY(ct_tensor_create(ctx, 1, &sh->cout, &b->bias));
    CT_TRY(ct_tensor_create(ctx, 4, ys, &b->y));
    CT_TRY(ct_tensor_create(ctx, 4, xs, &b->dx));
    CT_TRY(ct_tensor_create(ctx, 4, ks, &b->dkernel));
    CT_TRY(ct_tensor_create(ctx, 1, &sh->cout, &b->dbias));
    if (floats)
        CT_TRY(ct_tensor_create(ctx, 1, &floats, &b->ws));
    CT_TRY(fill(ctx, &b->x, 1));
    CT_TRY(fill(ctx, &b->kernel, 2));
    CT_TRY(fill(ctx, &b->bias, 3));
    return fill(ctx, &b->y, 4); /* doubles as dy */
}

static ct_status run_part(ct_context *ctx, const ct_conv2d_params *p, buffers *b, part which)
{
    switch (which) {
    case PART_FORWARD:
        return ct_conv2d_forward(ctx, p, &b->x, &b->kernel, &b->bias, &b->y, &b->ws);
    case PART_DX:
        return ct_conv2d_backward(ctx, p, &b->x, &b->kernel, &b->y, &b->dx, NULL, NULL, &b->ws);
    case PART_DW:
        return ct_conv2d_backward(ctx, p, &b->x, &b->kernel, &b->y, NULL, &b->dkernel, NULL, &b->ws);
    case PART_DB:
        return ct_conv2d_backward(ctx, p, &b->x, &b->kernel, &b->y, NULL, NULL, &b->dbias, &b->ws);
    default:
        return ct_conv2d_backward(ctx, p, &b->x, &b->kernel, &b->y, &b->dx, &b->dkernel, &b->dbias, &b->ws);
    }
}

static ct_status time_part(ct_context *ctx, const ct_conv2d_params *p, buffers *b, part which, int runs,
                           double *median_s)
{
    double t[64];
    if (runs > 64)
        runs = 64;
    for (int r = -1; r < runs; r++) { /* r = -1: warm-up */
        double t0 = now_s();
        CT_TRY(run_part(ctx, p, b, which));
        CT_TRY(ct_context_finish(ctx));
        if (r >= 0)
            t[r] = now_s() - t0;
    }
    qsort(t, (size_t)runs, sizeof t[0], cmp_double);
    *median_s = runs % 2 ? t[runs / 2] : 0.5 * (t[runs / 2 - 1] + t[runs / 2]);
    return CT_OK;
}

static ct_status bench_shape(ct_context *ctx, const conv_shape *sh, size_t batch, int runs)
{
    ct_conv2d_params p = {sh->k, sh->k, 1, 1, CT_PADDING_VALID, CT_CONV2D_AUTO, CT_ACTIVATION_LINEAR};
    ct_conv2d_geometry g;
    buffers b;
    ct_status s = setup(ctx, sh, batch, &p, &g, &b);
    double gemm_flop = 2.0 * (double)(g.n * g.oh * g.ow) * (double)(g.kh * g.kw * g.cin) * (double)g.cout;
    const double flop[PART_COUNT] = {gemm_flop, gemm_flop, gemm_flop, 0, 2 * gemm_flop};
    /* Every algorithm, then the automatic choice. */
    static const ct_conv2d_algorithm algorithms[] = {CT_CONV2D_IM2COL, CT_CONV2D_DIRECT, CT_CONV2D_TILED,
                                                     CT_CONV2D_WINOGRAD, CT_CONV2D_AUTO};
    for (size_t ai = 0; ai < sizeof algorithms / sizeof algorithms[0] && s == CT_OK; ai++) {
        ct_conv2d_algorithm a = algorithms[ai];
        p.algorithm = a;
        for (int w = 0; w < PART_COUNT && s == CT_OK; w++) {
            double t;
            if (w == PART_DB && a != CT_CONV2D_IM2COL)
                continue; /* one kernel, shared by both algorithms */
            s = time_part(ctx, &p, &b, (part)w, runs, &t);
            if (s == CT_OK && flop[w] > 0)
                printf("%-20s %-8s %-20s %9.2f ms %8.2f GFLOP/s\n", sh->name, ct_conv2d_algorithm_name(p.algorithm),
                       part_names[w], t * 1e3, flop[w] / t * 1e-9);
            else if (s == CT_OK)
                printf("%-20s %-8s %-20s %9.2f ms\n", sh->name, "both", part_names[w], t * 1e3);
        }
    }
    size_t ws = b.ws.buf ? ct_tensor_count(&b.ws) : 0;
    if (s == CT_OK)
        printf("%-20s auto chooses forward %s, dx %s, dW %s\n", sh->name,
               ct_conv2d_algorithm_name(ct_conv2d_choose_pass(ctx, &g, ws, CT_CONV2D_PASS_FORWARD)),
               ct_conv2d_algorithm_name(ct_conv2d_choose_pass(ctx, &g, ws, CT_CONV2D_PASS_DX)),
               ct_conv2d_algorithm_name(ct_conv2d_choose_pass(ctx, &g, ws, CT_CONV2D_PASS_DW)));
    release(&b);
    return s;
}

/* 2x2 pooling of (batch, 30, 30, 32), forward and backward. */
static ct_status bench_pool(ct_context *ctx, ct_pool_kind kind, size_t batch, int runs)
{
    ct_pool2d_params p = {kind, 2, 2, 0, 0, CT_PADDING_VALID};
    size_t xs[4] = {batch, 30, 30, 32}, ys[4] = {batch, 15, 15, 32};
    ct_tensor x = {0}, y = {0}, dx = {0};
    ct_status s = ct_tensor_create(ctx, 4, xs, &x);
    if (s == CT_OK)
        s = ct_tensor_create(ctx, 4, ys, &y);
    if (s == CT_OK)
        s = ct_tensor_create(ctx, 4, xs, &dx);
    if (s == CT_OK)
        s = fill(ctx, &x, 5);
    if (s == CT_OK)
        s = fill(ctx, &y, 6);
    for (int backward = 0; backward < 2 && s == CT_OK; backward++) {
        double t[64];
        int n = runs > 64 ? 64 : runs;
        for (int r = -1; r < n && s == CT_OK; r++) {
            double t0 = now_s();
            s = backward ? ct_pool2d_backward(ctx, &p, &x, &y, &dx) : ct_pool2d_forward(ctx, &p, &x, &y);
            if (s == CT_OK)
                s = ct_context_finish(ctx);
            if (r >= 0)
                t[r] = now_s() - t0;
        }
        if (s == CT_OK) {
            qsort(t, (size_t)n, sizeof t[0], cmp_double);
            printf("%-20s %-7s %-20s %9.2f ms\n", kind == CT_POOL_MAX ? "maxpool 2x2 30x30x32" : "avgpool 2x2 30x30x32",
                   "", backward ? "backward" : "forward", t[n / 2] * 1e3);
        }
    }
    ct_tensor_release(&x);
    ct_tensor_release(&y);
    ct_tensor_release(&dx);
    return s;
}

int main(int argc, char **argv)
{
    const char *spec = NULL;
    size_t batch = 32;
    int runs = 7;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--device") && i + 1 < argc)
            spec = argv[++i];
        else if (!strcmp(argv[i], "--batch") && i + 1 < argc)
            batch = (size_t)strtoul(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--runs") && i + 1 < argc)
            runs = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--cpu-time"))
            timer_cpu = 1;
        else {
            fprintf(stderr, "usage: convbench [--device SPEC] [--batch 32] [--runs 7] [--cpu-time]\n");
            return 2;
        }
    }
    if (batch == 0 || runs < 1) {
        fprintf(stderr, "convbench: --batch and --runs must be positive\n");
        return 2;
    }
    ct_device_info info;
    ct_context *ctx;
    if (ct_device_find(ct_device_spec_from_env(spec), &info) != CT_OK || ct_context_create(&info, &ctx) != CT_OK) {
        fprintf(stderr, "convbench: %s\n", ct_last_error());
        return 1;
    }
    const char *forced = getenv("CLTRAIN_GEMM_ENGINE");
    printf("device: %s (%s)\nbatch %zu, median of %d runs%s, GEMM engine: %s\n", info.name, info.platform_name, batch,
           runs, timer_cpu ? " (CPU time)" : "", forced && *forced ? forced : "default (ct_gemm's choice)");
    if (info.profile.is_cpu_class) {
        char conv_tile[64], wino_tile[64];
        unsigned vw = ct_profile_kernel_vector(&info.profile);
        printf("conv tiles: tiled kernels %s (%s), Winograd %s (%s)\n",
               ct_conv_tile_str(&info.profile.conv, vw, 1, conv_tile, sizeof conv_tile),
               ct_tile_origin_name(info.profile.conv_origin),
               ct_conv_tile_str(&info.profile.winograd, vw, 1, wino_tile, sizeof wino_tile),
               ct_tile_origin_name(info.profile.winograd_origin));
    }
    int rc = 0;
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
        if (bench_shape(ctx, &shapes[i], batch, runs) != CT_OK) {
            fprintf(stderr, "convbench: %s: %s\n", shapes[i].name, ct_last_error());
            rc = 1;
        }
    for (int kind = CT_POOL_MAX; kind <= CT_POOL_AVERAGE; kind++)
        if (bench_pool(ctx, (ct_pool_kind)kind, batch, runs) != CT_OK) {
            fprintf(stderr, "convbench: pooling: %s\n", ct_last_error());
            rc = 1;
        }
    ct_context_destroy(ctx);
    return rc;
}
