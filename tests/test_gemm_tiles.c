/* The device profile and the own GEMM's and conv kernels' tile parameters:
 * the defaults per register file, the tile strings, the tuning candidates,
 * the tuning cache (round trip, overrides, stale entries, keys that follow
 * the kernel source), and the GEMM and conv op-table cases run under other
 * tiles than the device's own, so that the AVX2 tile (float8) and the
 * AVX-512 tile (float16) are both tested on whichever CPU runs the tests. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cltrain/conv_tune.h"
#include "cltrain/device.h"
#include "cltrain/tune.h"
#include "core/profile.h"
#include "selftest/families.h"
#include "selftest/optest.h"
#include "test_devices.h"

static ct_gemm_tile tile_of(const char *s)
{
    ct_gemm_tile t = ct_gemm_tile_default(32, 16, 256);
    ck_assert_msg(ct_gemm_tile_parse(s, &t), "tile %s does not parse", s);
    return t;
}

START_TEST(test_default_tiles)
{
    /* AVX-512: 32 registers of 16 floats: 12 rows x 2 float16 (24 accumulators). */
    ct_gemm_tile t = ct_gemm_tile_default(32, 16, 4096);
    ck_assert_int_eq(t.rows, 12);
    ck_assert_int_eq(t.vectors, 2);
    ck_assert_int_eq(t.width, 16);
    ck_assert_int_eq(t.wg_side, 16);
    /* AVX2: 16 registers of 8 floats: 6 rows x 2 float8 (12 accumulators). */
    t = ct_gemm_tile_default(16, 8, 4096);
    ck_assert_int_eq(t.rows, 6);
    ck_assert_int_eq(t.vectors, 2);
    ck_assert_int_eq(t.width, 8);
    /* Unknown register file (GPU profile): still a valid tile; small work-groups. */
    t = ct_gemm_tile_default(0, 4, 32);
    ck_assert(ct_gemm_tile_valid(&t));
    ck_assert_int_eq(t.width, 4);
    ck_assert_int_eq(t.wg_side, 4);
}
END_TEST

START_TEST(test_tile_strings)
{
    char buf[64];
    ct_gemm_tile t = tile_of("6x16/8");
    ck_assert_int_eq(t.rows, 6);
    ck_assert_int_eq(t.vectors, 2);
    ck_assert_int_eq(t.k_unroll, 1);
    ck_assert_str_eq(ct_gemm_tile_str(&t, 1, buf, sizeof buf), "6x16/8/1");
    t = tile_of("14x48/16/4");
    ck_assert_int_eq(t.vectors, 3);
    ck_assert_int_eq(t.k_unroll, 4);
    ck_assert_str_eq(ct_gemm_tile_str(&t, 1, buf, sizeof buf), "14x48/16/4");
    const char *bad[] = {"", "6x16", "6x17/8", "0x16/8", "17x16/8", "6x64/16", "6x16/8/3", "6x16/6", "6x16/8/1x",
                         "abc"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ct_gemm_tile u = t;
        ck_assert_msg(!ct_gemm_tile_parse(bad[i], &u), "'%s' parsed", bad[i]);
        ck_assert_int_eq(u.rows, t.rows); /* untouched on failure */
    }
}
END_TEST

START_TEST(test_candidates)
{
    const unsigned regs[] = {32, 16}, widths[] = {16, 8};
    for (int i = 0; i < 2; i++) {
        ct_device_profile p = {.is_cpu_class = 1, .vector_floats = widths[i], .vector_registers = regs[i]};
        p.gemm_default = ct_gemm_tile_default(regs[i], widths[i], 4096);
        ct_gemm_tile c[CT_TUNE_MAX_CANDIDATES];
        size_t n = ct_gemm_tune_candidates(&p, c, CT_TUNE_MAX_CANDIDATES);
        ck_assert_uint_ge(n, 4);
        ck_assert(!memcmp(&c[0], &p.gemm_default, sizeof c[0]));
        for (size_t j = 0; j < n; j++) {
            ck_assert(ct_gemm_tile_valid(&c[j]));
            ck_assert_int_eq(c[j].width, (int)widths[i]);
            /* accumulators + B vectors + the broadcast A value fit */
            ck_assert_int_le(c[j].rows * c[j].vectors + c[j].vectors + 1, (int)regs[i]);
            for (size_t k = 0; k < j; k++)
                ck_assert(memcmp(&c[j], &c[k], sizeof c[j]) != 0);
        }
    }
}
END_TEST

