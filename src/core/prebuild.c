/* The compile-ahead helper process (prebuild.h): starting and stopping it,
 * the announcements, and the helper's side. */
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT */
#include "core/prebuild.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/context.h"
#include "core/program.h"

extern char **environ;

/* PoCL's grid_width_specialization_limit on its CPU devices (common.c). */
#define POCL_GRID_LIMIT 65535u
/* The helper's scratch buffer: every pointer argument points at it. With
 * the sizes 1 the triggers pass, kernels touch its first few kilobytes. */
#define SCRATCH_BYTES ((size_t)16 << 20)
/* One announcement: "K program kernel dims l0 l1 l2 large". */
#define MESSAGE_MAX 256
/* The largest struct argument the helper sets. */
#define STRUCT_MAX 1024
/* Distinct announcements the helper keeps (a run has tens). */
#define HELPER_QUEUE_MAX 1024

struct ct_prebuild {
    int fd; /* our end of the socket; -1 once the helper is gone */
    pid_t pid;
    pid_t owner; /* the process that started it (only it may reap) */
};

static char helper_exe[4096], helper_mode[64];
static int in_helper;    /* this process is a helper: never start another */
static int helper_count; /* helpers running for this process */

void ct_prebuild_set_helper(const char *exe, const char *mode_arg)
{
    snprintf(helper_exe, sizeof helper_exe, "%s", exe ? exe : "");
    snprintf(helper_mode, sizeof helper_mode, "%s", mode_arg ? mode_arg : "");
}

long ct_prebuild_pid(const ct_prebuild *pb) { return pb ? (long)pb->pid : 0; }

int ct_prebuild_grid_is_large(cl_uint dims, const size_t *global, const size_t *local)
{
    /* pocl_cmd_max_grid_dim_width: max(l0 * n0, l1 * n1, l2 * l2), its formula as it is. */
    size_t g0 = global[0], g1 = dims > 1 ? global[1] : 1, l2 = dims > 2 ? local[2] : 1;
    size_t widest = g0 > g1 ? g0 : g1;
    if (l2 * l2 > widest)
        widest = l2 * l2;
    return widest >= POCL_GRID_LIMIT;
}

static unsigned usable_cpus(void)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) != 0)
        return 1;
    int n = CPU_COUNT(&set);
    return n > 0 ? (unsigned)n : 1;
}

/* Where a helper can help (prebuild.h). CLTRAIN_PREBUILD=1 skips the CPU
 * count (tests, and measuring on one core); =0 turns it off. */
static int helper_pays(const ct_device_info *info)
{
    const char *env = getenv("CLTRAIN_PREBUILD");
    int forced = env && !strcmp(env, "1");
    if ((env && !strcmp(env, "0")) || in_helper || helper_count > 0 || !helper_exe[0] || !helper_mode[0])
        return 0;
    if (info->type != CT_DEVICE_CPU || !strstr(info->platform_name, "Portable Computing Language"))
        return 0;
    const char *pocl_cache = getenv("POCL_KERNEL_CACHE");
    if (pocl_cache && !strcmp(pocl_cache, "0"))
        return 0;
    if (ct_program_binary_cache_pays(info)) /* programs from binaries: other cache entries */
        return 0;
    return forced || usable_cpus() >= 2;
}

static int send_message(ct_prebuild *pb, const char *text)
{
    if (!pb || pb->fd < 0)
        return 0;
    ssize_t n = send(pb->fd, text, strlen(text), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        close(pb->fd); /* the helper has gone: the run compiles alone */
        pb->fd = -1;
    }
    return n > 0;
}

ct_prebuild *ct_prebuild_start(const ct_device_info *info)
{
    if (!helper_pays(info))
        return NULL;
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
        return NULL;
    ct_prebuild *pb = calloc(1, sizeof *pb);
    posix_spawn_file_actions_t fa;
    int fa_ok = posix_spawn_file_actions_init(&fa) == 0;
    char spec[32];
    snprintf(spec, sizeof spec, "%u:%u", info->platform_index, info->device_index);
    char *argv[] = {helper_exe, helper_mode, spec, NULL};
    /* CLTRAIN_PREBUILD_LOG=FILE: the helper says there what it compiled, and
     * when (for measurements); otherwise nothing of it reaches the terminal. */
    const char *log = getenv("CLTRAIN_PREBUILD_LOG");
    pid_t pid = 0;
    int ok = pb && fa_ok && posix_spawn_file_actions_adddup2(&fa, sv[1], 0) == 0 &&
             posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0) == 0 &&
             posix_spawn_file_actions_addopen(&fa, 2, log && *log ? log : "/dev/null",
                                              O_WRONLY | O_APPEND | O_CREAT, 0644) == 0 &&
             posix_spawn(&pid, helper_exe, &fa, NULL, argv, environ) == 0;
    if (fa_ok)
        posix_spawn_file_actions_destroy(&fa);
    close(sv[1]);
    if (!ok) {
        close(sv[0]);
        free(pb);
        return NULL;
    }
    pb->fd = sv[0];
    pb->pid = pid;
    pb->owner = getpid();
    helper_count++;
    /* The kernels' build options come from the device profile: the helper
     * takes this process's, so that its programs are PoCL's same cache entries. */
    char message[2 * sizeof info->profile + 16];
    int len = snprintf(message, sizeof message, "profile ");
    const unsigned char *bytes = (const unsigned char *)&info->profile;
    for (size_t i = 0; i < sizeof info->profile; i++)
        len += snprintf(message + len, sizeof message - (size_t)len, "%02x", bytes[i]);
    if (send(pb->fd, message, (size_t)len, MSG_NOSIGNAL) != len) {
        close(pb->fd);
        pb->fd = -1;
    }
    return pb;
}

