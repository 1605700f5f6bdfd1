/* A finished run's model on new data (see predict.h): the model from
 * config.yaml and weights.bin, the inputs prepared as training prepared
 * them, forward passes in inference mode, outputs as values or class
 * probabilities.
 * Somewhat over 600 lines: CSV rows and images take two input paths that
 * share the model and output code; each is one read from top to bottom. */
#include "run/predict.h"

#include <errno.h>
#include <fnmatch.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "cltrain/data.h"
#include "cltrain/model.h"
#include "core/fs.h"
#include "cltrain/data.h" /* ct_image_read, ct_image_resize */
#include "cltrain/report.h" /* ct_features_read */
#include "plot/run_reader.h" /* summary.yaml's class names */
#include "run/run.h"      /* ct_run_load_weights */

/* Samples per forward pass: large enough that a CSV file of thousands of
 * rows takes a handful of passes, small enough for any device's memory. */
#define PREDICT_BATCH 128

struct ct_predictor {
    char *run_dir;
    ct_context *ctx; /* borrowed */
    ct_experiment *exp;
    ct_model *model;
    ct_tensor input; /* (PREDICT_BATCH, in_shape...) on the device */
    int in_ndim;
    size_t in_shape[3];
    size_t sample_size; /* floats per sample */
    size_t out_size;    /* model outputs per sample */
    /* CSV models: features.csv */
    size_t n_features;
    char **feature_names;
    double *mean, *scale;
    /* classifiers */
    bool classification;
    size_t n_classes;
    char **class_names;
    /* which weights (ct_run_weights_read) */
    bool final_weights;
    char weights_source[1024];
    /* ct_predictor_keep(): columns passed through (borrowed) */
    const char *const *keep;
    size_t n_keep;
};

/* ================================================================ files */

/* CT_OK when dir/name is a readable file; else CT_ERR_IO naming it, with
 * `why` telling what its absence means. */
static ct_status require_file(const char *dir, const char *name, const char *why)
{
    char *path = ct_path_join(dir, name);
    if (!path)
        return ct_fail(CT_ERR_NO_MEMORY, "out of memory");
    struct stat st;
    ct_status s = CT_OK;
    if (stat(path, &st) != 0)
        s = ct_fail(CT_ERR_IO, "%s: %s: %s", path, strerror(errno), why);
    else if (!S_ISREG(st.st_mode))
        s = ct_fail(CT_ERR_IO, "%s: not a file: %s", path, why);
    free(path);
    return s;
}

