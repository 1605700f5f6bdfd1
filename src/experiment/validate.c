/* Cross-field checks: mistakes no single key shows, caught before any data
 * is read or any kernel compiled. Each message points at the key to change.
 *
 * Left to others, because they need more than the spec:
 *  - the data loader: CSV columns (target, features, persistence baseline
 *    columns) exist and are numeric, rows exist, CIFAR-10 files are there.
 *    Report with ct_experiment_where(exp, "data.csv.target.column", ...).
 *  - the network: full shape inference and parameter counts (here only the
 *    image sizes the spec fixes, 32x32x3 for CIFAR-10, are followed, to
 *    catch kernels and pools that cannot fit).
 * Longer than 600 lines: a flat list of independent checks, each a short
 * function named for what it checks, run in the order a file is written. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "experiment/schema.h"
#include "experiment/suggest.h"
#include "experiment/validate.h"

#define CIFAR10_IMAGES_PER_BATCH 10000
#define CIFAR10_TEST_IMAGES 10000
#define CIFAR10_CLASSES 10
#define CIFAR10_SIDE 32
#define CIFAR10_CHANNELS 3

/* "model[2].dense" */
static const char *layer_path(const ct_experiment *exp, size_t i, const char *sub, char *buf, size_t size)
{
    snprintf(buf, size, "model[%zu].%s%s%s", i, ct_layer_kind_name(exp->model.layers[i].kind),
             sub ? "." : "", sub ? sub : "");
    return buf;
}

static bool is_regression_loss(ct_loss l) { return l == CT_LOSS_MSE || l == CT_LOSS_MAE; }

static bool is_crossentropy(ct_loss l) { return !is_regression_loss(l); }

static bool is_accuracy(ct_metric m)
{
    return m == CT_METRIC_ACCURACY || m == CT_METRIC_BINARY_ACCURACY ||
           m == CT_METRIC_CATEGORICAL_ACCURACY || m == CT_METRIC_SPARSE_CATEGORICAL_ACCURACY;
}

/* ---------------------------------------------------------------- monitor */

/* "val_root_mean_squared_error" -> validation, RMSE. False: no such name. */
static bool parse_monitor(const char *monitor, bool *validation, bool *loss, ct_metric *metric)
{
    const char *name = monitor;
    *validation = !strncmp(name, "val_", 4);
    if (*validation)
        name += 4;
    *loss = !strcmp(name, "loss");
    *metric = CT_METRIC_RMSE;
    if (*loss)
        return true;
    for (size_t i = 0; i < ct_metric_names.count; i++)
        if (!strcmp(ct_metric_names.entries[i].name, name)) {
            *metric = (ct_metric)ct_metric_names.entries[i].value;
            return true;
        }
    ct_metric keras;
    for (keras = 0; keras < CT_METRIC_COUNT; keras++)
        if (!strcmp(ct_metric_keras_name(keras), name)) {
            *metric = keras;
            return true;
        }
    return false;
}

static bool has_metric(const ct_train_spec *t, ct_metric m)
{
    for (size_t i = 0; i < t->metric_count; i++)
        if (t->metrics[i] == m)
            return true;
    return false;
}

void xp_resolve_derived(ct_experiment *exp)
{
    ct_early_stopping_spec *es = &exp->callbacks.early_stopping;
    if (!es->monitor || !parse_monitor(es->monitor, &es->monitor_validation, &es->monitor_loss,
                                       &es->monitor_metric)) {
        es->monitor_validation = false;
        es->monitor_loss = true;
        es->monitor_metric = CT_METRIC_RMSE;
    }
    es->maximize = es->mode == CT_MODE_MAX ||
                   (es->mode == CT_MODE_AUTO && !es->monitor_loss && is_accuracy(es->monitor_metric));
}

bool ct_data_takes_images(const ct_data_spec *d) { return d->kind == CT_DATA_CIFAR10 || d->kind == CT_DATA_IMAGES; }

void ct_data_image_shape(const ct_data_spec *d, int *height, int *width, int *channels)
{
    if (d->kind == CT_DATA_IMAGES) {
        *height = d->images.image_size[0];
        *width = d->images.image_size[1];
        *channels = d->images.color_mode == CT_COLOR_GRAYSCALE ? 1 : 3;
    } else {
        *height = *width = CIFAR10_SIDE;
        *channels = CIFAR10_CHANNELS;
    }
}

bool ct_data_scales_pixels(const ct_data_spec *d)
{
    return d->kind == CT_DATA_IMAGES ? d->images.scale : d->kind == CT_DATA_CIFAR10 && d->cifar10.scale;
}

bool ct_experiment_has_validation(const ct_experiment *exp)
{
    if (exp->train.validation_split > 0)
        return true;
    if (exp->data.kind == CT_DATA_CSV)
        return exp->data.csv.split.validation > 0;
    if (exp->data.kind == CT_DATA_IMAGES)
        return exp->data.images.validation_split > 0;
    return exp->data.cifar10.use_test_as_validation;
}

