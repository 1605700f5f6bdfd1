/* Plain-C references (double precision) for the data ops of
 * include/cltrain/batch.h that the op table checks. */
#ifndef CLTRAIN_REF_DATA_H
#define CLTRAIN_REF_DATA_H

#include <stddef.h>

/* out row r = src row (idx ? idx[first + r] : first + r) * scale, rows of len
 * values; src holds 8-bit values (0..255), idx row numbers. */
void ref_gather_u8_scaled(size_t rows, size_t len, const double *src, const double *idx, size_t first, double scale,
                          double *out);

#endif
