/* The devices a test suite runs on: every device, or the one named by
 * CLTRAIN_TEST_DEVICE (same syntax as --device). Header-only so each test
 * program stays one file. Contexts are created inside each test, after
 * Check forks. */
#ifndef CLTRAIN_TEST_DEVICES_H
#define CLTRAIN_TEST_DEVICES_H

#include <check.h>
#include <stdlib.h>

#include "cltrain/device.h"

static inline size_t test_devices(ct_device_info **out)
{
    ct_device_info *all;
    size_t count;
    ct_status s = ct_device_list(&all, &count);
    ck_assert_msg(s == CT_OK, "no OpenCL device for the tests: %s", ct_last_error());
    const char *spec = getenv("CLTRAIN_TEST_DEVICE");
    if (spec && *spec) {
        size_t index;
        s = ct_device_select(all, count, spec, &index);
        ck_assert_msg(s == CT_OK, "CLTRAIN_TEST_DEVICE=%s: %s", spec, ct_last_error());
        all[0] = all[index];
        count = 1;
    }
    *out = all;
    return count;
}

#endif
