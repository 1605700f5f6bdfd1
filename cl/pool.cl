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

/* First maximum of each channel over the window; a NaN wins and stays, so
 * NaN propagates to the output. */
__kernel void maxpool2d_forward(pool_geometry g, int per_item, __global const float *x, ulong x_off,
                                __global float *y, ulong y_off)
{
    POOL_OUTPUT_ITEM(g, per_item, x, x_off)
    __global float *out = y + y_off + (size_t)pixel * g.c;
    int c = c0;
#if CT_IS_CPU /* per_item is 1 elsewhere; compiled for gfx90a, this loop's masks spill 54 SGPRs */
    for (; c + CT_VW <= c1; c += CT_VW) {
        floatv best = (floatv)(-INFINITY);
        for (int iy = ys.x; iy < ys.y; iy++)
            for (int ix = xs.x; ix < xs.y; ix++) {
                const floatv v = VLOADV(0, ximg + (size_t)(iy * g.w + ix) * g.c + c);
                best = select(best, v, (v > best) | (isnan(v) & ~isnan(best)));
            }
        VSTOREV(best, 0, out + c);
    }
#endif
    for (; c < c1; c++) {
        float best = -INFINITY;
        for (int iy = ys.x; iy < ys.y; iy++)
            for (int ix = xs.x; ix < xs.y; ix++) {
                const float v = ximg[(size_t)(iy * g.w + ix) * g.c + c];
                if (v > best || (isnan(v) && !isnan(best)))
                    best = v;
            }
        out[c] = best;
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

__kernel void maxpool2d_backward_disjoint(pool_geometry g, int per_item, __global const float *x, ulong x_off,
                                          __global const float *dy, ulong dy_off, __global float *dx,
                                          ulong dx_off)
{
    POOL_OUTPUT_ITEM(g, per_item, x, x_off)
    __global float *dximg = dx + dx_off + (size_t)img * g.h * g.w * g.c;
    __global const float *d = dy + dy_off + (size_t)pixel * g.c;
    const int2 cys = pool_cell(oy, g.sh, g.pad_top, g.oh, g.h);
    const int2 cxs = pool_cell(ox, g.sw, g.pad_left, g.ow, g.w);
    /* The window's maximum as the forward computes it, then the first
     * element equal to it takes the gradient: the same element as "every
     * one before smaller, every one after no larger" (a NaN maximum equals
     * nothing, so such a window passes no gradient), with two reads of each
     * element instead of one per element of its window. */
    int c = c0;
    for (; c + CT_VW <= c1; c += CT_VW) {
        floatv best = (floatv)(-INFINITY);
        for (int iy = ys.x; iy < ys.y; iy++)
            for (int ix = xs.x; ix < xs.y; ix++) {
                const floatv v = VLOADV(0, ximg + (size_t)(iy * g.w + ix) * g.c + c);
                best = select(best, v, (v > best) | (isnan(v) & ~isnan(best)));
            }
        const floatv grad = VLOADV(0, d + c);
        intv taken = (intv)(0);
        for (int iy = cys.x; iy < cys.y; iy++)
            for (int ix = cxs.x; ix < cxs.y; ix++) {
                const int me = iy * g.w + ix;
                const bool in_window = iy >= ys.x && iy < ys.y && ix >= xs.x && ix < xs.y;
                intv hit = (intv)(0);
                if (in_window)
                    hit = (VLOADV(0, ximg + (size_t)me * g.c + c) == best) & ~taken;
                taken |= hit;
                VSTOREV(select((floatv)(0.0f), grad, hit), 0, dximg + (size_t)me * g.c + c);
            }
    }
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
