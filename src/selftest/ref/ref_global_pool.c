/* Plain-C references for the global pooling layers: one loop over every
 * pixel of each image, without the window machinery of ref_conv.c. */
#include <math.h>

#include "selftest/ref/ref_conv.h"

static void global_pool(size_t n, size_t h, size_t w, size_t c, int average, const double *x, double *y)
{
    for (size_t img = 0; img < n; img++)
        for (size_t ch = 0; ch < c; ch++) {
            double best = -INFINITY, sum = 0;
            for (size_t px = 0; px < h * w; px++) {
                double v = x[(img * h * w + px) * c + ch];
                best = v > best ? v : best;
                sum += v;
            }
            y[img * c + ch] = average ? sum / (double)(h * w) : best;
        }
}

void ref_global_max_pool2d(size_t n, size_t h, size_t w, size_t c, const double *x, double *y)
{
    global_pool(n, h, w, c, 0, x, y);
}

void ref_global_avg_pool2d(size_t n, size_t h, size_t w, size_t c, const double *x, double *y)
{
    global_pool(n, h, w, c, 1, x, y);
}