START_TEST(test_profile_of_devices)
{
    ct_device_info *devices;
    size_t count = test_devices(&devices);
    for (size_t d = 0; d < count; d++) {
        const ct_device_profile *p = &devices[d].profile;
        ck_assert_int_eq(p->is_cpu_class, devices[d].type == CT_DEVICE_CPU);
        ck_assert(p->vector_floats == 1 || p->vector_floats == 2 || p->vector_floats == 4 ||
                  p->vector_floats == 8 || p->vector_floats == 16);
        ck_assert(ct_gemm_tile_valid(&p->gemm));
        ck_assert(ct_gemm_tile_valid(&p->gemm_default));
        ck_assert(p->arch[0] != '\0');
        if (p->is_cpu_class) {
            ck_assert(p->vector_registers == 16 || p->vector_registers == 32);
            ck_assert_int_le(p->gemm_default.rows * p->gemm_default.vectors, (int)p->vector_registers * 3 / 4);
        }
        /* PoCL names its LLVM CPU in the device name: the profile finds it. */
        if (strstr(devices[d].device_version, "HSTR: "))
            ck_assert_msg(strstr(devices[d].name, p->arch) != NULL, "arch '%s' not in '%s'", p->arch,
                          devices[d].name);
        if (!strcmp(p->arch, "haswell"))
            ck_assert_uint_eq(p->vector_floats, 8);
        if (strstr(p->arch, "avx512"))
            ck_assert_uint_eq(p->vector_floats, 16);
        char options[512] = "";
        ct_profile_build_options(&devices[d], "gemm", options, sizeof options);
        char want[64];
        snprintf(want, sizeof want, "-DCT_GEMM_VW=%d", p->gemm.width);
        ck_assert_msg(strstr(options, want) != NULL, "%s", options);
        options[0] = '\0';
        ct_profile_build_options(&devices[d], "loss", options, sizeof options);
        ck_assert_msg(strstr(options, "CT_GEMM") == NULL && strstr(options, "-DCT_VEC=") != NULL, "%s", options);
    }
    free(devices);
}
END_TEST

/* The profile of devices described by hand (no device behind them: the
 * queries fail and keep their conservative values): the instruction set
 * from PoCL's names, the width capped by it, the registers, the tile. */
static ct_device_info fake_device(const char *name, const char *version, ct_device_type type, unsigned preferred)
{
    ct_device_info info;
    memset(&info, 0, sizeof info);
    snprintf(info.name, sizeof info.name, "%s", name);
    snprintf(info.device_version, sizeof info.device_version, "%s", version);
    info.type = type;
    info.preferred_vector_width_float = preferred;
    info.max_work_group_size = type == CT_DEVICE_CPU ? 4096 : 1024;
    info.compute_units = 2;
    return info;
}

