/* Layout guard (core/kernel_abi.h) of tile_desc and tile_params against the
 * structs of the same names in cl/gemm_tile.cl, which gemm_tile takes by value:
 * nine ulongs, then 4-byte ints and floats, no padding between fields. gemm_own.c includes
 * it right after the mirrors. */
#include "core/kernel_abi.h"

CT_KERNEL_SIZE(tile_desc, 184);
CT_KERNEL_FIELD(tile_desc, a_off, 0);
CT_KERNEL_FIELD(tile_desc, b_off, 8);
CT_KERNEL_FIELD(tile_desc, c_off, 16);
CT_KERNEL_FIELD(tile_desc, ws_a, 24);
CT_KERNEL_FIELD(tile_desc, ws_b, 32);
CT_KERNEL_FIELD(tile_desc, ws_part, 40);
CT_KERNEL_FIELD(tile_desc, bias_off, 48);
CT_KERNEL_FIELD(tile_desc, y_off, 56);
CT_KERNEL_FIELD(tile_desc, col_sums_off, 64);
CT_KERNEL_FIELD(tile_desc, m, 72);
CT_KERNEL_FIELD(tile_desc, n, 76);
CT_KERNEL_FIELD(tile_desc, k, 80);
CT_KERNEL_FIELD(tile_desc, lda, 84);
CT_KERNEL_FIELD(tile_desc, a_trans, 88);
CT_KERNEL_FIELD(tile_desc, ldb, 92);
CT_KERNEL_FIELD(tile_desc, b_trans, 96);
CT_KERNEL_FIELD(tile_desc, ldc, 100);
CT_KERNEL_FIELD(tile_desc, alpha, 104);
CT_KERNEL_FIELD(tile_desc, beta, 108);
CT_KERNEL_FIELD(tile_desc, pack_a, 112);
CT_KERNEL_FIELD(tile_desc, pack_b, 116);
CT_KERNEL_FIELD(tile_desc, pack_b_inline, 120);
CT_KERNEL_FIELD(tile_desc, splits, 124);
CT_KERNEL_FIELD(tile_desc, k_split, 128);
CT_KERNEL_FIELD(tile_desc, ahead, 132);
CT_KERNEL_FIELD(tile_desc, panel_fastest, 136);
CT_KERNEL_FIELD(tile_desc, stream, 140);
CT_KERNEL_FIELD(tile_desc, group, 144);
CT_KERNEL_FIELD(tile_desc, epi, 148);
CT_KERNEL_FIELD(tile_desc, ranges_off, 152);
CT_KERNEL_FIELD(tile_desc, a_buf, 156);
CT_KERNEL_FIELD(tile_desc, b_buf, 160);
CT_KERNEL_FIELD(tile_desc, c_buf, 164);
CT_KERNEL_FIELD(tile_desc, bias_buf, 168);
CT_KERNEL_FIELD(tile_desc, y_buf, 172);
CT_KERNEL_FIELD(tile_desc, sums_buf, 176);
/* 180 bytes of fields, rounded up to the ulongs' alignment on both sides. */
CT_KERNEL_SIZE(tile_params, 2 * 184 + 2 * 4);
CT_KERNEL_FIELD(tile_params, g, 0);
CT_KERNEL_FIELD(tile_params, count, 2 * 184);
CT_KERNEL_FIELD(tile_params, phase, 2 * 184 + 4);
