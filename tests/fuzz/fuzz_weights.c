/* weights.bin (include/cltrain/report.h): the reader, then the check that
 * every value is finite, as evaluate and predict run it. */
#include "cltrain/report.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ct_named_tensor *tensors = NULL;
    size_t n = 0;
    ct_status s = ct_weights_read(fuzz_file("weights.bin", data, size), &tensors, &n);
    fuzz_expect_message(s);
    if (s == CT_OK) {
        fuzz_expect_message(ct_weights_check_finite("weights.bin", tensors, n));
        ct_weights_free(tensors, n);
    }
    return 0;
}
