/* Compiling ahead on a second core: a helper process that builds, into
 * PoCL's on-disk kernel cache, the work-group functions a run's launches are
 * about to need, so that the run finds them there instead of compiling them.
 *
 * Why a process and not a thread: PoCL 3.1 compiles a kernel's work-group
 * function at its first launch with each work-group size, on its worker
 * thread, holding one process-wide lock (pocl_dlhandle_lock in
 * lib/CL/devices/common.c) for the whole compile, and the front end and the
 * work-group compile of one cl_context hold that context's LLVM lock. A
 * thread of the same process would wait for the run's compiles instead of
 * running beside them; another process shares only the disk cache, whose
 * entries PoCL writes atomically (temp file + rename) and looks up before
 * compiling (llvm_codegen: pocl_exists on the final .so).
 *
 * The run announces each (kernel, work-group size, grid class) the first
 * time it enqueues it; the host thread enqueues ahead of PoCL's worker, so
 * the helper takes the newest announcement first (the worker takes the
 * oldest) and they meet in the middle. The helper compiles a work-group
 * function by one launch of the kernel on zero-filled scratch buffers of
 * its own, every integer argument 1, every float 0 and every struct zero
 * (PoCL 3.1's pthread device compiles only when it runs a launch, and has no
 * API that compiles one specialisation alone; see trigger() in prebuild.c). What
 * it compiles is what the run would have compiled itself, byte for byte, so
 * results cannot change; when it fails or dies, the run compiles as before.
 *
 * Off unless CLTRAIN_PREBUILD=1 (where measured it saved little: see
 * helper_pays in prebuild.c); then on a PoCL CPU device with its kernel
 * cache on, in a program that can run the helper (ct_prebuild_set_helper),
 * and best with a second CPU for this process. One helper per
 * process. */
#ifndef CLTRAIN_CORE_PREBUILD_H
#define CLTRAIN_CORE_PREBUILD_H

#include <stddef.h>

#include "cltrain/device.h"

typedef struct ct_prebuild ct_prebuild;

/* PoCL's grid_width_specialization_limit on its CPU devices (common.c). */
#define CT_PREBUILD_POCL_GRID_LIMIT 65535u
/* One announcement, "K program kernel dims l0 l1 l2 large", fits. */
#define CT_PREBUILD_MESSAGE_MAX 256

/* The executable that runs the helper and the argument that makes it do so
 * (the `cltrain` command registers itself: "/proc/self/exe", "--prebuild-helper").
 * Until this is called no helper starts. */
void ct_prebuild_set_helper(const char *exe, const char *mode_arg);

/* The helper's entry (prebuild_helper.c): argv = {exe, mode_arg, "P:D"};
 * reads announcements on stdin until it closes. Returns the exit status. */
int ct_prebuild_helper_main(int argc, char **argv);

/* Starts a helper for the device when it can help (see above), else NULL. */
ct_prebuild *ct_prebuild_start(const ct_device_info *info);

/* 1 when PoCL compiles a separate, large-grid form of a kernel for this
 * launch: the widest grid dimension (PoCL's pocl_cmd_max_grid_dim_width) is
 * at least its device's limit (USHRT_MAX on CPUs). */
int ct_prebuild_grid_is_large(cl_uint dims, const size_t *global, const size_t *local);

/* Announces a launch of `kernel` of `program` in work-groups of local[0..2]
 * (unused dimensions 1). Never blocks: when the helper cannot take it now
 * or has gone, the announcement is dropped. */
void ct_prebuild_announce(ct_prebuild *pb, const char *program, const char *kernel, cl_uint dims,
                          const size_t *local, int large_grid);

/* Announces that the run will build `program` (its front end) soon: the
 * helper builds it into PoCL's cache (ct_context_build_all: the run builds
 * the table from the start, the helper from the end). */
void ct_prebuild_announce_program(ct_prebuild *pb, const char *program);

/* Stops the helper: closes its input, gives it a moment to finish its
 * current compile, then ends it, and reaps it. NULL is fine. */
void ct_prebuild_stop(ct_prebuild *pb);

/* The helper's process id (0 when none), for tests. */
long ct_prebuild_pid(const ct_prebuild *pb);

#endif
