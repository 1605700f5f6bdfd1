/* cltrain's own GEMM for CPU-class devices: C = alpha op(A) op(B) + beta C,
 * row-major. Its own program, which a GPU never builds (src/core/program.c);
 * other devices use gemm_portable (cl/gemm_portable.cl). The host side is
 * src/gemm/gemm_own.c, which picks the kernel from the device profile.
 * Longer than 600 lines on purpose: one algorithm (packing, tile loop, edge
 * tiles, epilogues, the task loop) whose parts share the tile's macros and
 * invariants, which a split into files would scatter.
 *
 * gemm_tile.
 *   Each work-item computes an MR x NR tile of C in MR x NV accumulators of
 *   VW floats (NR = NV * VW). The tile is a build option (CT_GEMM_MR, _NV,
 *   _VW, _KU) that the profile derives from the register file, so the
 *   accumulators, the NV vectors of B and the broadcast A value fit the
 *   vector registers: 12 x 32 with float16 on AVX-512 (24 of 32 zmm), 6 x 16
 *   with float8 on AVX2 (12 of 16 ymm). Per k step NV loads of B, MR
 *   broadcasts of A and MR x NV FMAs, so the loop is bound by the FMA units,
 *   not by loads. `cltrain tune` may pick another tile per device. Work-groups
 *   hold a single work-item (nothing to share: the "local memory" of a CPU is
 *   its cache).
 *
 *   op(B) is read as contiguous rows of NR floats. That is B itself when it is
 *   not transposed (row p of the tile at b + p*ldb + j0), or a packed copy:
 *   panels of K x NR floats, zero-padded past column n, so a panel is one
 *   sequential stream the prefetcher follows (and B^T becomes row-major).
 *   op(A) is read either along rows (A in place, not transposed: MR row
 *   streams, the next tile's rows prefetched) or as MR contiguous floats
 *   per k step (A^T in place, stored k x m: one strided stream, prefetched;
 *   or A packed into K x MR panels, zero-padded past row m).
 *
 *   A GEMM is a list of tasks, run by one or two launches:
 *     launch 1 (phase 0, only when something is packed): pack A panels |
 *       pack B panels;
 *     launch 2 (phase 1): row tiles (x K ranges) | column sums.
 *   (B panels are packed by the tile task itself when that task is a
 *   panel's only user: pack_b_inline.) No task ever waits for another:
 *   panels are complete when the second launch starts (the queue is in
 *   order), and the K ranges of a split tile are summed by whichever task
 *   finishes the tile's last range (an atomic count says which; the sum
 *   reads the ranges in a fixed order, so the result does not depend on
 *   who sums). OpenCL promises no forward progress between work-groups, so
 *   a wait for another work-group could stall forever.
 *   A launch may carry two independent GEMMs (a Dense layer's weight and
 *   input gradients): the second GEMM's list follows the first's, with its
 *   own workspace and counters, so one launch's work-groups run both.
 *   A tile task covers `group` consecutive row tiles of one column panel
 *   (several when K is short, so a task outweighs taking it). The host
 *   orders tile tasks row tiles first (consecutive tasks share a B panel) or
 *   panels first (a row tile's A is read from memory once), and tells how
 *   far ahead to prefetch A; see plan_order() in src/gemm/gemm_own.c.
 *   Work-groups (one, or a few per compute unit) take the next task from an
 *   atomic counter until none is left. That balances the load whatever the
 *   runtime does: CPU runtimes give a kernel's work-groups to their threads
 *   in large chunks, and a sleeping worker thread wakes up late, so a static
 *   split leaves a core idle on small and medium GEMMs. The last work-group
 *   to finish resets the task counter for the next launch (launches on the
 *   context's in-order queue never overlap).
 *
 *   Split-K (weight gradients: large K, small M and N): a tile's K range is
 *   cut into `splits` parts whose partial products go to the workspace; the
 *   task finishing a tile's last part adds them into C with alpha and beta.
 *
 *   Epilogue (epi, with beta 0), so that a Dense layer's forward and
 *   backward are GEMM launches only: the task that writes a tile of C adds
 *   a bias per column and applies relu (forward), or multiplies by relu'(Y)
 *   for a Y shaped as C (the input gradient of a layer whose input is a
 *   relu's output: dz of the layer below); and tasks at the end of the list
 *   sum op(B)'s columns (B in place: the bias gradient, in the weight
 *   gradient's launch).
 */

/* The tile (see the top of this file); the defaults are AVX-512's. */
#ifndef CT_GEMM_MR
#define CT_GEMM_MR 12
#endif
#ifndef CT_GEMM_NV
#define CT_GEMM_NV 2
#endif
#ifndef CT_GEMM_VW
#define CT_GEMM_VW 16
#endif
#ifndef CT_GEMM_KU
#define CT_GEMM_KU 1
#endif
#define MR CT_GEMM_MR      /* rows of C per CPU tile */
#define NV CT_GEMM_NV      /* vectors per row of the tile */
#define VW CT_GEMM_VW      /* floats per vector */
#define NR (NV * VW)       /* columns of C per CPU tile */
#define MRQ ((MR + 2) / 3) /* edge tiles compute MR, 2 MRQ or MRQ rows */

#if VW == 16
typedef float16 gemmv;
#define VLOAD vload16
#define VSTORE vstore16
#elif VW == 8
typedef float8 gemmv;
#define VLOAD vload8
#define VSTORE vstore8
#elif VW == 4
typedef float4 gemmv;
#define VLOAD vload4
#define VSTORE vstore4
#else
#error "CT_GEMM_VW must be 4, 8 or 16"
#endif
#if MR < 1 || MR > 16 || NV < 1 || NV > 3
#error "CT_GEMM_MR must be 1..16 and CT_GEMM_NV 1..3"
#endif

