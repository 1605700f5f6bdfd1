/* The compile-ahead helper (src/core/prebuild.c): it compiles exactly the
 * work-group functions a launch needs into PoCL's cache, the run then finds
 * them there and computes the same values, and nothing that goes wrong in
 * the helper reaches the run. This program is also the helper: run with
 * --prebuild-helper it becomes one (as `cltrain` does). Each test sets its
 * own empty PoCL cache before its process touches OpenCL (Check forks a
 * process per test). */
#define _GNU_SOURCE /* sched_setaffinity */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/context.h"
#include "core/launch.h"
#include "core/prebuild.h"
#include "test_devices.h"
#include "test_tmp.h"

#define HELPER_MODE "--prebuild-helper"

static char tmp[4096], helper_log[4200], pocl_cache[4200];

/* A fresh PoCL and cltrain cache and a helper log for this test's process. */
static void fresh_caches(const char *what)
{
    test_tmp_make(tmp, sizeof tmp, "prebuild", what);
    snprintf(pocl_cache, sizeof pocl_cache, "%s/pocl", tmp);
    snprintf(helper_log, sizeof helper_log, "%s/helper.log", tmp);
    setenv("POCL_CACHE_DIR", pocl_cache, 1);
    setenv("XDG_CACHE_HOME", tmp, 1);
    unsetenv("CLTRAIN_CACHE_DIR");
    unsetenv("CLTRAIN_NO_CACHE");
    unsetenv("CLTRAIN_BINARY_CACHE");
    unsetenv("POCL_KERNEL_CACHE");
    setenv("CLTRAIN_PREBUILD_LOG", helper_log, 1);
    setenv("CLTRAIN_PREBUILD", "1", 1); /* also on a one-CPU test machine */
}

/* The first PoCL CPU device; 0 when there is none (the helper is for PoCL). */
static int pocl_cpu(ct_device_info *out)
{
    ct_device_info *all;
    size_t count = test_devices(&all);
    int found = 0;
    for (size_t i = 0; i < count && !found; i++)
        if (all[i].type == CT_DEVICE_CPU && strstr(all[i].platform_name, "Portable Computing Language")) {
            *out = all[i];
            found = 1;
        }
    free(all);
    if (!found)
        printf("prebuild: no PoCL CPU device here, nothing to test\n");
    return found;
}

static int count_lines_with(const char *path, const char *text)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    char line[4096];
    int n = 0;
    while (fgets(line, sizeof line, f))
        n += strstr(line, text) != NULL;
    fclose(f);
    return n;
}

/* Waits (up to 5 minutes: a cold compile on a busy machine) until the
 * helper's log has `want` lines containing `text`. */
static int wait_for_log(const char *text, int want)
{
    for (int i = 0; i < 3000; i++) {
        if (count_lines_with(helper_log, text) >= want)
            return 1;
        struct timespec pause = {0, 100 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
    return 0;
}

/* Every compiled work-group function under dir: "kernel/specialisation"
 * lines appended to list, their count returned. */
static int list_kernels(const char *dir, char *list, size_t size)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char path[8192];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(path, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            n += list_kernels(path, list, size);
        } else {
            size_t len = strlen(e->d_name);
            if (len > 3 && !strcmp(e->d_name + len - 3, ".so") && strncmp(e->d_name, "tempfile", 8)) {
                /* .../KERNEL/SPECIALISATION/KERNEL.so */
                const char *spec = strrchr(dir, '/');
                char line[512];
                snprintf(line, sizeof line, "%.*s%s\n", (int)(len - 3), e->d_name, spec ? spec : "");
                strncat(list, line, size - strlen(list) - 1);
                n++;
            }
        }
    }
    closedir(d);
    return n;
}

/* y = alpha x with the `scale` kernel of the elementwise program, over n
 * items in groups of 64, as ct_launch_1d enqueues it. */
