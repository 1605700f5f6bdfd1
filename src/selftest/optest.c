/* The harness behind the op-test table (see optest.h). */
#include "selftest/optest.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define GUARD 64                  /* elements of guard before and after each buffer */
#define GUARD_VALUE 12345.678f    /* what guards hold; an op that writes there is out of bounds */
#define MAX_GRAD_SAMPLES 48       /* finite differences checked per input */
#define FD_STEP 1e-4

/* splitmix64: a tiny seeded generator; the stream depends only on the key. */
static uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static double uniform01(uint64_t *state) { return (double)(splitmix64(state) >> 11) * 0x1.0p-53; }

static uint64_t key_of(const ct_optest_case *c, unsigned salt)
{
    uint64_t h = 1469598103934665603ULL;
    const char *parts[2] = {c->op->name, c->label ? c->label : ""};
    for (int p = 0; p < 2; p++)
        for (const char *s = parts[p]; *s; s++)
            h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h ^ ((uint64_t)salt * 0x9E3779B97F4A7C15ULL);
}

static void fill_input(const ct_optest_case *c, int i, float *x, size_t n)
{
    uint64_t state = key_of(c, (unsigned)i + 1);
    const ct_optest_input *in = &c->in[i];
    for (size_t k = 0; k < n; k++) {
        double v = in->lo + (in->hi - in->lo) * uniform01(&state);
        x[k] = in->integer ? (float)floor(v) : (float)v;
    }
}

/* A device tensor placed GUARD elements into a buffer whose guards hold GUARD_VALUE. */
typedef struct {
    ct_tensor whole, view;
    size_t count;
} guarded;

static ct_status guarded_create(ct_context *ctx, int ndim, const size_t *shape, const float *init, guarded *g)
{
    memset(g, 0, sizeof *g);
    g->count = ct_optest_count(ndim, shape);
    size_t total = g->count + 2 * GUARD;
    float *host = malloc(total * sizeof *host);
    if (!host)
        return ct_fail(CT_ERR_NO_MEMORY, "optest buffer");
    for (size_t k = 0; k < total; k++)
        host[k] = GUARD_VALUE;
    for (size_t k = 0; k < g->count; k++)
        host[GUARD + k] = init ? init[k] : NAN; /* NaN: an element the op forgot to write shows up */
    ct_status s = ct_tensor_create(ctx, 1, &total, &g->whole);
    if (s == CT_OK)
        s = ct_tensor_write(ctx, &g->whole, host);
    if (s == CT_OK)
        s = ct_tensor_view(&g->whole, GUARD, ndim, shape, &g->view);
    free(host);
    if (s != CT_OK)
        ct_tensor_release(&g->whole);
    return s;
}

/* Reads the interior into out (count floats); returns the number of corrupted guard elements. */
static ct_status guarded_read(ct_context *ctx, const guarded *g, float *out, size_t *bad_guards)
{
    size_t total = g->count + 2 * GUARD;
    float *host = malloc(total * sizeof *host);
    if (!host)
        return ct_fail(CT_ERR_NO_MEMORY, "optest read");
    ct_status s = ct_tensor_read(ctx, &g->whole, host);
    *bad_guards = 0;
    if (s == CT_OK) {
        for (size_t k = 0; k < GUARD; k++) {
            *bad_guards += host[k] != GUARD_VALUE;
            *bad_guards += host[GUARD + g->count + k] != GUARD_VALUE;
        }
        memcpy(out, host + GUARD, g->count * sizeof *out);
    }
    free(host);
    return s;
}

typedef struct {
    double nmse;
    size_t nonfinite_mismatch;
} comparison;

static comparison compare(const float *got, const double *want, size_t n)
{
    comparison r = {0, 0};
    double err = 0, norm = 0;
    for (size_t k = 0; k < n; k++) {
        int got_finite = isfinite(got[k]), want_finite = isfinite(want[k]);
        if (got_finite != want_finite) {
            r.nonfinite_mismatch++;
            continue;
        }
        if (!want_finite)
            continue;
        double d = (double)got[k] - want[k];
        err += d * d;
        norm += want[k] * want[k];
    }
    r.nmse = norm > 0 ? err / norm : err;
    return r;
}

