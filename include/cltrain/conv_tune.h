/* Tuning the conv register tiles for one device (`cltrain tune`): the tile
 * of the tiled and that of the Winograd conv kernels (cl/conv_tile.cl,
 * -DCT_CONV_TM and -DCT_CONV_NV per program), each from a small candidate
 * set derived from the device profile, built once and timed on the CIFAR
 * nets' conv passes that those kernels run, in seconds; the winners are
 * cached per device, driver and the programs' source
 * (ct_profile_save_tuned_conv), and later runs build the programs with them. */
#ifndef CLTRAIN_CONV_TUNE_H
#define CLTRAIN_CONV_TUNE_H

#include <stddef.h>

#include "cltrain/device.h"

#ifdef __cplusplus
extern "C" {
#endif

enum { CT_CONV_TUNE_MAX_CANDIDATES = 8, CT_CONV_TUNE_PARTS = 4 };

/* The two tiles tuned: the tiled kernels' (program conv_tiled: conv1's
 * forward, every kernel gradient) and the Winograd kernels' (conv2's
 * forward and input gradient). The best tile differs between them. */
typedef enum { CT_CONV_TUNE_TILED = 0, CT_CONV_TUNE_WINOGRAD = 1 } ct_conv_tune_kind;

const char *ct_conv_tune_kind_name(ct_conv_tune_kind kind); /* "tiled", "Winograd" */

/* The conv tiles worth trying on a device with this profile, its default
 * first: every tile the kernels accept whose accumulators fill from half
 * to all of the default's budget (three quarters of the registers), most
 * accumulators first. The same for both kinds. Returns how many (at most max). */
size_t ct_conv_tune_candidates(const ct_device_profile *p, ct_conv_tile *out, size_t max);

/* The passes timed per candidate of a kind: "conv2 30x30x32->32 forward"
 * and the like, and a short column heading ("c2fwd"). */
const char *ct_conv_tune_part_name(ct_conv_tune_kind kind, size_t i);
const char *ct_conv_tune_part_label(ct_conv_tune_kind kind, size_t i);

typedef struct {
    ct_conv_tile tile;
    double gflops[CT_CONV_TUNE_PARTS]; /* per pass: the best round's median, GFLOP per CPU-second */
    double score;                      /* geometric mean of gflops */
    double build_seconds;              /* building the kind's programs with this tile */
    int ok;                            /* 0: it failed to build or run (error in detail) */
    char detail[160];
} ct_conv_tune_result;

typedef void (*ct_conv_tune_progress)(const ct_conv_tune_result *r, size_t index, size_t count, void *user);

/* Builds every candidate of `kind`, then times them in turns (rounds of
 * every candidate on every pass, by the process's CPU time; the best round
 * counts); results[] in candidate order, *best the fastest (the default
 * unless another is 5 % faster). Saves nothing. CPU-class devices only. */
ct_status ct_conv_tune(const ct_device_info *info, ct_conv_tune_kind kind, ct_conv_tune_result *results,
                       size_t *count, size_t *best, ct_conv_tune_progress progress, void *user);

/* Caches `tile` as the device's tuned tile of `kind`; note: stored with it. */
ct_status ct_conv_tune_save(const ct_device_info *info, ct_conv_tune_kind kind, const ct_conv_tile *tile,
                            const char *note);

#ifdef __cplusplus
}
#endif
#endif