static void run_scale(ct_context *ctx, size_t n, float alpha, float *out)
{
    cl_int err;
    float *host = malloc(n * sizeof *host);
    for (size_t i = 0; i < n; i++)
        host[i] = (float)(i % 1000) - 500.0f;
    cl_mem x = clCreateBuffer(ct_context_cl(ctx), CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, n * sizeof *host, host,
                              &err);
    ck_assert_int_eq(err, CL_SUCCESS);
    cl_mem y = clCreateBuffer(ct_context_cl(ctx), CL_MEM_READ_WRITE, n * sizeof *host, NULL, &err);
    ck_assert_int_eq(err, CL_SUCCESS);
    cl_kernel k;
    ck_assert_msg(ct_context_kernel(ctx, "elementwise", "scale", &k) == CT_OK, "%s", ct_last_error());
    cl_ulong count = n, zero = 0;
    err = CT_ARG(k, 0, count);
    err |= CT_ARG(k, 1, alpha);
    err |= clSetKernelArg(k, 2, sizeof x, &x);
    err |= CT_ARG(k, 3, zero);
    err |= clSetKernelArg(k, 4, sizeof y, &y);
    err |= CT_ARG(k, 5, zero);
    ck_assert_int_eq(err, CL_SUCCESS);
    ck_assert_msg(ct_launch_1d(ctx, k, n, "scale") == CT_OK, "%s", ct_last_error());
    ck_assert_int_eq(clEnqueueReadBuffer(ct_context_queue(ctx), y, CL_TRUE, 0, n * sizeof *out, out, 0, NULL, NULL),
                     CL_SUCCESS);
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(out[i] == alpha * host[i], "y[%zu] = %g, want %g", i, out[i], alpha * host[i]);
    clReleaseMemObject(x);
    clReleaseMemObject(y);
    free(host);
}

/* The helper compiles the two forms a launch of 64-item groups needs (small
 * grid, and PoCL's large-grid form from 65535 items on); the run then
 * launches both and PoCL compiles nothing more: the helper's entries are
 * the ones the run looks up. The values are right, and equal to a run
 * without the helper. */
START_TEST(test_helper_compiles_what_the_launch_needs)
{
    fresh_caches("needs");
    ct_device_info info;
    if (!pocl_cpu(&info))
        return;
    ct_context *ctx;
    ck_assert_msg(ct_context_create(&info, &ctx) == CT_OK, "%s", ct_last_error());
    ck_assert_msg(ctx->prebuild != NULL, "no helper started");
    const size_t local[3] = {64, 1, 1};
    const size_t small[1] = {1024}, large[1] = {70016};
    ck_assert_int_eq(ct_prebuild_grid_is_large(1, small, local), 0);
    ck_assert_int_eq(ct_prebuild_grid_is_large(1, large, local), 1);
    /* In this order the run needs both forms (the other way round, PoCL
     * would run the small grid with the large form). */
    ct_prebuild_announce(ctx->prebuild, "elementwise", "scale", 1, local, 0);
    ct_prebuild_announce(ctx->prebuild, "elementwise", "scale", 1, local, 1);
    ck_assert_msg(wait_for_log("prebuild elementwise scale 64x1x1 large: done", 1), "see %s", helper_log);
    ck_assert_msg(wait_for_log("prebuild elementwise scale 64x1x1: done", 1), "see %s", helper_log);

    static char before[65536], after[65536];
    before[0] = after[0] = '\0';
    ck_assert_int_eq(list_kernels(pocl_cache, before, sizeof before), 2);
    ck_assert_msg(strstr(before, "scale/64-1-1-goffs0-smallgrid\n") && strstr(before, "scale/64-1-1-goffs0\n"),
                  "the helper compiled:\n%s", before);

    float *with = malloc(70016 * sizeof *with), *without = malloc(70016 * sizeof *without);
    run_scale(ctx, 1024, 0.5f, with);
    run_scale(ctx, 70016, -3.0f, with);
    ck_assert_int_eq(list_kernels(pocl_cache, after, sizeof after), 2);
    ck_assert_str_eq(after, before);
    ct_context_destroy(ctx);

    /* The same launch with no helper. */
    setenv("CLTRAIN_PREBUILD", "0", 1);
    ck_assert_msg(ct_context_create(&info, &ctx) == CT_OK, "%s", ct_last_error());
    ck_assert_ptr_null(ctx->prebuild);
    run_scale(ctx, 70016, -3.0f, without);
    ck_assert_int_eq(memcmp(with, without, 70016 * sizeof *with), 0);
    ct_context_destroy(ctx);
    free(with);
    free(without);
}
END_TEST

