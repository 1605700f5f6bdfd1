/* Tuning the own GEMM's register tile for one device (`cltrain tune`): a
 * small candidate set derived from the device profile, each built and timed
 * on a few GEMM shapes in seconds; the winner is cached per device, driver
 * and kernel source (see ct_profile_save_tuned), and later runs build
 * cl/gemm_tile.cl with it. */
#ifndef CLTRAIN_TUNE_H
#define CLTRAIN_TUNE_H

#include <stddef.h>

#include "cltrain/device.h"

#ifdef __cplusplus
extern "C" {
#endif

enum { CT_TUNE_MAX_CANDIDATES = 8, CT_TUNE_SHAPES = 4 };

/* The tiles worth trying on a device with this profile, the default first:
 * accumulators from half to all of the registers that the B vectors and
 * the broadcast A value leave free, one to three vectors per row, and the
 * default unrolled. Returns how many (at most max). */
size_t ct_gemm_tune_candidates(const ct_device_profile *p, ct_gemm_tile *out, size_t max);

/* The shapes timed per candidate, "NN 512x512x512" and the like. */
const char *ct_gemm_tune_shape_name(size_t i);
const char *ct_gemm_tune_shape_label(size_t i); /* "NN512", "conv": a column heading */

typedef struct {
    ct_gemm_tile tile;
    double gflops[CT_TUNE_SHAPES]; /* per shape: the best round's median */
    double score;                  /* geometric mean of gflops */
    double build_seconds;          /* building cl/gemm_tile.cl with this tile */
    int ok;                        /* 0: it failed to build or run (error in detail) */
    char detail[160];
} ct_tune_result;

/* Called per candidate once all are measured (may be NULL), e.g. to print. */
typedef void (*ct_tune_progress)(const ct_tune_result *r, size_t index, size_t count, void *user);

/* Builds every candidate, then times them in turns (rounds of every
 * candidate on every shape; the best round counts); results[] in
 * candidate order, *best the index of the fastest (the default unless
 * another is 5 % faster). Does not save anything. */
ct_status ct_gemm_tune(const ct_device_info *info, ct_tune_result *results, size_t *count, size_t *best,
                       ct_tune_progress progress, void *user);

/* Caches `tile` as the device's tuned tile (temp file + rename); note: a
 * comment stored with it (the figures). */
ct_status ct_gemm_tune_save(const ct_device_info *info, const ct_gemm_tile *tile, const char *note);

#ifdef __cplusplus
}
#endif
#endif