static void describe_case(const ct_optest_case *c, char *buf, size_t size)
{
    size_t used = (size_t)snprintf(buf, size, "%s [%s]", c->op->name, c->label ? c->label : "");
    for (int i = 0; i < c->n_in && used < size; i++) {
        char s[96];
        used += (size_t)snprintf(buf + used, size - used, " %s", ct_shape_str(c->in[i].ndim, c->in[i].shape, s, sizeof s));
    }
}

/* Replace the "above work-group size" marker by a size for this device. */
static ct_optest_case resolve_case(ct_context *ctx, const ct_optest_case *c)
{
    ct_optest_case r = *c;
    size_t above = 2 * ct_context_device(ctx)->max_work_group_size + 3;
    for (int i = 0; i < r.n_in; i++)
        for (int d = 0; d < r.in[i].ndim; d++)
            if (r.in[i].shape[d] == CT_OPTEST_ABOVE_WG)
                r.in[i].shape[d] = above;
    for (size_t p = 0; p < sizeof r.ip / sizeof r.ip[0]; p++)
        if (r.ip[p] == (long)CT_OPTEST_ABOVE_WG)
            r.ip[p] = (long)above;
    return r;
}

typedef struct {
    float *host[CT_OPTEST_MAX_INPUTS];
    double *ref_in[CT_OPTEST_MAX_INPUTS];
    guarded dev[CT_OPTEST_MAX_INPUTS];
    guarded grad[CT_OPTEST_MAX_INPUTS];
    guarded out, grad_out;
    float *out_host, *upstream;
    double *ref_out;
    size_t out_count;
} case_buffers;

static void buffers_free(case_buffers *b)
{
    for (int i = 0; i < CT_OPTEST_MAX_INPUTS; i++) {
        free(b->host[i]);
        free(b->ref_in[i]);
        ct_tensor_release(&b->dev[i].whole);
        ct_tensor_release(&b->grad[i].whole);
    }
    ct_tensor_release(&b->out.whole);
    ct_tensor_release(&b->grad_out.whole);
    free(b->out_host);
    free(b->upstream);
    free(b->ref_out);
}

/* L = sum(upstream * ref_forward(inputs)) in double precision. */
static double ref_loss(const ct_optest_case *c, case_buffers *b)
{
    c->op->ref_forward(c, (const double *const *)b->ref_in, b->ref_out);
    double l = 0;
    for (size_t k = 0; k < b->out_count; k++)
        l += (double)b->upstream[k] * b->ref_out[k];
    return l;
}

static int check_gradients(ct_context *ctx, const ct_optest_case *c, case_buffers *b, FILE *log, const char *what,
                           ct_status *status)
{
    int failures = 0;
    ct_tensor in_views[CT_OPTEST_MAX_INPUTS], grad_views[CT_OPTEST_MAX_INPUTS];
    for (int i = 0; i < c->n_in; i++) {
        in_views[i] = b->dev[i].view;
        memset(&grad_views[i], 0, sizeof grad_views[i]);
        if (c->in[i].grad) {
            *status = guarded_create(ctx, c->in[i].ndim, c->in[i].shape, NULL, &b->grad[i]);
            if (*status != CT_OK)
                return 1;
            grad_views[i] = b->grad[i].view;
        }
    }
    *status = c->op->backward(ctx, c, in_views, &b->out.view, &b->grad_out.view, grad_views);
    if (*status != CT_OK) {
        fprintf(log, "FAIL %s backward: %s\n", what, ct_last_error());
        return 1;
    }
    double tol = c->tol_grad > 0 ? c->tol_grad : 1e-4;
    for (int i = 0; i < c->n_in; i++) {
        if (!c->in[i].grad)
            continue;
        size_t n = b->grad[i].count, bad_guards = 0;
        float *got = malloc(n * sizeof *got);
        if (!got) {
            *status = ct_fail(CT_ERR_NO_MEMORY, "optest gradient");
            return 1;
        }
        *status = guarded_read(ctx, &b->grad[i], got, &bad_guards);
        if (*status != CT_OK) {
            free(got);
            return 1;
        }
        size_t nonfinite = 0;
        for (size_t k = 0; k < n; k++)
            if (!isfinite(got[k]))
                nonfinite++;
        /* Sampled central differences of the reference forward. */
        size_t samples = n < MAX_GRAD_SAMPLES ? n : MAX_GRAD_SAMPLES;
        float sampled_got[MAX_GRAD_SAMPLES];
        double sampled_fd[MAX_GRAD_SAMPLES];
        uint64_t state = key_of(c, 100 + (unsigned)i);
        for (size_t s = 0; s < samples; s++) {
            size_t k = samples == n ? s : (size_t)(splitmix64(&state) % n);
            double x = b->ref_in[i][k];
            b->ref_in[i][k] = x + FD_STEP;
            double lp = ref_loss(c, b);
            b->ref_in[i][k] = x - FD_STEP;
            double lm = ref_loss(c, b);
            b->ref_in[i][k] = x;
            sampled_fd[s] = (lp - lm) / (2 * FD_STEP);
            sampled_got[s] = got[k];
        }
        comparison cmp = compare(sampled_got, sampled_fd, samples);
        if (bad_guards || nonfinite || cmp.nonfinite_mismatch || !(cmp.nmse <= tol)) {
            fprintf(log, "FAIL %s gradient of input %d: nmse %.3g (tolerance %.3g), %zu non-finite, %zu guard "
                         "elements overwritten\n",
                    what, i, cmp.nmse, tol, nonfinite, bad_guards);
            failures++;
        }
        free(got);
    }
    return failures;
}

