/* 2-D convolution, NHWC images, Keras kernel layout (KH, KW, Cin, Cout).
 *
 * Three algorithms (src/ops/conv.c chooses, per pass):
 *  - im2col + GEMM: conv2d_im2col writes the (rows x K) patch matrix, rows =
 *    images * OH * OW and K = KH * KW * Cin in (ky, kx, ci) order, so that
 *    patches x kernel (K x Cout) is the NHWC output; conv2d_col2im folds the
 *    patch-matrix gradient back onto the input.
 *  - direct: no workspace; each work-item computes a small block of
 *    outputs (channels x pixels) with vector accumulators.
 *  - tiled (CPUs): each pass as an implicit GEMM in register tiles, the
 *    patch matrix never written (see its section below).
 *  - Winograd F(2x2, 3x3) (CPUs; 3x3 stride-1 forward and input gradient):
 *    2.25x fewer multiplies, in the tiled algorithm's register tile (see
 *    the section at the end).
 * All index with "row" = (image, oy, ox) flattened, the NHWC pixel order.
 * Every gradient kernel gathers (each output element sums its own terms), so
 * nothing needs atomics and results are deterministic. */

/* Host mirror: conv_geometry_cl in src/ops/conv.c (all ints, same order). */
typedef struct {
    int images;            /* images covered by this launch (a chunk of the batch) */
    int h, w, cin;
    int oh, ow, cout;
    int kh, kw, sh, sw;
    int pad_top, pad_left;
    int unused0, unused1, unused2;
} conv_geometry;

#define PATCH_K(g) ((g).kh * (g).kw * (g).cin)

/* col[row][(ky, kx, ci)] = x[img][oy*sh - pad_top + ky][ox*sw - pad_left + kx][ci], 0 in the padding.
 * For one (row, ky) the KW*Cin patch elements come from one contiguous
 * stretch of an input image row. Global (ceil(KW*Cin / per_item), rows*KH):
 * each work-item copies `per_item` consecutive elements of that stretch
 * (GPUs: 1, so neighbours write neighbours; CPUs: the whole stretch, so the
 * per-item index arithmetic is paid once per stretch). int arithmetic:
 * 64-bit division is slow on CPUs. */
__kernel void conv2d_im2col(conv_geometry g, int per_item, __global const float *x, ulong x_off,
                            __global float *col, ulong col_off)
{
    const int run = g.kw * g.cin;
    const int j0 = (int)get_global_id(0) * per_item;
    const int t = (int)get_global_id(1);
    if (j0 >= run || t >= g.images * g.oh * g.ow * g.kh)
        return;
    const int ky = t % g.kh, row = t / g.kh;
    const int ox = row % g.ow, oy = (row / g.ow) % g.oh, img = row / (g.ow * g.oh);
    const int iy = oy * g.sh - g.pad_top + ky;
    const int start = (ox * g.sw - g.pad_left) * g.cin; /* stretch start within the image row (W*Cin floats) */
    const int j1 = min(j0 + per_item, run);
    __global float *dst = col + col_off + (size_t)row * PATCH_K(g) + ky * run;
    if (iy < 0 || iy >= g.h) {
        for (int j = j0; j < j1; j++)
            dst[j] = 0.0f;
        return;
    }
    __global const float *src = x + x_off + ((size_t)img * g.h + iy) * g.w * g.cin + start;
    const int lo = max(j0, -start), hi = min(j1, g.w * g.cin - start); /* the part inside the image */
    for (int j = j0; j < min(lo, j1); j++)
        dst[j] = 0.0f;
    for (int j = lo; j < hi; j++)
        dst[j] = src[j];
    for (int j = max(hi, j0); j < j1; j++)
        dst[j] = 0.0f;
}

/* The output rows (oy or ox) whose window covers input position `pos` at
 * kernel offset `k`: pos = o * stride - pad + k, 0 <= o < out. Returns -1 if none. */
int covering_output(int pos, int k, int stride, int pad, int out)
{
    const int shifted = pos + pad - k;
    if (shifted < 0 || shifted % stride != 0)
        return -1;
    const int o = shifted / stride;
    return o < out ? o : -1;
}

/* dx[img][iy][ix][ci] = sum over (ky, kx) of dcol[row(oy, ox)][(ky, kx, ci)].
 * Global (ceil(Cin / per_item), images*H*W): each work-item sums `per_item`
 * consecutive channels of one input pixel (CPUs: all of them; GPUs: 1). */
__kernel void conv2d_col2im(conv_geometry g, int per_item, __global const float *dcol, ulong dcol_off,
                            __global float *dx, ulong dx_off)
{
    const int c0 = (int)get_global_id(0) * per_item;
    const int pixel = (int)get_global_id(1);
    if (c0 >= g.cin || pixel >= g.images * g.h * g.w)
        return;
    const int c1 = min(c0 + per_item, g.cin);
    const int ix = pixel % g.w, iy = (pixel / g.w) % g.h, img = pixel / (g.w * g.h);
    __global float *out = dx + dx_off + (size_t)pixel * g.cin;
    for (int c = c0; c < c1; c++)
        out[c] = 0.0f;
    for (int ky = 0; ky < g.kh; ky++) {
        const int oy = covering_output(iy, ky, g.sh, g.pad_top, g.oh);
        if (oy < 0)
            continue;
        for (int kx = 0; kx < g.kw; kx++) {
            const int ox = covering_output(ix, kx, g.sw, g.pad_left, g.ow);
            if (ox < 0)
                continue;
            const int row = (img * g.oh + oy) * g.ow + ox;
            __global const float *src = dcol + dcol_off + (size_t)row * PATCH_K(g) + (ky * g.kw + kx) * g.cin;
            for (int c = c0; c < c1; c++)
                out[c] += src[c];
        }
    }
}

/* y[row][co] = bias[co]: the starting value the im2col GEMM accumulates onto (beta = 1). */
__kernel void conv2d_fill_bias(ulong rows, int cout, __global const float *bias, ulong bias_off,
                               __global float *y, ulong y_off)
{
    CT_GID_OR_RETURN(i, rows * cout)
    y[y_off + i] = bias[bias_off + i % cout];
}

/* dbias[co] = sum over rows of dy[row][co]. One work-group per `lanes`
 * consecutive channels (16 on CPUs, read as one float16 per row; 1 on GPUs;
 * never more than 16);
 * its items take rows lid, lid + lsize, ... and a tree in local memory adds
 * their partial sums (get_local_size(0) a power of two). */