#define KU CT_GEMM_KU /* k steps per iteration of the tile loop */

/* Helpers are forced inline: the tile loop is specialised by constant
 * arguments at each call site, and a helper the compiler leaves out of line
 * gets its default vector width, 256 bits on AVX-512 CPUs (float16 values
 * then travel through memory).
 * OUTLINE helpers are out of line on purpose and ask for vectors of the
 * tile's width: code run once per panel or per launch, not per k step, so
 * the call costs nothing measurable. It is there for the first-use compile
 * time: PoCL compiles a kernel's body three times (the kernel and its two
 * work-group launchers each inline it), and LLVM's time grows faster than
 * the code. */
#define INLINE static inline __attribute__((always_inline))
#if CT_IS_CPU && defined(__clang__)
#define OUTLINE static __attribute__((noinline, min_vector_width(VW * 32)))
#else
#define OUTLINE INLINE
#endif

/* A prefetch hint on CPUs, where all address spaces are one (OpenCL's own
 * prefetch() is a no-op in PoCL); nothing elsewhere. */
#if CT_IS_CPU && defined(__clang__)
#define PREFETCH(ptr) __builtin_prefetch((const void *)(size_t)(ptr), 0, 3)
#else
#define PREFETCH(ptr) ((void)(ptr))
#endif

#define AT_AHEAD 24 /* k steps between prefetching and reading A^T in place */

/* Counters, sized by the host (src/gemm/gemm_own.c): the task counter,
 * finished work-groups, then per tile the number of K ranges done (per GEMM
 * of the launch, from its ranges_off); every one is back to 0 when a launch
 * ends. */
#define SYNC_NEXT 0
#define SYNC_DONE 1
#define SYNC_RANGES 2

/* ------------------------------------------------------------------ packing */

/* Transpose VW rows of VW floats in registers: swapping the off-diagonal
 * d x d blocks of every 2d x 2d block for d = VW/2 .. 1 (each swap is one
 * two-source shuffle per row). */
#define SWAP_BLOCKS(v, d, LO, HI)                                              \
    _Pragma("unroll") for (int i = 0; i < VW; i++)                             \
    {                                                                          \
        if ((i & d) == 0) {                                                    \
            const gemmv x = v[i], y = v[i + d];                               \
            v[i] = LO;                                                         \
            v[i + d] = HI;                                                     \
        }                                                                      \
    }

INLINE void transpose_v(gemmv v[VW])
{
#if VW == 16
    SWAP_BLOCKS(v, 8, (float16)(x.lo, y.lo), (float16)(x.hi, y.hi))
    SWAP_BLOCKS(v, 4, (float16)(x.s0123, y.s0123, x.s89ab, y.s89ab), (float16)(x.s4567, y.s4567, x.scdef, y.scdef))
    SWAP_BLOCKS(v, 2, (float16)(x.s01, y.s01, x.s45, y.s45, x.s89, y.s89, x.scd, y.scd),
                (float16)(x.s23, y.s23, x.s67, y.s67, x.sab, y.sab, x.sef, y.sef))
    SWAP_BLOCKS(v, 1,
                (float16)(x.s0, y.s0, x.s2, y.s2, x.s4, y.s4, x.s6, y.s6, x.s8, y.s8, x.sa, y.sa, x.sc, y.sc,
                          x.se, y.se),
                (float16)(x.s1, y.s1, x.s3, y.s3, x.s5, y.s5, x.s7, y.s7, x.s9, y.s9, x.sb, y.sb, x.sd, y.sd,
                          x.sf, y.sf))
#elif VW == 8
    SWAP_BLOCKS(v, 4, (float8)(x.lo, y.lo), (float8)(x.hi, y.hi))
    SWAP_BLOCKS(v, 2, (float8)(x.s01, y.s01, x.s45, y.s45), (float8)(x.s23, y.s23, x.s67, y.s67))
    SWAP_BLOCKS(v, 1, (float8)(x.s0, y.s0, x.s2, y.s2, x.s4, y.s4, x.s6, y.s6),
                (float8)(x.s1, y.s1, x.s3, y.s3, x.s5, y.s5, x.s7, y.s7))
#else
    SWAP_BLOCKS(v, 2, (float4)(x.lo, y.lo), (float4)(x.hi, y.hi))
    SWAP_BLOCKS(v, 1, (float4)(x.s0, y.s0, x.s2, y.s2), (float4)(x.s1, y.s1, x.s3, y.s3))
#endif
}

#if CT_IS_CPU && defined(__clang__) && defined(__AVX512F__) && VW == 16
/* AVX-512: a partial vector is one masked load or store (lanes outside the
 * mask are neither read nor written, so they never fault). One instruction
 * instead of a loop or a cascade of narrower vectors: faster, and far less
 * code to compile at the many places that handle the edges of a matrix. */
#define MASKED_VECTORS 1
typedef float gv16f __attribute__((__vector_size__(64)));

/* The mask of lanes 0 .. len-1 (none for len <= 0, all for len >= 16). */
INLINE ushort first_lanes(const int len)
{
    return len >= 16 ? (ushort)0xffff : len <= 0 ? (ushort)0 : (ushort)((1u << len) - 1u);
}

/* src[0 .. len) in the first lanes, zero in the others. */
INLINE float16 load16_first(__global const float *src, const int len)
{
    const gv16f zero = __builtin_astype((float16)0.0f, gv16f);
    return __builtin_astype(__builtin_ia32_loadups512_mask((const void *)(size_t)src, zero, first_lanes(len)),
                            float16);
}

/* dst[0 .. len) = the first len lanes of v. */
INLINE void store16_first(const float16 v, __global float *dst, const int len)
{
    __builtin_ia32_storeups512_mask((void *)(size_t)dst, __builtin_astype(v, gv16f), first_lanes(len));
}
#endif

