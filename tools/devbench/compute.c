/* Single-precision compute peak: independent FMA chains (cl/devbench.cl,
 * db_fma_W) at vector widths 1 to 16; the best width is the device's
 * figure. Each launch is sized to take a few milliseconds, so the launch
 * cost stays small next to the arithmetic. After the timing, a sample of
 * work-items' outputs is compared bit for bit with the host's fmaf() chain:
 * fma() is correctly rounded, so device and host must agree exactly. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "devbench.h"

static const unsigned widths[] = {1, 2, 4, 8, 16};
static const char *const type_names[] = {"float", "float2", "float4", "float8", "float16"};
#define WIDTH_COUNT (sizeof widths / sizeof widths[0])
#define CHAINS 8 /* per work-item, as in the kernel */
#define FMA_A 0.999f
#define FMA_B 0.0005f

float db_fma_reference(unsigned width, size_t item, int iterations, float a, float b)
{
    /* The kernel's arithmetic, in the kernel's order (see cl/devbench.cl). */
    const float seed = (float)item * (1.0f / 1048576.0f);
    float total = 0.0f;
    for (unsigned lane = 0; lane < width; lane++) {
        const float x0 = seed + (float)lane / (float)width;
        float sum = 0.0f;
        for (int chain = 0; chain < CHAINS; chain++) {
            float x = chain == 0 ? x0 : x0 + (float)chain * 0.0625f;
            for (int i = 0; i < iterations; i++)
                x = fmaf(x, a, b);
            sum = chain == 0 ? x : sum + x;
        }
        total = lane == 0 ? sum : total + sum;
    }
    return total;
}

typedef struct {
    ct_context *ctx;
    cl_kernel kernel;
    cl_mem out;
    size_t items;
    int iterations;
} fma_job;

static ct_status fma_select(fma_job *j, unsigned width)
{
    char name[32];
    snprintf(name, sizeof name, "db_fma_%u", width);
    CT_TRY(ct_context_kernel(j->ctx, "devbench", name, &j->kernel));
    float a = FMA_A, b = FMA_B;
    cl_int err = clSetKernelArg(j->kernel, 0, sizeof(cl_mem), &j->out);
    if (err == CL_SUCCESS)
        err = clSetKernelArg(j->kernel, 1, sizeof a, &a);
    if (err == CL_SUCCESS)
        err = clSetKernelArg(j->kernel, 2, sizeof b, &b);
    return err == CL_SUCCESS ? CT_OK : ct_cl_fail(err, "compute: clSetKernelArg");
}

static ct_status fma_run(void *user, double *seconds)
{
    fma_job *j = user;
    cl_int iterations = j->iterations;
    cl_int err = clSetKernelArg(j->kernel, 3, sizeof iterations, &iterations);
    if (err != CL_SUCCESS)
        return ct_cl_fail(err, "compute: clSetKernelArg");
    double t0 = db_now_s();
    err = clEnqueueNDRangeKernel(ct_context_queue(j->ctx), j->kernel, 1, NULL, &j->items, NULL, 0, NULL, NULL);
    if (err != CL_SUCCESS)
        return ct_cl_fail(err, "compute: clEnqueueNDRangeKernel");
    CT_TRY(ct_context_finish(j->ctx));
    *seconds = db_now_s() - t0;
    return CT_OK;
}

/* Compares work-items spread over the range (the first, the last and some
 * in between) with the host. */
static ct_status fma_verify(fma_job *j, unsigned width, size_t *mismatches, float *first_device, float *first_host)
{
    float *out = malloc(j->items * sizeof *out);
    if (!out)
        return ct_fail(CT_ERR_NO_MEMORY, "compute: %zu floats", j->items);
    cl_int err = clEnqueueReadBuffer(ct_context_queue(j->ctx), j->out, CL_TRUE, 0, j->items * sizeof(float), out, 0,
                                     NULL, NULL);
    if (err != CL_SUCCESS) {
        free(out);
        return ct_cl_fail(err, "compute: clEnqueueReadBuffer");
    }
    enum { SAMPLES = 9 };
    *mismatches = 0;
    for (size_t s = 0; s < SAMPLES; s++) {
        size_t item = s * (j->items - 1) / (SAMPLES - 1);
        float want = db_fma_reference(width, item, j->iterations, FMA_A, FMA_B);
        if (s == 0) {
            *first_device = out[item];
            *first_host = want;
        }
        /* Bit for bit: fma() is correctly rounded, so the host predicts every bit. */
        if (memcmp(&out[item], &want, sizeof want) != 0) /* NOLINT(bugprone-suspicious-memory-comparison) */
            ++*mismatches;
    }
    free(out);
    return CT_OK;
}

static ct_status fma_setup(ct_context *ctx, size_t items, fma_job *j)
{
    memset(j, 0, sizeof *j);
    j->ctx = ctx;
    j->items = items;
    cl_int err;
    j->out = clCreateBuffer(ct_context_cl(ctx), CL_MEM_WRITE_ONLY, items * sizeof(float), NULL, &err);
    return err == CL_SUCCESS ? CT_OK : ct_cl_fail(err, "compute: clCreateBuffer");
}

