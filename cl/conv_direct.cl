/* The direct algorithm: no workspace; each work-item computes a small block
 * of outputs (channels x pixels) with vector accumulators. */

/* The direct kernels give each work-item `per_item` consecutive channels
 * (CPUs: all of them, GPUs: 1) and walk them 16 at a time (CH_STEP) with
 * floatv accumulators (cl/common.cl), then one at a time: explicit vector accumulators are how a
 * compiler without fast-math may vectorize a sum. */

/* Direct forward. Each work-item computes FW_PIXELS neighbouring outputs of
 * one output row (so each kernel vector it loads feeds FW_PIXELS
 * accumulators) for `per_item` channels; global
 * (ceil(Cout / per_item), images*OH*ceil(OW / FW_PIXELS)):
 * y[row][co] = bias[co] + sum over (ky, kx, ci) of x[img][iy][ix][ci] * w[ky][kx][ci][co].
 * Taps in the padding read a valid element and multiply it by 0; pixels
 * past the row's end are computed from valid elements and not stored. */
#define FW_PIXELS 4

/* For tap kx of the block starting at output column ox0: each pixel's input
 * offset within the image row (column clamped into the image, times Cin) and
 * mask (1 inside the image, 0 in the padding). */
void block_taps(conv_geometry g, int ox0, int kx, int *ix, float *m)
{
    for (int p = 0; p < FW_PIXELS; p++) {
        const int i = (ox0 + p) * g.sw - g.pad_left + kx;
        m[p] = (i >= 0 && i < g.w) ? 1.0f : 0.0f;
        ix[p] = clamp(i, 0, g.w - 1) * g.cin;
    }
}

/* The body of conv2d_forward_direct for channels co.. as K accumulators of
 * type T per pixel: CH_STEP channels at a time as CH_VECTORS floatv, or one
 * channel as one float; LOAD(p, h) reads the h-th T at p and STORE(v, h, p)
 * writes it. The step stays 16 channels whatever the vector width: each
 * input value loaded then feeds 16 channels of 4 pixels (8 float8
 * accumulators on AVX2; one float8 step took 1.6-3.5x as long). */
#define CH_STEP 16
#define CH_VECTORS (CH_STEP / CT_VW)
#define CH_LOADV(p, h) VLOADV((h), (p))
#define CH_STOREV(v, h, p) VSTOREV((v), (h), (p))
#define CH_LOAD1(p, h) ((p)[h])
#define CH_STORE1(v, h, p) ((p)[h] = (v))
#define FW_CHANNELS(T, K, LOAD, STORE)                                                                          \
    {                                                                                                           \
        T a0[K], a1[K], a2[K], a3[K];                                                                           \
        _Pragma("unroll") for (int h = 0; h < K; h++)                                                           \
        {                                                                                                       \
            const T b = has_bias ? LOAD(bias + bias_off + co, h) : (T)(0.0f);                                   \
            a0[h] = a1[h] = a2[h] = a3[h] = b;                                                                  \
        }                                                                                                       \
        for (int ky = kys.x; ky < kys.y; ky++) {                                                                \
            __global const float *xrow = ximg + (size_t)(oy * g.sh - g.pad_top + ky) * g.w * g.cin;            \
            for (int kx = 0; kx < g.kw; kx++) {                                                                 \
                int ix[FW_PIXELS];                                                                              \
                float m[FW_PIXELS];                                                                             \
                block_taps(g, ox0, kx, ix, m);                                                                  \
                __global const float *wp = w + w_off + (size_t)(ky * g.kw + kx) * g.cin * g.cout + co;          \
                for (int ci = 0; ci < g.cin; ci++) {                                                            \
                    const float x0 = m[0] * xrow[ix[0] + ci], x1 = m[1] * xrow[ix[1] + ci],                     \
                                x2 = m[2] * xrow[ix[2] + ci], x3 = m[3] * xrow[ix[3] + ci];                     \
                    _Pragma("unroll") for (int h = 0; h < K; h++)                                               \
                    {                                                                                           \
                        const T wv = LOAD(wp + (size_t)ci * g.cout, h);                                         \
                        a0[h] += x0 * wv;                                                                       \
                        a1[h] += x1 * wv;                                                                       \
                        a2[h] += x2 * wv;                                                                       \
                        a3[h] += x3 * wv;                                                                       \
                    }                                                                                           \
                }                                                                                               \
            }                                                                                                   \
        }                                                                                                       \
        __global float *out = y + y_off + row0 * g.cout + co;                                                   \
        _Pragma("unroll") for (int h = 0; h < K; h++)                                                           \
        {                                                                                                       \
            STORE(a0[h], h, out);                                                                               \
            if (n > 1) STORE(a1[h], h, out + g.cout);                                                           \
            if (n > 2) STORE(a2[h], h, out + 2 * g.cout);                                                       \
            if (n > 3) STORE(a3[h], h, out + 3 * g.cout);                                                       \
        }                                                                                                       \
    }

