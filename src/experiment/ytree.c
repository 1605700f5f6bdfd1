#include "experiment/ytree.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

/* ----------------------------------------------------------------- nodes */

ynode *ynode_new(ynode_kind kind, const char *origin)
{
    ynode *n = calloc(1, sizeof *n);
    if (n) {
        n->kind = kind;
        n->origin = origin;
    }
    return n;
}

static ynode *scalar_from(const char *text, size_t length, const char *origin)
{
    ynode *n = ynode_new(YNODE_SCALAR, origin);
    if (!n)
        return NULL;
    n->text = malloc(length + 1);
    if (!n->text) {
        free(n);
        return NULL;
    }
    memcpy(n->text, text, length);
    n->text[length] = '\0';
    n->length = length;
    n->plain = true;
    return n;
}

ynode *ynode_new_scalar(const char *text, const char *origin)
{
    return scalar_from(text, strlen(text), origin);
}

void ynode_free(ynode *n)
{
    if (!n)
        return;
    for (size_t i = 0; i < n->count; i++) {
        if (n->keys)
            ynode_free(n->keys[i]);
        ynode_free(n->items[i]);
    }
    free(n->keys);
    free(n->items);
    free(n->text);
    free(n);
}

ct_status ynode_append(ynode *c, ynode *key, ynode *value)
{
    if (c->count == c->capacity) {
        size_t cap = c->capacity ? 2 * c->capacity : 4;
        ynode **items = realloc(c->items, cap * sizeof *items);
        if (!items)
            return ct_fail(CT_ERR_NO_MEMORY, "out of memory reading YAML");
        c->items = items;
        if (c->kind == YNODE_MAPPING) {
            ynode **keys = realloc(c->keys, cap * sizeof *keys);
            if (!keys)
                return ct_fail(CT_ERR_NO_MEMORY, "out of memory reading YAML");
            c->keys = keys;
        }
        c->capacity = cap;
    }
    if (c->kind == YNODE_MAPPING)
        c->keys[c->count] = key;
    c->items[c->count++] = value;
    return CT_OK;
}

ynode *ynode_copy(const ynode *n)
{
    ynode *c = n->kind == YNODE_SCALAR ? scalar_from(n->text, n->length, n->origin)
                                       : ynode_new(n->kind, n->origin);
    if (!c)
        return NULL;
    c->line = n->line;
    c->column = n->column;
    c->plain = n->plain;
    for (size_t i = 0; i < n->count; i++) {
        ynode *key = n->keys ? ynode_copy(n->keys[i]) : NULL;
        ynode *value = ynode_copy(n->items[i]);
        if ((n->keys && !key) || !value || ynode_append(c, key, value) != CT_OK) {
            ynode_free(key);
            ynode_free(value);
            ynode_free(c);
            return NULL;
        }
    }
    return c;
}

bool ynode_is_null(const ynode *n)
{
    if (!n || n->kind != YNODE_SCALAR || !n->plain)
        return false;
    const char *t = n->text;
    return n->length == 0 || !strcmp(t, "~") || !strcmp(t, "null") || !strcmp(t, "Null") ||
           !strcmp(t, "NULL");
}

size_t ynode_index(const ynode *map, const char *key)
{
    if (!map || map->kind != YNODE_MAPPING)
        return (size_t)-1;
    for (size_t i = 0; i < map->count; i++)
        if (map->keys[i]->length == strlen(key) && !strcmp(map->keys[i]->text, key))
            return i;
    return (size_t)-1;
}

ynode *ynode_get(const ynode *map, const char *key)
{
    size_t i = ynode_index(map, key);
    return i == (size_t)-1 ? NULL : map->items[i];
}

void ynode_where(const ynode *n, char *buf, size_t size)
{
    if (n->line > 0)
        snprintf(buf, size, "%s:%d:%d", n->origin, n->line, n->column);
    else
        snprintf(buf, size, "%s", n->origin);
}

void ynode_escape(const char *s, size_t length, size_t max_chars, char *buf, size_t size)
{
    size_t o = 0;
    for (size_t i = 0; i < length && o + 8 < size; i++) {
        if (i == max_chars) {
            memcpy(buf + o, "...", 3);
            o += 3;
            break;
        }
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\')
            o += (size_t)snprintf(buf + o, size - o, "\\%c", c);
        else if (c == '\n')
            o += (size_t)snprintf(buf + o, size - o, "\\n");
        else if (c == '\t')
            o += (size_t)snprintf(buf + o, size - o, "\\t");
        else if (c < 0x20 || c == 0x7f)
            o += (size_t)snprintf(buf + o, size - o, "\\x%02x", c);
        else
            buf[o++] = (char)c; /* UTF-8 bytes pass through whole */
    }
    buf[o] = '\0';
}

