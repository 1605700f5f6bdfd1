/* Plain-C references for Add and Concatenate (see ref_merge.h). */
#include "selftest/ref/ref_merge.h"

void ref_add_n(size_t count, size_t n, const double *const *x, double *y)
{
    for (size_t i = 0; i < n; i++) {
        double sum = x[0][i];
        for (size_t k = 1; k < count; k++)
            sum += x[k][i];
        y[i] = sum;
    }
}

void ref_concat_last(size_t count, size_t rows, const size_t *cols, const double *const *x, double *y)
{
    size_t width = 0;
    for (size_t k = 0; k < count; k++)
        width += cols[k];
    for (size_t r = 0; r < rows; r++) {
        size_t at = r * width;
        for (size_t k = 0; k < count; k++)
            for (size_t c = 0; c < cols[k]; c++)
                y[at++] = x[k][r * cols[k] + c];
    }
}