__kernel void conv2d_forward_direct(conv_geometry g, int per_item, __global const float *x, ulong x_off,
                                    __global const float *w, ulong w_off, __global const float *bias,
                                    ulong bias_off, int has_bias, __global float *y, ulong y_off)
{
    const int blocks = (g.ow + FW_PIXELS - 1) / FW_PIXELS;
    const int c0 = (int)get_global_id(0) * per_item;
    const int pb = (int)get_global_id(1);
    if (c0 >= g.cout || pb >= g.images * g.oh * blocks)
        return;
    const int c1 = min(c0 + per_item, g.cout);
    const int ox0 = (pb % blocks) * FW_PIXELS, oy = (pb / blocks) % g.oh, img = pb / (blocks * g.oh);
    const int2 kys = valid_taps(oy, g.sh, g.pad_top, g.kh, g.h);
    __global const float *ximg = x + x_off + (size_t)img * g.h * g.w * g.cin;
    const size_t row0 = ((size_t)img * g.oh + oy) * g.ow + ox0;
    const int n = min(FW_PIXELS, g.ow - ox0); /* pixels of this block inside the row */
    int co = c0;
    for (; co + CH_STEP <= c1; co += CH_STEP)
        FW_CHANNELS(floatv, CH_VECTORS, CH_LOADV, CH_STOREV)
    for (; co < c1; co++)
        FW_CHANNELS(float, 1, CH_LOAD1, CH_STORE1)
}

/* The sum of v's lanes, halving: (lo + hi) until one lane is left. */
inline float lanes_total(floatv v)
{
#if CT_VW == 16
    const float8 a = v.lo + v.hi;
#else
    const floatv a = v;
#endif
#if CT_VW >= 8
    const float4 b = a.lo + a.hi;
#else
    const float4 b = a;
#endif
    const float2 c = b.lo + b.hi;
    return c.x + c.y;
}

/* The sum of CH_VECTORS vectors' lanes: lanes_total of their sum. */
inline float vectors_total(const floatv v[CH_VECTORS])
{
    floatv s = v[0];
    _Pragma("unroll") for (int h = 1; h < CH_VECTORS; h++) s += v[h];
    return lanes_total(s);
}

/* Direct input gradient. Each work-item owns `per_item` channels of one input
 * pixel and walks them in blocks of DX_BLOCK, so every dy vector it loads
 * feeds DX_BLOCK accumulators; lanes are summed once at the end. Global
 * (ceil(Cin / per_item), images*H*W):
 * dx[img][iy][ix][ci] = sum over (ky, kx, co) of dy[row(oy, ox)][co] * w[ky][kx][ci][co].
 * Block members past the work-item's channels repeat a valid one, unstored. */
#define DX_BLOCK 4
__kernel void conv2d_dx_direct(conv_geometry g, int per_item, __global const float *dy, ulong dy_off,
                               __global const float *w, ulong w_off, __global float *dx, ulong dx_off)
{
    CT_PIXEL_CHANNELS(c0, c1, pixel, g.cin, g.images * g.h * g.w, per_item)
    CT_PIXEL_YX(pixel, g.h, g.w, img, iy, ix)
    __global float *out = dx + dx_off + (size_t)pixel * g.cin;
    for (int ci = c0; ci < c1; ci += DX_BLOCK) {
        const int n = min(DX_BLOCK, c1 - ci);
        const int o1 = min(1, n - 1) * g.cout, o2 = min(2, n - 1) * g.cout, o3 = min(3, n - 1) * g.cout;
        floatv v0[CH_VECTORS], v1[CH_VECTORS], v2[CH_VECTORS], v3[CH_VECTORS];
        _Pragma("unroll") for (int h = 0; h < CH_VECTORS; h++) v0[h] = v1[h] = v2[h] = v3[h] = (floatv)(0.0f);
        float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;
        CT_FOR_COVERING_TAPS(g, iy, ix, {
            __global const float *dyp = dy + dy_off + ((size_t)(img * g.oh + oy) * g.ow + ox) * g.cout;
            __global const float *wp = w + w_off + ((size_t)(ky * g.kw + kx) * g.cin + ci) * g.cout;
            int co = 0;
            for (; co + CH_STEP <= g.cout; co += CH_STEP) {
                _Pragma("unroll") for (int h = 0; h < CH_VECTORS; h++)
                {
                    const floatv d = VLOADV(h, dyp + co);
                    v0[h] += d * VLOADV(h, wp + co);
                    v1[h] += d * VLOADV(h, wp + o1 + co);
                    v2[h] += d * VLOADV(h, wp + o2 + co);
                    v3[h] += d * VLOADV(h, wp + o3 + co);
                }
            }
            for (; co < g.cout; co++) {
                const float d = dyp[co];
                s0 += d * wp[co];
                s1 += d * wp[o1 + co];
                s2 += d * wp[o2 + co];
                s3 += d * wp[o3 + co];
            }
        })
        out[ci] = vectors_total(v0) + s0;
        if (n > 1) out[ci + 1] = vectors_total(v1) + s1;
        if (n > 2) out[ci + 2] = vectors_total(v2) + s2;
        if (n > 3) out[ci + 3] = vectors_total(v3) + s3;
    }
}