/* VW floats of row `row` of a rows x cols matrix from column col0, zero
 * outside the matrix. */
INLINE gemmv load_guarded(__global const float *x, const int ld, const int rows, const int cols, const int row,
                           const int col0)
{
    if (row >= rows)
        return (gemmv)0.0f;
    __global const float *src = x + (size_t)row * ld + col0;
    if (col0 + VW <= cols)
        return VLOAD(0, src);
#ifdef MASKED_VECTORS
    return load16_first(src, cols - col0);
#else
    float t[VW];
    for (int e = 0; e < VW; e++)
        t[e] = col0 + e < cols ? src[e] : 0.0f;
    return VLOAD(0, t);
#endif
}

/* dst[0 .. len) = the first len lanes of v, len a constant 1 .. VW at
 * every call site (so the cascade folds to the stores it needs). */
INLINE void store_lanes(const gemmv v, __global float *dst, const int len)
{
    if (len >= VW) {
        VSTORE(v, 0, dst);
        return;
    }
    float t[VW];
    VSTORE(v, 0, t);
    int o = 0;
#if VW > 8
    if (len & 8) {
        vstore8(vload8(0, t + o), 0, dst + o);
        o += 8;
    }
#endif
#if VW > 4
    if (len & 4) {
        vstore4(vload4(0, t + o), 0, dst + o);
        o += 4;
    }
#endif
    if (len & 2) {
        vstore2(vload2(0, t + o), 0, dst + o);
        o += 2;
    }
    if (len & 1)
        dst[o] = t[o];
}

/* Panel q of op(B) (k x n) as k rows of NR floats at dst, zero past column
 * n. b_trans: B is stored n x k (op(B) = B^T); VW x VW blocks are then read
 * along B's rows and transposed in registers. */
OUTLINE void pack_b_panel(const int k, const int n, __global const float *b, const int ldb, const int b_trans,
                         const int q, __global float *dst)
{
    const int j0 = q * NR, cols = min(NR, n - j0);
    if (!b_trans) {
        for (int p = 0; p < k; p++, dst += NR) {
            __global const float *src = b + (size_t)p * ldb + j0;
            if (cols == NR) {
                _Pragma("unroll") for (int h = 0; h < NV; h++)
                    VSTORE(VLOAD(h, src), h, dst);
            } else {
                for (int c = 0; c < NR; c++)
                    dst[c] = c < cols ? src[c] : 0.0f;
            }
        }
        return;
    }
    for (int p0 = 0; p0 < k; p0 += VW)
        for (int h = 0; h < NV; h++) {
            gemmv v[VW];
            _Pragma("unroll") for (int c = 0; c < VW; c++)
                v[c] = load_guarded(b, ldb, n, k, j0 + h * VW + c, p0);
            transpose_v(v);
            _Pragma("unroll") for (int p = 0; p < VW; p++)
            {
                if (p0 + p < k)
                    VSTORE(v[p], 0, dst + (size_t)(p0 + p) * NR + h * VW);
            }
        }
}

/* Panel t of op(A) (m x k) as k steps of MR floats at dst, zero past row
 * m. A not transposed: VW k steps of VW rows at a time are loaded along
 * A's rows and transposed in registers. A^T (stored k x m): MR contiguous
 * floats per k step, copied (packed only when MR floats are a small part
 * of a cache line, see ct_gemm_own_make_plan; else read in place as one
 * strided stream). */
OUTLINE void pack_a_panel(const int m, const int k, __global const float *a, const int lda, const int a_trans,
                         const int t, __global float *dst)
{
    const int i0 = t * MR;
    if (a_trans) {
        const int rows = min(MR, m - i0);
        for (int p = 0; p < k; p++) {
            __global const float *src = a + (size_t)p * lda + i0;
            for (int r = 0; r < MR; r++)
                dst[(size_t)p * MR + r] = r < rows ? src[r] : 0.0f;
        }
        return;
    }
    for (int p0 = 0; p0 < k; p0 += VW) {
        _Pragma("unroll") for (int rb = 0; rb < MR; rb += VW)
        {
            gemmv v[VW];
            _Pragma("unroll") for (int r = 0; r < VW; r++)
                v[r] = rb + r < MR ? load_guarded(a, lda, m, k, i0 + rb + r, p0) : (gemmv)0.0f;
            transpose_v(v);
            _Pragma("unroll") for (int p = 0; p < VW; p++)
            {
                if (p0 + p < k)
                    store_lanes(v[p], dst + (size_t)(p0 + p) * MR + rb, min(VW, MR - rb));
            }
        }
    }
}

/* ---------------------------------------------------------- CPU tile kernel */


/* Where a tile's operands live. A: a_rows = 1 reads A(i, p) = a[i*lda + p];
 * a_rows = 0 reads A(i0 + r, p) = a[tile*a_step + p*lda + r] (A^T in place:
 * a_step = MR; packed: a_step = k*MR, lda = MR). B(p, j0 + c) =
 * b[panel*b_step + p*ldb + c] (B in place: b_step = NR; packed: b_step =
 * k*NR, ldb = NR). Offsets are already applied to the pointers. */
typedef struct {
    __global const float *a;
    __global const float *b;
    int lda, ldb;
} operands;

/* One k step on the first mr rows and nv vector columns of the tile. */
#define TILE_STEP(A_AT)                                                          \
    {                                                                            \
        gemmv bv[NV];                                                           \
        _Pragma("unroll") for (int h = 0; h < NV; h++)                           \
            bv[h] = h < nv ? VLOAD(h, bq) : (gemmv)0.0f;                        \
        bq += ldb;                                                               \
        _Pragma("unroll") for (int r = 0; r < MR; r++)                           \
        {                                                                        \
            if (r < mr) {                                                        \
                const gemmv av = (gemmv)(A_AT);                                \
                _Pragma("unroll") for (int h = 0; h < NV; h++)                   \
                {                                                                \
                    if (h < nv)                                                  \
                        acc[r][h] = fma(av, bv[h], acc[r][h]);                   \
                }                                                                \
            }                                                                    \
        }                                                                        \
    }

