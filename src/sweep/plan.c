/* The plan of a sweep (see plan.h). */
#include "sweep/plan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cltrain/callbacks.h"
#include "cltrain/experiment.h"
#include "cltrain/sweep_section.h"
#include "core/edit_distance.h"
#include "run/checkpoint_io.h"
#include "core/fs.h"

#define MAX_POINTS 1000000
#define NAME_CHARS 120 /* longer names are cut and told apart by a hash */

static uint32_t fnv1a(const char *s, uint32_t h)
{
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

/* Append text to buf[*len], keeping [A-Za-z0-9._+-]; brackets are dropped
 * ("model[0]" -> "model0"), anything else becomes '_' and makes the name lossy. */
static void append_clean(char *buf, size_t size, size_t *len, const char *text, size_t n, bool *lossy)
{
    for (size_t i = 0; i < n && *len + 1 < size; i++) {
        char c = text[i];
        if (c == '[' || c == ']')
            continue;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                  c == '+' || c == '-' || c == '_';
        if (!ok)
            *lossy = true;
        buf[(*len)++] = (char)(ok ? c : '_');
    }
    buf[*len] = '\0';
}

/* "model[0].dense.units" -> "units0": the last key, then every list index on the path. */
static void short_key(const char *key, size_t n, char *out, size_t size)
{
    const char *last = key;
    for (size_t i = 0; i < n; i++)
        if (key[i] == '.')
            last = key + i + 1;
    size_t last_len = 0;
    while (last + last_len < key + n && last[last_len] != '[')
        last_len++;
    size_t len = (size_t)snprintf(out, size, "%.*s", (int)last_len, last);
    for (size_t i = 0; i < n && len + 1 < size; i++)
        if (key[i] >= '0' && key[i] <= '9' && i > 0) {
            /* digits inside brackets only */
            size_t j = i;
            while (j > 0 && key[j - 1] >= '0' && key[j - 1] <= '9')
                j--;
            if (j > 0 && key[j - 1] == '[')
                out[len++] = key[i];
        }
    out[len < size ? len : size - 1] = '\0';
}

void sweep_point_name(char *const *sets, size_t n, bool short_keys, char *buf, size_t size)
{
    char name[512];
    size_t len = 0;
    bool lossy = false;
    name[0] = '\0';
    uint32_t hash = 2166136261u;
    for (size_t i = 0; i < n; i++) {
        hash = fnv1a(sets[i], fnv1a("\n", hash));
        const char *eq = strchr(sets[i], '=');
        size_t key_len = eq ? (size_t)(eq - sets[i]) : strlen(sets[i]);
        if (i && len + 1 < sizeof name)
            name[len++] = '_', name[len] = '\0';
        if (short_keys) {
            char k[128];
            short_key(sets[i], key_len, k, sizeof k);
            append_clean(name, sizeof name, &len, k, strlen(k), &lossy);
        } else
            append_clean(name, sizeof name, &len, sets[i], key_len, &lossy);
        append_clean(name, sizeof name, &len, "-", 1, &lossy);
        const char *value = eq ? eq + 1 : "";
        append_clean(name, sizeof name, &len, value, strlen(value), &lossy);
    }
    if (n == 0)
        snprintf(buf, size, "base");
    else if (len > NAME_CHARS || lossy || name[0] == '.' || name[0] == '-')
        snprintf(buf, size, "%.*s-h%08x", NAME_CHARS, name, hash);
    else
        snprintf(buf, size, "%s", name);
}

char *sweep_point_dir(const sweep_plan *p, size_t i) { return ct_path_join(p->dir, p->points[i].name); }

static ct_status add_axis(sweep_plan *p, sweep_axis *a)
{
    /* An axis given again (the command line over the file) replaces the earlier one. */
    for (size_t i = 0; i < p->axis_count; i++)
        if (!strcmp(p->axes[i].key, a->key) && p->axes[i].kind == a->kind) {
            sweep_axis_free(&p->axes[i]);
            p->axes[i] = *a;
            return CT_OK;
        }
    sweep_axis *grown = realloc(p->axes, (p->axis_count + 1) * sizeof *grown);
    if (!grown) {
        sweep_axis_free(a);
        return ct_fail(CT_ERR_NO_MEMORY, "out of memory");
    }
    p->axes = grown;
    p->axes[p->axis_count++] = *a;
    return CT_OK;
}

static ct_status axes_from_section(sweep_plan *p, const ct_sweep_axis_text *t, size_t n, sweep_axis_kind kind)
{
    for (size_t i = 0; i < n; i++) {
        sweep_axis a;
        if (t[i].spec)
            CT_TRY(sweep_axis_parse(t[i].key, t[i].spec, kind, t[i].where, &a));
        else
            CT_TRY(sweep_axis_from_list(t[i].key, (const char *const *)t[i].values, t[i].value_count, kind,
                                        t[i].where, &a));
        CT_TRY(add_axis(p, &a));
    }
    return CT_OK;
}

static ct_status axes_from_args(sweep_plan *p, const char *const *args, size_t n, sweep_axis_kind kind,
                                const char *option)
{
    for (size_t i = 0; i < n; i++) {
        sweep_axis a;
        CT_TRY(sweep_axis_from_arg(args[i], kind, option, &a));
        CT_TRY(add_axis(p, &a));
    }
    return CT_OK;
}

/* Grid axes first, in their order, then random ones: the order of a point's overrides. */
static void order_axes(sweep_plan *p)
{
    size_t g = 0;
    for (size_t i = 0; i < p->axis_count; i++)
        if (p->axes[i].kind == SWEEP_GRID) {
            sweep_axis a = p->axes[i];
            memmove(&p->axes[g + 1], &p->axes[g], (i - g) * sizeof *p->axes);
            p->axes[g++] = a;
        }
}

static char *copy_or_null(const char *s, ct_status *st)
{
    if (!s)
        return NULL;
    char *c = strdup(s);
    if (!c)
        *st = ct_fail(CT_ERR_NO_MEMORY, "out of memory");
    return c;
}

/* The metric: given, or the first compiled metric on the validation data
 * (the loss without metrics; the training values without validation data);
 * it must be a column the history will have. */
static ct_status choose_metric(sweep_plan *p, const ct_experiment *exp, const char *given)
{
    bool val = ct_experiment_has_validation(exp);
    char columns[2 * (1 + CT_METRIC_COUNT)][64];
    size_t n = 0;
    snprintf(columns[n++], sizeof columns[0], "loss");
    for (size_t i = 0; i < exp->train.metric_count; i++)
        snprintf(columns[n++], sizeof columns[0], "%s", ct_metric_keras_name(exp->train.metrics[i]));
    size_t train_columns = n;
    if (val)
        for (size_t i = 0; i < train_columns; i++)
            snprintf(columns[n++], sizeof columns[0], "val_%.56s", columns[i]);
    const char *metric = given;
    char fallback[80];
    if (!metric) {
        snprintf(fallback, sizeof fallback, "%s%s", val ? "val_" : "",
                 exp->train.metric_count ? ct_metric_keras_name(exp->train.metrics[0]) : "loss");
        metric = fallback;
    }
    size_t best = 0, best_distance = (size_t)-1;
    for (size_t i = 0; i < n; i++) {
        if (!strcmp(columns[i], metric)) {
            if (!(p->metric = strdup(metric)))
                return ct_fail(CT_ERR_NO_MEMORY, "out of memory");
            bool maximize = false;
            CT_TRY(ct_monitor_maximizes(metric, CT_MODE_AUTO, &maximize));
            p->maximize = maximize;
            return CT_OK;
        }
        size_t d = ct_edit_distance(metric, columns[i], true);
        if (d < best_distance)
            best = i, best_distance = d;
    }
    char list[1024] = "";
    for (size_t i = 0; i < n; i++)
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "", columns[i]);
    if (best_distance <= 3)
        return ct_fail(CT_ERR_CONFIG, "sweep metric '%s' is no column of the runs' history (did you mean '%s'?)",
                       metric, columns[best]);
    return ct_fail(CT_ERR_CONFIG, "sweep metric '%s' is no column of the runs' history; expected one of %s", metric,
                   list);
}

