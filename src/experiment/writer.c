/* Spec -> YAML, driven by the schema tables: the effective configuration
 * that `cltrain check` prints and a run directory keeps. Every field is
 * written (defaults included), in table order, in a form the converter
 * reads back to the same values: doubles in their shortest exact decimal,
 * strings quoted whenever a YAML reader could take them for something else. */
#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "experiment/schema.h"

static const void *at(const void *base, size_t offset) { return (const char *)base + offset; }

void xp_format_double(double v, char *buf, size_t size)
{
    for (int precision = 1; precision <= 17; precision++) {
        snprintf(buf, size, "%.*g", precision, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    /* "5" would read back fine, but "5.0" says it is a real number. */
    if (isfinite(v) && !strpbrk(buf, ".e")) {
        size_t n = strlen(buf);
        snprintf(buf + n, size - n, ".0");
    }
}

/* Plain YAML scalars that a YAML reader would not take as a null, a bool, a
 * number or syntax: names like weather_prediction_dataset.csv or BASEL_*. */
static bool plain_is_safe(const char *s)
{
    static const char *const reserved[] = {"null", "~", "true", "false", "yes", "no", "on", "off"};
    if (!*s || !(isalnum((unsigned char)s[0]) || s[0] == '_' || s[0] == '/'))
        return false;
    for (const char *p = s; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr("_-./+", *p))
            return false;
    for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++)
        if (!strcasecmp(s, reserved[i]))
            return false;
    char *end;
    strtod(s, &end);
    return *end != '\0'; /* "123", "1e5", "0x1f" read as numbers */
}

static void write_string(FILE *out, const char *s)
{
    if (plain_is_safe(s)) {
        fputs(s, out);
        return;
    }
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(out, "\\%c", *p);
        else if (*p == '\n')
            fputs("\\n", out);
        else if (*p == '\t')
            fputs("\\t", out);
        else if (*p < 0x20 || *p == 0x7f)
            fprintf(out, "\\x%02x", *p);
        else
            fputc(*p, out); /* UTF-8 is fine inside double quotes */
    }
    fputc('"', out);
}

static void write_section_flow(FILE *out, const section *s, const void *base);

static bool is_omitted(const field *f, const void *base)
{
    if (!(f->flags & FL_OMIT_WHEN_NULL))
        return false;
    if (f->type == FT_STRING)
        return !*(char *const *)at(base, f->offset);
    if (f->type == FT_STRING_LIST) /* train.devices, inputs: absent and [] mean the same */
        return ((const ct_string_list *)at(base, f->offset))->count == 0;
    return (f->flags & (FL_NULLABLE | FL_SWITCH)) && !*(const bool *)at(base, f->has_offset);
}

static const variant *active_variant(const variant_set *v, const void *elem)
{
    int kind = *(const int *)at(elem, v->kind_offset);
    for (size_t i = 0; i < v->count; i++)
        if (v->variants[i].kind == kind)
            return &v->variants[i];
    return NULL;
}

/* `name: {settings}` on one line (list items, flow optimizer). */
static void write_variant_flow(FILE *out, const variant_set *v, const void *elem)
{
    const variant *chosen = active_variant(v, elem);
    if (!chosen) {
        fputs("null", out);
        return;
    }
    fprintf(out, "%s: ", chosen->key);
    write_section_flow(out, chosen->body, elem);
}

