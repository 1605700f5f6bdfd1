/* From an experiment's data spec to per-split host arrays. */
#include "run/dataset.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cltrain/report.h"

size_t ct_dataset_sample_size(const ct_dataset *d)
{
    size_t n = 1;
    for (int i = 0; i < d->in_ndim; i++)
        n *= d->in_shape[i];
    return n;
}

static void split_free(ct_split_data *s)
{
    if (!s->x_shared)
        free(s->x);
    free(s->y);
    free(s->baseline);
    memset(s, 0, sizeof *s);
}

void ct_dataset_free(ct_dataset *d)
{
    split_free(&d->train);
    split_free(&d->validation);
    split_free(&d->test);
    for (size_t i = 0; d->class_names && i < d->n_classes; i++)
        free(d->class_names[i]);
    free(d->class_names);
    free(d->baseline_name);
    for (size_t i = 0; d->feature_names && i < d->in_shape[0]; i++)
        free(d->feature_names[i]);
    free(d->feature_names);
    if (d->standardizer.n_cols)
        ct_standardizer_free(&d->standardizer);
    memset(d, 0, sizeof *d);
}

/* One split's rows of the tabular data. */
static ct_status take_rows(const ct_tabular *t, const size_t *idx, size_t n, int with_baseline, ct_split_data *out)
{
    out->n = n;
    if (n == 0)
        return CT_OK;
    CT_TRY(ct_gather_rows(t->x, t->n_features, idx, n, &out->x));
    CT_TRY(ct_gather_rows(t->y, 1, idx, n, &out->y));
    if (with_baseline)
        CT_TRY(ct_gather_rows(t->y_today, 1, idx, n, &out->baseline));
    return CT_OK;
}

/* The data's local path (*path malloc'd), downloaded and checked first when
 * the experiment gives a url; an error names the experiment's key. */
static ct_status locate(const ct_experiment *exp, const char *key, const char *file, const char *url,
                        const char *sha256, const char *data_dir, char **path)
{
    ct_status s = ct_data_locate(file, url, sha256, data_dir, path);
    if (s != CT_OK) {
        char where[256];
        return ct_fail_context(s, "%s: %s", ct_experiment_where(exp, key, where, sizeof where), key);
    }
    return CT_OK;
}

