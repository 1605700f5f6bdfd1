/* Op-test cases: the training kernels outside the layer ops, so that
 * `selftest --all` covers every kernel a training step runs.
 *
 * optimizer_*: a parameter arena of two tensors (ip[2] and n - ip[2] floats,
 *   so the second starts after a padding gap; ip[2] = 0: one tensor) goes
 *   through ip[1] steps of the real optimizer (ct_optimizer_step, fresh zero
 *   state), step s with gradient row s. in[0] = initial weights (n),
 *   in[1] = gradients (steps, n); the output is the final weights.
 *   ip[0]: the optimizer kind. fp: Adam (lr, beta_1, beta_2, epsilon),
 *   SGD (lr, momentum; ip[3] = nesterov), RMSprop (lr, rho, momentum, epsilon).
 *   Several steps make the moments and velocities count: a state the kernel
 *   wrote wrongly shows in the weights of the next step.
 * gather_batch: ct_gather_batch_device, samples and targets in one launch.
 *   in[0] = samples (source rows, len_a), in[1] = indices (integers in
 *   [0, source rows)), in[2] = targets (source rows, len_b); ip[0] = first
 *   index used, ip[1] = rows gathered. Output: the gathered samples, then the
 *   gathered targets (views at two offsets of one buffer).
 * shuffle_indices: the epoch permutation, ip[0] = n, ip[1] = seed, ip[2] =
 *   epoch; no inputs, the output is the permutation as floats (exact below
 *   2^24). All forward-only. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "selftest/families.h"
#include "selftest/ref/ref_train.h"

#include "cltrain/batch.h"
#include "cltrain/optim.h"

/* ------------------------------------------------------------ optimizers */

static size_t params_of(const ct_optest_case *c) { return c->in[0].shape[0]; }

static ct_status params_shape(const ct_optest_case *c, int *ndim, size_t *shape)
{
    *ndim = 1;
    shape[0] = params_of(c);
    return CT_OK;
}

static ct_optimizer_spec spec_of(const ct_optest_case *c)
{
    ct_optimizer_spec s = ct_optimizer_defaults((ct_optimizer_kind)c->ip[0]);
    switch (s.kind) {
    case CT_OPTIMIZER_ADAM:
        s.adam = (ct_adam_spec){.learning_rate = c->fp[0], .beta_1 = c->fp[1], .beta_2 = c->fp[2], .epsilon = c->fp[3]};
        break;
    case CT_OPTIMIZER_SGD:
        s.sgd = (ct_sgd_spec){.learning_rate = c->fp[0], .momentum = c->fp[1], .nesterov = c->ip[3] != 0};
        break;
    default:
        s.rmsprop = (ct_rmsprop_spec){.learning_rate = c->fp[0], .rho = c->fp[1], .momentum = c->fp[2],
                                      .epsilon = c->fp[3]};
        break;
    }
    return s;
}

/* count floats from src (at element from) to dst (at element to). */
static ct_status copy_floats(ct_context *ctx, const ct_tensor *src, size_t from, const ct_tensor *dst, size_t to,
                             size_t count)
{
    if (!count)
        return CT_OK;
    cl_int err = clEnqueueCopyBuffer(ct_context_queue(ctx), src->buf, dst->buf, (src->offset + from) * sizeof(float),
                                     (dst->offset + to) * sizeof(float), count * sizeof(float), 0, NULL, NULL);
    return err == CL_SUCCESS ? CT_OK : ct_cl_fail(err, "optest: copying floats");
}

