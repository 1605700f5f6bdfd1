/* A device context: OpenCL context, one in-order queue, and the programs and
 * kernels built for it so far (each built once per context, from the program
 * table in src/core/program.c). */
#include "core/context.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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
    ctx->prebuild = ct_prebuild_start(info);
    *out = ctx;
    return CT_OK;
}

void ct_context_destroy(ct_context *ctx)
{
    if (!ctx)
        return;
    ct_context_release_queue(ctx);
    ct_prebuild_stop(ctx->prebuild);
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
    ct_context_release_queue(ctx);
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
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "program name too long: %s", file);
    const ct_program_def *def = ct_program_find(file);
    if (def && !ct_program_for_device(def, &ctx->info))
        return ct_fail(CT_ERR_UNSUPPORTED, "program %s is built for CPU devices only, and %s is a %s", file,
                       ctx->info.name, ct_device_type_name(ctx->info.type));
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
        return ct_fail(CT_ERR_BUILD, "program %s has no usable kernel '%s': %s", file, kernel_name,
                       ct_cl_error_name(err));
    ct_context_kernel_entry *e = &ctx->kernels[ctx->kernel_count++];
    strcpy(e->file, file);
    strcpy(e->name, kernel_name);
    e->kernel = kernel;
    e->group_limit = 0;
    e->announced_count = 0;
    *out = kernel;
    return CT_OK;
}

static size_t ask_group_limit(const ct_device_info *info, cl_kernel kernel)
{
    size_t limit = 0;
    if (clGetKernelWorkGroupInfo(kernel, info->device, CL_KERNEL_WORK_GROUP_SIZE, sizeof limit, &limit, NULL) !=
            CL_SUCCESS ||
        limit == 0 || limit > info->max_work_group_size)
        limit = info->max_work_group_size;
    return limit ? limit : 1;
}

size_t ct_context_kernel_group_limit(ct_context *ctx, cl_kernel kernel)
{
    for (size_t i = 0; i < ctx->kernel_count; i++) {
        ct_context_kernel_entry *e = &ctx->kernels[i];
        if (e->kernel != kernel)
            continue;
        if (!e->group_limit)
            e->group_limit = ask_group_limit(&ctx->info, kernel);
        return e->group_limit;
    }
    return ask_group_limit(&ctx->info, kernel);
}

void ct_context_note_launch(ct_context *ctx, cl_kernel kernel, cl_uint dims, const size_t *global,
                            const size_t *local)
{
    if (!ctx->prebuild)
        return;
    size_t shape[4] = {local[0], dims > 1 ? local[1] : 1, dims > 2 ? local[2] : 1,
                       (size_t)ct_prebuild_grid_is_large(dims, global, local)};
    for (size_t i = 0; i < ctx->kernel_count; i++) {
        ct_context_kernel_entry *e = &ctx->kernels[i];
        if (e->kernel != kernel)
            continue;
        /* Seen before, or a small grid after the large form, which PoCL
         * reuses for any smaller grid of the same group size. */
        for (unsigned j = 0; j < e->announced_count; j++)
            if (!memcmp(e->announced[j], shape, 3 * sizeof shape[0]) && e->announced[j][3] >= shape[3])
                return;
        if (e->announced_count == CT_CONTEXT_ANNOUNCED_MAX)
            return; /* a kernel in many shapes: the rest compile as they come */
        memcpy(e->announced[e->announced_count++], shape, sizeof shape);
        ct_prebuild_announce(ctx->prebuild, e->file, e->name, dims, shape, (int)shape[3]);
        return;
    }
}

/* Sets the gate complete, once (the watchdog and the host may race). */
static void open_gate(ct_context *ctx)
{
    pthread_mutex_lock(&ctx->hold.lock);
    if (!ctx->hold.released) {
        ctx->hold.released = 1;
        clSetUserEventStatus(ctx->hold.gate, CL_COMPLETE);
        pthread_cond_signal(&ctx->hold.wake);
    }
    pthread_mutex_unlock(&ctx->hold.lock);
}

typedef struct {
    ct_context *ctx;
    struct timespec deadline;
} watchdog_args;

