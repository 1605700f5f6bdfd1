/* GEMM throughput (GFLOP/s, 2*m*n*k per product) for every GEMM engine cltrain
 * has, at square sizes and at the shapes the workshop's nets run:
 *   Dense 163 -> 100 at batch 32: forward, weight gradient x^T dy, input
 *   gradient dy W^T; the CIFAR convolutions as im2col products (batch 32,
 *   3x3, 32 filters): conv1 (28800, 32, 27), conv2 (25088, 32, 288) and
 *   conv2's weight and column gradients.
 * An engine that cannot run on the device gives "unsupported" rows. With
 * cltrain's shape classes available (gemm_select.h), the engine that was
 * fastest over each class's shapes here is recorded next to cltrain's choice. */
#include <float.h>
#include <stdlib.h>
#include <string.h>

#include "cltrain/gemm.h"
#ifdef DEVBENCH_HAVE_GEMM_SELECT
#include "cltrain/gemm_select.h"
#endif

#include "devbench.h"

typedef struct {
    const char *what;
    ct_transpose ta, tb;
    size_t m, n, k;
} gemm_shape;

static const gemm_shape shapes[] = {
    {"square", CT_NO_TRANS, CT_NO_TRANS, 256, 256, 256},
    {"square", CT_NO_TRANS, CT_NO_TRANS, 512, 512, 512},
    {"square", CT_NO_TRANS, CT_NO_TRANS, 1024, 1024, 1024},
    {"dense 163->100 forward", CT_NO_TRANS, CT_NO_TRANS, 32, 100, 163},
    {"dense 163->100 dW = x^T dy", CT_TRANS, CT_NO_TRANS, 163, 100, 32},
    {"dense 163->100 dx = dy W^T", CT_NO_TRANS, CT_TRANS, 32, 163, 100},
    {"conv1 forward (im2col)", CT_NO_TRANS, CT_NO_TRANS, 28800, 32, 27},
    {"conv2 forward (im2col)", CT_NO_TRANS, CT_NO_TRANS, 25088, 32, 288},
    {"conv2 dW = col^T dy", CT_TRANS, CT_NO_TRANS, 288, 32, 25088},
    {"conv2 dcol = dy W^T", CT_NO_TRANS, CT_TRANS, 25088, 288, 32},
};
#define SHAPE_COUNT (sizeof shapes / sizeof shapes[0])

typedef struct {
    ct_context *ctx;
    ct_gemm_engine engine;
    ct_gemm_args args;
} gemm_job;

static ct_status gemm_run(void *user, double *seconds)
{
    gemm_job *j = user;
    double t0 = db_now_s();
    CT_TRY(ct_gemm_with(j->ctx, j->engine, &j->args));
    CT_TRY(ct_context_finish(j->ctx));
    *seconds = db_now_s() - t0;
    return CT_OK;
}

static ct_status make_buffer(ct_context *ctx, size_t n, unsigned seed, cl_mem *out)
{
    float *host = db_random_floats(n, seed);
    if (!host)
        return ct_fail(CT_ERR_NO_MEMORY, "gemm: %zu floats", n);
    cl_int err;
    *out = clCreateBuffer(ct_context_cl(ctx), CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, n * sizeof(float), host, &err);
    free(host);
    return err == CL_SUCCESS ? CT_OK : ct_cl_fail(err, "gemm: clCreateBuffer");
}

static void shape_metric(const gemm_shape *sh, ct_gemm_engine engine, char *buf, size_t size)
{
    snprintf(buf, size, "%zux%zux%zu %c%c %s", sh->m, sh->n, sh->k, sh->ta ? 'T' : 'N', sh->tb ? 'T' : 'N',
             ct_gemm_engine_name(engine));
}

