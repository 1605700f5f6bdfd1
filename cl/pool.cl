/* MaxPooling2D and AveragePooling2D on NHWC images, forward and backward.
 * Padded positions never take part in a window (Keras/TF 'same'). The
 * backward kernels gather: each input element sums over the windows that
 * contain it, so overlapping windows need no atomics. */

/* Host mirror: pool_geometry_cl in src/ops/pool.c (all ints, same order). */
typedef struct {
    int n, h, w, c;
    int oh, ow;
    int ph, pw, sh, sw;
    int pad_top, pad_left;
    int unused0, unused1, unused2, unused3;
} pool_geometry;

/* window_span, windows_containing and the pixel prologues: cl/window_index.cl. */

/* A kernel over output pixels: channels [c0, c1) of output pixel (img, oy,
 * ox), the window's in-bounds rows ys and columns xs, ximg the image's input. */
#define POOL_OUTPUT_ITEM(g, per_item, x, x_off)                                       \
    CT_PIXEL_CHANNELS(c0, c1, pixel, g.c, g.n * g.oh * g.ow, per_item)                \
    CT_PIXEL_YX(pixel, g.oh, g.ow, img, oy, ox)                                       \
    __global const float *ximg = x + x_off + (size_t)img * g.h * g.w * g.c;           \
    const int2 ys = window_span(oy, g.sh, g.pad_top, g.ph, g.h);                      \
    const int2 xs = window_span(ox, g.sw, g.pad_left, g.pw, g.w);

/* A kernel over input pixels (the gradients): channels [c0, c1) of input
 * pixel (img, iy, ix), the windows containing it oys x oxs, dyimg the
 * image's output gradient, out the pixel's input gradient. */
#define POOL_INPUT_ITEM(g, per_item, dy, dy_off, dx, dx_off)                          \
    CT_PIXEL_CHANNELS(c0, c1, pixel, g.c, g.n * g.h * g.w, per_item)                  \
    CT_PIXEL_YX(pixel, g.h, g.w, img, iy, ix)                                         \
    __global const float *dyimg = dy + dy_off + (size_t)img * g.oh * g.ow * g.c;      \
    __global float *out = dx + dx_off + (size_t)pixel * g.c;                          \
    const int2 oys = windows_containing(iy, g.sh, g.pad_top, g.ph, g.oh);             \
    const int2 oxs = windows_containing(ix, g.sw, g.pad_left, g.pw, g.ow);

/* Number of real (non-padded) elements in window (oy, ox). */
int window_count(pool_geometry g, int oy, int ox)
{
    const int2 ys = window_span(oy, g.sh, g.pad_top, g.ph, g.h);
    const int2 xs = window_span(ox, g.sw, g.pad_left, g.pw, g.w);
    return (ys.y - ys.x) * (xs.y - xs.x);
}

/* Every kernel here gives a work-item `per_item` consecutive channels of one
 * pixel (CPUs: all, GPUs: 1) and walks them CT_VW at a time with floatv
 * vectors (cl/common.cl), then one at a time. Global (ceil(C / per_item), pixels). */

/* The forward's maximum over the window of nv channel vectors from channel
 * c, into best[0..nv): the first maximum, a NaN winning and staying (v != v
 * is isnan in one compare). Called with constant nv (4, 2, 1): nv
 * independent compare chains that a CPU core overlaps, where one vector's
 * chain through `best` is bound by the compares' latency. */
#define POOL_MAX_NV 4
static inline __attribute__((always_inline)) void window_maxv(pool_geometry g, __global const float *ximg, int c,
                                                              int2 ys, int2 xs, const int nv, floatv *best)
{
#pragma unroll
    for (int k = 0; k < nv; k++)
        best[k] = (floatv)(-INFINITY);
    for (int iy = ys.x; iy < ys.y; iy++)
        for (int ix = xs.x; ix < xs.y; ix++) {
            __global const float *p = ximg + (size_t)(iy * g.w + ix) * g.c + c;
#pragma unroll
            for (int k = 0; k < nv; k++) {
                const floatv v = VLOADV(k, p);
                best[k] = select(best[k], v, (v > best[k]) | ((v != v) & (best[k] == best[k])));
            }
        }
}