/* A callback's monitor (at key path `path`) names a recorded quantity. */
static ct_status check_monitor_name(const ct_experiment *exp, const char *monitor, const char *path)
{
    /* What History will record: loss, the metrics (short and Keras names), val_ of each. */
    char names[2 + 4 * CT_METRIC_COUNT][48];
    const char *candidates[2 + 4 * CT_METRIC_COUNT];
    size_t n = 0;
    snprintf(names[n++], sizeof names[0], "loss");
    snprintf(names[n++], sizeof names[0], "val_loss");
    for (size_t i = 0; i < exp->train.metric_count; i++) {
        ct_metric m = exp->train.metrics[i];
        snprintf(names[n++], sizeof names[0], "%s", ct_metric_name(m));
        snprintf(names[n++], sizeof names[0], "val_%s", ct_metric_name(m));
        snprintf(names[n++], sizeof names[0], "%s", ct_metric_keras_name(m));
        snprintf(names[n++], sizeof names[0], "val_%s", ct_metric_keras_name(m));
    }
    char recorded[600];
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        candidates[i] = names[i];
        /* list the short spellings only: loss, val_loss, rmse, val_rmse, ... */
        if (i < 2 || (i - 2) % 4 < 2)
            o += (size_t)snprintf(recorded + o, sizeof recorded - o, "%s%s", o ? ", " : "", names[i]);
    }

    bool validation, loss;
    ct_metric metric;
    if (!parse_monitor(monitor, &validation, &loss, &metric)) {
        const char *hint = xp_suggest(monitor, candidates, n);
        char did[120] = "";
        if (hint)
            snprintf(did, sizeof did, " (did you mean '%s'?)", hint);
        return xp_fail_at(exp, path, "'%s' is not recorded during training%s; choose one of %s",
                       monitor, did, recorded);
    }
    if (!loss && !has_metric(&exp->train, metric))
        return xp_fail_at(exp, path, "'%s' is not recorded: add %s to train.metrics (recorded now: %s)",
                       monitor, ct_metric_name(metric), recorded);
    if (validation && !ct_experiment_has_validation(exp))
        return xp_fail_at(exp, path,
                       "'%s' needs validation data, but the experiment has none: set %s or "
                       "train.validation_split, or monitor '%s'",
                       monitor,
                       exp->data.kind == CT_DATA_CSV      ? "data.csv.split.validation"
                       : exp->data.kind == CT_DATA_IMAGES ? "data.images.validation_split"
                                                          : "data.cifar10.use_test_as_validation: true",
                       monitor + 4);
    return CT_OK;
}

static ct_status check_monitor(const ct_experiment *exp)
{
    if (exp->callbacks.early_stopping.enabled)
        CT_TRY(check_monitor_name(exp, exp->callbacks.early_stopping.monitor, "callbacks.early_stopping.monitor"));
    if (exp->callbacks.model_checkpoint.enabled)
        CT_TRY(check_monitor_name(exp, exp->callbacks.model_checkpoint.monitor, "callbacks.model_checkpoint.monitor"));
    const ct_reduce_lr_spec *rl = &exp->callbacks.reduce_lr_on_plateau;
    if (!rl->enabled)
        return CT_OK;
    CT_TRY(check_monitor_name(exp, rl->monitor, "callbacks.reduce_lr_on_plateau.monitor"));
    if (exp->train.learning_rate_schedule.enabled)
        return xp_fail_at(exp, "callbacks.reduce_lr_on_plateau",
                       "cannot change the learning rate of a train.learning_rate_schedule (Keras raises "
                       "the same error): use one of the two");
    return CT_OK;
}

/* A schedule's settings that depend on each other (Keras raises
 * ValueError for the piecewise lengths; it ignores warmup_steps without a
 * warmup_target, which here is an error so that the warm-up is not lost). */
static ct_status check_lr_schedule(const ct_experiment *exp)
{
    const ct_lr_schedule_spec *s = &exp->train.learning_rate_schedule;
    if (!s->enabled)
        return CT_OK;
    if (s->kind == CT_LR_SCHEDULE_COSINE_DECAY && s->cosine.warmup_steps > 0 && !s->cosine.has_warmup_target)
        return xp_fail_at(exp, "train.learning_rate_schedule.cosine_decay.warmup_steps",
                       "a warm-up needs warmup_target, the learning rate to reach after %d steps",
                       s->cosine.warmup_steps);
    if (s->kind != CT_LR_SCHEDULE_PIECEWISE_CONSTANT_DECAY)
        return CT_OK;
    const char *base = "train.learning_rate_schedule.piecewise_constant_decay";
    char path[128];
    for (size_t i = 1; i < s->piecewise.boundary_count; i++)
        if (!(s->piecewise.boundaries[i] > s->piecewise.boundaries[i - 1])) {
            snprintf(path, sizeof path, "%s.boundaries[%zu]", base, i);
            return xp_fail_at(exp, path, "boundaries must increase: %g follows %g", s->piecewise.boundaries[i],
                           s->piecewise.boundaries[i - 1]);
        }
    if (s->piecewise.value_count != s->piecewise.boundary_count + 1) {
        snprintf(path, sizeof path, "%s.values", base);
        return xp_fail_at(exp, path, "needs one more value than boundaries: %zu boundaries, %zu values",
                       s->piecewise.boundary_count, s->piecewise.value_count);
    }
    return CT_OK;
}

