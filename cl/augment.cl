/* Image augmentation (Keras' RandomFlip, RandomTranslation, RandomRotation,
 * RandomZoom, RandomCrop) as one per-sample inverse affine map: output pixel
 * (x, y) reads the input at (a0 x + a1 y + a2, b0 x + b1 y + b2), in pixel
 * units relative to a window of the input (the whole image, or RandomCrop's
 * central box at inference), with bilinear or nearest sampling and Keras'
 * fill modes beyond the window's edges (TensorFlow's ImageProjectiveTransformV3,
 * which Keras 3 calls on its TensorFlow backend).
 *
 * Three kernels: augment_transforms draws each sample's map from Philox
 * (counter (sample, AUGMENT_STREAM, step, layer id), key seed), so a
 * transform is a pure function of those counters and a resumed run redraws
 * the same ones; augment_sample applies the maps; augment_adjoint is its
 * transpose (the backward pass), written as one work-item per (sample,
 * channel) that adds its taps in a fixed order: deterministic, no atomics.
 * The C reference (src/selftest/ref/ref_augment.c) mirrors all three. */

/* The host's float arithmetic (the reference) has no fused multiply-adds:
 * neither may the transforms, so both draw the same maps bit for bit. */
#pragma OPENCL FP_CONTRACT OFF

/* ct_augment_kind, ct_fill_mode and ct_flip_mode (include/cltrain/). */
#define AUG_FLIP 0
#define AUG_TRANSLATION 1
#define AUG_ROTATION 2
#define AUG_ZOOM 3
#define AUG_CROP 4
#define AUG_CENTER_CROP 5
#define FILL_REFLECT 0
#define FILL_WRAP 1
#define FILL_CONSTANT 2
#define FILL_NEAREST 3
#define FLIP_HORIZONTAL 0
#define FLIP_VERTICAL 1
#define FLIP_BOTH 2

/* Counter word 1: keeps these draws apart from dropout's (which counts
 * elements there) should a seed, step and layer id ever coincide. */
#define AUGMENT_STREAM 0x41554755u

/* A uniform draw in [0, 1) from the top 24 bits: exact in float. */
inline float unit_draw(uint word) { return (float)(word >> 8) * 0x1p-24f; }
inline float uniform_draw(uint word, float lo, float hi) { return lo + unit_draw(word) * (hi - lo); }

/* Item i: the map of sample i, 6 floats {a0, a1, a2, b0, b1, b2}. lo/hi:
 * the factor ranges (height, width) as the launcher resolved them; for
 * AUG_CENTER_CROP lo_h, lo_w are the window-to-output scales. */
