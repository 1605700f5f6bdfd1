#include "experiment/suggest.h"

#include <string.h>

#include "core/edit_distance.h"

#define MAX_WORD 64

size_t xp_edit_distance(const char *a, const char *b)
{
    if (strlen(a) > MAX_WORD || strlen(b) > MAX_WORD)
        return (size_t)-1;
    return ct_edit_distance(a, b, true);
}

const char *xp_suggest(const char *word, const char *const *candidates, size_t count)
{
    size_t len = strlen(word);
    /* Short words have many neighbours: "sgd" is 3 edits from "adam" and means
     * nothing of the kind, so allow fewer edits the shorter the word. */
    size_t allowed = len <= 4 ? 1 : len <= 8 ? 2 : 3;
    const char *best = NULL;
    size_t best_distance = (size_t)-1;
    for (size_t i = 0; i < count; i++) {
        size_t d = xp_edit_distance(word, candidates[i]);
        if (d <= allowed && d < best_distance) {
            best = candidates[i];
            best_distance = d;
        }
    }
    return best;
}
