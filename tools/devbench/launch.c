/* Kernel launch latency, two figures:
 *   enqueue     what clEnqueueNDRangeKernel costs the host, averaged over a
 *               burst of launches queued without waiting (the waiting at the
 *               end is not counted): the per-launch overhead of a training
 *               step that queues all its kernels and syncs once;
 *   round trip  one launch followed by clFinish: what a host that waits for
 *               each kernel's result pays.
 * The kernel does nothing, on one work-item. */
#include "devbench.h"

#define BURST 64

typedef struct {
    ct_context *ctx;
    cl_kernel kernel;
} launch_job;

static cl_int enqueue_one(launch_job *j)
{
    size_t global = 1;
    return clEnqueueNDRangeKernel(ct_context_queue(j->ctx), j->kernel, 1, NULL, &global, NULL, 0, NULL, NULL);
}

static ct_status enqueue_run(void *user, double *seconds)
{
    launch_job *j = user;
    double t0 = db_now_s();
    for (int i = 0; i < BURST; i++) {
        cl_int err = enqueue_one(j);
        if (err != CL_SUCCESS)
            return ct_cl_fail(err, "launch: clEnqueueNDRangeKernel");
    }
    *seconds = db_now_s() - t0;
    return ct_context_finish(j->ctx);
}

static ct_status round_trip_run(void *user, double *seconds)
{
    launch_job *j = user;
    double t0 = db_now_s();
    cl_int err = enqueue_one(j);
    if (err != CL_SUCCESS)
        return ct_cl_fail(err, "launch: clEnqueueNDRangeKernel");
    CT_TRY(ct_context_finish(j->ctx));
    *seconds = db_now_s() - t0;
    return CT_OK;
}

ct_status db_bench_launch(db_bench *b)
{
    launch_job j = {b->ctx, NULL};
    cl_int err;
    /* The kernel takes a buffer argument it never touches (an argument-less
     * kernel trips some drivers); any small buffer will do. */
    cl_mem dummy = clCreateBuffer(ct_context_cl(b->ctx), CL_MEM_READ_WRITE, 64, NULL, &err);
    ct_status s = err == CL_SUCCESS ? CT_OK : ct_cl_fail(err, "launch: clCreateBuffer");
    if (s == CT_OK)
        s = ct_context_kernel(b->ctx, "devbench", "db_empty", &j.kernel);
    if (s == CT_OK) {
        err = clSetKernelArg(j.kernel, 0, sizeof(cl_mem), &dummy);
        s = err == CL_SUCCESS ? CT_OK : ct_cl_fail(err, "launch: clSetKernelArg");
    }
    if (s != CT_OK) {
        db_device_add_failed_row(b->dev, "launch", "enqueue", "us", DB_ERROR, "%s", ct_last_error());
        db_device_add_failed_row(b->dev, "launch", "round trip", "us", DB_ERROR, "%s", ct_last_error());
    } else {
        db_row *row;
        db_row_spec enqueue = {"launch", "enqueue", "us", DB_DURATION, 1e6 / BURST};
        if (db_measure(b, &enqueue, enqueue_run, &j, &row) == CT_OK)
            snprintf(row->note, sizeof row->note, "host time per launch, bursts of %d", BURST);
        db_row_spec round_trip = {"launch", "round trip", "us", DB_DURATION, 1e6};
        if (db_measure(b, &round_trip, round_trip_run, &j, &row) == CT_OK)
            snprintf(row->note, sizeof row->note, "launch + clFinish");
    }
    if (dummy)
        clReleaseMemObject(dummy);
    return CT_OK;
}