/* Cases a run leaves out, from the environment, for slow devices such as a
 * simulator: CLTRAIN_SELFTEST_SKIP (comma-separated op names) and
 * CLTRAIN_SELFTEST_MAX_ELEMENTS (cases with a larger input or output).
 * Writes the reason into why and returns 1 to skip. */
static int left_out(const ct_optest_case *c, char *why, size_t size)
{
    const char *skip = getenv("CLTRAIN_SELFTEST_SKIP");
    if (skip && *skip) {
        size_t len = strlen(c->op->name);
        for (const char *p = skip; *p;) {
            size_t n = strcspn(p, ",");
            if (n == len && !strncmp(p, c->op->name, len)) {
                snprintf(why, size, "named in CLTRAIN_SELFTEST_SKIP");
                return 1;
            }
            p += n + (p[n] == ',');
        }
    }
    const char *cap_text = getenv("CLTRAIN_SELFTEST_MAX_ELEMENTS");
    size_t cap = cap_text && *cap_text ? (size_t)strtoull(cap_text, NULL, 10) : 0;
    if (!cap)
        return 0;
    size_t biggest = 0, shape[CT_MAX_DIMS];
    int ndim = 0;
    for (int i = 0; i < c->n_in; i++) {
        size_t n = ct_optest_count(c->in[i].ndim, c->in[i].shape);
        biggest = n > biggest ? n : biggest;
    }
    if (c->op->out_shape(c, &ndim, shape) == CT_OK) {
        size_t n = ct_optest_count(ndim, shape);
        biggest = n > biggest ? n : biggest;
    } else {
        ct_clear_error();
    }
    if (biggest <= cap)
        return 0;
    snprintf(why, size, "%zu elements, above CLTRAIN_SELFTEST_MAX_ELEMENTS=%zu", biggest, cap);
    return 1;
}

