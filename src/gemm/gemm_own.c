/* cltrain's own GEMM engine: the kernels in cl/gemm_tile.cl (CPUs; see the comment at
 * the top of that file for the tile layout and the task list).
 *
 * On CPU-class devices every GEMM is one launch of gemm_tile (two when
 * something is packed: the packing first). The tile comes from the device
 * profile (built into the kernel as -D options). Per call, a
 * plan (ct_gemm_own_plan) decides from the shape alone:
 *   - packing: op(B) is packed into K x NR panels when B is transposed (the
 *     tile kernel reads op(B) by rows); B and A in place when their rows
 *     fall into a few cache sets and the copy is reused enough.
 *   - split-K: when there are too few tiles to keep every compute unit busy
 *     and K is long (weight gradients), or K is very long, K is cut into
 *     ranges whose partial products are then summed into C.
 *   - task size, task order, prefetching and streaming stores (plan_order).
 *   - work-groups: one for a small GEMM, a few per compute unit otherwise.
 * Every threshold below was set by measurement on PoCL (2-core AVX-512).
 * Packed panels and partial products live in a per-context workspace, the
 * task counter and K-range counters in a small sync buffer; both grow when needed
 * and are otherwise reused, so a warm call allocates nothing. Nothing here
 * waits for the device.
 *
 * CLTRAIN_GEMM_OWN_PORTABLE=1 uses the portable (GPU-style) kernel on every
 * device, so its correctness can be checked on a CPU. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/context.h"
#include "gemm/engine.h"
#include "gemm/own.h"
#include "gemm/state.h"

/* Must match SYNC_RANGES and EPI_* in cl/gemm_tile.cl. */
#define SYNC_RANGES 2
enum { EPI_BIAS = 1, EPI_RELU = 2, EPI_DRELU = 4, EPI_COLSUM = 8 };
/* A^T is packed when a tile's rows take at most this much of a 64-byte
 * cache line (see ct_gemm_own_make_plan). */
#define A_T_PACK_MAX_BYTES 32
/* Below this K, packing does not pay: in-place operands stay cached. */
#define PACK_MIN_K 128
/* A K range of a split is at least this long (writing and summing a partial
 * tile costs about as much as a few dozen K steps). */
#define SPLIT_MIN_K 256
/* Split-K aims at this many tiles per compute unit, for load balance. */
#define SPLIT_TILES_PER_CU 6
/* Below this many multiply-adds a GEMM runs as one work-group (about 15 us
 * of one core; see ct_gemm_own_make_plan). */
#define SMALL_MACS (1024.0 * 1024.0)
/* A task computes at least this many k steps (see ct_gemm_own_make_plan). */
#define TASK_MIN_STEPS 128
/* Longest K range of a split when K is very long (see plan_splits). */
#define K_RANGE_MAX 2048
/* op(B) up to this size counts as cached (256 KiB, a share of a typical
 * second-level cache; see plan_order). */
#define B_CACHED_FLOATS (64 * 1024)
/* A row block of packed A up to this size (128 KiB, a share of a typical
 * second-level cache) stays cached while the column panels take turns on
 * it (see plan_order). */
#define A_BLOCK_FLOATS (32 * 1024)
/* C from this size (16 MiB) is written around the caches (see plan_order). */
#define C_STREAM_FLOATS (4 * 1024 * 1024)

struct ct_gemm_own_state {
    int portable; /* use gemm_portable */
    cl_mem workspace;
    size_t workspace_floats;
    cl_mem counters; /* see SYNC_* in cl/gemm_tile.cl */
    size_t counter_ints;
};
typedef struct ct_gemm_own_state own_state;

void ct_gemm_own_state_destroy(own_state *s)
{
    if (!s)
        return;
    if (s->workspace)
        clReleaseMemObject(s->workspace);
    if (s->counters)
        clReleaseMemObject(s->counters);
    free(s);
}

