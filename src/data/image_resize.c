/* Bilinear resizing, separable (rows, then columns), with the triangle
 * filter widened by the shrink factor, as PIL's Image.resize(BILINEAR) does
 * (which is what Keras' load_img(target_size=...) uses). Plain bilinear
 * looks at 2x2 pixels only: a 1024-pixel photo shrunk to 32 would keep one
 * pixel in 32 and alias; the widened filter averages them all. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "cltrain/data.h"

/* For each output position: the first input index and the weights of the
 * input samples it covers. */
typedef struct {
    size_t *first;
    size_t *count;
    double *weights; /* out_size x max_taps */
    size_t max_taps;
} resample_plan;

static void plan_free(resample_plan *p)
{
    free(p->first);
    free(p->count);
    free(p->weights);
}

static ct_status plan_make(size_t in_size, size_t out_size, resample_plan *p)
{
    double scale = (double)in_size / (double)out_size;
    double support = scale > 1 ? scale : 1; /* the triangle's half-width in input pixels */
    p->max_taps = (size_t)ceil(support) * 2 + 1;
    p->first = calloc(out_size, sizeof *p->first);
    p->count = calloc(out_size, sizeof *p->count);
    p->weights = calloc(out_size * p->max_taps, sizeof *p->weights);
    if (!p->first || !p->count || !p->weights) {
        plan_free(p);
        return ct_fail(CT_ERR_NO_MEMORY, "resizing an image: out of memory");
    }
    for (size_t o = 0; o < out_size; o++) {
        double centre = ((double)o + 0.5) * scale; /* half-pixel centres: the edges line up */
        long lo = (long)floor(centre - support), hi = (long)ceil(centre + support);
        lo = lo < 0 ? 0 : lo;
        hi = hi > (long)in_size ? (long)in_size : hi;
        double total = 0;
        size_t taps = 0;
        for (long i = lo; i < hi && taps < p->max_taps; i++) {
            double w = 1 - fabs(((double)i + 0.5 - centre) / support);
            w = w > 0 ? w : 0;
            p->weights[o * p->max_taps + taps++] = w;
            total += w;
        }
        for (size_t t = 0; t < taps; t++) /* weights sum to 1: flat stays flat */
            p->weights[o * p->max_taps + t] /= total > 0 ? total : 1;
        p->first[o] = (size_t)lo;
        p->count[o] = taps;
    }
    return CT_OK;
}

/* out[o] = sum over taps of in[first + t] * weight; `stride` between
 * consecutive samples of the line, `lines` lines `line_stride` apart. */
static void resample(const float *in, float *out, const resample_plan *p, size_t out_size, size_t stride,
                     size_t lines, size_t in_line_stride, size_t out_line_stride, size_t out_stride)
{
    for (size_t line = 0; line < lines; line++)
        for (size_t o = 0; o < out_size; o++) {
            double sum = 0;
            const double *w = p->weights + o * p->max_taps;
            for (size_t t = 0; t < p->count[o]; t++)
                sum += w[t] * in[line * in_line_stride + (p->first[o] + t) * stride];
            out[line * out_line_stride + o * out_stride] = (float)sum;
        }
}

ct_status ct_image_resize(const float *in, size_t width, size_t height, size_t channels, size_t out_width,
                          size_t out_height, float **out)
{
    if (!in || !out || !width || !height || !channels || !out_width || !out_height)
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "ct_image_resize: cannot resize %zux%zux%zu to %zux%zu", height,
                       width, channels, out_height, out_width);
    if (out_width > SIZE_MAX / out_height / channels / height)
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "ct_image_resize: %zux%zu is too large", out_height, out_width);
    resample_plan across = {0}, down = {0};
    float *middle = malloc(height * out_width * channels * sizeof *middle);
    float *result = malloc(out_height * out_width * channels * sizeof *result);
    ct_status s = CT_OK;
    if (!middle || !result)
        s = ct_fail(CT_ERR_NO_MEMORY, "resizing an image to %zux%zu: out of memory", out_height, out_width);
    if (s == CT_OK)
        s = plan_make(width, out_width, &across);
    if (s == CT_OK)
        s = plan_make(height, out_height, &down);
    if (s == CT_OK) {
        /* Rows: each (row, channel) is a line of `width` samples `channels` apart. */
        for (size_t c = 0; c < channels; c++)
            resample(in + c, middle + c, &across, out_width, channels, height, width * channels,
                     out_width * channels, channels);
        /* Columns: each (column, channel) is a line of `height` samples a row apart. */
        for (size_t c = 0; c < channels; c++)
            resample(middle + c, result + c, &down, out_height, out_width * channels, out_width, channels,
                     channels, out_width * channels);
    }
    plan_free(&across);
    plan_free(&down);
    free(middle);
    if (s != CT_OK) {
        free(result);
        return s;
    }
    *out = result;
    return CT_OK;
}