__kernel void conv2d_bias_grad(ulong rows, int cout, int lanes, __global const float *dy, ulong dy_off,
                               __global float *db, ulong db_off, __local float16 *scratch)
{
    const int c = (int)get_group_id(0) * lanes;
    const int width = min(lanes, cout - c);
    const size_t lid = get_local_id(0), lsize = get_local_size(0);
    __global const float *col = dy + dy_off + c;
    float16 acc = (float16)(0.0f);
    if (width == 16) {
        for (size_t r = lid; r < rows; r += lsize)
            acc += vload16(0, col + r * cout);
    } else {
        float part[16];
        for (int j = 0; j < 16; j++)
            part[j] = 0.0f;
        for (size_t r = lid; r < rows; r += lsize)
            for (int j = 0; j < width; j++)
                part[j] += col[r * cout + j];
        acc = vload16(0, part);
    }
    scratch[lid] = acc;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (size_t s = lsize / 2; s > 0; s /= 2) {
        if (lid < s)
            scratch[lid] += scratch[lid + s];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (lid == 0) {
        float total[16];
        vstore16(scratch[0], 0, total);
        for (int j = 0; j < width; j++)
            db[db_off + c + j] = total[j];
    }
}

/* First and one-past-last output index o with 0 <= o*stride - pad + k < in. */
int2 valid_outputs(int k, int stride, int pad, int in, int out)
{
    const int lo_num = pad - k; /* o*stride >= pad - k */
    int lo = lo_num <= 0 ? 0 : (lo_num + stride - 1) / stride;
    const int hi_num = in - 1 + pad - k; /* o*stride <= in - 1 + pad - k */
    int hi = hi_num < 0 ? 0 : min(hi_num / stride + 1, out);
    return (int2)(lo, max(lo, hi));
}

/* The direct kernels give each work-item `per_item` consecutive channels
 * (CPUs: all of them, GPUs: 1) and walk them 16 at a time with float16
 * accumulators, then one at a time: explicit vector accumulators are how a
 * compiler without fast-math may vectorize a sum. */

/* Kernel offsets k (along one axis) that land inside the input for output o:
 * [lo, hi) with 0 <= o*stride - pad + k < in. */
int2 valid_taps(int o, int stride, int pad, int size, int in)
{
    const int start = o * stride - pad;
    return (int2)(max(0, -start), min(size, in - start));
}

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
    for (; co + 16 <= c1; co += 16) {
        const float16 b = has_bias ? vload16(0, bias + bias_off + co) : (float16)(0.0f);
        float16 a0 = b, a1 = b, a2 = b, a3 = b;
        for (int ky = kys.x; ky < kys.y; ky++) {
            __global const float *xrow = ximg + (size_t)(oy * g.sh - g.pad_top + ky) * g.w * g.cin;
            for (int kx = 0; kx < g.kw; kx++) {
                int ix[FW_PIXELS];
                float m[FW_PIXELS];
                block_taps(g, ox0, kx, ix, m);
                __global const float *wp = w + w_off + (size_t)(ky * g.kw + kx) * g.cin * g.cout + co;
                for (int ci = 0; ci < g.cin; ci++) {
                    const float16 wv = vload16(0, wp + (size_t)ci * g.cout);
                    a0 += (m[0] * xrow[ix[0] + ci]) * wv;
                    a1 += (m[1] * xrow[ix[1] + ci]) * wv;
                    a2 += (m[2] * xrow[ix[2] + ci]) * wv;
                    a3 += (m[3] * xrow[ix[3] + ci]) * wv;
                }
            }
        }
        __global float *out = y + y_off + row0 * g.cout + co;
        vstore16(a0, 0, out);
        if (n > 1) vstore16(a1, 0, out + g.cout);
        if (n > 2) vstore16(a2, 0, out + 2 * g.cout);
        if (n > 3) vstore16(a3, 0, out + 3 * g.cout);
    }
    for (; co < c1; co++) {
        const float b = has_bias ? bias[bias_off + co] : 0.0f;
        float a0 = b, a1 = b, a2 = b, a3 = b;
        for (int ky = kys.x; ky < kys.y; ky++) {
            __global const float *xrow = ximg + (size_t)(oy * g.sh - g.pad_top + ky) * g.w * g.cin;
            for (int kx = 0; kx < g.kw; kx++) {
                int ix[FW_PIXELS];
                float m[FW_PIXELS];
                block_taps(g, ox0, kx, ix, m);
                __global const float *wp = w + w_off + (size_t)(ky * g.kw + kx) * g.cin * g.cout + co;
                for (int ci = 0; ci < g.cin; ci++) {
                    const float wv = wp[(size_t)ci * g.cout];
                    a0 += (m[0] * xrow[ix[0] + ci]) * wv;
                    a1 += (m[1] * xrow[ix[1] + ci]) * wv;
                    a2 += (m[2] * xrow[ix[2] + ci]) * wv;
                    a3 += (m[3] * xrow[ix[3] + ci]) * wv;
                }
            }
        }
        __global float *out = y + y_off + row0 * g.cout + co;
        out[0] = a0;
        if (n > 1) out[g.cout] = a1;
        if (n > 2) out[2 * g.cout] = a2;
        if (n > 3) out[3 * g.cout] = a3;
    }
}

/* sum of the 16 lanes */
float lane_sum(float16 v)
{
    const float8 a = v.lo + v.hi;
    const float4 b = a.lo + a.hi;
    const float2 c = b.lo + b.hi;
    return c.x + c.y;
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
    const int c0 = (int)get_global_id(0) * per_item;
    const int pixel = (int)get_global_id(1);
    if (c0 >= g.cin || pixel >= g.images * g.h * g.w)
        return;
    const int c1 = min(c0 + per_item, g.cin);
    const int ix = pixel % g.w, iy = (pixel / g.w) % g.h, img = pixel / (g.w * g.h);
    __global float *out = dx + dx_off + (size_t)pixel * g.cin;
    for (int ci = c0; ci < c1; ci += DX_BLOCK) {
        const int n = min(DX_BLOCK, c1 - ci);
        const int o1 = min(1, n - 1) * g.cout, o2 = min(2, n - 1) * g.cout, o3 = min(3, n - 1) * g.cout;
        float16 v0 = (float16)(0.0f), v1 = v0, v2 = v0, v3 = v0;
        float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;
        for (int ky = 0; ky < g.kh; ky++) {
            const int oy = covering_output(iy, ky, g.sh, g.pad_top, g.oh);
            if (oy < 0)
                continue;
            for (int kx = 0; kx < g.kw; kx++) {
                const int ox = covering_output(ix, kx, g.sw, g.pad_left, g.ow);
                if (ox < 0)
                    continue;
                __global const float *dyp = dy + dy_off + ((size_t)(img * g.oh + oy) * g.ow + ox) * g.cout;
                __global const float *wp = w + w_off + ((size_t)(ky * g.kw + kx) * g.cin + ci) * g.cout;
                int co = 0;
                for (; co + 16 <= g.cout; co += 16) {
                    const float16 d = vload16(0, dyp + co);
                    v0 += d * vload16(0, wp + co);
                    v1 += d * vload16(0, wp + o1 + co);
                    v2 += d * vload16(0, wp + o2 + co);
                    v3 += d * vload16(0, wp + o3 + co);
                }
                for (; co < g.cout; co++) {
                    const float d = dyp[co];
                    s0 += d * wp[co];
                    s1 += d * wp[o1 + co];
                    s2 += d * wp[o2 + co];
                    s3 += d * wp[o3 + co];
                }
            }
        }
        out[ci] = lane_sum(v0) + s0;
        if (n > 1) out[ci + 1] = lane_sum(v1) + s1;
        if (n > 2) out[ci + 2] = lane_sum(v2) + s2;
        if (n > 3) out[ci + 3] = lane_sum(v3) + s3;
    }
}

