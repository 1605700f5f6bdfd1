/* Building OpenCL programs from cl/NAME.cl, with an on-disk binary cache.
 * Internal to the library; ct_context_kernel() is the public entry point. */
#ifndef CLTRAIN_PROGRAM_H
#define CLTRAIN_PROGRAM_H

#include <stddef.h>

#include "cltrain/device.h"

/* How a program was obtained, for start-up measurements and tests. */
typedef struct {
    unsigned compiled;     /* built from source */
    unsigned from_cache;   /* loaded from the disk cache */
    unsigned cache_broken; /* cache entries found corrupt and rebuilt */
    double build_seconds;  /* wall time spent in building/loading */
} ct_program_stats;

/* Source text of cl/NAME.cl: from $CLTRAIN_KERNEL_DIR when set (kernel
 * development), else the copy embedded at build time. *out is malloc'd. */
ct_status ct_program_source(const char *name, char **out, size_t *length);

/* Build options derived from device capabilities (never vendor names). */
void ct_program_options(const ct_device_info *info, char *buf, size_t size);

/* Build cl/NAME.cl for the device, through the binary cache. */
ct_status ct_program_build(cl_context context, const ct_device_info *info, const char *name,
                           cl_program *out, ct_program_stats *stats);

/* Folder of the binary cache ($XDG_CACHE_HOME/cltrain/kernels or
 * ~/.cache/cltrain/kernels); returns 0 when caching is disabled or no home. */
int ct_program_cache_dir(char *buf, size_t size);

/* Hash used for cache keys (FNV-1a, 64 bit); exposed for tests. */
unsigned long long ct_hash64(const void *data, size_t len, unsigned long long seed);

#endif