static ct_status require_run_dir(const char *run_dir)
{
    struct stat st;
    if (stat(run_dir, &st) != 0)
        return ct_fail(CT_ERR_IO, "run directory %s: %s", run_dir, strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return ct_fail(CT_ERR_IO, "%s is not a directory: expected a run directory (cltrain run --out DIR)", run_dir);
    CT_TRY(require_file(run_dir, "config.yaml", "not a cltrain run directory (a run writes config.yaml first)"));
    /* An interrupted run still has its best or last checkpoint. */
    if (require_file(run_dir, "best.weights.bin", "") == CT_OK || require_file(run_dir, "checkpoint.bin", "") == CT_OK)
        return CT_OK;
    return require_file(run_dir, "weights.bin",
                        "the run did not finish training (weights.bin is written when it ends) and left no "
                        "checkpoint.bin (written after every epoch), so there is no model to predict with");
}

static ct_status load_features(ct_predictor *p)
{
    CT_TRY(require_file(p->run_dir, "features.csv",
                        "the run does not record its input columns (runs made before features.csv existed); "
                        "train it again to predict from CSV rows"));
    char *path = ct_path_join(p->run_dir, "features.csv");
    if (!path)
        return ct_fail(CT_ERR_NO_MEMORY, "out of memory");
    ct_feature_columns cols;
    ct_status s = ct_features_read(path, &cols);
    free(path);
    if (s != CT_OK)
        return s;
    p->feature_names = cols.names;
    p->mean = cols.mean;
    p->scale = cols.scale;
    p->n_features = cols.count;
    return CT_OK;
}

/* ============================================================ the model */

static bool is_classifier_loss(ct_loss l)
{
    return l == CT_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY || l == CT_LOSS_CATEGORICAL_CROSSENTROPY ||
           l == CT_LOSS_BINARY_CROSSENTROPY;
}

static ct_status load_experiment(ct_predictor *p)
{
    char *path = ct_path_join(p->run_dir, "config.yaml");
    if (!path)
        return ct_fail(CT_ERR_NO_MEMORY, "out of memory");
    ct_status s = ct_experiment_open(path, NULL, 0, &p->exp);
    free(path);
    return s;
}

/* The per-sample input shape training used: CIFAR-10 images, or as many
 * values as features.csv lists columns. */
static ct_status load_input_shape(ct_predictor *p)
{
    if (ct_data_takes_images(&p->exp->data)) {
        int h, w, c;
        ct_data_image_shape(&p->exp->data, &h, &w, &c);
        p->in_ndim = 3;
        p->in_shape[0] = (size_t)h, p->in_shape[1] = (size_t)w, p->in_shape[2] = (size_t)c;
    } else {
        CT_TRY(load_features(p));
        p->in_ndim = 1;
        p->in_shape[0] = p->n_features;
    }
    p->sample_size = 1;
    for (int d = 0; d < p->in_ndim; d++)
        p->sample_size *= p->in_shape[d];
    return CT_OK;
}

static ct_status build_model(ct_predictor *p)
{
    CT_TRY(ct_model_create(p->ctx, &p->exp->model, p->in_ndim, p->in_shape, PREDICT_BATCH, (uint64_t)p->exp->seed,
                           &p->model));
    p->out_size = ct_model_output_size(p->model);
    /* weights.bin, or an interrupted run's best or last checkpoint */
    ct_named_tensor *tensors;
    size_t n;
    CT_TRY(ct_run_weights_read(p->run_dir, &tensors, &n, &p->final_weights, p->weights_source,
                               sizeof p->weights_source));
    ct_status s = ct_run_set_weights(p->model, tensors, n, p->weights_source);
    ct_weights_free(tensors, n);
    if (s == CT_ERR_SHAPE && p->n_features)
        s = ct_fail_context(s, "the model reads the %zu columns of %s/features.csv", p->n_features, p->run_dir);
    CT_TRY(s);
    size_t shape[4] = {PREDICT_BATCH, p->in_shape[0], p->in_shape[1], p->in_shape[2]};
    return ct_tensor_create(p->ctx, p->in_ndim + 1, shape, &p->input);
}

/* summary.yaml's class_names when they fit the model; else "0", "1", ...
 * (names are labels: a run without them still predicts). */
static ct_status load_class_names(ct_predictor *p)
{
    p->classification = is_classifier_loss(p->exp->train.loss);
    if (!p->classification)
        return CT_OK;
    p->n_classes = p->out_size == 1 ? 2 : p->out_size; /* one sigmoid unit: classes 0 and 1 */
    if (!(p->class_names = calloc(p->n_classes, sizeof *p->class_names)))
        return ct_fail(CT_ERR_NO_MEMORY, "out of memory");
    run_summary summary = {0};
    char *path = ct_path_join(p->run_dir, "summary.yaml");
    bool named = path && run_summary_read(path, &summary) == CT_OK && summary.n_class_names == p->n_classes;
    free(path);
    ct_clear_error(); /* a broken summary.yaml only costs the names */
    ct_status s = CT_OK;
    for (size_t c = 0; s == CT_OK && c < p->n_classes; c++) {
        char number[32];
        snprintf(number, sizeof number, "%zu", c);
        if (!(p->class_names[c] = strdup(named ? summary.class_names[c] : number)))
            s = ct_fail(CT_ERR_NO_MEMORY, "out of memory");
    }
    run_summary_free(&summary);
    return s;
}

ct_status ct_predictor_open(const char *run_dir, ct_context *ctx, ct_predictor **out)
{
    if (!run_dir || !ctx || !out)
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "ct_predictor_open: NULL argument");
    *out = NULL;
    CT_TRY(require_run_dir(run_dir));
    ct_predictor *p = calloc(1, sizeof *p);
    if (!p || !(p->run_dir = strdup(run_dir))) {
        free(p);
        return ct_fail(CT_ERR_NO_MEMORY, "out of memory");
    }
    p->ctx = ctx;
    ct_status s = load_experiment(p);
    if (s == CT_OK)
        s = load_input_shape(p);
    if (s == CT_OK)
        s = build_model(p);
    if (s == CT_OK)
        s = load_class_names(p);
    if (s != CT_OK) {
        ct_predictor_free(p);
        return s;
    }
    *out = p;
    return CT_OK;
}