/* The engine's per-context state, created on first use (NULL: out of memory). */
static own_state *own_state_get(ct_context *ctx)
{
    ct_gemm_hook *hook = ct_gemm_hook_get(ctx);
    if (!hook)
        return NULL;
    if (hook->own)
        return hook->own;
    own_state *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    const char *env = getenv("CLTRAIN_GEMM_OWN_PORTABLE");
    s->portable = !ct_context_device(ctx)->profile.is_cpu_class || (env && *env && strcmp(env, "0") != 0);
    hook->own = s;
    hook->own_destroy = ct_gemm_own_state_destroy;
    return s;
}

static size_t ceil_div(size_t a, size_t b)
{
    return (a + b - 1) / b;
}
static size_t round_up16(size_t x)
{
    return (x + 15) / 16 * 16;
}

/* The tile cl/gemm_tile.cl is built with for this context (the profile's). */
static const ct_gemm_tile *tile_of(ct_context *ctx)
{
    return &ct_context_device(ctx)->profile.gemm;
}

/* 1 when a tile's rows (mr consecutive rows, ld floats apart) fall into so
 * few sets of a typical first-level cache (64 sets of 64-byte lines: 4 KiB
 * per way) that more than half share one: the row streams then evict each
 * other. */
static int rows_share_sets(size_t ld, size_t mr)
{
    int count[64] = {0}, most = 0;
    for (size_t r = 0; r < mr; r++) {
        int set = (int)((r * ld * sizeof(float) / 64) % 64);
        most = ++count[set] > most ? count[set] : most;
    }
    return most > (int)(mr / 2);
}

/* K ranges: enough tiles for every compute unit (weight gradients have few
 * tiles and a long K), and with a very long K, ranges short enough that a
 * B panel's range (K_RANGE_MAX x NR floats) stays in the second-level cache
 * while the row tiles take turns on it. Partial products cost m x n floats
 * per range, so the second rule only applies while that is small. */
static void plan_splits(const ct_gemm_args *g, size_t tiles, size_t cu, ct_gemm_own_plan *plan)
{
    size_t want = SPLIT_TILES_PER_CU * cu, splits = 1;
    if (tiles > 0 && tiles < want && g->k >= 2 * SPLIT_MIN_K)
        splits = ceil_div(want, tiles);
    if (g->k > 2 * K_RANGE_MAX && g->m * g->n <= g->k * 8 && splits < ceil_div(g->k, K_RANGE_MAX))
        splits = ceil_div(g->k, K_RANGE_MAX);
    if (splits > g->k / SPLIT_MIN_K)
        splits = g->k / SPLIT_MIN_K;
    if (splits > 1) {
        size_t k_split = ceil_div(g->k, splits);
        plan->k_split = (int)k_split;
        plan->splits = (int)ceil_div(g->k, k_split);
    }
}

/* Memory traffic: the task order, A row prefetching and C's stores.
 * - When all of op(B) fits the second-level cache, a row tile's column
 *   panels go first: A is then read from memory once (a tall im2col matrix
 *   or an output gradient can be tens of MiB) and C is written row block by
 *   row block. Otherwise, with both operands packed, row blocks of A
 *   (A_BLOCK_FLOATS) take the panels in turn; else row tiles go first and
 *   share a cached B panel.
 * - A read in place by rows comes as MR streams too short for the hardware
 *   prefetcher (one row of K floats each): the tile loop prefetches the
 *   rows of the tile this thread will take next, which is the next row tile
 *   with panels first, or cu row tiles on with row tiles first.
 * - A C much larger than the last-level cache, not accumulated into, is
 *   written with non-temporal stores (no read of each line before it is
 *   overwritten). */