/* Direct kernel gradient. Each work-item owns 4 consecutive input channels
 * (a "channel block") of one kernel tap (ky, kx), so every dy vector it
 * loads feeds 4 accumulators; global (ceil(Cout / per_item), KH*KW*blocks):
 * dw[ky][kx][ci][co] = sum over (img, oy, ox) of x[img][iy][ix][ci] * dy[row][co].
 * A block past the last channel reads a valid channel and is not stored. */
#define DW_BLOCK 4
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
    for (; co + 16 <= c1; co += 16) {
        float16 a0 = (float16)(0.0f), a1 = a0, a2 = a0, a3 = a0;
        for (int img = 0; img < g.images; img++)
            for (int oy = ys.x; oy < ys.y; oy++) {
                const int iy = oy * g.sh - g.pad_top + ky;
                __global const float *xrow = x + x_off + (((size_t)img * g.h + iy) * g.w) * g.cin + ci0;
                __global const float *dyrow = dy + dy_off + (((size_t)img * g.oh + oy) * g.ow) * g.cout + co;
                for (int ox = xs.x; ox < xs.y; ox++) {
                    __global const float *xp = xrow + (size_t)(ox * g.sw - g.pad_left + kx) * g.cin;
                    const float16 d = vload16(0, dyrow + (size_t)ox * g.cout);
                    a0 += xp[0] * d;
                    a1 += xp[o1] * d;
                    a2 += xp[o2] * d;
                    a3 += xp[o3] * d;
                }
            }
        vstore16(a0, 0, out + co);
        if (n > 1) vstore16(a1, 0, out + g.cout + co);
        if (n > 2) vstore16(a2, 0, out + 2 * g.cout + co);
        if (n > 3) vstore16(a3, 0, out + 3 * g.cout + co);
    }
    for (; co < c1; co++) {
        float a0 = 0.0f, a1 = 0.0f, a2 = 0.0f, a3 = 0.0f;
        for (int img = 0; img < g.images; img++)
            for (int oy = ys.x; oy < ys.y; oy++) {
                const int iy = oy * g.sh - g.pad_top + ky;
                __global const float *xrow = x + x_off + (((size_t)img * g.h + iy) * g.w) * g.cin + ci0;
                __global const float *dyrow = dy + dy_off + (((size_t)img * g.oh + oy) * g.ow) * g.cout + co;
                for (int ox = xs.x; ox < xs.y; ox++) {
                    __global const float *xp = xrow + (size_t)(ox * g.sw - g.pad_left + kx) * g.cin;
                    const float d = dyrow[(size_t)ox * g.cout];
                    a0 += xp[0] * d;
                    a1 += xp[o1] * d;
                    a2 += xp[o2] * d;
                    a3 += xp[o3] * d;
                }
            }
        out[co] = a0;
        if (n > 1) out[g.cout + co] = a1;
        if (n > 2) out[2 * g.cout + co] = a2;
        if (n > 3) out[3 * g.cout + co] = a3;
    }
}

/* ------------------------------------------------------------ tiled (CPUs) */

/* The tiled algorithm: each pass as an implicit GEMM whose operand rows are
 * gathered straight from the images (no patch matrix), computed in register
 * tiles of TM rows x TN channels, 24 float16 accumulators: the tile of
 * gemm_tile in cl/gemm.cl, which keeps an AVX-512 core's FMA units busy.
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
            b0 = select((float16)0.0f, b0, y0 > (float16)0.0f);
            b1 = select((float16)0.0f, b1, y1 > (float16)0.0f);
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

/* relu when asked, as act_apply in cl/activations.cl: x > 0 ? x : 0. */
INLINE float16 finish(const float16 v, const int relu)
{
    return relu ? select((float16)0.0f, v, v > (float16)0.0f) : v;
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
 * per call): 32 for full channel panels, 16 for a last panel of 16
 * channels, 0 for any other partial one. */
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
    float16 acc[TM][2];
    /* Pixel coordinates: divisions for the first, then counting (rows past
     * the end repeat the last pixel and are not stored). */
    int ox = p0 % g.ow, oy = (p0 / g.ow) % g.oh, n = p0 / (g.ow * g.oh);
    _Pragma("unroll") for (int r = 0; r < TM; r++)
    {
        iy0[r] = oy * g.sh - g.pad_top;
        ix0[r] = ox * g.sw - g.pad_left;
        img[r] = x + (size_t)n * g.h * g.w * g.cin;
        dst[r] = y + (size_t)min(p0 + r, pixels - 1) * g.cout + j0;
        acc[r][0] = (float16)0.0f;
        acc[r][1] = (float16)0.0f;
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
    float16 b0 = (float16)0.0f, b1 = (float16)0.0f;
    if (has_bias)
        load_b(bias + j0, 0, cols, &b0, &b1);
    tile_store_rows(acc, b0, b1, relu, dst, rows, cols);
}

/* Global (panels, items): item i of panel q computes pixel tiles
 * [i * per_item, (i + 1) * per_item) of channel panel first_panel + q.
 * conv2d_forward_tile takes the full panels, conv2d_forward_tile_edge the
 * last, partial one (Cout not a multiple of TN; 16 channels as a half
 * tile, other counts element by element). */
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
            if (WIDTH == 32 || cols != 16)                                                                         \
                forward_tile(g, WIDTH, t, j0, cols, x + x_off, w + w_off + j0, bias + bias_off, has_bias, relu,     \
                             zeros + zeros_off, has_zeros, y + y_off);                                             \
            else                                                                                                   \
                forward_tile(g, 16, t, j0, cols, x + x_off, w + w_off + j0, bias + bias_off, has_bias, relu,        \
                             zeros + zeros_off, has_zeros, y + y_off);                                             \
        }                                                                                                          \
    }
FORWARD_TILE_KERNEL(conv2d_forward_tile, 32)
FORWARD_TILE_KERNEL(conv2d_forward_tile_edge, 0)

