/* The compile-ahead helper process itself (prebuild.h): it reads the
 * run's announcements and has PoCL compile each one, newest first. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/context.h"
#include "core/prebuild.h"

/* The helper's scratch buffers: one per pointer argument (no aliasing: a
 * kernel never reads another argument's output as indices), zeroed before
 * every launch. With the sizes 1 the triggers pass, kernels touch their
 * first few kilobytes; a large-grid launch without bounds checks, up to
 * 65536 items' worth. */
#define SCRATCH_BYTES ((size_t)4 << 20)
#define SCRATCH_MAX 24
/* The largest struct argument the helper sets. */
#define STRUCT_MAX 1024
/* Distinct announcements the helper keeps (a run has tens). */
#define HELPER_QUEUE_MAX 1024

typedef struct {
    char program[64], kernel[96];
    cl_uint dims;
    size_t local[3];
    int large;
    int done;
} helper_item;

/* Bytes of a by-value argument from its OpenCL C type name ("uint",
 * "float4"); 0 when unknown. *is_float for floating-point types. */
static size_t scalar_bytes(const char *type, int *is_float)
{
    static const struct {
        const char *name;
        size_t bytes;
        int is_float;
    } types[] = {{"uchar", 1, 0},  {"char", 1, 0},  {"ushort", 2, 0}, {"short", 2, 0}, {"half", 2, 1},
                 {"uint", 4, 0},   {"int", 4, 0},   {"float", 4, 1},  {"ulong", 8, 0}, {"long", 8, 0},
                 {"double", 8, 1}, {"bool", 1, 0}};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        size_t len = strlen(types[i].name);
        if (strncmp(type, types[i].name, len) != 0)
            continue;
        const char *rest = type + len;
        size_t lanes = 1;
        if (*rest) {
            char *end;
            unsigned long v = strtoul(rest, &end, 10);
            if (*end || !(v == 2 || v == 3 || v == 4 || v == 8 || v == 16))
                continue;
            lanes = v == 3 ? 4 : v;
        }
        *is_float = types[i].is_float;
        return types[i].bytes * lanes;
    }
    return 0;
}

/* One launch of the kernel, so that PoCL compiles (or finds) its
 * work-group function for this work-group size and grid class: one
 * work-group, or (large) a first dimension of at least PoCL's limit. Every
 * pointer argument a zeroed scratch buffer of its own, every integer 1, every
 * float 0 and every struct all zero: all sizes 1 (or counts 0), so kernels
 * stay within a few kilobytes of their buffers, and all offsets 1, within them too.
 * Local arguments share the device's local memory. Results are discarded. */
/* The scratch buffer of the index-th pointer argument, zeroed. */
static cl_int zeroed_scratch(ct_context *ctx, cl_mem *scratch, cl_uint index, cl_mem *out)
{
    if (index >= SCRATCH_MAX)
        return CL_OUT_OF_RESOURCES;
    cl_int err = CL_SUCCESS;
    if (!scratch[index])
        scratch[index] = clCreateBuffer(ct_context_cl(ctx), CL_MEM_READ_WRITE, SCRATCH_BYTES, NULL, &err);
    if (err != CL_SUCCESS) {
        scratch[index] = NULL;
        return err;
    }
    const cl_uint zero = 0;
    *out = scratch[index];
    return clEnqueueFillBuffer(ct_context_queue(ctx), *out, &zero, sizeof zero, 0, SCRATCH_BYTES, 0, NULL, NULL);
}

