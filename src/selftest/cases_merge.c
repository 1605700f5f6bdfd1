/* Op-test cases, family "merge": Keras' Add and Concatenate (the last
 * axis) of graph models (include/cltrain/ops_merge.h).
 *
 * ip[0] is the mode: 0 plain; 1 accumulate, the backward as a graph model
 * runs it for a tensor two layers use: each input's gradient is written,
 * then added to (ct_grad_accumulate, ct_concat_backward with accumulate
 * set), then halved, which gives the gradient only if the add added. */
#include "selftest/families.h"
#include "selftest/ref/ref_merge.h"

#include "cltrain/ops.h"
#include "cltrain/ops_merge.h"

enum { MODE_PLAIN = 0, MODE_ACCUMULATE = 1 };

static size_t last_of(const ct_optest_input *in) { return in->shape[in->ndim - 1]; }
static size_t rows_of(const ct_optest_input *in) { return ct_optest_count(in->ndim, in->shape) / last_of(in); }

/* ------------------------------------------------------------------ add */

static ct_status add_shape(const ct_optest_case *c, int *ndim, size_t *shape)
{
    *ndim = c->in[0].ndim;
    for (int d = 0; d < *ndim; d++)
        shape[d] = c->in[0].shape[d];
    return CT_OK;
}

static ct_status add_fwd(ct_context *ctx, const ct_optest_case *c, const ct_tensor *in, ct_tensor *out)
{
    return ct_add_n_forward(ctx, (size_t)c->n_in, in, out);
}

static void add_ref(const ct_optest_case *c, const double *const *in, double *out)
{
    ref_add_n((size_t)c->n_in, ct_optest_count(c->in[0].ndim, c->in[0].shape), in, out);
}

static ct_status add_bwd(ct_context *ctx, const ct_optest_case *c, const ct_tensor *in, const ct_tensor *out,
                         const ct_tensor *dy, ct_tensor *dx)
{
    (void)in, (void)out;
    for (int k = 0; k < c->n_in; k++) {
        if (!dx[k].buf)
            continue;
        CT_TRY(ct_grad_accumulate(ctx, dy, &dx[k], false));
        if (c->ip[0] == MODE_ACCUMULATE) {
            CT_TRY(ct_grad_accumulate(ctx, dy, &dx[k], true));
            CT_TRY(ct_scale(ctx, 0.5f, &dx[k], &dx[k]));
        }
    }
    return CT_OK;
}

static const ct_optest_op op_add = {"merge_add", add_shape, add_fwd, add_ref, add_bwd, NULL};

/* ---------------------------------------------------------- concatenate */

static ct_status concat_shape(const ct_optest_case *c, int *ndim, size_t *shape)
{
    *ndim = c->in[0].ndim;
    for (int d = 0; d < *ndim; d++)
        shape[d] = c->in[0].shape[d];
    for (int k = 1; k < c->n_in; k++)
        shape[*ndim - 1] += last_of(&c->in[k]);
    return CT_OK;
}

static ct_status concat_fwd(ct_context *ctx, const ct_optest_case *c, const ct_tensor *in, ct_tensor *out)
{
    return ct_concat_forward(ctx, (size_t)c->n_in, in, out);
}

static void concat_ref(const ct_optest_case *c, const double *const *in, double *out)
{
    size_t cols[CT_OPTEST_MAX_INPUTS];
    for (int k = 0; k < c->n_in; k++)
        cols[k] = last_of(&c->in[k]);
    ref_concat_last((size_t)c->n_in, rows_of(&c->in[0]), cols, in, out);
}

