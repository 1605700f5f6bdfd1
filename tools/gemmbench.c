/* gemmbench: time GEMMs on one device and print median GFLOP/s and us/call.
 *
 *   gemmbench [--device SPEC] [--engine own|clblast|auto] [--trans NN|NT|TN|TT]
 *             [--shape MxNxK | --shape TT:MxNxK]... [--runs R] [--min-ms T]
 *             [--beta B] [--pad P] [--check] [--pair] [--select-engines [--measure-all]]
 *
 * --fma W (1, 2, 4, 8, 16; repeatable) first times devbench's FMA kernel of
 * that width, so a GEMM's share of the peak comes from one process.
 * --cpu-time times batches by the process's CPU time (use it with one
 * runtime thread, POCL_MAX_PTHREAD_COUNT=1, on a machine others share).
 * Without --shape: NN, NT and TN at 512 and 1024. Each --shape adds a case (transposes from its own "TT:" prefix or the last
 * --trans). Per case: two warm-up calls (the first builds kernels; CLBlast's
 * first call in a process compiles for seconds on PoCL), then R timed
 * batches of back-to-back calls ending in one clFinish, each batch long
 * enough to take --min-ms; the figure is the median batch's time per call.
 * --pad adds P to every leading dimension (lda, ldb, ldc). --check compares
 * sampled elements of C against a double-precision reference. --select-engines runs (and prints) the engine selection.
 * --pair: consecutive shapes make pairs, each timed as two calls and as one
 * ct_gemm_pair call (one launch on the own engine's tile kernel), in
 * alternating batches; the figures are each way's median us per pair.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cltrain/device.h"
#include "cltrain/gemm.h"
#include "cltrain/gemm_select.h"
#include "core/clock.h"
#include "gemm/own.h"

#define MAX_CASES 64

typedef struct {
    ct_transpose ta, tb;
    size_t m, n, k;
} bench_case;

typedef struct {
    const char *device;
    ct_gemm_engine engine;
    bench_case cases[MAX_CASES];
    int count;
    int runs;
    double min_ms;
    float beta;
    size_t pad;
    int check;
    int pair;
    int select, measure_all;
    int cpu_time;       /* batches timed by the process's CPU time, not the wall clock */
    unsigned fma[4];    /* --fma W: devbench's FMA kernel at these widths, timed alike */
    int fma_count;
} options;

/* --cpu-time: the process's CPU time (all threads). With one runtime worker
 * thread (POCL_MAX_PTHREAD_COUNT=1) a batch's CPU time is the time it ran,
 * whatever else the machine runs: a per-core figure that other processes
 * on a shared machine disturb far less than the wall clock. */
static int timer_cpu;

