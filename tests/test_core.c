/* Unit tests of the foundation: status table, device selection, program cache. */
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
    unsetenv("CLTRAIN_NO_CACHE");
    unsetenv("CLTRAIN_KERNEL_DIR");
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
    ck_assert_ptr_nonnull(strstr(ct_last_error(), "building cl/broken.cl"));
    ck_assert_ptr_nonnull(strstr(ct_last_error(), "undeclared_thing"));
    ck_assert_int_eq(ct_context_kernel(ctx, "missing", "k", &k), CT_ERR_IO);
    ck_assert_ptr_nonnull(strstr(ct_last_error(), "missing.cl"));
    unsetenv("CLTRAIN_KERNEL_DIR");
    ck_assert_int_eq(ct_context_kernel(ctx, "elementwise", "no_such_kernel", &k), CT_ERR_BUILD);
    ck_assert_ptr_nonnull(strstr(ct_last_error(), "no usable kernel 'no_such_kernel'"));
    ct_context_destroy(ctx);
    free(devs);
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
    tcase_add_test(cache, test_kernel_dir_and_build_log);
    suite_add_tcase(s, cache);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
