/* The op-test table on every device: one Check test per op family, so a
 * failing family names itself and the others still run. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>

#include "selftest/optest.h"
#include "test_devices.h"

static size_t family_count(void)
{
    size_t n = 0;
    while (ct_optest_families[n])
        n++;
    return n;
}

START_TEST(test_family)
{
    const ct_optest_family *f = ct_optest_families[_i];
    ct_device_info *devices;
    size_t count = test_devices(&devices);
    unsigned failed = 0, passed = 0;
    for (size_t d = 0; d < count; d++) {
        ct_context *ctx;
        ck_assert_msg(ct_context_create(&devices[d], &ctx) == CT_OK, "%s", ct_last_error());
        ct_optest_counts counts = {0, 0, 0};
        printf("%s on %s:\n", f->family, devices[d].name);
        for (size_t i = 0; i < f->count; i++)
            ck_assert_msg(ct_optest_run_case(ctx, &f->cases[i], stdout, 0, &counts) == CT_OK, "%s",
                          ct_last_error());
        printf("  %u passed, %u failed, %u skipped\n", counts.passed, counts.failed, counts.skipped);
        fflush(stdout);
        failed += counts.failed;
        passed += counts.passed;
        ct_context_destroy(ctx);
    }
    free(devices);
    ck_assert_msg(failed == 0, "%s: %u case(s) failed (details above)", f->family, failed);
    ck_assert_msg(passed > 0, "%s: no case ran on any device", f->family);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("ops");
    TCase *tc = tcase_create("op table");
    tcase_set_timeout(tc, 1200);
    tcase_add_loop_test(tc, test_family, 0, (int)family_count());
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
