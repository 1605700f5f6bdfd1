/* history.csv, as `cltrain plot` reads it back. */
#include "cltrain/report.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ct_history *h = NULL;
    ct_status s = ct_history_read_csv(fuzz_file("history.csv", data, size), &h);
    fuzz_expect_message(s);
    if (s == CT_OK) {
        size_t column;
        if (ct_history_find_column(h, "loss", &column) == CT_OK) {
            int epoch;
            double best;
            ct_history_best(h, "loss", CT_MODE_MIN, &epoch, &best);
        }
        ct_clear_error();
        ct_history_free(h);
    }
    return 0;
}
