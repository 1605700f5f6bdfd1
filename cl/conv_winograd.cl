/* Winograd F(2x2, 3x3) (CPUs): 3x3 kernels, stride 1; src/ops/conv.c
 * chooses it per pass (the forward pass, and the input gradient as the
 * forward convolution of dy with the flipped, transposed kernel, as
 * dx_tiled in src/ops/conv_tiled.c).
 * Each 2x2 output tile comes from a 4x4 input tile d:
 *   Y = A^T [ sum over ci of (G g G^T)[ci] (.) (B^T d B)[ci] ] A
 * 16 products per tile and channel pair instead of 36 (2.25x fewer).
 * conv2d_winograd_weights transforms the kernel once per call into
 * U[16][Cin][ldu] (ldu = Cout rounded up to 32, zeros past Cout). The rest
 * stays on chip: a work-item takes a block of WB tiles x one panel of 32
 * output channels, transforms the tiles' inputs (CT_VW channels per vector)
 * into a private V[16][WB][WC] (24 KiB, L1), runs the 16 element-wise
 * products as small GEMMs (WB tiles x 32 channels, reduction over the
 * input channels) in register tiles of the tiled algorithm (block_gemm),
 * stores product e over V[e] (which only it reads), and inverse-transforms
 * the block at the end, adding the bias and applying relu as it stores.
 * More than WC input channels go in chunks, the products then summed in a
 * separate M. Inputs past the image (padding, the odd last row/column's
 * tile) read as zero; outputs past it are not stored.
 * F(4x4, 3x3) (conv2d_winograd4, conv_winograd4.cl) halves the products
 * again where it applies. A Winograd kernel gradient (F(3x3, 2x2), the
 * tiles as the reduction) was tried and dropped: each tile's transforms
 * feed too few products, and it came out slower than the tiled kernel
 * gradient. Measurements: tools/performance.md, "Convolution algorithms". */

/* U[e][c][k] (e = 4 * ey + ex) = (G g G^T)[ey][ex] of the 3x3 kernel g of
 * input channel c, output channel k (0 for k >= Cout), G = [1 0 0; 1/2 1/2
 * 1/2; 1/2 -1/2 1/2; 0 0 1]. flip: g is w[2-ky][2-kx][k][c] from a kernel
 * w of shape (3, 3, Cout, Cin) (the input gradient's view). One work-item
 * per (c, k). */
__kernel void conv2d_winograd_weights(conv_geometry g, int flip, int ldu, __global const float *w, ulong w_off,
                                      __global float *u, ulong u_off)
{
    const size_t i = get_global_id(0);
    if (i >= (size_t)g.cin * ldu)
        return;
    const int k = (int)(i % ldu), c = (int)(i / ldu);
    float f[3][3], t[4][3];
    kernel3x3(g, flip, w + w_off, c, k, f);
    _Pragma("unroll") for (int kx = 0; kx < 3; kx++)
    {
        t[0][kx] = f[0][kx];
        t[1][kx] = 0.5f * (f[0][kx] + f[1][kx] + f[2][kx]);
        t[2][kx] = 0.5f * (f[0][kx] - f[1][kx] + f[2][kx]);
        t[3][kx] = f[2][kx];
    }
    __global float *dst = u + u_off + (size_t)c * ldu + k;
    const size_t step = (size_t)g.cin * ldu;
    _Pragma("unroll") for (int ey = 0; ey < 4; ey++)
    {
        dst[(4 * ey + 0) * step] = t[ey][0];
        dst[(4 * ey + 1) * step] = 0.5f * (t[ey][0] + t[ey][1] + t[ey][2]);
        dst[(4 * ey + 2) * step] = 0.5f * (t[ey][0] - t[ey][1] + t[ey][2]);
        dst[(4 * ey + 3) * step] = t[ey][2];
    }
}

/* B^T d B of one tile (B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]) for
 * one vector of channels (T floatv) or one channel (T float), to
 * v[e * WB * WC] for e = 0..15. d[i][j] is read at src + roff[i] + coff[j]
 * (clamped into the image) where bit i of rv and bit j of cv are set, else
 * 0: a select that cost nothing measurable against an unmasked copy of
 * the loop for inner tiles, which took twice the code and JIT time. */
