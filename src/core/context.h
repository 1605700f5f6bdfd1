/* Internals of ct_context shared by the library's modules. */
#ifndef CLTRAIN_CONTEXT_INTERNAL_H
#define CLTRAIN_CONTEXT_INTERNAL_H

#include <pthread.h>

#include "cltrain/device.h"
#include "core/prebuild.h"
#include "core/program.h"

typedef struct {
    char file[64];
    cl_program program;
} ct_context_program_entry;

#define CT_CONTEXT_ANNOUNCED_MAX 4

typedef struct {
    char file[64]; /* the program's name */
    char name[96];
    cl_kernel kernel;
    size_t group_limit; /* CL_KERNEL_WORK_GROUP_SIZE, 0 until asked (ct_context_kernel_group_limit) */
    /* The work-group shapes (x, y, z, large grid) announced to the
     * compile-ahead helper so far (ct_context_note_launch). */
    size_t announced[CT_CONTEXT_ANNOUNCED_MAX][4];
    unsigned announced_count;
} ct_context_kernel_entry;

/* Per-context state that other modules attach lazily (the GEMM engine's
 * CLBlast warm-up and engine choices, workspace, ...), destroyed with the
 * context. One slot per module, so modules stay independent. */
typedef enum { CT_HOOK_GEMM, CT_HOOK_OPS, CT_HOOK_SPARE1, CT_HOOK_SPARE2, CT_CONTEXT_MAX_HOOKS } ct_context_hook_id;

struct ct_context {
    ct_device_info info;
    cl_context context;
    cl_command_queue queue;
    ct_context_program_entry *programs;
    size_t program_count;
    ct_context_kernel_entry *kernels;
    size_t kernel_count;
    ct_program_stats stats;
    ct_prebuild *prebuild; /* the compile-ahead helper (core/prebuild.h), NULL when none */
    struct {
        cl_event gate;  /* the user event the queue waits for; NULL when not held */
        int released;   /* gate set complete (under lock) */
        pthread_t watchdog;
        pthread_mutex_t lock;
        pthread_cond_t wake;
    } hold;
    struct {
        void *state;
        void (*destroy)(void *);
    } hooks[CT_CONTEXT_MAX_HOOKS];
};

/* Program `name` (src/core/program.c's table), built on first use. A
 * program the device does not build (CPU-only ones on a GPU) is
 * CT_ERR_UNSUPPORTED. */
ct_status ct_context_program(ct_context *ctx, const char *name, cl_program *out);

/* The largest work-group `kernel` runs with on this context's device:
 * CL_KERNEL_WORK_GROUP_SIZE (at most the device's), asked once per kernel of
 * this context and kept; asked every time for other kernels. */
size_t ct_context_kernel_group_limit(ct_context *ctx, cl_kernel kernel);
const ct_program_stats *ct_context_program_stats(const ct_context *ctx);

/* Holds the queue's commands (not their enqueueing) until
 * ct_context_release_queue, so that the host enqueues a whole first step
 * and the compile-ahead helper hears of all its kernels before PoCL's
 * worker starts compiling the first one: the helper takes them from the
 * end, the worker from the start. Only with a helper; a no-op otherwise.
 * Anything that waits for the queue through this module or tensor.c
 * releases it first, and a watchdog releases it after `seconds` whatever
 * happens, so a blocking call elsewhere waits at most that long. */
void ct_context_hold_queue(ct_context *ctx, double seconds);
void ct_context_release_queue(ct_context *ctx);

/* Tells the compile-ahead helper, if there is one, about a launch of
 * `kernel` over `global` in groups of `local` (both as enqueued), the first
 * time this kernel meets this group shape. */
void ct_context_note_launch(ct_context *ctx, cl_kernel kernel, cl_uint dims, const size_t *global,
                            const size_t *local);

void *ct_context_hook(ct_context *ctx, ct_context_hook_id id);
void ct_context_set_hook(ct_context *ctx, ct_context_hook_id id, void *state, void (*destroy)(void *));

#endif