void ct_predictor_free(ct_predictor *p)
{
    if (!p)
        return;
    ct_tensor_release(&p->input);
    ct_model_free(p->model);
    ct_experiment_free(p->exp);
    for (size_t i = 0; i < p->n_features; i++)
        free(p->feature_names[i]);
    free(p->feature_names);
    free(p->mean);
    free(p->scale);
    for (size_t c = 0; p->class_names && c < p->n_classes; c++)
        free(p->class_names[c]);
    free(p->class_names);
    free(p->run_dir);
    free(p);
}

const char *ct_predictor_weights_source(const ct_predictor *p, bool *final)
{
    *final = p->final_weights;
    return p->weights_source;
}

bool ct_predictor_takes_images(const ct_predictor *p) { return p->in_ndim == 3; }

bool ct_predictor_classifies(const ct_predictor *p) { return p->classification; }

size_t ct_predictor_width(const ct_predictor *p) { return p->classification ? p->n_classes : p->out_size; }

const char *ct_predictor_class_name(const ct_predictor *p, size_t c)
{
    return p->class_names && c < p->n_classes ? p->class_names[c] : "?";
}

/* ======================================================= forward passes */

/* One sample's outputs as the caller sees them. Softmax as predictions.csv
 * computes it (in double, shifted by the maximum), so both agree. */
static void finish_outputs(const ct_predictor *p, const float *out, float *values)
{
    bool logits = p->exp->train.from_logits;
    if (p->classification && p->out_size == 1) {
        double q = logits ? 1.0 / (1.0 + exp(-(double)out[0])) : out[0];
        values[0] = (float)(1.0 - q);
        values[1] = (float)q;
    } else if (p->classification && logits) {
        double max = out[0], sum = 0;
        for (size_t c = 1; c < p->out_size; c++)
            max = out[c] > max ? out[c] : max;
        for (size_t c = 0; c < p->out_size; c++)
            sum += exp((double)out[c] - max);
        for (size_t c = 0; c < p->out_size; c++)
            values[c] = (float)(exp((double)out[c] - max) / sum);
    } else { /* regression, or a softmax/sigmoid output layer: already what we want */
        memcpy(values, out, p->out_size * sizeof *values);
    }
}

/* b <= PREDICT_BATCH samples through the model; raw outputs into out. */
static ct_status forward_batch(ct_predictor *p, const float *x, size_t b, float *out)
{
    size_t shape[4] = {b, p->in_shape[0], p->in_shape[1], p->in_shape[2]};
    ct_tensor view, y;
    CT_TRY(ct_tensor_view(&p->input, 0, p->in_ndim + 1, shape, &view));
    CT_TRY(ct_tensor_write(p->ctx, &view, x));
    CT_TRY(ct_model_forward(p->model, &view, 0, &y)); /* inference: no dropout, moving statistics */
    return ct_tensor_read(p->ctx, &y, out);
}

