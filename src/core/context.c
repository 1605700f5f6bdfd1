/* A device context: OpenCL context, one in-order queue, and the programs and
 * kernels built for it so far (each built once per context). */
#include "core/context.h"

#include <stdlib.h>
#include <string.h>

#include "core/kernels_embedded.h"

ct_status ct_context_create(const ct_device_info *info, ct_context **out)
{
    *out = NULL;
    ct_context *ctx = calloc(1, sizeof *ctx);
    if (!ctx)
        return ct_fail(CT_ERR_NO_MEMORY, "creating a context");
    ctx->info = *info;
    cl_int err;
    cl_context_properties props[] = {CL_CONTEXT_PLATFORM, (cl_context_properties)info->platform, 0};
    ctx->context = clCreateContext(props, 1, &info->device, NULL, NULL, &err);
    if (err != CL_SUCCESS) {
        free(ctx);
        return ct_fail(CT_ERR_OPENCL, "cannot create an OpenCL context on %s: %s", info->name,
                       ct_cl_error_name(err));
    }
    ctx->queue = clCreateCommandQueue(ctx->context, info->device, 0, &err);
    if (err != CL_SUCCESS) {
        clReleaseContext(ctx->context);
        free(ctx);
        return ct_fail(CT_ERR_OPENCL, "cannot create a command queue on %s: %s", info->name,
                       ct_cl_error_name(err));
    }
    *out = ctx;
    return CT_OK;
}

void ct_context_destroy(ct_context *ctx)
{
    if (!ctx)
        return;
    if (ctx->queue)
        clFinish(ctx->queue);
    for (size_t i = 0; i < CT_CONTEXT_MAX_HOOKS; i++)
        if (ctx->hooks[i].destroy)
            ctx->hooks[i].destroy(ctx->hooks[i].state);
    for (size_t i = 0; i < ctx->kernel_count; i++)
        clReleaseKernel(ctx->kernels[i].kernel);
    for (size_t i = 0; i < ctx->program_count; i++)
        clReleaseProgram(ctx->programs[i].program);
    free(ctx->kernels);
    free(ctx->programs);
    if (ctx->queue)
        clReleaseCommandQueue(ctx->queue);
    if (ctx->context)
        clReleaseContext(ctx->context);
    free(ctx);
}

const ct_device_info *ct_context_device(const ct_context *ctx) { return &ctx->info; }
cl_context ct_context_cl(const ct_context *ctx) { return ctx->context; }
cl_command_queue ct_context_queue(const ct_context *ctx) { return ctx->queue; }

const ct_program_stats *ct_context_program_stats(const ct_context *ctx) { return &ctx->stats; }

ct_status ct_context_finish(ct_context *ctx)
{
    cl_int err = clFinish(ctx->queue);
    return err == CL_SUCCESS ? CT_OK : ct_cl_fail(err, "clFinish");
}

ct_status ct_context_program(ct_context *ctx, const char *file, cl_program *out)
{
    for (size_t i = 0; i < ctx->program_count; i++)
        if (!strcmp(ctx->programs[i].file, file)) {
            *out = ctx->programs[i].program;
            return CT_OK;
        }
    if (strlen(file) >= sizeof ctx->programs[0].file)
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "kernel file name too long: %s", file);
    ct_context_program_entry *grown = realloc(ctx->programs, (ctx->program_count + 1) * sizeof *grown);
    if (!grown)
        return ct_fail(CT_ERR_NO_MEMORY, "program table");
    ctx->programs = grown;
    cl_program program;
    CT_TRY(ct_program_build(ctx->context, &ctx->info, file, &program, &ctx->stats));
    ct_context_program_entry *e = &ctx->programs[ctx->program_count++];
    strcpy(e->file, file);
    e->program = program;
    *out = program;
    return CT_OK;
}

ct_status ct_context_kernel(ct_context *ctx, const char *file, const char *kernel_name, cl_kernel *out)
{
    for (size_t i = 0; i < ctx->kernel_count; i++) {
        ct_context_kernel_entry *e = &ctx->kernels[i];
        if (!strcmp(e->name, kernel_name) && !strcmp(e->file, file)) {
            *out = e->kernel;
            return CT_OK;
        }
    }
    if (strlen(kernel_name) >= sizeof ctx->kernels[0].name || strlen(file) >= sizeof ctx->kernels[0].file)
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "kernel name too long: %s", kernel_name);
    cl_program program;
    CT_TRY(ct_context_program(ctx, file, &program));
    ct_context_kernel_entry *grown = realloc(ctx->kernels, (ctx->kernel_count + 1) * sizeof *grown);
    if (!grown)
        return ct_fail(CT_ERR_NO_MEMORY, "kernel table");
    ctx->kernels = grown;
    cl_int err;
    cl_kernel kernel = clCreateKernel(program, kernel_name, &err);
    if (err != CL_SUCCESS)
        return ct_fail(CT_ERR_BUILD, "cl/%s.cl has no usable kernel '%s': %s", file, kernel_name,
                       ct_cl_error_name(err));
    ct_context_kernel_entry *e = &ctx->kernels[ctx->kernel_count++];
    strcpy(e->file, file);
    strcpy(e->name, kernel_name);
    e->kernel = kernel;
    *out = kernel;
    return CT_OK;
}

void *ct_context_hook(ct_context *ctx, ct_context_hook_id id) { return ctx->hooks[id].state; }

void ct_context_set_hook(ct_context *ctx, ct_context_hook_id id, void *state, void (*destroy)(void *))
{
    ctx->hooks[id].state = state;
    ctx->hooks[id].destroy = destroy;
}

ct_status ct_context_build_all(ct_context *ctx, ct_build_report *report)
{
    for (const ct_embedded_kernel *k = ct_embedded_kernels; k->name; k++) {
        if (!strcmp(k->name, "common")) /* a prelude, not a program */
            continue;
        cl_program program;
        CT_TRY(ct_context_program(ctx, k->name, &program));
    }
    if (report) {
        report->compiled = ctx->stats.compiled;
        report->from_cache = ctx->stats.from_cache;
        report->cache_broken = ctx->stats.cache_broken;
        report->seconds = ctx->stats.build_seconds;
    }
    return CT_OK;
}