/* wt[ky][kx][co][ci] = w[KH-1-ky][KW-1-kx][ci][co]: the kernel that turns
 * the input gradient of a stride-1 convolution into a forward one (see
 * dx_tiled in src/ops/conv.c), followed by KW*Cout zeros for the padding
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
 * the first elements (`first`) adds up from the dz rows it loads anyway.
 * With relu (a constant per kernel), dz = dy where the forward output y is
 * positive, else 0, formed from dy and y as the rows are loaded, and the
 * first tile writes it out (for the input gradient); otherwise dz is dy.
 * A tile is TM consecutive patch elements x TN output channels over a
 * range of output rows (img, oy) (split-K: the ranges' partial tiles go to
 * `part`, summed by conv2d_sum_parts). Along an output row the tile's TM
 * inputs move together, sw*Cin floats per pixel: where all of them lie
 * inside the image (every pixel with 'valid' padding) the unmasked loop
 * runs; pixels with a tap in the padding take the masked one. dy, y and dz
 * start at the panel's first channel; dst is the K x Cout result (or a
 * partial one), db_dst the bias gradient's (or its partial). */
INLINE void dw_tile(const conv_geometry g, const int width, const int relu, const int e0, const int cols,
                    const int r0, const int r1, __global const float *x, __global const float *dy,
                    __global const float *y, __global float *dz, __global float *dst, const int first,
                    __global float *db_dst)
{
    const int patch = g.kh * g.kw * g.cin, rows = min(TM, patch - e0), step = g.sw * g.cin;
    int off[TM], tky[TM], tkx[TM], lo = 0, hi = g.ow;
    float16 acc[TM][2], bsum[2] = {(float16)0.0f, (float16)0.0f};
    _Pragma("unroll") for (int r = 0; r < TM; r++)
    {
        const int e = min(e0 + r, patch - 1); /* rows past the end repeat the last element, unstored */
        const int ci = e % g.cin, kx = (e / g.cin) % g.kw, ky = e / (g.cin * g.kw);
        tky[r] = ky;
        tkx[r] = kx;
        off[r] = (ky * g.w + kx) * g.cin + ci;
        const int2 xs = valid_outputs(kx, g.sw, g.pad_left, g.w, g.ow);
        lo = max(lo, xs.x);
        hi = min(hi, xs.y);
        acc[r][0] = (float16)0.0f;
        acc[r][1] = (float16)0.0f;
    }
    hi = max(lo, hi);
    for (int row = r0; row < r1; row++) {
        const int oy = row % g.oh, n = row / g.oh, iy0 = oy * g.sh - g.pad_top;
        __global const float *ximg = x + (size_t)n * g.h * g.w * g.cin;
        const size_t orow = (size_t)row * g.ow * g.cout;
        int inside = 1;
        _Pragma("unroll") for (int r = 0; r < TM; r++)
            inside &= iy0 + tky[r] >= 0 && iy0 + tky[r] < g.h;
        const int a = inside ? lo : g.ow, b = inside ? hi : g.ow; /* the unmasked pixels [a, b) */
        __global const float *ap[TM];
        int valid[TM];
        if (a < b) {
            __global const float *base = ximg + ((long)iy0 * g.w + a * g.sw - g.pad_left) * g.cin;
            const size_t o = orow + (size_t)a * g.cout;
            _Pragma("unroll") for (int r = 0; r < TM; r++)
                ap[r] = base + off[r];
            if (first)
                tile_steps_dw(acc, ap, step, valid, 0, dy + o, g.cout, width, cols, b - a, relu, y + o, relu, dz + o,
                              1, bsum);
            else
                tile_steps_dw(acc, ap, step, valid, 0, dy + o, g.cout, width, cols, b - a, relu, y + o, 0, dz, 0,
                              bsum);
        }
        for (int ox = 0; ox < g.ow; ox++) {
            if (ox == a)
                ox = b;
            if (ox >= g.ow)
                break;
            _Pragma("unroll") for (int r = 0; r < TM; r++)
            {
                const int iy = iy0 + tky[r], ix = ox * g.sw - g.pad_left + tkx[r];
                valid[r] = iy >= 0 && iy < g.h && ix >= 0 && ix < g.w;
                ap[r] = ximg + ((size_t)clamp(iy, 0, g.h - 1) * g.w + clamp(ix, 0, g.w - 1)) * g.cin +
                        off[r] % g.cin;
            }
            const size_t o = orow + (size_t)ox * g.cout;
            tile_steps_dw(acc, ap, 0, valid, 1, dy + o, g.cout, width, cols, 1, relu, y + o, relu && first, dz + o,
                          first, bsum);
        }
    }
    __global float *d[TM];
    _Pragma("unroll") for (int r = 0; r < TM; r++)
        d[r] = dst + (size_t)(e0 + r) * g.cout;
    tile_store_rows(acc, (float16)0.0f, (float16)0.0f, 0, d, rows, cols);
    if (first && db_dst)
        store_row(bsum[0], bsum[1], db_dst, cols);
}

/* Global (panels, element tiles * ranges): item (q, u) computes element
 * tile u % tiles of channel panel first_panel + q over output rows
 * [range * rows_per_range, ...) with range = u / tiles, into dw and db
 * (ranges = 1) or its range's slice of part: (K + 1) x Cout floats, the
 * kernel gradient's K x Cout, then the bias gradient's Cout. has_db: the
 * bias gradient too. _relu: dy is the gradient of relu's output y, and dz
 * (dy where y > 0) is written out. _edge: the partial last panel (16
 * channels as a half tile, other counts element by element). */
#define DW_TILE_KERNEL(NAME, WIDTH, RELU)                                                                         \
    __kernel __attribute__((reqd_work_group_size(1, 1, 1))) void NAME(                                             \
        conv_geometry g, int rows_per_range, int first_panel, __global const float *x, ulong x_off,               \
        __global const float *dy, ulong dy_off, __global const float *y, ulong y_off, __global float *dz,          \
        ulong dz_off, __global float *dw, ulong dw_off, int has_db, __global float *db, ulong db_off,              \
        __global float *part, ulong part_off)                                                                      \
    {                                                                                                              \
        const int j0 = (first_panel + (int)get_global_id(0)) * TN, cols = min(TN, g.cout - j0);                  \
        const int patch = g.kh * g.kw * g.cin, tiles = (patch + TM - 1) / TM, out_rows = g.images * g.oh;         \
        const int u = (int)get_global_id(1), range = u / tiles, r0 = range * rows_per_range, e0 = (u % tiles) * TM; \
        __global float *slice = part + part_off + (size_t)range * (patch + 1) * g.cout;                           \
        const int whole = rows_per_range >= out_rows;                                                              \
        __global float *dst = (whole ? dw + dw_off : slice) + j0;                                                \
        __global float *db_dst = has_db ? (whole ? db + db_off : slice + (size_t)patch * g.cout) + j0 : 0;      \
        const int r1 = min(r0 + rows_per_range, out_rows);                                                         \
        if (WIDTH == 32 || cols != 16)                                                                             \
            dw_tile(g, WIDTH, RELU, e0, cols, r0, r1, x + x_off, dy + dy_off + j0, y + y_off + j0,                \
                    dz + dz_off + j0, dst, e0 == 0, db_dst);                                                       \
        else                                                                                                       \
            dw_tile(g, 16, RELU, e0, cols, r0, r1, x + x_off, dy + dy_off + j0, y + y_off + j0, dz + dz_off + j0, \
                    dst, e0 == 0, db_dst);                                                                         \
    }