ct_status ct_predict_samples(ct_predictor *p, const float *x, size_t n, float *values)
{
    float *out = malloc(PREDICT_BATCH * p->out_size * sizeof *out);
    if (!out)
        return ct_fail(CT_ERR_NO_MEMORY, "predictions: out of memory");
    size_t width = ct_predictor_width(p);
    ct_status s = CT_OK;
    for (size_t start = 0; s == CT_OK && start < n; start += PREDICT_BATCH) {
        size_t b = n - start < PREDICT_BATCH ? n - start : PREDICT_BATCH;
        s = forward_batch(p, x + start * p->sample_size, b, out);
        for (size_t i = 0; s == CT_OK && i < b; i++)
            finish_outputs(p, out + i * p->out_size, values + (start + i) * width);
    }
    free(out);
    return s;
}

static ct_status prediction_alloc(const ct_predictor *p, size_t n, bool image, ct_prediction *out)
{
    memset(out, 0, sizeof *out);
    out->image = image;
    out->n = n;
    out->width = ct_predictor_width(p);
    out->values = malloc((n ? n : 1) * out->width * sizeof *out->values);
    if (!image)
        out->rows = malloc((n ? n : 1) * sizeof *out->rows);
    if (!out->values || (!image && !out->rows)) {
        ct_prediction_free(out);
        return ct_fail(CT_ERR_NO_MEMORY, "predictions: out of memory");
    }
    return CT_OK;
}

void ct_prediction_free(ct_prediction *pr)
{
    if (!pr)
        return;
    for (size_t i = 0; pr->kept && i < pr->n * pr->n_kept; i++)
        free(pr->kept[i]);
    free(pr->kept);
    free(pr->values);
    free(pr->rows);
    memset(pr, 0, sizeof *pr);
}

size_t ct_prediction_class(const ct_prediction *pr, size_t i)
{
    const float *v = pr->values + i * pr->width;
    size_t best = 0;
    for (size_t c = 1; c < pr->width; c++)
        if (v[c] > v[best])
            best = c;
    return best;
}

/* ============================================================= CSV rows */

static bool matches_any(const ct_string_list *patterns, const char *name)
{
    for (size_t i = 0; i < patterns->count; i++)
        if (!strcmp(patterns->items[i], name) || fnmatch(patterns->items[i], name, 0) == 0)
            return true;
    return false;
}

/* Whether training ignored a column of this name: the target, a dropped
 * column (DATE, MONTH), or one outside the experiment's include list. Such
 * columns may stay in the file, as they were in the training file. */
static bool ignored_in_training(const ct_experiment *exp, const char *name)
{
    /* (kept ID columns are allowed by the caller) */
    const ct_csv_spec *c = &exp->data.csv;
    const ct_feature_selection *f = &c->features;
    if (!strcmp(name, c->target.column) || matches_any(&f->drop, name))
        return true;
    if (f->columns.count + f->prefixes.count + f->globs.count == 0)
        return false; /* every column was selected */
    for (size_t i = 0; i < f->prefixes.count; i++)
        if (!strncmp(name, f->prefixes.items[i], strlen(f->prefixes.items[i])))
            return false;
    return !matches_any(&f->columns, name) && !matches_any(&f->globs, name);
}

/* ", a, b, c and 4 more" into buf: names[i] for which pick[i] holds. */
static void list_names(char *buf, size_t size, char *const *names, const bool *pick, size_t n)
{
    size_t shown = 0, total = 0, used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        if (!pick[i])
            continue;
        if (shown < 5 && used < size) {
            used += (size_t)snprintf(buf + used, size - used, "%s%s", shown ? ", " : "", names[i]);
            shown++;
        }
        total++;
    }
    if (total > shown && used < size)
        snprintf(buf + used, size - used, " and %zu more", total - shown);
}

/* The table column of each feature; CT_ERR_DATA naming the missing ones,
 * with the reader's "did you mean" for the first. */
