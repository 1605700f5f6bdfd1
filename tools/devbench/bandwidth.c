/* Global memory bandwidth: a copy kernel at float, float2, ... float16
 * elements; the best width is the device's figure. Counts bytes read plus
 * bytes written. Every width's output is compared with its input after the
 * timing, so a broken kernel or driver shows as an error, not as a number. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "devbench.h"

static const unsigned widths[] = {1, 2, 4, 8, 16};
static const char *const type_names[] = {"float", "float2", "float4", "float8", "float16"};
#define WIDTH_COUNT (sizeof widths / sizeof widths[0])
#define DEFAULT_BYTES ((size_t)64 << 20)

typedef struct {
    ct_context *ctx;
    cl_mem in, out;
    size_t n; /* floats per buffer, a multiple of 16 */
    cl_kernel kernel;
    unsigned width;
} copy_job;

static void copy_release(copy_job *j)
{
    if (j->in)
        clReleaseMemObject(j->in);
    if (j->out)
        clReleaseMemObject(j->out);
    j->in = j->out = NULL;
}

/* A pattern in which every element differs from its neighbours, so a copy
 * that drops, repeats or shifts elements is caught. */
static float pattern(size_t i)
{
    return (float)(i % 1000003) * 0.5f - 1000.0f;
}

static ct_status copy_setup(ct_context *ctx, size_t n, copy_job *j)
{
    memset(j, 0, sizeof *j);
    j->ctx = ctx;
    j->n = n;
    float *host = malloc(n * sizeof *host);
    if (!host)
        return ct_fail(CT_ERR_NO_MEMORY, "bandwidth: %zu floats", n);
    for (size_t i = 0; i < n; i++)
        host[i] = pattern(i);
    cl_int err;
    j->in = clCreateBuffer(ct_context_cl(ctx), CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, n * sizeof(float), host, &err);
    free(host);
    if (err != CL_SUCCESS)
        return ct_cl_fail(err, "bandwidth: clCreateBuffer");
    j->out = clCreateBuffer(ct_context_cl(ctx), CL_MEM_WRITE_ONLY, n * sizeof(float), NULL, &err);
    if (err != CL_SUCCESS)
        return ct_cl_fail(err, "bandwidth: clCreateBuffer");
    return CT_OK;
}

static ct_status copy_select(copy_job *j, unsigned width)
{
    char name[32];
    snprintf(name, sizeof name, "db_copy_%u", width);
    CT_TRY(ct_context_kernel(j->ctx, "devbench", name, &j->kernel));
    j->width = width;
    cl_int err = clSetKernelArg(j->kernel, 0, sizeof(cl_mem), &j->in);
    if (err == CL_SUCCESS)
        err = clSetKernelArg(j->kernel, 1, sizeof(cl_mem), &j->out);
    return err == CL_SUCCESS ? CT_OK : ct_cl_fail(err, "bandwidth: clSetKernelArg");
}

static ct_status copy_run(void *user, double *seconds)
{
    copy_job *j = user;
    size_t global = j->n / j->width;
    double t0 = db_now_s();
    cl_int err = clEnqueueNDRangeKernel(ct_context_queue(j->ctx), j->kernel, 1, NULL, &global, NULL, 0, NULL, NULL);
    if (err != CL_SUCCESS)
        return ct_cl_fail(err, "bandwidth: clEnqueueNDRangeKernel");
    CT_TRY(ct_context_finish(j->ctx));
    *seconds = db_now_s() - t0;
    return CT_OK;
}

static ct_status copy_count_mismatches(copy_job *j, size_t *mismatches)
{
    float *host = malloc(j->n * sizeof *host);
    if (!host)
        return ct_fail(CT_ERR_NO_MEMORY, "bandwidth: %zu floats", j->n);
    cl_int err = clEnqueueReadBuffer(ct_context_queue(j->ctx), j->out, CL_TRUE, 0, j->n * sizeof(float), host, 0,
                                     NULL, NULL);
    if (err != CL_SUCCESS) {
        free(host);
        return ct_cl_fail(err, "bandwidth: clEnqueueReadBuffer");
    }
    *mismatches = 0;
    for (size_t i = 0; i < j->n; i++) {
        float want = pattern(i);
        /* Bit for bit: a copy must not even turn -0 into 0. */
        if (memcmp(&host[i], &want, sizeof want) != 0) /* NOLINT(bugprone-suspicious-memory-comparison) */
            ++*mismatches;
    }
    free(host);
    return CT_OK;
}

