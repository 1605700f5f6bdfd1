/* Recursive-descent JSON parser; see json.h. Depth is limited so a hostile
 * file cannot overflow the stack. */
#include "json.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 64

typedef struct {
    const char *text, *p;
    char *err;
    size_t err_size;
    int failed;
} parser;

static int fail(parser *ps, const char *fmt, ...)
{
    if (ps->failed)
        return 0;
    ps->failed = 1;
    int line = 1, col = 1;
    for (const char *q = ps->text; q < ps->p; q++) {
        if (*q == '\n') {
            line++;
            col = 1;
        } else {
            col++;
        }
    }
    char what[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    snprintf(ps->err, ps->err_size, "line %d, column %d: %s", line, col, what);
    return 0;
}

static void skip_space(parser *ps)
{
    while (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r')
        ps->p++;
}

static int parse_value(parser *ps, json_value *v, int depth);

static int hex4(parser *ps, unsigned *out)
{
    unsigned u = 0;
    for (int i = 0; i < 4; i++) {
        char c = ps->p[i];
        u <<= 4;
        if (c >= '0' && c <= '9')
            u |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            u |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            u |= (unsigned)(c - 'A' + 10);
        else
            return fail(ps, "bad \\u escape");
    }
    ps->p += 4;
    *out = u;
    return 1;
}

static size_t put_utf8(unsigned cp, char *out)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* At the opening quote. The decoded string is never longer than its source. */
static int parse_string(parser *ps, char **out)
{
    const char *start = ++ps->p;
    size_t cap = 0;
    while (start[cap] && start[cap] != '"') {
        if (start[cap] == '\\' && start[cap + 1])
            cap++;
        cap++;
    }
    char *s = malloc(cap + 1), *w = s;
    if (!s)
        return fail(ps, "out of memory");
    for (;;) {
        unsigned char c = (unsigned char)*ps->p;
        if (c == '"') {
            ps->p++;
            break;
        }
        if (c == '\0') {
            free(s);
            return fail(ps, "unterminated string");
        }
        if (c < 0x20) {
            free(s);
            return fail(ps, "control character in a string");
        }
        if (c != '\\') {
            *w++ = (char)c;
            ps->p++;
            continue;
        }
        ps->p++;
        char e = *ps->p++;
        unsigned cp = 0;
        switch (e) {
        case '"': *w++ = '"'; break;
        case '\\': *w++ = '\\'; break;
        case '/': *w++ = '/'; break;
        case 'b': *w++ = '\b'; break;
        case 'f': *w++ = '\f'; break;
        case 'n': *w++ = '\n'; break;
        case 'r': *w++ = '\r'; break;
        case 't': *w++ = '\t'; break;
        case 'u':
            if (!hex4(ps, &cp)) {
                free(s);
                return 0;
            }
            if (cp >= 0xD800 && cp <= 0xDBFF) { /* a surrogate pair: \uD83D\uDE00 */
                unsigned lo = 0;
                if (ps->p[0] != '\\' || ps->p[1] != 'u') {
                    free(s);
                    return fail(ps, "unpaired surrogate");
                }
                ps->p += 2;
                if (!hex4(ps, &lo) || lo < 0xDC00 || lo > 0xDFFF) {
                    free(s);
                    return fail(ps, "unpaired surrogate");
                }
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                free(s);
                return fail(ps, "unpaired surrogate");
            }
            if (cp == 0) {
                free(s);
                return fail(ps, "\\u0000 in a string");
            }
            w += put_utf8(cp, w);
            break;
        default:
            free(s);
            ps->p--;
            return fail(ps, "bad escape \\%c", e ? e : '0');
        }
    }
    *w = '\0';
    *out = s;
    return 1;
}

/* The JSON number grammar, then strtod on exactly that span. */
static int parse_number(parser *ps, json_value *v)
{
    const char *q = ps->p;
    if (*q == '-')
        q++;
    if (*q == '0')
        q++;
    else if (*q >= '1' && *q <= '9')
        while (*q >= '0' && *q <= '9')
            q++;
    else
        return fail(ps, "unexpected character '%c'", *ps->p);
    if (*q == '.') {
        q++;
        if (!(*q >= '0' && *q <= '9'))
            return fail(ps, "digits expected after '.'");
        while (*q >= '0' && *q <= '9')
            q++;
    }
    if (*q == 'e' || *q == 'E') {
        q++;
        if (*q == '+' || *q == '-')
            q++;
        if (!(*q >= '0' && *q <= '9'))
            return fail(ps, "digits expected in the exponent");
        while (*q >= '0' && *q <= '9')
            q++;
    }
    char buf[64];
    size_t len = (size_t)(q - ps->p);
    if (len >= sizeof buf)
        return fail(ps, "number too long");
    memcpy(buf, ps->p, len);
    buf[len] = '\0';
    errno = 0;
    v->type = JSON_NUMBER;
    v->number = strtod(buf, NULL);
    if (errno == ERANGE && (v->number > 1 || v->number < -1))
        return fail(ps, "number out of range");
    ps->p = q;
    return 1;
}

static int literal(parser *ps, const char *word)
{
    size_t n = strlen(word);
    if (strncmp(ps->p, word, n) != 0)
        return fail(ps, "unexpected character '%c'", *ps->p);
    ps->p += n;
    return 1;
}

static int append(parser *ps, json_value *v, size_t *cap, char *key)
{
    if (v->count == *cap) {
        size_t ncap = *cap ? 2 * *cap : 8;
        json_value *items = realloc(v->items, ncap * sizeof *items);
        if (!items)
            return fail(ps, "out of memory");
        v->items = items;
        if (v->type == JSON_OBJECT) {
            char **keys = realloc(v->keys, ncap * sizeof *keys);
            if (!keys)
                return fail(ps, "out of memory");
            v->keys = keys;
        }
        *cap = ncap;
    }
    memset(&v->items[v->count], 0, sizeof v->items[0]);
    if (v->type == JSON_OBJECT)
        v->keys[v->count] = key;
    v->count++;
    return 1;
}

static int parse_container(parser *ps, json_value *v, int depth, int object)
{
    char close = object ? '}' : ']';
    v->type = object ? JSON_OBJECT : JSON_ARRAY;
    size_t cap = 0;
    ps->p++;
    skip_space(ps);
    if (*ps->p == close) {
        ps->p++;
        return 1;
    }
    for (;;) {
        char *key = NULL;
        if (object) {
            if (*ps->p != '"')
                return fail(ps, "a key (string) expected");
            if (!parse_string(ps, &key))
                return 0;
            skip_space(ps);
            if (*ps->p != ':') {
                free(key);
                return fail(ps, "':' expected");
            }
            ps->p++;
        }
        if (!append(ps, v, &cap, key)) {
            free(key);
            return 0;
        }
        if (!parse_value(ps, &v->items[v->count - 1], depth + 1))
            return 0;
        skip_space(ps);
        if (*ps->p == ',') {
            ps->p++;
            skip_space(ps);
            continue;
        }
        if (*ps->p == close) {
            ps->p++;
            return 1;
        }
        return fail(ps, "',' or '%c' expected", close);
    }
}

static int parse_value(parser *ps, json_value *v, int depth)
{
    if (depth > MAX_DEPTH)
        return fail(ps, "nested deeper than %d", MAX_DEPTH);
    skip_space(ps);
    switch (*ps->p) {
    case '{':
        return parse_container(ps, v, depth, 1);
    case '[':
        return parse_container(ps, v, depth, 0);
    case '"':
        v->type = JSON_STRING;
        return parse_string(ps, &v->string);
    case 't':
        v->type = JSON_BOOL;
        v->boolean = 1;
        return literal(ps, "true");
    case 'f':
        v->type = JSON_BOOL;
        return literal(ps, "false");
    case 'n':
        v->type = JSON_NULL;
        return literal(ps, "null");
    case '\0':
        return fail(ps, "unexpected end of text");
    default:
        return parse_number(ps, v);
    }
}

void json_free(json_value *v)
{
    if (!v)
        return;
    for (size_t i = 0; i < v->count; i++) {
        json_free(&v->items[i]);
        if (v->type == JSON_OBJECT)
            free(v->keys[i]);
    }
    free(v->items);
    free(v->keys);
    free(v->string);
    memset(v, 0, sizeof *v);
}

int json_parse(const char *text, json_value *out, char *err, size_t err_size)
{
    parser ps = {text, text, err, err_size, 0};
    memset(out, 0, sizeof *out);
    if (err_size)
        err[0] = '\0';
    if (parse_value(&ps, out, 0)) {
        skip_space(&ps);
        if (*ps.p == '\0')
            return 1;
        fail(&ps, "text after the value");
    }
    json_free(out);
    return 0;
}

const json_value *json_get(const json_value *v, const char *key)
{
    if (!v || v->type != JSON_OBJECT)
        return NULL;
    const json_value *found = NULL;
    for (size_t i = 0; i < v->count; i++)
        if (!strcmp(v->keys[i], key))
            found = &v->items[i];
    return found;
}
