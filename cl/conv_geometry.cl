/* 2-D convolution, NHWC images, Keras kernel layout (KH, KW, Cin, Cout).
 *
 * This part comes first in every conv program (the table in
 * src/core/program.c): what all of them share. Each algorithm is its own
 * program, so a run compiles only the ones it uses and a GPU never builds
 * the CPU-only ones. The algorithms (src/ops/conv.c chooses, per pass):
 *  - im2col + GEMM (conv_im2col.cl): conv2d_im2col writes the (rows x K)
 *    patch matrix, rows = images * OH * OW and K = KH * KW * Cin in
 *    (ky, kx, ci) order, so that patches x kernel (K x Cout) is the NHWC
 *    output; conv2d_col2im folds the patch-matrix gradient back onto the
 *    input.
 *  - direct (conv_direct.cl): no workspace; each work-item computes a small
 *    block of outputs (channels x pixels) with vector accumulators.
 *  - tiled (CPUs only; conv_tile.cl, conv_tiled.cl): each pass as an
 *    implicit GEMM in register tiles, the patch matrix never written.
 *  - Winograd F(2x2, 3x3) and F(4x4, 3x3) (CPUs only; 3x3 stride-1 forward
 *    pass and input gradient; conv_winograd_tiles.cl, conv_winograd.cl,
 *    conv_winograd4.cl): 2.25x or 4x fewer multiplies, in the tiled
 *    algorithm's register tile.
 * The bias kernels (conv_bias.cl) serve every algorithm; the window index
 * helpers are cl/window_index.cl's.
 * All index with "row" = (image, oy, ox) flattened, the NHWC pixel order.
 * Every gradient kernel gathers (each output element sums its own terms), so
 * nothing needs atomics and results are deterministic. */

/* Host mirror: conv_geometry_cl in src/ops/conv_internal.h (all ints, same order). */
typedef struct {
    int images;            /* images covered by this launch (a chunk of the batch) */
    int h, w, cin;
    int oh, ow, cout;
    int kh, kw, sh, sw;
    int pad_top, pad_left;
    int unused0, unused1, unused2;
} conv_geometry;

#define PATCH_K(g) ((g).kh * (g).kw * (g).cin)

/* Runs the statements after the arguments for every kernel tap (ky, kx)
 * whose output pixel (oy, ox) covers input pixel (iy, ix): the walk of the
 * gathering input-gradient kernels (col2im, direct dx). Needs
 * window_index.cl's covering_output(). */
#define CT_FOR_COVERING_TAPS(g, iy, ix, ...)                                       \
    for (int ky = 0; ky < (g).kh; ky++) {                                          \
        const int oy = covering_output((iy), ky, (g).sh, (g).pad_top, (g).oh);     \
        if (oy < 0)                                                                \
            continue;                                                              \
        for (int kx = 0; kx < (g).kw; kx++) {                                      \
            const int ox = covering_output((ix), kx, (g).sw, (g).pad_left, (g).ow); \
            if (ox < 0)                                                            \
                continue;                                                          \
            __VA_ARGS__                                                            \
        }                                                                          \
    }
