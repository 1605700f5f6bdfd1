/* OpenCL platforms and devices: enumeration, capabilities, selection, and the
 * per-device context (context + in-order queue + compiled kernels) every
 * computation runs in. */
#ifndef CLTRAIN_DEVICE_H
#define CLTRAIN_DEVICE_H

#include <stddef.h>
#include <stdint.h>

#include <CL/cl.h>

#include "cltrain/profile.h"
#include "cltrain/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { CT_DEVICE_CPU, CT_DEVICE_GPU, CT_DEVICE_ACCELERATOR, CT_DEVICE_OTHER } ct_device_type;

typedef struct {
    unsigned platform_index; /* P in "P:D" */
    unsigned device_index;   /* D in "P:D" */
    cl_platform_id platform;
    cl_device_id device;
    char platform_name[128];
    char platform_version[128];
    char name[256];
    char vendor[128];
    char driver_version[128];
    char device_version[128];  /* "OpenCL 3.0 PoCL ..." */
    char opencl_c_version[128];
    ct_device_type type;
    unsigned compute_units;
    unsigned clock_mhz;
    uint64_t global_mem_bytes;
    uint64_t local_mem_bytes;
    uint64_t max_alloc_bytes;
    size_t max_work_group_size;
    int has_fp16;
    int has_fp64;
    unsigned preferred_vector_width_float;
    ct_device_profile profile; /* policy derived from the above, computed once (cltrain/profile.h) */
} ct_device_info;

const char *ct_device_type_name(ct_device_type t); /* "cpu", "gpu", ... */

/* All devices of all platforms. *out is malloc'd; free() it. A platform that
 * fails to report its devices is skipped; no platform at all is an error
 * that says what to install. */
ct_status ct_device_list(ct_device_info **out, size_t *count);

/* Pick one device from a list. spec may be NULL/"" (default: the GPU with most
 * compute units, else the first CPU, else the first device), "P:D", "cpu",
 * "gpu", "accelerator", or a case-insensitive substring of the device name. */
ct_status ct_device_select(const ct_device_info *devices, size_t count, const char *spec,
                           size_t *index_out);

/* The selection spec in force: explicit (flag) if given, else $CLTRAIN_DEVICE. */
const char *ct_device_spec_from_env(const char *explicit_spec);

/* Asks PoCL to run CPU devices' kernels on `threads` worker threads
 * (POCL_MAX_PTHREAD_COUNT, which PoCL reads once, when OpenCL is first used
 * in the process). Returns 1 if the request was made; 0 if OpenCL has
 * already been used here (too late) or the user set POCL_MAX_PTHREAD_COUNT
 * (theirs wins). Other OpenCL platforms ignore it. */
int ct_device_limit_cpu_threads(unsigned threads);

/* Convenience: list + select into *out. */
ct_status ct_device_find(const char *spec, ct_device_info *out);

/* ---------------------------------------------------------------- context */
typedef struct ct_context ct_context;

/* Creates an OpenCL context and an in-order queue for the device. */
ct_status ct_context_create(const ct_device_info *info, ct_context **out);
void ct_context_destroy(ct_context *ctx);

const ct_device_info *ct_context_device(const ct_context *ctx);
cl_context ct_context_cl(const ct_context *ctx);
cl_command_queue ct_context_queue(const ct_context *ctx);

/* Kernel `kernel_name` from cl/`file`.cl, built (or loaded from the binary
 * cache) on first use and kept for the lifetime of the context. The kernel
 * object belongs to the context: do not release it. Not thread-safe: one
 * thread drives a context. */
ct_status ct_context_kernel(ct_context *ctx, const char *file, const char *kernel_name,
                            cl_kernel *out);

/* Build (or load from the cache) every program in cl/ now, so a device
 * whose compiler rejects one is found at once, with its build log. Reports
 * how many were compiled and how many came from the cache, and the seconds. */
typedef struct {
    unsigned compiled, from_cache, cache_broken;
    double seconds;
} ct_build_report;
ct_status ct_context_build_all(ct_context *ctx, ct_build_report *report);

/* Wait for all queued work. */
ct_status ct_context_finish(ct_context *ctx);

/* Translate an OpenCL error code into a status with detail "what: CL_XXX". */
ct_status ct_cl_fail(cl_int err, const char *what);
const char *ct_cl_error_name(cl_int err);

#ifdef __cplusplus
}
#endif
#endif
