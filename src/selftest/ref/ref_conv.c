#include "selftest/ref/ref_conv.h"

#include <math.h>

size_t ref_window_out(size_t in, size_t k, size_t stride, int same, size_t *pad_before)
{
    if (!same) {
        *pad_before = 0;
        return in >= k ? (in - k) / stride + 1 : 0;
    }
    size_t out = (in + stride - 1) / stride;
    long total = (long)((out - 1) * stride + k) - (long)in;
    *pad_before = total > 0 ? (size_t)total / 2 : 0;
    return out;
}

void ref_window_out_shape(const ref_window2d *win, size_t channels, size_t shape[4])
{
    size_t pad;
    shape[0] = win->n;
    shape[1] = ref_window_out(win->h, win->kh, win->sh, win->same, &pad);
    shape[2] = ref_window_out(win->w, win->kw, win->sw, win->same, &pad);
    shape[3] = channels;
}

/* Input row/column of window position o at offset k; -1 when in the padding. */
static long input_index(size_t o, size_t k, size_t stride, size_t pad, size_t in)
{
    long i = (long)(o * stride + k) - (long)pad;
    return i >= 0 && i < (long)in ? i : -1;
}

static double x_at(const ref_window2d *win, const double *x, size_t img, long iy, long ix, size_t ch)
{
    return x[((img * win->h + (size_t)iy) * win->w + (size_t)ix) * win->c + ch];
}

void ref_conv2d(const ref_window2d *win, size_t cout, const double *x, const double *kernel, const double *bias,
                double *y)
{
    size_t pt, pl;
    size_t oh = ref_window_out(win->h, win->kh, win->sh, win->same, &pt);
    size_t ow = ref_window_out(win->w, win->kw, win->sw, win->same, &pl);
    for (size_t img = 0; img < win->n; img++)
        for (size_t oy = 0; oy < oh; oy++)
            for (size_t ox = 0; ox < ow; ox++)
                for (size_t co = 0; co < cout; co++) {
                    double acc = bias ? bias[co] : 0;
                    for (size_t ky = 0; ky < win->kh; ky++) {
                        long iy = input_index(oy, ky, win->sh, pt, win->h);
                        for (size_t kx = 0; kx < win->kw && iy >= 0; kx++) {
                            long ix = input_index(ox, kx, win->sw, pl, win->w);
                            for (size_t ci = 0; ci < win->c && ix >= 0; ci++)
                                acc += x_at(win, x, img, iy, ix, ci) *
                                       kernel[((ky * win->kw + kx) * win->c + ci) * cout + co];
                        }
                    }
                    y[((img * oh + oy) * ow + ox) * cout + co] = acc;
                }
}

static void pool(const ref_window2d *win, int average, const double *x, double *y)
{
    size_t pt, pl;
    size_t oh = ref_window_out(win->h, win->kh, win->sh, win->same, &pt);
    size_t ow = ref_window_out(win->w, win->kw, win->sw, win->same, &pl);
    for (size_t img = 0; img < win->n; img++)
        for (size_t oy = 0; oy < oh; oy++)
            for (size_t ox = 0; ox < ow; ox++)
                for (size_t ch = 0; ch < win->c; ch++) {
                    double best = -INFINITY, sum = 0;
                    size_t count = 0;
                    for (size_t ky = 0; ky < win->kh; ky++) {
                        long iy = input_index(oy, ky, win->sh, pt, win->h);
                        for (size_t kx = 0; kx < win->kw && iy >= 0; kx++) {
                            long ix = input_index(ox, kx, win->sw, pl, win->w);
                            if (ix < 0)
                                continue;
                            double v = x_at(win, x, img, iy, ix, ch);
                            if (v > best)
                                best = v;
                            sum += v;
                            count++;
                        }
                    }
                    y[((img * oh + oy) * ow + ox) * win->c + ch] = average ? sum / (double)count : best;
                }
}

void ref_max_pool2d(const ref_window2d *win, const double *x, double *y) { pool(win, 0, x, y); }
void ref_avg_pool2d(const ref_window2d *win, const double *x, double *y) { pool(win, 1, x, y); }
