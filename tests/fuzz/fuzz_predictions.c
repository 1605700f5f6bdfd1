/* predictions.csv, as `cltrain plot` reads it. */
#include "fuzz_util.h"
#include "plot/run_reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    run_predictions p = {0};
    ct_status s = run_predictions_read(fuzz_file("predictions.csv", data, size), &p);
    fuzz_expect_message(s);
    if (s == CT_OK)
        run_predictions_free(&p);
    return 0;
}