START_TEST(test_profile_from_names)
{
    unsetenv("CLTRAIN_GEMM_TILE");
    setenv("CLTRAIN_NO_CACHE", "1", 1); /* no tuned tile for these */
    ct_device_info d = fake_device("pthread-haswell-AMD EPYC 7763 64-Core Processor",
                                   "OpenCL 3.0 PoCL HSTR: pthread-x86_64-pc-linux-gnu-haswell", CT_DEVICE_CPU, 16);
    ct_profile_compute(&d, 1, 1, 1);
    ck_assert_str_eq(d.profile.arch, "haswell");
    ck_assert_uint_eq(d.profile.vector_floats, 8); /* the driver said 16: the instruction set caps it */
    ck_assert_uint_eq(d.profile.vector_registers, 16);
    ck_assert_int_eq(d.profile.gemm.rows, 6);
    ck_assert_int_eq(d.profile.gemm.width, 8);
    ck_assert_int_eq(d.profile.gemm_origin, CT_TILE_DEFAULT);

    d = fake_device("cpu-skylake-avx512-Intel(R) Xeon(R)", "OpenCL 3.0 PoCL HSTR: cpu-x86_64-pc-linux-gnu-skylake-avx512",
                    CT_DEVICE_CPU, 16);
    ct_profile_compute(&d, 1, 1, 1);
    ck_assert_str_eq(d.profile.arch, "skylake-avx512");
    ck_assert_uint_eq(d.profile.vector_floats, 16);
    ck_assert_uint_eq(d.profile.vector_registers, 32);
    ck_assert_int_eq(d.profile.gemm.rows, 12);

    d = fake_device("pthread-znver4-AMD Ryzen", "OpenCL 3.0 PoCL HSTR: pthread-x86_64-pc-linux-gnu-znver4", CT_DEVICE_CPU, 8);
    ct_profile_compute(&d, 1, 1, 1);
    ck_assert_str_eq(d.profile.arch, "znver4");
    ck_assert_uint_eq(d.profile.vector_floats, 8); /* the driver's preference stands below the cap */
    ck_assert_uint_eq(d.profile.vector_registers, 16);

    d = fake_device("NVIDIA H100 80GB HBM3", "OpenCL 3.0 CUDA", CT_DEVICE_GPU, 1);
    ct_profile_compute(&d, 1, 1, 1);
    ck_assert(!d.profile.is_cpu_class);
    ck_assert_str_eq(d.profile.arch, "NVIDIA H100 80GB HBM3");
    ck_assert_uint_eq(d.profile.vector_registers, 0);
    ck_assert(ct_gemm_tile_valid(&d.profile.gemm));
    ck_assert_int_eq(d.profile.gemm.wg_side, 16);
    char options[512] = "";
    ct_profile_build_options(&d, "gemm", options, sizeof options);
    ck_assert_msg(strstr(options, "-DCT_CPU_CLASS=0") && strstr(options, "-DCT_GEMM_PT=16"), "%s", options);

    setenv("CLTRAIN_GEMM_TILE", "6x16/8/7", 1); /* malformed: ignored */
    d = fake_device("pthread-haswell-X", "OpenCL 3.0 PoCL HSTR: pthread-x86_64-pc-linux-gnu-haswell", CT_DEVICE_CPU, 8);
    ct_profile_compute(&d, 1, 1, 1);
    ck_assert_int_eq(d.profile.gemm_origin, CT_TILE_DEFAULT);
    unsetenv("CLTRAIN_GEMM_TILE");
}
END_TEST

/* The tuning cache: a saved tile is what the next enumeration uses; the
 * environment overrides it; an entry for another source or driver (a key
 * that does not match) is ignored. */
START_TEST(test_tune_cache)
{
    char dir[4096];
    const char *tmp = getenv("CLTRAIN_TEST_TMPDIR");
    snprintf(dir, sizeof dir, "%s/tune-cache-%ld", tmp && *tmp ? tmp : "/tmp", (long)getpid());
    setenv("XDG_CACHE_HOME", dir, 1);
    unsetenv("CLTRAIN_NO_CACHE");
    unsetenv("CLTRAIN_GEMM_TILE");
    ct_device_info info;
    ck_assert_msg(ct_device_find(getenv("CLTRAIN_TEST_DEVICE"), &info) == CT_OK, "%s", ct_last_error());
    if (!info.profile.is_cpu_class)
        return;
    ck_assert_int_eq(info.profile.gemm_origin, CT_TILE_DEFAULT);
    ct_gemm_tile want = info.profile.gemm_default;
    want.k_unroll = 2;
    want.rows = want.rows > 2 ? want.rows - 1 : want.rows + 1;
    ck_assert_msg(ct_gemm_tune_save(&info, &want, "test") == CT_OK, "%s", ct_last_error());
    ct_device_info again;
    ck_assert(ct_device_find(getenv("CLTRAIN_TEST_DEVICE"), &again) == CT_OK);
    ck_assert_int_eq(again.profile.gemm_origin, CT_TILE_TUNED);
    ck_assert(!memcmp(&again.profile.gemm, &want, sizeof want));

    setenv("CLTRAIN_GEMM_TILE", "4x16/8/1", 1);
    ck_assert(ct_device_find(getenv("CLTRAIN_TEST_DEVICE"), &again) == CT_OK);
    ck_assert_int_eq(again.profile.gemm_origin, CT_TILE_ENV);
    ck_assert_int_eq(again.profile.gemm.rows, 4);
    ck_assert_int_eq(again.profile.gemm.width, 8);
    unsetenv("CLTRAIN_GEMM_TILE");

    /* Same file, another key inside: not this device's entry. */
    char path[4200];
    ck_assert(ct_profile_tune_path(&info, path, sizeof path));
    FILE *f = fopen(path, "w");
    ck_assert(f != NULL);
    fprintf(f, "key=device=other\ntile=3x16/8/1\n");
    fclose(f);
    ck_assert(ct_device_find(getenv("CLTRAIN_TEST_DEVICE"), &again) == CT_OK);
    ck_assert_int_eq(again.profile.gemm_origin, CT_TILE_DEFAULT);
    ck_assert(!memcmp(&again.profile.gemm, &again.profile.gemm_default, sizeof want));
    remove(path);
}
END_TEST

