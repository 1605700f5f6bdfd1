/* Plain-C references of the training kernels outside the layer ops: the
 * optimizer rules (cl/optim.cl), the epoch shuffle and the batch gather
 * (cl/data.cl). Double precision, one parameter at a time. */
#ifndef CLTRAIN_REF_TRAIN_H
#define CLTRAIN_REF_TRAIN_H

#include <stddef.h>
#include <stdint.h>

/* Keras 3's update rules (keras/src/optimizers/{adam,sgd,rmsprop}.py) on n
 * parameters; the state arrays start at zero before step 1 and are updated
 * in place. t is the 1-based step number. */
void ref_adam_step(size_t n, double *w, const double *g, double *m, double *v, uint64_t t, double learning_rate,
                   double beta_1, double beta_2, double epsilon);
void ref_sgd_step(size_t n, double *w, const double *g, double *u, double learning_rate, double momentum,
                  int nesterov);
void ref_rmsprop_step(size_t n, double *w, const double *g, double *v, double *s, double learning_rate, double rho,
                      double momentum, double epsilon);

/* The epoch permutation of 0..n-1: Fisher-Yates from the last position down,
 * position i swapped with mix(key ^ i) % (i + 1), key from (seed, epoch). */
void ref_shuffle_indices(uint32_t n, uint64_t seed, uint64_t epoch, uint32_t *idx);

/* dst row r = src row idx[first + r], rows of len values. */
void ref_gather_rows(size_t rows, size_t first, const uint32_t *idx, size_t len, const double *src, double *dst);

#endif
