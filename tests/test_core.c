/* Unit tests of the foundation: status table, device selection, program
 * table and cache, compiler output, the launcher. */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cltrain/device.h"
#include "cltrain/ops.h"
#include "core/context.h"
#include "core/fs.h"
#include "core/launch.h"
#include "core/program.h"
#include "test_devices.h"

/* ------------------------------------------------------------ status table */
START_TEST(test_status_names)
{
    ck_assert_str_eq(ct_status_name(CT_OK), "ok");
    ck_assert_str_eq(ct_status_name(CT_ERR_NO_DEVICE), "no_device");
    ck_assert_str_eq(ct_status_message(CT_ERR_BUILD), "OpenCL program failed to build");
    ck_assert_str_eq(ct_status_name((ct_status)9999), "unknown");
    ck_assert_str_eq(ct_status_name((ct_status)-1), "unknown");
    /* Every status has a distinct, non-empty name. */
    for (int a = 0; a < CT_STATUS_COUNT; a++) {
        ck_assert_uint_gt(strlen(ct_status_name((ct_status)a)), 0);
        for (int b = a + 1; b < CT_STATUS_COUNT; b++)
            ck_assert_str_ne(ct_status_name((ct_status)a), ct_status_name((ct_status)b));
    }
}
END_TEST

START_TEST(test_status_detail)
{
    ct_status s = ct_fail(CT_ERR_IO, "cannot open %s", "x.csv");
    ck_assert_int_eq(s, CT_ERR_IO);
    ck_assert_str_eq(ct_last_error(), "cannot open x.csv");
    ct_fail_context(s, "loading data");
    ck_assert_str_eq(ct_last_error(), "loading data: cannot open x.csv");
    ct_clear_error();
    ck_assert_str_eq(ct_last_error(), "");
}
END_TEST

/* ------------------------------------------------------------ device selection */
static ct_device_info fake(unsigned p, unsigned d, const char *name, ct_device_type type, unsigned cu)
{
    ct_device_info info;
    memset(&info, 0, sizeof info);
    info.platform_index = p;
    info.device_index = d;
    snprintf(info.name, sizeof info.name, "%s", name);
    info.type = type;
    info.compute_units = cu;
    return info;
}

START_TEST(test_select_specs)
{
    ct_device_info devs[] = {
        fake(0, 0, "pthread-skylake-avx512", CT_DEVICE_CPU, 2),
        fake(1, 0, "Small iGPU", CT_DEVICE_GPU, 24),
        fake(1, 1, "NVIDIA H100 80GB HBM3", CT_DEVICE_GPU, 132),
        fake(2, 0, "FPGA thing", CT_DEVICE_ACCELERATOR, 4),
    };
    size_t n = sizeof devs / sizeof devs[0], idx = 99;
    ck_assert_int_eq(ct_device_select(devs, n, NULL, &idx), CT_OK);
    ck_assert_uint_eq(idx, 2); /* GPU with most compute units */
    ck_assert_int_eq(ct_device_select(devs, n, "", &idx), CT_OK);
    ck_assert_uint_eq(idx, 2);
    ck_assert_int_eq(ct_device_select(devs, n, "cpu", &idx), CT_OK);
    ck_assert_uint_eq(idx, 0);
    ck_assert_int_eq(ct_device_select(devs, n, "GPU", &idx), CT_OK);
    ck_assert_uint_eq(idx, 2);
    ck_assert_int_eq(ct_device_select(devs, n, "accelerator", &idx), CT_OK);
    ck_assert_uint_eq(idx, 3);
    ck_assert_int_eq(ct_device_select(devs, n, "1:0", &idx), CT_OK);
    ck_assert_uint_eq(idx, 1);
    ck_assert_int_eq(ct_device_select(devs, n, "h100", &idx), CT_OK);
    ck_assert_uint_eq(idx, 2);
    ck_assert_int_eq(ct_device_select(devs, n, "SKYLAKE", &idx), CT_OK);
    ck_assert_uint_eq(idx, 0);

    ck_assert_int_eq(ct_device_select(devs, n, "3:0", &idx), CT_ERR_NO_DEVICE);
    ck_assert_ptr_nonnull(strstr(ct_last_error(), "'3:0' does not exist"));
    ck_assert_ptr_nonnull(strstr(ct_last_error(), "1:1 NVIDIA H100"));
    ck_assert_int_eq(ct_device_select(devs, n, "radeon", &idx), CT_ERR_NO_DEVICE);
    ck_assert_ptr_nonnull(strstr(ct_last_error(), "no device matches 'radeon'"));
    ck_assert_int_eq(ct_device_select(devs, 0, NULL, &idx), CT_ERR_NO_DEVICE);
}
END_TEST

