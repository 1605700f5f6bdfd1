/* A finished run read for export (see exported_run.h). */
#include "onnx/exported_run.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cltrain/data.h" /* CT_CIFAR10_SIDE */

ct_status ct_exported_run_weight(const ct_exported_run *r, const char *layer, const char *what, int ndim,
                                 const size_t *shape, const float **data)
{
    char name[CT_LAYER_NAME_MAX + 32];
    snprintf(name, sizeof name, "%s/%s", layer, what);
    for (size_t i = 0; i < r->n_weights; i++) {
        const ct_named_tensor *t = &r->weights[i];
        if (strcmp(t->name, name) != 0)
            continue;
        bool same = t->ndim == ndim;
        for (int d = 0; same && d < ndim; d++)
            same = t->shape[d] == shape[d];
        if (!same)
            return ct_fail(CT_ERR_SHAPE, "%s/weights.bin: tensor %s has the wrong shape for layer %s of config.yaml",
                           r->run_dir, name, layer);
        *data = t->data;
        return CT_OK;
    }
    return ct_fail(CT_ERR_DATA, "%s/weights.bin: no tensor %s, which layer %s of config.yaml needs", r->run_dir,
                   name, layer);
}

bool ct_exported_run_has_weight(const ct_exported_run *r, const char *layer, const char *what)
{
    char name[CT_LAYER_NAME_MAX + 32];
    snprintf(name, sizeof name, "%s/%s", layer, what);
    for (size_t i = 0; i < r->n_weights; i++)
        if (!strcmp(r->weights[i].name, name))
            return true;
    return false;
}

bool ct_exported_run_classifies(const ct_exported_run *r)
{
    ct_loss l = r->exp->train.loss;
    return l == CT_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY || l == CT_LOSS_CATEGORICAL_CROSSENTROPY ||
           l == CT_LOSS_BINARY_CROSSENTROPY;
}

ct_status ct_exported_run_open(const char *run_dir, ct_exported_run *r)
{
    memset(r, 0, sizeof *r);
    r->run_dir = run_dir;
    char path[4096];
    struct stat st;
    if (stat(run_dir, &st) != 0)
        return ct_fail(CT_ERR_IO, "run directory %s: %s", run_dir, strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return ct_fail(CT_ERR_IO, "%s is not a directory: expected a run directory (cltrain run --out DIR)", run_dir);
    snprintf(path, sizeof path, "%s/config.yaml", run_dir);
    CT_TRY(ct_experiment_open(path, NULL, 0, &r->exp));
    int ndim = 1;
    size_t shape[3] = {0, 0, 0};
    if (ct_data_takes_images(&r->exp->data)) { /* CIFAR-10, or an image folder's image_size and channels */
        int h, w, c;
        ct_data_image_shape(&r->exp->data, &h, &w, &c);
        ndim = 3;
        shape[0] = (size_t)h, shape[1] = (size_t)w, shape[2] = (size_t)c;
    } else {
        snprintf(path, sizeof path, "%s/features.csv", run_dir);
        if (stat(path, &st) != 0)
            return ct_fail(CT_ERR_IO, "%s: %s: the run does not record its input columns (runs made before "
                                      "features.csv existed); train it again to export it",
                           path, strerror(errno));
        CT_TRY(ct_features_read(path, &r->features));
        shape[0] = r->features.count;
    }
    CT_TRY(ct_model_plan_create(&r->exp->model, ndim, shape, &r->plan));
    snprintf(path, sizeof path, "%s/weights.bin", run_dir);
    if (stat(path, &st) != 0)
        return ct_fail(CT_ERR_IO, "%s: %s: the run did not finish training (weights.bin is written when it ends), "
                                  "so there is no model to export",
                       path, strerror(errno));
    return ct_weights_read(path, &r->weights, &r->n_weights);
}

void ct_exported_run_close(ct_exported_run *r)
{
    ct_weights_free(r->weights, r->n_weights);
    ct_model_plan_free(&r->plan);
    ct_feature_columns_free(&r->features);
    ct_experiment_free(r->exp);
    memset(r, 0, sizeof *r);
}
