/* YAML tree -> spec structs, driven by the schema tables (schema.h).
 *
 * Every value is checked where it is read, so a message can name its line,
 * column and key path. Keys are converted in file order, so the first error
 * reported is the first one in the file; absent keys get their defaults
 * afterwards, through the same code path (a default is parsed from the text
 * in the table, so it is checked like a written value). */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "experiment/schema.h"
#include "experiment/suggest.h"

static void *at(void *base, size_t offset) { return (char *)base + offset; }

/* ------------------------------------------------------------ key paths */

static size_t path_push_key(convert_ctx *ctx, const char *key)
{
    size_t old = ctx->path_len;
    int n = snprintf(ctx->path + old, sizeof ctx->path - old, "%s%s", old ? "." : "", key);
    if (n > 0)
        ctx->path_len = old + (size_t)n < sizeof ctx->path ? old + (size_t)n : sizeof ctx->path - 1;
    return old;
}

static size_t path_push_index(convert_ctx *ctx, size_t index)
{
    size_t old = ctx->path_len;
    int n = snprintf(ctx->path + old, sizeof ctx->path - old, "[%zu]", index);
    if (n > 0)
        ctx->path_len = old + (size_t)n < sizeof ctx->path ? old + (size_t)n : sizeof ctx->path - 1;
    return old;
}

static void path_pop(convert_ctx *ctx, size_t old)
{
    ctx->path_len = old;
    ctx->path[old] = '\0';
}

ct_status xp_error_at(const convert_ctx *ctx, const ynode *node, const char *fmt, ...)
{
    char where[300], message[1400];
    ynode_where(node, where, sizeof where);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    if (ctx->path_len)
        return ct_fail(CT_ERR_CONFIG, "%s: %s: %s", where, ctx->path, message);
    return ct_fail(CT_ERR_CONFIG, "%s: %s", where, message);
}

/* ------------------------------------------------------------- describing */

static void list_names(const enum_table *t, char *buf, size_t size)
{
    size_t o = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < t->count && o < size; i++)
        if (!t->entries[i].alias)
            o += (size_t)snprintf(buf + o, size - o, "%s%s", o ? ", " : "", t->entries[i].name);
}

static void list_keys(const section *s, char *buf, size_t size)
{
    size_t o = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < s->count && o < size; i++)
        o += (size_t)snprintf(buf + o, size - o, "%s%s", o ? ", " : "", s->fields[i].key);
}

static void list_variants(const variant_set *v, char *buf, size_t size)
{
    size_t o = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < v->count && o < size; i++)
        o += (size_t)snprintf(buf + o, size - o, "%s%s", o ? ", " : "", v->variants[i].key);
}

static void describe_integer(const value_range *r, char *buf, size_t size)
{
    if ((r->flags & R_MIN) && (r->flags & R_MAX))
        snprintf(buf, size, "an integer from %.0f to %.0f", r->min, r->max);
    else if ((r->flags & R_MIN) && r->min == 1)
        snprintf(buf, size, "a positive integer");
    else if (r->flags & R_MIN)
        snprintf(buf, size, "an integer >= %.0f", r->min);
    else
        snprintf(buf, size, "an integer");
}

static void describe_number(const value_range *r, char *buf, size_t size)
{
    if ((r->flags & R_MIN) && (r->flags & R_MAX))
        snprintf(buf, size, "a number in %c%g, %g%c", r->flags & R_MIN_OPEN ? '(' : '[', r->min,
                 r->max, r->flags & R_MAX_OPEN ? ')' : ']');
    else if ((r->flags & R_MIN) && r->min == 0 && (r->flags & R_MIN_OPEN))
        snprintf(buf, size, "a positive number");
    else if (r->flags & R_MIN)
        snprintf(buf, size, "a number %s %g", r->flags & R_MIN_OPEN ? ">" : ">=", r->min);
    else
        snprintf(buf, size, "a number");
}

