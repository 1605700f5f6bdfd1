/* Plain-C references for convolution and pooling (NHWC, double precision),
 * written independently of src/ops (including the padding rule), so the
 * device geometry is checked too. */
#ifndef CLTRAIN_REF_CONV_H
#define CLTRAIN_REF_CONV_H

#include <stddef.h>

/* A sliding window over NHWC images (N, H, W, C). */
typedef struct {
    size_t n, h, w, c; /* input */
    size_t kh, kw;     /* window (kernel or pool) size */
    size_t sh, sw;     /* strides */
    int same;          /* 1: Keras 'same' padding, 0: 'valid' */
} ref_window2d;

/* Output length along one axis, and the zeros before the first element. */
size_t ref_window_out(size_t in, size_t k, size_t stride, int same, size_t *pad_before);
/* Output (N, OH, OW, channels) of a window over the input. */
void ref_window_out_shape(const ref_window2d *win, size_t channels, size_t shape[4]);

/* y (N, OH, OW, cout) = conv(x (N, H, W, C), kernel (KH, KW, C, cout)) + bias (NULL: none). */
void ref_conv2d(const ref_window2d *win, size_t cout, const double *x, const double *kernel, const double *bias,
                double *y);

/* y (N, OH, OW, C): max (first maximum on ties) or mean over the real elements of each window. */
void ref_max_pool2d(const ref_window2d *win, const double *x, double *y);
void ref_avg_pool2d(const ref_window2d *win, const double *x, double *y);

/* y (N, C): the maximum or the mean over height and width of each channel
 * of x (N, H, W, C) (GlobalMaxPooling2D / GlobalAveragePooling2D). */
void ref_global_max_pool2d(size_t n, size_t h, size_t w, size_t c, const double *x, double *y);
void ref_global_avg_pool2d(size_t n, size_t h, size_t w, size_t c, const double *x, double *y);

#endif