/* Direct kernel gradient. Each work-item owns 4 consecutive input channels
 * (a "channel block") of one kernel tap (ky, kx), so every dy vector it
 * loads feeds 4 accumulators; global (ceil(Cout / per_item), KH*KW*blocks):
 * dw[ky][kx][ci][co] = sum over (img, oy, ox) of x[img][iy][ix][ci] * dy[row][co].
 * A block past the last channel reads a valid channel and is not stored. */
#define DW_BLOCK 4
/* The body of conv2d_dw_direct for channels co.. as K accumulators of type T
 * per input channel (as FW_CHANNELS). */
#define DW_CHANNELS(T, K, LOAD, STORE)                                                                          \
    {                                                                                                           \
        T a0[K], a1[K], a2[K], a3[K];                                                                           \
        _Pragma("unroll") for (int h = 0; h < K; h++) a0[h] = a1[h] = a2[h] = a3[h] = (T)(0.0f);               \
        for (int img = 0; img < g.images; img++)                                                                \
            for (int oy = ys.x; oy < ys.y; oy++) {                                                              \
                const int iy = oy * g.sh - g.pad_top + ky;                                                      \
                __global const float *xrow = x + x_off + (((size_t)img * g.h + iy) * g.w) * g.cin + ci0;        \
                __global const float *dyrow = dy + dy_off + (((size_t)img * g.oh + oy) * g.ow) * g.cout + co;   \
                for (int ox = xs.x; ox < xs.y; ox++) {                                                          \
                    __global const float *xp = xrow + (size_t)(ox * g.sw - g.pad_left + kx) * g.cin;            \
                    const float x0 = xp[0], x1 = xp[o1], x2 = xp[o2], x3 = xp[o3];                              \
                    _Pragma("unroll") for (int h = 0; h < K; h++)                                               \
                    {                                                                                           \
                        const T d = LOAD(dyrow + (size_t)ox * g.cout, h);                                       \
                        a0[h] += x0 * d;                                                                        \
                        a1[h] += x1 * d;                                                                        \
                        a2[h] += x2 * d;                                                                        \
                        a3[h] += x3 * d;                                                                        \
                    }                                                                                           \
                }                                                                                               \
            }                                                                                                   \
        _Pragma("unroll") for (int h = 0; h < K; h++)                                                           \
        {                                                                                                       \
            STORE(a0[h], h, out + co);                                                                          \
            if (n > 1) STORE(a1[h], h, out + g.cout + co);                                                      \
            if (n > 2) STORE(a2[h], h, out + 2 * g.cout + co);                                                  \
            if (n > 3) STORE(a3[h], h, out + 3 * g.cout + co);                                                  \
        }                                                                                                       \
    }

__kernel void conv2d_dw_direct(conv_geometry g, int per_item, __global const float *x, ulong x_off,
                               __global const float *dy, ulong dy_off, __global float *dw, ulong dw_off)
{
    const int blocks = (g.cin + DW_BLOCK - 1) / DW_BLOCK;
    const int c0 = (int)get_global_id(0) * per_item;
    const int kb = (int)get_global_id(1);
    if (c0 >= g.cout || kb >= g.kh * g.kw * blocks)
        return;
    const int c1 = min(c0 + per_item, g.cout);
    const int ci0 = (kb % blocks) * DW_BLOCK, tap = kb / blocks;
    const int kx = tap % g.kw, ky = tap / g.kw;
    const int n = min(DW_BLOCK, g.cin - ci0);
    const int o1 = min(1, n - 1), o2 = min(2, n - 1), o3 = min(3, n - 1); /* clamped channel offsets */
    const int2 ys = valid_outputs(ky, g.sh, g.pad_top, g.h, g.oh);
    const int2 xs = valid_outputs(kx, g.sw, g.pad_left, g.w, g.ow);
    __global float *out = dw + dw_off + ((size_t)tap * g.cin + ci0) * g.cout;
    int co = c0;
    for (; co + CH_STEP <= c1; co += CH_STEP)
        DW_CHANNELS(floatv, CH_VECTORS, CH_LOADV, CH_STOREV)
    for (; co < c1; co++)
        DW_CHANNELS(float, 1, CH_LOAD1, CH_STORE1)
}