DW_TILE_KERNEL(conv2d_dw_tile, 32, 0)
DW_TILE_KERNEL(conv2d_dw_tile_edge, 0, 0)
DW_TILE_KERNEL(conv2d_dw_tile_relu, 32, 1)
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

/* ------------------------------------------------------- Winograd (CPUs) */

/* Winograd F(2x2, 3x3): 3x3 kernels, stride 1; src/ops/conv.c chooses it
 * per pass (the forward pass, and the input gradient as the forward
 * convolution of dy with the flipped, transposed kernel, as dx_tiled in
 * src/ops/conv.c).
 * Each 2x2 output tile comes from a 4x4 input tile d:
 *   Y = A^T [ sum over ci of (G g G^T)[ci] (.) (B^T d B)[ci] ] A
 * 16 products per tile and channel pair instead of 36 (2.25x fewer).
 * conv2d_winograd_weights transforms the kernel once per call into
 * U[16][Cin][ldu] (ldu = Cout rounded up to 32, zeros past Cout). The rest
 * stays on chip: a work-item takes a block of WB tiles x one panel of 32
 * output channels, transforms the tiles' inputs (16 channels per vector)
 * into a private V[16][WB][WC] (24 KiB, L1), runs the 16 element-wise
 * products as small GEMMs (WB tiles x 32 channels, reduction over the
 * input channels) in the 12 x 32 register tile of the tiled algorithm,
 * stores product e over V[e] (which only it reads), and inverse-transforms
 * the block at the end, adding the bias and applying relu as it stores.
 * More than WC input channels go in chunks, the products then summed in a
 * separate M. Inputs past the image (padding, the odd last row/column's
 * tile) read as zero; outputs past it are not stored.
 * convbench (PoCL, 2 cores), 30x30x32 -> 28x28x32, batch 32: forward
 * 1.30 ms against the tiled kernel's 2.29, input gradient 1.50 against
 * 2.82 (more in src/ops/conv.c): 68 % of the FMA peak in real FMAs (the
 * tiled kernels: 88 %); without the products the kernel took 0.37 ms (the
 * input and output transforms ~0.1 ms each, the stores of M, the weight
 * transform and the launches). F(4x4, 3x3) (conv2d_winograd4, after this
 * section) halves the products again where it applies.
 * Tried and dropped: a Winograd kernel gradient, F(3x3, 2x2) with the
 * tiles as the reduction (a work-item: 12 input x 32 output channels, all
 * 16 products, batches of 16 transformed tiles, partial sums over ranges
 * of tiles): conv2 2.59 ms against the tiled kernel's 2.30 (convbench,
 * medians of 5), before the separate relu and bias-gradient passes it
 * would need; each tile's transforms feed too few products. */

#define WB 12 /* tiles per block: the rows of the register tile */
#define WC 32 /* input channels per chunk of V */
#define WN 32 /* output channels per panel: two float16 */

/* f = the 3x3 kernel of input channel c, output channel k (zeros for
 * k >= Cout) of w, shape (3, 3, Cin, Cout); flip: w has shape (3, 3, Cout,
 * Cin) and is read flipped (the input gradient's view). */
INLINE void kernel3x3(const conv_geometry g, const int flip, __global const float *w, const int c, const int k,
                      float f[3][3])
{
    for (int ky = 0; ky < 3; ky++)
        for (int kx = 0; kx < 3; kx++)
            f[ky][kx] = k >= g.cout ? 0.0f
                        : flip      ? w[((size_t)((2 - ky) * 3 + 2 - kx) * g.cout + k) * g.cin + c]
                                    : w[((size_t)(ky * 3 + kx) * g.cin + c) * g.cout + k];
}

/* U[e][c][k] (e = 4 * ey + ex) = (G g G^T)[ey][ex] of the 3x3 kernel g of
 * input channel c, output channel k (0 for k >= Cout), G = [1 0 0; 1/2 1/2
 * 1/2; 1/2 -1/2 1/2; 0 0 1]. flip: g is w[2-ky][2-kx][k][c] from a kernel
 * w of shape (3, 3, Cout, Cin) (the input gradient's view). One work-item
 * per (c, k). */
__kernel void conv2d_winograd_weights(conv_geometry g, int flip, int ldu, __global const float *w, ulong w_off,
                                      __global float *u, ulong u_off)
{
    const size_t i = get_global_id(0);
    if (i >= (size_t)g.cin * ldu)
        return;
    const int k = (int)(i % ldu), c = (int)(i / ldu);
    float f[3][3], t[4][3];
    kernel3x3(g, flip, w + w_off, c, k, f);
    for (int kx = 0; kx < 3; kx++) {
        t[0][kx] = f[0][kx];
        t[1][kx] = 0.5f * (f[0][kx] + f[1][kx] + f[2][kx]);
        t[2][kx] = 0.5f * (f[0][kx] - f[1][kx] + f[2][kx]);
        t[3][kx] = f[2][kx];
    }
    __global float *dst = u + u_off + (size_t)c * ldu + k;
    const size_t step = (size_t)g.cin * ldu;
    for (int ey = 0; ey < 4; ey++) {
        dst[(4 * ey + 0) * step] = t[ey][0];
        dst[(4 * ey + 1) * step] = 0.5f * (t[ey][0] + t[ey][1] + t[ey][2]);
        dst[(4 * ey + 2) * step] = 0.5f * (t[ey][0] - t[ey][1] + t[ey][2]);
        dst[(4 * ey + 3) * step] = t[ey][2];
    }
}

/* B^T d B of one tile (B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]) for
 * one vector of channels (T float16) or one channel (T float), to
 * v[e * WB * WC] for e = 0..15. d[i][j] is read at src + roff[i] + coff[j]
 * (clamped into the image) where bit i of rv and bit j of cv are set, else
 * 0: a select that cost nothing measurable against an unmasked copy of
 * the loop for inner tiles, which took twice the code and JIT time. */
#define DEFINE_INPUT_TRANSFORM(NAME, T, LOAD, STORE)                                                            \
    INLINE void NAME(__global const float *src, const int *roff, const int *coff, const int rv, const int cv,    \
                     __private float *v)                                                                         \
    {                                                                                                            \
        T d[4][4], t[4][4];                                                                                      \
        _Pragma("unroll") for (int i = 0; i < 4; i++) _Pragma("unroll") for (int j = 0; j < 4; j++) d[i][j] =   \
            ((rv >> i) & (cv >> j) & 1) ? LOAD(src + roff[i] + coff[j]) : (T)0.0f;                              \
        _Pragma("unroll") for (int j = 0; j < 4; j++)                                                            \
        {                                                                                                        \
            t[0][j] = d[0][j] - d[2][j];                                                                         \
            t[1][j] = d[1][j] + d[2][j];                                                                         \
            t[2][j] = d[2][j] - d[1][j];                                                                         \
            t[3][j] = d[1][j] - d[3][j];                                                                         \
        }                                                                                                        \
        _Pragma("unroll") for (int i = 0; i < 4; i++)                                                            \
        {                                                                                                        \
            STORE(t[i][0] - t[i][2], v + (4 * i + 0) * WB * WC);                                                \
            STORE(t[i][1] + t[i][2], v + (4 * i + 1) * WB * WC);                                                \
            STORE(t[i][2] - t[i][1], v + (4 * i + 2) * WB * WC);                                                \
            STORE(t[i][1] - t[i][3], v + (4 * i + 3) * WB * WC);                                                \
        }                                                                                                        \
    }
