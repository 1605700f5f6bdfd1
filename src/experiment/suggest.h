/* "did you mean ...?" for unknown keys and values. */
#ifndef CLTRAIN_EXPERIMENT_SUGGEST_H
#define CLTRAIN_EXPERIMENT_SUGGEST_H

#include <stddef.h>

/* Case-insensitive optimal-string-alignment distance (insert, delete,
 * substitute, swap two neighbours: one edit each). Words longer than 64
 * bytes compare as far apart. */
size_t xp_edit_distance(const char *a, const char *b);

/* The candidate closest to word if it is close enough to be a likely typo
 * (1 edit for short words, up to 3 for long ones), else NULL. Ties go to the
 * earlier candidate. */
const char *xp_suggest(const char *word, const char *const *candidates, size_t count);

#endif
