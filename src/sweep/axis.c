/* Axis specifications (see axis.h). */
#include "sweep/axis.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_GRID_VALUES 100000
#define VALUE_CHARS 128

static const char GRID_FORMS[] = "expected a list V1,V2,... (1,2,5), a range A:B:STEP (0:0.5:0.1) or a log "
                                 "range log:A:B:N (log:1e-4:1e-1:4)";
static const char RANDOM_FORMS[] = "expected a range A:B (uniform: 0:0.5), log:A:B (log-uniform: log:1e-4:1e-2) "
                                   "or a list of choices V1,V2,...";

static ct_status add_value(sweep_axis *a, const char *text, size_t len)
{
    if (a->value_count >= MAX_GRID_VALUES)
        return ct_fail(CT_ERR_CONFIG, "%s: more than %d values on one axis", a->key, MAX_GRID_VALUES);
    char **grown = realloc(a->values, (a->value_count + 1) * sizeof *grown);
    if (!grown)
        return ct_fail(CT_ERR_NO_MEMORY, "out of memory");
    a->values = grown;
    if (!(a->values[a->value_count] = strndup(text, len)))
        return ct_fail(CT_ERR_NO_MEMORY, "out of memory");
    a->value_count++;
    return CT_OK;
}

/* A number written as a whole number: "5", "-3" (not "5.0", "1e3"). */
static bool written_whole(const char *t)
{
    if (*t == '-' || *t == '+')
        t++;
    if (!*t)
        return false;
    for (; *t; t++)
        if (!isdigit((unsigned char)*t))
            return false;
    return true;
}

static ct_status number(const char *where, const char *text, const char *forms, double *out)
{
    char *end = NULL;
    errno = 0;
    double v = strtod(text, &end);
    if (!*text || end == text || *end || errno || !isfinite(v))
        return ct_fail(CT_ERR_CONFIG, "%s: '%s' is not a number; %s", where, text, forms);
    *out = v;
    return CT_OK;
}

/* "0.30000000000000004" -> "0.3": the value a person means by the step. */
static void format_number(double v, bool integer, char *buf, size_t size)
{
    if (integer)
        snprintf(buf, size, "%.0f", v);
    else {
        snprintf(buf, size, "%.10g", v);
        if (!strcmp(buf, "-0"))
            snprintf(buf, size, "0");
    }
}

/* Split "a:b:c" into at most 4 trimmed fields; returns their count. */
static size_t split_fields(const char *spec, char fields[4][VALUE_CHARS])
{
    size_t n = 0;
    const char *p = spec;
    for (;;) {
        const char *colon = strchr(p, ':');
        size_t len = colon ? (size_t)(colon - p) : strlen(p);
        if (n < 4) {
            while (len && isspace((unsigned char)*p))
                p++, len--;
            while (len && isspace((unsigned char)p[len - 1]))
                len--;
            snprintf(fields[n], VALUE_CHARS, "%.*s", (int)len, p);
        }
        n++;
        if (!colon)
            return n;
        p = colon + 1;
    }
}

/* V1,V2,... with commas inside [] or {} kept, and each value trimmed. */
static ct_status parse_list(sweep_axis *a, const char *spec, const char *where)
{
    int depth = 0;
    const char *start = spec;
    for (const char *p = spec;; p++) {
        if (*p == '[' || *p == '{')
            depth++;
        else if ((*p == ']' || *p == '}') && depth > 0)
            depth--;
        if (*p == '\0' || (*p == ',' && depth == 0)) {
            const char *b = start, *e = p;
            while (b < e && isspace((unsigned char)*b))
                b++;
            while (e > b && isspace((unsigned char)e[-1]))
                e--;
            if (b == e)
                return ct_fail(CT_ERR_CONFIG, "%s: an empty value in the list '%s'", where, spec);
            CT_TRY(add_value(a, b, (size_t)(e - b)));
            if (*p == '\0')
                return CT_OK;
            start = p + 1;
        }
    }
}