/* Program files ("program.bc", PoCL's front-end output) under dir; the
 * inode of the last one found in *inode (a rebuild replaces the file). */
static int count_programs(const char *dir, ino_t *inode)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char path[8192];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(path, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            n += count_programs(path, inode);
        } else if (!strcmp(e->d_name, "program.bc")) {
            *inode = st.st_ino;
            n++;
        }
    }
    closedir(d);
    return n;
}

/* A program announced ahead: the helper builds its front end into PoCL's
 * cache, and the run's own build of it then finds it there. */
START_TEST(test_helper_builds_announced_programs)
{
    fresh_caches("programs");
    ct_device_info info;
    if (!pocl_cpu(&info))
        return;
    ct_context *ctx;
    ck_assert_msg(ct_context_create(&info, &ctx) == CT_OK, "%s", ct_last_error());
    ck_assert_ptr_nonnull(ctx->prebuild);
    ct_prebuild_announce_program(ctx->prebuild, "pool");
    ct_prebuild_announce_program(ctx->prebuild, "no_such_program");
    ck_assert_msg(wait_for_log("prebuild program pool: done", 1), "see %s", helper_log);
    ck_assert_msg(wait_for_log("prebuild program no_such_program: ", 1), "see %s", helper_log);
    ck_assert_int_eq(count_lines_with(helper_log, "prebuild program no_such_program: done"), 0);
    ino_t by_helper = 0, after = 0;
    ck_assert_int_eq(count_programs(pocl_cache, &by_helper), 1);
    cl_program program;
    ck_assert_msg(ct_context_program(ctx, "pool", &program) == CT_OK, "%s", ct_last_error());
    ck_assert_int_eq(count_programs(pocl_cache, &after), 1);
    ck_assert_msg(after == by_helper, "the run built the program again");
    ct_context_destroy(ctx);
}
END_TEST

/* ct_launch announces each kernel and group shape once, and the helper
 * takes it. */
START_TEST(test_launches_are_announced_once)
{
    fresh_caches("announce");
    ct_device_info info;
    if (!pocl_cpu(&info))
        return;
    ct_context *ctx;
    ck_assert_msg(ct_context_create(&info, &ctx) == CT_OK, "%s", ct_last_error());
    ck_assert_ptr_nonnull(ctx->prebuild);
    float out[256];
    for (int i = 0; i < 3; i++)
        run_scale(ctx, 256, 2.0f, out);
    ck_assert(wait_for_log("prebuild elementwise scale 64x1x1", 1));
    struct timespec pause = {0, 300 * 1000 * 1000};
    nanosleep(&pause, NULL);
    ck_assert_int_eq(count_lines_with(helper_log, "prebuild elementwise scale"), 1);
    ct_context_destroy(ctx);
}
END_TEST

/* Announcements the helper cannot carry out, and a helper that dies: the
 * run goes on computing right values, and its end reaps the helper. */