/* acc += A(rows, p0..p1) B(p0..p1, cols) for k steps where every load stays
 * inside the operands. The caller passes constants for a_rows, mr (rows
 * computed: MR, 2 MRQ or MRQ) and nv (vector columns: 1 .. NV), so each
 * call becomes its own loop without the unused rows, columns and branches:
 * edge tiles (the last rows of m, the last columns of n) then cost in
 * proportion to their size rather than a full tile. */
INLINE void tile_loop(gemmv acc[MR][NV], const int a_rows, const int mr, const int nv,
                      __global const float *const arow[MR], __global const float *ac, const int lda,
                      __global const float *bq, const int ldb, const int p0, const int p1,
                      __global const float *pf)
{
    /* KU k steps per iteration, unrolled by hand (clang's unroll pragma
     * fails on these loops with a warning), then the remainder. */
    if (a_rows) {
        int p = p0;
        for (; p + KU <= p1; p += KU) {
            _Pragma("unroll") for (int u = 0; u < KU; u++)
            {
                /* Every 16 steps (a cache line of each row), prefetch the
                 * same line of the rows at pf: the row tile this thread
                 * takes next. */
                if (pf && ((p + u - p0) & 15) == 0) {
                    __global const float *q = pf + p + u;
                    _Pragma("unroll") for (int r = 0; r < MR; r++, q += lda)
                        PREFETCH(q);
                }
                TILE_STEP(arow[r][p + u])
            }
        }
#if KU > 1
        for (; p < p1; p++)
            TILE_STEP(arow[r][p])
#endif
    } else {
        /* A^T in place: one strided stream, prefetched AT_AHEAD steps on.
         * (Packed A, one sequential stream, is prefetched alike: no slower
         * than without, and one loop fewer to compile per tile shape.) */
        ac += (size_t)p0 * lda;
        int p = p0;
        for (; p + KU <= p1; p += KU) {
            _Pragma("unroll") for (int u = 0; u < KU; u++)
            {
                PREFETCH(ac + AT_AHEAD * lda);
                PREFETCH(ac + AT_AHEAD * lda + MR - 1);
                TILE_STEP(ac[r])
                ac += lda;
            }
        }
#if KU > 1
        for (; p < p1; p++, ac += lda)
            TILE_STEP(ac[r])
#endif
    }
}

#define TILE_LOOP_CALL(AR, MRV, NVV)                                                                        \
    tile_loop(acc, AR, MRV, NVV, arow, ac, o.lda, bq + (size_t)kb * o.ldb, o.ldb, kb, fast_end, pf)
#if NV == 1
#define TILE_LOOP_NV(AR, MRV) TILE_LOOP_CALL(AR, MRV, 1);
#elif NV == 2
#define TILE_LOOP_NV(AR, MRV)                                                                               \
    {                                                                                                       \
        if (nv == 2)                                                                                        \
            TILE_LOOP_CALL(AR, MRV, 2);                                                                     \
        else                                                                                                \
            TILE_LOOP_CALL(AR, MRV, 1);                                                                     \
    }
#else
#define TILE_LOOP_NV(AR, MRV)                                                                               \
    {                                                                                                       \
        if (nv == 3)                                                                                        \
            TILE_LOOP_CALL(AR, MRV, 3);                                                                     \
        else if (nv == 2)                                                                                   \
            TILE_LOOP_CALL(AR, MRV, 2);                                                                     \
        else                                                                                                \
            TILE_LOOP_CALL(AR, MRV, 1);                                                                     \
    }
#endif
#if 2 * MRQ < MR
#define TILE_LOOP_MR(AR)                                                               \
    {                                                                                  \
        if (mr == MR)                                                                  \
            TILE_LOOP_NV(AR, MR)                                                       \
        else if (mr == 2 * MRQ)                                                        \
            TILE_LOOP_NV(AR, 2 * MRQ)                                                  \
        else                                                                           \
            TILE_LOOP_NV(AR, MRQ)                                                      \
    }
#elif MRQ < MR
#define TILE_LOOP_MR(AR)                                                               \
    {                                                                                  \
        if (mr == MR)                                                                  \
            TILE_LOOP_NV(AR, MR)                                                       \
        else                                                                           \
            TILE_LOOP_NV(AR, MRQ)                                                      \
    }
#else
#define TILE_LOOP_MR(AR) TILE_LOOP_NV(AR, MR)
#endif

/* Rows computed for a tile of `rows` rows: MR, 2 MRQ or MRQ (the fewest
 * that cover them; one of the constants TILE_LOOP_MR knows). */
INLINE int rows_computed(const int rows)
{
    return rows > 2 * MRQ ? MR : rows > MRQ ? min(MR, 2 * MRQ) : MRQ;
}

/* The last k steps of an edge tile whose in-place operands would be read
 * past the end of the matrix by full-width loads: per-element loads, with
 * the row/column index clamped into the matrix (clamped lanes are never
 * stored). Only edge tiles of unpacked operands get here, for a few steps. */
INLINE void tile_tail(gemmv acc[MR][NV], const int a_rows, __global const float *const arow[MR],
                      __global const float *ac, const int lda, const int rmax, __global const float *bq,
                      const int ldb, const int cmax, const int p0, const int p1)
{
    for (int p = p0; p < p1; p++) {
        float bt[NR];
        for (int c = 0; c < NR; c++)
            bt[c] = bq[(size_t)p * ldb + min(c, cmax)];
        gemmv bv[NV];
        _Pragma("unroll") for (int h = 0; h < NV; h++)
            bv[h] = VLOAD(h, bt);
        _Pragma("unroll") for (int r = 0; r < MR; r++)
        {
            const gemmv av = (gemmv)(a_rows ? arow[r][p] : ac[(size_t)p * lda + min(r, rmax)]);
            _Pragma("unroll") for (int h = 0; h < NV; h++)
                acc[r][h] = fma(av, bv[h], acc[r][h]);
        }
    }
}