START_TEST(test_select_default_without_gpu)
{
    ct_device_info devs[] = {fake(0, 0, "FPGA", CT_DEVICE_ACCELERATOR, 4), fake(1, 0, "cpu-a", CT_DEVICE_CPU, 2),
                             fake(1, 1, "cpu-b", CT_DEVICE_CPU, 8)};
    size_t idx = 99;
    ck_assert_int_eq(ct_device_select(devs, 3, NULL, &idx), CT_OK);
    ck_assert_uint_eq(idx, 2);
    ck_assert_int_eq(ct_device_select(devs, 1, "gpu", &idx), CT_ERR_NO_DEVICE);
    ck_assert_ptr_nonnull(strstr(ct_last_error(), "no gpu device; found: 0:0 FPGA (accelerator)"));
    /* "P:D"-looking but malformed specs are name substrings, not indices. */
    ck_assert_int_eq(ct_device_select(devs, 3, "1:", &idx), CT_ERR_NO_DEVICE);
}
END_TEST

START_TEST(test_spec_from_env)
{
    setenv("CLTRAIN_DEVICE", "gpu", 1);
    ck_assert_str_eq(ct_device_spec_from_env(NULL), "gpu");
    ck_assert_str_eq(ct_device_spec_from_env("cpu"), "cpu");
    unsetenv("CLTRAIN_DEVICE");
    ck_assert_ptr_null(ct_device_spec_from_env(NULL));
    ck_assert_ptr_null(ct_device_spec_from_env(""));
}
END_TEST

START_TEST(test_list_real_devices)
{
    ct_device_info *devs;
    size_t n = test_devices(&devs);
    ck_assert_uint_gt(n, 0);
    for (size_t i = 0; i < n; i++) {
        ck_assert_uint_gt(strlen(devs[i].name), 0);
        ck_assert_uint_gt(devs[i].compute_units, 0);
        ck_assert_uint_gt(devs[i].max_work_group_size, 0);
        ck_assert(devs[i].max_alloc_bytes > 0 && devs[i].max_alloc_bytes <= devs[i].global_mem_bytes);
    }
    free(devs);
    /* OpenCL is in use now: asking PoCL for fewer threads is too late and sets nothing. */
    const char *before = getenv("POCL_MAX_PTHREAD_COUNT");
    ck_assert_int_eq(ct_device_limit_cpu_threads(1), 0);
    ck_assert(getenv("POCL_MAX_PTHREAD_COUNT") == before);
}
END_TEST

/* ------------------------------------------------------------ program cache */
static char cache_root[512];

static void use_fresh_cache(void)
{
    const char *base = getenv("CLTRAIN_TEST_TMPDIR");
    char dir[400];
    snprintf(dir, sizeof dir, "%s", base && *base ? base : "/tmp");
    mkdir(dir, 0755);
    snprintf(cache_root, sizeof cache_root, "%s/cache-test-%ld", dir, (long)getpid());
    mkdir(cache_root, 0755);
    setenv("XDG_CACHE_HOME", cache_root, 1);
    unsetenv("CLTRAIN_CACHE_DIR");
    unsetenv("CLTRAIN_NO_CACHE");
    unsetenv("CLTRAIN_KERNEL_DIR");
    /* the binaries even where they do not pay (PoCL), so the cache is tested */
    setenv("CLTRAIN_BINARY_CACHE", "1", 1);
}

/* Path of the single cache entry for the "elementwise" program. */
static int find_entry(char *path, size_t size)
{
    char dir[700];
    snprintf(dir, sizeof dir, "%s/cltrain/kernels", cache_root);
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    int found = 0;
    for (struct dirent *e; (e = readdir(d));)
        if (!strncmp(e->d_name, "elementwise-", 12) && strstr(e->d_name, ".bin") && !strstr(e->d_name, ".tmp")) {
            snprintf(path, size, "%s/%s", dir, e->d_name);
            found++;
        }
    closedir(d);
    return found;
}

