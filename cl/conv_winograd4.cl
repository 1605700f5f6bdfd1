/* Winograd F(4x4, 3x3): 4x4 output tiles from 6x6 input tiles, 36
 * products per tile and channel pair instead of 144 (4x fewer; F(2x2)'s
 * 2.25x). Same structure as F(2x2) (conv_winograd.cl), for full panels and 16 or 32
 * input channels only (V: 36 x WB x WC floats, 54 KiB; no scalar channel
 * tail, which took a third of the JIT time). Transforms
 * (Lavin and Gray), per dimension:
 *   B^T d: 4d0 - 5d2 + d4, (d4 - 4d2) +- (d3 - 4d1), (d4 - d2) +- 2(d3 - d1), 4d1 - 5d3 + d5
 *   G g:   g0/4, -(g0 + g1 + g2)/6, -(g0 - g1 + g2)/6, g0/24 +- g1/12 + g2/6, g2
 *   A^T m: m0 + m1 + m2 + m3 + m4, (m1 - m2) + 2(m3 - m4), (m1 + m2) + 4(m3 + m4),
 *          (m1 - m2) + 8(m3 - m4) + m5 */
#define W4E 36

/* u[0..5] = G (g0, g1, g2), in floats of type T; u is a private array
 * that the unrolled loops of the caller keep in registers (with the loops
 * rolled, the compiler stored the values one by one and read them back as
 * vectors: store-forwarding stalls took 70 % of the kernel).
 * Multiplications by the reciprocals, not divisions (U differs from the
 * quotients by at most an ulp). */
#define G6(T, g0, g1, g2, u)                                                           \
    {                                                                                  \
        const T g0_ = (g0), g1_ = (g1), g2_ = (g2);                                    \
        u[0] = 0.25f * g0_;                                                            \
        u[1] = -(g0_ + g1_ + g2_) * (1.0f / 6.0f);                                     \
        u[2] = -(g0_ - g1_ + g2_) * (1.0f / 6.0f);                                     \
        u[3] = g0_ * (1.0f / 24.0f) + g1_ * (1.0f / 12.0f) + g2_ * (1.0f / 6.0f);      \
        u[4] = g0_ * (1.0f / 24.0f) - g1_ * (1.0f / 12.0f) + g2_ * (1.0f / 6.0f);      \
        u[5] = g2_;                                                                    \
    }

/* U[e][c][k] (e = 6 * ey + ex) = (G g G^T)[ey][ex], as
 * conv2d_winograd_weights, CT_VW output channels k per work-item (ldu is a
 * multiple of 32): U's rows lie Cin * ldu floats apart, 4 KiB or more, so
 * that one channel per work-item made 36 scalar stores into as many
 * streams, each missing the cache; a vector per store fills its line. */
__kernel void conv2d_winograd4_weights(conv_geometry g, int flip, int ldu, __global const float *w, ulong w_off,
                                       __global float *u, ulong u_off)
{
    const size_t i = get_global_id(0), groups = (size_t)ldu / CT_VW;
    if (i >= (size_t)g.cin * groups)
        return;
    const int k0 = (int)(i % groups) * CT_VW, c = (int)(i / groups);
    floatv f[3][3], t[6][3], col[6];
    _Pragma("unroll") for (int ky = 0; ky < 3; ky++) _Pragma("unroll") for (int kx = 0; kx < 3; kx++)
    {
        __global const float *tap = w + w_off;
        if (!flip && k0 + CT_VW <= g.cout) {
            f[ky][kx] = VLOADV(0, tap + ((size_t)(ky * 3 + kx) * g.cin + c) * g.cout + k0);
        } else {
            float lanes[CT_VW];
            for (int l = 0; l < CT_VW; l++)
                lanes[l] = kernel_tap(g, flip, tap, c, k0 + l, ky, kx);
            f[ky][kx] = VLOADV(0, lanes);
        }
    }
    _Pragma("unroll") for (int kx = 0; kx < 3; kx++)
    {
        G6(floatv, f[0][kx], f[1][kx], f[2][kx], col);
        _Pragma("unroll") for (int ey = 0; ey < 6; ey++) t[ey][kx] = col[ey];
    }
    __global float *dst = u + u_off + (size_t)c * ldu + k0;
    const size_t step = (size_t)g.cin * ldu;
    _Pragma("unroll") for (int ey = 0; ey < 6; ey++)
    {
        G6(floatv, t[ey][0], t[ey][1], t[ey][2], col);
        _Pragma("unroll") for (int ex = 0; ex < 6; ex++) VSTOREV(col[ex], 0, dst + (6 * ey + ex) * step);
    }
}

#define BT6(T, d0, d1, d2, d3, d4, d5, r)                                                                        \
    {                                                                                                            \
        const T p = d4 - 4.0f * d2, q = d3 - 4.0f * d1, s = d4 - d2, v2 = 2.0f * (d3 - d1);                       \
        r[0] = 4.0f * d0 - 5.0f * d2 + d4;                                                                       \
        r[1] = p + q;                                                                                            \
        r[2] = p - q;                                                                                            \
        r[3] = s + v2;                                                                                           \
        r[4] = s - v2;                                                                                           \
        r[5] = 4.0f * d1 - 5.0f * d3 + d5;                                                                       \
    }

/* B^T d B of one 6x6 tile, to v[e * WB * WC], e = 0..35; reads as
 * input_transformv (6-bit masks). */