/* What a field accepts, for "expected ..." messages. */
static void describe_expected(const field *f, char *buf, size_t size)
{
    char names[600], one[160];
    switch (f->type) {
    case FT_BOOL:
        snprintf(buf, size, "true or false");
        break;
    case FT_INT:
    case FT_INT64:
        describe_integer(&f->range, buf, size);
        break;
    case FT_DOUBLE:
        describe_number(&f->range, buf, size);
        break;
    case FT_INT_PAIR:
        describe_integer(&f->range, one, sizeof one);
        snprintf(buf, size, "%s or a list [height, width]", one);
        break;
    case FT_STRING:
        snprintf(buf, size, "%s", f->flags & FL_NONEMPTY ? "a non-empty string" : "a string");
        break;
    case FT_ENUM:
        list_names(f->enums, names, sizeof names);
        snprintf(buf, size, "one of %s", names);
        break;
    case FT_STRING_LIST:
        snprintf(buf, size, "a list of names");
        break;
    case FT_DOUBLE_LIST:
        describe_number(&f->range, one, sizeof one);
        snprintf(buf, size, "a list of numbers, each %s", one);
        break;
    case FT_ENUM_LIST:
        list_names(f->enums, names, sizeof names);
        snprintf(buf, size, "a list of %ss (%s)", f->enums->what, names);
        break;
    case FT_FLAGS:
        list_names(f->enums, names, sizeof names);
        snprintf(buf, size, "true, false or a list of %ss (%s)", f->enums->what, names);
        break;
    default:
        snprintf(buf, size, "a value");
        break;
    }
    if (f->flags & FL_NULLABLE) {
        size_t n = strlen(buf);
        snprintf(buf + n, size - n, " or null");
    }
}

static ct_status expected_error(const convert_ctx *ctx, const field *f, const ynode *node,
                                const char *extra)
{
    char expected[800], got[300];
    describe_expected(f, expected, sizeof expected);
    ynode_describe(node, got, sizeof got);
    return xp_error_at(ctx, node, "expected %s, got %s%s", expected, got, extra ? extra : "");
}

/* ----------------------------------------------------------- scalar text */

static bool parse_bool_text(const ynode *n, bool *out)
{
    if (n->kind != YNODE_SCALAR || strlen(n->text) != n->length)
        return false;
    static const char *const yes[] = {"true", "True", "TRUE"};
    static const char *const no[] = {"false", "False", "FALSE"};
    for (int i = 0; i < 3; i++) {
        if (!strcmp(n->text, yes[i])) {
            *out = true;
            return true;
        }
        if (!strcmp(n->text, no[i])) {
            *out = false;
            return true;
        }
    }
    return false;
}

/* Decimal integers only ("+5", "-3", "10"): no hex, no "1e3", no "5.0". */
static bool parse_integer_text(const ynode *n, long long *out)
{
    const char *s = n->text;
    if (n->length != strlen(s) || !*s)
        return false;
    const char *digits = (*s == '+' || *s == '-') ? s + 1 : s;
    if (!*digits)
        return false;
    for (const char *p = digits; *p; p++)
        if (*p < '0' || *p > '9')
            return false;
    errno = 0;
    char *end;
    long long v = strtoll(s, &end, 10);
    if (errno == ERANGE || *end)
        return false;
    *out = v;
    return true;
}

/* Finite decimal numbers: "0.001", "1e-7", "5", ".5". Not nan, inf or hex,
 * which strtod would accept. */
static bool parse_number_text(const ynode *n, double *out)
{
    const char *s = n->text;
    if (n->length != strlen(s) || !*s || strspn(s, "0123456789+-.eE") != n->length)
        return false;
    errno = 0;
    char *end;
    double v = strtod(s, &end);
    if (*end || end == s || !isfinite(v) || errno == ERANGE)
        return false;
    *out = v;
    return true;
}

static bool in_range(const value_range *r, double v)
{
    if (r->flags & R_MIN) {
        if ((r->flags & R_MIN_OPEN) ? !(v > r->min) : !(v >= r->min))
            return false;
    }
    if (r->flags & R_MAX) {
        if ((r->flags & R_MAX_OPEN) ? !(v < r->max) : !(v <= r->max))
            return false;
    }
    return true;
}