static ct_status load_csv(const ct_experiment *exp, const char *data_dir, ct_dataset *d)
{
    const ct_csv_spec *c = &exp->data.csv;
    char where[256];
    char *path = NULL;
    CT_TRY(locate(exp, "data.csv.file", c->file, c->url, c->sha256, data_dir, &path));
    ct_table table;
    ct_status s = ct_csv_read(path, &table);
    free(path);
    if (s != CT_OK)
        return s;

    ct_tabular_options o;
    ct_tabular_options_init(&o);
    o.features.names = (const char *const *)c->features.columns.items;
    o.features.n_names = c->features.columns.count;
    o.features.prefixes = (const char *const *)c->features.prefixes.items;
    o.features.n_prefixes = c->features.prefixes.count;
    o.features.globs = (const char *const *)c->features.globs.items;
    o.features.n_globs = c->features.globs.count;
    o.features.drop = (const char *const *)c->features.drop.items;
    o.features.n_drop = c->features.drop.count;
    o.first_row = (size_t)c->rows.first;
    o.last_row = c->rows.has_last ? (size_t)c->rows.last : CT_LAST_ROW;
    o.target = c->target.column;
    o.shift = (unsigned)c->target.shift;
    o.drop_missing = c->drop_missing;
    ct_tabular t;
    s = ct_tabular_from_table(&table, &o, &t);
    ct_table_free(&table);
    if (s != CT_OK)
        return ct_fail_context(s, "%s: data.csv", ct_experiment_where(exp, "data.csv", where, sizeof where));

    ct_split_options so = {
        .train = c->split.train,
        .validation = c->split.validation,
        .test = c->split.test,
        .seed = (uint64_t)exp->seed,
        .keep_order = !c->split.shuffle,
        .use_random_state = c->split.has_random_state,
        .random_state = (uint32_t)c->split.random_state,
    };
    ct_split split;
    s = ct_split_make(t.n_samples, &so, &split);
    if (s == CT_OK) {
        int baseline = exp->evaluate.baseline_count > 0;
        d->in_ndim = 1;
        d->in_shape[0] = t.n_features;
        d->target_width = 1;
        d->feature_names = calloc(t.n_features, sizeof *d->feature_names);
        if (!d->feature_names)
            s = ct_fail(CT_ERR_NO_MEMORY, "feature names");
        for (size_t i = 0; s == CT_OK && i < t.n_features; i++)
            if (!(d->feature_names[i] = strdup(t.feature_names[i])))
                s = ct_fail(CT_ERR_NO_MEMORY, "feature names");
        if (s == CT_OK)
            s = take_rows(&t, split.train, split.n_train, baseline, &d->train);
        if (s == CT_OK)
            s = take_rows(&t, split.validation, split.n_validation, baseline, &d->validation);
        if (s == CT_OK)
            s = take_rows(&t, split.test, split.n_test, baseline, &d->test);
        if (s == CT_OK && c->standardize && d->train.n) {
            s = ct_standardizer_fit(t.x, t.n_features, split.train, split.n_train, &d->standardizer);
            if (s == CT_OK) {
                ct_standardizer_apply(&d->standardizer, d->train.x, d->train.n);
                ct_standardizer_apply(&d->standardizer, d->validation.x, d->validation.n);
                ct_standardizer_apply(&d->standardizer, d->test.x, d->test.n);
            }
        }
        ct_split_free(&split);
    }
    ct_tabular_free(&t);
    return s;
}

/* The split of an image set: its pixels taken over (set->x becomes NULL),
 * not copied, with float labels. The CIFAR test batch alone is 123 MB of
 * floats; a copy into fresh memory cost 0.05-0.1 s of start-up. */
static ct_status take_images(ct_image_set *set, ct_split_data *out)
{
    out->n = set->n;
    if (set->n == 0)
        return CT_OK;
    out->x = set->x;
    set->x = NULL;
    out->y = malloc(set->n * sizeof(float));
    if (!out->y)
        return ct_fail(CT_ERR_NO_MEMORY, "CIFAR-10 labels of %zu images", set->n);
    for (size_t i = 0; i < set->n; i++)
        out->y[i] = (float)set->labels[i];
    return CT_OK;
}

/* A second split of the same images and labels: shares the pixels. */
static ct_status share_images(const ct_split_data *from, ct_split_data *out)
{
    out->n = from->n;
    out->x = from->x;
    out->x_shared = 1;
    if (from->n == 0)
        return CT_OK;
    out->y = malloc(from->n * sizeof(float));
    if (!out->y)
        return ct_fail(CT_ERR_NO_MEMORY, "CIFAR-10 labels of %zu images", from->n);
    memcpy(out->y, from->y, from->n * sizeof(float));
    return CT_OK;
}