#define DEFINE_INPUT_TRANSFORM4(NAME, T, LOAD, STORE)                                                           \
    INLINE void NAME(__global const float *src, const int *roff, const int *coff, const int rv, const int cv,    \
                     __private float *v)                                                                         \
    {                                                                                                            \
        T d[6][6], t[6][6], r[6];                                                                                \
        _Pragma("unroll") for (int i = 0; i < 6; i++) _Pragma("unroll") for (int j = 0; j < 6; j++) d[i][j] =   \
            ((rv >> i) & (cv >> j) & 1) ? LOAD(src + roff[i] + coff[j]) : (T)0.0f;                              \
        _Pragma("unroll") for (int j = 0; j < 6; j++)                                                            \
        {                                                                                                        \
            BT6(T, d[0][j], d[1][j], d[2][j], d[3][j], d[4][j], d[5][j], r);                                     \
            _Pragma("unroll") for (int i = 0; i < 6; i++) t[i][j] = r[i];                                        \
        }                                                                                                        \
        _Pragma("unroll") for (int i = 0; i < 6; i++)                                                            \
        {                                                                                                        \
            BT6(T, t[i][0], t[i][1], t[i][2], t[i][3], t[i][4], t[i][5], r);                                     \
            _Pragma("unroll") for (int j = 0; j < 6; j++) STORE(r[j], v + (6 * i + j) * WB * WC);               \
        }                                                                                                        \
    }
DEFINE_INPUT_TRANSFORM4(input_transform4_v, floatv, LOADV, STOREV)

/* o[0..3] = A^T (m0..m5) */
#define AT6(m0, m1, m2, m3, m4, m5, o)                                                                           \
    {                                                                                                            \
        const floatv a = m1 + m2, b = m1 - m2, c = m3 + m4, d = m3 - m4;                                         \
        o[0] = m0 + a + c;                                                                                       \
        o[1] = b + 2.0f * d;                                                                                     \
        o[2] = a + 4.0f * c;                                                                                     \
        o[3] = b + 8.0f * d + m5;                                                                                \
    }

/* winograd_block for F(4x4): a full panel (32 channels), cin 16 or 32. */
INLINE void winograd4_block(const conv_geometry g, const int t0, const int j0, const int ldu,
                            __global const float *x, __global const float *u, __global const float *bias,
                            const int has_bias, const int relu, __global float *y, __private float *V)
{
    const int tw = (g.ow + 3) / 4, th = (g.oh + 3) / 4, tiles = g.images * th * tw, rows = min(WB, tiles - t0);
    int iy0[WB], ix0[WB], img[WB];
    tile_origins(g, 4, tw, th, t0, img, iy0, ix0);
    const int cn = g.cin;
    for (int r = 0; r < WB; r++) {
        int roff[6], coff[6], rv, cv;
        input_window(g, 6, iy0[r], ix0[r], roff, coff, &rv, &cv);
        __global const float *src = x + (size_t)img[r] * g.h * g.w * g.cin;
        __private float *v = V + r * WC;
        for (int c = 0; c < cn; c += CT_VW) /* cn is 16 or 32 */
            input_transform4_v(src + c, roff, coff, rv, cv, v + c);
    }
    for (int e = 0; e < W4E; e++)
        block_gemm(V + e * WB * WC, u + (size_t)e * g.cin * ldu, ldu, cn, PV, 0, V + e * WB * WN);
    floatv bv[PV];
    _Pragma("unroll") for (int h = 0; h < PV; h++) bv[h] = has_bias ? VLOADV(h, bias + j0) : (floatv)0.0f;
    for (int r = 0; r < rows; r++) {
        const int oy0 = iy0[r] + g.pad_top, ox0 = ix0[r] + g.pad_left;
        for (int h = 0; h < PV; h++) {
            floatv s[6][4], o[4];
            _Pragma("unroll") for (int ey = 0; ey < 6; ey++)
            {
                const __private float *p = V + (6 * ey * WB + r) * WN + CT_VW * h;
                const floatv m0 = LOADV(p), m1 = LOADV(p + WB * WN), m2 = LOADV(p + 2 * WB * WN),
                             m3 = LOADV(p + 3 * WB * WN), m4 = LOADV(p + 4 * WB * WN), m5 = LOADV(p + 5 * WB * WN);
                AT6(m0, m1, m2, m3, m4, m5, s[ey]);
            }
            _Pragma("unroll") for (int j = 0; j < 4; j++)
            {
                AT6(s[0][j], s[1][j], s[2][j], s[3][j], s[4][j], s[5][j], o);
                _Pragma("unroll") for (int i = 0; i < 4; i++)
                {
                    const int oy = oy0 + i, ox = ox0 + j;
                    if (oy < g.oh && ox < g.ow)
                        STOREV(finish(o[i] + bv[h], relu),
                               y + (((size_t)img[r] * g.oh + oy) * g.ow + ox) * g.cout + j0 + CT_VW * h);
                }
            }
        }
    }
}

/* As conv2d_winograd, F(4x4): full panels, 16 or 32 input channels. */
__kernel __attribute__((reqd_work_group_size(1, 1, 1))) void conv2d_winograd4(
    conv_geometry g, int per_item, int first_panel, int ldu, __global const float *x, ulong x_off,
    __global const float *u, ulong u_off, __global const float *bias, ulong bias_off, int has_bias, int relu,
    __global float *y, ulong y_off)
{
    __private float V[W4E * WB * WC];
    const int j0 = (first_panel + (int)get_global_id(0)) * WN;
    const int tiles = g.images * ((g.oh + 3) / 4) * ((g.ow + 3) / 4), blocks = (tiles + WB - 1) / WB;
    const int b0 = (int)get_global_id(1) * per_item, b1 = min(b0 + per_item, blocks);
    for (int b = b0; b < b1; b++)
        winograd4_block(g, b * WB, j0, ldu, x + x_off, u + u_off + j0, bias + bias_off, has_bias, relu, y + y_off,
                        V);
}