/* Builds the elementwise program in a fresh context and checks relu works. */
static ct_program_stats build_and_run(const ct_device_info *dev)
{
    ct_context *ctx;
    ck_assert_msg(ct_context_create(dev, &ctx) == CT_OK, "%s", ct_last_error());
    ct_tensor x, y;
    size_t shape[1] = {3};
    float in[3] = {-1.0f, 0.5f, 2.0f}, out[3];
    ck_assert_msg(ct_tensor_create(ctx, 1, shape, &x) == CT_OK, "%s", ct_last_error());
    ck_assert_int_eq(ct_tensor_create(ctx, 1, shape, &y), CT_OK);
    ck_assert_int_eq(ct_tensor_write(ctx, &x, in), CT_OK);
    ck_assert_msg(ct_relu_forward(ctx, &x, &y) == CT_OK, "%s", ct_last_error());
    ck_assert_int_eq(ct_tensor_read(ctx, &y, out), CT_OK);
    ck_assert(out[0] == 0.0f && out[1] == 0.5f && out[2] == 2.0f);
    ct_program_stats stats = *ct_context_program_stats(ctx);
    ct_tensor_release(&x);
    ct_tensor_release(&y);
    ct_context_destroy(ctx);
    return stats;
}

START_TEST(test_cache_roundtrip_and_corruption)
{
    use_fresh_cache();
    ct_device_info *devs;
    size_t n = test_devices(&devs);
    for (size_t d = 0; d < n; d++) {
        char path[1024];
        /* Cold: compiled and stored. */
        ct_program_stats s = build_and_run(&devs[d]);
        ck_assert_uint_eq(s.compiled, 1);
        ck_assert_uint_eq(s.from_cache, 0);
        ck_assert_int_eq(find_entry(path, sizeof path), 1);
        /* Warm: loaded from the cache. */
        s = build_and_run(&devs[d]);
        ck_assert_uint_eq(s.compiled, 0);
        ck_assert_uint_eq(s.from_cache, 1);
        /* Truncated entry: detected, rebuilt, rewritten. */
        struct stat st;
        ck_assert_int_eq(stat(path, &st), 0);
        ck_assert_int_eq(truncate(path, st.st_size / 2), 0);
        s = build_and_run(&devs[d]);
        ck_assert_uint_eq(s.cache_broken, 1);
        ck_assert_uint_eq(s.compiled, 1);
        ck_assert_int_eq(stat(path, &st), 0);
        off_t good_size = st.st_size;
        /* A flipped byte in the binary: detected by its hash. */
        FILE *f = fopen(path, "r+b");
        ck_assert_ptr_nonnull(f);
        fseek(f, -10, SEEK_END);
        int c = fgetc(f);
        fseek(f, -10, SEEK_END);
        fputc(c ^ 0x5a, f);
        fclose(f);
        s = build_and_run(&devs[d]);
        ck_assert_uint_eq(s.cache_broken, 1);
        ck_assert_uint_eq(s.compiled, 1);
        /* Garbage of the right size. */
        f = fopen(path, "wb");
        for (off_t i = 0; i < good_size; i++)
            fputc((int)(i * 7), f);
        fclose(f);
        s = build_and_run(&devs[d]);
        ck_assert_uint_eq(s.cache_broken, 1);
        s = build_and_run(&devs[d]);
        ck_assert_uint_eq(s.from_cache, 1);
        ck_assert_uint_eq(s.cache_broken, 0);
        remove(path);
    }
    free(devs);
}
END_TEST

/* CLTRAIN_CACHE_DIR names cltrain's cache folder itself, over XDG_CACHE_HOME. */
START_TEST(test_cache_dir_override)
{
    use_fresh_cache();
    char dir[256];
    ck_assert_int_eq(ct_program_cache_dir(dir, sizeof dir), 1);
    char expected[700];
    snprintf(expected, sizeof expected, "%s/cltrain/kernels", cache_root);
    ck_assert_str_eq(dir, expected);
    setenv("CLTRAIN_CACHE_DIR", "/somewhere/else", 1);
    ck_assert_int_eq(ct_program_cache_dir(dir, sizeof dir), 1);
    ck_assert_str_eq(dir, "/somewhere/else/kernels");
    setenv("CLTRAIN_NO_CACHE", "1", 1); /* still off */
    ck_assert_int_eq(ct_program_cache_dir(dir, sizeof dir), 0);
    unsetenv("CLTRAIN_NO_CACHE");
    unsetenv("CLTRAIN_CACHE_DIR");
}
END_TEST

