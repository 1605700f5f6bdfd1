/* Plain-C reference for the augmentation op (include/cltrain/ops_augment.h):
 * the per-sample maps drawn in float exactly as cl/augment.cl draws them,
 * then sampled in double precision. */
#ifndef CLTRAIN_REF_AUGMENT_H
#define CLTRAIN_REF_AUGMENT_H

#include <stddef.h>

#include "cltrain/ops_augment.h"

/* Sample i's map {a0, a1, a2, b0, b1, b2} for an in_h x in_w input (its
 * window for the central crop) and an out_h x out_w output. */
void ref_augment_transform(const ct_augment_params *p, size_t i, size_t in_h, size_t in_w, size_t out_h,
                           size_t out_w, float m[6]);

/* y (n, out_h, out_w, ch) from x (n, in_h, in_w, ch). */
void ref_augment(const ct_augment_params *p, size_t n, size_t in_h, size_t in_w, size_t ch, size_t out_h,
                 size_t out_w, const double *x, double *y);

#endif
