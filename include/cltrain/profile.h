/* The device profile: what cltrain's kernels and launchers need to know
 * about a device, computed once when the device is enumerated (a field of
 * ct_device_info). It is the one place where CPU/GPU policy lives: launchers
 * read it instead of the device type, and kernels are specialised from it
 * through -D build options (ct_profile_build_options). */
#ifndef CLTRAIN_PROFILE_H
#define CLTRAIN_PROFILE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The own GEMM's register tile (cl/gemm_tile.cl): each work-item keeps a
 * rows x (vectors x width) block of C in registers; k_unroll k steps per
 * loop iteration. On GPUs, wg_side x wg_side work-items per work-group of
 * the local-memory kernel, each computing wg_work x wg_work elements. */
typedef struct {
    int rows;     /* MR: rows of C per tile (1..16) */
    int vectors;  /* NV: vectors per row of the tile (1..3) */
    int width;    /* VW: floats per vector (8 or 16) */
    int k_unroll; /* KU: k steps unrolled in the tile loop (1, 2 or 4) */
    int wg_side;  /* GPU kernel: work-group side (1, 4, 8 or 16) */
    int wg_work;  /* GPU kernel: elements per work-item and side (4) */
} ct_gemm_tile;

/* The register tile of the tiled and Winograd conv kernels (cl/conv_tile.cl,
 * CPUs): rows x (vectors x the kernels' vector width, CT_VW) accumulators.
 * The kernels are built with it (-DCT_CONV_TM, -DCT_CONV_NV) and the conv
 * launchers split their work by the same numbers (src/ops/conv_internal.h). */
typedef struct {
    int rows;    /* TM: output pixels (forward) or patch elements (dW) per tile: 2, 3, 4, 6 or 12 */
    int vectors; /* NV: vectors of channels per tile row; vectors x width divides 32 */
} ct_conv_tile;

/* Where the tile in use came from. */
typedef enum {
    CT_TILE_DEFAULT, /* derived from the profile's register file */
    CT_TILE_TUNED,   /* `cltrain tune`'s cached winner for this device, driver and kernel source */
    CT_TILE_ENV,     /* $CLTRAIN_GEMM_TILE */
    CT_TILE_CONV_ENV, /* $CLTRAIN_CONV_TILE (the conv tiles) */
    CT_TILE_WINOGRAD_ENV /* $CLTRAIN_WINOGRAD_TILE (the Winograd kernels' tile) */
} ct_tile_origin;

typedef struct {
    /* Register-tiled kernels (the own GEMM's tile kernel, tiled and
     * Winograd conv, host-side packing): a CPU, whose local memory is its
     * cache and whose work-items run one after another. */
    int is_cpu_class;
    /* The instruction-set part of the device name: PoCL's LLVM CPU
     * ("haswell", "skylake-avx512", "znver4"), else the vendor and name. */
    char arch[64];
    unsigned preferred_vector_float, native_vector_float; /* as the driver reports them */
    /* Floats per SIMD register the kernels are specialised for: the
     * preferred width, capped by what the instruction set named in arch
     * has (a driver may report the host's width while compiling for an
     * older CPU: PoCL with POCL_KERNELLIB_NAME=avx2 on an AVX-512 host). */
    unsigned vector_floats;
    /* SIMD registers the compiler may allocate (x86-64: 32 with AVX-512,
     * 16 otherwise); 0 where not known (GPUs). */
    unsigned vector_registers;
    uint64_t local_mem_bytes;
    int local_mem_dedicated; /* CL_LOCAL: on-chip; 0: emulated in global memory */
    unsigned compute_units;
    size_t max_work_group_size;
    int has_subgroups;           /* cl_khr_subgroups or OpenCL 3.0 subgroups */
    /* The one work-group size of the reduction kernels (softmax, bias +
     * activation backward, batch norm, loss and metrics) on a CPU, whatever
     * the shape: PoCL compiles a kernel once per work-group size it meets,
     * and a CPU runs a group's items one after another, so a shape-fitted
     * size buys nothing there. 0: sized per call from the shape (GPUs). */
    size_t reduction_group;
    ct_gemm_tile gemm;           /* the own GEMM's tile in use */
    ct_gemm_tile gemm_default;   /* the tile derived from the registers */
    ct_tile_origin gemm_origin;  /* where `gemm` came from */
    unsigned long long gemm_source_hash; /* of cl/gemm_tile.cl: a tuned tile holds for this source only */
    ct_conv_tile conv;           /* the tiled conv kernels' tile in use (program conv_tiled) */
    ct_conv_tile conv_default;   /* the conv tile derived from the registers (both kinds) */
    ct_tile_origin conv_origin;  /* default, tuned or CLTRAIN_CONV_TILE */
    /* The Winograd kernels' register tile (programs conv_winograd and
     * conv_winograd4; their launchers do not depend on it, so it may differ
     * from the tiled kernels': the best tile differs between the two). */
    ct_conv_tile winograd;
    ct_tile_origin winograd_origin; /* default, tuned, CLTRAIN_CONV_TILE or CLTRAIN_WINOGRAD_TILE */
    /* Of the programs built with each conv tile, as built (conv_tiled; conv_winograd
     * and conv_winograd4): a tuned tile holds for these sources only. */
    unsigned long long conv_source_hash, winograd_source_hash;
} ct_device_profile;