#define DEFINE_INPUT_TRANSFORM(NAME, T, LOAD, STORE)                                                            \
    INLINE void NAME(__global const float *src, const int *roff, const int *coff, const int rv, const int cv,    \
                     __private float *v)                                                                         \
    {                                                                                                            \
        T d[4][4], t[4][4];                                                                                      \
        _Pragma("unroll") for (int i = 0; i < 4; i++) _Pragma("unroll") for (int j = 0; j < 4; j++) d[i][j] =   \
            ((rv >> i) & (cv >> j) & 1) ? LOAD(src + roff[i] + coff[j]) : (T)0.0f;                              \
        _Pragma("unroll") for (int j = 0; j < 4; j++)                                                            \
        {                                                                                                        \
            t[0][j] = d[0][j] - d[2][j];                                                                         \
            t[1][j] = d[1][j] + d[2][j];                                                                         \
            t[2][j] = d[2][j] - d[1][j];                                                                         \
            t[3][j] = d[1][j] - d[3][j];                                                                         \
        }                                                                                                        \
        _Pragma("unroll") for (int i = 0; i < 4; i++)                                                            \
        {                                                                                                        \
            STORE(t[i][0] - t[i][2], v + (4 * i + 0) * WB * WC);                                                \
            STORE(t[i][1] + t[i][2], v + (4 * i + 1) * WB * WC);                                                \
            STORE(t[i][2] - t[i][1], v + (4 * i + 2) * WB * WC);                                                \
            STORE(t[i][1] - t[i][3], v + (4 * i + 3) * WB * WC);                                                \
        }                                                                                                        \
    }
DEFINE_INPUT_TRANSFORM(input_transformv, floatv, LOADV, STOREV)
DEFINE_INPUT_TRANSFORM(input_transform1, float, LOAD1, STORE1)

/* Output tiles [t0, t0 + WB) (fewer at the end) x channels [j0, j0 + cols)
 * (cols <= WN). u starts at the panel's first channel. Constants per call:
 * `chunks` 0 when all input channels fit one chunk (cin <= WC), else 1;
 * `width` 32 for a full panel, 16 for a partial one of at most 16 channels
 * (the second accumulator half idle), 0 for other partial ones. V: the
 * transformed inputs of one chunk of channels; M: the products, M[e][r]
 * the 32 channels of tile r (summed over chunks), which may be V itself
 * with one chunk (product e overwrites V[e], which only it reads). */
