/* Functions shared between the data module's files, not part of the API. */
#ifndef CLTRAIN_DATA_INTERNAL_H
#define CLTRAIN_DATA_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cltrain/data.h"

/* CT_ERR_DATA naming the cell's line, column and text (csv.c). */
ct_status ct_data_cell_error(const ct_table *t, const ct_cell_problem *p);

/* The candidate closest to `name` by case-insensitive edit distance, or NULL
 * when none is close enough to be a plausible typo (suggest.c). */
const char *ct_data_closest_name(const char *name, char *const *candidates, size_t n);

/* Counter-based random numbers (random.c): the same (seed, purpose, counter)
 * gives the same value on every machine, whatever was drawn before. */
uint64_t ct_data_random(uint64_t seed, uint64_t purpose, uint64_t counter);
/* Uniform in [0, bound) from one 64-bit draw (bias below bound / 2^64). */
uint64_t ct_data_random_below(uint64_t random64, uint64_t bound);

/* numpy.random.RandomState(seed).permutation(n) into out[0..n), value for
 * value: the order sklearn's train_test_split(random_state=seed) takes
 * samples in (numpy_random.c). */
ct_status ct_data_numpy_permutation(uint32_t seed, size_t n, size_t *out);

/* Downloads url into `part` (opened for appending; part_path names it in
 * messages), resuming from its current size with an HTTP Range request (a
 * server that ignores it makes us start over). CT_OK when the transfer
 * completed; CT_ERR_NETWORK with curl's reason otherwise; what arrived stays
 * in the file for the next try (download.c). */
ct_status ct_data_download(const char *url, FILE *part, const char *part_path);

/* Unpacks the .tar.gz `archive`, whose top folder is `name`, into dir/name:
 * first into a fresh temporary folder inside dir, then renamed, so an
 * interrupted unpack never looks complete (untar.c). */
ct_status ct_data_untar(const char *archive, const char *dir, const char *name);

#endif
