#include "experiment/keypath.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool is_key_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
}

static ct_status add_step(key_path *p, char *key, size_t index)
{
    key_step *steps = realloc(p->steps, (p->count + 1) * sizeof *steps);
    if (!steps) {
        free(key);
        return ct_fail(CT_ERR_NO_MEMORY, "out of memory");
    }
    p->steps = steps;
    p->steps[p->count].key = key;
    p->steps[p->count].index = index;
    p->count++;
    return CT_OK;
}

static ct_status path_error(key_path *out, const char *origin, const char *text, size_t length,
                            size_t pos, const char *what)
{
    xp_key_path_free(out);
    return ct_fail(CT_ERR_CONFIG, "%s: bad key path '%.*s': %s at character %zu", origin,
                   (int)(length < 200 ? length : 200), text, what, pos + 1);
}

ct_status xp_key_path_parse(const char *text, size_t length, const char *origin, key_path *out)
{
    out->steps = NULL;
    out->count = 0;
    if (length == 0)
        return ct_fail(CT_ERR_CONFIG, "%s: empty key path (expected KEY.PATH=VALUE, such as "
                                      "train.epochs=5)", origin);
    size_t i = 0;
    while (i < length) {
        size_t start = i;
        while (i < length && is_key_char(text[i]))
            i++;
        if (i == start)
            return path_error(out, origin, text, length, i, "expected a key name");
        char *key = strndup(text + start, i - start);
        if (!key)
            return ct_fail(CT_ERR_NO_MEMORY, "out of memory");
        CT_TRY(add_step(out, key, 0));
        while (i < length && text[i] == '[') {
            size_t digits = ++i;
            while (i < length && text[i] >= '0' && text[i] <= '9')
                i++;
            if (i == digits || i - digits > 9 || i >= length || text[i] != ']')
                return path_error(out, origin, text, length, i, "expected [INDEX] with a number");
            CT_TRY(add_step(out, NULL, (size_t)strtoul(text + digits, NULL, 10)));
            i++;
        }
        if (i < length) {
            if (text[i] != '.' || i + 1 == length)
                return path_error(out, origin, text, length, i, "expected '.' and a key name");
            i++;
        }
    }
    return CT_OK;
}

void xp_key_path_free(key_path *p)
{
    for (size_t i = 0; i < p->count; i++)
        free(p->steps[i].key);
    free(p->steps);
    p->steps = NULL;
    p->count = 0;
}

/* Is n a bare name equal to key (`optimizer: adam` seen from "adam")? */
static bool is_bare_name(const ynode *n, const char *key)
{
    return n->kind == YNODE_SCALAR && n->length == strlen(key) && !strcmp(n->text, key);
}

const ynode *xp_key_path_find(const ynode *root, const key_path *p)
{
    const ynode *cur = root;
    for (size_t i = 0; i < p->count; i++) {
        const key_step *step = &p->steps[i];
        const ynode *next = NULL;
        if (step->key && cur->kind == YNODE_MAPPING)
            next = ynode_get(cur, step->key);
        else if (!step->key && cur->kind == YNODE_SEQUENCE && step->index < cur->count)
            next = cur->items[step->index];
        else if (step->key && is_bare_name(cur, step->key))
            continue; /* stays on the name: the best position there is */
        if (!next)
            break;
        cur = next;
    }
    return cur;
}

/* "model[1].dense": the first n steps, for messages. */
static void path_prefix(const key_path *p, size_t n, char *buf, size_t size)
{
    size_t o = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && o < size; i++) {
        if (p->steps[i].key)
            o += (size_t)snprintf(buf + o, size - o, "%s%s", o ? "." : "", p->steps[i].key);
        else
            o += (size_t)snprintf(buf + o, size - o, "[%zu]", p->steps[i].index);
    }
}

/* Turn a null or a bare name into a mapping in place, keeping its position. */
static ct_status make_mapping(ynode *n, const char *origin)
{
    ynode *key = NULL, *value = NULL;
    if (!ynode_is_null(n)) { /* bare name: `adam` -> {adam: null} */
        key = ynode_new_scalar(n->text, n->origin);
        value = ynode_new_scalar("", origin);
        if (!key || !value) {
            ynode_free(key);
            ynode_free(value);
            return ct_fail(CT_ERR_NO_MEMORY, "out of memory");
        }
        key->line = value->line = n->line;
        key->column = value->column = n->column;
    }
    free(n->text);
    n->text = NULL;
    n->length = 0;
    n->kind = YNODE_MAPPING;
    if (key) {
        ct_status s = ynode_append(n, key, value);
        if (s != CT_OK) {
            ynode_free(key);
            ynode_free(value);
            return s;
        }
    }
    return CT_OK;
}

ct_status xp_key_path_assign(ynode *root, const key_path *p, ynode *value, const char *origin)
{
    ynode *cur = root;
    char where[400], got[300];
    for (size_t i = 0; i < p->count; i++) {
        const key_step *step = &p->steps[i];
        bool last = i + 1 == p->count;
        path_prefix(p, i, where, sizeof where);
        if (!*where)
            snprintf(where, sizeof where, "the experiment");

        if (!step->key) { /* [index] */
            if (cur->kind != YNODE_SEQUENCE) {
                ynode_describe(cur, got, sizeof got);
                return ct_fail(CT_ERR_CONFIG, "%s: %s is %s, not a list: [%zu] does not apply",
                               origin, where, got, step->index);
            }
            if (step->index >= cur->count)
                return ct_fail(CT_ERR_CONFIG, "%s: %s has %zu item%s (indices from 0): [%zu] is out of range",
                               origin, where, cur->count, cur->count == 1 ? "" : "s", step->index);
            if (last) {
                ynode_free(cur->items[step->index]);
                cur->items[step->index] = value;
                return CT_OK;
            }
            cur = cur->items[step->index];
            continue;
        }

        if (cur->kind == YNODE_SEQUENCE)
            return ct_fail(CT_ERR_CONFIG, "%s: %s is a list: use %s[INDEX]", origin, where, where);
        if (cur->kind == YNODE_SCALAR) {
            if (!ynode_is_null(cur) && !is_bare_name(cur, step->key)) {
                ynode_describe(cur, got, sizeof got);
                return ct_fail(CT_ERR_CONFIG,
                               "%s: %s is %s, not a mapping: it has no key '%s' (to replace the "
                               "value: --set %s=...)",
                               origin, where, got, step->key, where);
            }
            CT_TRY(make_mapping(cur, origin));
        }
        size_t index = ynode_index(cur, step->key);
        if (index != (size_t)-1) {
            if (last) {
                ynode_free(cur->items[index]);
                cur->items[index] = value;
                return CT_OK;
            }
            cur = cur->items[index];
            continue;
        }
        /* A new key: the converter judges it (unknown keys get suggestions). */
        ynode *key = ynode_new_scalar(step->key, origin);
        ynode *child = last ? value : ynode_new_scalar("", origin);
        if (!key || !child) {
            ynode_free(key);
            if (!last)
                ynode_free(child);
            return ct_fail(CT_ERR_NO_MEMORY, "out of memory");
        }
        ct_status s = ynode_append(cur, key, child);
        if (s != CT_OK) {
            ynode_free(key);
            if (!last)
                ynode_free(child);
            return s;
        }
        if (last)
            return CT_OK;
        cur = child;
    }
    return CT_OK;
}