static inline __attribute__((always_inline)) void window_max_store(pool_geometry g, __global const float *ximg,
                                                                   __global float *out, int c, int2 ys, int2 xs,
                                                                   const int nv)
{
    floatv best[POOL_MAX_NV];
    window_maxv(g, ximg, c, ys, xs, nv, best);
#pragma unroll
    for (int k = 0; k < nv; k++)
        VSTOREV(best[k], k, out + c);
}

/* First maximum of each channel over the window; a NaN wins and stays, so
 * NaN propagates to the output. */
__kernel void maxpool2d_forward(pool_geometry g, int per_item, __global const float *x, ulong x_off,
                                __global float *y, ulong y_off)
{
    POOL_OUTPUT_ITEM(g, per_item, x, x_off)
    __global float *out = y + y_off + (size_t)pixel * g.c;
    int c = c0;
#if CT_IS_CPU /* per_item is 1 elsewhere; compiled for gfx90a, this loop's masks spill 54 SGPRs */
    for (; c + 4 * CT_VW <= c1; c += 4 * CT_VW)
        window_max_store(g, ximg, out, c, ys, xs, 4);
    for (; c + 2 * CT_VW <= c1; c += 2 * CT_VW)
        window_max_store(g, ximg, out, c, ys, xs, 2);
    for (; c + CT_VW <= c1; c += CT_VW)
        window_max_store(g, ximg, out, c, ys, xs, 1);
#endif
    for (; c < c1; c++) {
        float best1 = -INFINITY;
        for (int iy = ys.x; iy < ys.y; iy++)
            for (int ix = xs.x; ix < xs.y; ix++) {
                const float v = ximg[(size_t)(iy * g.w + ix) * g.c + c];
                if (v > best1 || (isnan(v) && !isnan(best1)))
                    best1 = v;
            }
        out[c] = best1;
    }
}

/* Whether element `me` (an index iy*W + ix inside the window spanning rows
 * ys and columns xs) is the window's first maximum, for channels c..c+CT_VW-1
 * (lanes -1: yes, 0: no) and for channel c alone: every element before it
 * in row-major order is smaller, every one after it no larger. */
intv first_maxv(pool_geometry g, __global const float *ximg, int c, int me, int2 ys, int2 xs)
{
    const floatv v = VLOADV(0, ximg + (size_t)me * g.c + c);
    intv first = (intv)(-1);
    for (int wy = ys.x; wy < ys.y; wy++)
        for (int wx = xs.x; wx < xs.y; wx++) {
            const int e = wy * g.w + wx;
            const floatv u = VLOADV(0, ximg + (size_t)e * g.c + c);
            first &= e < me ? (u < v) : e > me ? (u <= v) : (intv)(-1);
        }
    return first;
}

int first_max1(pool_geometry g, __global const float *ximg, int c, int me, int2 ys, int2 xs)
{
    const float v = ximg[(size_t)me * g.c + c];
    int first = 1;
    for (int wy = ys.x; wy < ys.y; wy++)
        for (int wx = xs.x; wx < xs.y; wx++) {
            const int e = wy * g.w + wx;
            const float u = ximg[(size_t)e * g.c + c];
            first &= e < me ? (u < v) : e > me ? (u <= v) : 1;
        }
    return first;
}

/* dx[img][iy][ix][c] = sum of dy over the windows whose first maximum (in
 * row-major window order, the forward's choice) is (iy, ix): every element
 * before it is smaller, every one after it no larger. Row-major window order
 * is the order of iy*W + ix. (With NaN inputs the gradient is unspecified.) */