ct_status db_check_fma(ct_context *ctx, unsigned width, size_t items, int iterations, size_t *mismatches,
                       float *first_device, float *first_host)
{
    fma_job j;
    ct_status s = fma_setup(ctx, items, &j);
    j.iterations = iterations;
    double seconds;
    if (s == CT_OK)
        s = fma_select(&j, width);
    if (s == CT_OK)
        s = fma_run(&j, &seconds);
    if (s == CT_OK)
        s = fma_verify(&j, width, mismatches, first_device, first_host);
    if (j.out)
        clReleaseMemObject(j.out);
    return s;
}

/* Iterations for a launch of about target_s, from a short trial launch. */
static ct_status calibrate(fma_job *j, double target_s)
{
    j->iterations = 64;
    double seconds;
    CT_TRY(fma_run(j, &seconds)); /* compiles and warms up */
    for (;;) {
        CT_TRY(fma_run(j, &seconds));
        if (seconds >= target_s / 4 || j->iterations >= (1 << 20))
            break;
        j->iterations *= 4;
    }
    double scaled = (double)j->iterations * target_s / (seconds > 0 ? seconds : 1e-6);
    j->iterations = scaled < 16 ? 16 : scaled > (1 << 22) ? (1 << 22) : (int)scaled;
    return CT_OK;
}

static int has_hardware_fma(ct_context *ctx)
{
    cl_device_fp_config config = 0;
    clGetDeviceInfo(ct_context_device(ctx)->device, CL_DEVICE_SINGLE_FP_CONFIG, sizeof config, &config, NULL);
    return (config & CL_FP_FMA) != 0;
}

ct_status db_bench_compute(db_bench *b)
{
    if (!has_hardware_fma(b->ctx)) {
        db_device_add_failed_row(b->dev, "compute", "fma best", "GFLOP/s", DB_UNSUPPORTED,
                                 "the device reports no fused multiply-add for float (CL_FP_FMA): "
                                 "fma() would be emulated");
        return CT_OK;
    }
    /* Enough work-items to fill a large GPU (thousands per compute unit), a
     * few thousand on a CPU. */
    size_t items = (size_t)ct_context_device(b->ctx)->compute_units * 2048;
    if (items < 4096)
        items = 4096;
    if (items > ((size_t)1 << 20))
        items = (size_t)1 << 20;
    double target_s = b->opt->max_time_s / 10;
    target_s = target_s < 0.002 ? 0.002 : target_s > 0.05 ? 0.05 : target_s;

    fma_job j;
    if (fma_setup(b->ctx, items, &j) != CT_OK) {
        db_device_add_failed_row(b->dev, "compute", "fma best", "GFLOP/s", DB_ERROR, "%s", ct_last_error());
        return CT_OK;
    }
    size_t best = SIZE_MAX, best_width = 0; /* row index: adding rows may move them */
    for (size_t w = 0; w < WIDTH_COUNT; w++) {
        char metric[32];
        snprintf(metric, sizeof metric, "fma %s", type_names[w]);
        if (fma_select(&j, widths[w]) != CT_OK || calibrate(&j, target_s) != CT_OK) {
            db_device_add_failed_row(b->dev, "compute", metric, "GFLOP/s", DB_ERROR, "%s", ct_last_error());
            continue;
        }
        double flops = (double)items * CHAINS * widths[w] * 2.0 * (double)j.iterations;
        db_row_spec spec = {"compute", metric, "GFLOP/s", DB_RATE, flops / 1e9};
        db_row *row;
        if (db_measure(b, &spec, fma_run, &j, &row) != CT_OK)
            continue;
        size_t wrong = 0;
        float device_value = 0, host_value = 0;
        if (fma_verify(&j, widths[w], &wrong, &device_value, &host_value) != CT_OK || wrong) {
            row->status = DB_ERROR;
            if (wrong)
                snprintf(row->reason, sizeof row->reason,
                         "FMA chain result is wrong on %zu of 9 checked work-items (item 0: %.9g, host %.9g)", wrong,
                         device_value, host_value);
            else
                snprintf(row->reason, sizeof row->reason, "%s", ct_last_error());
            continue;
        }
        snprintf(row->note, sizeof row->note, "%zu items x %d chains x %d iterations, verified", items, CHAINS,
                 j.iterations);
        if (best == SIZE_MAX || row->median > b->dev->rows[best].median) {
            best = (size_t)(row - b->dev->rows);
            best_width = w;
        }
    }
    clReleaseMemObject(j.out);

    if (best == SIZE_MAX) {
        db_device_add_failed_row(b->dev, "compute", "fma best", "GFLOP/s", DB_ERROR, "no FMA width ran");
        return CT_OK;
    }
    db_row copy = b->dev->rows[best];
    db_row *row = db_device_add_row(b->dev, "compute", "fma best", "GFLOP/s", DB_HIGHER_IS_BETTER);
    if (!row)
        return ct_fail(CT_ERR_NO_MEMORY, "devbench");
    *row = copy;
    snprintf(row->metric, sizeof row->metric, "fma best");
    snprintf(row->tag, sizeof row->tag, "%s", type_names[best_width]);
    return CT_OK;
}