/* The default tile for a register file of `registers` vectors of `width`
 * floats: accumulators take at most three quarters of the registers (the
 * rest hold the B vectors and the broadcast A value). */
ct_gemm_tile ct_gemm_tile_default(unsigned registers, unsigned width, size_t max_work_group_size);

/* 1 when the kernel accepts the tile (rows 1..16, vectors 1..3, width 8 or
 * 16, k_unroll 1, 2 or 4, wg_side 1, 4, 8 or 16, wg_work 4). */
int ct_gemm_tile_valid(const ct_gemm_tile *t);

/* "12x32 (float16 x2, k unroll 1)"; "RxC/W/K" with compact = 1. */
const char *ct_gemm_tile_str(const ct_gemm_tile *t, int compact, char *buf, size_t size);

/* Parses "ROWSxCOLS/WIDTH[/KUNROLL]" (e.g. "6x16/8/1"); 0 if malformed. */
int ct_gemm_tile_parse(const char *s, ct_gemm_tile *t);

const char *ct_tile_origin_name(ct_tile_origin o); /* "default", "tuned", "CLTRAIN_GEMM_TILE", ... */

/* The default conv tile for a register file of `registers` vectors of
 * `width` floats, by the GEMM's rule: two vectors per row and rows for
 * three quarters of the registers as accumulators, rounded down to a
 * divisor of 12 (a Winograd block's 12 tiles go in whole row tiles):
 * AVX-512 (32 registers) 12 x 2 float16, AVX2 (16) 6 x 2 float8. */
ct_conv_tile ct_conv_tile_default(unsigned registers, unsigned width);

/* 1 when the conv kernels accept the tile for vectors of `width` floats
 * (rows 2, 3, 4, 6 or 12; vectors x width 8, 16 or 32). */
int ct_conv_tile_valid(const ct_conv_tile *t, unsigned width);

/* Parses "ROWSxCOLS" (e.g. "6x16": 6 rows of 16 floats) for vectors of
 * `width` floats; 0 if malformed or not valid. */
int ct_conv_tile_parse(const char *s, unsigned width, ct_conv_tile *t);

/* "6x16" (compact) or "6x16 (float8 x2)". */
const char *ct_conv_tile_str(const ct_conv_tile *t, unsigned width, int compact, char *buf, size_t size);

/* CT_VW of cl/common.cl: the floats per vector (floatv) the kernels' CPU
 * forms compute in, vector_floats held to 4, 8 or 16. Launchers whose work
 * per item is one such vector size their ranges by it. */
unsigned ct_profile_kernel_vector(const ct_device_profile *p);

#ifdef __cplusplus
}
#endif
#endif
