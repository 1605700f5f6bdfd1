/* OpenCL programs: each built from a list of parts (cl/NAME.cl files, joined
 * in order), for the devices its table entry names, through an on-disk
 * binary cache, with the compiler's output kept out of the terminal.
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

/* Which devices build a program. CPU-only kernels (register tiles sized for
 * a CPU's vector registers, large private arrays) live in programs that a
 * GPU never builds, so a GPU compiler that rejects them cannot take the
 * GPU-path kernels down with them. */
typedef enum { CT_PROGRAM_ANY_DEVICE, CT_PROGRAM_CPU_ONLY } ct_program_devices;

#define CT_PROGRAM_MAX_PARTS 8

/* One program: the name ct_context_kernel() takes, its devices, and its
 * parts in order (NULL after the last). */
typedef struct {
    const char *name;
    ct_program_devices devices;
    const char *parts[CT_PROGRAM_MAX_PARTS];
} ct_program_def;

/* The program table (src/core/program.c), *count entries. */
const ct_program_def *ct_program_table(size_t *count);

/* The table entry named `name`, or NULL. */
const ct_program_def *ct_program_find(const char *name);

/* 1 when the device builds this program. */
int ct_program_for_device(const ct_program_def *def, const ct_device_info *info);

/* Source text of a program: its parts joined, each after a #line directive
 * naming its file, so compiler messages point at cl/PART.cl and its line.
 * Parts come from $CLTRAIN_KERNEL_DIR when set (kernel development), else
 * from the copies embedded at build time. A name that is not in the table is
 * built from common.cl (when there is one) and NAME.cl, for kernels under
 * development. *out is malloc'd. */
ct_status ct_program_source(const char *name, char **out, size_t *length);

/* Build options derived from device capabilities (never vendor names). */
void ct_program_options(const ct_device_info *info, char *buf, size_t size);

/* Build program `name` for the device, through the binary cache. The
 * compiler's output (the runtime's build log and whatever the compiler
 * writes to stderr meanwhile) never reaches the terminal: it is kept as
 * <cache entry>.log, handed to the log sink if one is installed, and part of
 * the error detail when the build fails. */
ct_status ct_program_build(cl_context context, const ct_device_info *info, const char *name,
                           cl_program *out, ct_program_stats *stats);

/* Receives the compiler output of every program built from source (not
 * called when the output is empty). `log` is only valid during the call. */
typedef void (*ct_program_log_sink)(const char *program, const ct_device_info *info, const char *log,
                                    void *user);

/* Install (or, with NULL, remove) the process-wide log sink: `cltrain
 * --verbose` prints the logs through it. Set it before building programs. */
void ct_program_set_log_sink(ct_program_log_sink sink, void *user);

/* Folder of the binary cache ($XDG_CACHE_HOME/cltrain/kernels or
 * ~/.cache/cltrain/kernels); returns 0 when caching is disabled or no home. */
int ct_program_cache_dir(char *buf, size_t size);

/* 1 when keeping program binaries in cltrain's cache pays on this device.
 * Not on a runtime that caches compiled programs itself and whose binaries
 * are costly to produce: PoCL compiles a generic work-group function of
 * every kernel in the program to hand out a binary (for the CIFAR net, tens
 * of seconds on the first run), while its own cache already makes the next
 * build from source fast. CLTRAIN_BINARY_CACHE=1 forces the cache on, =0
 * off. A device property: the device profile is its natural home. */
int ct_program_binary_cache_pays(const ct_device_info *info);

/* Hash used for cache keys (FNV-1a, 64 bit); exposed for tests. */
unsigned long long ct_hash64(const void *data, size_t len, unsigned long long seed);

#endif