void ct_prebuild_announce(ct_prebuild *pb, const char *program, const char *kernel, cl_uint dims,
                          const size_t *local, int large_grid)
{
    char message[MESSAGE_MAX];
    int n = snprintf(message, sizeof message, "K %s %s %u %zu %zu %zu %d", program, kernel, dims, local[0],
                     dims > 1 ? local[1] : 1, dims > 2 ? local[2] : 1, large_grid ? 1 : 0);
    if (n > 0 && (size_t)n < sizeof message)
        send_message(pb, message);
}

void ct_prebuild_stop(ct_prebuild *pb)
{
    if (!pb)
        return;
    if (pb->fd >= 0)
        close(pb->fd); /* the helper reads the end and exits after its current compile */
    if (pb->owner == getpid()) {
        /* A compile takes up to ~1.5 s; what it would produce is no use to a
         * run that has finished, so wait briefly, then end it. PoCL may
         * leave a temporary file in its cache folder then, never a partial entry. */
        int status;
        pid_t done = 0;
        for (int i = 0; i < 20 && (done = waitpid(pb->pid, &status, WNOHANG)) == 0; i++) {
            struct timespec pause = {0, 5 * 1000 * 1000};
            nanosleep(&pause, NULL);
        }
        if (done == 0) {
            kill(pb->pid, SIGKILL);
            waitpid(pb->pid, &status, 0);
        }
        helper_count--;
    }
    free(pb);
}

/* ------------------------------------------------------------- the helper */

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
 * pointer argument is the zeroed scratch buffer, every integer 1, every
 * float 0 and every struct all zero: all sizes 1 (or counts 0), so kernels
 * stay within a few kilobytes of it, and all offsets 1, within it too.
 * Local arguments share the device's local memory. Results are discarded. */
static ct_status trigger(ct_context *ctx, cl_mem scratch, const helper_item *it)
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
    for (cl_uint i = 0; i < nargs && err == CL_SUCCESS; i++) {
        if (quals[i] == CL_KERNEL_ARG_ADDRESS_LOCAL) {
            err = clSetKernelArg(k, i, local_bytes, NULL);
            continue;
        }
        if (quals[i] == CL_KERNEL_ARG_ADDRESS_GLOBAL || quals[i] == CL_KERNEL_ARG_ADDRESS_CONSTANT) {
            err = clSetKernelArg(k, i, sizeof scratch, &scratch);
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
        global[0] = (POCL_GRID_LIMIT + it->local[0] - 1) / it->local[0] * it->local[0];
    err = clEnqueueNDRangeKernel(ct_context_queue(ctx), k, it->dims, NULL, global, it->local, 0, NULL, NULL);
    if (err != CL_SUCCESS)
        return ct_cl_fail(err, "clEnqueueNDRangeKernel");
    err = clFinish(ct_context_queue(ctx));
    return err == CL_SUCCESS ? CT_OK : ct_cl_fail(err, "clFinish");
}

static int parse_item(const char *text, helper_item *it)
{
    memset(it, 0, sizeof *it);
    unsigned dims = 0;
    int used = 0;
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
        char text[MESSAGE_MAX + 1];
        ssize_t n = read(STDIN_FILENO, text, MESSAGE_MAX);
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
    in_helper = 1;
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
    cl_int err;
    cl_mem scratch = clCreateBuffer(ct_context_cl(ctx), CL_MEM_READ_WRITE, SCRATCH_BYTES, NULL, &err);
    float zero = 0.0f;
    if (err == CL_SUCCESS)
        err = clEnqueueFillBuffer(ct_context_queue(ctx), scratch, &zero, sizeof zero, 0, SCRATCH_BYTES, 0, NULL,
                                  NULL);
    if (err != CL_SUCCESS) {
        ct_context_destroy(ctx);
        return 1;
    }
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
        ct_status s = trigger(ctx, scratch, &queue[next]);
        fprintf(stderr, "prebuild %s %s %zux%zux%zu%s: %s, %.3f s\n", queue[next].program, queue[next].kernel,
                queue[next].local[0], queue[next].local[1], queue[next].local[2], queue[next].large ? " large" : "",
                s == CT_OK ? "done" : ct_last_error(), ct_now_seconds() - start);
        ct_clear_error(); /* a failure: the run compiles this one itself */
    }
    free(queue);
    clReleaseMemObject(scratch);
    ct_context_destroy(ctx);
    return 0;
}