__kernel void maxpool2d_backward(pool_geometry g, int per_item, __global const float *x, ulong x_off,
                                 __global const float *dy, ulong dy_off, __global float *dx, ulong dx_off)
{
    POOL_INPUT_ITEM(g, per_item, dy, dy_off, dx, dx_off)
    const int me = iy * g.w + ix;
    __global const float *ximg = x + x_off + (size_t)img * g.h * g.w * g.c;
    int c = c0;
    for (; c + CT_VW <= c1; c += CT_VW) {
        floatv acc = (floatv)(0.0f);
        for (int oy = oys.x; oy < oys.y; oy++)
            for (int ox = oxs.x; ox < oxs.y; ox++) {
                const int2 ys = window_span(oy, g.sh, g.pad_top, g.ph, g.h);
                const int2 xs = window_span(ox, g.sw, g.pad_left, g.pw, g.w);
                const floatv d = VLOADV(0, dyimg + (size_t)(oy * g.ow + ox) * g.c + c);
                acc += select((floatv)(0.0f), d, first_maxv(g, ximg, c, me, ys, xs));
            }
        VSTOREV(acc, 0, out + c);
    }
    for (; c < c1; c++) {
        float acc = 0.0f;
        for (int oy = oys.x; oy < oys.y; oy++)
            for (int ox = oxs.x; ox < oxs.y; ox++) {
                const int2 ys = window_span(oy, g.sh, g.pad_top, g.ph, g.h);
                const int2 xs = window_span(ox, g.sw, g.pad_left, g.pw, g.w);
                if (first_max1(g, ximg, c, me, ys, xs))
                    acc += dyimg[(size_t)(oy * g.ow + ox) * g.c + c];
            }
        out[c] = acc;
    }
}

/* The same gradient when windows do not overlap (stride >= pool size, as
 * with Keras' default strides): a work-item per window instead of per input
 * element, so each window's elements are read once, not once per element.
 * The work-item owns the window's "cell" of the input, rows
 * [oy*sh - pad_top, (oy+1)*sh - pad_top) clipped to the image (the last cell
 * reaching to the image's end), and likewise for columns: cells partition
 * the input, so every element of dx is written exactly once, zero outside
 * windows. Global (ceil(C / per_item), N*OH*OW). */
int2 pool_cell(int o, int stride, int pad, int out, int in)
{
    const int lo = max(o * stride - pad, 0);
    const int hi = o == out - 1 ? in : min((o + 1) * stride - pad, in);
    return (int2)(lo, hi);
}

/* Gradients of nv channel vectors from channel c over the work-item's cell
 * (constant nv, as window_maxv): the window's maximum as the forward
 * computes it, then the first element equal to it takes the gradient. That
 * is the same element as "every one before smaller, every one after no
 * larger" (a NaN maximum equals nothing, so such a window passes no
 * gradient), with two reads of each element instead of one per element of
 * its window. */
static inline __attribute__((always_inline)) void window_gradv(pool_geometry g, __global const float *ximg,
                                                               __global const float *d, __global float *dximg, int c,
                                                               int2 ys, int2 xs, int2 cys, int2 cxs, const int nv)
{
    floatv best[POOL_MAX_NV], grad[POOL_MAX_NV];
    intv taken[POOL_MAX_NV];
    window_maxv(g, ximg, c, ys, xs, nv, best);
#pragma unroll
    for (int k = 0; k < nv; k++) {
        grad[k] = VLOADV(k, d + c);
        taken[k] = (intv)(0);
    }
    for (int iy = cys.x; iy < cys.y; iy++)
        for (int ix = cxs.x; ix < cxs.y; ix++) {
            const int me = iy * g.w + ix;
            __global float *o = dximg + (size_t)me * g.c + c;
            if (iy >= ys.x && iy < ys.y && ix >= xs.x && ix < xs.y) {
                __global const float *p = ximg + (size_t)me * g.c + c;
    #pragma unroll
            for (int k = 0; k < nv; k++) {
                    const intv hit = (VLOADV(k, p) == best[k]) & ~taken[k];
                    taken[k] |= hit;
                    VSTOREV(select((floatv)(0.0f), grad[k], hit), k, o);
                }
            } else {
#pragma unroll
                for (int k = 0; k < nv; k++)
                    VSTOREV((floatv)(0.0f), k, o);
            }
        }
}

