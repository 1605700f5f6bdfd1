/* features.csv of a run directory (ct_features_read, cltrain/report.h). */
#include "cltrain/report.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ct_feature_columns f;
    memset(&f, 0, sizeof f);
    fuzz_expect_message(ct_features_read(fuzz_file("features.csv", data, size), &f));
    ct_feature_columns_free(&f);
    return 0;
}
