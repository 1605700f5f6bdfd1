/* Index helpers of the sliding-window kernels (convolution and pooling, NHWC
 * images): which work-item owns which pixel and channels, and which window
 * positions stay inside the image. One copy for the conv and pool programs. */

/* The prologue of a kernel over a (ceil(channels / per_item), pixels) range:
 * the work-item's channels [c0, c1) of pixel `pixel` (CPUs: per_item = all
 * channels, GPUs: 1, see ct_channels_per_item); items past either end return. */
#define CT_PIXEL_CHANNELS(c0, c1, pixel, channels, pixels, per_item) \
    const int c0 = (int)get_global_id(0) * (per_item);                \
    const int pixel = (int)get_global_id(1);                          \
    if (c0 >= (channels) || pixel >= (pixels))                        \
        return;                                                       \
    const int c1 = min(c0 + (per_item), (channels));

/* (img, y, x) of pixel index p in a batch of h x w images. */
#define CT_PIXEL_YX(p, h, w, img, y, x) \
    const int x = (p) % (w), y = ((p) / (w)) % (h), img = (p) / ((w) * (h));

/* The in-bounds part [lo, hi) of window o along one axis. */
int2 window_span(int o, int stride, int pad, int size, int in)
{
    const int start = o * stride - pad;
    return (int2)(max(start, 0), min(start + size, in));
}

/* Kernel offsets k (along one axis) that land inside the input for output o:
 * [lo, hi) with 0 <= o*stride - pad + k < in (window_span less the start). */
int2 valid_taps(int o, int stride, int pad, int size, int in)
{
    const int start = o * stride - pad;
    return (int2)(max(0, -start), min(size, in - start));
}

/* Windows o (0 <= o < out) whose span along one axis contains pos, as [lo, hi). */
int2 windows_containing(int pos, int stride, int pad, int size, int out)
{
    const int last_start = pos + pad;         /* o*stride <= pos + pad */
    const int first_start = pos + pad - size + 1; /* o*stride >= pos + pad - size + 1 */
    const int lo = first_start <= 0 ? 0 : (first_start + stride - 1) / stride;
    const int hi = min(last_start / stride + 1, out);
    return (int2)(lo, max(lo, hi));
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

/* First and one-past-last output index o with 0 <= o*stride - pad + k < in. */
int2 valid_outputs(int k, int stride, int pad, int in, int out)
{
    const int lo_num = pad - k; /* o*stride >= pad - k */
    int lo = lo_num <= 0 ? 0 : (lo_num + stride - 1) / stride;
    const int hi_num = in - 1 + pad - k; /* o*stride <= in - 1 + pad - k */
    int hi = hi_num < 0 ? 0 : min(hi_num / stride + 1, out);
    return (int2)(lo, max(lo, hi));
}