/* A value that fits on the line after "key: ". */
static void write_inline_value(FILE *out, const field *f, const void *base)
{
    const void *p = at(base, f->offset);
    char number[64];
    if ((f->flags & FL_NULLABLE) && f->type != FT_STRING && !*(const bool *)at(base, f->has_offset)) {
        fputs("null", out);
        return;
    }
    switch (f->type) {
    case FT_BOOL:
        fputs(*(const bool *)p ? "true" : "false", out);
        break;
    case FT_INT:
        fprintf(out, "%d", *(const int *)p);
        break;
    case FT_INT64:
        fprintf(out, "%" PRId64, *(const int64_t *)p);
        break;
    case FT_DOUBLE:
        xp_format_double(*(const double *)p, number, sizeof number);
        fputs(number, out);
        break;
    case FT_STRING:
        if (*(char *const *)p)
            write_string(out, *(char *const *)p);
        else
            fputs("null", out);
        break;
    case FT_ENUM:
        fputs(ct_name_of(f->enums, *(const int *)p), out);
        break;
    case FT_INT_PAIR:
        fprintf(out, "[%d, %d]", ((const int *)p)[0], ((const int *)p)[1]);
        break;
    case FT_STRING_LIST: {
        const ct_string_list *list = p;
        fputc('[', out);
        for (size_t i = 0; i < list->count; i++) {
            if (i)
                fputs(", ", out);
            write_string(out, list->items[i]);
        }
        fputc(']', out);
        break;
    }
    case FT_DOUBLE_LIST: {
        size_t count = *(const size_t *)at(base, f->count_offset);
        fputc('[', out);
        for (size_t i = 0; i < count; i++) {
            xp_format_double(((const double *)p)[i], number, sizeof number);
            fprintf(out, "%s%s", i ? ", " : "", number);
        }
        fputc(']', out);
        break;
    }
    case FT_ENUM_LIST: {
        size_t count = *(const size_t *)at(base, f->count_offset);
        fputc('[', out);
        for (size_t i = 0; i < count; i++)
            fprintf(out, "%s%s", i ? ", " : "", ct_name_of(f->enums, ((const int *)p)[i]));
        fputc(']', out);
        break;
    }
    case FT_FLAGS: {
        unsigned flags = *(const unsigned *)p, all = 0;
        for (size_t i = 0; i < f->enums->count; i++)
            all |= (unsigned)f->enums->entries[i].value;
        if (flags == all || flags == 0) {
            fputs(flags ? "true" : "false", out);
            break;
        }
        fputc('[', out);
        bool first = true;
        for (size_t i = 0; i < f->enums->count; i++)
            if (!f->enums->entries[i].alias && (flags & (unsigned)f->enums->entries[i].value)) {
                fprintf(out, "%s%s", first ? "" : ", ", f->enums->entries[i].name);
                first = false;
            }
        fputc(']', out);
        break;
    }
    case FT_SECTION:
        if ((f->flags & FL_SWITCH) && !*(const bool *)at(base, f->has_offset))
            fputs("false", out);
        else
            write_section_flow(out, f->section, p);
        break;
    case FT_VARIANT:
        fputc('{', out);
        write_variant_flow(out, f->variants, p);
        fputc('}', out);
        break;
    case FT_VARIANT_LIST: {
        const char *array = *(const void *const *)p;
        size_t count = *(const size_t *)at(base, f->count_offset);
        fputc('[', out);
        for (size_t i = 0; i < count; i++) {
            fputs(i ? ", {" : "{", out);
            write_variant_flow(out, f->variants, array + i * f->variants->elem_size);
            fputc('}', out);
        }
        fputc(']', out);
        break;
    }
    }
}

static void write_section_flow(FILE *out, const section *s, const void *base)
{
    fputc('{', out);
    bool first = true;
    for (size_t i = 0; i < s->count; i++) {
        const field *f = &s->fields[i];
        if (is_omitted(f, base))
            continue;
        fprintf(out, "%s%s: ", first ? "" : ", ", f->key);
        write_inline_value(out, f, base);
        first = false;
    }
    fputc('}', out);
}

void xp_write_section(FILE *out, const section *s, const void *base, int indent)
{
    for (size_t i = 0; i < s->count; i++) {
        const field *f = &s->fields[i];
        const void *p = at(base, f->offset);
        if (is_omitted(f, base))
            continue;
        fprintf(out, "%*s%s:", indent, "", f->key);
        bool block_section = f->type == FT_SECTION && !(f->flags & FL_FLOW) &&
                             !((f->flags & FL_SWITCH) && !*(const bool *)at(base, f->has_offset));
        if (block_section) {
            fputc('\n', out);
            xp_write_section(out, f->section, p, indent + 2);
        } else if (f->type == FT_VARIANT && !(f->flags & FL_FLOW)) {
            const variant *chosen = active_variant(f->variants, p);
            fprintf(out, "\n%*s%s:\n", indent + 2, "", chosen ? chosen->key : "null");
            if (chosen)
                xp_write_section(out, chosen->body, p, indent + 4);
        } else if (f->type == FT_VARIANT_LIST && *(const size_t *)at(base, f->count_offset) > 0) {
            /* One item per line, each on one line: a model reads like a layer list. */
            const char *array = *(const void *const *)p;
            size_t count = *(const size_t *)at(base, f->count_offset);
            fputc('\n', out);
            for (size_t j = 0; j < count; j++) {
                fprintf(out, "%*s- ", indent + 2, "");
                write_variant_flow(out, f->variants, array + j * f->variants->elem_size);
                fputc('\n', out);
            }
        } else {
            fputc(' ', out);
            write_inline_value(out, f, base);
            fputc('\n', out);
        }
    }
}
