/* The augmentation reference: cl/augment.cl's three steps in plain C. */
#include "selftest/ref/ref_augment.h"

#include <math.h>

#include "selftest/ref/ref_nn.h"

#define AUGMENT_STREAM 0x41554755u

static float unit_draw(uint32_t word) { return (float)(word >> 8) * 0x1p-24f; }
static float uniform_draw(uint32_t word, float lo, float hi) { return lo + unit_draw(word) * (hi - lo); }

void ref_augment_transform(const ct_augment_params *p, size_t i, size_t in_h, size_t in_w, size_t out_h,
                           size_t out_w, float m[6])
{
    uint32_t counter[4] = {(uint32_t)i + p->first, AUGMENT_STREAM, p->step, p->layer_id};
    uint32_t key[2] = {(uint32_t)p->seed, (uint32_t)(p->seed >> 32)}, r[4];
    ref_philox4x32_10(counter, key, r);
    float a0 = 1, a1 = 0, a2 = 0, b0 = 0, b1 = 1, b2 = 0, h = (float)in_h, w = (float)in_w;
    switch (p->kind) {
    case CT_AUGMENT_FLIP:
        if (unit_draw(r[0]) <= 0.5f) {
            if (p->flip != CT_FLIP_VERTICAL)
                a0 = -1, a2 = w - 1;
            if (p->flip != CT_FLIP_HORIZONTAL)
                b1 = -1, b2 = h - 1;
        }
        break;
    case CT_AUGMENT_TRANSLATION:
        b2 = -(uniform_draw(r[0], p->lower[0], p->upper[0]) * h);
        a2 = -(uniform_draw(r[1], p->lower[1], p->upper[1]) * w);
        break;
    case CT_AUGMENT_ROTATION: {
        float lo = (float)((double)p->lower[0] * 360.0), hi = (float)((double)p->upper[0] * 360.0);
        double angle = (double)(uniform_draw(r[0], lo, hi) * 0.017453292519943295f);
        float c = (float)cos(angle), s = (float)sin(angle), cx = 0.5f * (w - 1), cy = 0.5f * (h - 1);
        a0 = c, a1 = -s, a2 = cx - cx * a0 - cy * a1;
        b0 = s, b1 = c, b2 = cy - cx * b0 - cy * b1;
        break;
    }
    case CT_AUGMENT_ZOOM: {
        float zy = 1.0f + uniform_draw(r[0], p->lower[0], p->upper[0]);
        float zx = p->same_zoom ? zy : 1.0f + uniform_draw(r[1], p->lower[1], p->upper[1]);
        a0 = zx, a2 = ((w - 1) / 2.0f) * (1 - zx);
        b1 = zy, b2 = ((h - 1) / 2.0f) * (1 - zy);
        break;
    }
    case CT_AUGMENT_CROP: {
        int dh = (int)(unit_draw(r[0]) * (float)(in_h - out_h + 1)), dw = (int)(unit_draw(r[1]) * (float)(in_w - out_w + 1));
        b2 = (float)(dh < (int)(in_h - out_h) ? dh : (int)(in_h - out_h));
        a2 = (float)(dw < (int)(in_w - out_w) ? dw : (int)(in_w - out_w));
        break;
    }
    case CT_AUGMENT_CENTER_CROP: {
        float sy = (float)in_h / (float)out_h, sx = (float)in_w / (float)out_w;
        b1 = sy, b2 = 0.5f * sy - 0.5f;
        a0 = sx, a2 = 0.5f * sx - 0.5f;
        break;
    }
    default:
        break;
    }
    m[0] = a0, m[1] = a1, m[2] = a2, m[3] = b0, m[4] = b1, m[5] = b2;
}

/* TensorFlow's map_coord (cl/augment.cl). */
static float map_coord(float c, int len, ct_fill_mode mode)
{
    float size = (float)len;
    if (mode == CT_FILL_CONSTANT)
        return c;
    if (mode == CT_FILL_REFLECT) {
        if (c < 0) {
            if (len <= 1) {
                c = 0;
            } else {
                float sz2 = 2 * size;
                c = sz2 * (float)(int)(-c / sz2) + c;
                c = c < -size ? c + sz2 : -c - 1;
            }
        } else if (c > size - 1) {
            if (len <= 1) {
                c = 0;
            } else {
                float sz2 = 2 * size;
                c -= sz2 * (float)(int)(c / sz2);
                if (c >= size)
                    c = sz2 - c - 1;
            }
        }
    } else if (mode == CT_FILL_WRAP) {
        if (c < 0)
            c = len <= 1 ? 0 : c + size * (float)((int)(-c / size) + 1);
        else if (c > size - 1)
            c = len <= 1 ? 0 : c - size * (float)(int)(c / size);
    }
    return c < 0 ? 0 : c > size - 1 ? size - 1 : c;
}

void ref_augment(const ct_augment_params *p, size_t n, size_t in_h, size_t in_w, size_t ch, size_t out_h,
                 size_t out_w, const double *x, double *y)
{
    size_t y0 = 0, x0 = 0, wh = in_h, ww = in_w;
    if (p->kind == CT_AUGMENT_CENTER_CROP)
        ct_augment_center_window(in_h, in_w, out_h, out_w, &y0, &x0, &wh, &ww);
    int interpolating = (p->kind == CT_AUGMENT_TRANSLATION || p->kind == CT_AUGMENT_ROTATION ||
                         p->kind == CT_AUGMENT_ZOOM || p->kind == CT_AUGMENT_CENTER_CROP);
    int nearest = !interpolating || (p->kind != CT_AUGMENT_CENTER_CROP && p->interpolation == CT_INTERPOLATION_NEAREST);
    ct_fill_mode fill = interpolating && p->kind != CT_AUGMENT_CENTER_CROP ? p->fill_mode : CT_FILL_NEAREST;
    for (size_t s = 0; s < n; s++) {
        float m[6];
        ref_augment_transform(p, s, wh, ww, out_h, out_w, m);
        const double *src = x + s * in_h * in_w * ch;
        for (size_t oy = 0; oy < out_h; oy++)
            for (size_t ox = 0; ox < out_w; ox++) {
                float xs = map_coord(m[0] * (float)ox + m[1] * (float)oy + m[2], (int)ww, fill);
                float ys = map_coord(m[3] * (float)ox + m[4] * (float)oy + m[5], (int)wh, fill);
                double *dst = y + ((s * out_h + oy) * out_w + ox) * ch;
                int tx[4], ty[4], taps;
                double wt[4];
                if (nearest) {
                    tx[0] = (int)roundf(xs), ty[0] = (int)roundf(ys), wt[0] = 1, taps = 1;
                } else {
                    double xf = floor(xs), yf = floor(ys);
                    for (int k = 0; k < 4; k++) {
                        tx[k] = (int)xf + (k & 1), ty[k] = (int)yf + (k >> 1);
                        wt[k] = ((k >> 1) ? ys - yf : yf + 1 - ys) * ((k & 1) ? xs - xf : xf + 1 - xs);
                    }
                    taps = 4;
                }
                for (size_t c = 0; c < ch; c++) {
                    double v = 0;
                    for (int k = 0; k < taps; k++) {
                        int inside = tx[k] >= 0 && tx[k] < (int)ww && ty[k] >= 0 && ty[k] < (int)wh;
                        v += wt[k] * (inside ? src[(((size_t)ty[k] + y0) * in_w + (size_t)tx[k] + x0) * ch + c]
                                             : (double)p->fill_value);
                    }
                    dst[c] = v;
                }
            }
    }
}
