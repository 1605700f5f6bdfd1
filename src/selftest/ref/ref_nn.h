/* Plain-C references (double precision) for the neural-network ops of
 * include/cltrain/ops_nn.h. Matrices are (rows, cols) row-major: the last
 * axis is the columns, everything else the rows. */
#ifndef CLTRAIN_REF_NN_H
#define CLTRAIN_REF_NN_H

#include <stddef.h>
#include <stdint.h>

#include "cltrain/ops_nn.h"

/* The activation's parameter (leaky_relu slope, elu alpha; 0 otherwise). */
double ref_activation_param(ct_activation act);

/* y = act(x + bias) over (rows, cols); bias (cols) may be NULL; softmax per row. */
void ref_bias_activation(ct_activation act, size_t rows, size_t cols, const double *x, const double *bias,
                         double *y);

/* Philox-4x32-10 exactly as cl/philox.cl. */
void ref_philox4x32_10(const uint32_t counter[4], const uint32_t key[2], uint32_t out[4]);

/* The dropout multiplier of element i (0 or the float scale 1/(1-rate)),
 * bit-identical to the device's choice. */
double ref_dropout_multiplier(const ct_dropout_params *p, uint64_t i);
void ref_dropout(const ct_dropout_params *p, size_t n, const double *x, double *y);

/* Batch normalisation of (rows, cols) over the rows. training: batch
 * statistics (biased variance), and when mean_out/var_out are not NULL the
 * batch mean and variance (cols each). Otherwise moving_mean and
 * moving_variance are used. */
void ref_batchnorm(int training, double epsilon, size_t rows, size_t cols, const double *x, const double *gamma,
                   const double *beta, const double *moving_mean, const double *moving_variance, double *y,
                   double *mean_out, double *var_out);

#endif
