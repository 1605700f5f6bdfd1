/* A small YAML document tree built from libyaml's events.
 *
 * Why our own tree instead of libyaml's document API: we need duplicate-key
 * detection, positions on every node (for line:column messages), nodes that
 * --set overrides can replace, and a hard limit on nesting, none of which
 * yaml_document_t offers. Aliases are rejected (they are rare in experiment
 * files, and expanding them invites exponential blow-ups). */
#ifndef CLTRAIN_EXPERIMENT_YTREE_H
#define CLTRAIN_EXPERIMENT_YTREE_H

#include <stdbool.h>
#include <stddef.h>

#include "cltrain/status.h"

typedef enum { YNODE_SCALAR, YNODE_SEQUENCE, YNODE_MAPPING } ynode_kind;

typedef struct ynode {
    ynode_kind kind;
    const char *origin; /* file name or "--set ..."; not owned, outlives the node */
    int line, column;   /* 1-based; 0 when the node has no position (values from --set) */

    /* YNODE_SCALAR */
    char *text; /* NUL-terminated; may contain NUL bytes before `length` ("\0" escapes) */
    size_t length;
    bool plain; /* unquoted: only plain scalars can mean null */

    /* YNODE_SEQUENCE: items. YNODE_MAPPING: keys[i] (scalars) -> items[i]. */
    struct ynode **keys;
    struct ynode **items;
    size_t count, capacity;
} ynode;

/* Deepest nesting accepted; deeper input is an error, never a stack overflow. */
#define YTREE_MAX_DEPTH 64

/* Parse one YAML document. An empty document gives a null scalar. Syntax
 * errors are CT_ERR_PARSE with "origin:line:col: ...". keep_positions false
 * leaves every line/column 0 (values given on the command line). */
ct_status ytree_parse(const char *text, size_t length, const char *origin, bool keep_positions,
                      ynode **out);

void ynode_free(ynode *n);
ynode *ynode_copy(const ynode *n); /* deep; NULL when out of memory */

ynode *ynode_new(ynode_kind kind, const char *origin);
ynode *ynode_new_scalar(const char *text, const char *origin);
/* Append (takes ownership of key and value on success only). */
ct_status ynode_append(ynode *container, ynode *key, ynode *value);

bool ynode_is_null(const ynode *n); /* plain "", "~", "null", "Null", "NULL" */
/* Value for a key in a mapping, NULL if absent (or n is not a mapping). */
ynode *ynode_get(const ynode *map, const char *key);
/* Index of key in a mapping, or (size_t)-1. */
size_t ynode_index(const ynode *map, const char *key);

/* Printable ASCII as is, quotes and backslashes escaped, other bytes as \n,
 * \t, \xNN; cut with "..." after max_chars characters. */
void ynode_escape(const char *text, size_t length, size_t max_chars, char *buf, size_t size);

/* "file.yaml:3:7" or, without a position, the origin alone. */
void ynode_where(const ynode *n, char *buf, size_t size);
/* How a node reads in "got ..." messages: "\"ten\"" (escaped, shortened),
 * "nothing" (null), "a list", "a mapping". */
void ynode_describe(const ynode *n, char *buf, size_t size);

#endif
