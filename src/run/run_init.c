/* init.from: a run's (or an evaluation's) starting weights from a Keras or
 * ONNX file, through the reader the CLI hands in (onnx/ is a peer of run/). */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cltrain/data.h" /* ct_sha256_file_hex */
#include "run/run.h"
#include "run/summary.h"

/* The file's standardisation (a cltrain ONNX export of a CSV model) next to
 * the run's: the run's own applies; a difference is worth a warning, since
 * the weights were fitted to inputs scaled the file's way. */
static void compare_standardization(const ct_experiment *exp, const ct_feature_columns *file,
                                    const ct_dataset *d, FILE *report)
{
    if (!report || !file->count)
        return;
    const ct_standardizer *st = &d->standardizer;
    if (!st->n_cols) {
        bool identity = true; /* a run without standardisation exports mean 0, scale 1 */
        for (size_t i = 0; i < file->count; i++)
            identity = identity && file->mean[i] == 0.0 && file->scale[i] == 1.0;
        if (identity)
            return;
        fprintf(report, "Warning: %s standardises its %zu inputs; this run does not (data.csv.standardize: false), "
                        "so the weights see unscaled features\n", exp->init.from, file->count);
        return;
    }
    if (st->n_cols != file->count) {
        fprintf(report, "Warning: %s standardises %zu inputs, this run has %zu features\n", exp->init.from,
                file->count, st->n_cols);
        return;
    }
    for (size_t i = 0; i < file->count; i++) {
        double dm = fabs(file->mean[i] - st->mean[i]), ds = fabs(file->scale[i] - st->scale[i]);
        if (dm > 1e-5 * (fabs(st->mean[i]) + st->scale[i]) || ds > 1e-5 * st->scale[i]) {
            fprintf(report, "Warning: %s standardises feature %zu (%s) with mean %.6g, scale %.6g; this run's "
                            "training split gives mean %.6g, scale %.6g, and the run's own apply\n",
                    exp->init.from, i, file->names[i], file->mean[i], file->scale[i], st->mean[i], st->scale[i]);
            return;
        }
    }
}

ct_status ct_run_import_init(const ct_experiment *exp, const ct_run_options *o, const ct_dataset *d,
                             const ct_model_plan *plan, ct_named_tensor **tensors, size_t *n, char sha256[65],
                             FILE *report)
{
    char where[400];
    ct_experiment_where(exp, "init.from", where, sizeof where);
    *tensors = NULL;
    *n = 0;
    if (!o->import_weights)
        return ct_fail(CT_ERR_UNSUPPORTED, "%s: init.from: this program cannot read weights files", where);
    ct_feature_columns standardization;
    ct_status s = o->import_weights(exp->init.from, plan, tensors, n, &standardization);
    if (s != CT_OK)
        return ct_fail_context(s, "%s: init.from", where);
    compare_standardization(exp, &standardization, d, report);
    ct_feature_columns_free(&standardization);
    s = ct_sha256_file_hex(exp->init.from, sha256);
    if (s != CT_OK) {
        ct_weights_free(*tensors, *n);
        *tensors = NULL;
        *n = 0;
        return ct_fail_context(s, "%s: init.from", where);
    }
    return CT_OK;
}

ct_status ct_run_set_weights_by_name(ct_model *model, const ct_named_tensor *tensors, size_t n, const char *path)
{
    size_t count = ct_model_tensor_count(model);
    if (n != count)
        return ct_fail(CT_ERR_SHAPE, "%s gives %zu tensors, the model has %zu", path, n, count);
    ct_named_tensor *ordered = calloc(count ? count : 1, sizeof *ordered);
    if (!ordered)
        return ct_fail(CT_ERR_NO_MEMORY, "out of memory");
    ct_status s = CT_OK;
    for (size_t i = 0; s == CT_OK && i < count; i++) {
        const char *name;
        ct_tensor view;
        s = ct_model_tensor(model, i, &name, &view);
        size_t k = 0;
        while (s == CT_OK && k < n && strcmp(tensors[k].name, name) != 0)
            k++;
        if (s == CT_OK && k == n)
            s = ct_fail(CT_ERR_SHAPE, "%s gives no tensor %s", path, name);
        if (s == CT_OK)
            ordered[i] = tensors[k]; /* borrowed */
    }
    if (s == CT_OK)
        s = ct_run_set_weights(model, ordered, count, path);
    free(ordered);
    return s;
}

ct_status ct_run_open_experiment(ct_experiment *exp, const ct_run_options *o, ct_run *out)
{
    memset(out, 0, sizeof *out);
    out->exp = exp;
    if (!exp->init.enabled) {
        char where[400];
        ct_run_close(out);
        return ct_fail(CT_ERR_CONFIG, "%s: no init.from: an experiment is evaluated with the weights it starts from "
                                      "(init: {from: FILE.weights.h5 or FILE.onnx}); a run directory with its own",
                       ct_experiment_where(exp, "init", where, sizeof where));
    }
    snprintf(out->weights_source, sizeof out->weights_source, "%s", exp->init.from);
    ct_status s = ct_dataset_load(exp, o->data_dir, &out->data);
    ct_model_plan plan = {0};
    ct_named_tensor *tensors = NULL;
    size_t n = 0;
    char sha256[65];
    if (s == CT_OK)
        s = ct_model_plan_create(&exp->model, out->data.in_ndim, out->data.in_shape, &plan);
    if (s == CT_OK)
        s = ct_run_import_init(exp, o, &out->data, &plan, &tensors, &n, sha256, o->report);
    ct_model_plan_free(&plan);
    if (s == CT_OK) {
        ct_device_info info;
        s = ct_device_find(ct_device_spec_from_env(o->device_spec), &info);
        if (s == CT_OK)
            s = ct_context_create(&info, &out->ctx);
    }
    if (s == CT_OK) {
        ct_host_split train = ct_split_data_host(&out->data.train);
        s = ct_trainer_create(out->ctx, exp, out->data.in_ndim, out->data.in_shape, out->data.target_width, &train,
                              NULL, &out->trainer);
    }
    if (s == CT_OK)
        s = ct_run_set_weights_by_name(ct_trainer_model(out->trainer), tensors, n, exp->init.from);
    ct_weights_free(tensors, n);
    if (s != CT_OK)
        ct_run_close(out);
    return s;
}

ct_status ct_run_check_init(const ct_experiment *exp, const char *data_dir,
                            ct_status (*import_weights)(const char *, const ct_model_plan *, ct_named_tensor **,
                                                        size_t *, ct_feature_columns *),
                            size_t *tensors)
{
    *tensors = 0;
    if (!exp->init.enabled)
        return CT_OK;
    int ndim = 0;
    size_t shape[3] = {0, 0, 0};
    ct_status s = ct_run_input_shape(exp, data_dir, &ndim, shape);
    if (s != CT_OK)
        return ct_fail_context(s, "checking init.from against the model");
    ct_model_plan plan;
    CT_TRY(ct_model_plan_create(&exp->model, ndim, shape, &plan));
    ct_named_tensor *t = NULL;
    ct_feature_columns standardization;
    char where[400];
    s = import_weights(exp->init.from, &plan, &t, tensors, &standardization);
    if (s != CT_OK)
        s = ct_fail_context(s, "%s: init.from", ct_experiment_where(exp, "init.from", where, sizeof where));
    else
        s = ct_weights_check_finite(exp->init.from, t, *tensors);
    ct_weights_free(t, *tensors);
    if (s == CT_OK)
        ct_feature_columns_free(&standardization);
    ct_model_plan_free(&plan);
    return s;
}