#define LOAD16(p) vload16(0, p)
#define STORE16(val, p) vstore16(val, 0, p)
#define LOAD1(p) (*(p))
#define STORE1(val, p) (*(p) = (val))
DEFINE_INPUT_TRANSFORM(input_transform16, float16, LOAD16, STORE16)
DEFINE_INPUT_TRANSFORM(input_transform1, float, LOAD1, STORE1)

/* Origins of the output tiles [t0, t0 + WB) of side `step` (2 for F(2x2),
 * 4 for F(4x4)) in a grid of tw x th tiles per image: image and top-left
 * input pixel. Rows past the last tile repeat it (computed, not stored). */
INLINE void tile_origins(const conv_geometry g, const int step, const int tw, const int th, const int t0,
                         int img[WB], int iy0[WB], int ix0[WB])
{
    const int tiles = g.images * th * tw;
    for (int r = 0; r < WB; r++) {
        const int t = min(t0 + r, tiles - 1);
        const int tx = t % tw, ty = (t / tw) % th;
        img[r] = t / (tw * th);
        iy0[r] = step * ty - g.pad_top;
        ix0[r] = step * tx - g.pad_left;
    }
}

/* The n x n input window at (iy0, ix0): offsets of its rows and columns,
 * clamped into the image, and bit masks of those inside it (padding
 * outside reads as zeros in the input transforms). */
INLINE void input_window(const conv_geometry g, const int n, const int iy0, const int ix0, int *roff, int *coff,
                         int *rv, int *cv)
{
    *rv = 0, *cv = 0;
    for (int i = 0; i < n; i++) {
        const int iy = iy0 + i, ix = ix0 + i;
        *rv |= (iy >= 0 && iy < g.h) << i;
        *cv |= (ix >= 0 && ix < g.w) << i;
        roff[i] = clamp(iy, 0, g.h - 1) * g.w * g.cin;
        coff[i] = clamp(ix, 0, g.w - 1) * g.cin;
    }
}

/* Output tiles [t0, t0 + WB) (fewer at the end) x channels [j0, j0 + cols)
 * (cols <= WN). u starts at the panel's first channel. Constants per call:
 * `chunks` 0 when all input channels fit one chunk (cin <= WC), else 1;
 * `width` 32 for a full panel, 16 for a partial one of at most 16 channels
 * (the second accumulator half idle), 0 for other partial ones. V: the
 * transformed inputs of one chunk of channels; M: the products, M[e][r]
 * the 32 channels of tile r (summed over chunks), which may be V itself
 * with one chunk (product e overwrites V[e], which only it reads). */
INLINE void winograd_block(const conv_geometry g, const int chunks, const int width, const int t0, const int j0,
                           const int cols, const int ldu, __global const float *x, __global const float *u,
                           __global const float *bias, const int has_bias, const int relu, __global float *y,
                           __private float *V, __private float *M)
{
    const int tw = (g.ow + 1) / 2, th = (g.oh + 1) / 2, tiles = g.images * th * tw, rows = min(WB, tiles - t0);
    int iy0[WB], ix0[WB], img[WB];
    tile_origins(g, 2, tw, th, t0, img, iy0, ix0);
    for (int c0 = 0; c0 < (chunks ? g.cin : 1); c0 += WC) {
        const int cn = chunks ? min(WC, g.cin - c0) : g.cin;
        for (int r = 0; r < WB; r++) {
            int roff[4], coff[4], rv, cv;
            input_window(g, 4, iy0[r], ix0[r], roff, coff, &rv, &cv);
            __global const float *src = x + (size_t)img[r] * g.h * g.w * g.cin + c0;
            __private float *v = V + r * WC;
            int c = 0;
            for (; c + 16 <= cn; c += 16)
                input_transform16(src + c, roff, coff, rv, cv, v + c);
            for (; c < cn; c++)
                input_transform1(src + c, roff, coff, rv, cv, v + c);
        }
        for (int e = 0; e < 16; e++) {
            float16 acc[WB][2];
            __private float *m = M + e * WB * WN;
            _Pragma("unroll") for (int r = 0; r < WB; r++)
            {
                acc[r][0] = chunks && c0 ? vload16(0, m + r * WN) : (float16)0.0f;
                acc[r][1] = chunks && c0 && width != 16 ? vload16(1, m + r * WN) : (float16)0.0f;
            }
            __global const float *ub = u + ((size_t)e * g.cin + c0) * ldu;
            __private const float *vb = V + e * WB * WC;
            for (int c = 0; c < cn; c++, ub += ldu) {
                const float16 b0 = vload16(0, ub), b1 = width == 16 ? (float16)0.0f : vload16(1, ub);
                _Pragma("unroll") for (int r = 0; r < WB; r++)
                {
                    const float16 av = (float16)vb[r * WC + c];
                    acc[r][0] = fma(av, b0, acc[r][0]);
                    if (width != 16)
                        acc[r][1] = fma(av, b1, acc[r][1]);
                }
            }
            _Pragma("unroll") for (int r = 0; r < WB; r++)
            {
                vstore16(acc[r][0], 0, m + r * WN);
                if (width != 16)
                    vstore16(acc[r][1], 1, m + r * WN);
            }
        }
    }
    float16 bv[2] = {(float16)0.0f, (float16)0.0f};
    if (has_bias && width == WN) {
        bv[0] = vload16(0, bias + j0);
        bv[1] = vload16(1, bias + j0);
    } else if (has_bias) {
        float t[WN];
        for (int c = 0; c < WN; c++)
            t[c] = c < cols ? bias[j0 + c] : 0.0f;
        bv[0] = vload16(0, t);
        bv[1] = vload16(1, t);
    }
    /* Y = A^T M A, A^T = [1 1 1 0; 0 1 -1 -1] */
    for (int r = 0; r < rows; r++) {
        const int oy0 = iy0[r] + g.pad_top, ox0 = ix0[r] + g.pad_left;
        float16 o[4][2];
        _Pragma("unroll") for (int h = 0; h < 2; h++)
        {
            if (h == 1 && width == 16) {
                _Pragma("unroll") for (int k = 0; k < 4; k++) o[k][1] = (float16)0.0f;
                break;
            }
            float16 s[4][2];
            _Pragma("unroll") for (int ey = 0; ey < 4; ey++)
            {
                const __private float *p = M + (4 * ey * WB + r) * WN + 16 * h;
                const float16 m0 = vload16(0, p), m1 = vload16(0, p + WB * WN), m2 = vload16(0, p + 2 * WB * WN),
                              m3 = vload16(0, p + 3 * WB * WN);
                s[ey][0] = m0 + m1 + m2;
                s[ey][1] = m1 - m2 - m3;
            }
            _Pragma("unroll") for (int j = 0; j < 2; j++)
            {
                o[j][h] = s[0][j] + s[1][j] + s[2][j] + bv[h];
                o[2 + j][h] = s[1][j] - s[2][j] - s[3][j] + bv[h];
            }
        }
        _Pragma("unroll") for (int k = 0; k < 4; k++)
        {
            const int oy = oy0 + k / 2, ox = ox0 + k % 2;
            if (oy < g.oh && ox < g.ow)
                store_row(finish(o[k][0], relu), finish(o[k][1], relu),
                          y + (((size_t)img[r] * g.oh + oy) * g.ow + ox) * g.cout + j0, width == WN ? WN : cols);
        }
    }
}