/* dst[0..len) = v[0..len) + beta dst (dst not read when beta is 0), for
 * len 0..VW, in at most four vector stores (the last columns of n). */
#define STORE_PART(W, VLOAD_, VSTORE_)                                         \
    if (len & W) {                                                             \
        VLOAD_##_t x = VLOAD_(0, t + o);                                       \
        if (beta != 0.0f)                                                      \
            x = fma((VLOAD_##_t)beta, VLOAD_(0, dst + o), x);                  \
        VSTORE_(x, 0, dst + o);                                                \
        o += W;                                                                \
    }
typedef float8 vload8_t;
typedef float4 vload4_t;
typedef float2 vload2_t;

INLINE void store_partial(const gemmv v, __global float *dst, const int len, const float beta)
{
    if (len >= VW) {
        VSTORE(beta != 0.0f ? fma((gemmv)beta, VLOAD(0, dst), v) : v, 0, dst);
        return;
    }
    if (len <= 0)
        return;
#ifdef MASKED_VECTORS
    store16_first(beta != 0.0f ? fma((float16)beta, load16_first(dst, len), v) : v, dst, len);
#else
    float t[VW];
    VSTORE(v, 0, t);
    int o = 0;
#if VW > 8
    STORE_PART(8, vload8, vstore8)
#endif
#if VW > 4
    STORE_PART(4, vload4, vstore4)
#endif
    STORE_PART(2, vload2, vstore2)
    if (len & 1)
        dst[o] = beta != 0.0f ? fma(beta, dst[o], t[o]) : t[o];
#endif
}

/* Number of leading k steps in which full-width loads stay inside an
 * unpacked operand: reading `over` elements past the last row/column of the
 * tile is safe while the row read is at least ceil(over/ld) rows before the
 * operand's last one, because the surplus then falls inside later rows. */
INLINE int safe_steps(const int k, const int over, const int ld)
{
    return over <= 0 ? k : max(0, k - (over + ld - 1) / ld);
}

/* Epilogue flags (must match src/gemm/gemm_own.c; see the top of this file). */
#define EPI_BIAS 1   /* C += bias[column] */
#define EPI_RELU 2   /* C = relu(C) */
#define EPI_DRELU 4  /* C *= relu'(Y) */
#define EPI_COLSUM 8 /* col_sums = column sums of B */

/* VW bias values from column j0, zero past column n. */
INLINE gemmv bias_v(__global const float *bias, const int n, const int j0)
{
    return load_guarded(bias, 0, 1, n, 0, j0);
}

/* v = alpha v + bias, then relu or times relu'(y) when asked, as
 * act_apply and act_grad_from_y in cl/activations.cl (relu(x) = x < 0 ? 0 :
 * x, NaN passes; relu'(y) = y <= 0 ? 0 : 1, multiplied so that a NaN gradient stays NaN). */
INLINE gemmv epilogue_v(const gemmv v, const float alpha, const gemmv b, const gemmv y, const int epi)
{
    const gemmv x = fma((gemmv)alpha, v, b);
    if (epi & EPI_RELU)
        return select(x, (gemmv)0.0f, x < 0.0f); /* NaN passes */
    if (epi & EPI_DRELU)
        return x * select((gemmv)1.0f, (gemmv)0.0f, y <= 0.0f);
    return x;
}

INLINE float epilogue1(const float v, const float alpha, const float b, const float y, const int epi)
{
    const float x = fma(alpha, v, b);
    if (epi & EPI_RELU)
        return x < 0.0f ? 0.0f : x;
    if (epi & EPI_DRELU)
        return x * (y <= 0.0f ? 0.0f : 1.0f);
    return x;
}

/* The tile in acc into C at c: C = alpha acc + beta C (C is not read when
 * beta is 0, as in BLAS), or with the epilogue (epi, beta 0): bias b for
 * the tile's columns from j0 of n, relu or times relu'(Y) for Y at y (the
 * tile's first element). A tile of NR columns is stored with whole
 * vectors; a narrower one (the last panel of n) with masked loads and
 * stores, or, without AVX-512, through private memory row by row in a loop,
 * so that the guarded loads and partial stores are compiled once rather
 * than once per row (first-use compile time). */
INLINE void tile_finish(gemmv acc[MR][NV], __global float *c, const int ldc, const int rows, const int cols,
                        const float alpha, const float beta, const int stream, __global const float *bias,
                        __global const float *y, const int n, const int j0, const int epi)
{
    if (cols == NR) {
        gemmv bv[NV];
        _Pragma("unroll") for (int h = 0; h < NV; h++)
            bv[h] = (epi & EPI_BIAS) ? VLOAD(0, bias + j0 + h * VW) : (gemmv)0.0f;
        _Pragma("unroll") for (int r = 0; r < MR; r++)
        {
            if (r < rows) {
                __global const float *yr = y + (size_t)r * ldc;
                _Pragma("unroll") for (int h = 0; h < NV; h++)
                {
                    if (epi)
                        acc[r][h] = epilogue_v(acc[r][h], alpha, bv[h],
                                               (epi & EPI_DRELU) ? VLOAD(h, yr) : (gemmv)0.0f, epi);
                    else
                        acc[r][h] *= alpha;
                }
            }
        }
#if CT_IS_CPU && defined(__clang__)
        /* A C much larger than the caches, written once: non-temporal stores
         * skip reading each line before overwriting it (aligned rows only). */
        if (stream && beta == 0.0f && rows == MR && ((size_t)c & 63) == 0 && (ldc & 15) == 0) {
            _Pragma("unroll") for (int r = 0; r < MR; r++)
            {
                gemmv *cr = (gemmv *)(size_t)(c + (size_t)r * ldc);
                _Pragma("unroll") for (int h = 0; h < NV; h++)
                    __builtin_nontemporal_store(acc[r][h], cr + h);
            }
            return;
        }
#endif
        _Pragma("unroll") for (int r = 0; r < MR; r++)
        {
            if (r < rows) {
                __global float *cr = c + (size_t)r * ldc;
                _Pragma("unroll") for (int h = 0; h < NV; h++)
                {
                    if (beta != 0.0f)
                        acc[r][h] = fma((gemmv)beta, VLOAD(h, cr), acc[r][h]);
                    VSTORE(acc[r][h], h, cr);
                }
            }
        }
        return;
    }
#ifdef MASKED_VECTORS
    _Pragma("unroll") for (int r = 0; r < MR; r++)
    {
        if (r < rows) {
            __global float *cr = c + (size_t)r * ldc;
            __global const float *yr = y + (size_t)r * ldc;
            _Pragma("unroll") for (int h = 0; h < NV; h++)
            {
                const int len = cols - h * VW;
                if (len > 0) {
                    float16 v = acc[r][h];
                    if (epi) {
                        const float16 b = (epi & EPI_BIAS) ? load16_first(bias + j0 + h * VW, len) : (float16)0.0f;
                        v = epilogue_v(v, alpha, b, (epi & EPI_DRELU) ? load16_first(yr + h * VW, len) : (float16)0.0f,
                                       epi);
                    } else {
                        v *= alpha;
                    }
                    store_partial(v, cr + h * VW, min(len, VW), beta);
                }
            }
        }
    }
#else
    float t[MR * NR];
    _Pragma("unroll") for (int r = 0; r < MR; r++)
    {
        _Pragma("unroll") for (int h = 0; h < NV; h++)
            VSTORE(acc[r][h], 0, t + r * NR + h * VW);
    }
    _Pragma("clang loop unroll(disable)") for (int r = 0; r < rows; r++)
    {
        _Pragma("clang loop unroll(disable)") for (int h = 0; h < cols; h += VW)
        {
            const int len = min(VW, cols - h);
            gemmv v = VLOAD(0, t + r * NR + h);
            if (epi) {
                const gemmv bv = (epi & EPI_BIAS) ? load_guarded(bias, 0, 1, n, 0, j0 + h) : (gemmv)0.0f;
                const gemmv yv =
                    (epi & EPI_DRELU) ? load_guarded(y + (size_t)r * ldc + h, 0, 1, len, 0, 0) : (gemmv)0.0f;
                v = epilogue_v(v, alpha, bv, yv, epi);
            } else {
                v *= alpha;
            }
            store_partial(v, c + (size_t)r * ldc + h, len, beta);
        }
    }
#endif
}

/* Sums over the k rows of B (in place, not transposed) of one panel's
 * columns into sums: a Dense layer's bias gradient. */
INLINE void colsum_panel(const int k, const int n, __global const float *b, const int ldb, const int panel,
                         __global float *sums)
{
    const int j0 = panel * NR;
    gemmv s[NV];
    _Pragma("unroll") for (int h = 0; h < NV; h++)
        s[h] = (gemmv)0.0f;
    for (int p = 0; p < k; p++) {
        _Pragma("unroll") for (int h = 0; h < NV; h++)
            s[h] += load_guarded(b, ldb, k, n, p, j0 + h * VW);
    }
    const int cols = min(NR, n - j0);
    _Pragma("unroll") for (int h = 0; h < NV; h++)
        store_partial(s[h], sums + j0 + h * VW, min(VW, cols - h * VW), 0.0f);
}

/* One tile: C(i0.., j0..) (+)= op(A) op(B) over k steps [kb, ke). */
INLINE void tile_compute(const int m, const int n, const int k, const int tile, const int panel,
                         const int kb, const int ke, const operands o, const int a_rows, const ulong a_step,
                         const int a_packed, const ulong b_step, const int b_packed, __global float *c,
                         const int ldc, const float alpha, const float beta, const int ahead,
                         const int stream, __global const float *bias, __global const float *y, const int epi)
{
    const int i0 = tile * MR, j0 = panel * NR;
    const int rows = min(MR, m - i0), cols = min(NR, n - j0);
    const int mr = rows_computed(rows), nv = (cols + VW - 1) / VW;
    __global const float *arow[MR];
    _Pragma("unroll") for (int r = 0; r < MR; r++)
        arow[r] = o.a + (size_t)min(i0 + r, m - 1) * o.lda; /* clamped: surplus rows repeat the last */
    __global const float *ac = o.a + (size_t)tile * a_step;
    __global const float *bq = o.b + (size_t)panel * b_step;

    gemmv acc[MR][NV];
    _Pragma("unroll") for (int r = 0; r < MR; r++)
    {
        _Pragma("unroll") for (int h = 0; h < NV; h++)
            acc[r][h] = (gemmv)0.0f;
    }
    int safe = k;
    if (!b_packed)
        safe = min(safe, safe_steps(k, nv * VW - cols, o.ldb));
    if (!a_rows && !a_packed)
        safe = min(safe, safe_steps(k, mr - rows, o.lda));
    const int fast_end = clamp(safe, kb, ke);
    /* Rows `ahead` past this tile's first row (0: no prefetch). Addresses
     * past the matrix are harmless: a prefetch never faults. */
    __global const float *pf = ahead ? (a_rows ? arow[0] + (size_t)ahead * o.lda : ac) : 0;
    if (a_rows)
        TILE_LOOP_MR(1)
    else
        TILE_LOOP_MR(0)
    if (fast_end < ke)
        tile_tail(acc, a_rows, arow, ac, o.lda, rows - 1, bq, o.ldb, cols - 1, fast_end, ke);
    /* With epi, beta is 0 (the host fuses no epilogue otherwise). */
    tile_finish(acc, c + (size_t)i0 * ldc + j0, ldc, rows, cols, alpha, beta, stream, bias,
                y + (size_t)i0 * ldc + j0, n, j0, epi);
}

/* K-range sums: C tile = alpha * (sum of the `splits` partial tiles, m x n
 * each with rows n apart, c_split apart) + beta C. */
INLINE void sum_tile(const int m, const int n, const int tile, const int panel, __global const float *part,
                     const ulong c_split, const int splits, __global float *c, const int ldc, const float alpha,
                     const float beta, __global const float *bias, __global const float *y, const int epi)
{
    const int i0 = tile * MR, j0 = panel * NR, rows = min(MR, m - i0), cols = min(NR, n - j0);
    for (int r = 0; r < rows; r++) {
        __global const float *src = part + (size_t)(i0 + r) * n + j0;
        __global float *dst = c + (size_t)(i0 + r) * ldc + j0;
        if (cols == NR) {
            gemmv s[NV];
            _Pragma("unroll") for (int h = 0; h < NV; h++)
                s[h] = VLOAD(h, src);
            for (int q = 1; q < splits; q++) {
                _Pragma("unroll") for (int h = 0; h < NV; h++)
                    s[h] += VLOAD(h, src + q * c_split);
            }
            __global const float *yr = y + (size_t)(i0 + r) * ldc + j0;
            _Pragma("unroll") for (int h = 0; h < NV; h++)
            {
                if (epi)
                    s[h] = epilogue_v(s[h], alpha, (epi & EPI_BIAS) ? bias_v(bias, n, j0 + h * VW) : (gemmv)0.0f,
                                      (epi & EPI_DRELU) ? VLOAD(h, yr) : (gemmv)0.0f, epi);
                else
                    s[h] *= alpha;
                if (beta != 0.0f)
                    s[h] = fma((gemmv)beta, VLOAD(h, dst), s[h]);
                VSTORE(s[h], h, dst);
            }
        } else {
            for (int j = 0; j < cols; j++) {
                float s = src[j];
                for (int q = 1; q < splits; q++)
                    s += src[q * c_split + j];
                s = epilogue1(s, alpha, (epi & EPI_BIAS) ? bias[j0 + j] : 0.0f,
                              (epi & EPI_DRELU) ? y[(size_t)(i0 + r) * ldc + j0 + j] : 0.0f, epi);
                dst[j] = beta != 0.0f ? fma(beta, dst[j], s) : s;
            }
        }
    }
}

/* One GEMM of a gemm_tile launch: its scalar parameters, the slots of
 * gemm_tile's buffer arguments holding its operands (a_buf .. sums_buf, 0-5),
 * and where its K-range counters start in counters (ranges_off). Must match
 * tile_desc in src/gemm/gemm_own.c (8-byte fields first: no padding between
 * fields on either side). */
typedef struct {
    ulong a_off, b_off, c_off, ws_a, ws_b, ws_part, bias_off, y_off, col_sums_off;
    int m, n, k, lda, a_trans, ldb, b_trans, ldc;
    float alpha, beta;
    int pack_a, pack_b, pack_b_inline, splits, k_split, ahead, panel_fastest, stream, group, epi;
    int ranges_off;
    int a_buf, b_buf, c_buf, bias_buf, y_buf, sums_buf;
} tile_desc;

/* Every scalar parameter of gemm_tile, as one by-value argument: PoCL copies
 * each kernel argument into an allocation of its own at every launch, so
 * thirty scalar arguments cost microseconds per GEMM. One or two GEMMs
 * (count; independent of each other: a Dense layer's weight and input
 * gradients), whose task lists run one after the other from the same task
 * counter, so that both GEMMs share the launch's work-groups. phase 0:
 * the packing tasks; 1: the rest. Must match tile_params in
 * src/gemm/gemm_own.c. */
typedef struct {
    tile_desc g[2];
    int count, phase;
} tile_params;

/* Tasks of GEMM d in a launch of this phase (see the top of this file). */
INLINE int task_count(const tile_desc *d, const int phase)
{
    const int tiles_m = (d->m + MR - 1) / MR, panels = (d->n + NR - 1) / NR;
    const int groups_m = (tiles_m + d->group - 1) / d->group;
    if (phase == 0)
        return (d->pack_a ? tiles_m : 0) + (d->pack_b && !d->pack_b_inline ? panels : 0);
    return groups_m * panels * d->splits + ((d->epi & EPI_COLSUM) ? panels : 0);
}

/* The tasks of GEMM d in this phase, numbered from base in the launch's
 * list: runs task t, then the next ones taken from the counter, until one
 * falls past d's list; returns that one (the first task of the next GEMM,
 * or past the end). ws: workspace for packed panels (at ws_a, ws_b) and
 * partial products (at ws_part); group: row tiles per task (several when K
 * is short, so that a task outweighs taking it); counters: see SYNC_*. */
OUTLINE int gemm_tile_run(const tile_desc *d, int t, const int base, const int phase,
                          __global float *const slot[6], __global float *ws, __global volatile int *counters)
{
    const int m = d->m, n = d->n, k = d->k, lda = d->lda, ldb = d->ldb, ldc = d->ldc;
    const int a_trans = d->a_trans, b_trans = d->b_trans;
    const float alpha = d->alpha, beta = d->beta;
    const int pack_a = d->pack_a, pack_b = d->pack_b, pack_b_inline = d->pack_b_inline, splits = d->splits;
    const int k_split = d->k_split, ahead = d->ahead, panel_fastest = d->panel_fastest;
    const int stream = d->stream, group = d->group, epi = d->epi;
    const ulong ws_a = d->ws_a, ws_b = d->ws_b, ws_part = d->ws_part;
    const int tiles_m = (m + MR - 1) / MR, panels = (n + NR - 1) / NR;
    const int groups_m = (tiles_m + group - 1) / group;
    __global volatile int *ranges_done = counters + d->ranges_off;
    __global const float *a = slot[d->a_buf] + d->a_off, *b = slot[d->b_buf] + d->b_off;
    __global float *c = slot[d->c_buf] + d->c_off, *col_sums = slot[d->sums_buf] + d->col_sums_off;
    __global const float *bias = slot[d->bias_buf] + d->bias_off, *y = slot[d->y_buf] + d->y_off;
    __global float *ap = ws + ws_a, *bp = ws + ws_b, *part = ws + ws_part;
    const ulong c_split = (ulong)m * n;

    if (phase == 0) {
        const int first_b = base + (pack_a ? tiles_m : 0);
        const int end = first_b + (pack_b && !pack_b_inline ? panels : 0);
        for (; t < end; t = atomic_inc(&counters[SYNC_NEXT])) {
            if (t < first_b) {
                const int q = t - base;
                pack_a_panel(m, k, a, lda, a_trans, q, ap + (size_t)q * k * MR);
            } else {
                const int q = t - first_b;
                pack_b_panel(k, n, b, ldb, b_trans, q, bp + (size_t)q * k * NR);
            }
        }
        return t;
    }

    const int first_colsum = base + groups_m * panels * splits;
    const int end = first_colsum + ((epi & EPI_COLSUM) ? panels : 0);
    /* The operands as the tile loop reads them (see `operands`). */
    const operands o = {pack_a ? ap : a, pack_b ? bp : b, pack_a ? MR : lda, pack_b ? NR : ldb};
    const int a_rows = !a_trans && !pack_a;
    const ulong a_step = pack_a ? (ulong)k * MR : MR, b_step = pack_b ? (ulong)k * NR : NR;

    for (; t < end; t = atomic_inc(&counters[SYNC_NEXT])) {
        if (t < first_colsum) {
            /* A task: `group` consecutive row tiles of one panel and K range. */
            const int u = t - base;
            const int fast = panel_fastest ? u % panels : u % groups_m;
            const int rest = panel_fastest ? u / panels : u / groups_m;
            const int s = rest % splits, slow = rest / splits;
            const int first = (panel_fastest ? slow : fast) * group, panel = panel_fastest ? fast : slow;
            const int kb = s * k_split, ke = min(k, kb + k_split);
            /* Into C, or into this K range's partial product. */
            __global float *dst = splits == 1 ? c : part + s * c_split;
            const int ld = splits == 1 ? ldc : n, st = splits == 1 ? stream : 0;
            const float al = splits == 1 ? alpha : 1.0f, be = splits == 1 ? beta : 0.0f;
            if (pack_b_inline)
                pack_b_panel(k, n, b, ldb, b_trans, panel, bp + (size_t)panel * k * NR);
            for (int tile = first; tile < min(first + group, tiles_m); tile++) {
                tile_compute(m, n, k, tile, panel, kb, ke, o, a_rows, a_step, pack_a, b_step, pack_b, dst, ld, al,
                             be, ahead, st, bias, y, splits == 1 ? epi & ~EPI_COLSUM : 0);
                if (splits > 1) {
                    /* The task finishing the tile's last K range sums
                     * them: the fence orders this range's stores before
                     * the count, and the summer's loads after it. */
                    mem_fence(CLK_GLOBAL_MEM_FENCE);
                    __global volatile int *done = &ranges_done[panel * tiles_m + tile];
                    if (atomic_inc(done) == splits - 1) {
                        mem_fence(CLK_GLOBAL_MEM_FENCE);
                        sum_tile(m, n, tile, panel, part, c_split, splits, c, ldc, alpha, beta, bias, y,
                                 epi & ~EPI_COLSUM);
                        atomic_xchg(done, 0); /* ready for the next launch */
                    }
                }
            }
        } else {
            colsum_panel(k, n, b, ldb, t - first_colsum, col_sums);
        }
    }
    return t;
}

/* A work-group's share of the launch: tasks from the counter, GEMM by
 * GEMM; groups: the launch's work-groups. */
OUTLINE void gemm_tile_all(const tile_params *prm, __global float *const slot[6], __global float *ws,
                           __global volatile int *counters, const int groups)
{
    int t = atomic_inc(&counters[SYNC_NEXT]), base = 0;
    for (int g = 0; g < prm->count; g++) {
        t = gemm_tile_run(&prm->g[g], t, base, prm->phase, slot, ws, counters);
        base += task_count(&prm->g[g], prm->phase);
    }
    /* Orders this work-group's non-temporal stores (if any) before the
     * launch can be seen to end. The last work-group out resets the task
     * counter for the next launch. */
    mem_fence(CLK_GLOBAL_MEM_FENCE);
    if (atomic_inc(&counters[SYNC_DONE]) == groups - 1) {
        atomic_xchg(&counters[SYNC_NEXT], 0);
        atomic_xchg(&counters[SYNC_DONE], 0);
    }
}

/* The body is out of line (see OUTLINE): compiled once, not three times.
 * s0 .. s5: the GEMMs' operand buffers, by slot (see tile_desc). */
__kernel __attribute__((reqd_work_group_size(1, 1, 1)))
void gemm_tile(const tile_params prm, __global float *s0, __global float *s1, __global float *s2,
               __global float *s3, __global float *s4, __global float *s5, __global float *ws,
               __global volatile int *counters)
{
    __global float *const slot[6] = {s0, s1, s2, s3, s4, s5};
    gemm_tile_all(&prm, slot, ws, counters, get_num_groups(0) * get_num_groups(1) * get_num_groups(2));
}