__kernel void maxpool2d_backward_disjoint(pool_geometry g, int per_item, __global const float *x, ulong x_off,
                                          __global const float *dy, ulong dy_off, __global float *dx,
                                          ulong dx_off)
{
    POOL_OUTPUT_ITEM(g, per_item, x, x_off)
    __global float *dximg = dx + dx_off + (size_t)img * g.h * g.w * g.c;
    __global const float *d = dy + dy_off + (size_t)pixel * g.c;
    const int2 cys = pool_cell(oy, g.sh, g.pad_top, g.oh, g.h);
    const int2 cxs = pool_cell(ox, g.sw, g.pad_left, g.ow, g.w);
    int c = c0;
#if CT_IS_CPU /* per_item is 1 elsewhere */
    for (; c + 4 * CT_VW <= c1; c += 4 * CT_VW)
        window_gradv(g, ximg, d, dximg, c, ys, xs, cys, cxs, 4);
    for (; c + 2 * CT_VW <= c1; c += 2 * CT_VW)
        window_gradv(g, ximg, d, dximg, c, ys, xs, cys, cxs, 2);
#endif
    for (; c + CT_VW <= c1; c += CT_VW)
        window_gradv(g, ximg, d, dximg, c, ys, xs, cys, cxs, 1);
    for (; c < c1; c++) {
        float best = -INFINITY;
        for (int iy = ys.x; iy < ys.y; iy++)
            for (int ix = xs.x; ix < xs.y; ix++) {
                const float v = ximg[(size_t)(iy * g.w + ix) * g.c + c];
                if (v > best || (isnan(v) && !isnan(best)))
                    best = v;
            }
        bool taken = false;
        for (int iy = cys.x; iy < cys.y; iy++)
            for (int ix = cxs.x; ix < cxs.y; ix++) {
                const int me = iy * g.w + ix;
                const bool in_window = iy >= ys.x && iy < ys.y && ix >= xs.x && ix < xs.y;
                const bool hit = in_window && !taken && ximg[(size_t)me * g.c + c] == best;
                taken = taken || hit;
                dximg[(size_t)me * g.c + c] = hit ? d[c] : 0.0f;
            }
    }
}

/* ---- Max pooling with the argmax saved (disjoint windows): the forward
 * writes, per output element, the first maximum's place in the window
 * (row-major over its in-bounds rows and columns) as an int, 255 where the
 * maximum is NaN; the backward spreads dy by those alone. Ints, not bytes:
 * PoCL stores a uchar vector byte by byte. */

#define POOL_NO_INDEX 255

/* window_maxv that also tracks where each lane's maximum is: `at` starts at
 * 0, so a window of -inf (nothing beats the start) sends its gradient to
 * the first element, the first maximum. */
static inline __attribute__((always_inline)) void window_max_indexv(pool_geometry g, __global const float *ximg,
                                                                    int c, int2 ys, int2 xs, const int nv,
                                                                    floatv *best, intv *at)
{
#pragma unroll
    for (int k = 0; k < nv; k++) {
        best[k] = (floatv)(-INFINITY);
        at[k] = (intv)(0);
    }
    int e = 0;
    for (int iy = ys.x; iy < ys.y; iy++)
        for (int ix = xs.x; ix < xs.y; ix++, e++) {
            __global const float *p = ximg + (size_t)(iy * g.w + ix) * g.c + c;
#pragma unroll
            for (int k = 0; k < nv; k++) {
                const floatv v = VLOADV(k, p);
                const intv wins = (v > best[k]) | ((v != v) & (best[k] == best[k]));
                best[k] = select(best[k], v, wins);
                at[k] = select(at[k], (intv)(e), wins);
            }
        }
#pragma unroll
    for (int k = 0; k < nv; k++)
        at[k] = select(at[k], (intv)(POOL_NO_INDEX), best[k] != best[k]);
}

