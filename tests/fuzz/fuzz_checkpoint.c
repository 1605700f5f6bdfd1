/* checkpoint.bin (include/cltrain/report.h): the reader, the position a
 * resume starts from, and the weights that evaluate and predict take from an
 * unfinished run's checkpoint. */
#include "cltrain/report.h"
#include "fuzz_util.h"
#include "run/checkpoint_io.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_file("checkpoint.bin", data, size);
    ct_checkpoint *c = NULL;
    ct_status s = ct_checkpoint_read(path, &c);
    fuzz_expect_message(s);
    if (s == CT_OK) {
        int epoch;
        uint64_t batch;
        bool finished;
        fuzz_expect_message(ct_run_checkpoint_position(c, &epoch, &batch, &finished));
        ct_checkpoint_free(c);
        /* The folder holds checkpoint.bin alone: an unfinished run's weights come from it. */
        char dir[320];
        snprintf(dir, sizeof dir, "%s", path);
        *strrchr(dir, '/') = '\0';
        ct_named_tensor *tensors = NULL;
        size_t n = 0;
        bool final;
        char source[512];
        s = ct_run_weights_read(dir, &tensors, &n, &final, source, sizeof source);
        fuzz_expect_message(s);
        if (s == CT_OK)
            ct_weights_free(tensors, n);
    }
    return 0;
}
