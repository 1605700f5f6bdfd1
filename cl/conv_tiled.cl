/* The tiled algorithm (CPUs): the kernels over the register tile of
 * conv_tile.cl. */

/* Tiled forward: rows are output pixels, the reduction runs over the
 * patch (ky, kx, ci), B is the kernel seen as a K x Cout matrix. A tile is
 * TM consecutive output pixels (flattened over images and rows, so every
 * tile but the last is full) x TN output channels. For one ky a pixel's
 * patch row (kx, ci) is one contiguous stretch of the input row, as is the
 * kernel's: when every pixel's stretch lies inside the image the tile takes
 * one unmasked loop of KW*Cin steps; otherwise (padding) one loop per kx.
 * A pixel's stretch or tap in the padding reads from `zeros` (KW*Cin zero
 * floats) when the host provides them (has_zeros), so that every loop is
 * the unmasked one; without, those loops mask each value. `width` (constant
 * per call): TN for full channel panels, HALF_TN for a last panel of that
 * many channels, 0 for any other partial one. */
INLINE void forward_tile(const conv_geometry g, const int width, const int t, const int j0, const int cols,
                         __global const float *x, __global const float *w, __global const float *bias,
                         const int has_bias, const int relu, __global const float *zeros, const int has_zeros,
                         __global float *y)
{
    const int pixels = g.images * g.oh * g.ow, p0 = t * TM, rows = min(TM, pixels - p0);
    const int run = g.kw * g.cin;
    int iy0[TM], ix0[TM];
    __global const float *img[TM];
    __global float *dst[TM];
    floatv acc[TM][NV];
    tile_clear(acc);
    /* Pixel coordinates: divisions for the first, then counting (rows past
     * the end repeat the last pixel and are not stored). */
    int ox = p0 % g.ow, oy = (p0 / g.ow) % g.oh, n = p0 / (g.ow * g.oh);
    _Pragma("unroll") for (int r = 0; r < TM; r++)
    {
        iy0[r] = oy * g.sh - g.pad_top;
        ix0[r] = ox * g.sw - g.pad_left;
        img[r] = x + (size_t)n * g.h * g.w * g.cin;
        dst[r] = y + (size_t)min(p0 + r, pixels - 1) * g.cout + j0;
        if (r + 1 < rows && ++ox == g.ow) {
            ox = 0;
            if (++oy == g.oh) {
                oy = 0;
                n++;
            }
        }
    }
    for (int ky = 0; ky < g.kh; ky++) {
        __global const float *wk = w + (size_t)ky * run * g.cout;
        __global const float *a[TM];
        int valid[TM], all = 1;
        _Pragma("unroll") for (int r = 0; r < TM; r++)
        {
            const int iy = iy0[r] + ky, row_out = iy < 0 || iy >= g.h;
            const int inside = !row_out && ix0[r] >= 0 && ix0[r] + g.kw <= g.w;
            all &= inside || (row_out && has_zeros);
            a[r] = inside ? img[r] + ((size_t)iy * g.w + ix0[r]) * g.cin : zeros;
        }
        if (all) {
            tile_steps(acc, a, 1, valid, 0, wk, g.cout, width, cols, run);
            continue;
        }
        for (int kx = 0; kx < g.kw; kx++) {
            int all_kx = 1, any_kx = 0;
            _Pragma("unroll") for (int r = 0; r < TM; r++)
            {
                const int iy = iy0[r] + ky, ix = ix0[r] + kx;
                valid[r] = iy >= 0 && iy < g.h && ix >= 0 && ix < g.w;
                all_kx &= valid[r] || has_zeros;
                any_kx |= valid[r];
                a[r] = valid[r] || !has_zeros
                           ? img[r] + ((size_t)clamp(iy, 0, g.h - 1) * g.w + clamp(ix, 0, g.w - 1)) * g.cin
                           : zeros;
            }
            __global const float *wx = wk + (size_t)kx * g.cin * g.cout;
            if (all_kx && any_kx)
                tile_steps(acc, a, 1, valid, 0, wx, g.cout, width, cols, g.cin);
            else if (any_kx)
                tile_steps(acc, a, 1, valid, 1, wx, g.cout, width, cols, g.cin);
        }
    }
    /* The bias is added last: kept in registers through the loops, it
     * would push accumulators out of them. */
    floatv bv[NV];
    load_b(bias + j0, 0, has_bias ? cols : 0, bv);
    tile_store_rows(acc, bv, relu, dst, rows, cols);
}