static void plan_order(const ct_gemm_args *g, size_t panels, size_t cu, ct_gemm_own_plan *plan)
{
    plan->panel_fastest = panels > 1 && g->k * g->n <= B_CACHED_FLOATS;
    if (panels > 1 && plan->pack_a && plan->pack_b && plan->splits == 1 && g->k * g->n > B_CACHED_FLOATS) {
        /* Neither operand fits the cache: row blocks of packed A small
         * enough to stay in the second-level cache, each task one column
         * panel of a block, the panels of a block one after another. A is
         * then read from memory once and B once per block, not A once per
         * panel (512^3 NN on AVX2: 87 -> 90 GFLOP per CPU-s with both packed). */
        size_t rows = A_BLOCK_FLOATS / ((size_t)plan->mr * g->k);
        rows = rows < 1 ? 1 : rows > 8 ? 8 : rows;
        if ((size_t)plan->group < rows)
            plan->group = (int)rows;
        plan->panel_fastest = 1;
    }
    if (!g->trans_a && !plan->pack_a)
        plan->ahead = plan->group * plan->mr * (plan->panel_fastest ? 1 : (int)cu);
    else if (g->trans_a && !plan->pack_a)
        plan->ahead = 1; /* A^T in place: prefetch along its one strided stream */
    plan->stream = g->beta == 0.0f && plan->splits == 1 && g->m * g->n >= C_STREAM_FLOATS;
}

void ct_gemm_own_make_plan(ct_context *ctx, const ct_gemm_args *g, ct_gemm_own_plan *plan)
{
    memset(plan, 0, sizeof *plan);
    own_state *s = own_state_get(ctx);
    const ct_device_info *info = ct_context_device(ctx);
    plan->splits = 1;
    plan->k_split = (int)g->k;
    if (!s || s->portable) {
        plan->portable = 1;
        return;
    }
    const ct_gemm_tile *tile = tile_of(ctx);
    plan->mr = tile->rows;
    plan->nr = tile->vectors * tile->width;
    size_t mr = (size_t)plan->mr, nr = (size_t)plan->nr;
    size_t tiles_m = ceil_div(g->m, mr), panels = ceil_div(g->n, nr);
    size_t cu = info->compute_units ? info->compute_units : 1;
    if (g->k > 0) {
        /* The tile kernel reads op(B) by rows: B^T must be packed. B and A
         * in place are packed when their rows crowd into a few cache sets
         * (ld a multiple of 1 KiB or so: the rows then evict each other)
         * and the copy is reused enough: B by several row tiles, A by
         * several column panels, over a long K. A^T in place is read as one
         * strided stream, prefetched, which measured as fast as a copy for
         * a tile of 12 rows (48 of a cache line's 64 bytes per k step),
         * unless its k steps crowd into a few cache sets as well (lda a
         * multiple of 1 KiB); a tile of fewer rows uses less of each line
         * it reads, so its A^T is packed. An op(B) too large to stay cached
         * (b_big) packs both: a B panel read in place is K lines ldb
         * apart, which at ldb = 512 floats fall into 2 of a 32 KiB first-level
         * cache's 64 sets and 32 of a 512 KiB second-level cache's 1024, so
         * every row tile read it from the third level (512^3 NN on AVX2:
         * 64 -> 85 GFLOP per CPU-s packing B, 88 packing A too), and the
         * row blocks of plan_order need A packed. */
        int long_k = g->k >= PACK_MIN_K, b_big = g->k * g->n > B_CACHED_FLOATS;
        plan->pack_b = g->trans_b || (long_k && tiles_m >= 4 && (b_big || rows_share_sets(g->ldb, mr)));
        plan->pack_a = long_k && panels >= 3 &&
                       ((g->trans_a && mr * sizeof(float) <= A_T_PACK_MAX_BYTES) || b_big ||
                        rows_share_sets(g->lda, mr));
    }
    /* A few work-groups per compute unit take the tasks (cl/gemm_tile.cl). A
     * small GEMM gets one: it is over before a sleeping worker thread of
     * the runtime wakes up, and a launch is not complete until every
     * work-group has run, so a second one would only add that wake-up. */
    plan->groups = (double)g->m * (double)g->n * (double)g->k < SMALL_MACS ? 1 : (int)(2 * cu);
    if (plan->groups > 1)
        plan_splits(g, tiles_m * panels, cu, plan);
    /* Row tiles per task: a task should outweigh taking it (an atomic on a
     * shared line, a few divisions) and the tile's setup, so short K ranges
     * are grouped, up to 8 tiles. */
    size_t group = ceil_div(TASK_MIN_STEPS, plan->k_split > 0 ? (size_t)plan->k_split : 1);
    plan->group = (int)(group > 8 ? 8 : group);
    plan_order(g, panels, cu, plan);
    /* When one task covers all row tiles of a panel (short, wide GEMMs such
     * as a Dense layer's input gradient), that task packs its B panel
     * itself: no packing launch, and the panel is in
     * its cache when the tiles read it. */
    plan->pack_b_inline = plan->pack_b && plan->splits == 1 && tiles_m <= (size_t)plan->group;
    size_t at = 0;
    plan->ws_a = at;
    at += plan->pack_a ? round_up16(tiles_m * mr * g->k) : 0;
    plan->ws_b = at;
    at += plan->pack_b ? round_up16(panels * nr * g->k) : 0;
    plan->ws_part = at;
    at += plan->splits > 1 ? round_up16((size_t)plan->splits * g->m * g->n) : 0;
    plan->ws_total = at > 16 ? at : 16; /* the kernel takes a buffer even when it does not use it */
    plan->counter_ints = SYNC_RANGES + (plan->splits > 1 ? tiles_m * panels : 0);
    plan->pack_tasks = (plan->pack_a ? (int)tiles_m : 0) + (plan->pack_b && !plan->pack_b_inline ? (int)panels : 0);
}

