/* The device profile's computation, build options and tuning cache (see
 * include/cltrain/profile.h). Internal to the library. */
#ifndef CLTRAIN_CORE_PROFILE_H
#define CLTRAIN_CORE_PROFILE_H

#include <stddef.h>

#include "cltrain/device.h"

/* Fills info->profile from the rest of *info (already queried) and the
 * device itself; the GEMM tile from $CLTRAIN_GEMM_TILE, else the tuning
 * cache's entry for this device, driver and kernel source (gemm_source_hash:
 * of cl/gemm_tile.cl as it is built), else the default; the tiled and the
 * Winograd conv kernels' tiles alike ($CLTRAIN_CONV_TILE for both,
 * $CLTRAIN_WINOGRAD_TILE for the second; the cache's entries for
 * conv_source_hash and winograd_source_hash: of the programs built with
 * each). Never fails: what cannot be read keeps a conservative value. */
void ct_profile_compute(ct_device_info *info, unsigned long long gemm_source_hash,
                        unsigned long long conv_source_hash, unsigned long long winograd_source_hash);

/* Appends the profile's -D options for program `program` (cl/NAME.cl) to
 * buf (NUL-terminated, `size` bytes in all): vector width and registers
 * for every program, the GEMM tile for the GEMM program. Options, not
 * program sources, carry the tile: a new tile rebuilds one program. */
void ct_profile_build_options(const ct_device_info *info, const char *program, char *buf, size_t size);

/* The tuning cache entry's path for this device, driver and GEMM kernel
 * source ($XDG_CACHE_HOME/cltrain/tune/gemm-SOURCEHASH-DEVICE-DRIVER.txt,
 * beside the kernel cache); 0 when caching is off. */
int ct_profile_tune_path(const ct_device_info *info, char *buf, size_t size);

/* Stores `tile` as the tuned GEMM tile for the device (temp file + rename:
 * a reader never sees half an entry). */
ct_status ct_profile_save_tuned(const ct_device_info *info, const ct_gemm_tile *tile, const char *note);

/* The tuning cache entry of the tiled (winograd 0) or the Winograd
 * (winograd 1) conv kernels' tile ($XDG_CACHE_HOME/cltrain/tune/
 * conv-SOURCEHASH-DEVICE-DRIVER.txt or winograd-..., SOURCEHASH the
 * profile's conv_source_hash or winograd_source_hash); 0 when caching is off. */
int ct_profile_conv_tune_path(const ct_device_info *info, int winograd, char *buf, size_t size);

/* Stores `tile` as the tuned tile of the tiled (winograd 0) or Winograd
 * (1) conv kernels for the device (as ct_profile_save_tuned; an error when
 * the tile is not valid for the kernels' vector width). */
ct_status ct_profile_save_tuned_conv(const ct_device_info *info, int winograd, const ct_conv_tile *tile,
                                     const char *note);

#endif