/* Global (panels, items): item i of panel q computes pixel tiles
 * [i * per_item, (i + 1) * per_item) of channel panel first_panel + q.
 * conv2d_forward_tile takes the full panels, conv2d_forward_tile_edge the
 * last, partial one (Cout not a multiple of TN; HALF_TN channels as a
 * half tile, other counts element by element). */
#define FORWARD_TILE_KERNEL(NAME, WIDTH)                                                                          \
    __kernel __attribute__((reqd_work_group_size(1, 1, 1))) void NAME(                                             \
        conv_geometry g, int per_item, int first_panel, __global const float *x, ulong x_off,                     \
        __global const float *w, ulong w_off, __global const float *bias, ulong bias_off, int has_bias, int relu,  \
        __global const float *zeros, ulong zeros_off, int has_zeros, __global float *y, ulong y_off)              \
    {                                                                                                              \
        const int j0 = (first_panel + (int)get_global_id(0)) * TN, cols = min(TN, g.cout - j0);                  \
        const int tiles = (g.images * g.oh * g.ow + TM - 1) / TM;                                                  \
        const int t0 = (int)get_global_id(1) * per_item, t1 = min(t0 + per_item, tiles);                           \
        for (int t = t0; t < t1; t++) {                                                                            \
            if (WIDTH == TN || !IS_HALF(cols))                                                                     \
                forward_tile(g, WIDTH, t, j0, cols, x + x_off, w + w_off + j0, bias + bias_off, has_bias, relu,     \
                             zeros + zeros_off, has_zeros, y + y_off);                                             \
            else                                                                                                   \
                forward_tile(g, HALF_TN, t, j0, cols, x + x_off, w + w_off + j0, bias + bias_off, has_bias, relu,        \
                             zeros + zeros_off, has_zeros, y + y_off);                                             \
        }                                                                                                          \
    }
FORWARD_TILE_KERNEL(conv2d_forward_tile, TN)
FORWARD_TILE_KERNEL(conv2d_forward_tile_edge, 0)

/* Tiled forward for a small patch (KH*KW*Cin at most SMALL_PATCH, such as
 * a first layer on RGB images: 3x3x3 = 27): one loop over the whole patch,
 * the input offset of each patch element from a table the work-item fills
 * once, instead of one loop per kernel row, whose KW*Cin steps (9 for
 * 3x3x3) cost less than entering and leaving the loop. Pixel coordinates
 * are counted on from tile to tile. A tile with a window reaching into the
 * padding takes forward_tile. */