const char *ct_gemm_own_plan_str(const ct_gemm_own_plan *p, char *buf, size_t size)
{
    if (p->portable) {
        snprintf(buf, size, "portable kernel");
        return buf;
    }
    snprintf(buf, size, "tile %dx%d%s%s, %d K-range%s, %d row tile%s/task, %s first%s%s, %d work-group%s",
             p->mr, p->nr, p->pack_a ? ", pack A" : "", p->pack_b ? (p->pack_b_inline ? ", pack B in task" : ", pack B") : "", p->splits, p->splits == 1 ? "" : "s", p->group,
             p->group == 1 ? "" : "s", p->panel_fastest ? "panels" : "rows", p->ahead ? ", prefetch A" : "",
             p->stream ? ", streaming stores" : "", p->groups, p->groups == 1 ? "" : "s");
    return buf;
}

/* ------------------------------------------------------------ resources */

/* *buf: a zero-filled int buffer of at least `ints` (grown by half again). */
static ct_status ensure_ints(ct_context *ctx, cl_mem *buf, size_t *have, size_t ints)
{
    if (ints <= *have)
        return CT_OK;
    size_t want = ints + ints / 2;
    cl_int *zeros = calloc(want, sizeof *zeros), err;
    if (!zeros)
        return ct_fail(CT_ERR_NO_MEMORY, "own GEMM sync buffer");
    cl_mem grown =
        clCreateBuffer(ct_context_cl(ctx), CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, want * sizeof *zeros, zeros, &err);
    free(zeros);
    if (err != CL_SUCCESS)
        return ct_cl_fail(err, "creating an own GEMM sync buffer");
    if (*buf)
        clReleaseMemObject(*buf);
    *buf = grown;
    *have = want;
    return CT_OK;
}

/* Grow the workspace to at least `floats` (by half again, so a sequence of
 * growing shapes does not reallocate every time). A buffer released here is
 * freed by OpenCL only after the queued kernels using it have finished. */
static ct_status ensure_workspace(ct_context *ctx, own_state *s, size_t floats)
{
    if (floats <= s->workspace_floats)
        return CT_OK;
    size_t want = floats + floats / 2;
    const ct_device_info *info = ct_context_device(ctx);
    if (want * sizeof(float) > info->max_alloc_bytes)
        want = floats;
    if (want * sizeof(float) > info->max_alloc_bytes)
        return ct_fail(CT_ERR_NO_MEMORY, "own GEMM: a workspace of %zu MiB exceeds the device's largest allocation",
                       want * sizeof(float) >> 20);
    if (s->workspace)
        clReleaseMemObject(s->workspace);
    s->workspace = NULL;
    s->workspace_floats = 0;
    cl_int err;
    cl_mem buf = clCreateBuffer(ct_context_cl(ctx), CL_MEM_READ_WRITE, want * sizeof(float), NULL, &err);
    if (err != CL_SUCCESS)
        return ct_fail(CT_ERR_NO_MEMORY, "own GEMM: cannot allocate a %zu MiB workspace: %s",
                       want * sizeof(float) >> 20, ct_cl_error_name(err));
    s->workspace = buf;
    s->workspace_floats = want;
    return CT_OK;
}

