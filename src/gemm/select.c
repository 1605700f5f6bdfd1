/* GEMM engine selection by measurement, cached per device (see
 * include/cltrain/gemm_select.h for the rules). */
#include "cltrain/gemm_select.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/context.h"
#include "core/fs.h"
#include "gemm/state.h"
#include "core/program.h"

/* Bump when the file format or the measurement changes. */
#define CACHE_FORMAT "cltrain-gemm-engines 1"

struct ct_gemm_select_state {
    ct_gemm_selection selection;
};

void ct_gemm_select_state_destroy(struct ct_gemm_select_state *s)
{
    free(s);
}

/* ------------------------------------------------------------ classes */

static const char *const class_names[CT_GEMM_CLASS_COUNT] = {"small", "large", "tall"};

const char *ct_gemm_class_name(ct_gemm_class c)
{
    return c >= 0 && c < CT_GEMM_CLASS_COUNT ? class_names[c] : "unknown";
}

ct_gemm_class ct_gemm_classify(size_t m, size_t n, size_t k)
{
    /* Small: up to 4 M multiply-adds (the Dense layers' batch products are
     * ~0.5 M); launch cost and parallelism decide there. Tall: one side 16x
     * the shortest (im2col products and their weight gradients). */
    double macs = (double)m * (double)n * (double)k;
    if (macs <= 4.0 * 1024 * 1024)
        return CT_GEMM_CLASS_SMALL;
    size_t lo = m < n ? m : n, hi = m > n ? m : n;
    lo = k < lo ? k : lo;
    hi = k > hi ? k : hi;
    return hi >= 16 * lo ? CT_GEMM_CLASS_TALL : CT_GEMM_CLASS_LARGE;
}

/* Representative products per class, timed together: a Dense layer's
 * forward and both backward products; a square product; a conv layer's
 * (im2col) forward, input gradient and weight gradient. */
typedef struct {
    ct_transpose ta, tb;
    size_t m, n, k;
} shape;

static const shape small_shapes[] = {{CT_NO_TRANS, CT_NO_TRANS, 32, 100, 163},
                                     {CT_NO_TRANS, CT_TRANS, 32, 163, 100},
                                     {CT_TRANS, CT_NO_TRANS, 163, 100, 32}};
static const shape large_shapes[] = {{CT_NO_TRANS, CT_NO_TRANS, 512, 512, 512}};
static const shape tall_shapes[] = {{CT_NO_TRANS, CT_NO_TRANS, 6272, 32, 288},
                                    {CT_NO_TRANS, CT_TRANS, 6272, 288, 32},
                                    {CT_TRANS, CT_NO_TRANS, 288, 32, 6272}};

static const struct {
    const shape *shapes;
    size_t count;
    int reps; /* calls per timed batch */
} class_shapes[CT_GEMM_CLASS_COUNT] = {
    {small_shapes, sizeof small_shapes / sizeof small_shapes[0], 40},
    {large_shapes, sizeof large_shapes / sizeof large_shapes[0], 3},
    {tall_shapes, sizeof tall_shapes / sizeof tall_shapes[0], 3},
};

/* ------------------------------------------------------------ timing */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

typedef struct {
    cl_mem a, b, c;
} bench_buffers;

static void buffers_release(bench_buffers *bb)
{
    if (bb->a)
        clReleaseMemObject(bb->a);
    if (bb->b)
        clReleaseMemObject(bb->b);
    if (bb->c)
        clReleaseMemObject(bb->c);
    memset(bb, 0, sizeof *bb);
}

static ct_status buffer_filled(ct_context *ctx, size_t floats, cl_mem *out)
{
    cl_int err;
    *out = clCreateBuffer(ct_context_cl(ctx), CL_MEM_READ_WRITE, floats * sizeof(float), NULL, &err);
    if (err != CL_SUCCESS) {
        *out = NULL;
        return ct_cl_fail(err, "allocating GEMM benchmark buffers");
    }
    float value = 0.01f; /* any finite, non-denormal value */
    err = clEnqueueFillBuffer(ct_context_queue(ctx), *out, &value, sizeof value, 0, floats * sizeof(float), 0, NULL,
                              NULL);
    return err == CL_SUCCESS ? CT_OK : ct_cl_fail(err, "filling GEMM benchmark buffers");
}

