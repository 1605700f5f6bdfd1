/* `cltrain summary`: the model an experiment describes, as Keras'
 * model.summary() shows it before fit(), plus its arithmetic per sample,
 * without a device and without training. */
#include "run/summary.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cltrain/model.h"
#include "run/dataset.h"

/* The per-sample input shape: images from the spec; a CSV file's feature
 * count from the data itself (the selection is resolved against its header). */
ct_status ct_run_input_shape(const ct_experiment *exp, const char *data_dir, int *ndim, size_t *shape)
{
    if (ct_data_takes_images(&exp->data)) {
        int h, w, c;
        ct_data_image_shape(&exp->data, &h, &w, &c);
        *ndim = 3;
        shape[0] = (size_t)h, shape[1] = (size_t)w, shape[2] = (size_t)c;
        return CT_OK;
    }
    ct_dataset d;
    ct_status s = ct_dataset_load(exp, data_dir, &d);
    if (s != CT_OK)
        return ct_fail_context(s, "the summary counts the feature columns of the CSV file");
    *ndim = 1;
    shape[0] = d.in_shape[0];
    ct_dataset_free(&d);
    return CT_OK;
}

static size_t count(int ndim, const size_t *shape)
{
    size_t n = 1;
    for (int i = 0; i < ndim; i++)
        n *= shape[i];
    return n;
}

double ct_layer_forward_flops(const ct_layer_plan *l)
{
    double out = (double)count(l->out_ndim, l->out_shape), in = (double)count(l->in_ndim, l->in_shape);
    switch (l->spec->kind) {
    case CT_LAYER_DENSE:
    case CT_LAYER_CONV2D: {
        /* each weight one multiply-add per output position, each bias one add */
        double positions = 1;
        for (int d = 0; d + 1 < l->out_ndim; d++)
            positions *= (double)l->out_shape[d];
        double channels = (double)l->out_shape[l->out_ndim - 1];
        bool bias = l->spec->kind == CT_LAYER_DENSE ? l->spec->dense.use_bias : l->spec->conv2d.use_bias;
        double weights = (double)l->params - (bias ? channels : 0);
        return positions * (2.0 * weights + (bias ? channels : 0));
    }
    case CT_LAYER_MAX_POOLING2D:
    case CT_LAYER_AVERAGE_POOLING2D: /* one compare or add per window element */
        return out * (double)l->spec->pooling.pool_size[0] * (double)l->spec->pooling.pool_size[1];
    case CT_LAYER_GLOBAL_AVERAGE_POOLING2D:
    case CT_LAYER_GLOBAL_MAX_POOLING2D: /* one compare or add per input value */
        return in;
    case CT_LAYER_RESCALING: /* a product and a sum per value */
    case CT_LAYER_BATCH_NORMALIZATION: /* inference: a scale and a shift per value */
        return 2.0 * in;
    default: /* flatten, dropout (identity in inference), activation (not counted) */
        return 0;
    }
}

/* "1,234,567" */
static void with_commas(double v, char *buf, size_t size)
{
    char digits[64];
    snprintf(digits, sizeof digits, "%.0f", v);
    size_t n = strlen(digits), j = 0;
    for (size_t i = 0; i < n && j + 2 < size; i++) {
        if (i && (n - i) % 3 == 0)
            buf[j++] = ',';
        buf[j++] = digits[i];
    }
    buf[j] = '\0';
}

ct_status ct_run_summary(const ct_experiment *exp, const char *data_dir, FILE *out)
{
    int ndim = 0;
    size_t shape[3] = {0, 0, 0};
    CT_TRY(ct_run_input_shape(exp, data_dir, &ndim, shape));
    ct_model_plan plan;
    CT_TRY(ct_model_plan_create(&exp->model, ndim, shape, &plan));
    char *table = NULL;
    ct_status s = ct_model_plan_summary(&plan, NULL, &table);
    if (s == CT_OK) {
        fprintf(out, "Experiment: %s (%s)\n", exp->name, exp->source_path);
        fprintf(out, "Input: (None");
        for (int i = 0; i < ndim; i++)
            fprintf(out, ", %zu", shape[i]);
        fprintf(out, ")%s\n", ndim == 1 ? " feature columns" : ": height, width, channels");
        fprintf(out, "%s\n", table);
        fprintf(out, "FLOPs per sample, forward pass (a multiply-add counts 2; activations not counted):\n");
        double total = 0;
        char num[64];
        for (size_t i = 0; i < plan.layer_count; i++) {
            double f = ct_layer_forward_flops(&plan.layers[i]);
            total += f;
            with_commas(f, num, sizeof num);
            fprintf(out, "  %-31s %17s\n", plan.layers[i].name, num);
        }
        with_commas(total, num, sizeof num);
        fprintf(out, "  %-31s %17s  (%.3g MFLOP)\n", "total", num, total / 1e6);
        with_commas(ct_model_plan_train_flops(&plan), num, sizeof num);
        fprintf(out, "A training step costs about %s FLOPs per sample (forward and backward of the\n"
                     "Dense and Conv2D layers), %.3g GFLOP per batch of %d.\n",
                num, ct_model_plan_train_flops(&plan) * exp->train.batch_size / 1e9, exp->train.batch_size);
    }
    free(table);
    ct_model_plan_free(&plan);
    return s;
}