INLINE void winograd_block(const conv_geometry g, const int chunks, const int width, const int t0, const int j0,
                           const int cols, const int ldu, __global const float *x, __global const float *u,
                           __global const float *bias, const int has_bias, const int relu, __global float *y,
                           __private float *V, __private float *M)
{
    const int tw = (g.ow + 1) / 2, th = (g.oh + 1) / 2, tiles = g.images * th * tw, rows = min(WB, tiles - t0);
    const int used = width == WN / 2 ? PV / 2 : PV; /* vectors: a half panel's second half stays idle */
    int iy0[WB], ix0[WB], img[WB];
    tile_origins(g, 2, tw, th, t0, img, iy0, ix0);
    for (int c0 = 0; c0 < (chunks ? g.cin : 1); c0 += WC) {
        const int cn = chunks ? min(WC, g.cin - c0) : g.cin;
        for (int r = 0; r < WB; r++) {
            int roff[4], coff[4], rv, cv;
            input_window(g, 4, iy0[r], ix0[r], roff, coff, &rv, &cv);
            __global const float *src = x + (size_t)img[r] * g.h * g.w * g.cin + c0;
            __private float *v = V + r * WC;
            int c = 0;
            for (; c + CT_VW <= cn; c += CT_VW)
                input_transformv(src + c, roff, coff, rv, cv, v + c);
            for (; c < cn; c++)
                input_transform1(src + c, roff, coff, rv, cv, v + c);
        }
        for (int e = 0; e < 16; e++)
            block_gemm(V + e * WB * WC, u + ((size_t)e * g.cin + c0) * ldu, ldu, cn, used, chunks && c0,
                       M + e * WB * WN);
    }
    floatv bv[PV]; /* zeros without a bias */
    load_panel(bias + j0, has_bias ? cols : 0, bv);
    /* Y = A^T M A, A^T = [1 1 1 0; 0 1 -1 -1] */
    for (int r = 0; r < rows; r++) {
        const int oy0 = iy0[r] + g.pad_top, ox0 = ix0[r] + g.pad_left;
        floatv o[4][PV];
        _Pragma("unroll") for (int h = 0; h < PV; h++)
        {
            if (h >= used) {
                _Pragma("unroll") for (int k = 0; k < 4; k++) o[k][h] = (floatv)0.0f;
                continue;
            }
            floatv s[4][2];
            _Pragma("unroll") for (int ey = 0; ey < 4; ey++)
            {
                const __private float *p = M + (4 * ey * WB + r) * WN + CT_VW * h;
                const floatv m0 = LOADV(p), m1 = LOADV(p + WB * WN), m2 = LOADV(p + 2 * WB * WN),
                             m3 = LOADV(p + 3 * WB * WN);
                s[ey][0] = m0 + m1 + m2;
                s[ey][1] = m1 - m2 - m3;
            }
            _Pragma("unroll") for (int j = 0; j < 2; j++)
            {
                o[j][h] = s[0][j] + s[1][j] + s[2][j] + bv[h];
                o[2 + j][h] = s[1][j] - s[2][j] - s[3][j] + bv[h];
            }
        }
        _Pragma("unroll") for (int k = 0; k < 4; k++)
        {
            const int oy = oy0 + k / 2, ox = ox0 + k % 2;
            floatv f[PV];
            _Pragma("unroll") for (int h = 0; h < PV; h++) f[h] = finish(o[k][h], relu);
            if (oy < g.oh && ox < g.ow)
                store_panel(f, y + (((size_t)img[r] * g.oh + oy) * g.ow + ox) * g.cout + j0, width == WN ? WN : cols);
        }
    }
}

/* Global (panels, items): item i of panel q computes tile blocks
 * [i * per_item, (i + 1) * per_item) of channel panel first_panel + q.
 * conv2d_winograd: full panels and at most WC input channels (one chunk,
 * the products overwrite V); conv2d_winograd_any: any panel (the partial
 * last one when Cout is not a multiple of WN) and any number of input
 * channels. */
#define WINOGRAD_KERNEL(NAME, ANY)                                                                               \
    __kernel __attribute__((reqd_work_group_size(1, 1, 1))) void NAME(                                            \
        conv_geometry g, int per_item, int first_panel, int ldu, __global const float *x, ulong x_off,           \
        __global const float *u, ulong u_off, __global const float *bias, ulong bias_off, int has_bias, int relu, \
        __global float *y, ulong y_off)                                                                           \
    {                                                                                                             \
        __private float V[16 * WB * WC], Mbuf[ANY ? 16 * WB * WN : 1];                                            \
        __private float *M = ANY && g.cin > WC ? Mbuf : V;                                                        \
        const int j0 = (first_panel + (int)get_global_id(0)) * WN, cols = min(WN, g.cout - j0);                 \
        const int tiles = g.images * ((g.oh + 1) / 2) * ((g.ow + 1) / 2), blocks = (tiles + WB - 1) / WB;        \
        const int b0 = (int)get_global_id(1) * per_item, b1 = min(b0 + per_item, blocks);                        \
        for (int b = b0; b < b1; b++) {                                                                           \
            if (!ANY)                                                                                             \
                winograd_block(g, 0, WN, b * WB, j0, cols, ldu, x + x_off, u + u_off + j0, bias + bias_off,       \
                               has_bias, relu, y + y_off, V, M);                                                  \
            else if (cols > 16)                                                                                   \
                winograd_block(g, 1, 0, b * WB, j0, cols, ldu, x + x_off, u + u_off + j0, bias + bias_off,        \
                               has_bias, relu, y + y_off, V, M);                                                  \
            else                                                                                                  \
                winograd_block(g, 1, 16, b * WB, j0, cols, ldu, x + x_off, u + u_off + j0, bias + bias_off,       \
                               has_bias, relu, y + y_off, V, M);                                                  \
        }                                                                                                         \
    }
WINOGRAD_KERNEL(conv2d_winograd, 0)
WINOGRAD_KERNEL(conv2d_winograd_any, 1)