static bool parse_int_in_range(const field *f, const ynode *n, long long lo, long long hi, long long *out)
{
    long long v;
    if (n->kind != YNODE_SCALAR || !parse_integer_text(n, &v) || v < lo || v > hi ||
        !in_range(&f->range, (double)v))
        return false;
    *out = v;
    return true;
}

static char *string_value(const ynode *n) { return strdup(n->text); }

/* A plain string item (list entries): non-null, non-empty scalar without NUL. */
static bool is_name_scalar(const ynode *n)
{
    return n->kind == YNODE_SCALAR && !ynode_is_null(n) && n->length > 0 && strlen(n->text) == n->length;
}

/* " (did you mean 'NAME'?)" into out when node is a scalar close to one of
 * names, else "". */
static void did_you_mean(const ynode *node, const char *const *names, size_t count, char *out, size_t size)
{
    const char *hint = node->kind == YNODE_SCALAR ? xp_suggest(node->text, names, count) : NULL;
    if (hint)
        snprintf(out, size, " (did you mean '%s'?)", hint);
    else
        out[0] = '\0';
}

static const enum_entry *find_enum(const enum_table *t, const char *name)
{
    for (size_t i = 0; i < t->count; i++)
        if (!strcmp(t->entries[i].name, name))
            return &t->entries[i];
    return NULL;
}

static ct_status enum_error(const convert_ctx *ctx, const field *f, const ynode *node)
{
    const char *names[64];
    size_t count = 0;
    for (size_t i = 0; i < f->enums->count && count < 64; i++)
        names[count++] = f->enums->entries[i].name;
    char extra[120];
    did_you_mean(node, names, count, extra, sizeof extra);
    return expected_error(ctx, f, node, extra);
}

static ct_status convert_enum_value(const convert_ctx *ctx, const field *f, const ynode *node, int *out)
{
    const enum_entry *e = NULL;
    if (is_name_scalar(node))
        e = find_enum(f->enums, node->text);
    if (!e)
        return enum_error(ctx, f, node);
    *out = e->value;
    return CT_OK;
}


/* ------------------------------------------------------------ field types */

static ct_status convert_field(const field *f, const ynode *node, const ynode *anchor, void *base,
                               convert_ctx *ctx);

static ct_status convert_scalar(const field *f, const ynode *node, void *base, convert_ctx *ctx)
{
    void *p = at(base, f->offset);
    if (ynode_is_null(node) && (f->flags & FL_NULLABLE)) {
        if (f->type == FT_STRING)
            *(char **)p = NULL;
        else
            *(bool *)at(base, f->has_offset) = false;
        return CT_OK;
    }
    if (node->kind != YNODE_SCALAR || ynode_is_null(node))
        return expected_error(ctx, f, node, NULL);

    long long v;
    switch (f->type) {
    case FT_BOOL:
        if (!parse_bool_text(node, (bool *)p))
            return expected_error(ctx, f, node, NULL);
        return CT_OK;
    case FT_INT:
        if (!parse_int_in_range(f, node, INT_MIN, INT_MAX, &v))
            return expected_error(ctx, f, node, NULL);
        *(int *)p = (int)v;
        break;
    case FT_INT64:
        if (!parse_int_in_range(f, node, INT64_MIN, INT64_MAX, &v))
            return expected_error(ctx, f, node, NULL);
        *(int64_t *)p = (int64_t)v;
        break;
    case FT_DOUBLE: {
        double d;
        if (!parse_number_text(node, &d) || !in_range(&f->range, d))
            return expected_error(ctx, f, node, NULL);
        *(double *)p = d;
        break;
    }
    case FT_STRING:
        if (strlen(node->text) != node->length)
            return xp_error_at(ctx, node, "expected a string without NUL characters");
        if ((f->flags & FL_NONEMPTY) && node->length == 0)
            return expected_error(ctx, f, node, NULL);
        free(*(char **)p);
        *(char **)p = string_value(node);
        if (!*(char **)p)
            return ct_fail(CT_ERR_NO_MEMORY, "out of memory");
        return CT_OK;
    case FT_ENUM:
        return convert_enum_value(ctx, f, node, (int *)p);
    default:
        return ct_fail(CT_ERR_INTERNAL, "%s: field type %d is not a scalar", ctx->path, (int)f->type);
    }
    if (f->flags & FL_NULLABLE)
        *(bool *)at(base, f->has_offset) = true;
    return CT_OK;
}