/* ------------------------------------------------------------ launches */

/* Kernel arguments as (size, pointer) pairs, set in order. */
typedef struct {
    size_t size;
    const void *value;
} kernel_arg;

#define ARG(v)                                                                                                         \
    {                                                                                                                  \
        sizeof(v), &(v)                                                                                                \
    }

static ct_status set_args(cl_kernel kernel, const char *name, const kernel_arg *args, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        cl_int err = clSetKernelArg(kernel, (cl_uint)i, args[i].size, args[i].value);
        if (err != CL_SUCCESS) {
            char what[96];
            snprintf(what, sizeof what, "setting argument %zu of kernel %s", i, name);
            return ct_cl_fail(err, what);
        }
    }
    return CT_OK;
}

static ct_status launch(ct_context *ctx, cl_kernel kernel, const char *name, cl_uint dims, const size_t *global,
                        const size_t *local)
{
    cl_int err = clEnqueueNDRangeKernel(ct_context_queue(ctx), kernel, dims, NULL, global, local, 0, NULL, NULL);
    if (err != CL_SUCCESS) {
        char what[96];
        snprintf(what, sizeof what, "launching kernel %s", name);
        return ct_cl_fail(err, what);
    }
    if (local)
        ct_context_note_launch(ctx, kernel, dims, global, local);
    return CT_OK;
}

/* gemm_tile's scalar parameters (see tile_desc and tile_params in
 * cl/gemm_tile.cl, which these must match field for field). */
typedef struct {
    cl_ulong a_off, b_off, c_off, ws_a, ws_b, ws_part, bias_off, y_off, col_sums_off;
    cl_int m, n, k, lda, a_trans, ldb, b_trans, ldc;
    cl_float alpha, beta;
    cl_int pack_a, pack_b, pack_b_inline, splits, k_split, ahead, panel_fastest, stream, group, epi;
    cl_int ranges_off;
    cl_int a_buf, b_buf, c_buf, bias_buf, y_buf, sums_buf;
} tile_desc;

enum { TILE_GEMMS = 2, TILE_SLOTS = 6 };

typedef struct {
    tile_desc g[TILE_GEMMS];
    cl_int count, phase;
} tile_params;
#include "gemm/tile_layout.h" /* _Static_asserts against cl/gemm_tile.cl */

/* The launch's operand buffers, gemm_tile's arguments s0 .. s5. */
typedef struct {
    cl_mem buf[TILE_SLOTS];
    int used;
} tile_slots;

/* The slot holding buf (added if new); -1 when all slots hold others. */
static int slot_of(tile_slots *s, cl_mem buf)
{
    for (int i = 0; i < s->used; i++)
        if (s->buf[i] == buf)
            return i;
    if (s->used == TILE_SLOTS)
        return -1;
    s->buf[s->used] = buf;
    return s->used++;
}

/* One GEMM of a launch: the plan's workspace offsets moved by ws_base, its
 * K-range counters at ranges_off, operands in slots. epi: EPI_* flags
 * (buffers read from epilogue). 0 when the slots are full. */
