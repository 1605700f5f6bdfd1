/* A CIFAR-10 binary batch file (records of 1 label byte + 3072 pixels). */
#include "cltrain/data.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ct_image_set set;
    memset(&set, 0, sizeof set);
    ct_status s = ct_cifar10_read_batch(fuzz_file("data_batch_1.bin", data, size), 0, &set);
    fuzz_expect_message(s);
    ct_image_set_free(&set);
    return 0;
}