static ct_status parse_linear_grid(sweep_axis *a, char f[4][VALUE_CHARS], const char *where)
{
    double lo, hi, step;
    CT_TRY(number(where, f[0], GRID_FORMS, &lo));
    CT_TRY(number(where, f[1], GRID_FORMS, &hi));
    CT_TRY(number(where, f[2], GRID_FORMS, &step));
    if (!(step > 0))
        return ct_fail(CT_ERR_CONFIG, "%s: the step must be above 0, got %s", where, f[2]);
    if (hi < lo)
        return ct_fail(CT_ERR_CONFIG, "%s: the range runs from A to B: expected A <= B, got %s > %s", where, f[0],
                       f[1]);
    double n = floor((hi - lo) / step + 1e-9) + 1;
    if (n > MAX_GRID_VALUES)
        return ct_fail(CT_ERR_CONFIG, "%s: %.0f values; at most %d on one axis", where, n, MAX_GRID_VALUES);
    bool integer = written_whole(f[0]) && written_whole(f[1]) && written_whole(f[2]);
    for (size_t i = 0; i < (size_t)n; i++) {
        char buf[64];
        format_number(lo + (double)i * step, integer, buf, sizeof buf);
        CT_TRY(add_value(a, buf, strlen(buf)));
    }
    return CT_OK;
}

static ct_status parse_log_grid(sweep_axis *a, char f[4][VALUE_CHARS], const char *where)
{
    double lo, hi, count;
    CT_TRY(number(where, f[1], GRID_FORMS, &lo));
    CT_TRY(number(where, f[2], GRID_FORMS, &hi));
    if (!(lo > 0) || !(hi > 0))
        return ct_fail(CT_ERR_CONFIG, "%s: a log range needs A > 0 and B > 0, got %s and %s", where, f[1], f[2]);
    if (hi < lo)
        return ct_fail(CT_ERR_CONFIG, "%s: the range runs from A to B: expected A <= B, got %s > %s", where, f[1],
                       f[2]);
    if (!written_whole(f[3]) || number(where, f[3], GRID_FORMS, &count) != CT_OK || count < 2 ||
        count > MAX_GRID_VALUES)
        return ct_fail(CT_ERR_CONFIG, "%s: N, the number of values of log:A:B:N, must be a whole number from 2 to %d, "
                                      "got '%s'",
                       where, MAX_GRID_VALUES, f[3]);
    bool integer = written_whole(f[1]) && written_whole(f[2]);
    char last[64] = "";
    for (int i = 0; i < (int)count; i++) {
        double v = exp(log(lo) + (log(hi) - log(lo)) * i / (count - 1));
        if (i == (int)count - 1)
            v = hi; /* exactly B, not B times a rounding error */
        char buf[64];
        if (integer)
            snprintf(buf, sizeof buf, "%.0f", round(v));
        else
            snprintf(buf, sizeof buf, "%.4g", v);
        if (!strcmp(buf, last))
            continue; /* log:1:10:20 rounds several draws to the same whole number */
        snprintf(last, sizeof last, "%s", buf);
        CT_TRY(add_value(a, buf, strlen(buf)));
    }
    return CT_OK;
}

static ct_status parse_random_range(sweep_axis *a, char f[4][VALUE_CHARS], size_t n, const char *where)
{
    bool log_form = !strcmp(f[0], "log");
    const char *lo_text = log_form ? f[1] : f[0], *hi_text = log_form ? f[2] : f[1];
    if (n != (log_form ? 3u : 2u))
        return ct_fail(CT_ERR_CONFIG, "%s: %s", where, RANDOM_FORMS);
    CT_TRY(number(where, lo_text, RANDOM_FORMS, &a->lo));
    CT_TRY(number(where, hi_text, RANDOM_FORMS, &a->hi));
    if (a->hi < a->lo)
        return ct_fail(CT_ERR_CONFIG, "%s: the range runs from A to B: expected A <= B, got %s > %s", where, lo_text,
                       hi_text);
    if (log_form && !(a->lo > 0))
        return ct_fail(CT_ERR_CONFIG, "%s: a log range needs A > 0 and B > 0, got %s and %s", where, lo_text,
                       hi_text);
    a->draw = log_form ? DRAW_LOG_UNIFORM : DRAW_UNIFORM;
    a->integer = written_whole(lo_text) && written_whole(hi_text);
    return CT_OK;
}

