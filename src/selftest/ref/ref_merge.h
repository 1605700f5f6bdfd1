/* Plain-C references (double precision) for the merge layers of
 * include/cltrain/ops_merge.h. */
#ifndef CLTRAIN_REF_MERGE_H
#define CLTRAIN_REF_MERGE_H

#include <stddef.h>

/* y = x[0] + ... + x[count - 1], n values each, summed in input order. */
void ref_add_n(size_t count, size_t n, const double *const *x, double *y);

/* The inputs side by side on the last axis: x[k] is (rows, cols[k]), y is
 * (rows, sum of cols). */
void ref_concat_last(size_t count, size_t rows, const size_t *cols, const double *const *x, double *y);

#endif
