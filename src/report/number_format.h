/* Number formatting shared by the report writers (private). */
#ifndef CLTRAIN_REPORT_NUMBER_FORMAT_H
#define CLTRAIN_REPORT_NUMBER_FORMAT_H

#include <stddef.h>

/* Longest text ct_format_double writes, with its terminator. */
#define CT_DOUBLE_TEXT_MAX 32

/* The shortest "%g" text that strtod reads back to exactly `value` ("0.1",
 * "3.2150000000000001" only when needed, "1e+20"); "nan", "inf", "-inf" for
 * the rest. Returns buf (at least CT_DOUBLE_TEXT_MAX bytes). */
const char *ct_format_double(double value, char *buf);

#endif
