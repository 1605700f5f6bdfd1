/* Reopening a finished run: config.yaml, the data, a model with weights.bin. */
#include <stdlib.h>
#include <string.h>

#include "cltrain/loss.h"
#include "cltrain/report.h"
#include "run/run.h"
#include "run/run_files.h"

ct_status ct_run_load_weights(ct_model *model, const char *path)
{
    ct_named_tensor *tensors;
    size_t n;
    CT_TRY(ct_weights_read(path, &tensors, &n));
    ct_status s = ct_run_set_weights(model, tensors, n, path);
    ct_weights_free(tensors, n);
    return s;
}

ct_status ct_run_set_weights(ct_model *model, const ct_named_tensor *tensors, size_t n, const char *path)
{
    ct_status s = ct_weights_check_finite(path, tensors, n);
    if (s == CT_OK && n != ct_model_tensor_count(model))
        s = ct_fail(CT_ERR_SHAPE, "%s holds %zu tensors, the model has %zu", path, n, ct_model_tensor_count(model));
    for (size_t i = 0; s == CT_OK && i < n; i++) {
        const char *name;
        ct_tensor view;
        s = ct_model_tensor(model, i, &name, &view);
        if (s != CT_OK)
            break;
        int same = !strcmp(name, tensors[i].name) && tensors[i].ndim == view.ndim;
        for (int d = 0; same && d < view.ndim; d++)
            same = tensors[i].shape[d] == view.shape[d];
        if (!same)
            s = ct_fail(CT_ERR_SHAPE, "%s: tensor %zu is '%s', the model expects '%s' of another shape or name",
                        path, i, tensors[i].name, name);
        else
            s = ct_tensor_write(ct_model_context(model), &view, tensors[i].data);
    }
    return s;
}

ct_status ct_run_open(const char *run_dir, const ct_run_options *o, ct_run *out)
{
    memset(out, 0, sizeof *out);
    char path[4096];
    snprintf(path, sizeof path, "%s/config.yaml", run_dir);
    ct_status s = ct_experiment_open(path, NULL, 0, &out->exp);
    if (s != CT_OK)
        return ct_fail_context(s, "%s is not a cltrain run", run_dir);
    /* The weights before the data, which may take long to load. */
    ct_named_tensor *tensors = NULL;
    size_t n = 0;
    s = ct_run_weights_read(run_dir, &tensors, &n, &out->final_weights, out->weights_source,
                            sizeof out->weights_source);
    if (s == CT_OK) {
        ct_atomic_remove_stale(run_dir, NULL); /* temporary files of a killed run; not needed here */
        ct_clear_error();
        s = ct_dataset_load(out->exp, o->data_dir, &out->data);
    }
    if (s == CT_OK) {
        ct_device_info info;
        s = ct_device_find(ct_device_spec_from_env(o->device_spec), &info);
        if (s == CT_OK)
            s = ct_context_create(&info, &out->ctx);
    }
    if (s == CT_OK) {
        ct_host_split train = ct_split_data_host(&out->data.train);
        s = ct_trainer_create(out->ctx, out->exp, out->data.in_ndim, out->data.in_shape, out->data.target_width,
                              &train, NULL, &out->trainer);
    }
    if (s == CT_OK)
        s = ct_run_set_weights(ct_trainer_model(out->trainer), tensors, n, out->weights_source);
    ct_weights_free(tensors, n);
    if (s != CT_OK)
        ct_run_close(out);
    return s;
}

void ct_run_close(ct_run *run)
{
    ct_trainer_free(run->trainer);
    ct_context_destroy(run->ctx);
    ct_dataset_free(&run->data);
    ct_experiment_free(run->exp);
    memset(run, 0, sizeof *run);
}

static bool is_classification(ct_loss l)
{
    return l == CT_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY || l == CT_LOSS_CATEGORICAL_CROSSENTROPY ||
           l == CT_LOSS_BINARY_CROSSENTROPY;
}

static ct_status evaluate_split(ct_run *run, const ct_split_data *test, const char *what, const char *predictions,
                                FILE *report)
{
    ct_host_split split = ct_split_data_host(test);
    double values[1 + CT_METRICS_MAX];
    size_t out_size = ct_model_output_size(ct_trainer_model(run->trainer));
    float *pred = NULL;
    if (predictions && !(pred = malloc((test->n * out_size + 1) * sizeof *pred)))
        return ct_fail(CT_ERR_NO_MEMORY, "predictions");
    ct_status s = ct_trainer_evaluate(run->trainer, &split, values, pred);
    if (s == CT_OK && predictions)
        s = ct_run_write_predictions_file(predictions, test, pred, out_size, run->data.target_width,
                                          is_classification(run->exp->train.loss), run->exp->train.from_logits);
    free(pred);
    CT_TRY(s);
    if (!run->final_weights)
        fprintf(report, "Weights: %s\n", run->weights_source);
    fprintf(report, "%s (%zu samples):", what, test->n);
    for (size_t i = 0; i <= run->exp->train.metric_count; i++)
        fprintf(report, "  %s: %.4f", ct_trainer_value_name(run->trainer, i), values[i]);
    fprintf(report, "\n");
    return CT_OK;
}

ct_status ct_run_evaluate(ct_run *run, const char *predictions, FILE *report)
{
    if (run->data.test.n == 0)
        return ct_fail(CT_ERR_DATA, "the experiment has no test split to evaluate");
    return evaluate_split(run, &run->data.test, "Test set", predictions, report);
}

ct_status ct_run_evaluate_file(ct_run *run, const char *path, const char *predictions, FILE *report)
{
    ct_split_data data;
    CT_TRY(ct_dataset_load_file(run->exp, &run->data, path, &data));
    ct_status s = data.n ? evaluate_split(run, &data, path, predictions, report)
                         : ct_fail(CT_ERR_DATA, "%s: no samples to evaluate", path);
    ct_split_data_free(&data);
    return s;
}
