#include "cltrain/status.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const status_names[] = {
#define CT_STATUS_NAME(e, name, msg) name,
    CT_STATUS_TABLE(CT_STATUS_NAME)
#undef CT_STATUS_NAME
};

static const char *const status_messages[] = {
#define CT_STATUS_MSG(e, name, msg) msg,
    CT_STATUS_TABLE(CT_STATUS_MSG)
#undef CT_STATUS_MSG
};

/* Per thread, so concurrent callers do not overwrite each other's detail. */
static _Thread_local char last_error[2048];

const char *ct_status_name(ct_status s)
{
    return (s >= 0 && s < CT_STATUS_COUNT) ? status_names[s] : "unknown";
}

const char *ct_status_message(ct_status s)
{
    return (s >= 0 && s < CT_STATUS_COUNT) ? status_messages[s] : "unknown status";
}

const char *ct_last_error(void) { return last_error; }

void ct_clear_error(void) { last_error[0] = '\0'; }

ct_status ct_fail(ct_status s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_error, sizeof last_error, fmt, ap);
    va_end(ap);
    return s;
}

ct_status ct_fail_context(ct_status s, const char *fmt, ...)
{
    char prefix[512];
    char old[sizeof last_error];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, last_error, sizeof old);
    /* "prefix: old", cut to the buffer; pieces copied by hand because the
     * truncation is intended (and snprintf would warn about it). */
    size_t used = 0, cap = sizeof last_error - 1;
    const char *parts[3] = {prefix, ": ", old};
    for (int i = 0; i < 3 && used < cap; i++) {
        size_t len = strlen(parts[i]);
        if (len > cap - used)
            len = cap - used;
        memcpy(last_error + used, parts[i], len);
        used += len;
    }
    last_error[used] = '\0';
    return s;
}
