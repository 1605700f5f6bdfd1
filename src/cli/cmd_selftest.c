/* `cltrain selftest`: the op-test table (the one the test suite runs) on one
 * device or all, so a user with new hardware sees op by op that it computes
 * correctly. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "selftest/optest.h"

/* run_on's results: 0 all passed, 1 some case failed, DEVICE_SKIPPED the
 * device cannot run cltrain at all (no context, a program fails to build). */
#define DEVICE_SKIPPED 2

static int run_on(const ct_device_info *info, const char *filter, int verbose, ct_optest_counts *total)
{
    printf("== %u:%u %s (%s)\n", info->platform_index, info->device_index, info->name, info->platform_name);
    fflush(stdout);
    ct_context *ctx;
    ct_status s = ct_context_create(info, &ctx);
    if (s != CT_OK) {
        printf("   device skipped: %s\n", ct_last_error());
        return DEVICE_SKIPPED;
    }
    /* Every program first: a device whose compiler fails is reported once,
     * with the build log, instead of failing op by op. */
    ct_build_report built;
    s = ct_context_build_all(ctx, &built);
    if (s != CT_OK) {
        printf("   device skipped: %s\n", ct_last_error());
        ct_context_destroy(ctx);
        return DEVICE_SKIPPED;
    }
    printf("   kernels: %u compiled, %u from the cache (%.2f s)\n", built.compiled, built.from_cache, built.seconds);
    ct_optest_counts counts = {0, 0, 0};
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    s = ct_optest_run_all(ctx, filter, stdout, verbose, &counts);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    ct_context_destroy(ctx);
    if (s != CT_OK) {
        printf("   error: %s\n", ct_last_error());
        return 1;
    }
    printf("   %u passed, %u failed, %u skipped (%.1f s)\n", counts.passed, counts.failed, counts.skipped,
           (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9);
    total->passed += counts.passed;
    total->failed += counts.failed;
    total->skipped += counts.skipped;
    return counts.failed ? 1 : 0;
}

int ct_cmd_selftest(int argc, char **argv)
{
    const char *spec = NULL, *filter = NULL;
    int all = 0, verbose = 0;
    size_t skipped_devices = 0;
    for (int i = 1; i < argc; i++) {
        const char *v;
        if ((v = ct_cli_option(argc, argv, &i, "--device")))
            spec = v;
        else if ((v = ct_cli_option(argc, argv, &i, "--filter")))
            filter = v;
        else if (!strcmp(argv[i], "--all"))
            all = 1;
        else if (!strcmp(argv[i], "--verbose") || !strcmp(argv[i], "-v")) {
            verbose = 1;
            ct_cli_show_build_logs();
        }
        else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("usage: cltrain selftest [--device SPEC | --all] [--filter OP] [--verbose]\n"
                   "Runs every op (forward, and backward against finite differences) on the device\n"
                   "and compares with cltrain's plain-C reference. Exit status 1 if any op fails.\n"
                   "--verbose prints each case, and the OpenCL compiler's output per program.\n");
            return 0;
        } else {
            fprintf(stderr, "cltrain selftest: unknown option '%s' (try --help)\n", argv[i]);
            return 2;
        }
    }
    ct_device_info *devices;
    size_t count, chosen;
    ct_status s = ct_device_list(&devices, &count);
    if (s != CT_OK)
        return ct_cli_error(s);
    int failed = 0;
    ct_optest_counts total = {0, 0, 0};
    if (all) {
        /* Enumerating many devices: one that cannot build is reported and
         * skipped; the others still count. */
        for (size_t d = 0; d < count; d++) {
            int r = run_on(&devices[d], filter, verbose, &total);
            failed |= r == 1;
            skipped_devices += r == DEVICE_SKIPPED;
        }
        if (skipped_devices == count)
            failed = 1; /* nothing could run at all */
    } else {
        s = ct_device_select(devices, count, ct_device_spec_from_env(spec), &chosen);
        if (s != CT_OK) {
            free(devices);
            return ct_cli_error(s);
        }
        failed = run_on(&devices[chosen], filter, verbose, &total);
    }
    free(devices);
    printf("selftest: %u passed, %u failed, %u skipped", total.passed, total.failed, total.skipped);
    if (skipped_devices)
        printf(" (%zu device%s skipped)", skipped_devices, skipped_devices == 1 ? "" : "s");
    printf("\n");
    return failed ? 1 : 0;
}
