/* Plain-C reference for the optimizers AdamW, Nadam and Adagrad and for
 * gradient clipping (include/cltrain/optim.h), in double precision, the
 * formulas of Keras 3 written out. */
#ifndef CLTRAIN_REF_OPTIM_MORE_H
#define CLTRAIN_REF_OPTIM_MORE_H

#include <stddef.h>

#include "cltrain/optimizer_spec.h"

/* Clips the gradients of n parameters in place as spec->clip says; the
 * first `split` belong to one tensor, the rest to a second (split 0 or n:
 * one tensor). */
void ref_clip_gradients(const ct_clip_spec *clip, size_t n, size_t split, double *g);

/* One step t (1-based) of spec for kinds adamw, nadam and adagrad on n
 * parameters: w, the moments m and v (Adagrad's accumulator in v, which the
 * caller starts at initial_accumulator_value) and Nadam's running product
 * *u_product (start 1). g: the clipped gradients. */
void ref_optimizer_step(const ct_optimizer_spec *spec, int t, size_t n, const double *g, double *w, double *m,
                        double *v, double *u_product);

#endif