/* Buffers large enough for every representative shape. */
static ct_status buffers_create(ct_context *ctx, bench_buffers *bb)
{
    size_t most_a = 0, most_b = 0, most_c = 0;
    for (int c = 0; c < CT_GEMM_CLASS_COUNT; c++)
        for (size_t i = 0; i < class_shapes[c].count; i++) {
            const shape *s = &class_shapes[c].shapes[i];
            most_a = s->m * s->k > most_a ? s->m * s->k : most_a;
            most_b = s->k * s->n > most_b ? s->k * s->n : most_b;
            most_c = s->m * s->n > most_c ? s->m * s->n : most_c;
        }
    memset(bb, 0, sizeof *bb);
    ct_status st = buffer_filled(ctx, most_a, &bb->a);
    if (st == CT_OK)
        st = buffer_filled(ctx, most_b, &bb->b);
    if (st == CT_OK)
        st = buffer_filled(ctx, most_c, &bb->c);
    if (st != CT_OK)
        buffers_release(bb);
    return st;
}

static ct_gemm_args args_for(const shape *s, const bench_buffers *bb)
{
    ct_gemm_args g = {
        s->ta, s->tb, s->m, s->n, s->k, 1.0f, 0.0f, bb->a, 0, s->ta ? s->m : s->k, bb->b, 0, s->tb ? s->k : s->n,
        bb->c, 0,     s->n};
    return g;
}

static ct_status run_class_once(ct_context *ctx, ct_gemm_engine e, ct_gemm_class c, const bench_buffers *bb)
{
    for (size_t i = 0; i < class_shapes[c].count; i++) {
        ct_gemm_args g = args_for(&class_shapes[c].shapes[i], bb);
        CT_TRY(ct_gemm_with(ctx, e, &g));
    }
    return CT_OK;
}

static double class_flops(ct_gemm_class c)
{
    double f = 0;
    for (size_t i = 0; i < class_shapes[c].count; i++) {
        const shape *s = &class_shapes[c].shapes[i];
        f += 2.0 * (double)s->m * (double)s->n * (double)s->k;
    }
    return f;
}

/* Median over 5 batches of the time of one pass over the class's shapes,
 * after a warm-up pass (which also builds the kernels): wall clock into
 * *us_out and the process's CPU time into *cpu_us_out. */
static ct_status time_class(ct_context *ctx, ct_gemm_engine e, ct_gemm_class c, const bench_buffers *bb, double *us_out,
                            double *cpu_us_out)
{
    enum { BATCHES = 5 };
    CT_TRY(run_class_once(ctx, e, c, bb));
    CT_TRY(ct_context_finish(ctx));
    double t[BATCHES], cpu[BATCHES];
    int reps = class_shapes[c].reps;
    for (int b = 0; b < BATCHES; b++) {
        double start = ct_now_seconds(), cpu_start = ct_cpu_seconds();
        for (int r = 0; r < reps; r++)
            CT_TRY(run_class_once(ctx, e, c, bb));
        CT_TRY(ct_context_finish(ctx));
        t[b] = (ct_now_seconds() - start) / reps;
        cpu[b] = (ct_cpu_seconds() - cpu_start) / reps;
    }
    qsort(t, BATCHES, sizeof t[0], cmp_double);
    qsort(cpu, BATCHES, sizeof cpu[0], cmp_double);
    *us_out = t[BATCHES / 2] * 1e6;
    *cpu_us_out = cpu[BATCHES / 2] * 1e6;
    return CT_OK;
}

/* ------------------------------------------------------------ cache file */

/* What a cached choice is valid for: the device, its driver and platform
 * (device_len characters of the key, which also name the file, so a stale
 * choice is replaced rather than kept beside the new one), and the own
 * kernels' source (faster kernels may change the choice). */
static void device_key(ct_context *ctx, char *buf, size_t size, size_t *device_len)
{
    const ct_device_info *d = ct_context_device(ctx);
    unsigned long long src_hash = 0;
    char *src = NULL;
    size_t len = 0;
    if (ct_program_source("gemm_tile", &src, &len) == CT_OK)
        src_hash = ct_hash64(src, len, 0);
    else
        ct_clear_error();
    free(src);
    int n = snprintf(buf, size, "device=%s\nvendor=%s\ndriver=%s\nversion=%s\nplatform=%s %s\n", d->name, d->vendor,
                     d->driver_version, d->device_version, d->platform_name, d->platform_version);
    *device_len = n > 0 && (size_t)n < size ? (size_t)n : strlen(buf);
    snprintf(buf + *device_len, size - *device_len, "own_source=%016llx\n", src_hash);
}

static int cache_path(const char *key, size_t device_len, char *dir, size_t dir_size, char *path, size_t path_size)
{
    if (!ct_cache_dir("engines", dir, dir_size))
        return 0;
    int n = snprintf(path, path_size, "%s/%016llx.txt", dir, ct_hash64(key, device_len, 0));
    return n > 0 && (size_t)n < path_size;
}

static int engine_from_name(const char *name, ct_gemm_engine *e)
{
    for (int i = 1; i < CT_GEMM_ENGINE_COUNT; i++)
        if (!strcmp(name, ct_gemm_engine_name((ct_gemm_engine)i))) {
            *e = (ct_gemm_engine)i;
            return 1;
        }
    return 0;
}

