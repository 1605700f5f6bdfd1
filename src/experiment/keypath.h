/* Key paths such as "model[1].dense.units": parsing, finding the node a path
 * names, and replacing it (the --set overrides). */
#ifndef CLTRAIN_EXPERIMENT_KEYPATH_H
#define CLTRAIN_EXPERIMENT_KEYPATH_H

#include <stddef.h>

#include "cltrain/status.h"
#include "experiment/ytree.h"

typedef struct {
    char *key;    /* NULL for an index step */
    size_t index; /* for an index step */
} key_step;

typedef struct {
    key_step *steps;
    size_t count;
} key_path;

/* "a.b[2].c" -> steps a, b, [2], c. Keys are letters, digits, '_' and '-'.
 * Errors (CT_ERR_CONFIG) start with `origin`. */
ct_status xp_key_path_parse(const char *text, size_t length, const char *origin, key_path *out);
void xp_key_path_free(key_path *p);

/* The node at the path, or the deepest node that exists on the way. A bare
 * variant name (`optimizer: adam`) stands for the mapping {adam: ...}. */
const ynode *xp_key_path_find(const ynode *root, const key_path *p);

/* Put `value` at the path in the tree rooted at root, replacing what is
 * there and creating mappings on the way (and turning a bare name into a
 * one-key mapping when the path continues through it). Takes ownership of
 * value on success only. New keys are attributed to `origin`. */
ct_status xp_key_path_assign(ynode *root, const key_path *p, ynode *value, const char *origin);

#endif