void ynode_describe(const ynode *n, char *buf, size_t size)
{
    if (!n || ynode_is_null(n)) {
        snprintf(buf, size, "nothing");
    } else if (n->kind == YNODE_SEQUENCE) {
        snprintf(buf, size, "a list");
    } else if (n->kind == YNODE_MAPPING) {
        snprintf(buf, size, "a mapping");
    } else {
        char escaped[200];
        ynode_escape(n->text, n->length, 60, escaped, sizeof escaped);
        snprintf(buf, size, "\"%s\"", escaped);
    }
}

/* ---------------------------------------------------------------- parsing */

typedef struct {
    const char *origin;
    bool keep_positions;
    ynode *root;
    ynode *stack[YTREE_MAX_DEPTH]; /* open containers */
    ynode *pending_key[YTREE_MAX_DEPTH]; /* a mapping's key waiting for its value */
    int depth;
} builder;

static void set_position(builder *b, ynode *n, yaml_mark_t mark)
{
    if (b->keep_positions) {
        n->line = (int)mark.line + 1;
        n->column = (int)mark.column + 1;
    }
}

/* "train.metrics[2]": where the node being attached sits, for messages. */
static void current_path(const builder *b, char *buf, size_t size)
{
    size_t o = 0;
    buf[0] = '\0';
    for (int level = 1; level < b->depth && o < size; level++) {
        const ynode *parent = b->stack[level - 1];
        if (parent->kind == YNODE_MAPPING)
            o += (size_t)snprintf(buf + o, size - o, "%s%s", o ? "." : "",
                                  parent->keys[parent->count - 1]->text);
        else
            o += (size_t)snprintf(buf + o, size - o, "[%zu]", parent->count - 1);
    }
}

static ct_status attach(builder *b, ynode *n)
{
    if (b->depth == 0) {
        b->root = n;
        return CT_OK;
    }
    ynode *parent = b->stack[b->depth - 1];
    if (parent->kind == YNODE_SEQUENCE) {
        ct_status s = ynode_append(parent, NULL, n);
        if (s != CT_OK)
            ynode_free(n);
        return s;
    }
    ynode **key = &b->pending_key[b->depth - 1];
    if (*key) {
        ct_status s = ynode_append(parent, *key, n);
        if (s != CT_OK) {
            ynode_free(n);
            return s;
        }
        *key = NULL;
        return CT_OK;
    }
    char where[300], path[300];
    ynode_where(n, where, sizeof where);
    current_path(b, path, sizeof path);
    if (n->kind != YNODE_SCALAR) {
        const char *what = n->kind == YNODE_MAPPING ? "a mapping" : "a list";
        ynode_free(n);
        return ct_fail(CT_ERR_CONFIG, "%s: %s%skeys must be plain names, not %s", where, path,
                       *path ? ": " : "", what);
    }
    size_t first = ynode_index(parent, n->text);
    if (first != (size_t)-1 || strlen(n->text) != n->length) {
        ct_status s;
        if (first == (size_t)-1) {
            s = ct_fail(CT_ERR_CONFIG, "%s: %s%skeys must not contain NUL characters", where,
                        path, *path ? ": " : "");
        } else {
            const ynode *prev = parent->keys[first];
            char first_at[64] = "";
            if (prev->line > 0)
                snprintf(first_at, sizeof first_at, " (first set at line %d, column %d)",
                         prev->line, prev->column);
            s = ct_fail(CT_ERR_CONFIG, "%s: %s%sduplicate key '%s'%s", where, path,
                        *path ? ": " : "", n->text, first_at);
        }
        ynode_free(n);
        return s;
    }
    *key = n;
    return CT_OK;
}

/* libyaml reader errors carry a byte offset, not a mark: count lines. */
static void offset_to_position(const char *text, size_t length, size_t offset, int *line, int *col)
{
    *line = 1;
    *col = 1;
    for (size_t i = 0; i < offset && i < length; i++) {
        if (text[i] == '\n') {
            ++*line;
            *col = 1;
        } else {
            ++*col;
        }
    }
}

static ct_status syntax_error(const yaml_parser_t *p, const builder *b, const char *text,
                              size_t length)
{
    const char *problem = p->problem ? p->problem : "unknown problem";
    char where[300];
    int line, col;
    switch (p->error) {
    case YAML_MEMORY_ERROR:
        return ct_fail(CT_ERR_NO_MEMORY, "%s: out of memory reading YAML", b->origin);
    case YAML_READER_ERROR:
        offset_to_position(text, length, p->problem_offset, &line, &col);
        if (b->keep_positions)
            snprintf(where, sizeof where, "%s:%d:%d", b->origin, line, col);
        else
            snprintf(where, sizeof where, "%s", b->origin);
        return ct_fail(CT_ERR_PARSE, "%s: cannot read the text: %s (byte 0x%02x)", where, problem,
                       (unsigned)p->problem_value & 0xffu);
    default:
        if (b->keep_positions)
            snprintf(where, sizeof where, "%s:%d:%d", b->origin, (int)p->problem_mark.line + 1,
                     (int)p->problem_mark.column + 1);
        else
            snprintf(where, sizeof where, "%s", b->origin);
        if (p->context && b->keep_positions)
            return ct_fail(CT_ERR_PARSE, "%s: YAML syntax error: %s (%s at line %d, column %d)",
                           where, problem, p->context, (int)p->context_mark.line + 1,
                           (int)p->context_mark.column + 1);
        if (p->context)
            return ct_fail(CT_ERR_PARSE, "%s: YAML syntax error: %s (%s)", where, problem, p->context);
        return ct_fail(CT_ERR_PARSE, "%s: YAML syntax error: %s", where, problem);
    }
}

