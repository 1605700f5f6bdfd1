/* The op-test table: every device op against its plain-C reference.
 *
 * A case names an op, its input shapes and value ranges, integer/float
 * parameters and tolerances. The harness (optest.c) makes seeded inputs, runs
 * the op on the device with guard elements around the output, runs the
 * reference in double precision, compares by normalised MSE, and checks the
 * device backward pass against central finite differences of the reference
 * forward, with loss L = sum(upstream * output).
 *
 * The same table backs tests/test_ops.c and `cltrain selftest`. */
#ifndef CLTRAIN_OPTEST_H
#define CLTRAIN_OPTEST_H

#include <stdio.h>

#include "cltrain/tensor.h"

#define CT_OPTEST_MAX_INPUTS 4
/* A shape entry or integer parameter of this value becomes
 * 2 * max_work_group_size + 3 on the device under test. */
#define CT_OPTEST_ABOVE_WG ((size_t)-999999)

typedef struct ct_optest_case ct_optest_case;

typedef struct {
    const char *name;
    /* Output shape from the (resolved) case. */
    ct_status (*out_shape)(const ct_optest_case *c, int *ndim, size_t *shape);
    /* Device forward: out = op(in[0..n_in-1]). */
    ct_status (*forward)(ct_context *ctx, const ct_optest_case *c, const ct_tensor *in, ct_tensor *out);
    /* Reference forward in double precision. */
    void (*ref_forward)(const ct_optest_case *c, const double *const *in, double *out);
    /* Device backward (NULL: forward-only op). grad_in[i].buf is NULL for an
     * input without gradient; the op overwrites (not accumulates) grad_in. */
    ct_status (*backward)(ct_context *ctx, const ct_optest_case *c, const ct_tensor *in, const ct_tensor *out,
                          const ct_tensor *grad_out, ct_tensor *grad_in);
    /* NULL: runs everywhere. Otherwise 0 = skipped on this device (reported). */
    int (*supports)(ct_context *ctx, const ct_optest_case *c);
} ct_optest_op;

typedef struct {
    int ndim;
    size_t shape[CT_MAX_DIMS];
    float lo, hi; /* uniform init range */
    int integer;  /* values are floor()ed: labels, indices */
    int grad;     /* 1: check the gradient with respect to this input */
} ct_optest_input;

struct ct_optest_case {
    const ct_optest_op *op;
    const char *label; /* what makes the case special: "odd primes", "stride 2 same" */
    int n_in;
    ct_optest_input in[CT_OPTEST_MAX_INPUTS];
    long ip[8];  /* op-specific integer parameters */
    float fp[4]; /* op-specific float parameters */
    double tol_forward; /* normalised MSE bound, forward */
    double tol_grad;    /* normalised MSE bound, gradients (0: 1e-4) */
};

typedef struct {
    unsigned passed, failed, skipped;
} ct_optest_counts;

typedef struct {
    const char *family;
    const ct_optest_case *cases;
    size_t count;
} ct_optest_family;

/* All families, NULL-terminated (registry.c). */
extern const ct_optest_family *const ct_optest_families[];

/* Run one case; writes one line per failure/skip (and per pass if verbose) to log. */
ct_status ct_optest_run_case(ct_context *ctx, const ct_optest_case *c, FILE *log, int verbose,
                             ct_optest_counts *counts);

/* Run every case whose op name contains `filter` (NULL: all). Cases named in
 * CLTRAIN_SELFTEST_SKIP (comma-separated op names) or larger than
 * CLTRAIN_SELFTEST_MAX_ELEMENTS elements in an input or the output are
 * counted as skipped: a simulator (tools/oclgrind_check.sh) runs the rest. */
ct_status ct_optest_run_all(ct_context *ctx, const char *filter, FILE *log, int verbose, ct_optest_counts *counts);

/* Helpers for op files. */
/* Inline so that the case files, which the runner reaches through the
 * registry, do not call back into optest.c. */
static inline size_t ct_optest_count(int ndim, const size_t *shape)
{
    size_t n = 1;
    for (int i = 0; i < ndim; i++)
        n *= shape[i];
    return n;
}

#define CT_OPTEST_FAMILY(name, array) {(name), (array), sizeof(array) / sizeof((array)[0])}

#endif
