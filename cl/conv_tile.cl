/* The register tile of the tiled and Winograd algorithms (CPUs only).
 *
 * The tiled algorithm: each pass as an implicit GEMM whose operand rows are
 * gathered straight from the images (no patch matrix), computed in register
 * tiles of TM rows x TN channels, 24 float16 accumulators: the tile of
 * gemm_tile in cl/gemm_tile.cl, which keeps an AVX-512 core's FMA units busy.
 * Per reduction step a tile loads two float16 of its "B" row (weights or
 * dy, contiguous), broadcasts TM scalars and does 24 FMAs. Work-groups are
 * single work-items, each taking a run of tiles. The forward pass adds the
 * bias and applies relu (when asked) as it stores the tile. */
#define INLINE static inline __attribute__((always_inline))
#define TM 12 /* rows per tile */
#define TN 32 /* channels per tile: two float16 */

/* The 32 floats at src as two float16; `width` (a constant at each call
 * site) is 32 or 16 when that many are inside the row (the rest zero),
 * else 0 and the first `cols` are read one by one, the rest zero. */
INLINE void load_b(__global const float *src, const int width, const int cols, float16 *b0, float16 *b1)
{
    if (width == 32) {
        *b0 = vload16(0, src);
        *b1 = vload16(1, src);
    } else if (width == 16) {
        *b0 = vload16(0, src);
        *b1 = (float16)0.0f;
    } else {
        float t[TN];
        for (int c = 0; c < TN; c++)
            t[c] = c < cols ? src[c] : 0.0f;
        *b0 = vload16(0, t);
        *b1 = vload16(1, t);
    }
}

/* dst[0..cols) = (v0, v1). */
INLINE void store_row(const float16 v0, const float16 v1, __global float *dst, const int cols)
{
    if (cols == TN) {
        vstore16(v0, 0, dst);
        vstore16(v1, 1, dst);
        return;
    }
    if (cols == 16) {
        vstore16(v0, 0, dst);
        return;
    }
    float t[TN];
    vstore16(v0, 0, t);
    vstore16(v1, 1, t);
    for (int c = 0; c < cols; c++)
        dst[c] = t[c];
}

/* acc[r] += A(r, s) * B(s) for s in [0, steps): A(r, s) = a[r][s * lda]
 * (masked: 0 where valid[r] is 0), B(s) the 32 floats at b + s * ldb. For
 * the kernel gradient, whose B is dy: with relu, B(s) is dy where the
 * forward output y (at y + s * ldb) is positive, else 0 (the gradient
 * through the activation, dz), which `store` writes to dz + s * ldb; with
 * sum_b, bsum += B(s) (the bias gradient). The flags are constants at each
 * call site, so each call is its own loop. */
INLINE void tile_steps_dw(float16 acc[TM][2], __global const float *const a[TM], const int lda, const int *valid,
                          const int masked, __global const float *b, const int ldb, const int width, const int cols,
                          const int steps, const int relu, __global const float *y, const int store,
                          __global float *dz, const int sum_b, float16 bsum[2])
{
    for (int s = 0; s < steps; s++, b += ldb) {
        float16 b0, b1;
        load_b(b, width, cols, &b0, &b1);
        if (relu) {
            float16 y0, y1;
            load_b(y, width, cols, &y0, &y1);
            b0 = select(b0, (float16)0.0f, y0 <= (float16)0.0f);
            b1 = select(b1, (float16)0.0f, y1 <= (float16)0.0f);
            y += ldb;
        }
        if (store) {
            store_row(b0, b1, dz, cols);
            dz += ldb;
        }
        if (sum_b) {
            bsum[0] += b0;
            bsum[1] += b1;
        }
        _Pragma("unroll") for (int r = 0; r < TM; r++)
        {
            const float v = a[r][s * lda];
            const float16 av = (float16)(masked ? (valid[r] ? v : 0.0f) : v);
            acc[r][0] = fma(av, b0, acc[r][0]);
            if (width != 16) /* the second half is zero */
                acc[r][1] = fma(av, b1, acc[r][1]);
        }
    }
}

INLINE void tile_steps(float16 acc[TM][2], __global const float *const a[TM], const int lda, const int *valid,
                       const int masked, __global const float *b, const int ldb, const int width, const int cols,
                       const int steps)
{
    tile_steps_dw(acc, a, lda, valid, masked, b, ldb, width, cols, steps, 0, 0, 0, 0, 0, 0);
}

/* relu when asked, as act_apply in cl/activations.cl: x < 0 ? 0 : x. */
INLINE float16 finish(const float16 v, const int relu)
{
    return relu ? select(v, (float16)0.0f, v < (float16)0.0f) : v; /* NaN passes */
}

/* dst[r][0..cols) = finish(acc[r] + (b0, b1)) for the first `rows` rows. */
INLINE void tile_store_rows(float16 acc[TM][2], const float16 b0, const float16 b1, const int relu,
                            __global float *const dst[TM], const int rows, const int cols)
{
    _Pragma("unroll") for (int r = 0; r < TM; r++)
    {
        if (r < rows)
            store_row(finish(acc[r][0] + b0, relu), finish(acc[r][1] + b1, relu), dst[r], cols);
    }
}
