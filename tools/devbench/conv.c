/* Conv2D throughput at the CIFAR nets' shapes (batch 32, 3x3 'valid', 32
 * filters), through ct_conv2d_forward / ct_conv2d_backward with the
 * algorithm cltrain picks for the device (CT_CONV2D_AUTO; the row's note
 * names it):
 *   conv1  (32, 32, 32, 3)  -> (32, 30, 30, 32)
 *   conv2  (32, 30, 30, 32) -> (32, 28, 28, 32)
 * GFLOP/s counts the equivalent GEMM, 2*M*K*Cout with M = N*OH*OW and
 * K = KH*KW*Cin: once for the forward pass, twice for the backward pass
 * (input gradient and kernel gradient; the bias gradient is not counted). */
#include <stdlib.h>
#include <string.h>

#include "cltrain/ops_conv.h"

#include "devbench.h"

#define BATCH 32

typedef struct {
    const char *name;
    size_t h, w, cin, cout, k;
} conv_shape;

static const conv_shape shapes[] = {
    {"conv1 32x32x3->32 3x3", 32, 32, 3, 32, 3},
    {"conv2 30x30x32->32 3x3", 30, 30, 32, 32, 3},
};

typedef struct {
    ct_context *ctx;
    ct_conv2d_params p;
    int backward;
    ct_tensor x, kernel, bias, y, dy, dx, dkernel, dbias, ws;
} conv_job;

static void release(conv_job *j)
{
    ct_tensor *all[] = {&j->x, &j->kernel, &j->bias, &j->y, &j->dy, &j->dx, &j->dkernel, &j->dbias, &j->ws};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        ct_tensor_release(all[i]);
}

static ct_status fill(ct_context *ctx, ct_tensor *t, unsigned seed)
{
    size_t n = ct_tensor_count(t);
    float *host = db_random_floats(n, seed);
    if (!host)
        return ct_fail(CT_ERR_NO_MEMORY, "conv: %zu floats", n);
    ct_status s = ct_tensor_write(ctx, t, host);
    free(host);
    return s;
}

static ct_status setup(ct_context *ctx, const conv_shape *sh, conv_job *j, ct_conv2d_geometry *g)
{
    memset(j, 0, sizeof *j);
    j->ctx = ctx;
    j->p = (ct_conv2d_params){sh->k, sh->k, 1, 1, CT_PADDING_VALID, CT_CONV2D_AUTO, CT_ACTIVATION_LINEAR};
    size_t xs[4] = {BATCH, sh->h, sh->w, sh->cin}, floats;
    CT_TRY(ct_conv2d_geometry_of(&j->p, xs, sh->cout, g));
    CT_TRY(ct_conv2d_workspace_size(&j->p, xs, sh->cout, &floats));
    size_t ks[4] = {sh->k, sh->k, sh->cin, sh->cout}, ys[4] = {BATCH, g->oh, g->ow, sh->cout};
    CT_TRY(ct_tensor_create(ctx, 4, xs, &j->x));
    CT_TRY(ct_tensor_create(ctx, 4, ks, &j->kernel));
    CT_TRY(ct_tensor_create(ctx, 1, &sh->cout, &j->bias));
    CT_TRY(ct_tensor_create(ctx, 4, ys, &j->y));
    CT_TRY(ct_tensor_create(ctx, 4, ys, &j->dy));
    CT_TRY(ct_tensor_create(ctx, 4, xs, &j->dx));
    CT_TRY(ct_tensor_create(ctx, 4, ks, &j->dkernel));
    CT_TRY(ct_tensor_create(ctx, 1, &sh->cout, &j->dbias));
    if (floats)
        CT_TRY(ct_tensor_create(ctx, 1, &floats, &j->ws));
    CT_TRY(fill(ctx, &j->x, 1));
    CT_TRY(fill(ctx, &j->kernel, 2));
    CT_TRY(fill(ctx, &j->bias, 3));
    return fill(ctx, &j->dy, 4);
}

static ct_status conv_run(void *user, double *seconds)
{
    conv_job *j = user;
    const ct_tensor *ws = j->ws.buf ? &j->ws : NULL;
    double t0 = db_now_s();
    if (j->backward)
        CT_TRY(ct_conv2d_backward(j->ctx, &j->p, &j->x, &j->kernel, &j->dy, &j->dx, &j->dkernel, &j->dbias, ws));
    else
        CT_TRY(ct_conv2d_forward(j->ctx, &j->p, &j->x, &j->kernel, &j->bias, &j->y, ws));
    CT_TRY(ct_context_finish(j->ctx));
    *seconds = db_now_s() - t0;
    return CT_OK;
}

static void bench_shape(db_bench *b, const conv_shape *sh)
{
    conv_job j;
    ct_conv2d_geometry g = {0};
    ct_status s = setup(b->ctx, sh, &j, &g);
    double gemm_flop = 2.0 * (double)(g.n * g.oh * g.ow) * (double)(g.kh * g.kw * g.cin) * (double)g.cout;
    for (int backward = 0; backward <= 1; backward++) {
        char metric[96];
        snprintf(metric, sizeof metric, "%s %s", sh->name, backward ? "backward" : "forward");
        if (s != CT_OK) {
            db_device_add_failed_row(b->dev, "conv", metric, "GFLOP/s", DB_ERROR, "%s", ct_last_error());
            continue;
        }
        j.backward = backward;
        db_row_spec spec = {"conv", metric, "GFLOP/s", DB_RATE, (backward ? 2 : 1) * gemm_flop / 1e9};
        db_row *row;
        if (db_measure(b, &spec, conv_run, &j, &row) != CT_OK)
            continue;
        size_t ws = j.ws.buf ? ct_tensor_count(&j.ws) : 0;
        const char *fwd = ct_conv2d_algorithm_name(ct_conv2d_choose_pass(b->ctx, &g, ws, CT_CONV2D_PASS_FORWARD));
        const char *dx = ct_conv2d_algorithm_name(ct_conv2d_choose_pass(b->ctx, &g, ws, CT_CONV2D_PASS_DX));
        const char *dw = ct_conv2d_algorithm_name(ct_conv2d_choose_pass(b->ctx, &g, ws, CT_CONV2D_PASS_DW));
        /* The passes of one layer may use different algorithms. */
        if (backward) {
            snprintf(row->tag, sizeof row->tag, "%s/%s", dx, dw);
            snprintf(row->note, sizeof row->note, "batch %d, dx %s + dW and db %s", BATCH, dx, dw);
        } else {
            snprintf(row->tag, sizeof row->tag, "%s", fwd);
            snprintf(row->note, sizeof row->note, "batch %d, %s, with bias", BATCH, fwd);
        }
    }
    release(&j);
}

ct_status db_bench_conv(db_bench *b)
{
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
        bench_shape(b, &shapes[i]);
    return CT_OK;
}