static ct_status find_features(const ct_predictor *p, const ct_table *t, size_t *col_of)
{
    bool *missing = calloc(p->n_features, sizeof *missing);
    if (!missing)
        return ct_fail(CT_ERR_NO_MEMORY, "out of memory");
    size_t first = SIZE_MAX;
    for (size_t i = 0; i < p->n_features; i++) {
        col_of[i] = SIZE_MAX;
        for (size_t c = 0; c < t->n_cols && col_of[i] == SIZE_MAX; c++)
            if (!strcmp(t->names[c], p->feature_names[i]))
                col_of[i] = c;
        if (col_of[i] == SIZE_MAX && first == SIZE_MAX)
            first = i;
        missing[i] = col_of[i] == SIZE_MAX;
    }
    ct_status s = CT_OK;
    if (first != SIZE_MAX) {
        size_t unused;
        char detail[1024], names[1024];
        ct_table_find_column(t, p->feature_names[first], &unused); /* for its suggestion */
        snprintf(detail, sizeof detail, "%s", ct_last_error());
        list_names(names, sizeof names, p->feature_names, missing, p->n_features);
        s = ct_fail(CT_ERR_DATA,
                    "%s: the model reads the %zu columns listed in %s/features.csv (missing here: %s)",
                    detail, p->n_features, p->run_dir, names);
    }
    free(missing);
    return s;
}

/* CT_ERR_DATA naming the columns that are neither features nor ignored. */
static ct_status reject_extra_columns(const ct_predictor *p, const ct_table *t, const size_t *col_of)
{
    bool *extra = calloc(t->n_cols, sizeof *extra);
    if (!extra)
        return ct_fail(CT_ERR_NO_MEMORY, "out of memory");
    size_t first = SIZE_MAX;
    for (size_t c = 0; c < t->n_cols; c++) {
        bool feature = false;
        for (size_t i = 0; i < p->n_features && !feature; i++)
            feature = col_of[i] == c;
        bool kept = false;
        for (size_t k = 0; k < p->n_keep && !kept; k++)
            kept = !strcmp(p->keep[k], t->names[c]);
        extra[c] = !feature && !kept && !ignored_in_training(p->exp, t->names[c]);
        if (extra[c] && first == SIZE_MAX)
            first = c;
    }
    ct_status s = CT_OK;
    if (first != SIZE_MAX) {
        char names[1024];
        list_names(names, sizeof names, t->names, extra, t->n_cols);
        s = ct_fail(CT_ERR_DATA,
                    "%s: column \"%s\" was not a feature in training (nor the target or a dropped column): "
                    "remove it, or pass it through with --keep %s; the model reads the %zu columns listed in %s/features.csv "
                    "(unknown columns here: %s)",
                    t->source, t->names[first], t->names[first], p->n_features, p->run_dir, names);
    }
    free(extra);
    return s;
}

/* The first cell of a feature column that is not a number, as an error. */
static ct_status reject_bad_cells(const ct_table *t, const size_t *col_of, size_t n_features)
{
    for (size_t k = 0; k < t->n_problems; k++) {
        const ct_cell_problem *q = &t->problems[k];
        bool used = false;
        for (size_t i = 0; i < n_features && !used; i++)
            used = col_of[i] == q->col;
        if (!used)
            continue; /* a text column training ignored too */
        if (q->text[strspn(q->text, " \t")] == '\0')
            return ct_fail(CT_ERR_DATA, "%s:%zu: row %zu, column %s: expected a number, got an empty field",
                           t->source, t->lines[q->row], q->row, t->names[q->col]);
        return ct_fail(CT_ERR_DATA, "%s:%zu: row %zu, column %s: expected a number, got \"%s\"%s", t->source,
                       t->lines[q->row], q->row, t->names[q->col], q->text,
                       q->kind == CT_CELL_MISSING ? " (a missing value)" : "");
    }
    return CT_OK;
}

/* The feature columns in model order, standardised as in training: the
 * value read as float first, then (x - mean) / scale in double, exactly as
 * ct_standardizer_apply did to the training rows. A value beyond float's
 * range (1e300) is an error naming its row and column, as `cltrain run`
 * rejects it in training data, rather than an infinity the model turns
 * into NaN or a meaningless number. */