/* ------------------------------------------------------------------- data */

static bool is_sha256(const char *s)
{
    if (strlen(s) != 64)
        return false;
    for (const char *p = s; *p; p++)
        if (!strchr("0123456789abcdefABCDEF", *p))
            return false;
    return true;
}

static ct_status check_download(const ct_experiment *exp, const char *prefix, const char *url,
                                const char *sha256)
{
    char path[128];
    if (url && strncmp(url, "https://", 8) != 0 && strncmp(url, "http://", 7) != 0 && strncmp(url, "file://", 7) != 0) {
        snprintf(path, sizeof path, "%s.url", prefix);
        return xp_fail_at(exp, path, "'%s' is not an https://, http:// or file:// URL", url);
    }
    if (sha256 && !is_sha256(sha256)) {
        snprintf(path, sizeof path, "%s.sha256", prefix);
        return xp_fail_at(exp, path, "expected 64 hexadecimal digits, got '%s' (%zu characters)", sha256,
                       strlen(sha256));
    }
    return CT_OK;
}

static ct_status check_csv(const ct_experiment *exp)
{
    const ct_csv_spec *csv = &exp->data.csv;
    const ct_split_spec *sp = &csv->split;
    CT_TRY(check_download(exp, "data.csv", csv->url, csv->sha256));
    double sum = sp->train + sp->validation + sp->test;
    if (sum < 1 - 1e-6 || sum > 1 + 1e-6) {
        char a[32], b[32], c[32], total[32];
        xp_format_double(sp->train, a, sizeof a);
        xp_format_double(sp->validation, b, sizeof b);
        xp_format_double(sp->test, c, sizeof c);
        snprintf(total, sizeof total, "%.6g", sum);
        return xp_fail_at(exp, "data.csv.split",
                       "fractions must sum to 1, got train %s + validation %s + test %s = %s "
                       "(unset fractions default to 0.7, 0.15, 0.15)", a, b, c, total);
    }
    if (sp->train <= 0)
        return xp_fail_at(exp, "data.csv.split.train", "the training fraction must be above 0");
    if (sp->has_random_state && !sp->shuffle)
        return xp_fail_at(exp, "data.csv.split.random_state",
                       "a random_state shuffles the samples, but shuffle is false: drop one of the two");
    if (csv->rows.has_last && csv->rows.last < csv->rows.first)
        return xp_fail_at(exp, "data.csv.rows.last", "last row %d comes before first row %d",
                       csv->rows.last, csv->rows.first);
    /* Columns (target, features, baselines) are checked by the data loader,
     * which has the header: see ct_tabular_from_table(). */
    return CT_OK;
}

static ct_status check_cifar10(const ct_experiment *exp)
{
    const ct_cifar10_spec *c = &exp->data.cifar10;
    CT_TRY(check_download(exp, "data.cifar10", c->url, c->sha256));
    long available = (long)c->train_batches * CIFAR10_IMAGES_PER_BATCH;
    if (c->train_subset > available)
        return xp_fail_at(exp, "data.cifar10.train_subset",
                       "asks for %d images, but train_batches: %d hold %ld", c->train_subset,
                       c->train_batches, available);
    if (c->test_subset > CIFAR10_TEST_IMAGES)
        return xp_fail_at(exp, "data.cifar10.test_subset", "asks for %d images, but the test set has %d",
                       c->test_subset, CIFAR10_TEST_IMAGES);
    return CT_OK;
}

static ct_status check_images(const ct_experiment *exp)
{
    const ct_images_spec *im = &exp->data.images;
    if (im->test_dir && !strcmp(im->test_dir, im->dir))
        return xp_fail_at(exp, "data.images.test_dir", "is data.images.dir itself: the test images would be "
                       "training images too; give a folder of other images of the same classes");
    if ((long)im->image_size[0] * im->image_size[1] > 1024L * 1024)
        return xp_fail_at(exp, "data.images.image_size", "%dx%d is over a million pixels per image: every image "
                       "is kept in memory at this size; choose a smaller image_size such as [224, 224]",
                       im->image_size[0], im->image_size[1]);
    return CT_OK;
}