START_TEST(test_helper_failures_are_harmless)
{
    fresh_caches("failures");
    ct_device_info info;
    if (!pocl_cpu(&info))
        return;
    ct_context *ctx;
    ck_assert_msg(ct_context_create(&info, &ctx) == CT_OK, "%s", ct_last_error());
    ck_assert_ptr_nonnull(ctx->prebuild);
    const size_t local[3] = {64, 1, 1}, too_big[3] = {1u << 20, 1, 1};
    ct_prebuild_announce(ctx->prebuild, "no_such_program", "scale", 1, local, 0);
    ct_prebuild_announce(ctx->prebuild, "elementwise", "no_such_kernel", 1, local, 0);
    ct_prebuild_announce(ctx->prebuild, "elementwise", "scale", 1, too_big, 0);
    ck_assert_msg(wait_for_log("prebuild ", 3), "the helper did not answer three announcements");
    ck_assert_int_eq(count_lines_with(helper_log, ": done,"), 0);

    float out[256];
    run_scale(ctx, 256, 1.5f, out);
    pid_t pid = (pid_t)ct_prebuild_pid(ctx->prebuild);
    ck_assert_int_gt(pid, 0);
    ck_assert_int_eq(kill(pid, SIGKILL), 0);
    struct timespec pause = {0, 200 * 1000 * 1000};
    nanosleep(&pause, NULL);
    for (int i = 0; i < 50; i++) /* into a closed socket: no SIGPIPE, no error */
        ct_prebuild_announce(ctx->prebuild, "elementwise", "add", 1, local, i % 2);
    float again[256];
    run_scale(ctx, 256, 1.5f, again);
    ck_assert_int_eq(memcmp(out, again, sizeof out), 0);
    ct_context_destroy(ctx);
    errno = 0;
    ck_assert_int_eq(waitpid(pid, NULL, WNOHANG), -1); /* reaped already */
    ck_assert_int_eq(errno, ECHILD);
}
END_TEST

/* No helper where it cannot help: one CPU, turned off, PoCL's kernel cache
 * off, or a program that cannot run one. */
START_TEST(test_off_where_it_cannot_help)
{
    fresh_caches("off");
    ct_device_info info;
    if (!pocl_cpu(&info))
        return;
    ct_context *ctx;
    unsetenv("CLTRAIN_PREBUILD");
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(sched_getcpu() >= 0 ? sched_getcpu() : 0, &one);
    ck_assert_int_eq(sched_setaffinity(0, sizeof one, &one), 0);
    ck_assert_msg(ct_context_create(&info, &ctx) == CT_OK, "%s", ct_last_error());
    ck_assert_ptr_null(ctx->prebuild);
    ct_context_destroy(ctx);

    setenv("CLTRAIN_PREBUILD", "0", 1);
    ck_assert(ct_context_create(&info, &ctx) == CT_OK);
    ck_assert_ptr_null(ctx->prebuild);
    ct_context_destroy(ctx);

    setenv("CLTRAIN_PREBUILD", "1", 1);
    setenv("POCL_KERNEL_CACHE", "0", 1);
    ck_assert(ct_context_create(&info, &ctx) == CT_OK);
    ck_assert_ptr_null(ctx->prebuild);
    ct_context_destroy(ctx);
    unsetenv("POCL_KERNEL_CACHE");

    ct_prebuild_set_helper(NULL, NULL);
    ck_assert(ct_context_create(&info, &ctx) == CT_OK);
    ck_assert_ptr_null(ctx->prebuild);
    ct_context_destroy(ctx);

    /* One helper per process: a second context gets none. */
    ct_prebuild_set_helper("/proc/self/exe", HELPER_MODE);
    ct_context *second;
    ck_assert(ct_context_create(&info, &ctx) == CT_OK);
    ck_assert_ptr_nonnull(ctx->prebuild);
    ck_assert(ct_context_create(&info, &second) == CT_OK);
    ck_assert_ptr_null(second->prebuild);
    ct_context_destroy(second);
    ct_context_destroy(ctx);
}
END_TEST

/* A run that ends while the helper compiles a large kernel does not wait
 * for that compile. */