static ct_status model_inputs(const ct_predictor *p, const ct_table *t, const size_t *col_of, float **out)
{
    float *x = malloc((t->n_rows ? t->n_rows : 1) * p->n_features * sizeof *x);
    if (!x)
        return ct_fail(CT_ERR_NO_MEMORY, "%s: out of memory", t->source);
    for (size_t r = 0; r < t->n_rows; r++)
        for (size_t i = 0; i < p->n_features; i++) {
            double value = t->values[r * t->n_cols + col_of[i]];
            float v = (float)value;
            float z = (float)((v - p->mean[i]) / p->scale[i]);
            if (!isfinite(v) || !isfinite(z)) {
                free(x);
                return ct_fail(CT_ERR_DATA, "%s:%zu: row %zu, column %s: %g %s", t->source, t->lines[r], r,
                               t->names[col_of[i]], value,
                               isfinite(v) ? "is too far from the training data's range (standardised, it "
                                             "does not fit in a 32-bit float)"
                                           : "does not fit in a 32-bit float");
            }
            x[r * p->n_features + i] = z;
        }
    *out = x;
    return CT_OK;
}

/* The kept columns' fields as written, row by row, into the prediction. */
static ct_status take_kept(const ct_predictor *p, ct_table *t, ct_prediction *out)
{
    out->kept = calloc((t->n_rows ? t->n_rows : 1) * p->n_keep, sizeof *out->kept);
    if (!out->kept)
        return ct_fail(CT_ERR_NO_MEMORY, "kept columns");
    out->n_kept = p->n_keep;
    for (size_t k = 0; k < p->n_keep; k++) {
        size_t c;
        CT_TRY(ct_table_find_column(t, p->keep[k], &c));
        for (size_t r = 0; r < t->n_rows; r++) { /* taken over from the table */
            out->kept[r * p->n_keep + k] = t->texts[r * t->n_cols + c];
            t->texts[r * t->n_cols + c] = NULL;
        }
    }
    return CT_OK;
}

void ct_predictor_keep(ct_predictor *p, const char *const *columns, size_t n)
{
    p->keep = columns;
    p->n_keep = n;
}

ct_status ct_predict_csv(ct_predictor *p, const char *path, ct_prediction *out)
{
    memset(out, 0, sizeof *out);
    if (ct_predictor_takes_images(p))
        return ct_fail(CT_ERR_DATA, "%s: CSV rows, but the model of %s reads images (PNG or JPEG)", path,
                       p->run_dir);
    ct_table t;
    CT_TRY(ct_csv_read_keeping(path, p->keep, p->n_keep, &t));
    size_t *col_of = malloc(p->n_features * sizeof *col_of);
    float *x = NULL;
    ct_status s = col_of ? CT_OK : ct_fail(CT_ERR_NO_MEMORY, "out of memory");
    if (s == CT_OK)
        s = find_features(p, &t, col_of);
    if (s == CT_OK)
        s = reject_extra_columns(p, &t, col_of);
    if (s == CT_OK)
        s = reject_bad_cells(&t, col_of, p->n_features);
    if (s == CT_OK)
        s = model_inputs(p, &t, col_of, &x);
    if (s == CT_OK)
        s = prediction_alloc(p, t.n_rows, false, out);
    if (s == CT_OK) {
        for (size_t r = 0; r < t.n_rows; r++)
            out->rows[r] = r;
        s = ct_predict_samples(p, x, t.n_rows, out->values);
    }
    if (s == CT_OK && p->n_keep)
        s = take_kept(p, &t, out);
    if (s != CT_OK)
        ct_prediction_free(out);
    free(x);
    free(col_of);
    ct_table_free(&t);
    return s;
}

/* ================================================================ images */

/* The image as the model's input. An image-folder model: prepared exactly
 * as its training images were (ct_image_folder_load on the one file: grey,
 * resized with the same interpolation, 8-bit), then scaled. CIFAR-10: the
 * photo resized to 32x32 (ct_image_read gives [0, 1]), in 0..255 when
 * training did not scale the pixels. */
