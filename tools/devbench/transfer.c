/* Host <-> device transfer: blocking clEnqueueWriteBuffer / ReadBuffer of
 * one buffer between ordinary (pageable) host memory and the device, the way
 * cltrain uploads a dataset and reads results. After the timing the data is
 * read back and compared, so a transfer that loses data is an error row. */
#include <stdlib.h>
#include <string.h>

#include "devbench.h"

#define DEFAULT_BYTES ((size_t)64 << 20)

typedef struct {
    ct_context *ctx;
    cl_mem buf;
    unsigned char *host;
    size_t bytes;
} transfer_job;

static ct_status write_run(void *user, double *seconds)
{
    transfer_job *j = user;
    double t0 = db_now_s();
    cl_int err = clEnqueueWriteBuffer(ct_context_queue(j->ctx), j->buf, CL_TRUE, 0, j->bytes, j->host, 0, NULL, NULL);
    *seconds = db_now_s() - t0;
    return err == CL_SUCCESS ? CT_OK : ct_cl_fail(err, "transfer: clEnqueueWriteBuffer");
}

static ct_status read_run(void *user, double *seconds)
{
    transfer_job *j = user;
    double t0 = db_now_s();
    cl_int err = clEnqueueReadBuffer(ct_context_queue(j->ctx), j->buf, CL_TRUE, 0, j->bytes, j->host, 0, NULL, NULL);
    *seconds = db_now_s() - t0;
    return err == CL_SUCCESS ? CT_OK : ct_cl_fail(err, "transfer: clEnqueueReadBuffer");
}

static void fill_pattern(unsigned char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)((i * 131u + seed) >> 3);
}

/* Writes a fresh pattern, reads it back into a second host buffer, compares. */
static ct_status round_trip_ok(transfer_job *j, int *ok)
{
    unsigned char *back = malloc(j->bytes);
    if (!back)
        return ct_fail(CT_ERR_NO_MEMORY, "transfer: %zu bytes", j->bytes);
    fill_pattern(j->host, j->bytes, 7);
    cl_int err = clEnqueueWriteBuffer(ct_context_queue(j->ctx), j->buf, CL_TRUE, 0, j->bytes, j->host, 0, NULL, NULL);
    if (err == CL_SUCCESS)
        err = clEnqueueReadBuffer(ct_context_queue(j->ctx), j->buf, CL_TRUE, 0, j->bytes, back, 0, NULL, NULL);
    *ok = err == CL_SUCCESS && memcmp(back, j->host, j->bytes) == 0;
    free(back);
    return err == CL_SUCCESS ? CT_OK : ct_cl_fail(err, "transfer: round trip");
}

ct_status db_bench_transfer(db_bench *b)
{
    const ct_device_info *info = ct_context_device(b->ctx);
    transfer_job j = {b->ctx, NULL, NULL, b->opt->buffer_bytes ? b->opt->buffer_bytes : DEFAULT_BYTES};
    if (j.bytes > info->max_alloc_bytes)
        j.bytes = (size_t)info->max_alloc_bytes;
    static const char *const metrics[] = {"host to device", "device to host"};
    cl_int err;
    j.host = malloc(j.bytes);
    j.buf = clCreateBuffer(ct_context_cl(b->ctx), CL_MEM_READ_WRITE, j.bytes, NULL, &err);
    if (!j.host || err != CL_SUCCESS) {
        const char *why = !j.host ? "out of host memory" : ct_cl_error_name(err);
        for (int m = 0; m < 2; m++)
            db_device_add_failed_row(b->dev, "transfer", metrics[m], "GB/s", DB_ERROR, "%zu-byte buffer: %s",
                                     j.bytes, why);
        free(j.host);
        if (j.buf)
            clReleaseMemObject(j.buf);
        return CT_OK;
    }
    fill_pattern(j.host, j.bytes, 1);

    for (int m = 0; m < 2; m++) {
        db_row_spec spec = {"transfer", metrics[m], "GB/s", DB_RATE, (double)j.bytes / 1e9};
        db_measure(b, &spec, m == 0 ? write_run : read_run, &j, NULL);
    }
    int ok = 0;
    ct_status s = round_trip_ok(&j, &ok);
    for (int m = 0; m < 2; m++) {
        db_row *row = db_device_row(b->dev, "transfer", metrics[m]);
        if (!row || row->status != DB_OK)
            continue;
        if (s != CT_OK || !ok) {
            row->status = DB_ERROR;
            snprintf(row->reason, sizeof row->reason, "%s",
                     s != CT_OK ? ct_last_error() : "data read back differs from the data written");
        } else {
            snprintf(row->note, sizeof row->note, "%zu MiB, pageable host memory, verified", j.bytes >> 20);
        }
    }
    free(j.host);
    clReleaseMemObject(j.buf);
    return CT_OK;
}
