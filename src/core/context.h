/* Internals of ct_context shared by the library's modules. */
#ifndef CLTRAIN_CONTEXT_INTERNAL_H
#define CLTRAIN_CONTEXT_INTERNAL_H

#include "cltrain/device.h"
#include "core/program.h"

typedef struct {
    char file[64];
    cl_program program;
} ct_context_program_entry;

typedef struct {
    char file[64]; /* the program's name */
    char name[96];
    cl_kernel kernel;
    size_t group_limit; /* CL_KERNEL_WORK_GROUP_SIZE, 0 until asked (ct_context_kernel_group_limit) */
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

void *ct_context_hook(ct_context *ctx, ct_context_hook_id id);
void ct_context_set_hook(ct_context *ctx, ct_context_hook_id id, void *state, void (*destroy)(void *));

#endif