static inline __attribute__((always_inline)) void window_max_index_store(pool_geometry g, __global const float *ximg,
                                                                         __global float *out, __global int *where,
                                                                         int c, int2 ys, int2 xs, const int nv)
{
    floatv best[POOL_MAX_NV];
    intv at[POOL_MAX_NV];
    window_max_indexv(g, ximg, c, ys, xs, nv, best, at);
#pragma unroll
    for (int k = 0; k < nv; k++) {
        VSTOREV(best[k], k, out + c);
        VSTOREV(at[k], k, where + c);
    }
}

/* The forward (same y as maxpool2d_forward) and the index, an int per
 * output element in a float tensor's buffer. */
__kernel void maxpool2d_forward_index(pool_geometry g, int per_item, __global const float *x, ulong x_off,
                                      __global float *y, ulong y_off, __global int *index, ulong index_off)
{
    POOL_OUTPUT_ITEM(g, per_item, x, x_off)
    __global float *out = y + y_off + (size_t)pixel * g.c;
    __global int *where = index + index_off + (size_t)pixel * g.c;
    int c = c0;
#if CT_IS_CPU /* per_item is 1 elsewhere */
    for (; c + 4 * CT_VW <= c1; c += 4 * CT_VW)
        window_max_index_store(g, ximg, out, where, c, ys, xs, 4);
    for (; c + 2 * CT_VW <= c1; c += 2 * CT_VW)
        window_max_index_store(g, ximg, out, where, c, ys, xs, 2);
    for (; c + CT_VW <= c1; c += CT_VW)
        window_max_index_store(g, ximg, out, where, c, ys, xs, 1);
#endif
    for (; c < c1; c++) {
        float best = -INFINITY;
        int at = 0, e = 0;
        for (int iy = ys.x; iy < ys.y; iy++)
            for (int ix = xs.x; ix < xs.y; ix++, e++) {
                const float v = ximg[(size_t)(iy * g.w + ix) * g.c + c];
                if (v > best || (isnan(v) && !isnan(best))) {
                    best = v;
                    at = e;
                }
            }
        out[c] = best;
        where[c] = isnan(best) ? POOL_NO_INDEX : at;
    }
}

/* dy of nv channel vectors from channel c to the work-item's cell: the
 * element the index names takes it, every other one 0. */
static inline __attribute__((always_inline)) void cell_scatterv(pool_geometry g, __global const int *where,
                                                                __global const float *d, __global float *dximg,
                                                                int c, int2 ys, int2 xs, int2 cys, int2 cxs,
                                                                const int nv)
{
    floatv grad[POOL_MAX_NV];
    intv at[POOL_MAX_NV];
#pragma unroll
    for (int k = 0; k < nv; k++) {
        grad[k] = VLOADV(k, d + c);
        at[k] = VLOADV(k, where + c);
    }
    const int span = xs.y - xs.x;
    for (int iy = cys.x; iy < cys.y; iy++)
        for (int ix = cxs.x; ix < cxs.y; ix++) {
            __global float *o = dximg + (size_t)(iy * g.w + ix) * g.c + c;
            if (iy >= ys.x && iy < ys.y && ix >= xs.x && ix < xs.y) {
                const intv e = (intv)((iy - ys.x) * span + ix - xs.x);
#pragma unroll
                for (int k = 0; k < nv; k++)
                    VSTOREV(select((floatv)(0.0f), grad[k], at[k] == e), k, o);
            } else {
#pragma unroll
                for (int k = 0; k < nv; k++)
                    VSTOREV((floatv)(0.0f), k, o);
            }
        }
}

/* The disjoint-window gradient from the index: one work-item per window,
 * writing its cell as maxpool2d_backward_disjoint does. */