/* `3` or `[3, 3]`. */
static ct_status convert_int_pair(const field *f, const ynode *node, void *base, convert_ctx *ctx)
{
    int *pair = at(base, f->offset);
    long long v;
    if (node->kind == YNODE_SCALAR) {
        if (!parse_int_in_range(f, node, INT_MIN, INT_MAX, &v))
            return expected_error(ctx, f, node, NULL);
        pair[0] = pair[1] = (int)v;
        return CT_OK;
    }
    if (node->kind != YNODE_SEQUENCE || node->count != 2) {
        char extra[64] = "";
        if (node->kind == YNODE_SEQUENCE)
            snprintf(extra, sizeof extra, " of %zu items", node->count);
        return expected_error(ctx, f, node, extra);
    }
    for (size_t i = 0; i < 2; i++) {
        if (!parse_int_in_range(f, node->items[i], INT_MIN, INT_MAX, &v)) {
            char expected[160], got[300];
            describe_integer(&f->range, expected, sizeof expected);
            ynode_describe(node->items[i], got, sizeof got);
            size_t old = path_push_index(ctx, i);
            ct_status s = xp_error_at(ctx, node->items[i], "expected %s, got %s", expected, got);
            path_pop(ctx, old);
            return s;
        }
        pair[i] = (int)v;
    }
    return CT_OK;
}

/* Items of a list field; a lone scalar is a one-item list (kept in *single,
 * the caller's storage), null is empty. */
static void list_items(const ynode **single, const ynode *const **items, size_t *count)
{
    const ynode *node = *single;
    if (ynode_is_null(node)) {
        *items = NULL;
        *count = 0;
    } else if (node->kind == YNODE_SEQUENCE) {
        *items = (const ynode *const *)node->items;
        *count = node->count;
    } else {
        *items = single;
        *count = 1;
    }
}

static ct_status convert_string_list(const field *f, const ynode *node, void *base, convert_ctx *ctx)
{
    ct_string_list *list = at(base, f->offset);
    if (node->kind == YNODE_MAPPING)
        return expected_error(ctx, f, node, NULL);
    const ynode *const *items;
    size_t count;
    list_items(&node, &items, &count);
    if (count == 0)
        return CT_OK;
    list->items = calloc(count, sizeof *list->items);
    if (!list->items)
        return ct_fail(CT_ERR_NO_MEMORY, "out of memory");
    for (size_t i = 0; i < count; i++) {
        if (!is_name_scalar(items[i])) {
            char got[300];
            ynode_describe(items[i], got, sizeof got);
            size_t old = node->kind == YNODE_SEQUENCE ? path_push_index(ctx, i) : ctx->path_len;
            ct_status s = xp_error_at(ctx, items[i], "expected a non-empty name, got %s", got);
            path_pop(ctx, old);
            return s;
        }
        list->items[i] = string_value(items[i]);
        if (!list->items[i])
            return ct_fail(CT_ERR_NO_MEMORY, "out of memory");
        list->count = i + 1;
    }
    return CT_OK;
}

/* One item of a fixed-capacity list field: checked against the `count`
 * values stored before it, and converted into *out. */
typedef union {
    int i;
    double d;
} list_value;
typedef ct_status (*list_item_fn)(const field *f, const ynode *item, const void *values, size_t count,
                                  list_value *out, convert_ctx *ctx);

/* The lists that fill an array of f->capacity values (enums, numbers): each
 * item converted by `one` with the item's index on the path; `too_many`
 * is the error for one item past the capacity. */