/* Global (panels, items): item i of panel q computes tile blocks
 * [i * per_item, (i + 1) * per_item) of channel panel first_panel + q.
 * conv2d_winograd: full panels and at most WC input channels (one chunk,
 * the products overwrite V); conv2d_winograd_any: any panel (the partial
 * last one when Cout is not a multiple of WN) and any number of input
 * channels. */
#define WINOGRAD_KERNEL(NAME, ANY)                                                                               \
    __kernel __attribute__((reqd_work_group_size(1, 1, 1))) void NAME(                                            \
        conv_geometry g, int per_item, int first_panel, int ldu, __global const float *x, ulong x_off,           \
        __global const float *u, ulong u_off, __global const float *bias, ulong bias_off, int has_bias, int relu, \
        __global float *y, ulong y_off)                                                                           \
    {                                                                                                             \
        __private float V[16 * WB * WC], Mbuf[ANY ? 16 * WB * WN : 1];                                            \
        __private float *M = ANY && g.cin > WC ? Mbuf : V;                                                        \
        const int j0 = (first_panel + (int)get_global_id(0)) * WN, cols = min(WN, g.cout - j0);                 \
        const int tiles = g.images * ((g.oh + 1) / 2) * ((g.ow + 1) / 2), blocks = (tiles + WB - 1) / WB;        \
        const int b0 = (int)get_global_id(1) * per_item, b1 = min(b0 + per_item, blocks);                        \
        for (int b = b0; b < b1; b++) {                                                                           \
            if (!ANY)                                                                                             \
                winograd_block(g, 0, WN, b * WB, j0, cols, ldu, x + x_off, u + u_off + j0, bias + bias_off,       \
                               has_bias, relu, y + y_off, V, M);                                                  \
            else if (cols > 16)                                                                                   \
                winograd_block(g, 1, 0, b * WB, j0, cols, ldu, x + x_off, u + u_off + j0, bias + bias_off,        \
                               has_bias, relu, y + y_off, V, M);                                                  \
            else                                                                                                  \
                winograd_block(g, 1, 16, b * WB, j0, cols, ldu, x + x_off, u + u_off + j0, bias + bias_off,       \
                               has_bias, relu, y + y_off, V, M);                                                  \
        }                                                                                                         \
    }
WINOGRAD_KERNEL(conv2d_winograd, 0)
WINOGRAD_KERNEL(conv2d_winograd_any, 1)

/* Winograd F(4x4, 3x3): 4x4 output tiles from 6x6 input tiles, 36
 * products per tile and channel pair instead of 144 (4x fewer; F(2x2)'s
 * 2.25x). Same structure as F(2x2) above, for full panels and 16 or 32
 * input channels only (V: 36 x WB x WC floats, 54 KiB; no scalar channel
 * tail, which took a third of the JIT time). Transforms
 * (Lavin and Gray), per dimension:
 *   B^T d: 4d0 - 5d2 + d4, (d4 - 4d2) +- (d3 - 4d1), (d4 - d2) +- 2(d3 - d1), 4d1 - 5d3 + d5
 *   G g:   g0/4, -(g0 + g1 + g2)/6, -(g0 - g1 + g2)/6, g0/24 +- g1/12 + g2/6, g2
 *   A^T m: m0 + m1 + m2 + m3 + m4, (m1 - m2) + 2(m3 - m4), (m1 + m2) + 4(m3 + m4),
 *          (m1 - m2) + 8(m3 - m4) + m5 */
#define W4E 36

INLINE void g6(const float g0, const float g1, const float g2, float *u)
{
    u[0] = 0.25f * g0;
    u[1] = -(g0 + g1 + g2) / 6.0f;
    u[2] = -(g0 - g1 + g2) / 6.0f;
    u[3] = g0 / 24.0f + g1 / 12.0f + g2 / 6.0f;
    u[4] = g0 / 24.0f - g1 / 12.0f + g2 / 6.0f;
    u[5] = g2;
}

/* U[e][c][k] (e = 6 * ey + ex) = (G g G^T)[ey][ex], as conv2d_winograd_weights. */
__kernel void conv2d_winograd4_weights(conv_geometry g, int flip, int ldu, __global const float *w, ulong w_off,
                                       __global float *u, ulong u_off)
{
    const size_t i = get_global_id(0);
    if (i >= (size_t)g.cin * ldu)
        return;
    const int k = (int)(i % ldu), c = (int)(i / ldu);
    float f[3][3], t[6][3], col[6];
    kernel3x3(g, flip, w + w_off, c, k, f);
    for (int kx = 0; kx < 3; kx++) {
        g6(f[0][kx], f[1][kx], f[2][kx], col);
        for (int ey = 0; ey < 6; ey++)
            t[ey][kx] = col[ey];
    }
    __global float *dst = u + u_off + (size_t)c * ldu + k;
    const size_t step = (size_t)g.cin * ldu;
    for (int ey = 0; ey < 6; ey++) {
        g6(t[ey][0], t[ey][1], t[ey][2], col);
        for (int ex = 0; ex < 6; ex++)
            dst[(6 * ey + ex) * step] = col[ex];
    }
}

#define BT6(T, d0, d1, d2, d3, d4, d5, r)                                                                        \
    {                                                                                                            \
        const T p = d4 - 4.0f * d2, q = d3 - 4.0f * d1, s = d4 - d2, v2 = 2.0f * (d3 - d1);                       \
        r[0] = 4.0f * d0 - 5.0f * d2 + d4;                                                                       \
        r[1] = p + q;                                                                                            \
        r[2] = p - q;                                                                                            \
        r[3] = s + v2;                                                                                           \
        r[4] = s - v2;                                                                                           \
        r[5] = 4.0f * d1 - 5.0f * d3 + d5;                                                                       \
    }