START_TEST(test_conv_candidates)
{
    const unsigned regs[] = {32, 16}, widths[] = {16, 8};
    for (int i = 0; i < 2; i++) {
        ct_device_profile p = {.is_cpu_class = 1, .vector_floats = widths[i], .vector_registers = regs[i]};
        p.conv_default = ct_conv_tile_default(regs[i], widths[i]);
        ct_conv_tile c[CT_CONV_TUNE_MAX_CANDIDATES];
        size_t n = ct_conv_tune_candidates(&p, c, CT_CONV_TUNE_MAX_CANDIDATES);
        ck_assert_uint_ge(n, 3);
        ck_assert(c[0].rows == p.conv_default.rows && c[0].vectors == p.conv_default.vectors);
        for (size_t j = 0; j < n; j++) {
            ck_assert(ct_conv_tile_valid(&c[j], widths[i]));
            /* accumulators within the default's budget, at least half of it */
            ck_assert_int_le(c[j].rows * c[j].vectors, (int)regs[i] * 3 / 4);
            ck_assert_int_ge(2 * c[j].rows * c[j].vectors, (int)regs[i] * 3 / 4);
            for (size_t k = 0; k < j; k++)
                ck_assert(c[j].rows != c[k].rows || c[j].vectors != c[k].vectors);
        }
        ck_assert_uint_eq(ct_conv_tune_candidates(&p, c, 2), 2); /* max holds */
    }
}
END_TEST

/* The tuning cache's key follows the kernel source: an entry saved for one
 * hash of the GEMM or conv programs is found under that hash and not under
 * another (file name and key both change), and the real hashes are of
 * different sources. */