ct_status ct_optest_run_case(ct_context *ctx, const ct_optest_case *original, FILE *log, int verbose,
                             ct_optest_counts *counts)
{
    ct_optest_case rc = resolve_case(ctx, original);
    const ct_optest_case *c = &rc;
    char what[512];
    describe_case(c, what, sizeof what);
    if (c->op->supports && !c->op->supports(ctx, c)) {
        fprintf(log, "SKIP %s: not supported on %s\n", what, ct_context_device(ctx)->name);
        counts->skipped++;
        return CT_OK;
    }
    char why[128];
    if (left_out(c, why, sizeof why)) {
        if (verbose)
            fprintf(log, "SKIP %s: %s\n", what, why);
        counts->skipped++;
        return CT_OK;
    }

    case_buffers b;
    memset(&b, 0, sizeof b);
    ct_status s = CT_OK;
    int failures = 0;
    ct_tensor in_views[CT_OPTEST_MAX_INPUTS];
    int out_ndim = 0;
    size_t out_shape[CT_MAX_DIMS];

    for (int i = 0; i < c->n_in && s == CT_OK; i++) {
        size_t n = ct_optest_count(c->in[i].ndim, c->in[i].shape);
        b.host[i] = malloc(n * sizeof(float));
        b.ref_in[i] = malloc(n * sizeof(double));
        if (!b.host[i] || !b.ref_in[i]) {
            s = ct_fail(CT_ERR_NO_MEMORY, "optest inputs");
            break;
        }
        fill_input(c, i, b.host[i], n);
        for (size_t k = 0; k < n; k++)
            b.ref_in[i][k] = b.host[i][k];
        s = guarded_create(ctx, c->in[i].ndim, c->in[i].shape, b.host[i], &b.dev[i]);
        in_views[i] = b.dev[i].view;
    }
    if (s == CT_OK)
        s = c->op->out_shape(c, &out_ndim, out_shape);
    if (s == CT_OK) {
        b.out_count = ct_optest_count(out_ndim, out_shape);
        b.out_host = malloc(b.out_count * sizeof(float));
        b.ref_out = malloc(b.out_count * sizeof(double));
        b.upstream = malloc(b.out_count * sizeof(float));
        if (!b.out_host || !b.ref_out || !b.upstream)
            s = ct_fail(CT_ERR_NO_MEMORY, "optest outputs");
    }
    if (s == CT_OK)
        s = guarded_create(ctx, out_ndim, out_shape, NULL, &b.out);
    if (s == CT_OK) {
        s = c->op->forward(ctx, c, in_views, &b.out.view);
        if (s != CT_OK) {
            fprintf(log, "FAIL %s forward: %s\n", what, ct_last_error());
            failures++;
            s = CT_OK;
            goto done;
        }
    }
    if (s == CT_OK) {
        size_t bad_guards = 0;
        s = guarded_read(ctx, &b.out, b.out_host, &bad_guards);
        if (s == CT_OK) {
            c->op->ref_forward(c, (const double *const *)b.ref_in, b.ref_out);
            comparison cmp = compare(b.out_host, b.ref_out, b.out_count);
            double tol = c->tol_forward > 0 ? c->tol_forward : 1e-6;
            if (bad_guards || cmp.nonfinite_mismatch || !(cmp.nmse <= tol)) {
                fprintf(log, "FAIL %s forward: nmse %.3g (tolerance %.3g), %zu NaN/Inf mismatches, %zu guard "
                             "elements overwritten\n",
                        what, cmp.nmse, tol, cmp.nonfinite_mismatch, bad_guards);
                failures++;
            } else if (verbose) {
                fprintf(log, "ok   %s forward: nmse %.3g\n", what, cmp.nmse);
            }
        }
    }
    if (s == CT_OK && c->op->backward) {
        uint64_t state = key_of(c, 99);
        for (size_t k = 0; k < b.out_count; k++)
            b.upstream[k] = (float)(2 * uniform01(&state) - 1);
        s = guarded_create(ctx, out_ndim, out_shape, b.upstream, &b.grad_out);
        if (s == CT_OK) {
            int f = check_gradients(ctx, c, &b, log, what, &s);
            failures += f;
            if (s != CT_OK && f) {
                s = CT_OK; /* reported as a failure above */
            } else if (!f && verbose) {
                fprintf(log, "ok   %s backward\n", what);
            }
        }
    }
done:
    if (s != CT_OK) {
        fprintf(log, "FAIL %s: %s\n", what, ct_last_error());
        failures++;
    }
    if (failures)
        counts->failed++;
    else
        counts->passed++;
    buffers_free(&b);
    return CT_OK;
}

ct_status ct_optest_run_all(ct_context *ctx, const char *filter, FILE *log, int verbose, ct_optest_counts *counts)
{
    for (const ct_optest_family *const *f = ct_optest_families; *f; f++)
        for (size_t i = 0; i < (*f)->count; i++) {
            const ct_optest_case *c = &(*f)->cases[i];
            if (filter && *filter && !strstr(c->op->name, filter) && !strstr((*f)->family, filter))
                continue;
            CT_TRY(ct_optest_run_case(ctx, c, log, verbose, counts));
        }
    return CT_OK;
}
