/* Device memory needs of a run (see memory_check.h). */
#include "run/memory_check.h"

#include <stdio.h>

static double per_sample(int ndim, const size_t *shape)
{
    double n = 1;
    for (int i = 0; i < ndim; i++)
        n *= (double)shape[i];
    return n;
}

ct_status ct_run_check_device_memory(const ct_experiment *exp, const ct_model_plan *plan, const ct_dataset *d,
                                     const ct_device_info *dev)
{
    double batch = (double)exp->train.batch_size;
    if (d->train.n && (double)d->train.n < batch)
        batch = (double)d->train.n;
    double outputs = 0, largest = per_sample(plan->in_ndim, plan->in_shape);
    for (size_t i = 0; i < plan->layer_count; i++) {
        double out = per_sample(plan->layers[i].out_ndim, plan->layers[i].out_shape);
        outputs += out;
        largest = out > largest ? out : largest;
    }
    /* Each layer's output, and three gradient buffers of the largest; a
     * graph model also keeps each output's gradient (model/graph_pass.c). */
    double activations = batch * ((plan->graph ? 2 : 1) * outputs + 3 * largest) * sizeof(float);
    double params = (double)plan->total_params * 4 * sizeof(float); /* weights, gradients, <= 2 moments */
    double data = (double)(d->train.n + d->validation.n) *
                  ((double)ct_dataset_sample_size(d) + (double)d->target_width) * sizeof(float);
    double need = activations + params + data, have = (double)dev->global_mem_bytes;
    if (have <= 0 || need <= have)
        return CT_OK;
    const double gb = 1e9;
    return ct_fail(CT_ERR_NO_MEMORY,
                   "the run needs at least %.2f GB of device memory (activations for batch_size %d: %.2f GB; "
                   "parameters, gradients and optimizer state: %.2f GB; data: %.2f GB), more than %s has "
                   "(%.2f GB): use a smaller train.batch_size, or fewer units or filters",
                   need / gb, exp->train.batch_size, activations / gb, params / gb, data / gb, dev->name, have / gb);
}

ct_status ct_run_memory_hint(ct_status s, const ct_experiment *exp)
{
    if (s != CT_ERR_NO_MEMORY)
        return s;
    char why[1024];
    snprintf(why, sizeof why, "%s", ct_last_error());
    return ct_fail(s, "%s: use a smaller train.batch_size (now %d), or fewer units or filters", why,
                   exp->train.batch_size);
}
