/* What both Winograd algorithms (CPUs; conv_winograd.cl, F(2x2, 3x3), and
 * conv_winograd4.cl, F(4x4, 3x3)) share: the block and panel sizes of their
 * register tile, the kernel's 3x3 taps, and where a block's tiles and input
 * windows lie. */

#define WB 12 /* tiles per block: WB / TM row tiles (TM: cl/conv_tile.cl) */
#define WC 32 /* input channels per chunk of V */
#define WN 32 /* output channels per panel: PV vectors, WN / TN column tiles */
#define PV (WN / CT_VW)
#if WB % TM != 0 || WN % TN != 0
#error "the conv tile (CT_CONV_TM rows x CT_CONV_NV vectors) must divide a Winograd block of 12 x 32"
#endif

/* The products of one Winograd element over a block, a small GEMM in the
 * register tile: m[r * WN + k] (r < WB, k < used vectors of WN) = sum over
 * c < cn of v[r * WC + c] * u[c * ldu + k], plus m's own value when `add`
 * (the chunks after the first). A half panel computes only its first
 * `used` vectors. m may be v itself (product e overwrites V[e], which only
 * it reads): with several column tiles, a strip of TM rows waits in
 * `strip` until all of them have read the strip's v. `used` and `add`
 * are constants per call. */
INLINE void block_gemm(__private const float *v, __global const float *u, const int ldu, const int cn,
                       const int used, const int add, __private float *m)
{
    const int last_h0 = (used - 1) / NV * NV; /* the last column tile */
    for (int r0 = 0; r0 < WB; r0 += TM) {
        /* The last column tile's reads of the strip are done when it
         * stores (with one column tile, NV == PV, the only one's): it
         * stores to m; the others wait in strip_buf. */
        float strip_buf[NV == PV ? 1 : TM * WN];
        _Pragma("nounroll") for (int h0 = 0; h0 < used; h0 += NV)
        {
            __private float *strip = NV == PV || h0 == last_h0 ? m + r0 * WN : strip_buf;
            floatv acc[TM][NV];
            _Pragma("unroll") for (int r = 0; r < TM; r++)
            {
                _Pragma("unroll") for (int h = 0; h < NV; h++) acc[r][h] =
                    add && h0 + h < used ? VLOADV(h0 + h, m + (r0 + r) * WN) : (floatv)0.0f;
            }
            __global const float *ub = u;
            for (int c = 0; c < cn; c++, ub += ldu) {
                floatv b[NV];
                _Pragma("unroll") for (int h = 0; h < NV; h++) b[h] =
                    h0 + h < used ? VLOADV(h0 + h, ub) : (floatv)0.0f;
                _Pragma("unroll") for (int r = 0; r < TM; r++)
                {
                    const floatv av = (floatv)v[(r0 + r) * WC + c];
                    _Pragma("unroll") for (int h = 0; h < NV; h++)
                    {
                        if (h0 + h < used)
                            acc[r][h] = fma(av, b[h], acc[r][h]);
                    }
                }
            }
            _Pragma("unroll") for (int r = 0; r < TM; r++)
            {
                _Pragma("unroll") for (int h = 0; h < NV; h++)
                {
                    if (h0 + h < used)
                        VSTOREV(acc[r][h], h0 + h, strip + r * WN);
                }
            }
        }
        if (NV != PV) {
            for (int r = 0; r < TM; r++)
                for (int h = 0; h < last_h0; h++)
                    VSTOREV(VLOADV(h, strip_buf + r * WN), h, m + (r0 + r) * WN);
        }
    }
}

/* The WN floats at src as PV vectors: the first `cols`, the rest zero. */
INLINE void load_panel(__global const float *src, const int cols, floatv b[PV])
{
    if (cols == WN) {
        _Pragma("unroll") for (int h = 0; h < PV; h++) b[h] = VLOADV(h, src);
        return;
    }
    float t[WN];
    for (int c = 0; c < WN; c++)
        t[c] = c < cols ? src[c] : 0.0f;
    _Pragma("unroll") for (int h = 0; h < PV; h++) b[h] = VLOADV(h, t);
}

/* dst[0..cols) = the floats of v[0..PV). */
INLINE void store_panel(const floatv v[PV], __global float *dst, const int cols)
{
    if (cols == WN || cols == WN / 2) {
        _Pragma("unroll") for (int h = 0; h < PV; h++)
        {
            if (h * CT_VW < cols)
                VSTOREV(v[h], h, dst);
        }
        return;
    }
    float t[WN];
    _Pragma("unroll") for (int h = 0; h < PV; h++) VSTOREV(v[h], h, t);
    for (int c = 0; c < cols; c++)
        dst[c] = t[c];
}

/* Tap (ky, kx) of the 3x3 kernel of input channel c, output channel k (0
 * for k >= Cout) of w, shape (3, 3, Cin, Cout); flip: w has shape (3, 3,
 * Cout, Cin) and is read flipped (the input gradient's view). */
INLINE float kernel_tap(const conv_geometry g, const int flip, __global const float *w, const int c, const int k,
                        const int ky, const int kx)
{
    return k >= g.cout ? 0.0f
           : flip      ? w[((size_t)((2 - ky) * 3 + 2 - kx) * g.cout + k) * g.cin + c]
                       : w[((size_t)(ky * 3 + kx) * g.cin + c) * g.cout + k];
}

/* f = the 3x3 kernel of input channel c, output channel k, as kernel_tap. */
INLINE void kernel3x3(const conv_geometry g, const int flip, __global const float *w, const int c, const int k,
                      float f[3][3])
{
    _Pragma("unroll") for (int ky = 0; ky < 3; ky++) _Pragma("unroll") for (int kx = 0; kx < 3; kx++)
        f[ky][kx] = kernel_tap(g, flip, w, c, k, ky, kx);
}

#define LOADV(p) VLOADV(0, p)
#define STOREV(val, p) VSTOREV(val, 0, p)
#define LOAD1(p) (*(p))
#define STORE1(val, p) (*(p) = (val))

/* Origins of the output tiles [t0, t0 + WB) of side `step` (2 for F(2x2),
 * 4 for F(4x4)) in a grid of tw x th tiles per image: image and top-left
 * input pixel. Rows past the last tile repeat it (computed, not stored). */
INLINE void tile_origins(const conv_geometry g, const int step, const int tw, const int th, const int t0,
                         int img[WB], int iy0[WB], int ix0[WB])
{
    const int tiles = g.images * th * tw;
    for (int r = 0; r < WB; r++) {
        const int t = min(t0 + r, tiles - 1);
        const int tx = t % tw, ty = (t / tw) % th;
        img[r] = t / (tw * th);
        iy0[r] = step * ty - g.pad_top;
        ix0[r] = step * tx - g.pad_left;
    }
}

/* The n x n input window at (iy0, ix0): offsets of its rows and columns,
 * clamped into the image, and bit masks of those inside it (padding
 * outside reads as zeros in the input transforms). */
INLINE void input_window(const conv_geometry g, const int n, const int iy0, const int ix0, int *roff, int *coff,
                         int *rv, int *cv)
{
    *rv = 0, *cv = 0;
    for (int i = 0; i < n; i++) {
        const int iy = iy0 + i, ix = ix0 + i;
        *rv |= (iy >= 0 && iy < g.h) << i;
        *cv |= (ix >= 0 && ix < g.w) << i;
        roff[i] = clamp(iy, 0, g.h - 1) * g.w * g.cin;
        coff[i] = clamp(ix, 0, g.w - 1) * g.cin;
    }
}