/* Open the experiment with the fixed overrides and the point's, check it
 * and keep its effective configuration. */
static ct_status check_point(const sweep_plan *p, sweep_point *pt, size_t index, ct_experiment **keep)
{
    size_t n = p->fixed_count + pt->set_count;
    const char **sets = malloc((n ? n : 1) * sizeof *sets);
    if (!sets)
        return ct_fail(CT_ERR_NO_MEMORY, "out of memory");
    for (size_t i = 0; i < p->fixed_count; i++)
        sets[i] = p->fixed[i];
    for (size_t i = 0; i < pt->set_count; i++)
        sets[p->fixed_count + i] = pt->sets[i];
    ct_experiment *exp = NULL;
    ct_status s = ct_experiment_open(p->experiment, sets, n, &exp);
    free(sets);
    if (s == CT_OK)
        s = ct_run_experiment_yaml(exp, &pt->config);
    if (s != CT_OK) {
        ct_experiment_free(exp);
        return ct_fail_context(s, "sweep point %zu (%s)", index, pt->name);
    }
    if (keep)
        *keep = exp;
    else
        ct_experiment_free(exp);
    return CT_OK;
}

static bool same_sets(const sweep_point *a, const sweep_point *b)
{
    if (a->set_count != b->set_count)
        return false;
    for (size_t i = 0; i < a->set_count; i++)
        if (strcmp(a->sets[i], b->sets[i]) != 0)
            return false;
    return true;
}