__kernel void maxpool2d_backward_index(pool_geometry g, int per_item, __global const int *index, ulong index_off,
                                       __global const float *dy, ulong dy_off, __global float *dx, ulong dx_off)
{
    CT_PIXEL_CHANNELS(c0, c1, pixel, g.c, g.n * g.oh * g.ow, per_item)
    CT_PIXEL_YX(pixel, g.oh, g.ow, img, oy, ox)
    const int2 ys = window_span(oy, g.sh, g.pad_top, g.ph, g.h);
    const int2 xs = window_span(ox, g.sw, g.pad_left, g.pw, g.w);
    const int2 cys = pool_cell(oy, g.sh, g.pad_top, g.oh, g.h);
    const int2 cxs = pool_cell(ox, g.sw, g.pad_left, g.ow, g.w);
    __global float *dximg = dx + dx_off + (size_t)img * g.h * g.w * g.c;
    __global const float *d = dy + dy_off + (size_t)pixel * g.c;
    __global const int *where = index + index_off + (size_t)pixel * g.c;
    int c = c0;
#if CT_IS_CPU /* per_item is 1 elsewhere */
    for (; c + 4 * CT_VW <= c1; c += 4 * CT_VW)
        cell_scatterv(g, where, d, dximg, c, ys, xs, cys, cxs, 4);
    for (; c + 2 * CT_VW <= c1; c += 2 * CT_VW)
        cell_scatterv(g, where, d, dximg, c, ys, xs, cys, cxs, 2);
    for (; c + CT_VW <= c1; c += CT_VW)
        cell_scatterv(g, where, d, dximg, c, ys, xs, cys, cxs, 1);
#endif
    const int span = xs.y - xs.x;
    for (; c < c1; c++) {
        const int at = where[c];
        for (int iy = cys.x; iy < cys.y; iy++)
            for (int ix = cxs.x; ix < cxs.y; ix++) {
                const bool in_window = iy >= ys.x && iy < ys.y && ix >= xs.x && ix < xs.y;
                const bool hit = in_window && (iy - ys.x) * span + ix - xs.x == at;
                dximg[(size_t)(iy * g.w + ix) * g.c + c] = hit ? d[c] : 0.0f;
            }
    }
}

/* Mean over the window's real elements. */
__kernel void avgpool2d_forward(pool_geometry g, int per_item, __global const float *x, ulong x_off,
                                __global float *y, ulong y_off)
{
    POOL_OUTPUT_ITEM(g, per_item, x, x_off)
    __global float *out = y + y_off + (size_t)pixel * g.c;
    const float count = (float)window_count(g, oy, ox);
    int c = c0;
    for (; c + CT_VW <= c1; c += CT_VW) {
        floatv sum = (floatv)(0.0f);
        for (int iy = ys.x; iy < ys.y; iy++)
            for (int ix = xs.x; ix < xs.y; ix++)
                sum += VLOADV(0, ximg + (size_t)(iy * g.w + ix) * g.c + c);
        VSTOREV(sum / count, 0, out + c);
    }
    for (; c < c1; c++) {
        float sum = 0.0f;
        for (int iy = ys.x; iy < ys.y; iy++)
            for (int ix = xs.x; ix < xs.y; ix++)
                sum += ximg[(size_t)(iy * g.w + ix) * g.c + c];
        out[c] = sum / count;
    }
}

/* dx[img][iy][ix][c] = sum over the windows containing (iy, ix) of dy / count. */
__kernel void avgpool2d_backward(pool_geometry g, int per_item, __global const float *dy, ulong dy_off,
                                 __global float *dx, ulong dx_off)
{
    POOL_INPUT_ITEM(g, per_item, dy, dy_off, dx, dx_off)
    int c = c0;
    for (; c + CT_VW <= c1; c += CT_VW) {
        floatv acc = (floatv)(0.0f);
        for (int oy = oys.x; oy < oys.y; oy++)
            for (int ox = oxs.x; ox < oxs.y; ox++)
                acc += VLOADV(0, dyimg + (size_t)(oy * g.ow + ox) * g.c + c) / (float)window_count(g, oy, ox);
        VSTOREV(acc, 0, out + c);
    }
    for (; c < c1; c++) {
        float acc = 0.0f;
        for (int oy = oys.x; oy < oys.y; oy++)
            for (int ox = oxs.x; ox < oxs.y; ox++)
                acc += dyimg[(size_t)(oy * g.ow + ox) * g.c + c] / (float)window_count(g, oy, ox);
        out[c] = acc;
    }
}
