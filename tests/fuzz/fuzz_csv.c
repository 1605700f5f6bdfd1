/* The CSV reader, then sample selection with the first column as target
 * and a shift taken from the first byte (the target-shift row arithmetic). */
#include "cltrain/data.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ct_table t;
    ct_status s = ct_csv_parse("fuzz.csv", (const char *)data, size, &t);
    fuzz_expect_message(s);
    if (s != CT_OK)
        return 0;
    if (t.n_cols >= 2) {
        ct_tabular_options o;
        ct_tabular_options_init(&o);
        o.target = t.names[0];
        o.shift = size ? data[0] % 8 : 0;
        o.drop_missing = size > 1 && (data[1] & 1);
        ct_tabular d;
        s = ct_tabular_from_table(&t, &o, &d);
        fuzz_expect_message(s);
        if (s == CT_OK)
            ct_tabular_free(&d);
    }
    ct_table_free(&t);
    return 0;
}