ct_status sweep_axis_parse(const char *key, const char *spec, sweep_axis_kind kind, const char *where,
                           sweep_axis *out)
{
    memset(out, 0, sizeof *out);
    out->kind = kind;
    out->draw = DRAW_CHOICE;
    if (!(out->key = strdup(key)))
        return ct_fail(CT_ERR_NO_MEMORY, "out of memory");
    ct_status s;
    while (isspace((unsigned char)*spec))
        spec++;
    if (!*spec)
        s = ct_fail(CT_ERR_CONFIG, "%s: no values; %s", where, kind == SWEEP_GRID ? GRID_FORMS : RANDOM_FORMS);
    else if (strchr(spec, ':') && spec[0] != '[' && spec[0] != '{') {
        char f[4][VALUE_CHARS];
        size_t n = split_fields(spec, f);
        if (kind == SWEEP_RANDOM)
            s = parse_random_range(out, f, n, where);
        else if (!strcmp(f[0], "log"))
            s = n == 4 ? parse_log_grid(out, f, where) : ct_fail(CT_ERR_CONFIG, "%s: %s", where, GRID_FORMS);
        else
            s = n == 3 ? parse_linear_grid(out, f, where) : ct_fail(CT_ERR_CONFIG, "%s: %s", where, GRID_FORMS);
    } else
        s = parse_list(out, spec, where);
    if (s != CT_OK)
        sweep_axis_free(out);
    return s;
}

ct_status sweep_axis_from_list(const char *key, const char *const *values, size_t n, sweep_axis_kind kind,
                               const char *where, sweep_axis *out)
{
    memset(out, 0, sizeof *out);
    out->kind = kind;
    out->draw = DRAW_CHOICE;
    if (!(out->key = strdup(key)))
        return ct_fail(CT_ERR_NO_MEMORY, "out of memory");
    if (n == 0) {
        sweep_axis_free(out);
        return ct_fail(CT_ERR_CONFIG, "%s: no values", where);
    }
    for (size_t i = 0; i < n; i++) {
        ct_status s = add_value(out, values[i], strlen(values[i]));
        if (s != CT_OK) {
            sweep_axis_free(out);
            return s;
        }
    }
    return CT_OK;
}

ct_status sweep_axis_from_arg(const char *arg, sweep_axis_kind kind, const char *option, sweep_axis *out)
{
    memset(out, 0, sizeof *out);
    char where[256];
    snprintf(where, sizeof where, "%s %.200s", option, arg);
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg)
        return ct_fail(CT_ERR_CONFIG, "%s: expected KEY.PATH=VALUES, such as model[0].dense.units=1,2,5", where);
    char key[256];
    snprintf(key, sizeof key, "%.*s", (int)(eq - arg), arg);
    return sweep_axis_parse(key, eq + 1, kind, where, out);
}

void sweep_axis_free(sweep_axis *a)
{
    if (!a)
        return;
    for (size_t i = 0; i < a->value_count; i++)
        free(a->values[i]);
    free(a->values);
    free(a->key);
    memset(a, 0, sizeof *a);
}

void sweep_rng_seed(sweep_rng *r, uint64_t seed) { r->state = seed ^ 0x5deece66dULL; }

double sweep_rng_uniform(sweep_rng *r)
{
    uint64_t z = (r->state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    return (double)(z >> 11) * 0x1.0p-53;
}

void sweep_axis_draw(const sweep_axis *a, sweep_rng *r, char *buf, size_t size)
{
    double u = sweep_rng_uniform(r);
    if (a->draw == DRAW_CHOICE) {
        size_t i = (size_t)(u * (double)a->value_count);
        snprintf(buf, size, "%s", a->values[i < a->value_count ? i : a->value_count - 1]);
        return;
    }
    if (a->integer) { /* each whole number of [lo, hi] as likely (uniform) or by its log width */
        double lo = a->lo - 0.5, hi = a->hi + 0.5;
        double v = a->draw == DRAW_UNIFORM ? lo + u * (hi - lo)
                                           : exp(log(lo > 0 ? lo : a->lo) + u * (log(hi) - log(lo > 0 ? lo : a->lo)));
        v = round(v);
        v = v < a->lo ? a->lo : v > a->hi ? a->hi : v;
        snprintf(buf, size, "%.0f", v);
        return;
    }
    double v = a->draw == DRAW_UNIFORM ? a->lo + u * (a->hi - a->lo) : exp(log(a->lo) + u * (log(a->hi) - log(a->lo)));
    snprintf(buf, size, "%.4g", v);
}

void sweep_axis_label(const char *key, char *buf, size_t size)
{
    unsigned layer;
    char kind[64], field[192];
    int end = 0;
    if (sscanf(key, "model[%u].%63[a-z0-9_].%191s%n", &layer, kind, field, &end) == 3 && key[end] == '\0')
        snprintf(buf, size, "%s of layer %u (%s)", field, layer, kind);
    else
        snprintf(buf, size, "%s", key);
}