static ct_status check_validation_sources(const ct_experiment *exp)
{
    if (exp->train.validation_split <= 0)
        return CT_OK;
    if (exp->data.kind == CT_DATA_CSV && exp->data.csv.split.validation > 0)
        return xp_fail_at(exp, "train.validation_split",
                       "the data already has a validation split (data.csv.split.validation): "
                       "use one source of validation data");
    if (exp->data.kind == CT_DATA_IMAGES && exp->data.images.validation_split > 0)
        return xp_fail_at(exp, "train.validation_split",
                       "data.images.validation_split is set already: use one source of validation data");
    if (exp->data.kind == CT_DATA_CIFAR10 && exp->data.cifar10.use_test_as_validation)
        return xp_fail_at(exp, "train.validation_split",
                       "data.cifar10.use_test_as_validation is true already: use one source of "
                       "validation data");
    return CT_OK;
}

/* ------------------------------------------------------------------ train */

/* Why metric m cannot go with loss l, or NULL if it can. */
static const char *metric_conflict(ct_metric m, ct_loss l)
{
    switch (m) {
    case CT_METRIC_RMSE:
    case CT_METRIC_MSE:
    case CT_METRIC_MAE:
        if (l == CT_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY)
            return "it compares outputs with labels value by value, but sparse labels are class "
                   "indices, not one value per output: use sparse_categorical_accuracy";
        return NULL;
    case CT_METRIC_ACCURACY:
        if (is_regression_loss(l))
            return "accuracy needs a classification loss (binary_crossentropy, "
                   "categorical_crossentropy or sparse_categorical_crossentropy): use rmse, mse or mae";
        return NULL;
    case CT_METRIC_BINARY_ACCURACY:
        if (l == CT_LOSS_CATEGORICAL_CROSSENTROPY || l == CT_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY)
            return "it is for 0/1 labels: use accuracy";
        return NULL;
    case CT_METRIC_CATEGORICAL_ACCURACY:
        if (l != CT_LOSS_CATEGORICAL_CROSSENTROPY)
            return l == CT_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY
                       ? "it needs one-hot labels; with class-index labels use sparse_categorical_accuracy"
                       : "it needs one-hot labels (loss categorical_crossentropy)";
        return NULL;
    case CT_METRIC_SPARSE_CATEGORICAL_ACCURACY:
        if (l != CT_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY)
            return l == CT_LOSS_CATEGORICAL_CROSSENTROPY
                       ? "it needs class-index labels; with one-hot labels use categorical_accuracy"
                       : "it needs class-index labels (loss sparse_categorical_crossentropy)";
        return NULL;
    default:
        return NULL;
    }
}

/* Keras refuses more than one of clipnorm, global_clipnorm and clipvalue. */
static ct_status check_clip(const ct_experiment *exp)
{
    const ct_optimizer_spec *o = &exp->train.optimizer;
    const ct_clip_spec *c = &o->clip;
    const char *set[3];
    int n = 0;
    if (c->has_clipnorm)
        set[n++] = "clipnorm";
    if (c->has_global_clipnorm)
        set[n++] = "global_clipnorm";
    if (c->has_clipvalue)
        set[n++] = "clipvalue";
    if (n < 2)
        return CT_OK;
    char path[96];
    snprintf(path, sizeof path, "train.optimizer.%s.%s", ct_optimizer_name(o->kind), set[1]);
    return xp_fail_at(exp, path, "only one of clipnorm, global_clipnorm and clipvalue can be set (as in Keras); "
                   "%s is set too", set[0]);
}

