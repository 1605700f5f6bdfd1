/* One device: open it, make sure devbench's kernels build there, then run
 * the selected measurements in order, cheapest first. Nothing here is fatal
 * to the whole report: a device that cannot be opened or cannot build the
 * kernels is recorded with its reason and skipped. */
#include <string.h>

#include "devbench.h"

typedef struct {
    unsigned bit;
    ct_status (*run)(db_bench *b);
} measurement;

static const measurement measurements[] = {
    {DB_TEST_BANDWIDTH, db_bench_bandwidth}, {DB_TEST_TRANSFER, db_bench_transfer},
    {DB_TEST_LAUNCH, db_bench_launch},       {DB_TEST_COMPUTE, db_bench_compute},
    {DB_TEST_GEMM, db_bench_gemm},           {DB_TEST_CONV, db_bench_conv},
    {DB_TEST_EXPERIMENT, db_bench_experiments},
};

static void fail_device(db_device *dev, const char *what)
{
    dev->status = DB_ERROR;
    snprintf(dev->reason, sizeof dev->reason, "%s: %s", what, *ct_last_error() ? ct_last_error() : "failed");
}

void db_run_device(const ct_device_info *info, const db_options *opt, db_device *dev)
{
    db_device_describe(dev, info);
    dev->status = DB_OK;
    ct_context *ctx = NULL;
    if (ct_context_create(info, &ctx) != CT_OK) {
        fail_device(dev, "cannot open the device");
        return;
    }
    /* Builds cl/devbench.cl (or loads it from the binary cache). */
    cl_kernel probe;
    if (opt->progress)
        opt->progress(opt->progress_user, dev, "build", "devbench kernels");
    if (ct_context_kernel(ctx, "devbench", "db_empty", &probe) != CT_OK) {
        fail_device(dev, "devbench's kernels do not build");
        ct_context_destroy(ctx);
        return;
    }
    db_bench b = {ctx, opt, dev};
    for (size_t i = 0; i < sizeof measurements / sizeof measurements[0]; i++) {
        if (!(opt->tests & measurements[i].bit))
            continue;
        ct_clear_error();
        measurements[i].run(&b); /* failures are rows */
        /* Leave the queue empty for the next measurement even after a failure. */
        ct_context_finish(ctx);
    }
    if ((opt->tests & DB_TEST_GEMM) || opt->select_engines)
        db_bench_engine_choice(&b);
    ct_context_destroy(ctx);
}