static int make_desc(const ct_gemm_args *g, const ct_gemm_own_plan *p, const ct_gemm_epilogue *epilogue, cl_int epi,
                     size_t ws_base, size_t ranges_off, tile_slots *slots, tile_desc *d)
{
    /* Buffers the flags leave unused: any slot, the kernel does not read it. */
    int a = slot_of(slots, g->a), b = slot_of(slots, g->b), c = slot_of(slots, g->c);
    int bias = (epi & EPI_BIAS) ? slot_of(slots, epilogue->bias) : c;
    int y = (epi & EPI_DRELU) ? slot_of(slots, epilogue->y) : c;
    int sums = (epi & EPI_COLSUM) ? slot_of(slots, epilogue->col_sums) : c;
    if (a < 0 || b < 0 || c < 0 || bias < 0 || y < 0 || sums < 0)
        return 0;
    *d = (tile_desc){
        .a_off = g->a_offset, .b_off = g->b_offset, .c_off = g->c_offset,
        .ws_a = ws_base + p->ws_a, .ws_b = ws_base + p->ws_b, .ws_part = ws_base + p->ws_part,
        .bias_off = (epi & EPI_BIAS) ? epilogue->bias_offset : 0,
        .y_off = (epi & EPI_DRELU) ? epilogue->y_offset : 0,
        .col_sums_off = (epi & EPI_COLSUM) ? epilogue->col_sums_offset : 0,
        .m = (cl_int)g->m, .n = (cl_int)g->n, .k = (cl_int)g->k,
        .lda = (cl_int)g->lda, .a_trans = (cl_int)g->trans_a, .ldb = (cl_int)g->ldb, .b_trans = (cl_int)g->trans_b,
        .ldc = (cl_int)g->ldc, .alpha = g->alpha, .beta = g->beta,
        .pack_a = p->pack_a, .pack_b = p->pack_b, .pack_b_inline = p->pack_b_inline, .splits = p->splits,
        .k_split = p->k_split, .ahead = p->ahead, .panel_fastest = p->panel_fastest,
        .stream = p->stream, .group = p->group, .epi = epi,
        .ranges_off = (cl_int)ranges_off,
        .a_buf = a, .b_buf = b, .c_buf = c, .bias_buf = bias, .y_buf = y, .sums_buf = sums,
    };
    return 1;
}

/* The launches of gemm_tile for the prm.count GEMMs in prm: a packing
 * launch (phase 0) when pack_tasks > 0, then the tiles (phase 1) with
 * `groups` work-groups; workspace and counters already sized. Two
 * launches rather than tasks that wait for packed panels: a work-group
 * must never wait for another (cl/gemm_tile.cl). */
static ct_status launch_tiles(ct_context *ctx, own_state *s, tile_params *prm, const tile_slots *slots, int groups,
                              int pack_tasks)
{
    cl_kernel k;
    CT_TRY(ct_context_kernel(ctx, "gemm_tile", "gemm_tile", &k));
    cl_mem buf[TILE_SLOTS];
    for (int i = 0; i < TILE_SLOTS; i++)
        buf[i] = slots->buf[i < slots->used ? i : 0];
    for (cl_int phase = pack_tasks > 0 ? 0 : 1; phase <= 1; phase++) {
        prm->phase = phase;
        /* In the order of gemm_tile's parameters (the kernel copies the
         * by-value argument at enqueue, so prm may change afterwards). */
        const kernel_arg args[] = {ARG(*prm),   ARG(buf[0]), ARG(buf[1]),       ARG(buf[2]), ARG(buf[3]),
                                   ARG(buf[4]), ARG(buf[5]), ARG(s->workspace), ARG(s->counters)};
        CT_TRY(set_args(k, "gemm_tile", args, sizeof args / sizeof args[0]));
        int wgs = phase == 0 && pack_tasks < groups ? pack_tasks : groups;
        size_t global = (size_t)wgs, local = 1;
        CT_TRY(launch(ctx, k, "gemm_tile", 1, &global, &local));
    }
    return CT_OK;
}

/* The whole GEMM as one launch of gemm_tile; epi: EPI_* flags (buffers
 * read from epilogue). */
static ct_status run_tiles(ct_context *ctx, own_state *s, const ct_gemm_args *g, const ct_gemm_own_plan *p,
                           const ct_gemm_epilogue *epilogue, cl_int epi)
{
    tile_params prm = {.count = 1};
    tile_slots slots = {.used = 0};
    make_desc(g, p, epilogue, epi, 0, SYNC_RANGES, &slots, &prm.g[0]); /* at most 6 buffers: never full */
    return launch_tiles(ctx, s, &prm, &slots, p->groups, p->pack_tasks);
}