static ct_status check_train(const ct_experiment *exp)
{
    const ct_train_spec *t = &exp->train;
    char path[64];
    CT_TRY(check_clip(exp));
    for (size_t i = 0; i < t->metric_count; i++) {
        const char *why = metric_conflict(t->metrics[i], t->loss);
        if (why) {
            snprintf(path, sizeof path, "train.metrics[%zu]", i);
            return xp_fail_at(exp, path, "'%s' does not fit loss %s: %s", ct_metric_name(t->metrics[i]),
                           ct_loss_name(t->loss), why);
        }
    }
    if (t->label_smoothing > 0 && t->loss != CT_LOSS_BINARY_CROSSENTROPY &&
        t->loss != CT_LOSS_CATEGORICAL_CROSSENTROPY)
        return xp_fail_at(exp, "train.label_smoothing",
                       "applies to binary_crossentropy and categorical_crossentropy only (as in Keras), not %s%s",
                       ct_loss_name(t->loss),
                       t->loss == CT_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY
                           ? ": use categorical_crossentropy with one-hot targets to smooth labels"
                           : "");
    if (t->class_weight_count && is_regression_loss(t->loss))
        return xp_fail_at(exp, "train.class_weight", "weights classes, but %s is a regression loss",
                       ct_loss_name(t->loss));
    if (t->from_logits && is_regression_loss(t->loss))
        return xp_fail_at(exp, "train.from_logits", "applies to crossentropy losses only, not %s",
                       ct_loss_name(t->loss));
    if (exp->data.kind == CT_DATA_IMAGES && is_regression_loss(t->loss))
        return xp_fail_at(exp, "train.loss",
                       "the labels of an image folder are class indices (its sub-folders), not regression "
                       "targets: use sparse_categorical_crossentropy");
    if (exp->data.kind == CT_DATA_CIFAR10 &&
        (is_regression_loss(t->loss) || t->loss == CT_LOSS_BINARY_CROSSENTROPY))
        return xp_fail_at(exp, "train.loss",
                       "CIFAR-10 labels are class indices 0..9, not %s targets: use "
                       "sparse_categorical_crossentropy",
                       is_regression_loss(t->loss) ? "regression" : "binary");
    /* data parallelism: each device takes a share of every full batch */
    if (t->devices.count > (size_t)t->batch_size)
        return xp_fail_at(exp, "train.devices",
                       "%zu devices for batches of %d (train.batch_size): each device needs at least one row of "
                       "a batch; raise batch_size or list fewer devices", t->devices.count, t->batch_size);
    return CT_OK;
}

/* ------------------------------------------------------------------ model */

typedef struct {
    bool image;          /* the data between layers is HxWxC, else flat */
    int h, w, c;
    long width;          /* flat size when known, else -1 (CSV features before the first dense) */
    size_t width_from;   /* layer that set `width` */
    size_t shaped_by;    /* last layer that changed the image, or SIZE_MAX for the input */
    ct_activation last_activation;
    size_t activation_from; /* SIZE_MAX: no layer set an activation */
} flow_state;

static void describe_image(const flow_state *s, char *buf, size_t size)
{
    snprintf(buf, size, "%dx%dx%d", s->h, s->w, s->c);
}

static ct_status spatial_step(const ct_experiment *exp, size_t i, const char *what, const int size[2],
                              const int strides[2], ct_padding padding, flow_state *s)
{
    const ct_layer_spec *layer = &exp->model.layers[i];
    char path[128], image[64];
    if (!s->image) {
        layer_path(exp, i, NULL, path, sizeof path);
        if (s->width_from == SIZE_MAX)
            return xp_fail_at(exp, path, "%s needs images (height x width x channels), but the CSV "
                           "data gives flat feature vectors", ct_layer_kind_name(layer->kind));
        return xp_fail_at(exp, path, "%s needs images, but model[%zu] (%s) has already made the data flat",
                       ct_layer_kind_name(layer->kind), s->width_from,
                       ct_layer_kind_name(exp->model.layers[s->width_from].kind));
    }
    int out[2], in[2] = {s->h, s->w};
    for (int d = 0; d < 2; d++) {
        if (padding == CT_PADDING_VALID && size[d] > in[d]) {
            describe_image(s, image, sizeof image);
            layer_path(exp, i, what, path, sizeof path);
            return xp_fail_at(exp, path, "[%d, %d] is larger than this layer's %s input (padding valid)",
                           size[0], size[1], image);
        }
        out[d] = padding == CT_PADDING_VALID ? (in[d] - size[d]) / strides[d] + 1
                                             : (in[d] + strides[d] - 1) / strides[d];
    }
    s->h = out[0];
    s->w = out[1];
    s->shaped_by = i;
    return CT_OK;
}

/* Graph models: "32x32x16 images" or "64 values" for an error message. */
static void describe_flow(const flow_state *s, char *buf, size_t size)
{
    if (s->image)
        snprintf(buf, size, "%dx%dx%d images", s->h, s->w, s->c);
    else if (s->width >= 0)
        snprintf(buf, size, "%ld values", s->width);
    else
        snprintf(buf, size, "the flat features");
}

/* add and concatenate: the flows of their inputs, joined as Keras' Add
 * (one shape) and Concatenate (the last axis) join tensors. */