static ct_status convert_fixed_list(const field *f, const ynode *node, void *base, convert_ctx *ctx,
                                    list_item_fn one, size_t value_size, const char *too_many)
{
    unsigned char *values = at(base, f->offset);
    size_t *count_out = at(base, f->count_offset);
    if (node->kind == YNODE_MAPPING)
        return expected_error(ctx, f, node, NULL);
    const ynode *const *items;
    size_t count;
    list_items(&node, &items, &count);
    *count_out = 0;
    for (size_t i = 0; i < count; i++) {
        size_t old = node->kind == YNODE_SEQUENCE ? path_push_index(ctx, i) : ctx->path_len;
        list_value v = {0};
        ct_status s = one(f, items[i], values, *count_out, &v, ctx);
        if (s == CT_OK && *count_out == f->capacity)
            s = xp_error_at(ctx, items[i], "%s", too_many);
        path_pop(ctx, old);
        if (s != CT_OK)
            return s;
        memcpy(values + (*count_out)++ * value_size, &v, value_size);
    }
    return CT_OK;
}

static ct_status enum_list_item(const field *f, const ynode *item, const void *values, size_t count,
                                list_value *out, convert_ctx *ctx)
{
    const enum_entry *e = is_name_scalar(item) ? find_enum(f->enums, item->text) : NULL;
    if (!e) {
        field one = *f;
        one.type = FT_ENUM;
        return enum_error(ctx, &one, item);
    }
    const int *before = values;
    for (size_t j = 0; j < count; j++)
        if (before[j] == e->value)
            return xp_error_at(ctx, item, "%s '%s' is listed twice (as '%s' before)", f->enums->what, item->text,
                               ct_name_of(f->enums, e->value));
    out->i = e->value;
    return CT_OK;
}

static ct_status convert_enum_list(const field *f, const ynode *node, void *base, convert_ctx *ctx)
{
    char too_many[128];
    snprintf(too_many, sizeof too_many, "too many %ss", f->enums->what);
    return convert_fixed_list(f, node, base, ctx, enum_list_item, sizeof(int), too_many);
}

static ct_status double_list_item(const field *f, const ynode *item, const void *values, size_t count,
                                  list_value *out, convert_ctx *ctx)
{
    (void)values;
    (void)count;
    if (item->kind != YNODE_SCALAR || !parse_number_text(item, &out->d) || !in_range(&f->range, out->d)) {
        field one = *f;
        one.type = FT_DOUBLE;
        return expected_error(ctx, &one, item, NULL);
    }
    return CT_OK;
}

/* `[0.1, 0.01]` (a single number is a one-item list). */
static ct_status convert_double_list(const field *f, const ynode *node, void *base, convert_ctx *ctx)
{
    char too_many[64];
    snprintf(too_many, sizeof too_many, "too many values: at most %zu", f->capacity);
    return convert_fixed_list(f, node, base, ctx, double_list_item, sizeof(double), too_many);
}

static ct_status convert_flags(const field *f, const ynode *node, void *base, convert_ctx *ctx)
{
    unsigned *flags = at(base, f->offset);
    bool b;
    if (node->kind == YNODE_SCALAR && parse_bool_text(node, &b)) {
        *flags = 0;
        if (b)
            for (size_t i = 0; i < f->enums->count; i++)
                *flags |= (unsigned)f->enums->entries[i].value;
        return CT_OK;
    }
    if (node->kind == YNODE_MAPPING)
        return expected_error(ctx, f, node, NULL);
    const ynode *const *items;
    size_t count;
    list_items(&node, &items, &count);
    *flags = 0;
    for (size_t i = 0; i < count; i++) {
        const enum_entry *e = is_name_scalar(items[i]) ? find_enum(f->enums, items[i]->text) : NULL;
        if (!e) {
            size_t old = node->kind == YNODE_SEQUENCE ? path_push_index(ctx, i) : ctx->path_len;
            field one = *f;
            one.type = FT_ENUM;
            ct_status s = enum_error(ctx, &one, items[i]);
            path_pop(ctx, old);
            return s;
        }
        *flags |= (unsigned)e->value;
    }
    return CT_OK;
}

/* ---------------------------------------------------------------- variants */