START_TEST(test_tune_key_follows_source)
{
    char dir[4096];
    const char *tmp = getenv("CLTRAIN_TEST_TMPDIR");
    snprintf(dir, sizeof dir, "%s/tune-key-%ld", tmp && *tmp ? tmp : "/tmp", (long)getpid());
    setenv("XDG_CACHE_HOME", dir, 1);
    unsetenv("CLTRAIN_NO_CACHE");
    unsetenv("CLTRAIN_GEMM_TILE");
    unsetenv("CLTRAIN_CONV_TILE");
    ct_device_info d = fake_device("pthread-haswell-X", "OpenCL 3.0 PoCL HSTR: pthread-x86_64-pc-linux-gnu-haswell",
                                   CT_DEVICE_CPU, 8);
    ct_profile_compute(&d, 0x1111, 0x2222, 0x5555);
    char gemm_path[4200], conv_path[4200], wino_path[4200], path[4200];
    ck_assert(ct_profile_tune_path(&d, gemm_path, sizeof gemm_path));
    ck_assert(ct_profile_conv_tune_path(&d, 0, conv_path, sizeof conv_path));
    ck_assert(ct_profile_conv_tune_path(&d, 1, wino_path, sizeof wino_path));
    ck_assert_str_ne(gemm_path, conv_path);
    ck_assert_str_ne(wino_path, conv_path);
    ct_gemm_tile g = d.profile.gemm_default;
    g.rows = 4;
    ct_conv_tile c = {.rows = 2, .vectors = 4}, w = {.rows = 4, .vectors = 2}; /* 2x32 and 4x16 of float8 */
    ck_assert_msg(ct_gemm_tune_save(&d, &g, "test") == CT_OK, "%s", ct_last_error());
    ck_assert_msg(ct_conv_tune_save(&d, CT_CONV_TUNE_TILED, &c, "test") == CT_OK, "%s", ct_last_error());
    ck_assert_msg(ct_conv_tune_save(&d, CT_CONV_TUNE_WINOGRAD, &w, "test") == CT_OK, "%s", ct_last_error());

    ct_profile_compute(&d, 0x1111, 0x2222, 0x5555); /* the same sources: all read back */
    ck_assert_int_eq(d.profile.gemm_origin, CT_TILE_TUNED);
    ck_assert_int_eq(d.profile.gemm.rows, 4);
    ck_assert_int_eq(d.profile.conv_origin, CT_TILE_TUNED);
    ck_assert_int_eq(d.profile.conv.rows, 2);
    ck_assert_int_eq(d.profile.conv.vectors, 4);
    ck_assert_int_eq(d.profile.winograd_origin, CT_TILE_TUNED);
    ck_assert_int_eq(d.profile.winograd.rows, 4);
    ck_assert_int_eq(d.profile.winograd.vectors, 2);
    char options[512] = "";
    ct_profile_build_options(&d, "conv_tiled", options, sizeof options);
    ck_assert_msg(strstr(options, "-DCT_CONV_TM=2 -DCT_CONV_NV=4") != NULL, "%s", options);
    options[0] = '\0';
    ct_profile_build_options(&d, "conv_winograd4", options, sizeof options);
    ck_assert_msg(strstr(options, "-DCT_CONV_TM=4 -DCT_CONV_NV=2") != NULL, "%s", options);

    ct_profile_compute(&d, 0x1111, 0x3333, 0x5555); /* the tiled conv source changed */
    ck_assert(ct_profile_conv_tune_path(&d, 0, path, sizeof path));
    ck_assert_str_ne(path, conv_path);
    ck_assert_int_eq(d.profile.conv_origin, CT_TILE_DEFAULT);
    ck_assert_int_eq(d.profile.winograd_origin, CT_TILE_TUNED); /* the others did not */
    ck_assert_int_eq(d.profile.gemm_origin, CT_TILE_TUNED);

    ct_profile_compute(&d, 0x1111, 0x2222, 0x6666); /* the Winograd source changed */
    ck_assert(ct_profile_conv_tune_path(&d, 1, path, sizeof path));
    ck_assert_str_ne(path, wino_path);
    ck_assert_int_eq(d.profile.winograd_origin, CT_TILE_DEFAULT);
    ck_assert_int_eq(d.profile.conv_origin, CT_TILE_TUNED);

    ct_profile_compute(&d, 0x4444, 0x2222, 0x5555); /* the GEMM source changed */
    ck_assert(ct_profile_tune_path(&d, path, sizeof path));
    ck_assert_str_ne(path, gemm_path);
    ck_assert_int_eq(d.profile.gemm_origin, CT_TILE_DEFAULT);
    ck_assert_int_eq(d.profile.conv_origin, CT_TILE_TUNED);

    /* CLTRAIN_CONV_TILE sets both conv tiles, CLTRAIN_WINOGRAD_TILE the second. */
    setenv("CLTRAIN_CONV_TILE", "3x16", 1);
    ct_profile_compute(&d, 0x1111, 0x2222, 0x5555);
    ck_assert_int_eq(d.profile.conv_origin, CT_TILE_CONV_ENV);
    ck_assert_int_eq(d.profile.winograd_origin, CT_TILE_CONV_ENV);
    ck_assert_int_eq(d.profile.winograd.rows, 3);
    setenv("CLTRAIN_WINOGRAD_TILE", "12x8", 1);
    ct_profile_compute(&d, 0x1111, 0x2222, 0x5555);
    ck_assert_int_eq(d.profile.conv.rows, 3);
    ck_assert_int_eq(d.profile.winograd_origin, CT_TILE_WINOGRAD_ENV);
    ck_assert_int_eq(d.profile.winograd.rows, 12);
    unsetenv("CLTRAIN_CONV_TILE");
    unsetenv("CLTRAIN_WINOGRAD_TILE");

    /* An entry under the right file name whose key names another source. */
    FILE *f = fopen(conv_path, "w");
    ck_assert(f != NULL);
    fprintf(f, "key=device=pthread-haswell-X;source=0000000000003333\ntile=2x32\n");
    fclose(f);
    ct_profile_compute(&d, 0x1111, 0x2222, 0x5555);
    ck_assert_int_eq(d.profile.conv_origin, CT_TILE_DEFAULT);
    ck_assert(d.profile.conv.rows == d.profile.conv_default.rows);
    remove(conv_path);
    remove(wino_path);
    remove(gemm_path);

    /* A tile the kernels would not take is refused, not cached. */
    ct_conv_tile bad = {.rows = 5, .vectors = 2};
    ck_assert_int_ne(ct_conv_tune_save(&d, CT_CONV_TUNE_TILED, &bad, "test"), CT_OK);
    ct_clear_error();

    /* The real hashes: of the sources as built, the two kinds apart. */
    ct_device_info info;
    ck_assert_msg(ct_device_find(getenv("CLTRAIN_TEST_DEVICE"), &info) == CT_OK, "%s", ct_last_error());
    ck_assert(info.profile.gemm_source_hash != 0 && info.profile.conv_source_hash != 0 &&
              info.profile.winograd_source_hash != 0);
    ck_assert(info.profile.gemm_source_hash != info.profile.conv_source_hash);
    ck_assert(info.profile.winograd_source_hash != info.profile.conv_source_hash);
}
END_TEST

