/* Experiment YAML and --set overrides: the input is the YAML text, then
 * optionally NUL-separated `KEY.PATH=VALUE` assignments. A file that parses
 * is validated and written back as YAML, which must parse again. */
#include <stdio.h>

#include "cltrain/experiment.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_text(data, size);
    ct_experiment *exp = NULL;
    ct_status s = ct_experiment_parse_string(text, "fuzz.yaml", &exp);
    fuzz_expect_message(s);
    if (s == CT_OK) {
        for (const char *set = text + strlen(text) + 1; set < text + size + 1 && set <= text + size;
             set += strlen(set) + 1)
            if (*set)
                fuzz_expect_message(ct_experiment_set(exp, set));
        fuzz_expect_message(ct_experiment_validate(exp));
        char *yaml = NULL;
        size_t len = 0;
        FILE *out = open_memstream(&yaml, &len);
        if (!out)
            abort();
        s = ct_experiment_write_yaml(exp, out);
        fclose(out);
        fuzz_expect_message(s);
        if (s == CT_OK) {
            ct_experiment *again = NULL;
            if (ct_experiment_parse_string(yaml, "written.yaml", &again) != CT_OK)
                abort(); /* what cltrain writes, cltrain must read */
            ct_experiment_free(again);
        }
        free(yaml);
    }
    ct_experiment_free(exp);
    free(text);
    return 0;
}