__kernel void augment_transforms(uint n, int kind, int flip_mode, float lo_h, float hi_h, float lo_w, float hi_w,
                                 int same_zoom, int in_h, int in_w, int out_h, int out_w, uint seed_lo,
                                 uint seed_hi, uint step, uint layer_id, uint first, __global float *m, ulong m_off)
{
    const uint i = (uint)get_global_id(0);
    if (i >= n)
        return;
    const uint4 r = philox4x32_10(first + i, AUGMENT_STREAM, step, layer_id, seed_lo, seed_hi);
    float a0 = 1.0f, a1 = 0.0f, a2 = 0.0f, b0 = 0.0f, b1 = 1.0f, b2 = 0.0f;
    const float h = (float)in_h, w = (float)in_w;
    if (kind == AUG_FLIP) {
        if (unit_draw(r.x) <= 0.5f) { /* Keras: uniform <= 0.5; both axes share the draw */
            if (flip_mode != FLIP_VERTICAL) {
                a0 = -1.0f;
                a2 = w - 1.0f;
            }
            if (flip_mode != FLIP_HORIZONTAL) {
                b1 = -1.0f;
                b2 = h - 1.0f;
            }
        }
    } else if (kind == AUG_TRANSLATION) {
        b2 = -(uniform_draw(r.x, lo_h, hi_h) * h);
        a2 = -(uniform_draw(r.y, lo_w, hi_w) * w);
    } else if (kind == AUG_ROTATION) {
        /* lo_h, hi_h in degrees; the rotation about the image centre. */
        const float angle = uniform_draw(r.x, lo_h, hi_h) * 0.017453292519943295f;
        const float c = cos(angle), s = sin(angle), cx = 0.5f * (w - 1.0f), cy = 0.5f * (h - 1.0f);
        a0 = c;
        a1 = -s;
        a2 = cx - cx * a0 - cy * a1;
        b0 = s;
        b1 = c;
        b2 = cy - cx * b0 - cy * b1;
    } else if (kind == AUG_ZOOM) {
        const float zy = 1.0f + uniform_draw(r.x, lo_h, hi_h);
        const float zx = same_zoom ? zy : 1.0f + uniform_draw(r.y, lo_w, hi_w);
        a0 = zx;
        a2 = ((w - 1.0f) / 2.0f) * (1.0f - zx);
        b1 = zy;
        b2 = ((h - 1.0f) / 2.0f) * (1.0f - zy);
    } else if (kind == AUG_CROP) {
        /* Keras: int(uniform(0, in - out + 1)), a whole-pixel offset. */
        b2 = (float)min((int)(unit_draw(r.x) * (float)(in_h - out_h + 1)), in_h - out_h);
        a2 = (float)min((int)(unit_draw(r.y) * (float)(in_w - out_w + 1)), in_w - out_w);
    } else if (kind == AUG_CENTER_CROP) {
        /* Bilinear resize with half-pixel centres: (o + 0.5) scale - 0.5. */
        b1 = lo_h;
        b2 = 0.5f * lo_h - 0.5f;
        a0 = lo_w;
        a2 = 0.5f * lo_w - 0.5f;
    }
    __global float *t = m + m_off + (size_t)i * 6;
    t[0] = a0;
    t[1] = a1;
    t[2] = a2;
    t[3] = b0;
    t[4] = b1;
    t[5] = b2;
}

/* A coordinate beyond [0, len - 1] brought back per the fill mode, as
 * TensorFlow's map_coord; constant leaves it (its taps read the fill value). */
inline float map_coord(float c, int len, int mode)
{
    const float size = (float)len;
    if (mode == FILL_CONSTANT)
        return c;
    if (mode == FILL_REFLECT) {
        if (c < 0.0f) {
            if (len <= 1) {
                c = 0.0f;
            } else {
                const float sz2 = 2.0f * size;
                c = sz2 * (float)(int)(-c / sz2) + c;
                c = c < -size ? c + sz2 : -c - 1.0f;
            }
        } else if (c > size - 1.0f) {
            if (len <= 1) {
                c = 0.0f;
            } else {
                const float sz2 = 2.0f * size;
                c -= sz2 * (float)(int)(c / sz2);
                if (c >= size)
                    c = sz2 - c - 1.0f;
            }
        }
    } else if (mode == FILL_WRAP) {
        if (c < 0.0f) {
            c = len <= 1 ? 0.0f : c + size * (float)((int)(-c / size) + 1);
        } else if (c > size - 1.0f) {
            c = len <= 1 ? 0.0f : c - size * (float)(int)(c / size);
        }
    }
    return clamp(c, 0.0f, size - 1.0f);
}

/* The up to 4 input pixels (index within the window, -1: outside, the
 * fill value) and weights that output pixel (ox, oy) reads. */
inline int augment_taps(__global const float *t, int ox, int oy, int win_h, int win_w, int fill_mode, int nearest,
                        int *idx, float *wt)
{
    const float xo = (float)ox, yo = (float)oy;
    const float xs = map_coord(t[0] * xo + t[1] * yo + t[2], win_w, fill_mode);
    const float ys = map_coord(t[3] * xo + t[4] * yo + t[5], win_h, fill_mode);
    if (nearest) {
        const int xi = (int)round(xs), yi = (int)round(ys);
        idx[0] = xi >= 0 && xi < win_w && yi >= 0 && yi < win_h ? yi * win_w + xi : -1;
        wt[0] = 1.0f;
        return 1;
    }
    const float xf = floor(xs), yf = floor(ys);
    const float wx1 = xs - xf, wx0 = (xf + 1.0f) - xs, wy1 = ys - yf, wy0 = (yf + 1.0f) - ys;
    const int x0 = (int)xf, y0 = (int)yf;
    for (int k = 0; k < 4; k++) {
        const int xi = x0 + (k & 1), yi = y0 + (k >> 1);
        idx[k] = xi >= 0 && xi < win_w && yi >= 0 && yi < win_h ? yi * win_w + xi : -1;
        wt[k] = ((k >> 1) ? wy1 : wy0) * ((k & 1) ? wx1 : wx0);
    }
    return 4;
}