static ct_status trigger(ct_context *ctx, cl_mem *scratch, const helper_item *it)
{
    cl_kernel k;
    CT_TRY(ct_context_kernel(ctx, it->program, it->kernel, &k));
    cl_uint nargs = 0;
    if (clGetKernelInfo(k, CL_KERNEL_NUM_ARGS, sizeof nargs, &nargs, NULL) != CL_SUCCESS)
        return ct_fail(CT_ERR_OPENCL, "no argument count");
    cl_kernel_arg_address_qualifier quals[64];
    if (nargs > 64)
        return ct_fail(CT_ERR_UNSUPPORTED, "%u arguments", nargs);
    cl_uint locals = 0;
    for (cl_uint i = 0; i < nargs; i++) {
        if (clGetKernelArgInfo(k, i, CL_KERNEL_ARG_ADDRESS_QUALIFIER, sizeof quals[i], &quals[i], NULL) !=
            CL_SUCCESS)
            return ct_fail(CT_ERR_UNSUPPORTED, "no address space for argument %u", i);
        locals += quals[i] == CL_KERNEL_ARG_ADDRESS_LOCAL;
    }
    const ct_device_info *info = ct_context_device(ctx);
    size_t local_bytes = locals ? (size_t)(info->local_mem_bytes / (locals + 1)) & ~(size_t)63 : 0;
    cl_int err = CL_SUCCESS;
    cl_uint pointers = 0;
    for (cl_uint i = 0; i < nargs && err == CL_SUCCESS; i++) {
        if (quals[i] == CL_KERNEL_ARG_ADDRESS_LOCAL) {
            err = clSetKernelArg(k, i, local_bytes, NULL);
            continue;
        }
        if (quals[i] == CL_KERNEL_ARG_ADDRESS_GLOBAL || quals[i] == CL_KERNEL_ARG_ADDRESS_CONSTANT) {
            cl_mem buffer = NULL;
            err = zeroed_scratch(ctx, scratch, pointers++, &buffer);
            if (err == CL_SUCCESS)
                err = clSetKernelArg(k, i, sizeof buffer, &buffer);
            continue;
        }
        char type[64] = "";
        if (clGetKernelArgInfo(k, i, CL_KERNEL_ARG_TYPE_NAME, sizeof type, type, NULL) != CL_SUCCESS)
            return ct_fail(CT_ERR_UNSUPPORTED, "no type for argument %u", i);
        int is_float = 0;
        size_t bytes = scalar_bytes(type, &is_float);
        unsigned char value[STRUCT_MAX];
        memset(value, 0, sizeof value);
        if (bytes == 0) {
            /* A struct by value: all zero (counts 0: nothing to do). PoCL
             * 3.1 does not know a struct's size and takes any (then copies
             * only what it is given): STRUCT_MAX bytes, more than any of
             * ours. A runtime that checks the size gets the one it accepts
             * (not multiples of 3, which PoCL reads as 3-vectors). */
            err = clSetKernelArg(k, i, STRUCT_MAX, value);
            for (size_t size = 4; size < STRUCT_MAX && err == CL_INVALID_ARG_SIZE; size += 4)
                if (size % 3)
                    err = clSetKernelArg(k, i, size, value);
            if (err != CL_SUCCESS)
                return ct_fail(CT_ERR_UNSUPPORTED, "argument %u of type '%s'", i, type);
            continue;
        }
        if (!is_float) {
            size_t lane = bytes >= 8 ? 8 : bytes; /* each lane 1, little-endian */
            for (size_t at = 0; at < bytes; at += lane)
                value[at] = 1;
        }
        err = clSetKernelArg(k, i, bytes, value);
    }
    if (err != CL_SUCCESS)
        return ct_cl_fail(err, "setting the arguments");
    size_t global[3];
    for (cl_uint d = 0; d < it->dims; d++)
        global[d] = it->local[d];
    if (it->large)
        global[0] = (CT_PREBUILD_POCL_GRID_LIMIT + it->local[0] - 1) / it->local[0] * it->local[0];
    err = clEnqueueNDRangeKernel(ct_context_queue(ctx), k, it->dims, NULL, global, it->local, 0, NULL, NULL);
    if (err != CL_SUCCESS)
        return ct_cl_fail(err, "clEnqueueNDRangeKernel");
    err = clFinish(ct_context_queue(ctx));
    return err == CL_SUCCESS ? CT_OK : ct_cl_fail(err, "clFinish");
}

/* "K program kernel dims l0 l1 l2 large", or "P program" (the program
 * alone: kernel empty, dims 0). */
static int parse_item(const char *text, helper_item *it)
{
    memset(it, 0, sizeof *it);
    unsigned dims = 0;
    int used = 0;
    if (sscanf(text, "P %63s%n", it->program, &used) == 1 && text[used] == '\0')
        return 1;
    if (sscanf(text, "K %63s %95s %u %zu %zu %zu %d%n", it->program, it->kernel, &dims, &it->local[0],
               &it->local[1], &it->local[2], &it->large, &used) != 7 ||
        text[used] != '\0' || dims < 1 || dims > 3)
        return 0;
    it->dims = dims;
    for (cl_uint d = 0; d < 3; d++)
        if (it->local[d] == 0 || (d >= dims && it->local[d] != 1))
            return 0;
    return 1;
}

static int parse_profile(const char *text, ct_device_profile *profile)
{
    const char *hex = text + strlen("profile ");
    if (strncmp(text, "profile ", 8) != 0 || strlen(hex) != 2 * sizeof *profile)
        return 0;
    unsigned char *bytes = (unsigned char *)profile;
    for (size_t i = 0; i < sizeof *profile; i++) {
        unsigned v;
        if (sscanf(hex + 2 * i, "%2x", &v) != 1)
            return 0;
        bytes[i] = (unsigned char)v;
    }
    return 1;
}