static ct_status make_points(sweep_plan *p, const sweep_request *r, int draws, int64_t seed)
{
    size_t combos = 1, grid_axes = 0;
    for (size_t i = 0; i < p->axis_count; i++)
        if (p->axes[i].kind == SWEEP_GRID) {
            grid_axes++;
            if (combos > MAX_POINTS / p->axes[i].value_count)
                return ct_fail(CT_ERR_CONFIG, "the sweep has more than %d points", MAX_POINTS);
            combos *= p->axes[i].value_count;
        }
    p->draws = draws > 0 ? (size_t)draws : 1;
    if (combos > MAX_POINTS / p->draws)
        return ct_fail(CT_ERR_CONFIG, "the sweep has more than %d points", MAX_POINTS);
    size_t total = combos * p->draws;
    /* Draws: the same values for every combination, in draw-major order. */
    char(*drawn)[64] = calloc(p->draws * (p->axis_count - grid_axes) + 1, sizeof *drawn);
    p->points = calloc(total, sizeof *p->points);
    if (!drawn || !p->points) {
        free(drawn);
        return ct_fail(CT_ERR_NO_MEMORY, "out of memory");
    }
    sweep_rng rng;
    sweep_rng_seed(&rng, (uint64_t)seed);
    for (size_t d = 0; d < p->draws; d++)
        for (size_t j = grid_axes; j < p->axis_count; j++)
            sweep_axis_draw(&p->axes[j], &rng, drawn[d * (p->axis_count - grid_axes) + j - grid_axes], 64);

    /* Short names ("units0") unless two axes would share one. */
    bool short_keys = true;
    for (size_t i = 0; i < p->axis_count && short_keys; i++)
        for (size_t j = i + 1; j < p->axis_count; j++) {
            char a[128], b[128];
            short_key(p->axes[i].key, strlen(p->axes[i].key), a, sizeof a);
            short_key(p->axes[j].key, strlen(p->axes[j].key), b, sizeof b);
            if (!strcmp(a, b))
                short_keys = false;
        }

    ct_status s = CT_OK;
    for (size_t c = 0; c < combos && s == CT_OK; c++)
        for (size_t d = 0; d < p->draws && s == CT_OK; d++) {
            sweep_point *pt = &p->points[p->point_count];
            pt->sets = calloc(p->axis_count + 1, sizeof *pt->sets);
            if (!pt->sets) {
                s = ct_fail(CT_ERR_NO_MEMORY, "out of memory");
                break;
            }
            size_t rest = c;
            /* first axis slowest: take the digits of c from the last axis */
            for (size_t j = grid_axes; j-- > 0;) {
                const sweep_axis *a = &p->axes[j];
                const char *v = a->values[rest % a->value_count];
                rest /= a->value_count;
                size_t len = strlen(a->key) + strlen(v) + 2;
                if ((pt->sets[j] = malloc(len)))
                    snprintf(pt->sets[j], len, "%s=%s", a->key, v);
            }
            for (size_t j = grid_axes; j < p->axis_count; j++) {
                const char *v = drawn[d * (p->axis_count - grid_axes) + j - grid_axes];
                size_t len = strlen(p->axes[j].key) + strlen(v) + 2;
                if ((pt->sets[j] = malloc(len)))
                    snprintf(pt->sets[j], len, "%s=%s", p->axes[j].key, v);
            }
            pt->set_count = p->axis_count;
            for (size_t j = 0; j < p->axis_count; j++)
                if (!pt->sets[j])
                    s = ct_fail(CT_ERR_NO_MEMORY, "out of memory");
            char name[256];
            sweep_point_name(pt->sets, pt->set_count, short_keys, name, sizeof name);
            if (s == CT_OK && !(pt->name = strdup(name)))
                s = ct_fail(CT_ERR_NO_MEMORY, "out of memory");
            p->point_count++;
            if (s != CT_OK)
                break;
            /* Two draws alike (a small integer range) are one point; two
             * different points whose names read alike get told apart by a hash. */
            for (size_t k = 0; k + 1 < p->point_count; k++)
                if (!strcmp(p->points[k].name, pt->name) && !same_sets(&p->points[k], pt)) {
                    char longer[300];
                    uint32_t h = 2166136261u;
                    for (size_t j = 0; j < pt->set_count; j++)
                        h = fnv1a(pt->sets[j], fnv1a("\n", h));
                    snprintf(longer, sizeof longer, "%.*s-h%08x", NAME_CHARS, pt->name, h);
                    free(pt->name);
                    if (!(pt->name = strdup(longer)))
                        s = ct_fail(CT_ERR_NO_MEMORY, "out of memory");
                    break;
                }
            for (size_t k = 0; s == CT_OK && k + 1 < p->point_count; k++)
                if (!strcmp(p->points[k].name, pt->name)) {
                    for (size_t j = 0; j < pt->set_count; j++)
                        free(pt->sets[j]);
                    free(pt->sets);
                    free(pt->name);
                    memset(pt, 0, sizeof *pt);
                    p->point_count--;
                    p->duplicates++;
                    break;
                }
        }
    free(drawn);
    (void)r;
    return s;
}