static ct_status merge_step(const ct_experiment *exp, size_t i, const flow_state *data, const flow_state *outs,
                            flow_state *s)
{
    const ct_layer_spec *layer = &exp->model.layers[i];
    bool concat = layer->kind == CT_LAYER_CONCATENATE;
    char path[128], a[64], b[64];
    if (concat && layer->concatenate.axis != -1 && layer->concatenate.axis != (s->image ? 3 : 1))
        return xp_fail_at(exp, layer_path(exp, i, "axis", path, sizeof path),
                       "%d: only the last axis is supported (-1, or %d for these %s inputs)",
                       layer->concatenate.axis, s->image ? 3 : 1, s->image ? "image" : "flat");
    for (size_t k = 1; k < layer->inputs.count; k++) {
        long from = xp_graph_input(&exp->model, i, k);
        const flow_state *o = from < 0 ? data : &outs[from];
        bool same_kind = o->image == s->image;
        bool fits = same_kind && (s->image ? s->h == o->h && s->w == o->w && (concat || s->c == o->c)
                                           : concat || s->width < 0 || o->width < 0 || s->width == o->width);
        if (!fits) {
            describe_flow(s, a, sizeof a);
            describe_flow(o, b, sizeof b);
            return xp_fail_at(exp, layer_path(exp, i, "inputs", path, sizeof path),
                           "'%s' gives %s but '%s' gives %s: %s", layer->inputs.items[0], a,
                           layer->inputs.items[k], b,
                           concat ? "concatenate joins the last axis, the others must agree"
                                  : "add needs inputs of one shape");
        }
        if (concat && s->image)
            s->c += o->c;
        else if (concat)
            s->width = s->width < 0 || o->width < 0 ? -1 : s->width + o->width;
    }
    s->last_activation = CT_ACTIVATION_LINEAR;
    s->activation_from = SIZE_MAX;
    if (s->image)
        s->shaped_by = i;
    else
        s->width_from = i;
    return CT_OK;
}

/* outs: graph models only (else NULL), each layer's flow for the layers
 * that name it in inputs. */
static ct_status walk_layers(const ct_experiment *exp, flow_state *s, flow_state *outs)
{
    char path[128], image[64];
    const flow_state data = *s;
    for (size_t i = 0; i < exp->model.layer_count; i++) {
        const ct_layer_spec *layer = &exp->model.layers[i];
        if (outs) {
            long from = xp_graph_input(&exp->model, i, 0);
            *s = from < 0 ? data : outs[from];
        }
        switch (layer->kind) {
        case CT_LAYER_ADD:
        case CT_LAYER_CONCATENATE:
            CT_TRY(merge_step(exp, i, &data, outs, s));
            break;
        case CT_LAYER_DENSE:
            if (s->image) {
                describe_image(s, image, sizeof image);
                layer_path(exp, i, NULL, path, sizeof path);
                if (s->shaped_by == SIZE_MAX)
                    return xp_fail_at(exp, path, "Dense needs flat input, but the %s images are %s: "
                                   "add '- flatten' before this layer",
                                   exp->data.kind == CT_DATA_CIFAR10 ? "CIFAR-10" : "input", image);
                return xp_fail_at(exp, path, "Dense needs flat input, but model[%zu] (%s) outputs %s "
                               "images: add '- flatten' before this layer", s->shaped_by,
                               ct_layer_kind_name(exp->model.layers[s->shaped_by].kind), image);
            }
            s->width = layer->dense.units;
            s->width_from = i;
            s->last_activation = layer->dense.activation;
            s->activation_from = i;
            break;
        case CT_LAYER_CONV2D:
            CT_TRY(spatial_step(exp, i, "kernel_size", layer->conv2d.kernel_size, layer->conv2d.strides,
                                layer->conv2d.padding, s));
            s->c = layer->conv2d.filters;
            s->last_activation = layer->conv2d.activation;
            s->activation_from = i;
            break;
        case CT_LAYER_MAX_POOLING2D:
        case CT_LAYER_AVERAGE_POOLING2D:
            CT_TRY(spatial_step(exp, i, "pool_size", layer->pooling.pool_size, layer->pooling.strides,
                                layer->pooling.padding, s));
            break;
        case CT_LAYER_GLOBAL_AVERAGE_POOLING2D:
        case CT_LAYER_GLOBAL_MAX_POOLING2D: {
            int whole[2] = {s->h, s->w}; /* one window over the whole image */
            CT_TRY(spatial_step(exp, i, NULL, whole, whole, CT_PADDING_VALID, s));
            if (!layer->global_pooling.keepdims) {
                s->image = false;
                s->width = s->c;
                s->width_from = i;
            }
            break;
        }
        case CT_LAYER_RESHAPE: {
            const ct_reshape_spec *r = &layer->reshape;
            long total = s->image ? (long)s->h * s->w * s->c : s->width, known = 1;
            bool unknown = false;
            for (size_t d = 0; d < r->target_shape_count; d++) {
                unknown = unknown || r->target_shape[d] == -1;
                known *= r->target_shape[d] == -1 ? 1 : (long)r->target_shape[d];
            }
            bool fits = unknown ? total % known == 0 : known == total;
            if (!fits) {
                layer_path(exp, i, "target_shape", path, sizeof path);
                return xp_fail_at(exp, path, "%ld values per sample do not fit this shape", total);
            }
            long sizes[3];
            for (size_t d = 0; d < r->target_shape_count; d++)
                sizes[d] = r->target_shape[d] == -1 ? total / known : (long)r->target_shape[d];
            s->image = r->target_shape_count == 3;
            if (s->image) {
                s->h = (int)sizes[0];
                s->w = (int)sizes[1];
                s->c = (int)sizes[2];
                s->shaped_by = i;
            } else {
                s->width = sizes[0];
                s->width_from = i;
            }
            break;
        }
        case CT_LAYER_FLATTEN:
            if (s->image) {
                s->image = false;
                s->width = (long)s->h * s->w * s->c;
                s->width_from = i;
            }
            break;
        case CT_LAYER_ACTIVATION:
            s->last_activation = layer->activation.activation;
            s->activation_from = i;
            break;
        case CT_LAYER_RANDOM_FLIP: /* augmentation: images only; random_crop resizes them */
        case CT_LAYER_RANDOM_TRANSLATION:
        case CT_LAYER_RANDOM_ROTATION:
        case CT_LAYER_RANDOM_ZOOM:
        case CT_LAYER_RANDOM_CROP:
            if (!s->image) {
                layer_path(exp, i, NULL, path, sizeof path);
                return xp_fail_at(exp, path, "%s transforms images (height, width, channels), but its input is "
                               "flat (%ld values): put it before '- flatten', first in the model as Keras' "
                               "recipes do", ct_layer_kind_name(layer->kind), s->width);
            }
            if (layer->kind == CT_LAYER_RANDOM_CROP) {
                s->h = layer->augment.height;
                s->w = layer->augment.width;
                s->shaped_by = i;
            }
            break;
        default: /* dropout, batch_normalization: shape and activation unchanged */
            break;
        }
        if (outs)
            outs[i] = *s;
    }
    if (s->image) {
        describe_image(s, image, sizeof image);
        snprintf(path, sizeof path, "model[%zu]", exp->model.layer_count - 1);
        return xp_fail_at(exp, path, "the model ends with %s images: add '- flatten' and a dense output "
                       "layer", image);
    }
    return CT_OK;
}

