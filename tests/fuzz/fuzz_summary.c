/* The run-directory readers of `cltrain plot` and `predict`: summary.yaml
 * and the labels of config.yaml (the same bytes through both). */
#include "fuzz_util.h"
#include "plot/run_reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    run_summary summary = {0};
    ct_status s = run_summary_read(fuzz_file("summary.yaml", data, size), &summary);
    fuzz_expect_message(s);
    run_summary_free(&summary);
    run_labels labels = {0};
    s = run_labels_read(fuzz_file("config.yaml", data, size), &labels);
    fuzz_expect_message(s);
    run_labels_free(&labels);
    return 0;
}