/* Clears the output so a check cannot pass on a previous run's copy. */
static ct_status copy_clear_output(copy_job *j)
{
    float zero = 0.0f;
    cl_int err = clEnqueueFillBuffer(ct_context_queue(j->ctx), j->out, &zero, sizeof zero, 0, j->n * sizeof(float), 0,
                                     NULL, NULL);
    return err == CL_SUCCESS ? CT_OK : ct_cl_fail(err, "bandwidth: clEnqueueFillBuffer");
}

ct_status db_check_copy(ct_context *ctx, unsigned width, size_t n, size_t *mismatches)
{
    copy_job j;
    n = (n + 15) / 16 * 16;
    ct_status s = copy_setup(ctx, n, &j);
    if (s == CT_OK)
        s = copy_select(&j, width);
    if (s == CT_OK)
        s = copy_clear_output(&j);
    double seconds;
    if (s == CT_OK)
        s = copy_run(&j, &seconds);
    if (s == CT_OK)
        s = copy_count_mismatches(&j, mismatches);
    copy_release(&j);
    return s;
}

/* The buffer size: asked for (or 64 MiB), within what the device allows for
 * two buffers, a multiple of 16 floats. */
static size_t buffer_floats(const db_bench *b)
{
    const ct_device_info *info = ct_context_device(b->ctx);
    size_t bytes = b->opt->buffer_bytes ? b->opt->buffer_bytes : DEFAULT_BYTES;
    if (bytes > info->max_alloc_bytes)
        bytes = (size_t)info->max_alloc_bytes;
    if (bytes > info->global_mem_bytes / 4)
        bytes = (size_t)(info->global_mem_bytes / 4);
    size_t n = bytes / sizeof(float) / 16 * 16;
    return n ? n : 16;
}

ct_status db_bench_bandwidth(db_bench *b)
{
    copy_job j;
    size_t n = buffer_floats(b);
    ct_status s = copy_setup(b->ctx, n, &j);
    if (s != CT_OK) {
        db_device_add_failed_row(b->dev, "bandwidth", "copy best", "GB/s", DB_ERROR, "%s", ct_last_error());
        copy_release(&j);
        return s;
    }
    size_t best = SIZE_MAX, best_width = 0; /* row index: adding rows may move them */
    for (size_t w = 0; w < WIDTH_COUNT; w++) {
        char metric[32];
        snprintf(metric, sizeof metric, "copy %s", type_names[w]);
        db_row_spec spec = {"bandwidth", metric, "GB/s", DB_RATE, 2.0 * (double)(n * sizeof(float)) / 1e9};
        db_row *row;
        if (copy_select(&j, widths[w]) != CT_OK) {
            db_device_add_failed_row(b->dev, "bandwidth", metric, "GB/s", DB_ERROR, "%s", ct_last_error());
            continue;
        }
        if (copy_clear_output(&j) != CT_OK || db_measure(b, &spec, copy_run, &j, &row) != CT_OK)
            continue;
        size_t wrong = 0;
        if (copy_count_mismatches(&j, &wrong) != CT_OK || wrong) {
            row->status = DB_ERROR;
            if (wrong)
                snprintf(row->reason, sizeof row->reason, "copy is wrong: %zu of %zu floats differ", wrong, n);
            else
                snprintf(row->reason, sizeof row->reason, "%s", ct_last_error());
            continue;
        }
        snprintf(row->note, sizeof row->note, "%zu MiB buffers, verified", n * sizeof(float) >> 20);
        if (best == SIZE_MAX || row->median > b->dev->rows[best].median) {
            best = (size_t)(row - b->dev->rows);
            best_width = w;
        }
    }
    copy_release(&j);

    if (best == SIZE_MAX)
        return db_device_add_failed_row(b->dev, "bandwidth", "copy best", "GB/s", DB_ERROR, "no copy width ran")
                   ? CT_OK
                   : ct_fail(CT_ERR_NO_MEMORY, "devbench");
    db_row copy = b->dev->rows[best];
    db_row *row = db_device_add_row(b->dev, "bandwidth", "copy best", "GB/s", DB_HIGHER_IS_BETTER);
    if (!row)
        return ct_fail(CT_ERR_NO_MEMORY, "devbench");
    *row = copy;
    snprintf(row->metric, sizeof row->metric, "copy best");
    snprintf(row->tag, sizeof row->tag, "%s", type_names[best_width]);
    return CT_OK;
}
