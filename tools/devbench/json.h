/* A small strict JSON reader (RFC 8259) for devbench's own files: --compare
 * reads an earlier result, the tests read what devbench wrote. The whole
 * text must be one value; anything else is an error with line and column. */
#ifndef DEVBENCH_JSON_H
#define DEVBENCH_JSON_H

#include <stddef.h>

typedef enum { JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT } json_type;

typedef struct json_value {
    json_type type;
    int boolean;
    double number;
    char *string;              /* JSON_STRING: UTF-8, NUL-terminated (an embedded \u0000 is an error) */
    struct json_value *items;  /* JSON_ARRAY: elements; JSON_OBJECT: values */
    char **keys;               /* JSON_OBJECT: keys, parallel to items */
    size_t count;
} json_value;

/* Parses text; on failure returns 0 and writes "line L, column C: what" into err. */
int json_parse(const char *text, json_value *out, char *err, size_t err_size);
void json_free(json_value *v);

/* The value of key in an object (the last one if repeated); NULL when v is not
 * an object or has no such key. */
const json_value *json_get(const json_value *v, const char *key);

#endif