/* Reads a cache file written by cache_save for this key; 0 when missing,
 * for another key, or malformed in any way. */
static int cache_load(const char *path, const char *key, ct_gemm_selection *sel)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    char text[4096];
    size_t len = fread(text, 1, sizeof text - 1, f);
    int too_long = !feof(f);
    fclose(f);
    if (too_long)
        return 0;
    text[len] = '\0';
    size_t head = strlen(CACHE_FORMAT) + 1, key_len = strlen(key);
    if (len < head + key_len || strncmp(text, CACHE_FORMAT "\n", head) != 0 ||
        strncmp(text + head, key, key_len) != 0)
        return 0;
    ct_gemm_selection s;
    memset(&s, 0, sizeof s);
    int seen[CT_GEMM_CLASS_COUNT] = {0};
    char *save = NULL;
    for (char *line = strtok_r(text + head + key_len, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char cls[16], engine[16];
        double own_us, clblast_us;
        if (sscanf(line, "%15s %15s %lf %lf", cls, engine, &own_us, &clblast_us) != 4)
            return 0;
        int c = 0;
        while (c < CT_GEMM_CLASS_COUNT && strcmp(cls, class_names[c]) != 0)
            c++;
        if (c == CT_GEMM_CLASS_COUNT || seen[c] || own_us < 0 || clblast_us < 0)
            return 0;
        ct_gemm_class_choice *ch = &s.classes[c];
        if (!engine_from_name(engine, &ch->engine))
            return 0;
        ch->own_us = own_us;
        ch->clblast_us = clblast_us;
        ch->own_gflops = own_us > 0 ? class_flops((ct_gemm_class)c) / own_us * 1e-3 : 0;
        ch->clblast_gflops = clblast_us > 0 ? class_flops((ct_gemm_class)c) / clblast_us * 1e-3 : 0;
        seen[c] = 1;
    }
    for (int c = 0; c < CT_GEMM_CLASS_COUNT; c++)
        if (!seen[c])
            return 0;
    *sel = s;
    return 1;
}

/* Written to a temporary file and renamed, so readers never see half a file;
 * a failed write only means measuring again next time. */
static void cache_save(const char *dir, const char *path, const char *key, const ct_gemm_selection *sel)
{
    if (ct_make_dirs(dir) != CT_OK) {
        ct_clear_error();
        return;
    }
    char tmp[1100];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f)
        return;
    fprintf(f, "%s\n%s", CACHE_FORMAT, key);
    for (int c = 0; c < CT_GEMM_CLASS_COUNT; c++) {
        const ct_gemm_class_choice *ch = &sel->classes[c];
        fprintf(f, "%s %s %.3f %.3f\n", class_names[c], ct_gemm_engine_name(ch->engine), ch->own_us, ch->clblast_us);
    }
    int ok = !ferror(f);
    ok = (fclose(f) == 0) && ok;
    if (!ok || rename(tmp, path) != 0)
        remove(tmp);
}

/* ------------------------------------------------------------ measuring */

static double gflops(ct_gemm_class c, double us)
{
    return us > 0 ? class_flops(c) / us * 1e-3 : 0;
}

/* Times every class on one engine into sel; 0 when the engine failed (its
 * error is dropped: the other engine may still do). *large_cpu_gflops: the
 * large class's GFLOP per CPU second of the process (the CPU rule). */
static int time_engine(ct_context *ctx, ct_gemm_engine e, const bench_buffers *bb, ct_gemm_selection *sel,
                       double *large_cpu_gflops)
{
    for (int c = 0; c < CT_GEMM_CLASS_COUNT; c++) {
        ct_gemm_class_choice *ch = &sel->classes[c];
        double *us = e == CT_GEMM_OWN ? &ch->own_us : &ch->clblast_us;
        double *gf = e == CT_GEMM_OWN ? &ch->own_gflops : &ch->clblast_gflops;
        double cpu_us = 0;
        if (time_class(ctx, e, (ct_gemm_class)c, bb, us, &cpu_us) != CT_OK) {
            ct_clear_error();
            ct_context_finish(ctx);
            for (int d = 0; d < CT_GEMM_CLASS_COUNT; d++) {
                ch = &sel->classes[d];
                *(e == CT_GEMM_OWN ? &ch->own_us : &ch->clblast_us) = 0;
                *(e == CT_GEMM_OWN ? &ch->own_gflops : &ch->clblast_gflops) = 0;
            }
            return 0;
        }
        *gf = gflops((ct_gemm_class)c, *us);
        if (c == CT_GEMM_CLASS_LARGE && large_cpu_gflops)
            *large_cpu_gflops = gflops((ct_gemm_class)c, cpu_us);
    }
    return 1;
}

