/* Per-column standardisation fitted on the training rows only, so nothing
 * about the validation or test rows leaks into training. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cltrain/data.h"

ct_status ct_standardizer_fit(const float *x, size_t n_cols, const size_t *idx, size_t n,
                              ct_standardizer *out)
{
    memset(out, 0, sizeof *out);
    if (!x || !idx || n_cols == 0)
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "standardisation: no data given");
    if (n == 0)
        return ct_fail(CT_ERR_DATA, "standardisation: the training split is empty");
    out->mean = calloc(n_cols, sizeof *out->mean);
    out->std = calloc(n_cols, sizeof *out->std);
    out->scale = calloc(n_cols, sizeof *out->scale);
    if (!out->mean || !out->std || !out->scale) {
        ct_standardizer_free(out);
        return ct_fail(CT_ERR_NO_MEMORY, "standardisation: out of memory for %zu columns", n_cols);
    }
    out->n_cols = n_cols;
    /* Two passes in double: mean first, then squared deviations from it (no
     * cancellation as in sum(x^2) - n*mean^2). */
    for (size_t k = 0; k < n; k++) {
        const float *row = x + idx[k] * n_cols;
        for (size_t c = 0; c < n_cols; c++)
            out->mean[c] += row[c];
    }
    for (size_t c = 0; c < n_cols; c++)
        out->mean[c] /= (double)n;
    for (size_t k = 0; k < n; k++) {
        const float *row = x + idx[k] * n_cols;
        for (size_t c = 0; c < n_cols; c++) {
            double d = row[c] - out->mean[c];
            out->std[c] += d * d;
        }
    }
    for (size_t c = 0; c < n_cols; c++) {
        out->std[c] = sqrt(out->std[c] / (double)n);
        /* A constant column: dividing by ~0 would blow up or give NaN; leave it centred. */
        double magnitude = fabs(out->mean[c]) > 1.0 ? fabs(out->mean[c]) : 1.0;
        out->scale[c] = out->std[c] <= 1e-12 * magnitude ? 1.0 : out->std[c];
    }
    return CT_OK;
}

void ct_standardizer_apply(const ct_standardizer *s, float *x, size_t n_rows)
{
    for (size_t r = 0; r < n_rows; r++) {
        float *row = x + r * s->n_cols;
        for (size_t c = 0; c < s->n_cols; c++)
            row[c] = (float)((row[c] - s->mean[c]) / s->scale[c]);
    }
}

void ct_standardizer_free(ct_standardizer *s)
{
    if (!s)
        return;
    free(s->mean);
    free(s->std);
    free(s->scale);
    memset(s, 0, sizeof *s);
}