/* One event into the tree. *done is set at the end of the stream. */
static ct_status on_event(builder *b, const yaml_event_t *ev, int *documents, bool *done)
{
    char where[300];
    ynode *n;
    switch (ev->type) {
    case YAML_STREAM_START_EVENT:
    case YAML_DOCUMENT_END_EVENT:
    case YAML_NO_EVENT:
        return CT_OK;
    case YAML_STREAM_END_EVENT:
        *done = true;
        return CT_OK;
    case YAML_DOCUMENT_START_EVENT:
        if (++*documents > 1) {
            if (b->keep_positions)
                snprintf(where, sizeof where, "%s:%d:%d", b->origin,
                         (int)ev->start_mark.line + 1, (int)ev->start_mark.column + 1);
            else
                snprintf(where, sizeof where, "%s", b->origin);
            return ct_fail(CT_ERR_PARSE, "%s: a second YAML document ('---'): an experiment file "
                                         "holds exactly one", where);
        }
        return CT_OK;
    case YAML_ALIAS_EVENT:
        if (b->keep_positions)
            snprintf(where, sizeof where, "%s:%d:%d", b->origin, (int)ev->start_mark.line + 1,
                     (int)ev->start_mark.column + 1);
        else
            snprintf(where, sizeof where, "%s", b->origin);
        return ct_fail(CT_ERR_CONFIG, "%s: aliases (*%s) are not supported: write the value out",
                       where, (const char *)ev->data.alias.anchor);
    case YAML_SCALAR_EVENT:
        n = scalar_from((const char *)ev->data.scalar.value, ev->data.scalar.length, b->origin);
        if (!n)
            return ct_fail(CT_ERR_NO_MEMORY, "out of memory reading YAML");
        n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
        set_position(b, n, ev->start_mark);
        return attach(b, n);
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT: {
        if (b->depth == YTREE_MAX_DEPTH) {
            if (b->keep_positions)
                snprintf(where, sizeof where, "%s:%d:%d", b->origin,
                         (int)ev->start_mark.line + 1, (int)ev->start_mark.column + 1);
            else
                snprintf(where, sizeof where, "%s", b->origin);
            return ct_fail(CT_ERR_CONFIG, "%s: nested deeper than %d levels", where,
                           YTREE_MAX_DEPTH);
        }
        n = ynode_new(ev->type == YAML_MAPPING_START_EVENT ? YNODE_MAPPING : YNODE_SEQUENCE,
                      b->origin);
        if (!n)
            return ct_fail(CT_ERR_NO_MEMORY, "out of memory reading YAML");
        set_position(b, n, ev->start_mark);
        CT_TRY(attach(b, n));
        b->pending_key[b->depth] = NULL;
        b->stack[b->depth++] = n;
        return CT_OK;
    }
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
        if (b->depth > 0)
            b->depth--;
        return CT_OK;
    }
    return CT_OK;
}

ct_status ytree_parse(const char *text, size_t length, const char *origin, bool keep_positions,
                      ynode **out)
{
    *out = NULL;
    builder b;
    memset(&b, 0, sizeof b);
    b.origin = origin;
    b.keep_positions = keep_positions;

    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser))
        return ct_fail(CT_ERR_NO_MEMORY, "out of memory starting the YAML parser");
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, length);

    ct_status status = CT_OK;
    int documents = 0;
    bool done = false;
    while (!done && status == CT_OK) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&parser, &ev)) {
            status = syntax_error(&parser, &b, text, length);
            break;
        }
        status = on_event(&b, &ev, &documents, &done);
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&parser);

    /* Keys still waiting for a value belong to no node yet. */
    for (int i = 0; i < YTREE_MAX_DEPTH; i++)
        ynode_free(b.pending_key[i]);
    if (status != CT_OK) {
        ynode_free(b.root);
        return status;
    }
    if (!b.root) { /* empty document: a null, positioned at the start */
        b.root = ynode_new_scalar("", origin);
        if (!b.root)
            return ct_fail(CT_ERR_NO_MEMORY, "out of memory reading YAML");
        if (keep_positions) {
            b.root->line = 1;
            b.root->column = 1;
        }
    }
    *out = b.root;
    return CT_OK;
}