static ct_status image_input(const ct_predictor *p, const char *path, float **x)
{
    if (p->exp->data.kind == CT_DATA_IMAGES) {
        const ct_images_spec *im = &p->exp->data.images;
        unsigned char *bytes = malloc(p->sample_size);
        float *f = malloc(p->sample_size * sizeof *f);
        ct_status s = bytes && f ? ct_image_prepare(path, p->in_shape[0], p->in_shape[1], p->in_shape[2] == 1,
                                                    im->interpolation == CT_INTERPOLATION_NEAREST, bytes)
                                 : ct_fail(CT_ERR_NO_MEMORY, "%s: out of memory", path);
        for (size_t i = 0; s == CT_OK && i < p->sample_size; i++)
            f[i] = (float)bytes[i] * (im->scale ? 1.0f / 255.0f : 1.0f);
        free(bytes);
        if (s != CT_OK)
            free(f);
        else
            *x = f;
        return s;
    }
    size_t w, h, side_h = p->in_shape[0], side_w = p->in_shape[1];
    float *rgb = NULL;
    CT_TRY(ct_image_read(path, &w, &h, &rgb));
    ct_status s = CT_OK;
    if (w != side_w || h != side_h) {
        float *resized = NULL;
        s = ct_image_resize(rgb, w, h, 3, side_w, side_h, &resized);
        free(rgb);
        rgb = resized;
    }
    if (s == CT_OK && !ct_data_scales_pixels(&p->exp->data))
        for (size_t i = 0; i < p->sample_size; i++)
            rgb[i] *= 255.0f;
    if (s != CT_OK)
        free(rgb);
    else
        *x = rgb;
    return s;
}

ct_status ct_predict_image(ct_predictor *p, const char *path, ct_prediction *out)
{
    memset(out, 0, sizeof *out);
    if (!ct_predictor_takes_images(p))
        return ct_fail(CT_ERR_DATA, "%s: an image, but the model of %s reads CSV rows (the columns of features.csv)",
                       path, p->run_dir);
    float *x = NULL;
    CT_TRY(image_input(p, path, &x));
    ct_status s = prediction_alloc(p, 1, true, out);
    if (s == CT_OK)
        s = ct_predict_samples(p, x, 1, out->values);
    if (s != CT_OK)
        ct_prediction_free(out);
    free(x);
    return s;
}

/* ============================================================= dispatch */

static bool has_suffix(const char *path, const char *suffix)
{
    size_t n = strlen(path), k = strlen(suffix);
    return n >= k && !strcasecmp(path + n - k, suffix);
}

/* A PNG or JPEG by its name or its first bytes. */
static bool looks_like_image(const char *path)
{
    if (has_suffix(path, ".png") || has_suffix(path, ".jpg") || has_suffix(path, ".jpeg"))
        return true;
    unsigned char head[4] = {0};
    FILE *f = fopen(path, "rb");
    if (!f)
        return false; /* the reader reports it */
    size_t got = fread(head, 1, sizeof head, f);
    fclose(f);
    return got == 4 && ((head[0] == 0x89 && !memcmp(head + 1, "PNG", 3)) ||
                        (head[0] == 0xff && head[1] == 0xd8 && head[2] == 0xff));
}

ct_status ct_predict_file(ct_predictor *p, const char *path, ct_prediction *out)
{
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return ct_fail(CT_ERR_IO, "%s is a folder: give the %s in it instead (e.g. %s/*.%s)", path,
                       ct_predictor_takes_images(p) ? "PNG or JPEG images" : "CSV files", path,
                       ct_predictor_takes_images(p) ? "png" : "csv");
    if (ct_predictor_takes_images(p)) {
        if (has_suffix(path, ".csv"))
            return ct_predict_csv(p, path, out); /* which explains that the model reads images */
        return ct_predict_image(p, path, out);
    }
    if (looks_like_image(path))
        return ct_predict_image(p, path, out); /* which explains that the model reads CSV rows */
    return ct_predict_csv(p, path, out);
}
