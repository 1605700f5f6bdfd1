/* The compile-ahead helper process (prebuild.h), the run's side: starting
 * and stopping it, and the announcements. The helper's side is
 * prebuild_helper.c. */
#define _GNU_SOURCE /* SOCK_CLOEXEC, MSG_NOSIGNAL */
#include "core/prebuild.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/program.h"

extern char **environ;

struct ct_prebuild {
    int fd; /* our end of the socket; -1 once the helper is gone */
    pid_t pid;
    pid_t owner; /* the process that started it (only it may reap) */
};

static char helper_exe[4096], helper_mode[64];
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
    return widest >= CT_PREBUILD_POCL_GRID_LIMIT;
}

/* Where a helper can help (prebuild.h), when asked for: CLTRAIN_PREBUILD=1.
 * It is off by default: on two idle Zen 3 cores it saved 0.6 s of a 7.4 s
 * cold CIFAR run, nothing on sunshine or selftest, for 35-50 % more CPU
 * (tools/performance.md, "Compiling ahead on the second core").  It does not
 * check the CPU count: on one core it only competes with the run. */
static int helper_pays(const ct_device_info *info)
{
    const char *env = getenv("CLTRAIN_PREBUILD");
    int forced = env && !strcmp(env, "1");
    if (!forced || helper_count > 0 || !helper_exe[0] || !helper_mode[0])
        return 0;
    if (info->type != CT_DEVICE_CPU || !strstr(info->platform_name, "Portable Computing Language"))
        return 0;
    const char *pocl_cache = getenv("POCL_KERNEL_CACHE");
    if (pocl_cache && !strcmp(pocl_cache, "0"))
        return 0;
    if (ct_program_binary_cache_pays(info)) /* programs from binaries: other cache entries */
        return 0;
    return 1;
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
    char message[CT_PREBUILD_MESSAGE_MAX];
    int n = snprintf(message, sizeof message, "K %s %s %u %zu %zu %zu %d", program, kernel, dims, local[0],
                     dims > 1 ? local[1] : 1, dims > 2 ? local[2] : 1, large_grid ? 1 : 0);
    if (n > 0 && (size_t)n < sizeof message)
        send_message(pb, message);
}

void ct_prebuild_announce_program(ct_prebuild *pb, const char *program)
{
    char message[CT_PREBUILD_MESSAGE_MAX];
    int n = snprintf(message, sizeof message, "P %s", program);
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
         * run that has finished, so wait 50 ms at most, then end it. PoCL may
         * leave a temporary file in its cache folder then, never a partial entry. */
        int status;
        pid_t done = 0;
        for (int i = 0; i < 10 && (done = waitpid(pb->pid, &status, WNOHANG)) == 0; i++) {
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