static ct_status concat_bwd(ct_context *ctx, const ct_optest_case *c, const ct_tensor *in, const ct_tensor *out,
                            const ct_tensor *dy, ct_tensor *dx)
{
    (void)in, (void)out;
    size_t n = (size_t)c->n_in;
    /* An input without a gradient still takes its columns of dy. */
    ct_tensor parts[CT_OPTEST_MAX_INPUTS];
    bool add[CT_OPTEST_MAX_INPUTS] = {false}, again[CT_OPTEST_MAX_INPUTS];
    for (size_t k = 0; k < n; k++) {
        parts[k] = dx[k];
        if (!dx[k].buf) {
            parts[k].ndim = c->in[k].ndim;
            parts[k].shape[c->in[k].ndim - 1] = last_of(&c->in[k]);
        }
        again[k] = true;
    }
    CT_TRY(ct_concat_backward(ctx, dy, n, parts, add));
    if (c->ip[0] != MODE_ACCUMULATE)
        return CT_OK;
    CT_TRY(ct_concat_backward(ctx, dy, n, parts, again));
    for (size_t k = 0; k < n; k++)
        if (dx[k].buf)
            CT_TRY(ct_scale(ctx, 0.5f, &dx[k], &dx[k]));
    return CT_OK;
}

static const ct_optest_op op_concat = {"merge_concatenate", concat_shape, concat_fwd, concat_ref, concat_bwd, NULL};

#define WG CT_OPTEST_ABOVE_WG
#define X(nd, ...) {nd, {__VA_ARGS__}, -1, 1, 0, 1}
#define NO_GRAD(nd, ...) {nd, {__VA_ARGS__}, -1, 1, 0, 0}
#define FWD_TOL 1e-12 /* a copy is exact; float sums of 2 to 4 terms */
#define GRAD_TOL 1e-5

static const ct_optest_case cases[] = {
    {&op_add, "two inputs", 2, {X(2, 7, 13), X(2, 7, 13)}, {MODE_PLAIN}, {0}, FWD_TOL, GRAD_TOL},
    {&op_add, "three NHWC inputs", 3, {X(4, 2, 5, 5, 3), X(4, 2, 5, 5, 3), X(4, 2, 5, 5, 3)}, {MODE_PLAIN}, {0},
     FWD_TOL, GRAD_TOL},
    {&op_add, "four inputs above work-group size", 4, {X(1, WG), X(1, WG), X(1, WG), X(1, WG)}, {MODE_PLAIN}, {0},
     FWD_TOL, GRAD_TOL},
    {&op_add, "accumulated gradients", 2, {X(3, 3, 4, 5), X(3, 3, 4, 5)}, {MODE_ACCUMULATE}, {0}, FWD_TOL,
     GRAD_TOL},
    {&op_add, "one input without gradient (the data)", 2, {NO_GRAD(2, 5, 6), X(2, 5, 6)}, {MODE_PLAIN}, {0},
     FWD_TOL, GRAD_TOL},
    {&op_concat, "flat, 3 + 5", 2, {X(2, 4, 3), X(2, 4, 5)}, {MODE_PLAIN}, {0}, FWD_TOL, GRAD_TOL},
    {&op_concat, "NHWC channels 16 + 3 + 1", 3, {X(4, 2, 3, 5, 16), X(4, 2, 3, 5, 3), X(4, 2, 3, 5, 1)},
     {MODE_PLAIN}, {0}, FWD_TOL, GRAD_TOL},
    {&op_concat, "rows above work-group size", 2, {X(2, WG, 2), X(2, WG, 7)}, {MODE_PLAIN}, {0}, FWD_TOL,
     GRAD_TOL},
    {&op_concat, "accumulated gradients, 4 inputs", 4, {X(2, 6, 1), X(2, 6, 2), X(2, 6, 3), X(2, 6, 4)},
     {MODE_ACCUMULATE}, {0}, FWD_TOL, GRAD_TOL},
    {&op_concat, "middle input without gradient (the data)", 3, {X(3, 2, 4, 3), NO_GRAD(3, 2, 4, 2), X(3, 2, 4, 5)},
     {MODE_PLAIN}, {0}, FWD_TOL, GRAD_TOL},
};
const ct_optest_family ct_optest_family_merge = CT_OPTEST_FAMILY("merge", cases);
