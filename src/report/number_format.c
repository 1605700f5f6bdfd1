#include "report/number_format.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

const char *ct_format_double(double value, char *buf)
{
    if (isnan(value))
        return snprintf(buf, CT_DOUBLE_TEXT_MAX, "nan"), buf;
    if (isinf(value))
        return snprintf(buf, CT_DOUBLE_TEXT_MAX, value > 0 ? "inf" : "-inf"), buf;
    /* 17 significant digits always round-trip a double; fewer usually do and
     * read better, so take the first precision that does. */
    for (int precision = 1; precision < 17; precision++) {
        snprintf(buf, CT_DOUBLE_TEXT_MAX, "%.*g", precision, value);
        if (strtod(buf, NULL) == value)
            return buf;
    }
    snprintf(buf, CT_DOUBLE_TEXT_MAX, "%.17g", value);
    return buf;
}