/* The conv tiles' cache on the real device: saved tiles are what the next
 * enumeration uses, contexts build the conv programs with them and the conv
 * op-table cases of the tiled and Winograd kernels pass under them;
 * CLTRAIN_CONV_TILE overrides the cache. */
START_TEST(test_conv_tune_cache)
{
    char dir[4096];
    const char *tmp = getenv("CLTRAIN_TEST_TMPDIR");
    snprintf(dir, sizeof dir, "%s/conv-tune-cache-%ld", tmp && *tmp ? tmp : "/tmp", (long)getpid());
    setenv("XDG_CACHE_HOME", dir, 1);
    unsetenv("CLTRAIN_NO_CACHE");
    unsetenv("CLTRAIN_CONV_TILE");
    unsetenv("CLTRAIN_WINOGRAD_TILE");
    ct_device_info info;
    ck_assert_msg(ct_device_find(getenv("CLTRAIN_TEST_DEVICE"), &info) == CT_OK, "%s", ct_last_error());
    if (!info.profile.is_cpu_class)
        return;
    ck_assert_int_eq(info.profile.conv_origin, CT_TILE_DEFAULT);
    ck_assert_int_eq(info.profile.winograd_origin, CT_TILE_DEFAULT);
    unsigned width = ct_profile_kernel_vector(&info.profile);
    ct_conv_tile c[CT_CONV_TUNE_MAX_CANDIDATES];
    size_t n = ct_conv_tune_candidates(&info.profile, c, CT_CONV_TUNE_MAX_CANDIDATES);
    ck_assert_uint_ge(n, 2);
    ct_conv_tile want = c[n - 1], want_w = c[1]; /* neither the default */
    ck_assert_msg(ct_conv_tune_save(&info, CT_CONV_TUNE_TILED, &want, "test") == CT_OK, "%s", ct_last_error());
    ck_assert_msg(ct_conv_tune_save(&info, CT_CONV_TUNE_WINOGRAD, &want_w, "test") == CT_OK, "%s",
                  ct_last_error());
    ct_device_info again;
    ck_assert(ct_device_find(getenv("CLTRAIN_TEST_DEVICE"), &again) == CT_OK);
    ck_assert_int_eq(again.profile.conv_origin, CT_TILE_TUNED);
    ck_assert_int_eq(again.profile.conv.rows, want.rows);
    ck_assert_int_eq(again.profile.conv.vectors, want.vectors);
    ck_assert_int_eq(again.profile.winograd_origin, CT_TILE_TUNED);
    ck_assert_int_eq(again.profile.winograd.rows, want_w.rows);
    ck_assert_int_eq(again.profile.winograd.vectors, want_w.vectors);
    char options[512] = "", expect[64];
    ct_profile_build_options(&again, "conv_tiled", options, sizeof options);
    snprintf(expect, sizeof expect, "-DCT_CONV_TM=%d -DCT_CONV_NV=%d", want.rows, want.vectors);
    ck_assert_msg(strstr(options, expect) != NULL, "%s", options);
    options[0] = '\0';
    ct_profile_build_options(&again, "conv_winograd4", options, sizeof options);
    snprintf(expect, sizeof expect, "-DCT_CONV_TM=%d -DCT_CONV_NV=%d", want_w.rows, want_w.vectors);
    ck_assert_msg(strstr(options, expect) != NULL, "%s", options);

    ct_context *ctx;
    ck_assert_msg(ct_context_create(&again, &ctx) == CT_OK, "%s", ct_last_error());
    ck_assert_int_eq(ct_context_device(ctx)->profile.conv.rows, want.rows);
    ct_optest_counts counts = {0, 0, 0};
    const ct_optest_family *f = &ct_optest_family_conv;
    for (size_t i = 0; i < f->count; i++) {
        const char *name = f->cases[i].op->name;
        if (strstr(name, "tiled") || strstr(name, "winograd"))
            ck_assert_msg(ct_optest_run_case(ctx, &f->cases[i], stdout, 0, &counts) == CT_OK, "%s",
                          ct_last_error());
    }
    ct_context_destroy(ctx);
    printf("conv cases under the tuned tiles %dx%d (tiled) and %dx%d (Winograd): %u passed, %u failed\n",
           want.rows, want.vectors * (int)width, want_w.rows, want_w.vectors * (int)width, counts.passed,
           counts.failed);
    ck_assert_uint_gt(counts.passed, 0);
    ck_assert_uint_eq(counts.failed, 0);

    setenv("CLTRAIN_CONV_TILE", "4x16", 1);
    ck_assert(ct_device_find(getenv("CLTRAIN_TEST_DEVICE"), &again) == CT_OK);
    ck_assert_int_eq(again.profile.conv_origin, CT_TILE_CONV_ENV);
    ck_assert_int_eq(again.profile.conv.rows, 4);
    ck_assert_int_eq(again.profile.winograd.rows, 4);
    unsetenv("CLTRAIN_CONV_TILE");
    char path[4200];
    ck_assert(ct_profile_conv_tune_path(&info, 0, path, sizeof path));
    remove(path);
    ck_assert(ct_profile_conv_tune_path(&info, 1, path, sizeof path));
    remove(path);
}
END_TEST