static double timer_now(void)
{
    struct timespec ts;
    clock_gettime(timer_cpu ? CLOCK_PROCESS_CPUTIME_ID : CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void usage(void)
{
    fprintf(stderr, "usage: gemmbench [--device SPEC] [--engine own|clblast|auto] [--trans NN|NT|TN|TT]\n"
                    "                 [--shape [TT:]MxNxK]... [--runs R] [--min-ms T] [--beta B] [--pad P]\n"
                    "                 [--check] [--pair] [--cpu-time] [--fma W]...\n"
                    "                 [--select-engines [--measure-all]]\n");
}

static int parse_trans(const char *s, ct_transpose *ta, ct_transpose *tb)
{
    if (strlen(s) != 2)
        return 0;
    for (int i = 0; i < 2; i++)
        if (s[i] != 'N' && s[i] != 'T' && s[i] != 'n' && s[i] != 't')
            return 0;
    *ta = (s[0] == 'T' || s[0] == 't') ? CT_TRANS : CT_NO_TRANS;
    *tb = (s[1] == 'T' || s[1] == 't') ? CT_TRANS : CT_NO_TRANS;
    return 1;
}

static int parse_shape(const char *s, ct_transpose ta, ct_transpose tb, bench_case *c)
{
    const char *colon = strchr(s, ':');
    c->ta = ta;
    c->tb = tb;
    if (colon) {
        char t[3] = {0};
        if (colon - s != 2)
            return 0;
        memcpy(t, s, 2);
        if (!parse_trans(t, &c->ta, &c->tb))
            return 0;
        s = colon + 1;
    }
    char tail;
    return sscanf(s, "%zux%zux%zu%c", &c->m, &c->n, &c->k, &tail) == 3;
}

static int parse_args(int argc, char **argv, options *o)
{
    memset(o, 0, sizeof *o);
    o->engine = CT_GEMM_OWN;
    o->runs = 7;
    o->min_ms = 20;
    ct_transpose ta = CT_NO_TRANS, tb = CT_NO_TRANS;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--check"))
            o->check = 1;
        else if (!strcmp(a, "--pair"))
            o->pair = 1;
        else if (!strcmp(a, "--select-engines"))
            o->select = 1;
        else if (!strcmp(a, "--measure-all"))
            o->measure_all = 1;
        else if (!strcmp(a, "--cpu-time"))
            o->cpu_time = 1;
        else if (!v) /* as for an unknown option at the end of the chain */
            return 0; /* NOLINT(bugprone-branch-clone) */
        else if (i++, !strcmp(a, "--device"))
            o->device = v;
        else if (!strcmp(a, "--engine")) {
            if (!strcmp(v, "own"))
                o->engine = CT_GEMM_OWN;
            else if (!strcmp(v, "clblast"))
                o->engine = CT_GEMM_CLBLAST;
            else if (!strcmp(v, "auto"))
                o->engine = CT_GEMM_AUTO;
            else
                return 0;
        } else if (!strcmp(a, "--trans")) {
            if (!parse_trans(v, &ta, &tb))
                return 0;
        } else if (!strcmp(a, "--shape")) {
            if (o->count == MAX_CASES || !parse_shape(v, ta, tb, &o->cases[o->count]))
                return 0;
            o->count++;
        } else if (!strcmp(a, "--runs"))
            o->runs = atoi(v);
        else if (!strcmp(a, "--min-ms"))
            o->min_ms = atof(v);
        else if (!strcmp(a, "--beta"))
            o->beta = (float)atof(v);
        else if (!strcmp(a, "--pad"))
            o->pad = (size_t)atol(v);
        else if (!strcmp(a, "--fma")) {
            unsigned w = (unsigned)atoi(v);
            if (o->fma_count == 4 || !(w == 1 || w == 2 || w == 4 || w == 8 || w == 16))
                return 0;
            o->fma[o->fma_count++] = w;
        }
        else
            return 0;
    }
    if (o->count == 0 && !o->select && !o->pair) {
        /* No shape: the targets of the performance notes, NN, NT and TN at
         * n = 512 and 1024. */
        static const size_t sizes[] = {512, 1024};
        for (int s = 0; s < 2; s++)
            for (int t = 0; t < 3; t++)
                o->cases[o->count++] = (bench_case){t == 2 ? CT_TRANS : CT_NO_TRANS, t == 1 ? CT_TRANS : CT_NO_TRANS,
                                                    sizes[s], sizes[s], sizes[s]};
    }
    return o->runs > 0 && o->runs <= 1000 && (o->count > 0 || o->select) &&
           (!o->pair || o->count % 2 == 0);
}

/* ------------------------------------------------------------ buffers */

typedef struct {
    size_t rows_a, cols_a, rows_b, cols_b;
    size_t lda, ldb, ldc;
    float *ha, *hb, *hc;
    cl_mem a, b, c;
} case_data;

static void data_free(case_data *d)
{
    free(d->ha);
    free(d->hb);
    free(d->hc);
    if (d->a)
        clReleaseMemObject(d->a);
    if (d->b)
        clReleaseMemObject(d->b);
    if (d->c)
        clReleaseMemObject(d->c);
}

static void fill(float *x, size_t n, unsigned seed)
{
    unsigned long long s = seed * 0x9E3779B97F4A7C15ULL + 1;
    for (size_t i = 0; i < n; i++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        x[i] = (float)((double)(s >> 40) * (1.0 / 16777216.0)) - 0.5f; /* 24 bits: exact */
    }
}

static size_t at_least1(size_t x)
{
    return x ? x : 1;
}

static int data_create(ct_context *ctx, const bench_case *c, size_t pad, case_data *d)
{
    memset(d, 0, sizeof *d);
    d->rows_a = c->ta ? c->k : c->m;
    d->cols_a = c->ta ? c->m : c->k;
    d->rows_b = c->tb ? c->n : c->k;
    d->cols_b = c->tb ? c->k : c->n;
    d->lda = at_least1(d->cols_a + pad);
    d->ldb = at_least1(d->cols_b + pad);
    d->ldc = at_least1(c->n + pad);
    size_t na = d->rows_a * d->lda, nb = d->rows_b * d->ldb, nc = c->m * d->ldc;
    d->ha = malloc((na ? na : 1) * sizeof(float));
    d->hb = malloc((nb ? nb : 1) * sizeof(float));
    d->hc = malloc((nc ? nc : 1) * sizeof(float));
    if (!d->ha || !d->hb || !d->hc)
        return 0;
    fill(d->ha, na, 1);
    fill(d->hb, nb, 2);
    fill(d->hc, nc, 3);
    cl_int err;
    cl_context cl = ct_context_cl(ctx);
    cl_mem_flags flags = CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR;
    d->a = clCreateBuffer(cl, flags, (na ? na : 1) * sizeof(float), d->ha, &err);
    if (err == CL_SUCCESS)
        d->b = clCreateBuffer(cl, flags, (nb ? nb : 1) * sizeof(float), d->hb, &err);
    if (err == CL_SUCCESS)
        d->c = clCreateBuffer(cl, flags, (nc ? nc : 1) * sizeof(float), d->hc, &err);
    return err == CL_SUCCESS;
}

static ct_gemm_args args_of(const bench_case *c, const case_data *d, float beta)
{
    ct_gemm_args g = {c->ta, c->tb, c->m, c->n, c->k, 1.0f, beta, d->a, 0, d->lda, d->b, 0, d->ldb, d->c, 0, d->ldc};
    return g;
}

static ct_status call(ct_context *ctx, ct_gemm_engine e, const ct_gemm_args *g)
{
    return e == CT_GEMM_AUTO ? ct_gemm(ctx, g) : ct_gemm_with(ctx, e, g);
}

/* Largest relative error over sampled elements of C = A B (beta 0 only). */
static double check_case(ct_context *ctx, const bench_case *c, case_data *d)
{
    float *got = malloc(c->m * d->ldc * sizeof(float));
    if (!got || clEnqueueReadBuffer(ct_context_queue(ctx), d->c, CL_TRUE, 0, c->m * d->ldc * sizeof(float), got, 0,
                                    NULL, NULL) != CL_SUCCESS) {
        free(got);
        return INFINITY;
    }
    double worst = 0;
    for (int s = 0; s < 500; s++) {
        size_t i = (size_t)rand() % c->m, j = (size_t)rand() % c->n;
        double want = 0, mag = 0;
        for (size_t p = 0; p < c->k; p++) {
            double av = c->ta ? d->ha[p * d->lda + i] : d->ha[i * d->lda + p];
            double bv = c->tb ? d->hb[j * d->ldb + p] : d->hb[p * d->ldb + j];
            want += av * bv;
            mag += fabs(av * bv);
        }
        double err = fabs(got[i * d->ldc + j] - want) / (mag > 0 ? mag : 1);
        worst = err > worst ? err : worst;
    }
    free(got);
    return worst;
}

static int bench(ct_context *ctx, const options *o, const bench_case *c)
{
    case_data d;
    if (!data_create(ctx, c, o->pad, &d)) {
        fprintf(stderr, "gemmbench: cannot allocate buffers for %zux%zux%zu\n", c->m, c->n, c->k);
        data_free(&d);
        return 1;
    }
    ct_gemm_args g = args_of(c, &d, o->beta);
    ct_status st = CT_OK;
    double first = ct_now_seconds();
    st = call(ctx, o->engine, &g);
    if (st == CT_OK)
        st = ct_context_finish(ctx);
    first = ct_now_seconds() - first;
    double check = -1;
    if (st == CT_OK && o->check && o->beta == 0.0f && c->m > 0 && c->n > 0)
        check = check_case(ctx, c, &d);
    if (st == CT_OK)
        st = call(ctx, o->engine, &g);
    if (st == CT_OK)
        st = ct_context_finish(ctx);

    /* Calls per batch so that a batch lasts about min_ms. */
    double once = ct_now_seconds();
    if (st == CT_OK)
        st = call(ctx, o->engine, &g);
    if (st == CT_OK)
        st = ct_context_finish(ctx);
    once = ct_now_seconds() - once;
    int reps = (int)(o->min_ms * 1e-3 / (once > 1e-6 ? once : 1e-6)) + 1;
    reps = reps > 100000 ? 100000 : reps;

    double *t = malloc((size_t)o->runs * sizeof *t);
    for (int r = 0; st == CT_OK && t && r < o->runs; r++) {
        double start = timer_now();
        for (int i = 0; i < reps && st == CT_OK; i++)
            st = call(ctx, o->engine, &g);
        if (st == CT_OK)
            st = ct_context_finish(ctx);
        t[r] = (timer_now() - start) / reps;
    }
    if (st != CT_OK || !t) {
        fprintf(stderr, "gemmbench: %s: %s\n", ct_status_name(st), ct_last_error());
        free(t);
        data_free(&d);
        return 1;
    }
    qsort(t, (size_t)o->runs, sizeof *t, cmp_double);
    double flops = 2.0 * (double)c->m * (double)c->n * (double)c->k;
    double med = t[o->runs / 2];
    const char *engine = ct_gemm_engine_name(o->engine);
    printf("%-7s %c%c %6zux%-6zux%-6zu %10.2f us/call %8.1f GFLOP/s  (best %.1f, %d runs x %d calls, first call "
           "%.3f s",
           engine, c->ta ? 'T' : 'N', c->tb ? 'T' : 'N', c->m, c->n, c->k, med * 1e6, flops / med * 1e-9,
           flops / t[0] * 1e-9, o->runs, reps, first);
    if (check >= 0)
        printf(", max rel err %.2g", check);
    if (o->engine == CT_GEMM_OWN) {
        ct_gemm_own_plan plan;
        char how[128];
        ct_gemm_own_make_plan(ctx, &g, &plan);
        printf("; %s", ct_gemm_own_plan_str(&plan, how, sizeof how));
    }
    printf(")\n");
    fflush(stdout);
    free(t);
    data_free(&d);
    return check > 1e-5 ? 1 : 0;
}

/* --fma W: devbench's db_fma_W kernel (cl/devbench.cl: 8 independent fma
 * chains of W lanes per work-item), timed as the GEMMs are, so that a GEMM's
 * fraction of the FMA peak comes from one process and one timer. */
static int bench_fma(ct_context *ctx, const options *o, unsigned width)
{
    char name[32];
    snprintf(name, sizeof name, "db_fma_%u", width);
    cl_kernel k;
    ct_status st = ct_context_kernel(ctx, "devbench", name, &k);
    size_t items = (size_t)ct_context_device(ctx)->compute_units * 2048;
    items = items < 4096 ? 4096 : items;
    cl_int err = CL_SUCCESS;
    cl_mem out = st == CT_OK ? clCreateBuffer(ct_context_cl(ctx), CL_MEM_WRITE_ONLY, items * sizeof(float), NULL, &err)
                             : NULL;
    float a = 0.999f, b = 0.0005f;
    cl_int iterations = 64;
    if (st == CT_OK && err == CL_SUCCESS) {
        clSetKernelArg(k, 0, sizeof out, &out);
        clSetKernelArg(k, 1, sizeof a, &a);
        clSetKernelArg(k, 2, sizeof b, &b);
    }
    double t[1000];
    for (int phase = 0; phase < 2 && st == CT_OK && err == CL_SUCCESS; phase++) {
        /* phase 0: iterations for a launch of about min_ms; phase 1: the runs */
        for (int r = 0; r < (phase ? o->runs : 8) && err == CL_SUCCESS; r++) {
            clSetKernelArg(k, 3, sizeof iterations, &iterations);
            double start = timer_now();
            err = clEnqueueNDRangeKernel(ct_context_queue(ctx), k, 1, NULL, &items, NULL, 0, NULL, NULL);
            if (err == CL_SUCCESS)
                err = clFinish(ct_context_queue(ctx));
            t[r] = timer_now() - start;
            if (!phase && t[r] < o->min_ms * 1e-3 / 4 && iterations < (1 << 22))
                iterations *= 4;
        }
    }
    if (out)
        clReleaseMemObject(out);
    if (st != CT_OK || err != CL_SUCCESS) {
        fprintf(stderr, "gemmbench: fma float%u: %s\n", width, st != CT_OK ? ct_last_error() : ct_cl_error_name(err));
        return 1;
    }
    qsort(t, (size_t)o->runs, sizeof t[0], cmp_double);
    double flops = (double)items * 8.0 * width * 2.0 * (double)iterations;
    printf("fma     float%-2u %30s %8.1f GFLOP/s  (best %.1f, %d runs)\n", width, "", flops / t[o->runs / 2] * 1e-9,
           flops / t[0] * 1e-9, o->runs);
    fflush(stdout);
    return 0;
}

/* The two GEMMs as two calls (pair 0) or one ct_gemm_pair call (pair 1). */
static ct_status call_two(ct_context *ctx, ct_gemm_engine e, const ct_gemm_args *g, int pair)
{
    if (pair)
        return e == CT_GEMM_AUTO ? ct_gemm_pair(ctx, &g[0], NULL, &g[1], NULL)
                                 : ct_gemm_pair_with(ctx, e, &g[0], NULL, &g[1], NULL);
    ct_status st = call(ctx, e, &g[0]);
    return st == CT_OK ? call(ctx, e, &g[1]) : st;
}

/* --pair: cases c[0] and c[1] as two calls and as one pair call. */
static int bench_pair(ct_context *ctx, const options *o, const bench_case *c)
{
    case_data d[2];
    int ok = data_create(ctx, &c[0], o->pad, &d[0]);
    ok = data_create(ctx, &c[1], o->pad, &d[1]) && ok;
    double *t[2] = {malloc((size_t)o->runs * sizeof(double)), malloc((size_t)o->runs * sizeof(double))};
    ct_status st = CT_OK;
    if (!ok || !t[0] || !t[1]) {
        fprintf(stderr, "gemmbench: cannot allocate buffers for a pair\n");
        st = CT_ERR_NO_MEMORY;
    }
    ct_gemm_args g[2] = {args_of(&c[0], &d[0], o->beta), args_of(&c[1], &d[1], o->beta)};
    /* Warm-up (kernel builds), then calls per batch for about min_ms. */
    for (int w = 0; w < 4 && st == CT_OK; w++)
        st = call_two(ctx, o->engine, g, w & 1);
    if (st == CT_OK)
        st = ct_context_finish(ctx);
    double once = ct_now_seconds();
    if (st == CT_OK)
        st = call_two(ctx, o->engine, g, 0);
    if (st == CT_OK)
        st = ct_context_finish(ctx);
    once = ct_now_seconds() - once;
    int reps = (int)(o->min_ms * 1e-3 / (once > 1e-6 ? once : 1e-6)) + 1;
    reps = reps > 100000 ? 100000 : reps;
    for (int r = 0; st == CT_OK && r < o->runs; r++)
        for (int pair = 0; pair < 2 && st == CT_OK; pair++) {
            double start = timer_now();
            for (int i = 0; i < reps && st == CT_OK; i++)
                st = call_two(ctx, o->engine, g, pair);
            if (st == CT_OK)
                st = ct_context_finish(ctx);
            t[pair][r] = (timer_now() - start) / reps;
        }
    if (st == CT_OK) {
        qsort(t[0], (size_t)o->runs, sizeof(double), cmp_double);
        qsort(t[1], (size_t)o->runs, sizeof(double), cmp_double);
        printf("%-7s %c%c %zux%zux%zu + %c%c %zux%zux%zu: two calls %8.2f us, pair %8.2f us  (best %.2f / %.2f, %d "
               "runs x %d)\n",
               ct_gemm_engine_name(o->engine), c[0].ta ? 'T' : 'N', c[0].tb ? 'T' : 'N', c[0].m, c[0].n, c[0].k,
               c[1].ta ? 'T' : 'N', c[1].tb ? 'T' : 'N', c[1].m, c[1].n, c[1].k, t[0][o->runs / 2] * 1e6,
               t[1][o->runs / 2] * 1e6, t[0][0] * 1e6, t[1][0] * 1e6, o->runs, reps);
        fflush(stdout);
    } else if (ok) {
        fprintf(stderr, "gemmbench: %s: %s\n", ct_status_name(st), ct_last_error());
    }
    free(t[0]);
    free(t[1]);
    data_free(&d[0]);
    data_free(&d[1]);
    return st != CT_OK;
}

static void print_selection(const ct_gemm_selection *s)
{
    printf("engine selection (%s, %.2f s%s)%s%s\n", s->from_cache ? "from cache" : "measured", s->seconds,
           s->clblast_skipped ? ", CPU rule: CLBlast not timed" : "", s->cache_path[0] ? ": " : "", s->cache_path);
    for (int c = 0; c < CT_GEMM_CLASS_COUNT; c++) {
        const ct_gemm_class_choice *ch = &s->classes[c];
        printf("  %-6s -> %-7s own %9.1f us (%6.1f GFLOP/s)", ct_gemm_class_name((ct_gemm_class)c),
               ct_gemm_engine_name(ch->engine), ch->own_us, ch->own_gflops);
        if (ch->clblast_us > 0)
            printf("  clblast %9.1f us (%6.1f GFLOP/s)", ch->clblast_us, ch->clblast_gflops);
        printf("\n");
    }
}

int main(int argc, char **argv)
{
    options o;
    if (!parse_args(argc, argv, &o)) {
        usage();
        return 2;
    }
    ct_device_info info;
    ct_context *ctx = NULL;
    ct_status st = ct_device_find(ct_device_spec_from_env(o.device), &info);
    if (st == CT_OK)
        st = ct_context_create(&info, &ctx);
    if (st != CT_OK) {
        fprintf(stderr, "gemmbench: %s: %s\n", ct_status_name(st), ct_last_error());
        return 1;
    }
    printf("device: %s (%s, %u compute units)\n", info.name, info.platform_version, info.compute_units);
    char tile[64];
    printf("profile: arch %s, float%u, %u vector registers; own GEMM tile %s (%s)\n", info.profile.arch,
           info.profile.vector_floats, info.profile.vector_registers,
           ct_gemm_tile_str(&info.profile.gemm, 1, tile, sizeof tile), ct_tile_origin_name(info.profile.gemm_origin));
    int failed = 0;
    if (o.select) {
        ct_gemm_selection sel;
        int flags = CT_GEMM_SELECT_REMEASURE | (o.measure_all ? CT_GEMM_SELECT_MEASURE_ALL : 0);
        st = ct_gemm_select_engines(ctx, flags, &sel);
        if (st != CT_OK) {
            fprintf(stderr, "gemmbench: %s: %s\n", ct_status_name(st), ct_last_error());
            failed = 1;
        } else {
            print_selection(&sel);
        }
    }
    if (o.engine != CT_GEMM_AUTO && o.count && !ct_gemm_engine_available(ctx, o.engine)) {
        fprintf(stderr, "gemmbench: engine %s does not run on %s\n", ct_gemm_engine_name(o.engine), info.name);
        ct_context_destroy(ctx);
        return 1;
    }
    timer_cpu = o.cpu_time;
    if (timer_cpu)
        printf("times: process CPU time (with one runtime thread, a per-core figure)\n");
    for (int i = 0; i < o.fma_count; i++)
        failed |= bench_fma(ctx, &o, o.fma[i]);
    for (int i = 0; i < o.count; i += o.pair ? 2 : 1)
        failed |= o.pair ? bench_pair(ctx, &o, &o.cases[i]) : bench(ctx, &o, &o.cases[i]);
    ct_context_destroy(ctx);
    return failed;
}