static void bench_shape(db_bench *b, const gemm_shape *sh)
{
    gemm_job j = {b->ctx, CT_GEMM_AUTO,
                  {sh->ta, sh->tb, sh->m, sh->n, sh->k, 1.0f, 0.0f, NULL, 0, sh->ta ? sh->m : sh->k, NULL, 0,
                   sh->tb ? sh->k : sh->n, NULL, 0, sh->n}};
    ct_status s = make_buffer(b->ctx, sh->m * sh->k, 1, &j.args.a);
    if (s == CT_OK)
        s = make_buffer(b->ctx, sh->k * sh->n, 2, &j.args.b);
    if (s == CT_OK)
        s = make_buffer(b->ctx, sh->m * sh->n, 3, &j.args.c);
    for (int e = CT_GEMM_AUTO + 1; e < CT_GEMM_ENGINE_COUNT; e++) {
        char metric[96];
        shape_metric(sh, (ct_gemm_engine)e, metric, sizeof metric);
        if (s != CT_OK) {
            db_device_add_failed_row(b->dev, "gemm", metric, "GFLOP/s", DB_ERROR, "%s", ct_last_error());
            continue;
        }
        if (!ct_gemm_engine_available(b->ctx, (ct_gemm_engine)e)) {
            db_device_add_failed_row(b->dev, "gemm", metric, "GFLOP/s", DB_UNSUPPORTED,
                                     "GEMM engine %s does not run on this device", ct_gemm_engine_name(e));
            continue;
        }
        j.engine = (ct_gemm_engine)e;
        db_row_spec spec = {"gemm", metric, "GFLOP/s", DB_RATE, 2.0 * (double)sh->m * (double)sh->n * (double)sh->k / 1e9};
        db_row *row;
        if (db_measure(b, &spec, gemm_run, &j, &row) == CT_OK)
            snprintf(row->note, sizeof row->note, "%s", sh->what);
    }
    cl_mem bufs[] = {j.args.a, j.args.b, j.args.c};
    for (size_t i = 0; i < 3; i++)
        if (bufs[i])
            clReleaseMemObject(bufs[i]);
}

#ifdef DEVBENCH_HAVE_GEMM_SELECT
/* Per shape class, the engine with the least total time over the class's
 * shapes that every available engine ran. */
static void record_fastest(db_bench *b)
{
    for (int c = 0; c < CT_GEMM_CLASS_COUNT; c++) {
        double total[CT_GEMM_ENGINE_COUNT] = {0};
        int shapes_counted = 0;
        for (size_t i = 0; i < SHAPE_COUNT; i++) {
            const gemm_shape *sh = &shapes[i];
            if ((int)ct_gemm_classify(sh->m, sh->n, sh->k) != c)
                continue;
            double seconds[CT_GEMM_ENGINE_COUNT] = {0};
            int complete = 1;
            for (int e = CT_GEMM_AUTO + 1; e < CT_GEMM_ENGINE_COUNT && complete; e++) {
                char metric[96];
                shape_metric(sh, (ct_gemm_engine)e, metric, sizeof metric);
                const db_row *row = db_device_find_row(b->dev, "gemm", metric);
                if (row && row->status == DB_UNSUPPORTED)
                    seconds[e] = DBL_MAX; /* never wins, never blocks the others */
                else if (row && row->status == DB_OK && row->median > 0)
                    seconds[e] = 2.0 * (double)sh->m * (double)sh->n * (double)sh->k / 1e9 / row->median;
                else
                    complete = 0;
            }
            if (!complete)
                continue;
            shapes_counted++;
            for (int e = CT_GEMM_AUTO + 1; e < CT_GEMM_ENGINE_COUNT; e++)
                total[e] = seconds[e] == DBL_MAX ? DBL_MAX : total[e] + seconds[e];
        }
        int fastest = 0;
        for (int e = CT_GEMM_AUTO + 1; e < CT_GEMM_ENGINE_COUNT; e++)
            if (total[e] < DBL_MAX && (!fastest || total[e] < total[fastest]))
                fastest = e;
        db_gemm_class *entry = db_device_gemm_class(b->dev, ct_gemm_class_name((ct_gemm_class)c));
        if (entry && shapes_counted && fastest)
            snprintf(entry->fastest, sizeof entry->fastest, "%s", ct_gemm_engine_name((ct_gemm_engine)fastest));
    }
}
#endif

ct_status db_bench_gemm(db_bench *b)
{
    for (size_t i = 0; i < SHAPE_COUNT; i++)
        bench_shape(b, &shapes[i]);
#ifdef DEVBENCH_HAVE_GEMM_SELECT
    record_fastest(b);
#endif
    return CT_OK;
}