static const variant *find_variant(const variant_set *v, const char *key)
{
    for (size_t i = 0; i < v->count; i++)
        if (!strcmp(v->variants[i].key, key))
            return &v->variants[i];
    return NULL;
}

static ct_status unknown_variant(const convert_ctx *ctx, const variant_set *v, const ynode *name)
{
    const char *keys[32];
    size_t n = 0;
    for (size_t i = 0; i < v->count && n < 32; i++)
        keys[n++] = v->variants[i].key;
    char names[400], hint[120], got[300];
    list_variants(v, names, sizeof names);
    did_you_mean(name, keys, n, hint, sizeof hint);
    if (name->kind == YNODE_SCALAR && !ynode_is_null(name)) {
        ynode_escape(name->text, name->length, 60, got, sizeof got);
        return xp_error_at(ctx, name, "unknown %s '%s'%s; expected one of %s", v->what, got, hint,
                           names);
    }
    ynode_describe(name, got, sizeof got);
    return xp_error_at(ctx, name, "expected a %s (%s), got %s", v->what, names, got);
}

/* `name`, `name:` or `{name: settings}` into one element. */
static ct_status convert_variant(const variant_set *v, const ynode *node, void *elem, convert_ctx *ctx)
{
    const ynode *name = node, *body = NULL;
    if (node->kind == YNODE_MAPPING) {
        if (node->count != 1) {
            char names[400];
            list_variants(v, names, sizeof names);
            if (node->count == 0)
                return xp_error_at(ctx, node, "expected one %s (%s), got an empty mapping", v->what,
                                   names);
            if (find_variant(v, node->keys[0]->text) && find_variant(v, node->keys[1]->text))
                return xp_error_at(ctx, node->keys[1], "expected one %s, got two: '%s' and '%s'%s",
                                   v->what, node->keys[0]->text, node->keys[1]->text,
                                   v->elem_size ? " (start each item with '-')" : "");
        }
        name = node->keys[0];
        body = node->items[0];
    } else if (node->kind != YNODE_SCALAR || ynode_is_null(node)) {
        return unknown_variant(ctx, v, node);
    }
    const variant *chosen = strlen(name->text) == name->length ? find_variant(v, name->text) : NULL;
    if (!chosen)
        return unknown_variant(ctx, v, name);
    if (node->kind == YNODE_MAPPING && node->count > 1) {
        /* {dense: {...}, units: 10}: settings written beside the type. */
        return xp_error_at(ctx, node->keys[1],
                           "unexpected key '%s' beside '%s': settings go inside, as %s: {%s: ...}",
                           node->keys[1]->text, chosen->key, chosen->key, node->keys[1]->text);
    }
    *(int *)at(elem, v->kind_offset) = chosen->kind;
    size_t old = path_push_key(ctx, chosen->key);
    ct_status s = xp_convert_section(chosen->body, body, body ? body : node, elem, ctx);
    path_pop(ctx, old);
    return s;
}

static ct_status convert_variant_list(const field *f, const ynode *node, void *base, convert_ctx *ctx)
{
    const variant_set *v = f->variants;
    void **array = at(base, f->offset);
    size_t *count_out = at(base, f->count_offset);
    if (ynode_is_null(node))
        return CT_OK;
    if (node->kind != YNODE_SEQUENCE) {
        char got[300], names[400];
        ynode_describe(node, got, sizeof got);
        list_variants(v, names, sizeof names);
        return xp_error_at(ctx, node, "expected a list of %ss (items like '- %s: {...}'; %s), got %s",
                           v->what, v->variants[0].key, names, got);
    }
    if (node->count == 0)
        return CT_OK;
    /* Zeroed elements are safe to free, so a failure half-way frees cleanly. */
    *array = calloc(node->count, v->elem_size);
    if (!*array)
        return ct_fail(CT_ERR_NO_MEMORY, "out of memory");
    *count_out = node->count;
    for (size_t i = 0; i < node->count; i++) {
        size_t old = path_push_index(ctx, i);
        ct_status s = convert_variant(v, node->items[i], (char *)*array + i * v->elem_size, ctx);
        path_pop(ctx, old);
        if (s != CT_OK)
            return s;
    }
    return v->finish ? v->finish(*array, node->count) : CT_OK;
}