static ct_status optimizer_fwd(ct_context *ctx, const ct_optest_case *c, const ct_tensor *in, ct_tensor *out)
{
    size_t n = params_of(c), steps = (size_t)c->ip[1];
    size_t split = c->ip[2] > 0 && (size_t)c->ip[2] < n ? (size_t)c->ip[2] : n;
    size_t sizes[2] = {split, n - split};
    ct_param_arena *arena = NULL;
    ct_optimizer *opt = NULL;
    ct_tensor w[2], g[2];
    CT_TRY(ct_param_arena_create(ctx, ct_param_arena_padded(sizes[0]) + ct_param_arena_padded(sizes[1]), &arena));
    ct_status s = CT_OK;
    for (int t = 0; t < 2 && s == CT_OK; t++)
        if (sizes[t])
            s = ct_param_arena_add(arena, 1, &sizes[t], &w[t], &g[t]);
    for (int t = 0; t < 2 && s == CT_OK; t++)
        s = copy_floats(ctx, &in[0], t ? split : 0, &w[t], 0, sizes[t]);
    ct_optimizer_spec spec = spec_of(c);
    if (s == CT_OK)
        s = ct_optimizer_create(ctx, &spec, arena, &opt);
    for (size_t step = 0; step < steps && s == CT_OK; step++) {
        for (int t = 0; t < 2 && s == CT_OK; t++)
            s = copy_floats(ctx, &in[1], step * n + (t ? split : 0), &g[t], 0, sizes[t]);
        if (s == CT_OK)
            s = ct_optimizer_step(ctx, opt);
    }
    for (int t = 0; t < 2 && s == CT_OK; t++)
        s = copy_floats(ctx, &w[t], 0, out, t ? split : 0, sizes[t]);
    if (s == CT_OK) /* the arena's buffers go away below */
        s = clFinish(ct_context_queue(ctx)) == CL_SUCCESS ? CT_OK : ct_fail(CT_ERR_OPENCL, "optest: clFinish");
    ct_optimizer_free(opt);
    ct_param_arena_destroy(arena);
    return s;
}

static void optimizer_ref(const ct_optest_case *c, const double *const *in, double *out)
{
    size_t n = params_of(c), steps = (size_t)c->ip[1];
    double *state = calloc(2 * n + 1, sizeof *state);
    if (!state) { /* the comparison fails on NaN: say so loudly rather than pass */
        for (size_t i = 0; i < n; i++)
            out[i] = NAN;
        return;
    }
    double *a = state, *b = state + n;
    memcpy(out, in[0], n * sizeof *out);
    const double f0 = c->fp[0], f1 = c->fp[1], f2 = c->fp[2], f3 = c->fp[3];
    for (size_t step = 0; step < steps; step++) {
        const double *grad = in[1] + step * n;
        switch ((ct_optimizer_kind)c->ip[0]) {
        case CT_OPTIMIZER_ADAM:
            ref_adam_step(n, out, grad, a, b, step + 1, f0, f1, f2, f3);
            break;
        case CT_OPTIMIZER_SGD:
            ref_sgd_step(n, out, grad, a, f0, f1, c->ip[3] != 0);
            break;
        default:
            ref_rmsprop_step(n, out, grad, a, b, f0, f1, f2, f3);
            break;
        }
    }
    free(state);
}

static const ct_optest_op op_optimizer = {"optimizer", params_shape, optimizer_fwd, optimizer_ref, NULL, NULL};

#define OPT_CASE(label, n, steps, split, kind, nesterov, f0, f1, f2, f3)                                     \
    {&op_optimizer, label, 2, {{1, {n}, -2, 2, 0, 0}, {2, {steps, n}, -1, 1, 0, 0}},                       \
     {kind, steps, split, nesterov}, {f0, f1, f2, f3}, 1e-9, 0}

/* ---------------------------------------------------------- batch gather */

static size_t gather_rows_of(const ct_optest_case *c) { return (size_t)c->ip[1]; }
static size_t len_of(const ct_optest_case *c, int i) { return c->in[i].shape[1]; }

static ct_status gather_shape(const ct_optest_case *c, int *ndim, size_t *shape)
{
    *ndim = 1;
    shape[0] = gather_rows_of(c) * (len_of(c, 0) + len_of(c, 2));
    return CT_OK;
}