#define SMALL_PATCH 64
INLINE void forward_tile_small(const conv_geometry g, const int width, const int t, const int n0, const int oy0,
                               const int ox0, const int j0, const int cols, const int *offs,
                               const floatv bias_v[NV], __global const float *x, __global const float *w,
                               __global const float *bias, const int has_bias, const int relu,
                               __global const float *zeros, const int has_zeros, __global float *y)
{
    const int pixels = g.images * g.oh * g.ow, p0 = t * TM, rows = min(TM, pixels - p0), patch = PATCH_K(g);
    __global const float *a[TM];
    __global float *dst[TM];
    int n = n0, oy = oy0, ox = ox0, inside = 1;
    _Pragma("unroll") for (int r = 0; r < TM; r++)
    {
        const int iy = oy * g.sh - g.pad_top, ix = ox * g.sw - g.pad_left;
        inside &= iy >= 0 && iy + g.kh <= g.h && ix >= 0 && ix + g.kw <= g.w;
        a[r] = x + (((long)n * g.h + iy) * g.w + ix) * g.cin; /* read only when inside */
        dst[r] = y + (size_t)min(p0 + r, pixels - 1) * g.cout + j0;
        if (r + 1 < rows && ++ox == g.ow) { /* rows past the end repeat the last pixel, unstored */
            ox = 0;
            if (++oy == g.oh) {
                oy = 0;
                n++;
            }
        }
    }
    if (!inside) {
        forward_tile(g, width, t, j0, cols, x, w, bias, has_bias, relu, zeros, has_zeros, y);
        return;
    }
    floatv acc[TM][NV];
    tile_clear(acc);
    const int used = IS_HALF(width) ? HALF_NV : NV; /* a half tile's second half is zero */
    for (int s = 0; s < patch; s++) {
        floatv bv[NV];
        load_b(w + (size_t)s * g.cout, width, cols, bv);
        const int o = offs[s];
        _Pragma("unroll") for (int r = 0; r < TM; r++)
        {
            const floatv av = (floatv)a[r][o];
            _Pragma("unroll") for (int h = 0; h < NV; h++)
            {
                if (h < used)
                    acc[r][h] = fma(av, bv[h], acc[r][h]);
            }
        }
    }
    tile_store_rows(acc, bias_v, relu, dst, rows, cols);
}

/* As FORWARD_TILE_KERNEL, for a patch of at most SMALL_PATCH elements. */
#define FORWARD_TILE_SMALL_KERNEL(NAME, WIDTH)                                                                    \
    __kernel __attribute__((reqd_work_group_size(1, 1, 1))) void NAME(                                             \
        conv_geometry g, int per_item, int first_panel, __global const float *x, ulong x_off,                     \
        __global const float *w, ulong w_off, __global const float *bias, ulong bias_off, int has_bias, int relu,  \
        __global const float *zeros, ulong zeros_off, int has_zeros, __global float *y, ulong y_off)              \
    {                                                                                                              \
        const int j0 = (first_panel + (int)get_global_id(0)) * TN, cols = min(TN, g.cout - j0);                  \
        const int tiles = (g.images * g.oh * g.ow + TM - 1) / TM;                                                  \
        const int t0 = (int)get_global_id(1) * per_item, t1 = min(t0 + per_item, tiles);                           \
        int offs[SMALL_PATCH], s = 0;                                                                              \
        for (int ky = 0; ky < g.kh; ky++)                                                                          \
            for (int kx = 0; kx < g.kw; kx++)                                                                      \
                for (int ci = 0; ci < g.cin && s < SMALL_PATCH; ci++)                                              \
                    offs[s++] = (ky * g.w + kx) * g.cin + ci;                                                      \
        const int p0 = t0 * TM;                                                                                    \
        int ox = p0 % g.ow, oy = (p0 / g.ow) % g.oh, n = p0 / (g.ow * g.oh);                                       \
        const int halved = WIDTH != TN && IS_HALF(cols);                                                           \
        floatv bias_v[NV]; /* loaded once, not per tile */                                                         \
        load_b(bias + bias_off + j0, 0, has_bias ? cols : 0, bias_v);                                              \
        for (int t = t0; t < t1; t++) {                                                                            \
            if (halved)                                                                                            \
                forward_tile_small(g, HALF_TN, t, n, oy, ox, j0, cols, offs, bias_v, x + x_off, w + w_off + j0,     \
                                   bias + bias_off, has_bias, relu, zeros + zeros_off, has_zeros, y + y_off);      \
            else                                                                                                   \
                forward_tile_small(g, WIDTH, t, n, oy, ox, j0, cols, offs, bias_v, x + x_off, w + w_off + j0,       \
                                   bias + bias_off, has_bias, relu, zeros + zeros_off, has_zeros, y + y_off);      \
            for (ox += TM; ox >= g.ow;) {                                                                          \
                ox -= g.ow;                                                                                        \
                if (++oy == g.oh) {                                                                                \
                    oy = 0;                                                                                        \
                    n++;                                                                                           \
                }                                                                                                  \
            }                                                                                                      \
        }                                                                                                          \
    }