/* --------------------------------------------------------------- sections */

static const char *first_required_key(const section *s)
{
    for (size_t i = 0; i < s->count; i++)
        if (s->fields[i].flags & FL_REQUIRED)
            return s->fields[i].key;
    return NULL;
}

static ct_status convert_subsection(const field *f, const ynode *node, const ynode *anchor, void *base,
                                    convert_ctx *ctx)
{
    void *sub = at(base, f->offset);
    if (!(f->flags & FL_SWITCH))
        return xp_convert_section(f->section, node, node ? node : anchor, sub, ctx);

    /* A switch: absent or false = off (defaults still filled), a mapping,
     * an empty value or true = on. */
    bool *enabled = at(base, f->has_offset);
    bool on = node != NULL;
    const ynode *map = node;
    if (node && node->kind == YNODE_SCALAR) {
        map = NULL;
        if (!ynode_is_null(node) && !parse_bool_text(node, &on)) {
            char got[300];
            ynode_describe(node, got, sizeof got);
            return xp_error_at(ctx, node, "expected a mapping of %s, true or false, got %s",
                               f->section->what, got);
        }
    }
    CT_TRY(xp_convert_section(f->section, map, node ? node : anchor, sub, ctx));
    *enabled = on;
    return CT_OK;
}

static ct_status convert_value(const field *f, const ynode *node, const ynode *anchor, void *base,
                               convert_ctx *ctx)
{
    switch (f->type) {
    case FT_SECTION:
        return convert_subsection(f, node, anchor, base, ctx);
    case FT_VARIANT:
        if (f->flags & FL_NULLABLE) {
            bool *has = at(base, f->has_offset);
            *has = !ynode_is_null(node);
            if (!*has)
                return CT_OK;
        }
        return convert_variant(f->variants, node, at(base, f->offset), ctx);
    case FT_DOUBLE_LIST:
        return convert_double_list(f, node, base, ctx);
    case FT_VARIANT_LIST:
        return convert_variant_list(f, node, base, ctx);
    case FT_STRING_LIST:
        return convert_string_list(f, node, base, ctx);
    case FT_ENUM_LIST:
        return convert_enum_list(f, node, base, ctx);
    case FT_FLAGS:
        return convert_flags(f, node, base, ctx);
    case FT_INT_PAIR:
        return convert_int_pair(f, node, base, ctx);
    default:
        return convert_scalar(f, node, base, ctx);
    }
}

/* One field; node NULL means the key is absent: use the default. */
static ct_status convert_field(const field *f, const ynode *node, const ynode *anchor, void *base,
                               convert_ctx *ctx)
{
    size_t old = path_push_key(ctx, f->key);
    ct_status s = CT_OK;
    if (node) {
        s = convert_value(f, node, anchor, base, ctx);
    } else if (f->type == FT_SECTION) {
        s = convert_subsection(f, NULL, anchor, base, ctx);
    } else if (f->default_text) {
        /* The default goes through the same checks as a written value. */
        ynode *def = ynode_new_scalar(f->default_text, "<default>");
        if (!def) {
            s = ct_fail(CT_ERR_NO_MEMORY, "out of memory");
        } else {
            s = convert_value(f, def, anchor, base, ctx);
            ynode_free(def);
            if (s != CT_OK)
                s = ct_fail_context(CT_ERR_INTERNAL, "bad default in the schema");
        }
    }
    /* else: lists default to empty (already zero); FL_NO_DEFAULT: finish() fills it */
    path_pop(ctx, old);
    return s;
}

static const field *find_field(const section *s, const char *key)
{
    for (size_t i = 0; i < s->count; i++)
        if (!strcmp(s->fields[i].key, key))
            return &s->fields[i];
    return NULL;
}