/* B^T d B of one 6x6 tile, to v[e * WB * WC], e = 0..35; reads as
 * input_transform16 (6-bit masks). */
#define DEFINE_INPUT_TRANSFORM4(NAME, T, LOAD, STORE)                                                           \
    INLINE void NAME(__global const float *src, const int *roff, const int *coff, const int rv, const int cv,    \
                     __private float *v)                                                                         \
    {                                                                                                            \
        T d[6][6], t[6][6], r[6];                                                                                \
        _Pragma("unroll") for (int i = 0; i < 6; i++) _Pragma("unroll") for (int j = 0; j < 6; j++) d[i][j] =   \
            ((rv >> i) & (cv >> j) & 1) ? LOAD(src + roff[i] + coff[j]) : (T)0.0f;                              \
        _Pragma("unroll") for (int j = 0; j < 6; j++)                                                            \
        {                                                                                                        \
            BT6(T, d[0][j], d[1][j], d[2][j], d[3][j], d[4][j], d[5][j], r);                                     \
            _Pragma("unroll") for (int i = 0; i < 6; i++) t[i][j] = r[i];                                        \
        }                                                                                                        \
        _Pragma("unroll") for (int i = 0; i < 6; i++)                                                            \
        {                                                                                                        \
            BT6(T, t[i][0], t[i][1], t[i][2], t[i][3], t[i][4], t[i][5], r);                                     \
            _Pragma("unroll") for (int j = 0; j < 6; j++) STORE(r[j], v + (6 * i + j) * WB * WC);               \
        }                                                                                                        \
    }
DEFINE_INPUT_TRANSFORM4(input_transform4_16, float16, LOAD16, STORE16)

/* o[0..3] = A^T (m0..m5) */
#define AT6(m0, m1, m2, m3, m4, m5, o)                                                                           \
    {                                                                                                            \
        const float16 a = m1 + m2, b = m1 - m2, c = m3 + m4, d = m3 - m4;                                        \
        o[0] = m0 + a + c;                                                                                       \
        o[1] = b + 2.0f * d;                                                                                     \
        o[2] = a + 4.0f * c;                                                                                     \
        o[3] = b + 8.0f * d + m5;                                                                                \
    }

/* winograd_block for F(4x4): a full panel (32 channels), cin 16 or 32. */
INLINE void winograd4_block(const conv_geometry g, const int t0, const int j0, const int ldu,
                            __global const float *x, __global const float *u, __global const float *bias,
                            const int has_bias, const int relu, __global float *y, __private float *V)
{
    const int tw = (g.ow + 3) / 4, th = (g.oh + 3) / 4, tiles = g.images * th * tw, rows = min(WB, tiles - t0);
    int iy0[WB], ix0[WB], img[WB];
    tile_origins(g, 4, tw, th, t0, img, iy0, ix0);
    const int cn = g.cin;
    for (int r = 0; r < WB; r++) {
        int roff[6], coff[6], rv, cv;
        input_window(g, 6, iy0[r], ix0[r], roff, coff, &rv, &cv);
        __global const float *src = x + (size_t)img[r] * g.h * g.w * g.cin;
        __private float *v = V + r * WC;
        for (int c = 0; c < cn; c += 16)
            input_transform4_16(src + c, roff, coff, rv, cv, v + c);
    }
    for (int e = 0; e < W4E; e++) {
        float16 acc[WB][2];
        __private float *m = V + e * WB * WN;
        _Pragma("unroll") for (int r = 0; r < WB; r++)
        {
            acc[r][0] = (float16)0.0f;
            acc[r][1] = (float16)0.0f;
        }
        __global const float *ub = u + (size_t)e * g.cin * ldu;
        for (int c = 0; c < cn; c++, ub += ldu) {
            const float16 b0 = vload16(0, ub), b1 = vload16(1, ub);
            _Pragma("unroll") for (int r = 0; r < WB; r++)
            {
                const float16 av = (float16)m[r * WC + c];
                acc[r][0] = fma(av, b0, acc[r][0]);
                acc[r][1] = fma(av, b1, acc[r][1]);
            }
        }
        _Pragma("unroll") for (int r = 0; r < WB; r++)
        {
            vstore16(acc[r][0], 0, m + r * WN);
            vstore16(acc[r][1], 1, m + r * WN);
        }
    }
    float16 bv[2] = {(float16)0.0f, (float16)0.0f};
    if (has_bias) {
        bv[0] = vload16(0, bias + j0);
        bv[1] = vload16(1, bias + j0);
    }
    for (int r = 0; r < rows; r++) {
        const int oy0 = iy0[r] + g.pad_top, ox0 = ix0[r] + g.pad_left;
        for (int h = 0; h < 2; h++) {
            float16 s[6][4], o[4];
            _Pragma("unroll") for (int ey = 0; ey < 6; ey++)
            {
                const __private float *p = V + (6 * ey * WB + r) * WN + 16 * h;
                const float16 m0 = vload16(0, p), m1 = vload16(0, p + WB * WN), m2 = vload16(0, p + 2 * WB * WN),
                              m3 = vload16(0, p + 3 * WB * WN), m4 = vload16(0, p + 4 * WB * WN),
                              m5 = vload16(0, p + 5 * WB * WN);
                AT6(m0, m1, m2, m3, m4, m5, s[ey]);
            }
            _Pragma("unroll") for (int j = 0; j < 4; j++)
            {
                AT6(s[0][j], s[1][j], s[2][j], s[3][j], s[4][j], s[5][j], o);
                _Pragma("unroll") for (int i = 0; i < 4; i++)
                {
                    const int oy = oy0 + i, ox = ox0 + j;
                    if (oy < g.oh && ox < g.ow)
                        vstore16(finish(o[i] + bv[h], relu), 0,
                                 y + (((size_t)img[r] * g.oh + oy) * g.ow + ox) * g.cout + j0 + 16 * h);
                }
            }
        }
    }
}

/* As conv2d_winograd, F(4x4): full panels, 16 or 32 input channels. */
__kernel __attribute__((reqd_work_group_size(1, 1, 1))) void conv2d_winograd4(
    conv_geometry g, int per_item, int first_panel, int ldu, __global const float *x, ulong x_off,
    __global const float *u, ulong u_off, __global const float *bias, ulong bias_off, int has_bias, int relu,
    __global float *y, ulong y_off)
{
    __private float V[W4E * WB * WC];
    const int j0 = (first_panel + (int)get_global_id(0)) * WN;
    const int tiles = g.images * ((g.oh + 3) / 4) * ((g.ow + 3) / 4), blocks = (tiles + WB - 1) / WB;
    const int b0 = (int)get_global_id(1) * per_item, b1 = min(b0 + per_item, blocks);
    for (int b = b0; b < b1; b++)
        winograd4_block(g, b * WB, j0, ldu, x + x_off, u + u_off + j0, bias + bias_off, has_bias, relu, y + y_off,
                        V);
}
