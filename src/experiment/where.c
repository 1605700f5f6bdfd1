/* ct_experiment_where(): the place in the file (or the --set) a key path
 * came from. Apart from experiment.c so that the cross-field checks
 * (validate.c), which point into the file, and the loader, which runs them,
 * do not call each other. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cltrain/experiment.h"
#include "experiment/keypath.h"
#include "experiment/source.h"
#include "experiment/validate.h"

const char *ct_experiment_where(const ct_experiment *exp, const char *key_path_text, char *buf, size_t size)
{
    if (!buf || size == 0)
        return buf;
    if (!exp || !exp->source || !exp->source->root) {
        snprintf(buf, size, "%s", exp && exp->source_path ? exp->source_path : "experiment");
        return buf;
    }
    const ynode *node = exp->source->root;
    key_path path;
    /* A malformed path falls back to the file's start; it must not replace
     * the error detail the caller may be about to extend. */
    char saved[2048];
    snprintf(saved, sizeof saved, "%s", ct_last_error());
    if (key_path_text && xp_key_path_parse(key_path_text, strlen(key_path_text), "", &path) == CT_OK) {
        node = xp_key_path_find(node, &path);
        xp_key_path_free(&path);
    }
    ct_fail(CT_OK, "%s", saved);
    ynode_where(node, buf, size);
    return buf;
}

ct_status xp_fail_at(const ct_experiment *exp, const char *path, const char *fmt, ...)
{
    char where[400], message[1400];
    ct_experiment_where(exp, path, where, sizeof where);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    return ct_fail(CT_ERR_CONFIG, "%s: %s: %s", where, path, message);
}
