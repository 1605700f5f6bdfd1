/* The one edit distance behind every "did you mean ...?" (misspelled column
 * names in data/suggest.c, keys and values of experiment files in
 * experiment/suggest.c). */
#ifndef CLTRAIN_CORE_EDIT_DISTANCE_H
#define CLTRAIN_CORE_EDIT_DISTANCE_H

#include <stdbool.h>
#include <stddef.h>

/* Case-insensitive edit distance between a and b: insertions, deletions and
 * substitutions cost one edit each (Levenshtein); with swaps, exchanging two
 * neighbouring characters is one edit too (optimal string alignment).
 * SIZE_MAX when out of memory. */
size_t ct_edit_distance(const char *a, const char *b, bool swaps);

#endif