static ct_status measure(ct_context *ctx, int flags, ct_gemm_selection *sel)
{
    int own_ok = ct_gemm_engine_available(ctx, CT_GEMM_OWN);
    int clblast_ok = ct_gemm_engine_available(ctx, CT_GEMM_CLBLAST);
    if (!own_ok && !clblast_ok)
        return ct_fail(CT_ERR_UNSUPPORTED, "no GEMM engine runs on %s", ct_context_device(ctx)->name);
    bench_buffers bb;
    CT_TRY(buffers_create(ctx, &bb));
    ct_status st = ct_context_finish(ctx);

    /* The own engine first: on a CPU, a good enough result settles every
     * class without compiling CLBlast. An engine that fails here (say, its
     * kernels do not build on this device) is left out of the choice. */
    double own_cpu_gflops = 0;
    if (own_ok && st == CT_OK)
        own_ok = time_engine(ctx, CT_GEMM_OWN, &bb, sel, &own_cpu_gflops);
    /* Per CPU second, not per wall second: other processes on the machine
     * stretch the wall clock, and under load the rule would compile CLBlast
     * (seconds of CPU) only to find the own engine faster again. */
    int cpu_rule = own_ok && ct_context_device(ctx)->profile.is_cpu_class && own_cpu_gflops >= CT_GEMM_OWN_CPU_GFLOPS;
    sel->clblast_skipped = cpu_rule && !(flags & CT_GEMM_SELECT_MEASURE_ALL);
    if (clblast_ok && st == CT_OK && !sel->clblast_skipped)
        clblast_ok = time_engine(ctx, CT_GEMM_CLBLAST, &bb, sel, NULL);
    buffers_release(&bb);
    CT_TRY(st);
    if (!own_ok && !clblast_ok)
        return ct_fail(CT_ERR_UNSUPPORTED, "neither GEMM engine ran on %s", ct_context_device(ctx)->name);

    /* Where both engines were timed, the faster wins (even on a CPU). */
    int clblast_timed = clblast_ok && !sel->clblast_skipped;
    for (int c = 0; c < CT_GEMM_CLASS_COUNT; c++) {
        ct_gemm_class_choice *ch = &sel->classes[c];
        if (!clblast_timed)
            ch->engine = CT_GEMM_OWN;
        else if (!own_ok)
            ch->engine = CT_GEMM_CLBLAST;
        else
            ch->engine = ch->own_us <= ch->clblast_us ? CT_GEMM_OWN : CT_GEMM_CLBLAST;
    }
    return CT_OK;
}

ct_status ct_gemm_select_engines(ct_context *ctx, int flags, ct_gemm_selection *out)
{
    ct_gemm_hook *hook = ct_gemm_hook_get(ctx);
    if (!hook)
        return ct_fail(CT_ERR_NO_MEMORY, "GEMM engine selection state");
    if (hook->select && !(flags & CT_GEMM_SELECT_REMEASURE)) {
        if (out)
            *out = hook->select->selection; /* this context already chose */
        return CT_OK;
    }
    double start = ct_now_seconds();
    ct_gemm_selection sel;
    memset(&sel, 0, sizeof sel);

    char key[2048], dir[1024], path[1024];
    size_t device_len;
    device_key(ctx, key, sizeof key, &device_len);
    int cached = cache_path(key, device_len, dir, sizeof dir, path, sizeof path);
    if (cached && !(flags & CT_GEMM_SELECT_REMEASURE) && cache_load(path, key, &sel)) {
        sel.from_cache = 1;
    } else {
        ct_status st = measure(ctx, flags, &sel);
        if (st != CT_OK)
            return ct_fail_context(st, "choosing the GEMM engine for %s", ct_context_device(ctx)->name);
        if (cached)
            cache_save(dir, path, key, &sel);
    }
    if (cached)
        snprintf(sel.cache_path, sizeof sel.cache_path, "%s", path);
    sel.seconds = ct_now_seconds() - start;

    if (!hook->select) {
        hook->select = calloc(1, sizeof *hook->select);
        hook->select_destroy = ct_gemm_select_state_destroy;
        if (!hook->select)
            return ct_fail(CT_ERR_NO_MEMORY, "GEMM engine selection state");
    }
    hook->select->selection = sel;
    if (out)
        *out = sel;
    return CT_OK;
}

ct_status ct_gemm_engine_for(ct_context *ctx, size_t m, size_t n, size_t k, ct_gemm_engine *out)
{
    ct_gemm_hook *hook = ct_gemm_hook_get(ctx);
    if (!hook)
        return ct_fail(CT_ERR_NO_MEMORY, "GEMM engine selection state");
    if (!hook->select)
        CT_TRY(ct_gemm_select_engines(ctx, 0, NULL));
    *out = hook->select->selection.classes[ct_gemm_classify(m, n, k)].engine;
    return CT_OK;
}