static ct_status run_portable(ct_context *ctx, const ct_gemm_args *g)
{
    cl_kernel k;
    CT_TRY(ct_context_kernel(ctx, "gemm_portable", "gemm_portable", &k));
    cl_int m = (cl_int)g->m, n = (cl_int)g->n, kk = (cl_int)g->k, lda = (cl_int)g->lda, ldb = (cl_int)g->ldb,
           ldc = (cl_int)g->ldc, ta = (cl_int)g->trans_a, tb = (cl_int)g->trans_b;
    cl_ulong a_off = g->a_offset, b_off = g->b_offset, c_off = g->c_offset;
    /* clang-format off */
    const kernel_arg args[] = {
        ARG(m), ARG(n), ARG(kk), ARG(g->alpha), ARG(g->beta),
        ARG(g->a), ARG(a_off), ARG(lda), ARG(ta),
        ARG(g->b), ARG(b_off), ARG(ldb), ARG(tb),
        ARG(g->c), ARG(c_off), ARG(ldc)};
    /* clang-format on */
    CT_TRY(set_args(k, "gemm_portable", args, sizeof args / sizeof args[0]));
    const ct_gemm_tile *t = tile_of(ctx);
    size_t side = (size_t)t->wg_side, block = side * (size_t)t->wg_work;
    size_t local[2] = {side, side};
    size_t global[2] = {ceil_div(g->n, block) * side, ceil_div(g->m, block) * side};
    return launch(ctx, k, "gemm_portable", 2, global, local);
}

/* ------------------------------------------------------------ engine */

/* Every OpenCL 1.2 device: the portable kernel needs nothing more. A build
 * failure of cl/gemm_tile.cl is reported by the call (with the build log), not
 * hidden as "unsupported". */
static int own_supports(ct_context *ctx)
{
    return own_state_get(ctx) != NULL;
}

static ct_status check_limits(ct_context *ctx, const ct_gemm_args *g)
{
    /* Kernels index with int; K-split partial offsets and packed panels use 64 bits. */
    const ct_gemm_tile *t = tile_of(ctx);
    size_t mr = (size_t)t->rows, nr = (size_t)t->vectors * (size_t)t->width;
    size_t limit = INT_MAX / nr;
    if (g->m > limit || g->n > limit || g->k > limit || g->lda > INT_MAX || g->ldb > INT_MAX || g->ldc > INT_MAX)
        return ct_fail(CT_ERR_UNSUPPORTED, "own GEMM: m=%zu n=%zu k=%zu or a leading dimension is too large", g->m,
                       g->n, g->k);
    if (ceil_div(g->m, mr) * ceil_div(g->n, nr) * ceil_div(g->k, SPLIT_MIN_K) > INT_MAX)
        return ct_fail(CT_ERR_UNSUPPORTED, "own GEMM: m=%zu n=%zu gives too many tiles", g->m, g->n);
    return CT_OK;
}

/* The GEMM with the tile kernel's epilogue flags epi (0 on the portable kernel). */
static ct_status own_run_epi(ct_context *ctx, const ct_gemm_args *g, const ct_gemm_epilogue *epilogue, cl_int epi)
{
    if (g->m == 0 || g->n == 0)
        return CT_OK;
    CT_TRY(check_limits(ctx, g));
    own_state *s = own_state_get(ctx);
    if (!s)
        return ct_fail(CT_ERR_NO_MEMORY, "own GEMM state");
    ct_gemm_own_plan p;
    ct_gemm_own_make_plan(ctx, g, &p);
    if (p.portable)
        return run_portable(ctx, g);
    CT_TRY(ensure_ints(ctx, &s->counters, &s->counter_ints, p.counter_ints));
    CT_TRY(ensure_workspace(ctx, s, p.ws_total));
    return run_tiles(ctx, s, g, &p, epilogue, epi);
}

