/* The tuners' timing procedure (tune_timing.h). */
#include "core/tune_timing.h"

#include <math.h>
#include <stdlib.h>

#include "core/clock.h"

enum { TIMED_BATCHES = 3, WARM_UP_CALLS = 2 };
#define BATCH_SECONDS 0.004 /* a timed batch of calls lasts at least this long */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

ct_status ct_tune_median_cpu_seconds(ct_context *ctx, ct_tune_call call, void *work, double *seconds)
{
    ct_status st = CT_OK;
    int reps = 1;
    for (int w = 0; w < WARM_UP_CALLS && st == CT_OK; w++) {
        double t0 = ct_cpu_seconds();
        st = call(ctx, work);
        if (st == CT_OK)
            st = ct_context_finish(ctx);
        double dt = ct_cpu_seconds() - t0;
        if (w == WARM_UP_CALLS - 1 && dt > 0)
            reps = dt >= BATCH_SECONDS ? 1 : (int)(BATCH_SECONDS / dt) + 1;
    }
    double t[TIMED_BATCHES];
    for (int r = 0; r < TIMED_BATCHES && st == CT_OK; r++) {
        double t0 = ct_cpu_seconds();
        for (int i = 0; i < reps && st == CT_OK; i++)
            st = call(ctx, work);
        if (st == CT_OK)
            st = ct_context_finish(ctx);
        t[r] = (ct_cpu_seconds() - t0) / reps;
    }
    if (st != CT_OK)
        return st;
    qsort(t, TIMED_BATCHES, sizeof t[0], cmp_double);
    *seconds = t[TIMED_BATCHES / 2];
    return CT_OK;
}

double ct_tune_geometric_mean(const double *values, size_t n)
{
    double log_sum = 0;
    for (size_t i = 0; i < n; i++)
        log_sum += log(values[i] > 0 ? values[i] : 1e-9);
    return n ? exp(log_sum / (double)n) : 0.0;
}
