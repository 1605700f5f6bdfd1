/* References for the data ops (see ref_data.h). */
#include "selftest/ref/ref_data.h"

void ref_gather_u8_scaled(size_t rows, size_t len, const double *src, const double *idx, size_t first, double scale,
                          double *out)
{
    for (size_t r = 0; r < rows; r++) {
        size_t j = idx ? (size_t)idx[first + r] : first + r;
        for (size_t c = 0; c < len; c++)
            out[r * len + c] = src[j * len + c] * scale;
    }
}