ct_status sweep_plan_make(const sweep_request *r, sweep_plan *out)
{
    memset(out, 0, sizeof *out);
    if (!r->experiment)
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "sweep_plan_make: no experiment file");
    ct_experiment *exp = NULL;
    ct_status s = ct_experiment_load(r->experiment, &exp);
    ct_sweep_section sec;
    memset(&sec, 0, sizeof sec);
    if (s == CT_OK)
        s = ct_experiment_sweep_section(exp, &sec);
    if (s == CT_OK && !(out->experiment = strdup(r->experiment)))
        s = ct_fail(CT_ERR_NO_MEMORY, "out of memory");
    if (s == CT_OK && r->fixed_count) {
        out->fixed = calloc(r->fixed_count, sizeof *out->fixed);
        for (size_t i = 0; out->fixed && i < r->fixed_count; i++)
            if ((out->fixed[i] = strdup(r->fixed[i])))
                out->fixed_count = i + 1;
        if (out->fixed_count != r->fixed_count)
            s = ct_fail(CT_ERR_NO_MEMORY, "out of memory");
    }
    if (s == CT_OK)
        s = axes_from_section(out, sec.grid, sec.grid_count, SWEEP_GRID);
    if (s == CT_OK)
        s = axes_from_section(out, sec.random, sec.random_count, SWEEP_RANDOM);
    if (s == CT_OK)
        s = axes_from_args(out, r->grid, r->grid_count, SWEEP_GRID, "--grid");
    if (s == CT_OK)
        s = axes_from_args(out, r->sample, r->sample_count, SWEEP_RANDOM, "--sample");
    if (s == CT_OK) {
        order_axes(out);
        /* A key on both a grid and a random axis would be set twice. */
        for (size_t i = 0; i < out->axis_count && s == CT_OK; i++)
            for (size_t j = i + 1; j < out->axis_count && s == CT_OK; j++)
                if (!strcmp(out->axes[i].key, out->axes[j].key))
                    s = ct_fail(CT_ERR_CONFIG, "%s is both a grid axis and a random axis; make it one of them",
                                out->axes[i].key);
    }
    int draws = r->random > 0 ? r->random : sec.samples;
    bool any_random = out->axis_count && out->axes[out->axis_count - 1].kind == SWEEP_RANDOM;
    if (s == CT_OK && any_random && draws <= 0)
        s = ct_fail(CT_ERR_CONFIG, "random axes (--sample, sweep.random.axes) need a number of draws: --random N "
                                   "or sweep.random.count");
    if (s == CT_OK && !any_random && r->random > 0)
        s = ct_fail(CT_ERR_CONFIG, "--random %d draws values of random axes, and there are none: add --sample "
                                   "KEY=A:B (uniform) or --sample KEY=log:A:B (log-uniform)",
                    r->random);
    if (s == CT_OK)
        s = make_points(out, r, any_random ? draws : 1, r->has_seed ? r->seed : sec.seed);
    const char *name = r->name ? r->name : sec.name ? sec.name : exp ? exp->name : "sweep";
    if (s == CT_OK && !(out->name = strdup(name)))
        s = ct_fail(CT_ERR_NO_MEMORY, "out of memory");
    if (s == CT_OK) {
        char dir[4096];
        snprintf(dir, sizeof dir, "sweeps/%s", name);
        out->dir = strdup(r->dir ? r->dir : dir);
        out->devices = copy_or_null(sec.devices, &s);
        if (!out->dir)
            s = ct_fail(CT_ERR_NO_MEMORY, "out of memory");
    }
    /* Every point checked now, the first one kept for the metric's names. */
    ct_experiment *first = NULL;
    for (size_t i = 0; i < out->point_count && s == CT_OK; i++)
        s = check_point(out, &out->points[i], i, i == 0 ? &first : NULL);
    if (s == CT_OK)
        s = choose_metric(out, first, r->metric ? r->metric : sec.metric);
    ct_experiment_free(first);
    ct_sweep_section_free(&sec);
    ct_experiment_free(exp);
    if (s != CT_OK)
        sweep_plan_free(out);
    return s;
}

void sweep_plan_free(sweep_plan *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->point_count; i++) {
        for (size_t j = 0; j < p->points[i].set_count; j++)
            free(p->points[i].sets[j]);
        free(p->points[i].sets);
        free(p->points[i].name);
        free(p->points[i].config);
    }
    free(p->points);
    for (size_t i = 0; i < p->axis_count; i++)
        sweep_axis_free(&p->axes[i]);
    free(p->axes);
    for (size_t i = 0; i < p->fixed_count; i++)
        free(p->fixed[i]);
    free(p->fixed);
    free(p->experiment);
    free(p->name);
    free(p->dir);
    free(p->metric);
    free(p->devices);
    memset(p, 0, sizeof *p);
}