static ct_status unknown_key(const section *s, const ynode *key, convert_ctx *ctx)
{
    const char *keys[64];
    size_t n = 0;
    for (size_t i = 0; i < s->count && n < 64; i++)
        keys[n++] = s->fields[i].key;
    const char *hint = xp_suggest(key->text, keys, n);
    char escaped[300];
    ynode_escape(key->text, key->length, 60, escaped, sizeof escaped);
    if (hint)
        return xp_error_at(ctx, key, "unknown key '%s' (did you mean '%s'?)", escaped, hint);
    char names[800];
    list_keys(s, names, sizeof names);
    return xp_error_at(ctx, key, "unknown key '%s'; expected one of %s", escaped, names);
}

ct_status xp_convert_section(const section *s, const ynode *map, const ynode *anchor, void *base,
                             convert_ctx *ctx)
{
    if (map && ynode_is_null(map)) {
        anchor = map;
        map = NULL;
    }
    const field *scalar_target = NULL;
    if (map && map->kind != YNODE_MAPPING) {
        if (map->kind == YNODE_SCALAR && s->scalar_field)
            scalar_target = find_field(s, s->scalar_field);
        if (!scalar_target) {
            char got[300], names[800];
            ynode_describe(map, got, sizeof got);
            list_keys(s, names, sizeof names);
            if (s->scalar_field)
                return xp_error_at(ctx, map, "expected a %s or a mapping of %s (%s), got %s",
                                   s->scalar_field, s->what, names, got);
            return xp_error_at(ctx, map, "expected a mapping of %s (%s), got %s", s->what, names, got);
        }
    }

    /* Written keys first, in file order. */
    if (scalar_target) {
        CT_TRY(convert_field(scalar_target, map, map, base, ctx));
    } else if (map) {
        for (size_t i = 0; i < map->count; i++) {
            const field *f = find_field(s, map->keys[i]->text);
            if (!f)
                return unknown_key(s, map->keys[i], ctx);
            CT_TRY(convert_field(f, map->items[i], map, base, ctx));
        }
    }

    /* Then defaults for the rest. */
    const ynode *where = map ? map : anchor;
    for (size_t i = 0; i < s->count; i++) {
        const field *f = &s->fields[i];
        if (f == scalar_target || (map && ynode_get(map, f->key)))
            continue;
        const char *inner = f->type == FT_SECTION && !(f->flags & FL_SWITCH) && f->section
                                ? first_required_key(f->section)
                                : NULL;
        if ((f->flags & FL_REQUIRED) || inner) {
            if (inner)
                return xp_error_at(ctx, where, "missing required key '%s' (with at least '%s')",
                                   f->key, inner);
            return xp_error_at(ctx, where, "missing required key '%s'", f->key);
        }
        CT_TRY(convert_field(f, NULL, where, base, ctx));
    }
    return s->finish ? s->finish(base, map, ctx) : CT_OK;
}

/* ----------------------------------------------------------------- freeing */

static void free_variant(const variant_set *v, void *elem)
{
    int kind = *(int *)at(elem, v->kind_offset);
    for (size_t i = 0; i < v->count; i++)
        if (v->variants[i].kind == kind) {
            xp_free_section(v->variants[i].body, elem);
            return;
        }
}

void xp_free_section(const section *s, void *base)
{
    for (size_t i = 0; i < s->count; i++) {
        const field *f = &s->fields[i];
        void *p = at(base, f->offset);
        switch (f->type) {
        case FT_STRING:
            free(*(char **)p);
            *(char **)p = NULL;
            break;
        case FT_STRING_LIST: {
            ct_string_list *list = p;
            for (size_t j = 0; j < list->count; j++)
                free(list->items[j]);
            free(list->items);
            list->items = NULL;
            list->count = 0;
            break;
        }
        case FT_SECTION:
            xp_free_section(f->section, p);
            break;
        case FT_VARIANT:
            free_variant(f->variants, p);
            break;
        case FT_VARIANT_LIST: {
            char *array = *(void **)p;
            size_t *count = at(base, f->count_offset);
            for (size_t j = 0; array && j < *count; j++)
                free_variant(f->variants, array + j * f->variants->elem_size);
            free(array);
            *(void **)p = NULL;
            *count = 0;
            break;
        }
        default:
            break;
        }
    }
}
