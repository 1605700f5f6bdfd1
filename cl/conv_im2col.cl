/* im2col + GEMM: the patch matrix and its gradient's fold back onto the
 * input (the GEMMs themselves are the GEMM engine's, src/gemm). */

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

/* dx[img][iy][ix][ci] = sum over (ky, kx) of dcol[row(oy, ox)][(ky, kx, ci)].
 * Global (ceil(Cin / per_item), images*H*W): each work-item sums `per_item`
 * consecutive channels of one input pixel (CPUs: all of them; GPUs: 1). */
__kernel void conv2d_col2im(conv_geometry g, int per_item, __global const float *dcol, ulong dcol_off,
                            __global float *dx, ulong dx_off)
{
    CT_PIXEL_CHANNELS(c0, c1, pixel, g.cin, g.images * g.h * g.w, per_item)
    CT_PIXEL_YX(pixel, g.h, g.w, img, iy, ix)
    __global float *out = dx + dx_off + (size_t)pixel * g.cin;
    for (int c = c0; c < c1; c++)
        out[c] = 0.0f;
    CT_FOR_COVERING_TAPS(g, iy, ix, {
        const int row = (img * g.oh + oy) * g.ow + ox;
        __global const float *src = dcol + dcol_off + (size_t)row * PATCH_K(g) + (ky * g.kw + kx) * g.cin;
        for (int c = c0; c < c1; c++)
            out[c] += src[c];
    })
}