FORWARD_TILE_SMALL_KERNEL(conv2d_forward_tile_small, TN)
FORWARD_TILE_SMALL_KERNEL(conv2d_forward_tile_small_edge, 0)

/* wt[ky][kx][co][ci] = w[KH-1-ky][KW-1-kx][ci][co]: the kernel that turns
 * the input gradient of a stride-1 convolution into a forward one (see
 * dx_tiled in src/ops/conv_tiled.c), followed by KW*Cout zeros for the padding
 * that forward pass reads. One work-item per element. */
__kernel void conv2d_flip_transpose(conv_geometry g, __global const float *w, ulong w_off, __global float *wt,
                                    ulong wt_off)
{
    const size_t count = (size_t)g.kh * g.kw * g.cin * g.cout;
    CT_GID_OR_RETURN(i, count + (size_t)g.kw * g.cout)
    if (i >= count) {
        wt[wt_off + i] = 0.0f;
        return;
    }
    const int ci = (int)(i % g.cin), co = (int)(i / g.cin % g.cout), tap = (int)(i / ((size_t)g.cin * g.cout));
    const int flipped = g.kh * g.kw - 1 - tap; /* (KH-1-ky, KW-1-kx) */
    wt[wt_off + i] = w[w_off + ((size_t)flipped * g.cin + ci) * g.cout + co];
}

/* Tiled kernel gradient: rows are patch elements e = (ky, kx, ci), the
 * reduction runs over output pixels, B is dz (pixels x Cout):
 * dw[e][co] = sum over pixels p of x[p's input at tap (ky, kx)][ci] * dz[p][co],
 * and the bias gradient db[co] = sum over p of dz[p][co], which the tile of
 * the first elements (`first`) adds up before its products. With relu (a
 * constant per kernel), dz = dy where the forward output y is positive,
 * else 0: the first tile forms it from dy and y and writes it out (for the
 * input gradient, and for its own products); otherwise dz is dy.
 * A tile is TM consecutive patch elements x TN output channels over a
 * range of output rows (img, oy) (split-K: the ranges' partial tiles go to
 * `part`, summed by conv2d_sum_parts). Along an output row the tile's TM
 * inputs move together, sw*Cin floats per pixel: the pixels where all of
 * them lie inside the image (every pixel with 'valid' padding) run in one
 * unmasked loop per row, rows after rows with the accumulators in
 * registers; the pixels with a tap in the padding follow, masked. dy, y and
 * dz start at the panel's first channel; dst is the K x Cout result (or a
 * partial one), db_dst the bias gradient's (or its partial). */

/* The first tile's pass before its products: dz (relu) and the bias
 * gradient over output rows [r0, r1). */
INLINE void dw_first_pass(const conv_geometry g, const int width, const int relu, const int cols, const int r0,
                          const int r1, __global const float *dy, __global const float *y, __global float *dz,
                          __global float *db_dst)
{
    floatv bsum[NV];
    _Pragma("unroll") for (int h = 0; h < NV; h++) bsum[h] = (floatv)0.0f;
    const size_t first = (size_t)r0 * g.ow * g.cout, end = (size_t)r1 * g.ow * g.cout;
    for (size_t o = first; o < end; o += g.cout) {
        floatv bv[NV];
        load_b(dy + o, width, cols, bv);
        if (relu) {
            floatv yv[NV];
            load_b(y + o, width, cols, yv);
            _Pragma("unroll") for (int h = 0; h < NV; h++) bv[h] = select(bv[h], (floatv)0.0f, yv[h] <= (floatv)0.0f);
            store_row(bv, dz + o, cols);
        }
        _Pragma("unroll") for (int h = 0; h < NV; h++) bsum[h] += bv[h];
    }
    if (db_dst)
        store_row(bsum, db_dst, cols);
}