/* Item g: output pixel g of (n, out_h, out_w), all channels. x (n, in_h,
 * in_w, ch); the window's top-left (win_y0, win_x0) and size in x. */
__kernel void augment_sample(ulong pixels, int in_h, int in_w, int ch, int out_h, int out_w, int win_y0,
                             int win_x0, int win_h, int win_w, int fill_mode, float fill_value, int nearest,
                             __global const float *m, ulong m_off, __global const float *x, ulong x_off,
                             __global float *y, ulong y_off)
{
    CT_GID_OR_RETURN(g, pixels);
    const size_t plane = (size_t)out_h * (size_t)out_w, n = g / plane;
    const int p = (int)(g - n * plane), oy = p / out_w, ox = p - oy * out_w;
    int idx[4];
    float wt[4];
    const int taps = augment_taps(m + m_off + n * 6, ox, oy, win_h, win_w, fill_mode, nearest, idx, wt);
    __global const float *src = x + x_off + (n * (size_t)in_h * (size_t)in_w) * (size_t)ch;
    __global float *dst = y + y_off + g * (size_t)ch;
    int at[4]; /* each tap's first channel in src, -1: the fill value */
    for (int k = 0; k < taps; k++) {
        const int yi = idx[k] / win_w, xi = idx[k] - yi * win_w;
        at[k] = idx[k] < 0 ? -1 : ((win_y0 + yi) * in_w + win_x0 + xi) * ch;
    }
    for (int c = 0; c < ch; c++) {
        float v = 0.0f;
        for (int k = 0; k < taps; k++)
            v += wt[k] * (at[k] < 0 ? fill_value : src[at[k] + c]);
        dst[c] = v;
    }
}

/* Item g = (sample, channel): dx = the transpose of augment_sample applied
 * to dy, for that channel of that sample, taps added in output order. */
__kernel void augment_adjoint(ulong items, int in_h, int in_w, int ch, int out_h, int out_w, int win_y0,
                              int win_x0, int win_h, int win_w, int fill_mode, int nearest,
                              __global const float *m, ulong m_off, __global const float *dy, ulong dy_off,
                              __global float *dx, ulong dx_off)
{
    CT_GID_OR_RETURN(g, items);
    const size_t n = g / (size_t)ch, c = g - n * (size_t)ch;
    __global float *d = dx + dx_off + n * (size_t)in_h * (size_t)in_w * (size_t)ch + c;
    __global const float *up = dy + dy_off + n * (size_t)out_h * (size_t)out_w * (size_t)ch + c;
    for (size_t i = 0; i < (size_t)in_h * (size_t)in_w; i++)
        d[i * ch] = 0.0f;
    __global const float *t = m + m_off + n * 6;
    for (int oy = 0; oy < out_h; oy++)
        for (int ox = 0; ox < out_w; ox++) {
            int idx[4];
            float wt[4];
            const int taps = augment_taps(t, ox, oy, win_h, win_w, fill_mode, nearest, idx, wt);
            const float g_out = up[((size_t)oy * (size_t)out_w + (size_t)ox) * ch];
            for (int k = 0; k < taps; k++) {
                if (idx[k] < 0)
                    continue;
                const int yi = idx[k] / win_w, xi = idx[k] - yi * win_w;
                d[((size_t)(win_y0 + yi) * (size_t)in_w + (size_t)(win_x0 + xi)) * ch] += wt[k] * g_out;
            }
        }
}