static ct_status gather_fwd(ct_context *ctx, const ct_optest_case *c, const ct_tensor *in, ct_tensor *out)
{
    size_t n_idx = c->in[1].shape[0], rows = gather_rows_of(c), la = len_of(c, 0), lb = len_of(c, 2);
    /* The sources must start at offset 0 (ct_gather_batch_device): copy the
     * guarded inputs into plain tensors. */
    ct_tensor src[2] = {{0}, {0}}, dst_a, dst_b;
    cl_mem idx = NULL;
    uint32_t *host_idx = malloc(n_idx * sizeof *host_idx);
    float *host_f = malloc(n_idx * sizeof *host_f);
    ct_status s = host_idx && host_f ? CT_OK : ct_fail(CT_ERR_NO_MEMORY, "optest gather indices");
    if (s == CT_OK)
        s = ct_tensor_read(ctx, &in[1], host_f);
    for (size_t i = 0; i < n_idx && s == CT_OK; i++)
        host_idx[i] = (uint32_t)host_f[i];
    cl_int err = CL_SUCCESS;
    if (s == CT_OK) {
        idx = clCreateBuffer(ct_context_cl(ctx), CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, n_idx * sizeof *host_idx,
                             host_idx, &err);
        if (err != CL_SUCCESS)
            s = ct_cl_fail(err, "optest gather index buffer");
    }
    for (int t = 0; t < 2 && s == CT_OK; t++) {
        const ct_tensor *from = &in[t ? 2 : 0];
        s = ct_tensor_create(ctx, from->ndim, from->shape, &src[t]);
        if (s == CT_OK)
            s = copy_floats(ctx, from, 0, &src[t], 0, ct_tensor_count(from));
    }
    size_t sa[2] = {rows, la}, sb[2] = {rows, lb};
    if (s == CT_OK)
        s = ct_tensor_view(out, 0, 2, sa, &dst_a);
    if (s == CT_OK)
        s = ct_tensor_view(out, rows * la, 2, sb, &dst_b);
    if (s == CT_OK)
        s = ct_gather_batch_device(ctx, idx, (uint32_t)c->ip[0], &src[0], &dst_a, &src[1], &dst_b);
    if (s == CT_OK)
        s = clFinish(ct_context_queue(ctx)) == CL_SUCCESS ? CT_OK : ct_fail(CT_ERR_OPENCL, "optest: clFinish");
    if (idx)
        clReleaseMemObject(idx);
    ct_tensor_release(&src[0]);
    ct_tensor_release(&src[1]);
    free(host_idx);
    free(host_f);
    return s;
}

static void gather_ref(const ct_optest_case *c, const double *const *in, double *out)
{
    size_t n_idx = c->in[1].shape[0], rows = gather_rows_of(c), la = len_of(c, 0), lb = len_of(c, 2);
    uint32_t *idx = malloc(n_idx * sizeof *idx);
    if (!idx) {
        for (size_t i = 0; i < rows * (la + lb); i++)
            out[i] = NAN;
        return;
    }
    for (size_t i = 0; i < n_idx; i++)
        idx[i] = (uint32_t)in[1][i];
    ref_gather_rows(rows, (size_t)c->ip[0], idx, la, in[0], out);
    ref_gather_rows(rows, (size_t)c->ip[0], idx, lb, in[2], out + rows * la);
    free(idx);
}

static const ct_optest_op op_gather = {"gather_batch", gather_shape, gather_fwd, gather_ref, NULL, NULL};

/* src_rows source rows; indices [first, first + rows) of n_idx are used. */
#define GATHER_CASE(label, src_rows, la, lb, n_idx, first, rows)                                             \
    {&op_gather, label, 3,                                                                                  \
     {{2, {src_rows, la}, -1, 1, 0, 0}, {1, {n_idx}, 0, (float)(src_rows), 1, 0}, {2, {src_rows, lb}, -1, 1, 0, 0}}, \
     {(long)(first), (long)(rows)}, {0}, 1e-12, 0}

/* -------------------------------------------------------- epoch shuffle */

static ct_status shuffle_shape(const ct_optest_case *c, int *ndim, size_t *shape)
{
    *ndim = 1;
    shape[0] = (size_t)c->ip[0];
    return CT_OK;
}