/* The output layer against the labels and the loss. */
static ct_status check_output(const ct_experiment *exp, const flow_state *s)
{
    const ct_train_spec *t = &exp->train;
    char path[128];
    if (t->class_weight_count && s->width >= 0) {
        /* One sigmoid output has two classes, 0 and 1. */
        long classes = s->width == 1 ? 2 : s->width;
        if ((long)t->class_weight_count != classes)
            return xp_fail_at(exp, "train.class_weight", "has %zu weights, but the model outputs %ld class%s%s: "
                           "give one weight per class, class 0 first", t->class_weight_count, classes,
                           classes == 1 ? "" : "es", s->width == 1 ? " (one output: 0 and 1)" : "");
    }
    if (s->width >= 0) {
        const ct_layer_spec *from = &exp->model.layers[s->width_from];
        layer_path(exp, s->width_from, from->kind == CT_LAYER_DENSE ? "units" : NULL, path, sizeof path);
        if (exp->data.kind == CT_DATA_CIFAR10 && s->width != CIFAR10_CLASSES)
            return xp_fail_at(exp, path, "the model outputs %ld values, but CIFAR-10 has %d classes: "
                           "the last dense layer needs units: %d", s->width, CIFAR10_CLASSES,
                           CIFAR10_CLASSES);
        if (exp->data.kind == CT_DATA_CSV && t->loss != CT_LOSS_CATEGORICAL_CROSSENTROPY &&
            t->loss != CT_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY && s->width != 1)
            return xp_fail_at(exp, path, "the model outputs %ld values, but the target is one column "
                           "(%s): the last dense layer needs units: 1", s->width,
                           exp->data.csv.target.column);
    }
    if (!is_crossentropy(t->loss))
        return CT_OK;
    ct_activation act = s->last_activation;
    bool squashed = act == CT_ACTIVATION_SOFTMAX || act == CT_ACTIVATION_SIGMOID;
    if (t->from_logits && squashed) {
        layer_path(exp, s->activation_from, "activation", path, sizeof path);
        return xp_fail_at(exp, path, "the output layer applies %s, but train.from_logits: true expects "
                       "raw scores (logits): use activation linear, or from_logits: false",
                       ct_activation_name(act));
    }
    ct_activation wanted = t->loss == CT_LOSS_BINARY_CROSSENTROPY ? CT_ACTIVATION_SIGMOID
                                                                  : CT_ACTIVATION_SOFTMAX;
    if (!t->from_logits && act != wanted)
        return xp_fail_at(exp, "train.from_logits",
                       "is false, so %s expects probabilities, but the output layer's activation is "
                       "%s: set from_logits: true (the model outputs logits) or end with activation %s",
                       ct_loss_name(t->loss), ct_activation_name(act), ct_activation_name(wanted));
    return CT_OK;
}

