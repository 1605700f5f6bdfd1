/* PNG and JPEG loading for `predict` and `inspect --image`, then the
 * resize to a model's 32x32 input. */
#include "cltrain/data.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t w = 0, h = 0;
    float *rgb = NULL;
    ct_status s = ct_image_read(fuzz_file("image", data, size), &w, &h, &rgb);
    fuzz_expect_message(s);
    if (s == CT_OK) {
        float *small = NULL;
        fuzz_expect_message(ct_image_resize(rgb, w, h, 3, 32, 32, &small));
        free(small);
        free(rgb);
    }
    return 0;
}
