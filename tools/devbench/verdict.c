/* The verdict under devbench's table: per device and experiment, the
 * training step time and what bounds it (a roofline from the device's own
 * peak rows). See devbench.h for the model. */
#include <string.h>

#include "devbench.h"

const char *db_bound_name(db_bound b)
{
    switch (b) {
    case DB_BOUND_COMPUTE:
        return "compute";
    case DB_BOUND_MEMORY:
        return "memory bandwidth";
    case DB_BOUND_LAUNCH:
        return "launch latency";
    default:
        return "unknown";
    }
}

static double ok_median(const db_device *d, const char *test, const char *metric)
{
    const db_row *row = db_device_find_row(d, test, metric);
    return row && row->status == DB_OK && row->median > 0 ? row->median : 0;
}

db_peaks db_device_peaks(const db_device *d)
{
    db_peaks p = {ok_median(d, "compute", "fma best"), ok_median(d, "bandwidth", "copy best"),
                  ok_median(d, "launch", "enqueue")};
    return p;
}

db_verdict db_roofline(const db_peaks *p, double flops, double bytes, double launches, double step_ms)
{
    db_verdict v = {step_ms, -1, -1, -1, DB_BOUND_UNKNOWN, 0};
    if (p->gflops > 0 && flops > 0)
        v.compute_ms = flops / (p->gflops * 1e9) * 1e3;
    if (p->gbytes_s > 0 && bytes > 0)
        v.memory_ms = bytes / (p->gbytes_s * 1e9) * 1e3;
    if (p->launch_us > 0 && launches > 0)
        v.launch_ms = launches * p->launch_us * 1e-3;
    double best = -1;
    const double t[3] = {v.compute_ms, v.memory_ms, v.launch_ms};
    const db_bound b[3] = {DB_BOUND_COMPUTE, DB_BOUND_MEMORY, DB_BOUND_LAUNCH};
    for (int i = 0; i < 3; i++)
        if (t[i] > best && t[i] >= 0) {
            best = t[i];
            v.bound = b[i];
        }
    if (v.bound != DB_BOUND_UNKNOWN && step_ms > 0)
        v.roof_fraction = best / step_ms;
    return v;
}

void db_step_work(const ct_model_plan *plan, size_t batch, size_t state_slots, double *flops, double *bytes,
                  double *launches)
{
    double floats_per_sample = 0, param_floats = 0, trainable = 0, n_launches = 3; /* gather, loss, optimizer */
    for (size_t i = 0; i < plan->layer_count; i++) {
        const ct_layer_plan *l = &plan->layers[i];
        double in = 1, out = 1;
        for (int d = 0; d < l->in_ndim; d++)
            in *= (double)l->in_shape[d];
        for (int d = 0; d < l->out_ndim; d++)
            out *= (double)l->out_shape[d];
        floats_per_sample += (in + out) + (out + 2 * in); /* forward, backward */
        param_floats += 3.0 * (double)l->params;          /* read twice, gradients written */
        trainable += (double)l->trainable_params;
        n_launches += l->params ? 3 : 2;
    }
    double optimizer = trainable * (3.0 + 2.0 * (double)state_slots); /* w r/w, g r, state r/w */
    *flops = ct_model_plan_train_flops(plan) * (double)batch;
    *bytes = 4.0 * (floats_per_sample * (double)batch + param_floats + optimizer);
    *launches = n_launches;
}

static int is_step_row(const db_row *row)
{
    size_t n = strlen(row->metric);
    return !strcmp(row->test, "experiment") && n > 5 && !strcmp(row->metric + n - 5, " step");
}

void db_write_verdicts(FILE *out, const db_report *r)
{
    int header = 0;
    for (size_t d = 0; d < r->device_count; d++) {
        const db_device *dev = &r->devices[d];
        db_peaks p = db_device_peaks(dev);
        for (size_t i = 0; i < dev->row_count; i++) {
            const db_row *row = &dev->rows[i];
            if (!is_step_row(row))
                continue;
            if (!header) {
                fprintf(out, "\nVerdict (roofline from each device's own fma best, copy best and launch enqueue rows):\n");
                header = 1;
            }
            int name_len = (int)strlen(row->metric) - 5;
            if (row->status != DB_OK) {
                fprintf(out, "  %s %.*s: no step time (%s)\n", dev->index, name_len, row->metric, row->reason);
                continue;
            }
            db_verdict v = db_roofline(&p, row->step_flops, row->step_bytes, row->step_launches, row->median);
            fprintf(out, "  %s %.*s: %.3g ms per step", dev->index, name_len, row->metric, v.step_ms);
            if (v.bound == DB_BOUND_UNKNOWN) {
                fprintf(out, "; bound unknown (%s)\n",
                        row->step_flops > 0 ? "run the compute, bandwidth and launch rows too"
                                            : "no work estimate for this step");
                continue;
            }
            fprintf(out, ", %s-bound, at %.0f%% of its roof", db_bound_name(v.bound), 100 * v.roof_fraction);
            char parts[160] = "";
            size_t used = 0;
            const char *names[3] = {"compute", "memory", "launches"};
            const double t[3] = {v.compute_ms, v.memory_ms, v.launch_ms};
            for (int k = 0; k < 3; k++)
                if (t[k] >= 0 && used < sizeof parts)
                    used += (size_t)snprintf(parts + used, sizeof parts - used, "%s%s %.3g ms", used ? ", " : "",
                                             names[k], t[k]);
            /* Far below every roof: the step's own overheads (host work,
             * synchronisation, kernels well below peak) set the pace. */
            fprintf(out, " [%s at peak]%s\n", parts,
                    v.roof_fraction < 0.2 ? "; far below every roof: the kernels, not the device, set the pace" : "");
        }
    }
}
