/* Split and sums of data-parallel training (see data_parallel.h). */
#include "train/data_parallel.h"

#include <stdlib.h>
#include <string.h>

#include "core/collective.h"

struct ct_dp_exchange {
    size_t replicas, local, first, params;
    float *slots;   /* all replicas' gradients, global order; this process's are
                       slots + first * params (without MPI, every replica is local) */
    double *acc;    /* params doubles: the weighted sum */
    float *sum;     /* params floats: its result */
    size_t *rows;   /* each replica's rows of the current batch */
};

ct_status ct_dp_exchange_create(size_t replicas, size_t local, size_t first, size_t params, ct_dp_exchange **out)
{
    *out = NULL;
    if (local == 0 || first + local > replicas)
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "data parallelism: replicas %zu..%zu of %zu", first,
                       first + local, replicas);
    ct_dp_exchange *x = calloc(1, sizeof *x);
    size_t p = params ? params : 1;
    if (x) {
        x->slots = malloc(replicas * p * sizeof *x->slots);
        x->acc = malloc(p * sizeof *x->acc);
        x->sum = malloc(p * sizeof *x->sum);
        x->rows = calloc(replicas, sizeof *x->rows);
    }
    if (!x || !x->slots || !x->acc || !x->sum || !x->rows) {
        ct_dp_exchange_free(x);
        return ct_fail(CT_ERR_NO_MEMORY, "gradient exchange of %zu replicas x %zu floats", replicas, params);
    }
    x->replicas = replicas;
    x->local = local;
    x->first = first;
    x->params = params;
    *out = x;
    return CT_OK;
}

void ct_dp_exchange_free(ct_dp_exchange *x)
{
    if (!x)
        return;
    free(x->slots);
    free(x->acc);
    free(x->sum);
    free(x->rows);
    free(x);
}

size_t ct_dp_replicas(const ct_dp_exchange *x) { return x->replicas; }
size_t ct_dp_local(const ct_dp_exchange *x) { return x->local; }
size_t ct_dp_first(const ct_dp_exchange *x) { return x->first; }

void ct_dp_split(size_t rows, size_t replicas, size_t g, size_t *offset, size_t *count)
{
    size_t each = rows / replicas, extra = rows % replicas;
    *count = each + (g < extra);
    *offset = g * each + (g < extra ? g : extra);
}

float *ct_dp_local_grads(ct_dp_exchange *x, size_t i) { return x->slots + (x->first + i) * x->params; }

ct_status ct_dp_reduce(ct_dp_exchange *x, size_t rows, const float **sum)
{
    size_t bytes = x->local * x->params * sizeof(float);
    if (x->local < x->replicas) /* in place: this process's slots are its part of the gather */
        CT_TRY(ct_collective_allgather(ct_dp_local_grads(x, 0), bytes, x->slots));
    memset(x->acc, 0, x->params * sizeof *x->acc);
    for (size_t g = 0; g < x->replicas; g++) {
        size_t offset, count;
        ct_dp_split(rows, x->replicas, g, &offset, &count);
        if (count == 0)
            continue;
        double w = (double)count / (double)rows;
        const float *grads = x->slots + g * x->params;
        for (size_t j = 0; j < x->params; j++)
            x->acc[j] += w * (double)grads[j];
    }
    for (size_t j = 0; j < x->params; j++)
        x->sum[j] = (float)x->acc[j];
    *sum = x->sum;
    return CT_OK;
}

ct_status ct_dp_fold_accums(ct_dp_exchange *x, const ct_dp_accum *local, ct_dp_accum *total)
{
    ct_dp_accum *all = malloc(x->replicas * sizeof *all);
    if (!all)
        return ct_fail(CT_ERR_NO_MEMORY, "accumulators of %zu replicas", x->replicas);
    ct_status s = CT_OK;
    if (x->local < x->replicas)
        s = ct_collective_allgather(local, x->local * sizeof *local, all);
    else
        memcpy(all, local, x->replicas * sizeof *all);
    memset(total, 0, sizeof *total);
    for (size_t g = 0; s == CT_OK && g < x->replicas; g++) {
        total->loss += all[g].loss;
        total->loss_count += all[g].loss_count;
        for (size_t m = 0; m < CT_METRICS_MAX; m++)
            total->metrics[m] += all[g].metrics[m];
        total->samples += all[g].samples;
    }
    free(all);
    return s;
}

ct_status ct_dp_average(ct_dp_exchange *x, const float *local, size_t n, float *out)
{
    size_t floats = x->replicas * n;
    float *all = malloc((floats ? floats : 1) * sizeof *all);
    if (!all)
        return ct_fail(CT_ERR_NO_MEMORY, "averaging %zu floats over %zu replicas", n, x->replicas);
    ct_status s = CT_OK;
    if (x->local < x->replicas)
        s = ct_collective_allgather(local, x->local * n * sizeof *local, all);
    else
        memcpy(all, local, x->replicas * n * sizeof *all);
    for (size_t j = 0; s == CT_OK && j < n; j++) {
        double sum = 0;
        for (size_t g = 0; g < x->replicas; g++)
            sum += (double)all[g * n + j];
        out[j] = (float)(sum / (double)x->replicas);
    }
    free(all);
    return s;
}

void ct_dp_kahan_pair(double value, float pair[2])
{
    pair[0] = (float)value;
    pair[1] = (float)((double)pair[0] - value); /* ct_kahan_value: sum - compensation */
}
