/* What both Winograd algorithms (CPUs; conv_winograd.cl, F(2x2, 3x3), and
 * conv_winograd4.cl, F(4x4, 3x3)) share: the block and panel sizes of their
 * register tile, the kernel's 3x3 taps, and where a block's tiles and input
 * windows lie. */

#define WB 12 /* tiles per block: the rows of the register tile */
#define WC 32 /* input channels per chunk of V */
#define WN 32 /* output channels per panel: NV vectors (cl/conv_tile.cl) */

/* f = the 3x3 kernel of input channel c, output channel k (zeros for
 * k >= Cout) of w, shape (3, 3, Cin, Cout); flip: w has shape (3, 3, Cout,
 * Cin) and is read flipped (the input gradient's view). */
INLINE void kernel3x3(const conv_geometry g, const int flip, __global const float *w, const int c, const int k,
                      float f[3][3])
{
    for (int ky = 0; ky < 3; ky++)
        for (int kx = 0; kx < 3; kx++)
            f[ky][kx] = k >= g.cout ? 0.0f
                        : flip      ? w[((size_t)((2 - ky) * 3 + 2 - kx) * g.cout + k) * g.cin + c]
                                    : w[((size_t)(ky * 3 + kx) * g.cin + c) * g.cout + k];
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