INLINE void dw_tile(const conv_geometry g, const int width, const int e0, const int cols, const int r0,
                    const int r1, __global const float *x, __global const float *b_src, __global float *dst)
{
    const int patch = g.kh * g.kw * g.cin, rows = min(TM, patch - e0), step = g.sw * g.cin;
    int off[TM], tky[TM], tkx[TM], lo = 0, hi = g.ow, ky_lo = g.kh, ky_hi = 0;
    floatv acc[TM][NV], zero[NV];
    _Pragma("unroll") for (int h = 0; h < NV; h++) zero[h] = (floatv)0.0f;
    _Pragma("unroll") for (int r = 0; r < TM; r++)
    {
        const int e = min(e0 + r, patch - 1); /* rows past the end repeat the last element, unstored */
        const int ci = e % g.cin, kx = (e / g.cin) % g.kw, ky = e / (g.cin * g.kw);
        tky[r] = ky;
        tkx[r] = kx;
        off[r] = (ky * g.w + kx) * g.cin + ci;
        ky_lo = min(ky_lo, ky);
        ky_hi = max(ky_hi, ky);
        const int2 xs = valid_outputs(kx, g.sw, g.pad_left, g.w, g.ow);
        lo = max(lo, xs.x);
        hi = min(hi, xs.y);
    }
    hi = max(lo, hi);
    tile_clear(acc);
    /* The unmasked pixels [lo, hi) of the rows whose taps all lie inside
     * the image vertically. */
    if (lo < hi) {
        int oy = r0 % g.oh, n = r0 / g.oh;
        int valid[TM];
        for (int row = r0; row < r1; row++) {
            const int iy0 = oy * g.sh - g.pad_top;
            if (iy0 + ky_lo >= 0 && iy0 + ky_hi < g.h) {
                /* iy0 < 0 (padding above) when the tile's taps start below ky = 0 */
                __global const float *base =
                    x + ((long)n * g.h * g.w + (long)iy0 * g.w + lo * g.sw - g.pad_left) * g.cin;
                __global const float *ap[TM];
                _Pragma("unroll") for (int r = 0; r < TM; r++) ap[r] = base + off[r];
                tile_steps(acc, ap, step, valid, 0, b_src + ((size_t)row * g.ow + lo) * g.cout, g.cout, width, cols,
                           hi - lo);
            }
            if (++oy == g.oh) {
                oy = 0;
                n++;
            }
        }
    }
    /* The rest, pixel by pixel, masked: columns outside [lo, hi), and
     * every column of a row with a tap above or below the image. */
    const int top = g.pad_top > 0, bottom = (g.oh - 1) * g.sh - g.pad_top + g.kh > g.h;
    if (lo > 0 || hi < g.ow || top || bottom) {
        for (int row = r0; row < r1; row++) {
            const int oy = row % g.oh, n = row / g.oh, iy0 = oy * g.sh - g.pad_top;
            const int inside = iy0 + ky_lo >= 0 && iy0 + ky_hi < g.h;
            const int a = inside ? lo : g.ow, b = inside ? hi : g.ow; /* the pixels done above */
            __global const float *ximg = x + (size_t)n * g.h * g.w * g.cin;
            for (int ox = 0; ox < g.ow; ox++) {
                if (ox == a)
                    ox = b;
                if (ox >= g.ow)
                    break;
                __global const float *ap[TM];
                int valid[TM];
                _Pragma("unroll") for (int r = 0; r < TM; r++)
                {
                    const int iy = iy0 + tky[r], ix = ox * g.sw - g.pad_left + tkx[r];
                    valid[r] = iy >= 0 && iy < g.h && ix >= 0 && ix < g.w;
                    ap[r] = ximg + ((size_t)clamp(iy, 0, g.h - 1) * g.w + clamp(ix, 0, g.w - 1)) * g.cin +
                            off[r] % g.cin;
                }
                tile_steps(acc, ap, 0, valid, 1, b_src + ((size_t)row * g.ow + ox) * g.cout, g.cout, width, cols, 1);
            }
        }
    }
    __global float *d[TM];
    _Pragma("unroll") for (int r = 0; r < TM; r++)
        d[r] = dst + (size_t)(e0 + r) * g.cout;
    tile_store_rows(acc, zero, 0, d, rows, cols);
}