static ct_status load_cifar(const ct_experiment *exp, const char *data_dir, ct_dataset *d)
{
    const ct_cifar10_spec *c = &exp->data.cifar10;
    char *dir = NULL;
    CT_TRY(locate(exp, "data.cifar10", c->dir, c->url, c->sha256, data_dir, &dir));
    ct_cifar10_options o = {dir, (unsigned)c->train_batches, (size_t)c->train_subset, (size_t)c->test_subset};
    ct_cifar10 data;
    ct_status s = ct_cifar10_load(&o, &data);
    free(dir);
    if (s != CT_OK)
        return s;
    d->in_ndim = 3;
    d->in_shape[0] = 32, d->in_shape[1] = 32, d->in_shape[2] = 3;
    d->target_width = 1;
    s = take_images(&data.train, &d->train);
    if (s == CT_OK)
        s = take_images(&data.test, &d->test);
    if (s == CT_OK && c->use_test_as_validation)
        s = share_images(&d->test, &d->validation);
    if (s == CT_OK && !c->scale) /* the reader gives [0,1]; 0..255 when asked */
        for (ct_split_data *sp = &d->train; sp <= &d->test; sp++)
            for (size_t i = 0; !sp->x_shared && i < sp->n * 32 * 32 * 3; i++)
                sp->x[i] *= 255.0f;
    if (s == CT_OK) {
        d->class_names = calloc(CT_CIFAR10_CLASSES, sizeof *d->class_names);
        if (!d->class_names)
            s = ct_fail(CT_ERR_NO_MEMORY, "class names");
        for (size_t i = 0; s == CT_OK && i < CT_CIFAR10_CLASSES; i++) {
            d->class_names[i] = strdup(data.class_names[i] ? data.class_names[i] : "?");
            if (!d->class_names[i])
                s = ct_fail(CT_ERR_NO_MEMORY, "class names");
            d->n_classes = i + 1;
        }
    }
    ct_cifar10_free(&data);
    return s;
}

/* Keras fit(validation_split=f): the last fraction of the training samples,
 * taken before any shuffling, becomes the validation data. */
static ct_status carve_validation(ct_dataset *d, double fraction)
{
    size_t n_val = (size_t)((double)d->train.n * fraction);
    if (n_val == 0 || d->validation.n > 0)
        return CT_OK;
    size_t keep = d->train.n - n_val, xs = ct_dataset_sample_size(d), ys = d->target_width;
    ct_split_data *v = &d->validation;
    v->n = n_val;
    v->x = malloc(n_val * xs * sizeof(float));
    v->y = malloc(n_val * ys * sizeof(float));
    if (!v->x || !v->y)
        return ct_fail(CT_ERR_NO_MEMORY, "validation split");
    memcpy(v->x, d->train.x + keep * xs, n_val * xs * sizeof(float));
    memcpy(v->y, d->train.y + keep * ys, n_val * ys * sizeof(float));
    if (d->train.baseline) {
        v->baseline = malloc(n_val * sizeof(float));
        if (!v->baseline)
            return ct_fail(CT_ERR_NO_MEMORY, "validation split");
        memcpy(v->baseline, d->train.baseline + keep, n_val * sizeof(float));
    }
    d->train.n = keep;
    return CT_OK;
}

ct_status ct_dataset_load(const ct_experiment *exp, const char *data_dir, ct_dataset *out)
{
    memset(out, 0, sizeof *out);
    ct_status s = exp->data.kind == CT_DATA_CSV ? load_csv(exp, data_dir, out) : load_cifar(exp, data_dir, out);
    if (s == CT_OK && exp->train.validation_split > 0)
        s = carve_validation(out, exp->train.validation_split);
    if (s == CT_OK && exp->evaluate.baseline_count > 0 && exp->data.kind == CT_DATA_CSV) {
        const char *col = exp->evaluate.baselines[0].column;
        size_t len = strlen(col) + 32;
        out->baseline_name = malloc(len);
        if (!out->baseline_name)
            s = ct_fail(CT_ERR_NO_MEMORY, "baseline name");
        else
            snprintf(out->baseline_name, len, "persistence (%s)", col);
    }
    if (s == CT_OK && out->train.n == 0)
        s = ct_fail(CT_ERR_DATA, "%s: no training samples after selection and split", exp->source_path);
    if (s != CT_OK)
        ct_dataset_free(out);
    return s;
}

ct_status ct_dataset_write_features(const ct_dataset *d, const char *run_dir)
{
    if (!d->feature_names)
        return CT_OK;
    char path[4096];
    snprintf(path, sizeof path, "%s/features.csv", run_dir);
    int standardized = d->standardizer.n_cols == d->in_shape[0];
    return ct_features_write(path, (const char *const *)d->feature_names, standardized ? d->standardizer.mean : NULL,
                             standardized ? d->standardizer.scale : NULL, d->in_shape[0]);
}