START_TEST(test_cache_disabled)
{
    use_fresh_cache();
    setenv("CLTRAIN_NO_CACHE", "1", 1);
    char dir[256];
    ck_assert_int_eq(ct_program_cache_dir(dir, sizeof dir), 0);
    ct_device_info *devs;
    test_devices(&devs);
    ct_program_stats s = build_and_run(&devs[0]);
    ck_assert_uint_eq(s.compiled, 1);
    char path[1024];
    ck_assert_int_eq(find_entry(path, sizeof path), 0);
    free(devs);
    unsetenv("CLTRAIN_NO_CACHE");
}
END_TEST

START_TEST(test_kernel_dir_and_build_log)
{
    use_fresh_cache();
    char dir[600];
    snprintf(dir, sizeof dir, "%s/kernels-src", cache_root);
    mkdir(dir, 0755);
    char path[700];
    snprintf(path, sizeof path, "%s/common.cl", dir);
    FILE *f = fopen(path, "w");
    fputs("/* empty prelude */\n", f);
    fclose(f);
    snprintf(path, sizeof path, "%s/broken.cl", dir);
    f = fopen(path, "w");
    fputs("__kernel void k(__global float *x) {\n  x[0] = undeclared_thing;\n}\n", f);
    fclose(f);
    setenv("CLTRAIN_KERNEL_DIR", dir, 1);

    ct_device_info *devs;
    test_devices(&devs);
    ct_context *ctx;
    ck_assert_int_eq(ct_context_create(&devs[0], &ctx), CT_OK);
    cl_kernel k;
    ck_assert_int_eq(ct_context_kernel(ctx, "broken", "k", &k), CT_ERR_BUILD);
    ck_assert_ptr_nonnull(strstr(ct_last_error(), "building program broken"));
    ck_assert_ptr_nonnull(strstr(ct_last_error(), "undeclared_thing"));
    /* the message points at the part and line, and at the whole log beside the cache entry */
    ck_assert_ptr_nonnull(strstr(ct_last_error(), "cl/broken.cl:2:"));
    ck_assert_ptr_nonnull(strstr(ct_last_error(), "the whole log is in "));
    ck_assert_int_eq(ct_context_kernel(ctx, "missing", "k", &k), CT_ERR_IO);
    ck_assert_ptr_nonnull(strstr(ct_last_error(), "missing.cl"));
    unsetenv("CLTRAIN_KERNEL_DIR");
    ck_assert_int_eq(ct_context_kernel(ctx, "elementwise", "no_such_kernel", &k), CT_ERR_BUILD);
    ck_assert_ptr_nonnull(strstr(ct_last_error(), "no usable kernel 'no_such_kernel'"));
    ct_context_destroy(ctx);
    free(devs);
}
END_TEST

/* Every program of the table assembles from parts this build embeds, names
 * are unique, and the CPU-only ones are exactly the tiled and Winograd
 * convolutions (and not the GPU path: im2col, direct, the portable GEMM's
 * program). */