static ct_status check_layer_names(const ct_experiment *exp)
{
    char path[128];
    for (size_t i = 0; i < exp->model.layer_count; i++)
        for (size_t j = 0; j < i; j++)
            if (!strcmp(exp->model.layers[i].name, exp->model.layers[j].name))
                return xp_fail_at(exp, layer_path(exp, i, "name", path, sizeof path),
                               "layer name '%s' is already used by model[%zu]",
                               exp->model.layers[i].name, j);
    return CT_OK;
}

static ct_status check_model(const ct_experiment *exp)
{
    if (exp->model.layer_count == 0)
        return xp_fail_at(exp, "model", "needs at least one layer, such as '- dense: {units: 1}'");
    CT_TRY(check_layer_names(exp));
    int h, w, c;
    ct_data_image_shape(&exp->data, &h, &w, &c);
    flow_state s = {.image = ct_data_takes_images(&exp->data),
                    .h = h,
                    .w = w,
                    .c = c,
                    .width = -1,
                    .width_from = SIZE_MAX,
                    .shaped_by = SIZE_MAX,
                    .last_activation = CT_ACTIVATION_LINEAR,
                    .activation_from = SIZE_MAX};
    CT_TRY(xp_check_graph(exp));
    flow_state *outs = NULL;
    if (xp_model_is_graph(&exp->model) && !(outs = calloc(exp->model.layer_count, sizeof *outs)))
        return ct_fail(CT_ERR_NO_MEMORY, "checking the model");
    ct_status walked = walk_layers(exp, &s, outs);
    free(outs);
    CT_TRY(walked);
    return check_output(exp, &s);
}

/* -------------------------------------------------------- evaluate, output */

static ct_status check_evaluate(const ct_experiment *exp)
{
    char path[128];
    for (size_t i = 0; i < exp->evaluate.baseline_count; i++) {
        const ct_baseline_spec *b = &exp->evaluate.baselines[i];
        snprintf(path, sizeof path, "evaluate.baselines[%zu].persistence", i);
        if (exp->data.kind != CT_DATA_CSV)
            return xp_fail_at(exp, path, "persistence baselines need CSV data (a series in time)");
        if (!is_regression_loss(exp->train.loss))
            return xp_fail_at(exp, path, "a persistence baseline predicts values: it needs loss mse or "
                           "mae, not %s", ct_loss_name(exp->train.loss));
        if (exp->data.csv.target.shift == 0 && !strcmp(b->column, exp->data.csv.target.column))
            return xp_fail_at(exp, path, "with data.csv.target.shift 0 it would predict %s by itself: "
                           "persistence needs shift >= 1", b->column);
        if (exp->data.csv.split.test <= 0)
            return xp_fail_at(exp, "data.csv.split.test",
                           "is 0, but evaluate.baselines are measured on the test split");
    }
    return CT_OK;
}

static ct_status check_output_section(const ct_experiment *exp)
{
    if (exp->output.plots != CT_PLOT_ALL && (exp->output.plots & CT_PLOT_CONFUSION_MATRIX) &&
        is_regression_loss(exp->train.loss))
        return xp_fail_at(exp, "output.plots", "confusion_matrix needs a classification loss, not %s",
                       ct_loss_name(exp->train.loss));
    return CT_OK;
}

static ct_status check_name(const ct_experiment *exp)
{
    /* It becomes part of a directory name: runs/NAME-TIMESTAMP. */
    const char *n = exp->name;
    bool ok = n[0] != '.' && n[0] != '-';
    for (const char *p = n; *p && ok; p++)
        ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
             strchr("_-.", *p);
    if (!ok)
        return xp_fail_at(exp, "name", "'%s' cannot name a run directory: use letters, digits, '_', '-' "
                       "and '.' (not first)", n);
    return CT_OK;
}

/* init: written means "start from this file"; the file itself (that it
 * exists and fits the model) is checked where the data gives the input
 * shape: `cltrain check` and the run. */
static ct_status check_init(const ct_experiment *exp)
{
    if (exp->init.enabled && !exp->init.from)
        return xp_fail_at(exp, "init", "init: missing required key 'from' (a .weights.h5 or .onnx file to "
                       "start from; leave init out to start from the initializers)");
    return CT_OK;
}

ct_status ct_experiment_validate(const ct_experiment *exp)
{
    if (!exp)
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "ct_experiment_validate: NULL experiment");
    CT_TRY(check_name(exp));
    CT_TRY(exp->data.kind == CT_DATA_CSV      ? check_csv(exp)
           : exp->data.kind == CT_DATA_IMAGES ? check_images(exp)
                                              : check_cifar10(exp));
    CT_TRY(check_validation_sources(exp));
    CT_TRY(check_train(exp));
    CT_TRY(check_model(exp));
    CT_TRY(check_monitor(exp));
    CT_TRY(check_lr_schedule(exp));
    CT_TRY(check_evaluate(exp));
    CT_TRY(check_init(exp));
    return check_output_section(exp);
}
