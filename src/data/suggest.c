/* "Did you mean" suggestions for misspelled column names. */
#include "data/internal.h"

#include <stdint.h>
#include <string.h>

#include "core/edit_distance.h"

const char *ct_data_closest_name(const char *name, char *const *candidates, size_t n)
{
    /* A typo, a case slip or a missing letter or two; not an unrelated name. */
    size_t len = strlen(name);
    size_t limit = len / 3 > 2 ? len / 3 : 2;
    const char *best = NULL;
    size_t best_distance = SIZE_MAX;
    for (size_t i = 0; i < n; i++) {
        size_t d = ct_edit_distance(name, candidates[i], false); /* Levenshtein */
        if (d < best_distance) {
            best_distance = d;
            best = candidates[i];
        }
    }
    return best_distance <= limit ? best : NULL;
}