static ct_status own_run(ct_context *ctx, const ct_gemm_args *g)
{
    return own_run_epi(ctx, g, NULL, 0);
}

/* The tile kernel's EPI_* flags for epi (NULL: none, 0): relu or linear and
 * the column sums of B in place; -1 when it cannot fuse epi. */
static cl_int tile_epi_flags(const ct_gemm_args *g, const ct_gemm_epilogue *epi)
{
    if (!epi)
        return 0;
    int relu = epi->activation == CT_ACTIVATION_RELU;
    if (!(relu || epi->activation == CT_ACTIVATION_LINEAR) || (epi->col_sums && g->trans_b))
        return -1;
    return (epi->bias ? EPI_BIAS : 0) | (relu ? (epi->y ? EPI_DRELU : EPI_RELU) : 0) | (epi->col_sums ? EPI_COLSUM : 0);
}

/* The tile kernel fuses the epilogue (CPU devices only). */
static ct_status own_run_fused(ct_context *ctx, const ct_gemm_args *g, const ct_gemm_epilogue *epi, int *fused)
{
    own_state *s = own_state_get(ctx);
    cl_int flags = tile_epi_flags(g, epi);
    *fused = s && !s->portable && g->m > 0 && flags >= 0;
    if (!*fused)
        return CT_OK;
    return own_run_epi(ctx, g, epi, flags);
}

/* Work-groups for two GEMMs in one launch: as many as the larger plan's.
 * Two small GEMMs (one work-group each) stay one work-group, not the few
 * per compute unit of a GEMM of their combined size: a Dense layer's dW and
 * dx (163x100x32 TN + 32x163x100 NT, ~1M multiply-adds together) take 32 us
 * as one work-group and 45-50 us as four, the second worker thread waking
 * up too late to help (gemmbench --pair). */
static int pair_groups(const ct_gemm_own_plan *p0, const ct_gemm_own_plan *p1)
{
    return p0->groups > p1->groups ? p0->groups : p1->groups;
}

/* Both GEMMs (with their epilogues) in one launch of the tile kernel: the
 * second's task list after the first's, workspace and sync regions side by
 * side. *done 0 (nothing enqueued) where that cannot be: the portable
 * kernel, an epilogue the kernel does not fuse, an empty GEMM, more than 6
 * distinct buffers. */
static ct_status own_run_pair(ct_context *ctx, const ct_gemm_args *g0, const ct_gemm_epilogue *e0,
                              const ct_gemm_args *g1, const ct_gemm_epilogue *e1, int *done)
{
    *done = 0;
    own_state *s = own_state_get(ctx);
    cl_int f0 = tile_epi_flags(g0, e0), f1 = tile_epi_flags(g1, e1);
    if (!s || s->portable || f0 < 0 || f1 < 0 || !g0->m || !g0->n || !g1->m || !g1->n)
        return CT_OK;
    CT_TRY(check_limits(ctx, g0));
    CT_TRY(check_limits(ctx, g1));
    ct_gemm_own_plan p0, p1;
    ct_gemm_own_make_plan(ctx, g0, &p0);
    ct_gemm_own_make_plan(ctx, g1, &p1);
    tile_params prm = {.count = 2};
    tile_slots slots = {.used = 0};
    if (!make_desc(g0, &p0, e0, f0, 0, SYNC_RANGES, &slots, &prm.g[0]) ||
        !make_desc(g1, &p1, e1, f1, p0.ws_total, p0.counter_ints, &slots, &prm.g[1]))
        return CT_OK;
    CT_TRY(ensure_ints(ctx, &s->counters, &s->counter_ints, p0.counter_ints + p1.counter_ints - SYNC_RANGES));
    CT_TRY(ensure_workspace(ctx, s, p0.ws_total + p1.ws_total));
    *done = 1;
    return launch_tiles(ctx, s, &prm, &slots, pair_groups(&p0, &p1), p0.pack_tasks + p1.pack_tasks);
}

const ct_gemm_engine_impl ct_gemm_own_engine = {"own", own_supports, own_run, own_run_fused, own_run_pair};
