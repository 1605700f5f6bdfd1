/* From an experiment's data spec to per-split host arrays. */
#include "run/dataset.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cltrain/loss_kind.h"
#include "cltrain/report.h"

size_t ct_dataset_sample_size(const ct_dataset *d)
{
    size_t n = 1;
    for (int i = 0; i < d->in_ndim; i++)
        n *= d->in_shape[i];
    return n;
}

ct_host_split ct_split_data_host(const ct_split_data *s)
{
    ct_host_split h = {s->n, s->x, s->y, s->x_u8, s->x_scale};
    return h;
}

void ct_split_data_sample(const ct_split_data *s, size_t sample_size, size_t i, float *out)
{
    for (size_t k = 0; k < sample_size; k++)
        out[k] = s->x_u8 ? (float)s->x_u8[i * sample_size + k] * s->x_scale : s->x[i * sample_size + k];
}

void ct_split_data_free(ct_split_data *s)
{
    if (!s->x_shared)
        free(s->x);
    free(s->x_u8);
    free(s->y);
    free(s->baseline);
    memset(s, 0, sizeof *s);
}

void ct_dataset_free(ct_dataset *d)
{
    ct_split_data_free(&d->train);
    ct_split_data_free(&d->validation);
    ct_split_data_free(&d->test);
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

/* One split's rows of the tabular data; class indices become one-hot rows
 * of one_hot classes when that is not 0 (categorical_crossentropy). */
static ct_status take_rows(const ct_tabular *t, const size_t *idx, size_t n, int with_baseline, size_t one_hot,
                           ct_split_data *out)
{
    out->n = n;
    if (n == 0)
        return CT_OK;
    CT_TRY(ct_gather_rows(t->x, t->n_features, idx, n, &out->x));
    CT_TRY(ct_gather_rows(t->y, 1, idx, n, &out->y));
    if (with_baseline)
        CT_TRY(ct_gather_rows(t->y_today, 1, idx, n, &out->baseline));
    if (one_hot) {
        float *hot;
        CT_TRY(ct_labels_one_hot(out->y, n, one_hot, &hot));
        free(out->y);
        out->y = hot;
    }
    return CT_OK;
}

static bool classifies(ct_loss l)
{
    return l == CT_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY || l == CT_LOSS_CATEGORICAL_CROSSENTROPY ||
           l == CT_LOSS_BINARY_CROSSENTROPY;
}

/* The units of the last dense layer (the output of a CSV model); 0 when the
 * model has none. *index_out: that layer. */
static size_t output_units(const ct_experiment *exp, size_t *index_out)
{
    for (size_t i = exp->model.layer_count; i-- > 0;)
        if (exp->model.layers[i].kind == CT_LAYER_DENSE) {
            *index_out = i;
            return (size_t)exp->model.layers[i].dense.units;
        }
    return 0;
}

/* Classes the model outputs: its units, or 2 for one sigmoid unit. */
static size_t model_classes(const ct_experiment *exp, size_t units)
{
    return exp->train.loss == CT_LOSS_BINARY_CROSSENTROPY ? 2 : units;
}

/* Text labels of a classification target become class indices: the sorted
 * classes (derived) or, for a file scored against a trained model, the
 * model's own (given in *names). Their count must fit the output layer. */
static ct_status encode_labels(const ct_experiment *exp, ct_table *table, char ***names, size_t *n_names)
{
    const ct_csv_spec *c = &exp->data.csv;
    size_t col;
    if (!classifies(exp->train.loss) || ct_table_find_column(table, c->target.column, &col) != CT_OK)
        return CT_OK; /* an unknown column is reported with its context by ct_tabular_from_table() */
    if (!*names && !ct_table_column_has_text(table, col))
        return CT_OK; /* numeric labels are class indices already */
    bool derived = *names == NULL;
    CT_TRY(ct_table_encode_labels(table, col, names, n_names));
    size_t layer = 0, units = output_units(exp, &layer);
    if (!derived || units == 0 || model_classes(exp, units) == *n_names)
        return CT_OK;
    char where[256], key[64], list[512] = "";
    for (size_t k = 0; k < *n_names && strlen(list) < 400; k++)
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", k ? ", " : "", (*names)[k]);
    if (*n_names > 0 && strlen(list) >= 400)
        snprintf(list + strlen(list), sizeof list - strlen(list), ", ...");
    if (exp->train.loss == CT_LOSS_BINARY_CROSSENTROPY)
        snprintf(key, sizeof key, "train.loss");
    else
        snprintf(key, sizeof key, "model[%zu].dense.units", layer);
    ct_experiment_where(exp, key, where, sizeof where);
    size_t n = *n_names;
    ct_class_names_free(*names, n);
    *names = NULL;
    *n_names = 0;
    if (exp->train.loss == CT_LOSS_BINARY_CROSSENTROPY)
        return ct_fail(CT_ERR_DATA,
                       "%s: %s: train.loss: column %s has %zu classes (%s), but binary_crossentropy separates "
                       "two: use sparse_categorical_crossentropy with units: %zu and activation softmax",
                       table->source, where, c->target.column, n, list, n);
    return ct_fail(CT_ERR_DATA,
                   "%s: %s: %s: the model outputs %zu values, but column %s has %zu classes (%s): the last "
                   "dense layer needs units: %zu",
                   table->source, where, key, units, c->target.column, n, list, n);
}

/* The target must not be among its own features unless it is shifted: with
 * shift 0 the model would read the answer (the workshop's "today's sunshine"
 * predicts tomorrow's, shift 1, and may stay). */
static ct_status check_target_not_feature(const ct_experiment *exp, const ct_tabular *t)
{
    if (t->shift > 0 || !t->target_name)
        return CT_OK;
    for (size_t f = 0; f < t->n_features; f++)
        if (!strcmp(t->feature_names[f], t->target_name)) {
            char where[256];
            return ct_fail(CT_ERR_DATA,
                           "%s: data.csv.features: the target column %s is also a feature, so the model would "
                           "read the answer it should predict: add it to the drop list (features: {drop: [%s]}); "
                           "only a target shifted to a later row (target.shift >= 1, \"predict tomorrow\") may "
                           "stay a feature",
                           ct_experiment_where(exp, "data.csv.features", where, sizeof where), t->target_name,
                           t->target_name);
        }
    return CT_OK;
}

/* Every label a class the model outputs, before any training. */
static ct_status check_labels(const ct_experiment *exp, const ct_table *table, const ct_tabular *t)
{
    size_t layer = 0, units = output_units(exp, &layer);
    if (!classifies(exp->train.loss) || units == 0 || t->n_samples == 0)
        return CT_OK;
    size_t *lines = malloc(t->n_samples * sizeof *lines);
    if (!lines)
        return ct_fail(CT_ERR_NO_MEMORY, "label lines");
    for (size_t i = 0; i < t->n_samples; i++)
        lines[i] = table->lines[t->rows[i] + t->shift];
    ct_labels_check_args a = {.y = t->y,
                              .n = t->n_samples,
                              .n_classes = model_classes(exp, units),
                              .units = units,
                              .binary = exp->train.loss == CT_LOSS_BINARY_CROSSENTROPY,
                              .lines = lines,
                              .source = table->source,
                              .column = t->target_name};
    ct_status s = ct_labels_check(&a);
    free(lines);
    return s;
}

/* Read a CSV file into samples as the experiment selects them: labels
 * encoded (*names: the classes, derived when NULL), the target kept out of
 * the features unless shifted, every label checked. all_rows: every row of
 * the file (a file to score), else data.csv.rows. */
static ct_status read_samples(const ct_experiment *exp, const char *path, bool all_rows, char ***names,
                              size_t *n_names, ct_tabular *t)
{
    const ct_csv_spec *c = &exp->data.csv;
    char where[256];
    ct_table table;
    CT_TRY(ct_csv_read(path, &table));
    ct_status s = encode_labels(exp, &table, names, n_names);
    if (s != CT_OK) {
        ct_table_free(&table);
        return s;
    }
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
    o.first_row = all_rows ? 0 : (size_t)c->rows.first;
    o.last_row = c->rows.has_last && !all_rows ? (size_t)c->rows.last : CT_LAST_ROW;
    o.target = c->target.column;
    o.shift = (unsigned)c->target.shift;
    o.drop_missing = c->drop_missing;
    s = ct_tabular_from_table(&table, &o, t);
    if (s != CT_OK)
        s = ct_fail_context(s, "%s: data.csv", ct_experiment_where(exp, "data.csv", where, sizeof where));
    if (s == CT_OK)
        s = check_target_not_feature(exp, t);
    if (s == CT_OK)
        s = check_labels(exp, &table, t);
    if (s != CT_OK)
        ct_tabular_free(t);
    ct_table_free(&table);
    return s;
}

/* Class indices become one-hot rows this wide (0: they stay indices). */
static size_t one_hot_width(const ct_experiment *exp)
{
    size_t layer = 0;
    return exp->train.loss == CT_LOSS_CATEGORICAL_CROSSENTROPY ? output_units(exp, &layer) : 0;
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
    char *path = NULL;
    CT_TRY(locate(exp, "data.csv.file", c->file, c->url, c->sha256, data_dir, &path));
    ct_tabular t;
    ct_status s = read_samples(exp, path, false, &d->class_names, &d->n_classes, &t);
    free(path);
    if (s != CT_OK)
        return s;

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
        size_t hot = one_hot_width(exp);
        d->in_ndim = 1;
        d->in_shape[0] = t.n_features;
        d->target_width = hot ? hot : 1;
        d->feature_names = calloc(t.n_features, sizeof *d->feature_names);
        if (!d->feature_names)
            s = ct_fail(CT_ERR_NO_MEMORY, "feature names");
        for (size_t i = 0; s == CT_OK && i < t.n_features; i++)
            if (!(d->feature_names[i] = strdup(t.feature_names[i])))
                s = ct_fail(CT_ERR_NO_MEMORY, "feature names");
        if (s == CT_OK)
            s = take_rows(&t, split.train, split.n_train, baseline, hot, &d->train);
        if (s == CT_OK)
            s = take_rows(&t, split.validation, split.n_validation, baseline, hot, &d->validation);
        if (s == CT_OK)
            s = take_rows(&t, split.test, split.n_test, baseline, hot, &d->test);
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

/* ------------------------------------------------------------ image folders */

/* The images idx[0..n) of a folder as a split: pixels and labels copied. */
static ct_status take_folder_rows(const ct_image_folder *f, const size_t *idx, size_t n, float scale, size_t one_hot,
                                  ct_split_data *out)
{
    size_t per = f->height * f->width * f->channels;
    out->n = n;
    out->x_scale = scale;
    if (n == 0)
        return CT_OK;
    out->x_u8 = malloc(n * per);
    out->y = malloc(n * sizeof *out->y);
    if (!out->x_u8 || !out->y)
        return ct_fail(CT_ERR_NO_MEMORY, "%zu images", n);
    for (size_t i = 0; i < n; i++) {
        size_t j = idx ? idx[i] : i;
        memcpy(out->x_u8 + i * per, f->pixels + j * per, per);
        out->y[i] = (float)f->labels[j];
    }
    if (one_hot) {
        float *hot;
        CT_TRY(ct_labels_one_hot(out->y, n, one_hot, &hot));
        free(out->y);
        out->y = hot;
    }
    return CT_OK;
}

/* A folder of the experiment's form: found like data files, read through
 * the cache, the given classes (or its own when NULL). */
static ct_status read_folder(const ct_experiment *exp, const char *name, const char *key, bool locate,
                             const char *data_dir, char *const *classes, size_t n_classes, ct_image_folder *out)
{
    const ct_images_spec *im = &exp->data.images;
    char where[256], *dir = NULL;
    ct_status s = locate ? ct_data_locate(name, NULL, NULL, data_dir, &dir) : CT_OK;
    if (s != CT_OK)
        return ct_fail_context(s, "%s: %s", ct_experiment_where(exp, key, where, sizeof where), key);
    ct_image_folder_options o = {.dir = dir ? dir : name,
                                 .height = (size_t)im->image_size[0],
                                 .width = (size_t)im->image_size[1],
                                 .grayscale = im->color_mode == CT_COLOR_GRAYSCALE,
                                 .nearest = im->interpolation == CT_INTERPOLATION_NEAREST,
                                 .skip_broken = im->on_error == CT_ON_ERROR_SKIP,
                                 .classes = (const char *const *)classes,
                                 .n_classes = n_classes};
    s = ct_image_folder_load(&o, out);
    free(dir);
    return s;
}

/* The folder's classes against the output layer, before any training. */
static ct_status check_image_classes(const ct_experiment *exp, const ct_image_folder *f)
{
    size_t layer = 0, units = output_units(exp, &layer);
    if (units == 0 || model_classes(exp, units) == f->n_classes)
        return CT_OK;
    char where[256], key[64], list[512] = "";
    for (size_t k = 0; k < f->n_classes && strlen(list) < 400; k++)
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", k ? ", " : "", f->class_names[k]);
    if (exp->train.loss == CT_LOSS_BINARY_CROSSENTROPY)
        return ct_fail(CT_ERR_DATA, "%s: train.loss: %s has %zu classes (%s), but binary_crossentropy separates two",
                       ct_experiment_where(exp, "train.loss", where, sizeof where), exp->data.images.dir,
                       f->n_classes, list);
    snprintf(key, sizeof key, "model[%zu].dense.units", layer);
    return ct_fail(CT_ERR_DATA, "%s: %s: the model outputs %zu values, but %s has %zu classes (%s): the last "
                   "dense layer needs units: %zu",
                   ct_experiment_where(exp, key, where, sizeof where), key, units, exp->data.images.dir, f->n_classes,
                   list, f->n_classes);
}

static ct_status load_images(const ct_experiment *exp, const char *data_dir, ct_dataset *d)
{
    const ct_images_spec *im = &exp->data.images;
    float scale = im->scale ? 1.0f / 255.0f : 1.0f;
    size_t hot = one_hot_width(exp);
    ct_image_folder f;
    CT_TRY(read_folder(exp, im->dir, "data.images.dir", true, data_dir, NULL, 0, &f));
    ct_status s = check_image_classes(exp, &f);
    d->in_ndim = 3;
    d->in_shape[0] = f.height, d->in_shape[1] = f.width, d->in_shape[2] = f.channels;
    d->target_width = hot ? hot : 1;
    d->n_skipped = f.n_skipped;
    d->from_cache = f.from_cache;
    ct_split split = {0};
    uint32_t seed = (uint32_t)(im->has_seed ? im->seed : exp->seed);
    if (s == CT_OK)
        s = ct_image_folder_split(f.n, im->validation_split, seed, &split);
    if (s == CT_OK)
        s = take_folder_rows(&f, split.train, split.n_train, scale, hot, &d->train);
    if (s == CT_OK)
        s = take_folder_rows(&f, split.validation, split.n_validation, scale, hot, &d->validation);
    ct_split_free(&split);
    if (s == CT_OK) { /* the classes move to the dataset */
        d->class_names = f.class_names;
        d->n_classes = f.n_classes;
        f.class_names = NULL;
        f.n_classes = 0;
    }
    ct_image_folder_free(&f);
    if (s == CT_OK && im->test_dir) {
        ct_image_folder t;
        s = read_folder(exp, im->test_dir, "data.images.test_dir", true, data_dir, d->class_names, d->n_classes, &t);
        ct_split order = {0}; /* shuffled with the seed, as Keras' loader shuffles every folder */
        if (s == CT_OK) {
            d->n_skipped += t.n_skipped;
            s = ct_image_folder_split(t.n, 0.0, seed, &order);
        }
        if (s == CT_OK)
            s = take_folder_rows(&t, order.train, order.n_train, scale, hot, &d->test);
        ct_split_free(&order);
        ct_image_folder_free(&t);
    }
    return s;
}

static ct_status load_file_images(const ct_experiment *exp, const ct_dataset *trained, const char *path,
                                  ct_split_data *out)
{
    const ct_images_spec *im = &exp->data.images;
    ct_image_folder f;
    CT_TRY(read_folder(exp, path, "--data", false, NULL, trained->class_names, trained->n_classes, &f));
    ct_status s = take_folder_rows(&f, NULL, f.n, im->scale ? 1.0f / 255.0f : 1.0f, one_hot_width(exp), out);
    ct_image_folder_free(&f);
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
    if (d->train.x_u8) { /* image folders: bytes */
        v->x_u8 = malloc(n_val * xs);
        v->y = malloc(n_val * ys * sizeof(float));
        if (!v->x_u8 || !v->y)
            return ct_fail(CT_ERR_NO_MEMORY, "validation split");
        memcpy(v->x_u8, d->train.x_u8 + keep * xs, n_val * xs);
        memcpy(v->y, d->train.y + keep * ys, n_val * ys * sizeof(float));
        v->x_scale = d->train.x_scale;
        d->train.n = keep;
        return CT_OK;
    }
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
    ct_status s = exp->data.kind == CT_DATA_CSV      ? load_csv(exp, data_dir, out)
                  : exp->data.kind == CT_DATA_IMAGES ? load_images(exp, data_dir, out)
                                                     : load_cifar(exp, data_dir, out);
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

ct_status ct_dataset_load_file(const ct_experiment *exp, const ct_dataset *trained, const char *path,
                               ct_split_data *out)
{
    memset(out, 0, sizeof *out);
    if (exp->data.kind == CT_DATA_IMAGES)
        return load_file_images(exp, trained, path, out);
    if (exp->data.kind != CT_DATA_CSV)
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "%s: scoring another file needs a CSV or image-folder experiment",
                       path);
    char **names = trained->class_names;
    size_t n_names = trained->n_classes;
    char **derived = NULL;
    size_t n_derived = 0;
    ct_tabular t;
    /* Text labels are looked up in the trained classes, never re-sorted:
     * the file may lack a class. Numeric labels stay indices. */
    ct_status s = read_samples(exp, path, true, names ? &names : &derived, names ? &n_names : &n_derived, &t);
    ct_class_names_free(derived, n_derived); /* the file had text labels the model was trained on as numbers */
    if (s != CT_OK)
        return s;
    if (derived)
        s = ct_fail(CT_ERR_DATA, "%s: column %s holds text labels, but the model was trained on numeric ones",
                    path, exp->data.csv.target.column);
    if (s == CT_OK && t.n_features != trained->in_shape[0])
        s = ct_fail(CT_ERR_DATA, "%s: %zu feature columns selected, the model was trained on %zu", path,
                    t.n_features, trained->in_shape[0]);
    for (size_t f = 0; s == CT_OK && f < t.n_features; f++)
        if (strcmp(t.feature_names[f], trained->feature_names[f]) != 0)
            s = ct_fail(CT_ERR_DATA, "%s: feature %zu is column %s, the model was trained on %s there", path, f,
                        t.feature_names[f], trained->feature_names[f]);
    size_t *all = s == CT_OK ? malloc((t.n_samples ? t.n_samples : 1) * sizeof *all) : NULL;
    if (s == CT_OK && !all)
        s = ct_fail(CT_ERR_NO_MEMORY, "samples of %s", path);
    for (size_t i = 0; all && i < t.n_samples; i++)
        all[i] = i;
    if (s == CT_OK)
        s = take_rows(&t, all, t.n_samples, 0, one_hot_width(exp), out);
    if (s == CT_OK && trained->standardizer.n_cols == t.n_features)
        ct_standardizer_apply(&trained->standardizer, out->x, out->n);
    free(all);
    ct_tabular_free(&t);
    return s;
}
