/* `cltrain tune [--device SPEC] [--only gemm|conv] [--dry-run]`: times the
 * own GEMM's tile candidates and the tiled and Winograd conv kernels' tile
 * candidates on one device and caches the fastest of each for later runs. */
#include <stdio.h>
#include <string.h>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "cltrain/conv_tune.h"
#include "cltrain/tune.h"
#include "core/prebuild.h"

static void print_row(const ct_tune_result *r, size_t index, size_t count, void *user)
{
    (void)user;
    char tile[64];
    printf("  %zu/%zu  %-16s", index + 1, count, ct_gemm_tile_str(&r->tile, 1, tile, sizeof tile));
    if (!r->ok) {
        printf("  failed: %s\n", r->detail);
    } else {
        for (size_t s = 0; s < CT_TUNE_SHAPES; s++)
            printf(" %9.1f", r->gflops[s]);
        printf(" %9.1f  (built in %.1f s)\n", r->score, r->build_seconds);
    }
    fflush(stdout);
}

typedef struct {
    unsigned width;
    ct_conv_tune_kind kind;
} conv_print;

static void print_conv_row(const ct_conv_tune_result *r, size_t index, size_t count, void *user)
{
    const conv_print *c = user;
    char tile[64];
    printf("  %zu/%zu  %-16s", index + 1, count, ct_conv_tile_str(&r->tile, c->width, 1, tile, sizeof tile));
    if (!r->ok) {
        printf("  failed: %s\n", r->detail);
    } else {
        for (size_t s = 0; s < CT_CONV_TUNE_PARTS; s++)
            printf(" %9.1f", r->gflops[s]);
        printf(" %9.1f  (built in %.1f s)\n", r->score, r->build_seconds);
    }
    fflush(stdout);
}

static int tune_gemm(const ct_device_info *info, int dry)
{
    char tile[64];
    printf("Tuning the own GEMM on %s (arch %s, float%u, %u vector registers)\n", info->name, info->profile.arch,
           info->profile.vector_floats, info->profile.vector_registers);
    printf("  in use now: %s (%s)\n", ct_gemm_tile_str(&info->profile.gemm, 1, tile, sizeof tile),
           ct_tile_origin_name(info->profile.gemm_origin));
    printf("  GFLOP per CPU-second (the best of 3 rounds, each the median of 3 timings):\n  #    tile            ");
    for (size_t i = 0; i < CT_TUNE_SHAPES; i++)
        printf(" %9s", ct_gemm_tune_shape_label(i));
    printf(" %9s\n", "geomean");
    printf("  (");
    for (size_t i = 0; i < CT_TUNE_SHAPES; i++)
        printf("%s%s = %s", i ? ", " : "", ct_gemm_tune_shape_label(i), ct_gemm_tune_shape_name(i));
    printf(")\n");
    ct_tune_result results[CT_TUNE_MAX_CANDIDATES];
    size_t count = 0, best = 0;
    ct_status s = ct_gemm_tune(info, results, &count, &best, print_row, NULL);
    if (s != CT_OK)
        return ct_cli_error(s);
    const ct_tune_result *w = &results[best];
    printf("Fastest: %s, %.1f GFLOP/s (geometric mean; the default %s: %.1f)\n",
           ct_gemm_tile_str(&w->tile, 1, tile, sizeof tile), w->score,
           ct_gemm_tile_str(&results[0].tile, 1, (char[64]){0}, 64), results[0].ok ? results[0].score : 0.0);
    if (dry)
        return 0;
    char note[160];
    snprintf(note, sizeof note, "cltrain tune: %.1f GFLOP/s geometric mean over %d shapes (default tile %.1f)",
             w->score, CT_TUNE_SHAPES, results[0].ok ? results[0].score : 0.0);
    s = ct_gemm_tune_save(info, &w->tile, note);
    if (s != CT_OK)
        return ct_cli_error(s);
    printf("Cached for %s; runs on this device now use it.\n", info->name);
    return 0;
}