static ct_status shuffle_fwd(ct_context *ctx, const ct_optest_case *c, const ct_tensor *in, ct_tensor *out)
{
    (void)in;
    uint32_t n = (uint32_t)c->ip[0];
    uint32_t *host = malloc(n * sizeof *host);
    float *f = malloc(n * sizeof *f);
    cl_int err = CL_SUCCESS;
    cl_mem idx = NULL;
    ct_status s = host && f ? CT_OK : ct_fail(CT_ERR_NO_MEMORY, "optest shuffle");
    if (s == CT_OK) {
        idx = clCreateBuffer(ct_context_cl(ctx), CL_MEM_READ_WRITE, n * sizeof *host, NULL, &err);
        if (err != CL_SUCCESS)
            s = ct_cl_fail(err, "optest shuffle buffer");
    }
    if (s == CT_OK)
        s = ct_shuffle_indices(ctx, idx, n, (uint64_t)c->ip[1], (uint64_t)c->ip[2]);
    if (s == CT_OK) {
        err = clEnqueueReadBuffer(ct_context_queue(ctx), idx, CL_TRUE, 0, n * sizeof *host, host, 0, NULL, NULL);
        if (err != CL_SUCCESS)
            s = ct_cl_fail(err, "optest: reading the permutation");
    }
    for (uint32_t i = 0; i < n && s == CT_OK; i++)
        f[i] = (float)host[i];
    if (s == CT_OK)
        s = ct_tensor_write(ctx, out, f);
    if (idx)
        clReleaseMemObject(idx);
    free(host);
    free(f);
    return s;
}

static void shuffle_ref(const ct_optest_case *c, const double *const *in, double *out)
{
    (void)in;
    uint32_t n = (uint32_t)c->ip[0];
    uint32_t *idx = malloc(n * sizeof *idx);
    if (!idx) {
        for (uint32_t i = 0; i < n; i++)
            out[i] = NAN;
        return;
    }
    ref_shuffle_indices(n, (uint64_t)c->ip[1], (uint64_t)c->ip[2], idx);
    for (uint32_t i = 0; i < n; i++)
        out[i] = idx[i];
    free(idx);
}

static const ct_optest_op op_shuffle = {"shuffle_indices", shuffle_shape, shuffle_fwd, shuffle_ref, NULL, NULL};

/* ------------------------------------------------------------------ table */

static const ct_optest_case cases[] = {
    /* Keras' defaults, and settings far from them. 37 + 21: the second tensor
     * starts after a gap of 11 padding floats; 1031: more work-items than a
     * work-group on most devices. */
    OPT_CASE("adam Keras defaults, 3 steps, two tensors", 58, 3, 37, CT_OPTIMIZER_ADAM, 0, 0.001f, 0.9f, 0.999f, 1e-7f),
    OPT_CASE("adam lr 0.1 beta 0.5/0.8, 5 steps", 1031, 5, 0, CT_OPTIMIZER_ADAM, 0, 0.1f, 0.5f, 0.8f, 1e-3f),
    OPT_CASE("sgd plain, 2 steps", 58, 2, 37, CT_OPTIMIZER_SGD, 0, 0.01f, 0.0f, 0, 0),
    OPT_CASE("sgd momentum 0.9, 4 steps", 1031, 4, 500, CT_OPTIMIZER_SGD, 0, 0.05f, 0.9f, 0, 0),
    OPT_CASE("sgd nesterov 0.8, 4 steps", 77, 4, 16, CT_OPTIMIZER_SGD, 1, 0.05f, 0.8f, 0, 0),
    OPT_CASE("rmsprop Keras defaults, 3 steps", 58, 3, 37, CT_OPTIMIZER_RMSPROP, 0, 0.001f, 0.9f, 0.0f, 1e-7f),
    OPT_CASE("rmsprop momentum 0.5, 4 steps", 1031, 4, 3, CT_OPTIMIZER_RMSPROP, 0, 0.01f, 0.7f, 0.5f, 1e-4f),
    /* A CIFAR batch (32 rows of 3072 floats, one-hot targets of 10) from an
     * index list's middle; one row; more rows than a work-group. */
    GATHER_CASE("CIFAR batch of 32 from index 40", 100, 3072, 10, 96, 40, 32),
    GATHER_CASE("one row, one target", 7, 5, 1, 7, 6, 1),
    GATHER_CASE("rows above work-group", 50, 3, 2, CT_OPTEST_ABOVE_WG, 0, CT_OPTEST_ABOVE_WG),
    {&op_shuffle, "sunshine-sized, seed 42 epoch 0", 0, {{0}}, {1461, 42, 0}, {0}, 1e-12, 0},
    {&op_shuffle, "CIFAR-sized, seed 7 epoch 3", 0, {{0}}, {10000, 7, 3}, {0}, 1e-12, 0},
    {&op_shuffle, "two indices", 0, {{0}}, {2, 1, 1}, {0}, 1e-12, 0},
};

const ct_optest_family ct_optest_family_train = CT_OPTEST_FAMILY("train", cases);