START_TEST(test_program_table)
{
    unsetenv("CLTRAIN_KERNEL_DIR");
    size_t count;
    const ct_program_def *table = ct_program_table(&count);
    ck_assert_uint_ge(count, 10);
    ct_device_info gpu = {0}, cpu = {0};
    gpu.type = CT_DEVICE_GPU;
    cpu.type = CT_DEVICE_CPU;
    cpu.profile.is_cpu_class = 1;
    for (size_t i = 0; i < count; i++) {
        ck_assert_ptr_eq(ct_program_find(table[i].name), &table[i]);
        ck_assert_str_eq(table[i].parts[0], "common");
        char *src;
        size_t len;
        ck_assert_msg(ct_program_source(table[i].name, &src, &len) == CT_OK, "%s: %s", table[i].name,
                      ct_last_error());
        ck_assert_uint_eq(strlen(src), len);
        /* each part after a #line naming it */
        for (size_t p = 0; p < CT_PROGRAM_MAX_PARTS && table[i].parts[p]; p++) {
            char line[128];
            snprintf(line, sizeof line, "#line 1 \"cl/%s.cl\"\n", table[i].parts[p]);
            ck_assert_msg(strstr(src, line), "%s lacks %s", table[i].name, line);
        }
        free(src);
        ck_assert(ct_program_for_device(&table[i], &cpu));
        int cpu_only = !strcmp(table[i].name, "conv_tiled") || !strcmp(table[i].name, "conv_winograd") ||
                       !strcmp(table[i].name, "conv_winograd4") || !strcmp(table[i].name, "gemm_tile");
        ck_assert_int_eq(ct_program_for_device(&table[i], &gpu), !cpu_only);
    }
    ck_assert_ptr_null(ct_program_find("conv"));
    ck_assert_ptr_null(ct_program_find("gemm"));
    char *src;
    size_t len;
    ck_assert_int_eq(ct_program_source("no_such_program", &src, &len), CT_ERR_NOT_FOUND);
    ck_assert_ptr_nonnull(strstr(ct_last_error(), "no_such_program.cl"));
}
END_TEST

static char sink_log[4096];
static unsigned sink_calls;
static void test_sink(const char *program, const ct_device_info *info, const char *log, void *user)
{
    (void)info;
    ck_assert_ptr_eq(user, &sink_calls);
    sink_calls++;
    snprintf(sink_log, sizeof sink_log, "%s: %s", program, log);
}

/* A kernel that compiles with a warning: nothing reaches stderr, the log
 * goes to the sink and to <cache entry>.log, and a quiet build leaves none. */
START_TEST(test_compiler_output_captured)
{
    use_fresh_cache();
    char dir[600], path[700];
    snprintf(dir, sizeof dir, "%s/kernels-warn", cache_root);
    mkdir(dir, 0755);
    snprintf(path, sizeof path, "%s/warns.cl", dir);
    FILE *f = fopen(path, "w");
    fputs("__kernel void k(__global int *x)\n{\n    int v = 1.5;\n    x[0] = v;\n}\n", f);
    fclose(f);
    setenv("CLTRAIN_KERNEL_DIR", dir, 1);
    /* stderr into a file, to see what the build writes there */
    char err_path[700];
    snprintf(err_path, sizeof err_path, "%s/stderr.txt", cache_root);
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    FILE *err_file = fopen(err_path, "w");
    ck_assert_ptr_nonnull(err_file);
    dup2(fileno(err_file), STDERR_FILENO);
    ct_program_set_log_sink(test_sink, &sink_calls);

    ct_device_info *devs;
    test_devices(&devs);
    ct_context *ctx;
    ck_assert_int_eq(ct_context_create(&devs[0], &ctx), CT_OK);
    cl_kernel k;
    ct_status s = ct_context_kernel(ctx, "warns", "k", &k);
    fprintf(stderr, "marker\n"); /* stderr works again after the build */
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    fclose(err_file);
    ct_program_set_log_sink(NULL, NULL);
    ck_assert_msg(s == CT_OK, "%s", ct_last_error());
    ct_context_destroy(ctx);
    free(devs);

    char *err_text;
    size_t err_len;
    ck_assert_int_eq(ct_read_file(err_path, &err_text, &err_len), CT_OK);
    ck_assert_str_eq(err_text, "marker\n");
    free(err_text);
    ck_assert_uint_eq(sink_calls, 1);
    ck_assert_ptr_nonnull(strstr(sink_log, "warns: "));
    ck_assert_ptr_nonnull(strstr(sink_log, "warning"));
    /* the log beside the (would-be) cache entry */
    char kernels[800];
    snprintf(kernels, sizeof kernels, "%s/cltrain/kernels", cache_root);
    DIR *d = opendir(kernels);
    ck_assert_ptr_nonnull(d);
    int logs = 0;
    for (struct dirent *e; (e = readdir(d));)
        if (!strncmp(e->d_name, "warns-", 6) && strstr(e->d_name, ".log")) {
            char log_path[1200];
            snprintf(log_path, sizeof log_path, "%s/%s", kernels, e->d_name);
            char *text;
            size_t len;
            ck_assert_int_eq(ct_read_file(log_path, &text, &len), CT_OK);
            ck_assert_ptr_nonnull(strstr(text, "warning"));
            ck_assert_ptr_nonnull(strstr(text, "warns.cl:3:"));
            free(text);
            logs++;
        }
    closedir(d);
    ck_assert_int_eq(logs, 1);
    unsetenv("CLTRAIN_KERNEL_DIR");
}
END_TEST