START_TEST(test_stop_does_not_wait_for_a_compile)
{
    fresh_caches("stop");
    ct_device_info info;
    if (!pocl_cpu(&info))
        return;
    ct_context *ctx;
    ck_assert_msg(ct_context_create(&info, &ctx) == CT_OK, "%s", ct_last_error());
    ck_assert_ptr_nonnull(ctx->prebuild);
    pid_t pid = (pid_t)ct_prebuild_pid(ctx->prebuild);
    const size_t one[3] = {1, 1, 1};
    ct_prebuild_announce(ctx->prebuild, "gemm_tile", "gemm_tile", 1, one, 0);
    struct timespec pause = {0, 500 * 1000 * 1000};
    nanosleep(&pause, NULL);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ct_context_destroy(ctx);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
    ck_assert_msg(seconds < 5.0, "stopping took %.2f s", seconds);
    errno = 0;
    ck_assert_int_eq(waitpid(pid, NULL, WNOHANG), -1);
    ck_assert_int_eq(errno, ECHILD);
}
END_TEST

static double seconds_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) * 1e-9;
}

/* A held queue: launches wait for the release, and a blocking read
 * releases it (no deadlock); a wait that does not release it ends with the
 * watchdog; without a helper holding is a no-op. */
START_TEST(test_held_queue_is_released)
{
    fresh_caches("hold");
    ct_device_info info;
    if (!pocl_cpu(&info))
        return;
    ct_context *ctx;
    ck_assert_msg(ct_context_create(&info, &ctx) == CT_OK, "%s", ct_last_error());
    ck_assert_ptr_nonnull(ctx->prebuild);
    float out[256];
    run_scale(ctx, 256, 2.0f, out); /* compiled, so that the next launch is quick */

    /* Launched while held: not run before the release. */
    cl_int err;
    cl_mem buf = clCreateBuffer(ct_context_cl(ctx), CL_MEM_READ_WRITE, sizeof(float), NULL, &err);
    ck_assert_int_eq(err, CL_SUCCESS);
    ct_context_hold_queue(ctx, 60.0);
    ck_assert_ptr_nonnull(ctx->hold.gate);
    float one = 1.0f;
    cl_event filled;
    ck_assert_int_eq(clEnqueueFillBuffer(ct_context_queue(ctx), buf, &one, sizeof one, 0, sizeof one, 0, NULL, &filled),
                     CL_SUCCESS);
    clFlush(ct_context_queue(ctx));
    struct timespec pause = {0, 200 * 1000 * 1000};
    nanosleep(&pause, NULL);
    cl_int state;
    ck_assert_int_eq(clGetEventInfo(filled, CL_EVENT_COMMAND_EXECUTION_STATUS, sizeof state, &state, NULL), CL_SUCCESS);
    ck_assert_int_gt(state, CL_COMPLETE); /* queued or submitted, not run */
    /* A blocking read through tensor.c releases it at once. */
    ct_tensor t;
    size_t shape[1] = {1};
    ck_assert(ct_tensor_create(ctx, 1, shape, &t) == CT_OK);
    float back = 0.0f;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ck_assert(ct_tensor_read(ctx, &t, &back) == CT_OK);
    ck_assert_msg(seconds_since(&t0) < 30.0, "the read waited for the watchdog");
    ck_assert_ptr_null(ctx->hold.gate);
    ck_assert_int_eq(clWaitForEvents(1, &filled), CL_SUCCESS);
    clReleaseEvent(filled);

    /* clFinish of the raw queue does not release it: the watchdog does. */
    ct_context_hold_queue(ctx, 0.5);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ck_assert_int_eq(clFinish(ct_context_queue(ctx)), CL_SUCCESS);
    double waited = seconds_since(&t0);
    ck_assert_msg(waited > 0.3 && waited < 30.0, "waited %.2f s", waited);
    ct_context_release_queue(ctx);
    ck_assert_ptr_null(ctx->hold.gate);
    ct_tensor_release(&t);
    clReleaseMemObject(buf);
    ct_context_destroy(ctx);

    setenv("CLTRAIN_PREBUILD", "0", 1);
    ck_assert(ct_context_create(&info, &ctx) == CT_OK);
    ct_context_hold_queue(ctx, 60.0);
    ck_assert_ptr_null(ctx->hold.gate);
    run_scale(ctx, 256, 2.0f, out);
    ct_context_destroy(ctx);
}
END_TEST