/* Tuning runs every candidate and picks one that ran; nothing is saved. */
START_TEST(test_tune_runs)
{
    ct_device_info info;
    ck_assert_msg(ct_device_find(getenv("CLTRAIN_TEST_DEVICE"), &info) == CT_OK, "%s", ct_last_error());
    if (!info.profile.is_cpu_class)
        return;
    ct_tune_result r[CT_TUNE_MAX_CANDIDATES];
    size_t count = 0, best = 99;
    ck_assert_msg(ct_gemm_tune(&info, r, &count, &best, NULL, NULL) == CT_OK, "%s", ct_last_error());
    ck_assert_uint_ge(count, 4);
    ck_assert_uint_lt(best, count);
    ck_assert(!memcmp(&r[0].tile, &info.profile.gemm_default, sizeof r[0].tile));
    for (size_t i = 0; i < count; i++) {
        ck_assert_msg(r[i].ok, "candidate %zu: %s", i, r[i].detail);
        for (size_t s = 0; s < CT_TUNE_SHAPES; s++)
            ck_assert(r[i].gflops[s] > 0.01 && r[i].gflops[s] < 1e6);
        ck_assert(r[i].score > 0.01);
    }
    ck_assert(best == 0 || r[best].score > r[0].score);
}
END_TEST

/* Tiles other than the device's default: AVX-512's and AVX2's defaults,
 * three vectors per row, one vector per row, odd row counts, unrolled k,
 * float4. */
static const char *const TILE_SETS[] = {"12x32/16/1", "6x16/8/1", "9x48/16/2", "14x8/8/4", "5x8/4/1"};