static void *watchdog(void *arg)
{
    watchdog_args a = *(watchdog_args *)arg;
    free(arg);
    ct_context *ctx = a.ctx;
    pthread_mutex_lock(&ctx->hold.lock);
    int err = 0;
    while (!ctx->hold.released && err != ETIMEDOUT)
        err = pthread_cond_timedwait(&ctx->hold.wake, &ctx->hold.lock, &a.deadline);
    pthread_mutex_unlock(&ctx->hold.lock);
    open_gate(ctx);
    return NULL;
}

void ct_context_hold_queue(ct_context *ctx, double seconds)
{
    if (!ctx->prebuild || ctx->hold.gate)
        return;
    cl_int err;
    cl_event gate = clCreateUserEvent(ctx->context, &err);
    if (err != CL_SUCCESS)
        return;
    watchdog_args *a = malloc(sizeof *a);
    pthread_condattr_t attr;
    int ok = a && pthread_condattr_init(&attr) == 0;
    if (ok) {
        pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
        ok = pthread_cond_init(&ctx->hold.wake, &attr) == 0;
        pthread_condattr_destroy(&attr);
    }
    if (ok && pthread_mutex_init(&ctx->hold.lock, NULL) != 0) {
        pthread_cond_destroy(&ctx->hold.wake);
        ok = 0;
    }
    if (ok) {
        a->ctx = ctx;
        clock_gettime(CLOCK_MONOTONIC, &a->deadline);
        double whole = (double)(long)seconds;
        a->deadline.tv_sec += (time_t)whole;
        a->deadline.tv_nsec += (long)((seconds - whole) * 1e9);
        if (a->deadline.tv_nsec >= 1000000000L) {
            a->deadline.tv_sec++;
            a->deadline.tv_nsec -= 1000000000L;
        }
        ctx->hold.gate = gate;
        ctx->hold.released = 0;
        /* The watchdog first: without it the gate must not close. */
        if (pthread_create(&ctx->hold.watchdog, NULL, watchdog, a) != 0) {
            ctx->hold.gate = NULL;
            pthread_mutex_destroy(&ctx->hold.lock);
            pthread_cond_destroy(&ctx->hold.wake);
            ok = 0;
        } else if (clEnqueueBarrierWithWaitList(ctx->queue, 1, &gate, NULL) != CL_SUCCESS) {
            ct_context_release_queue(ctx); /* not held after all */
        }
        if (ok)
            return;
    }
    free(a);
    clSetUserEventStatus(gate, CL_COMPLETE);
    clReleaseEvent(gate);
}

void ct_context_release_queue(ct_context *ctx)
{
    if (!ctx->hold.gate)
        return;
    open_gate(ctx);
    pthread_join(ctx->hold.watchdog, NULL);
    clReleaseEvent(ctx->hold.gate);
    ctx->hold.gate = NULL;
    pthread_mutex_destroy(&ctx->hold.lock);
    pthread_cond_destroy(&ctx->hold.wake);
}

void *ct_context_hook(ct_context *ctx, ct_context_hook_id id) { return ctx->hooks[id].state; }

void ct_context_set_hook(ct_context *ctx, ct_context_hook_id id, void *state, void (*destroy)(void *))
{
    ctx->hooks[id].state = state;
    ctx->hooks[id].destroy = destroy;
}

ct_status ct_context_build_all(ct_context *ctx, ct_build_report *report)
{
    size_t count;
    const ct_program_def *table = ct_program_table(&count);
    for (size_t i = 0; i < count && ctx->prebuild; i++)
        if (ct_program_for_device(&table[i], &ctx->info))
            ct_prebuild_announce_program(ctx->prebuild, table[i].name);
    for (size_t i = 0; i < count; i++) {
        if (!ct_program_for_device(&table[i], &ctx->info))
            continue;
        cl_program program;
        CT_TRY(ct_context_program(ctx, table[i].name, &program));
    }
    if (report) {
        report->compiled = ctx->stats.compiled;
        report->from_cache = ctx->stats.from_cache;
        report->cache_broken = ctx->stats.cache_broken;
        report->seconds = ctx->stats.build_seconds;
    }
    return CT_OK;
}