static int tune_conv(const ct_device_info *info, ct_conv_tune_kind kind, int dry)
{
    char tile[64], def[64];
    conv_print cp = {ct_profile_kernel_vector(&info->profile), kind};
    const ct_conv_tile *now = kind == CT_CONV_TUNE_WINOGRAD ? &info->profile.winograd : &info->profile.conv;
    ct_tile_origin origin = kind == CT_CONV_TUNE_WINOGRAD ? info->profile.winograd_origin : info->profile.conv_origin;
    printf("Tuning the %s conv kernels' tile on %s (float%u, %u vector registers)\n", ct_conv_tune_kind_name(kind),
           info->name, cp.width, info->profile.vector_registers);
    printf("  in use now: %s (%s)\n", ct_conv_tile_str(now, cp.width, 1, tile, sizeof tile),
           ct_tile_origin_name(origin));
    printf("  GFLOP per CPU-second (the best of 3 rounds, each the median of 3 timings; batch 8):\n"
           "  #    tile            ");
    for (size_t i = 0; i < CT_CONV_TUNE_PARTS; i++)
        printf(" %9s", ct_conv_tune_part_label(kind, i));
    printf(" %9s\n", "geomean");
    printf("  (");
    for (size_t i = 0; i < CT_CONV_TUNE_PARTS; i++)
        printf("%s%s = %s", i ? ", " : "", ct_conv_tune_part_label(kind, i), ct_conv_tune_part_name(kind, i));
    printf(")\n");
    ct_conv_tune_result results[CT_CONV_TUNE_MAX_CANDIDATES];
    size_t count = 0, best = 0;
    ct_status s = ct_conv_tune(info, kind, results, &count, &best, print_conv_row, &cp);
    if (s != CT_OK)
        return ct_cli_error(s);
    const ct_conv_tune_result *w = &results[best];
    printf("Fastest: %s, %.1f GFLOP/s (geometric mean; the default %s: %.1f)\n",
           ct_conv_tile_str(&w->tile, cp.width, 1, tile, sizeof tile), w->score,
           ct_conv_tile_str(&results[0].tile, cp.width, 1, def, sizeof def), results[0].ok ? results[0].score : 0.0);
    if (dry)
        return 0;
    char note[160];
    snprintf(note, sizeof note, "cltrain tune: %.1f GFLOP/s geometric mean over %d %s conv passes (default tile %.1f)",
             w->score, CT_CONV_TUNE_PARTS, ct_conv_tune_kind_name(kind), results[0].ok ? results[0].score : 0.0);
    s = ct_conv_tune_save(info, kind, &w->tile, note);
    if (s != CT_OK)
        return ct_cli_error(s);
    printf("Cached for %s; runs on this device now use it.\n", info->name);
    return 0;
}

int ct_cmd_tune(int argc, char **argv)
{
    /* Timings: no compile-ahead helper busy beside them (each candidate's
     * kernels are compiled before they are timed anyway). */
    ct_prebuild_set_helper(NULL, NULL);
    const char *spec = NULL;
    int dry = 0, gemm = 1, conv = 1;
    for (int i = 1; i < argc; i++) {
        const char *v;
        if ((v = ct_cli_option(argc, argv, &i, "--device")))
            spec = v;
        else if ((v = ct_cli_option(argc, argv, &i, "--only"))) {
            gemm = !strcmp(v, "gemm");
            conv = !strcmp(v, "conv");
            if (!gemm && !conv) {
                fprintf(stderr, "cltrain tune: --only takes 'gemm' or 'conv', not '%s'\n", v);
                return 2;
            }
        } else if (!strcmp(argv[i], "--dry-run"))
            dry = 1;
        else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("usage: cltrain tune [--device SPEC] [--only gemm|conv] [--dry-run]\n"
                   "Times the register tiles that suit the device (a few, each built once) of the own\n"
                   "GEMM kernel on a few GEMM shapes, and of the tiled and of the Winograd conv kernels\n"
                   "on the CIFAR nets' conv passes they run, and caches the fastest of each for this\n"
                   "device, driver and kernel source; later runs use them (see `cltrain devices`).\n"
                   "--only gemm or conv (both conv tiles) tunes one part; --dry-run measures without\n"
                   "caching. CLTRAIN_GEMM_TILE=RxC/W/K, CLTRAIN_CONV_TILE=RxC (e.g. 6x16; both conv\n"
                   "tiles) and CLTRAIN_WINOGRAD_TILE=RxC (the Winograd one) override the cache.\n");
            return 0;
        } else {
            fprintf(stderr, "cltrain tune: unknown option '%s' (try --help)\n", argv[i]);
            return 2;
        }
    }
    ct_device_info info;
    ct_status s = ct_device_find(ct_device_spec_from_env(spec), &info);
    if (s != CT_OK)
        return ct_cli_error(s);
    int rc = gemm ? tune_gemm(&info, dry) : 0;
    for (int kind = CT_CONV_TUNE_TILED; conv && rc == 0 && kind <= CT_CONV_TUNE_WINOGRAD; kind++) {
        if (gemm || kind > CT_CONV_TUNE_TILED)
            printf("\n");
        rc = tune_conv(&info, (ct_conv_tune_kind)kind, dry);
    }
    return rc;
}