/* ct_launch keeps a group within the kernel's limit, rounds the range up
 * to it, launches nothing for an empty range, and the limit is asked once. */
START_TEST(test_launch_clamps_to_kernel_limit)
{
    unsetenv("CLTRAIN_KERNEL_DIR");
    setenv("CLTRAIN_NO_CACHE", "1", 1);
    ct_device_info *devs;
    size_t n = test_devices(&devs);
    for (size_t d = 0; d < n; d++) {
        ct_context *ctx;
        ck_assert_int_eq(ct_context_create(&devs[d], &ctx), CT_OK);
        cl_kernel k;
        ck_assert_int_eq(ct_context_kernel(ctx, "elementwise", "scale", &k), CT_OK);
        size_t limit = ct_launch_group_limit(ctx, k);
        ck_assert_uint_ge(limit, 1);
        ck_assert_uint_le(limit, devs[d].max_work_group_size);
        ck_assert_uint_eq(ct_launch_group_limit(ctx, k), limit);
        /* y = 2 x over 1000 elements in groups far larger than allowed */
        size_t count = 1000, shape[1] = {count};
        ct_tensor x, y;
        ck_assert_int_eq(ct_tensor_create(ctx, 1, shape, &x), CT_OK);
        ck_assert_int_eq(ct_tensor_create(ctx, 1, shape, &y), CT_OK);
        float *host = malloc(count * sizeof *host);
        for (size_t i = 0; i < count; i++)
            host[i] = (float)i;
        ck_assert_int_eq(ct_tensor_write(ctx, &x, host), CT_OK);
        cl_ulong nn = count;
        float alpha = 2.0f;
        cl_uint a = 0;
        cl_int err = CT_ARG(k, a++, nn);
        err |= CT_ARG(k, a++, alpha);
        err |= ct_arg_tensor(k, &a, &x);
        err |= ct_arg_tensor(k, &a, &y);
        ck_assert_int_eq(err, CL_SUCCESS);
        size_t global = count, local = limit * 4;
        ck_assert_msg(ct_launch(ctx, k, 1, &global, &local, "scale") == CT_OK, "%s", ct_last_error());
        ck_assert_int_eq(ct_tensor_read(ctx, &y, host), CT_OK);
        for (size_t i = 0; i < count; i++)
            ck_assert_float_eq(host[i], 2.0f * (float)i);
        size_t none = 0;
        ck_assert_int_eq(ct_launch(ctx, k, 1, &none, &local, "scale"), CT_OK);
        ck_assert_int_eq(ct_launch(ctx, k, 4, &global, &local, "scale"), CT_ERR_INVALID_ARGUMENT);
        free(host);
        ct_tensor_release(&x);
        ct_tensor_release(&y);
        ct_context_destroy(ctx);
    }
    free(devs);
    unsetenv("CLTRAIN_NO_CACHE");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("core");
    TCase *status = tcase_create("status");
    tcase_add_test(status, test_status_names);
    tcase_add_test(status, test_status_detail);
    suite_add_tcase(s, status);
    TCase *select = tcase_create("device selection");
    tcase_add_test(select, test_select_specs);
    tcase_add_test(select, test_select_default_without_gpu);
    tcase_add_test(select, test_spec_from_env);
    tcase_add_test(select, test_list_real_devices);
    suite_add_tcase(s, select);
    TCase *cache = tcase_create("program cache");
    tcase_set_timeout(cache, 600);
    tcase_add_test(cache, test_cache_roundtrip_and_corruption);
    tcase_add_test(cache, test_cache_disabled);
    tcase_add_test(cache, test_cache_dir_override);
    tcase_add_test(cache, test_kernel_dir_and_build_log);
    tcase_add_test(cache, test_program_table);
    tcase_add_test(cache, test_compiler_output_captured);
    tcase_add_test(cache, test_launch_clamps_to_kernel_limit);
    suite_add_tcase(s, cache);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