/* Global (panels, ranges): item (q, range) computes channel panel
 * first_panel + q over output rows [range * rows_per_range, ...), all its
 * element tiles one after another (the first pass's dz is read by the
 * tiles after it), into dw and db (one range) or its range's slice of part:
 * (K + 1) x Cout floats, the kernel gradient's K x Cout, then the bias
 * gradient's Cout. has_db: the bias gradient too. _relu: dy is the gradient
 * of relu's output y, and dz (dy where y > 0) is written out. _edge: the
 * partial last panel (HALF_TN channels as a half tile, other counts
 * element by element). */
#define DW_TILE_KERNEL(NAME, WIDTH, RELU)                                                                         \
    __kernel __attribute__((reqd_work_group_size(1, 1, 1))) void NAME(                                             \
        conv_geometry g, int rows_per_range, int first_panel, __global const float *x, ulong x_off,               \
        __global const float *dy, ulong dy_off, __global const float *y, ulong y_off, __global float *dz,          \
        ulong dz_off, __global float *dw, ulong dw_off, int has_db, __global float *db, ulong db_off,              \
        __global float *part, ulong part_off)                                                                      \
    {                                                                                                              \
        const int j0 = (first_panel + (int)get_global_id(0)) * TN, cols = min(TN, g.cout - j0);                  \
        const int patch = g.kh * g.kw * g.cin, out_rows = g.images * g.oh, range = (int)get_global_id(1);         \
        const int r0 = range * rows_per_range, r1 = min(r0 + rows_per_range, out_rows);                            \
        __global float *slice = part + part_off + (size_t)range * (patch + 1) * g.cout;                           \
        const int whole = rows_per_range >= out_rows, halved = WIDTH != TN && IS_HALF(cols);                     \
        __global float *dst = (whole ? dw + dw_off : slice) + j0;                                                \
        __global float *db_dst = has_db ? (whole ? db + db_off : slice + (size_t)patch * g.cout) + j0 : 0;      \
        __global const float *xs = x + x_off, *dys = dy + dy_off + j0, *ys = y + y_off + j0;                      \
        __global float *dzs = dz + dz_off + j0;                                                                    \
        if (halved && (RELU || has_db))                                                                              \
            dw_first_pass(g, HALF_TN, RELU, cols, r0, r1, dys, ys, dzs, db_dst);                                   \
        else if (RELU || has_db)                                                                                   \
            dw_first_pass(g, WIDTH, RELU, cols, r0, r1, dys, ys, dzs, db_dst);                                     \
        __global const float *b = RELU ? dzs : dys;                                                                \
        for (int e0 = 0; e0 < patch; e0 += TM) {                                                                   \
            if (halved)                                                                                            \
                dw_tile(g, HALF_TN, e0, cols, r0, r1, xs, b, dst);                                                 \
            else                                                                                                   \
                dw_tile(g, WIDTH, e0, cols, r0, r1, xs, b, dst);                                                   \
        }                                                                                                          \
    }
DW_TILE_KERNEL(conv2d_dw_tile, TN, 0)
DW_TILE_KERNEL(conv2d_dw_tile_edge, 0, 0)
DW_TILE_KERNEL(conv2d_dw_tile_relu, TN, 1)
DW_TILE_KERNEL(conv2d_dw_tile_relu_edge, 0, 1)

/* dw[i] (i < count) and, when has_db, db[i - count] (i < count + Cout):
 * the sum over the `ranges` partial results, (count + Cout) floats apart. */
__kernel void conv2d_sum_parts(int count, int cout, int ranges, int has_db, __global const float *part,
                               ulong part_off, __global float *dw, ulong dw_off, __global float *db, ulong db_off)
{
    CT_GID_OR_RETURN(i, (size_t)count + (has_db ? cout : 0))
    float s = 0.0f;
    for (int q = 0; q < ranges; q++)
        s += part[part_off + (size_t)q * (count + cout) + i];
    if (i < (size_t)count)
        dw[dw_off + i] = s;
    else
        db[db_off + i - count] = s;
}