/* Same kernel and work-group size. */
static int same_shape(const helper_item *a, const helper_item *b)
{
    return !strcmp(a->program, b->program) && !strcmp(a->kernel, b->kernel) &&
           !memcmp(a->local, b->local, sizeof a->local);
}

static int same_item(const helper_item *a, const helper_item *b)
{
    return same_shape(a, b) && a->dims == b->dims && a->large == b->large;
}

/* Reads what has arrived (waiting when `wait`); 0 at the end of input. */
static int receive(helper_item *queue, size_t *count, int wait)
{
    for (;;) {
        struct pollfd p = {STDIN_FILENO, POLLIN, 0};
        int ready = poll(&p, 1, wait ? -1 : 0);
        if (ready < 0 && errno == EINTR)
            continue;
        if (ready <= 0)
            return 1;
        char text[CT_PREBUILD_MESSAGE_MAX + 1];
        ssize_t n = read(STDIN_FILENO, text, CT_PREBUILD_MESSAGE_MAX);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return 0;
        text[n] = '\0';
        helper_item it;
        if (parse_item(text, &it) && *count < HELPER_QUEUE_MAX) {
            int seen = 0;
            for (size_t i = 0; i < *count && !seen; i++)
                seen = same_item(&queue[i], &it);
            if (!seen)
                queue[(*count)++] = it;
        }
        wait = 0;
    }
}

int ct_prebuild_helper_main(int argc, char **argv)
{
    if (argc < 3)
        return 2;
    /* One worker thread (the trigger launches are one work-group), below
     * the run in priority, and no files in cltrain's own cache (the run
     * keeps the build logs). */
    setenv("POCL_MAX_PTHREAD_COUNT", "1", 1);
    setenv("CLTRAIN_NO_CACHE", "1", 1);
    setenv("CLTRAIN_PREBUILD", "0", 1);
    if (setpriority(PRIO_PROCESS, 0, 10) != 0) {
        /* not being able to lower it is no reason to stop */
    }
    struct rlimit no_core = {0, 0}; /* should it ever crash: no core file in the run's folder */
    setrlimit(RLIMIT_CORE, &no_core);
    char text[2 * sizeof(ct_device_profile) + 16];
    ssize_t n = read(STDIN_FILENO, text, sizeof text - 1);
    if (n <= 0)
        return 1;
    text[n] = '\0';
    ct_device_info info;
    if (ct_device_find(argv[2], &info) != CT_OK || !parse_profile(text, &info.profile))
        return 1;
    ct_context *ctx;
    if (ct_context_create(&info, &ctx) != CT_OK)
        return 1;
    cl_mem scratch[SCRATCH_MAX] = {NULL};
    helper_item *queue = calloc(HELPER_QUEUE_MAX, sizeof *queue);
    size_t count = 0;
    int open = queue != NULL;
    while (open) {
        int waiting = 0;
        for (size_t i = 0; i < count && !waiting; i++)
            waiting = !queue[i].done;
        open = receive(queue, &count, !waiting);
        size_t next = count;
        for (size_t i = count; open && i-- > 0;) /* the newest waiting one */
            if (!queue[i].done) {
                next = i;
                break;
            }
        if (next == count)
            continue;
        /* PoCL runs any smaller grid with a loaded large-grid form (its
         * dlhandle cache), so after the large form this process would no
         * longer compile the small one: the small one first. */
        for (size_t i = 0; i < count && queue[next].large; i++)
            if (!queue[i].done && !queue[i].large && same_shape(&queue[i], &queue[next]))
                next = i;
        queue[next].done = 1;
        double start = ct_now_seconds();
        ct_status s;
        if (queue[next].kernel[0]) {
            s = trigger(ctx, scratch, &queue[next]);
        } else {
            cl_program program;
            s = ct_context_program(ctx, queue[next].program, &program);
        }
        const helper_item *it = &queue[next];
        if (it->kernel[0])
            fprintf(stderr, "prebuild %s %s %zux%zux%zu%s: %s, %.3f s\n", it->program, it->kernel, it->local[0],
                    it->local[1], it->local[2], it->large ? " large" : "", s == CT_OK ? "done" : ct_last_error(),
                    ct_now_seconds() - start);
        else
            fprintf(stderr, "prebuild program %s: %s, %.3f s\n", it->program, s == CT_OK ? "done" : ct_last_error(),
                    ct_now_seconds() - start);
        ct_clear_error(); /* a failure: the run compiles this one itself */
    }
    free(queue);
    for (size_t i = 0; i < SCRATCH_MAX; i++)
        if (scratch[i])
            clReleaseMemObject(scratch[i]);
    ct_context_destroy(ctx);
    return 0;
}