/* The whole file as a malloc'd string (NULL when unreadable); *size its length. */
static char *slurp(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *text = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (text && fread(text, 1, (size_t)n, f) != (size_t)n) {
        free(text);
        text = NULL;
    }
    fclose(f);
    if (text) {
        text[n] = '\0';
        *size = (size_t)n;
    }
    return text;
}

/* history.csv without its last column (the epoch's seconds). */
static void drop_seconds(char *csv)
{
    char *out = csv;
    for (char *line = csv; *line;) {
        char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        char *comma = NULL;
        for (size_t i = 0; i < len; i++)
            if (line[i] == ',')
                comma = line + i;
        size_t keep = comma ? (size_t)(comma - line) : len;
        memmove(out, line, keep);
        out += keep;
        *out++ = '\n';
        line += len + (end ? 1 : 0);
    }
    *out = '\0';
}

/* `cltrain run` from empty caches with the helper (CLTRAIN_PREBUILD) on
 * and off: the same history, weights and predictions, bit for bit. */
START_TEST(test_cli_run_same_with_and_without_helper)
{
    const char *data = getenv("CLTRAIN_DATA_DIR");
    char csv[4096];
    snprintf(csv, sizeof csv, "%s/weather/weather_prediction_dataset.csv", data ? data : "");
    if (!data || access(csv, R_OK) != 0) {
        printf("prebuild: no weather data in CLTRAIN_DATA_DIR, the run comparison is skipped\n");
        return;
    }
    static const char *const files[] = {"history.csv", "weights.bin", "predictions.csv"};
    char *got[2][3];
    size_t sizes[2][3];
    for (int on = 0; on < 2; on++) {
        fresh_caches(on ? "cli-on" : "cli-off");
        setenv("CLTRAIN_PREBUILD", on ? "1" : "0", 1);
        char out[4400], command[16384];
        snprintf(out, sizeof out, "%s/run", tmp);
        snprintf(command, sizeof command,
                 "'%s' run '%s/experiments/sunshine.yaml' --data-dir '%s' --set train.epochs=3 "
                 "--set output.plots=false --silent --out '%s'",
                 CLTRAIN_BINARY, CLTRAIN_SOURCE_DIR, data, out);
        ck_assert_msg(system(command) == 0, "failed: %s", command);
        for (int f = 0; f < 3; f++) {
            char path[4600];
            snprintf(path, sizeof path, "%s/%s", out, files[f]);
            got[on][f] = slurp(path, &sizes[on][f]);
            ck_assert_msg(got[on][f] != NULL, "no %s", path);
        }
        drop_seconds(got[on][0]);
        sizes[on][0] = strlen(got[on][0]);
        if (on)
            printf("prebuild: the helper answered %d announcements in the run\n", count_lines_with(helper_log, "prebuild "));
    }
    for (int f = 0; f < 3; f++) {
        ck_assert_msg(sizes[0][f] == sizes[1][f] && !memcmp(got[0][f], got[1][f], sizes[0][f]),
                      "%s differs with the helper", files[f]);
        free(got[0][f]);
        free(got[1][f]);
    }
}
END_TEST

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], HELPER_MODE))
        return ct_prebuild_helper_main(argc, argv);
    ct_prebuild_set_helper("/proc/self/exe", HELPER_MODE);
    Suite *s = suite_create("prebuild");
    TCase *tc = tcase_create("helper");
    tcase_set_timeout(tc, 900);
    tcase_add_test(tc, test_helper_compiles_what_the_launch_needs);
    tcase_add_test(tc, test_launches_are_announced_once);
    tcase_add_test(tc, test_helper_builds_announced_programs);
    tcase_add_test(tc, test_helper_failures_are_harmless);
    tcase_add_test(tc, test_off_where_it_cannot_help);
    tcase_add_test(tc, test_stop_does_not_wait_for_a_compile);
    tcase_add_test(tc, test_held_queue_is_released);
    tcase_add_test(tc, test_cli_run_same_with_and_without_helper);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
