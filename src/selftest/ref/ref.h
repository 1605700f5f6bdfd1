/* Plain-C reference implementations of cltrain's ops, in double precision.
 * Slow and obvious on purpose: they are what the device kernels are checked
 * against. Layouts match the device ops (row-major, NHWC). */
#ifndef CLTRAIN_REF_H
#define CLTRAIN_REF_H

#include <stddef.h>

void ref_add(size_t n, const double *a, const double *b, double *y);
void ref_mul(size_t n, const double *a, const double *b, double *y);
void ref_scale(size_t n, double alpha, const double *x, double *y);
void ref_relu(size_t n, const double *x, double *y);
double ref_sum(size_t n, const double *x);

/* C = alpha op(A) op(B) + beta C, row-major with leading dimensions. */
void ref_gemm(int trans_a, int trans_b, size_t m, size_t n, size_t k, double alpha, const double *a, size_t lda,
              const double *b, size_t ldb, double beta, double *c, size_t ldc);

#endif
