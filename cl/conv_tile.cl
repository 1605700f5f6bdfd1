/* The register tile of the tiled and Winograd algorithms (CPUs only).
 *
 * The tiled algorithm: each pass as an implicit GEMM whose operand rows are
 * gathered straight from the images (no patch matrix), computed in register
 * tiles of TM rows x TN channels, TM x NV accumulators of CT_VW floats
 * (floatv, cl/common.cl). The tile is a build option (CT_CONV_TM,
 * CT_CONV_NV) that the device profile derives from the register file, as
 * the GEMM's (cl/gemm_tile.cl), so that the accumulators, the NV vectors of
 * the "B" row and the broadcast value fit the vector registers: 12 x 32
 * (12 x 2 float16, 24 of AVX-512's 32 registers), 6 x 16 on AVX2 (6 x 2
 * float8, 12 of 16). The launchers split the work by the same numbers
 * (src/ops/conv_internal.h). Per reduction step a tile loads the NV
 * vectors of its "B" row (weights or dy, contiguous), broadcasts TM scalars
 * and does TM x NV FMAs. Work-groups are single work-items, each taking a
 * run of tiles. The forward pass adds the bias and applies relu (when
 * asked) as it stores the tile. */
#define INLINE static inline __attribute__((always_inline))
#ifndef CT_CONV_TM
#define CT_CONV_TM 12
#endif
#ifndef CT_CONV_NV
#define CT_CONV_NV (32 / CT_VW)
#endif
#define TM CT_CONV_TM /* rows per tile */
#define NV CT_CONV_NV /* vectors per tile row */
#define TN (NV * CT_VW) /* channels per tile */
#define HALF_NV (NV / 2) /* the vectors of a half tile (none with NV = 1) */
#define HALF_TN (HALF_NV * CT_VW) /* its channels */
/* width (a constant per call site) names a half tile: its second half is zero */
#define IS_HALF(width) (HALF_NV > 0 && (width) == HALF_TN)

/* The TN floats at src as NV vectors; `width` (a constant at each call
 * site) is TN or HALF_TN when that many are inside the row (the rest zero),
 * else 0 and the first `cols` are read one by one, the rest zero. */
INLINE void load_b(__global const float *src, const int width, const int cols, floatv b[NV])
{
    if (width == TN) {
        _Pragma("unroll") for (int h = 0; h < NV; h++) b[h] = VLOADV(h, src);
    } else if (IS_HALF(width)) {
        _Pragma("unroll") for (int h = 0; h < NV; h++) b[h] = h < HALF_NV ? VLOADV(h, src) : (floatv)0.0f;
    } else {
        float t[TN];
        for (int c = 0; c < TN; c++)
            t[c] = c < cols ? src[c] : 0.0f;
        _Pragma("unroll") for (int h = 0; h < NV; h++) b[h] = VLOADV(h, t);
    }
}

/* dst[0..cols) = the floats of v[0..NV). */
INLINE void store_row(const floatv v[NV], __global float *dst, const int cols)
{
    if (cols == TN) {
        _Pragma("unroll") for (int h = 0; h < NV; h++) VSTOREV(v[h], h, dst);
        return;
    }
    if (IS_HALF(cols)) {
        _Pragma("unroll") for (int h = 0; h < HALF_NV; h++) VSTOREV(v[h], h, dst);
        return;
    }
    float t[TN];
    _Pragma("unroll") for (int h = 0; h < NV; h++) VSTOREV(v[h], h, t);
    for (int c = 0; c < cols; c++)
        dst[c] = t[c];
}

/* acc[r] += A(r, s) * B(s) for s in [0, steps): A(r, s) = a[r][s * lda]
 * (masked: 0 where valid[r] is 0), B(s) the TN floats at b + s * ldb. For
 * the kernel gradient, whose B is dy: with relu, B(s) is dy where the
 * forward output y (at y + s * ldb) is positive, else 0 (the gradient
 * through the activation, dz), which `store` writes to dz + s * ldb; with
 * sum_b, bsum += B(s) (the bias gradient). The flags are constants at each
 * call site, so each call is its own loop. */
INLINE void tile_steps_dw(floatv acc[TM][NV], __global const float *const a[TM], const int lda, const int *valid,
                          const int masked, __global const float *b, const int ldb, const int width, const int cols,
                          const int steps, const int relu, __global const float *y, const int store,
                          __global float *dz, const int sum_b, floatv bsum[NV])
{
    /* a half tile's second half is zero: its FMAs are left out */
    const int used = IS_HALF(width) ? HALF_NV : NV;
    for (int s = 0; s < steps; s++, b += ldb) {
        floatv bv[NV];
        load_b(b, width, cols, bv);
        if (relu) {
            floatv yv[NV];
            load_b(y, width, cols, yv);
            _Pragma("unroll") for (int h = 0; h < NV; h++) bv[h] = select(bv[h], (floatv)0.0f, yv[h] <= (floatv)0.0f);
            y += ldb;
        }
        if (store) {
            store_row(bv, dz, cols);
            dz += ldb;
        }
        if (sum_b) {
            _Pragma("unroll") for (int h = 0; h < NV; h++) bsum[h] += bv[h];
        }
        _Pragma("unroll") for (int r = 0; r < TM; r++)
        {
            const float v = a[r][s * lda];
            const floatv av = (floatv)(masked ? (valid[r] ? v : 0.0f) : v);
            _Pragma("unroll") for (int h = 0; h < NV; h++)
            {
                if (h < used)
                    acc[r][h] = fma(av, bv[h], acc[r][h]);
            }
        }
    }
}

INLINE void tile_steps(floatv acc[TM][NV], __global const float *const a[TM], const int lda, const int *valid,
                       const int masked, __global const float *b, const int ldb, const int width, const int cols,
                       const int steps)
{
    tile_steps_dw(acc, a, lda, valid, masked, b, ldb, width, cols, steps, 0, 0, 0, 0, 0, 0);
}

/* relu when asked, as act_apply in cl/activations.cl: x < 0 ? 0 : x. */
INLINE floatv finish(const floatv v, const int relu)
{
    return relu ? select(v, (floatv)0.0f, v < (floatv)0.0f) : v; /* NaN passes */
}

/* Every accumulator zero. */
INLINE void tile_clear(floatv acc[TM][NV])
{
    _Pragma("unroll") for (int r = 0; r < TM; r++)
    {
        _Pragma("unroll") for (int h = 0; h < NV; h++) acc[r][h] = (floatv)0.0f;
    }
}

/* dst[r][0..cols) = finish(acc[r] + bias) for the first `rows` rows. */
INLINE void tile_store_rows(floatv acc[TM][NV], const floatv bias[NV], const int relu, __global float *const dst[TM],
                            const int rows, const int cols)
{
    _Pragma("unroll") for (int r = 0; r < TM; r++)
    {
        if (r < rows) {
            floatv o[NV];
            _Pragma("unroll") for (int h = 0; h < NV; h++) o[h] = finish(acc[r][h] + bias[h], relu);
            store_row(o, dst[r], cols);
        }
    }
}