START_TEST(test_gemm_cases_under_tile)
{
    const char *tile = TILE_SETS[_i];
    ct_device_info *devices;
    size_t count = test_devices(&devices);
    unsigned passed = 0, failed = 0;
    for (size_t d = 0; d < count; d++) {
        if (!devices[d].profile.is_cpu_class)
            continue; /* the tile kernel runs on CPU-class devices only */
        ct_device_info info = devices[d];
        info.profile.gemm = tile_of(tile);
        ct_context *ctx;
        ck_assert_msg(ct_context_create(&info, &ctx) == CT_OK, "%s", ct_last_error());
        ct_optest_counts counts = {0, 0, 0};
        printf("gemm cases with tile %s on %s:\n", tile, info.name);
        const ct_optest_family *f = &ct_optest_family_gemm;
        for (size_t i = 0; i < f->count; i++) {
            if (strstr(f->cases[i].op->name, "clblast"))
                continue; /* not the own engine: the tile does not matter */
            ck_assert_msg(ct_optest_run_case(ctx, &f->cases[i], stdout, 0, &counts) == CT_OK, "%s",
                          ct_last_error());
        }
        printf("  %u passed, %u failed, %u skipped\n", counts.passed, counts.failed, counts.skipped);
        fflush(stdout);
        passed += counts.passed;
        failed += counts.failed;
        ct_context_destroy(ctx);
    }
    free(devices);
    ck_assert_msg(failed == 0, "tile %s: %u case(s) failed (details above)", tile, failed);
}
END_TEST

/* The tiled and Winograd conv cases under every conv tile the tuner may
 * pick on each device (one candidate per loop index), so that a tuned tile
 * is a correct one. */
START_TEST(test_conv_cases_under_candidate)
{
    ct_device_info *devices;
    size_t count = test_devices(&devices);
    unsigned failed = 0;
    for (size_t d = 0; d < count; d++) {
        if (!devices[d].profile.is_cpu_class)
            continue; /* the tiled and Winograd kernels run on CPU-class devices only */
        ct_conv_tile c[CT_CONV_TUNE_MAX_CANDIDATES];
        size_t n = ct_conv_tune_candidates(&devices[d].profile, c, CT_CONV_TUNE_MAX_CANDIDATES);
        if ((size_t)_i >= n)
            continue;
        ct_device_info info = devices[d];
        info.profile.conv = c[_i];
        info.profile.winograd = c[_i];
        ct_context *ctx;
        ck_assert_msg(ct_context_create(&info, &ctx) == CT_OK, "%s", ct_last_error());
        ct_optest_counts counts = {0, 0, 0};
        const ct_optest_family *f = &ct_optest_family_conv;
        for (size_t i = 0; i < f->count; i++) {
            const char *name = f->cases[i].op->name;
            if (strstr(name, "tiled") || strstr(name, "winograd"))
                ck_assert_msg(ct_optest_run_case(ctx, &f->cases[i], stdout, 0, &counts) == CT_OK, "%s",
                              ct_last_error());
        }
        printf("conv cases with tile %dx%d on %s: %u passed, %u failed\n", c[_i].rows,
               c[_i].vectors * (int)ct_profile_kernel_vector(&info.profile), info.name, counts.passed,
               counts.failed);
        fflush(stdout);
        failed += counts.failed;
        ct_context_destroy(ctx);
    }
    free(devices);
    ck_assert_msg(failed == 0, "conv candidate %d: %u case(s) failed (details above)", _i, failed);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("gemm_tiles");
    TCase *tc = tcase_create("profile");
    tcase_add_test(tc, test_default_tiles);
    tcase_add_test(tc, test_tile_strings);
    tcase_add_test(tc, test_candidates);
    tcase_add_test(tc, test_profile_of_devices);
    tcase_add_test(tc, test_profile_from_names);
    tcase_add_test(tc, test_tune_cache);
    tcase_add_test(tc, test_conv_candidates);
    tcase_add_test(tc, test_tune_key_follows_source);
    suite_add_tcase(s, tc);
    TCase *tiles = tcase_create("tiles");
    tcase_set_timeout(tiles, 1200);
    tcase_add_test(tiles, test_tune_runs);
    tcase_add_test(tiles, test_conv_tune_cache);
    tcase_add_loop_test(tiles, test_conv_cases_under_candidate, 1, CT_CONV_TUNE_MAX_CANDIDATES);
    tcase_add_loop_test(tiles, test_gemm_cases_under_tile, 0, (int)(sizeof TILE_SETS / sizeof TILE_SETS[0]));
    suite_add_tcase(s, tiles);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
