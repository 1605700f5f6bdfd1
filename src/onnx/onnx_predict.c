/* An ONNX model on CSV rows or images (see onnx_predict.h). */
#include "onnx/onnx_predict.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cltrain/data.h" /* ct_table, ct_image_read, ct_image_resize */

/* Rows per run of the graph: a few runs for a file of thousands of rows. */
#define ONNX_PREDICT_BATCH 256

struct ct_onnx_predictor {
    char *path;
    ct_context *ctx;
    ct_onnx_model *model;
    int in_ndim;
    int64_t in_dims[CT_ONNX_MAX_DIMS];
    bool image, nhwc, classes;
    char **class_names; /* from metadata, n_class_names */
    size_t n_class_names;
    char **columns; /* cltrain.input_columns, n_columns (0: every column of the file) */
    size_t n_columns;
    char number[32];
};

/* "a\nb" into a new array of strings. */
static ct_status split_lines(const char *text, char ***out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (!text || !*text)
        return CT_OK;
    size_t count = 1;
    for (const char *c = text; *c; c++)
        count += *c == '\n';
    char **items = calloc(count, sizeof *items);
    if (!items)
        return ct_fail(CT_ERR_NO_MEMORY, "out of memory");
    const char *start = text;
    for (size_t i = 0; i < count; i++) {
        const char *end = strchr(start, '\n');
        size_t len = end ? (size_t)(end - start) : strlen(start);
        if (!(items[i] = strndup(start, len))) {
            for (size_t j = 0; j < i; j++)
                free(items[j]);
            free(items);
            return ct_fail(CT_ERR_NO_MEMORY, "out of memory");
        }
        start = end ? end + 1 : start + len;
    }
    *out = items;
    *n = count;
    return CT_OK;
}

static void free_lines(char **items, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(items[i]);
    free(items);
}

ct_status ct_onnx_predictor_open(const char *path, ct_context *ctx, ct_onnx_predictor **out)
{
    *out = NULL;
    ct_onnx_predictor *p = calloc(1, sizeof *p);
    if (!p || !(p->path = strdup(path))) {
        free(p);
        return ct_fail(CT_ERR_NO_MEMORY, "out of memory");
    }
    p->ctx = ctx;
    ct_status s = ct_onnx_model_load(path, &p->model);
    if (s == CT_OK && ct_onnx_model_input_count(p->model) != 1)
        s = ct_fail(CT_ERR_UNSUPPORTED, "%s: %zu graph inputs; cltrain predict feeds models of one input", path,
                    ct_onnx_model_input_count(p->model));
    if (s == CT_OK) {
        p->in_ndim = ct_onnx_model_input_shape(p->model, 0, p->in_dims);
        if (p->in_ndim != 2 && p->in_ndim != 4)
            s = ct_fail(CT_ERR_UNSUPPORTED,
                        "%s: input '%s' of rank %d: cltrain predict feeds rows (N, F) or images (N, H, W, C)/(N, C, H, W)",
                        path, ct_onnx_model_input_name(p->model, 0), p->in_ndim);
    }
    if (s == CT_OK) {
        const char *layout = ct_onnx_model_metadata(p->model, "cltrain.input_layout");
        const char *output = ct_onnx_model_metadata(p->model, "cltrain.output");
        p->image = p->in_ndim == 4;
        p->nhwc = p->image && ((layout && !strcmp(layout, "NHWC")) || (!layout && p->in_dims[3] == 3));
        p->classes = output && !strcmp(output, "probabilities");
        for (int d = 1; p->image && d < 4; d++)
            if (p->in_dims[d] <= 0)
                s = ct_fail(CT_ERR_UNSUPPORTED, "%s: the image input's dimension %d is not fixed", path, d);
        if (!p->image && p->in_dims[1] <= 0)
            s = ct_fail(CT_ERR_UNSUPPORTED, "%s: the input's feature dimension is not fixed", path);
    }
    if (s == CT_OK)
        s = split_lines(ct_onnx_model_metadata(p->model, "cltrain.classes"), &p->class_names, &p->n_class_names);
    if (s == CT_OK)
        s = split_lines(ct_onnx_model_metadata(p->model, "cltrain.input_columns"), &p->columns, &p->n_columns);
    if (s == CT_OK && p->n_columns && (int64_t)p->n_columns != p->in_dims[1])
        s = ct_fail(CT_ERR_PARSE, "%s: metadata cltrain.input_columns lists %zu columns for an input of %lld", path,
                    p->n_columns, (long long)p->in_dims[1]);
    if (s != CT_OK) {
        ct_onnx_predictor_free(p);
        return s;
    }
    *out = p;
    return CT_OK;
}

void ct_onnx_predictor_free(ct_onnx_predictor *p)
{
    if (!p)
        return;
    ct_onnx_model_free(p->model);
    free_lines(p->class_names, p->n_class_names);
    free_lines(p->columns, p->n_columns);
    free(p->path);
    free(p);
}

bool ct_onnx_predictor_takes_images(const ct_onnx_predictor *p) { return p->image; }

bool ct_onnx_predictor_classifies(const ct_onnx_predictor *p) { return p->classes; }

const char *ct_onnx_predictor_class_name(const ct_onnx_predictor *p, size_t c)
{
    if (c < p->n_class_names)
        return p->class_names[c];
    snprintf(((ct_onnx_predictor *)p)->number, sizeof p->number, "%zu", c);
    return p->number;
}

void ct_onnx_prediction_free(ct_onnx_prediction *pr)
{
    if (!pr)
        return;
    free(pr->values);
    free(pr->rows);
    memset(pr, 0, sizeof *pr);
}

size_t ct_onnx_prediction_class(const ct_onnx_prediction *pr, size_t i)
{
    const float *v = pr->values + i * pr->width;
    size_t best = 0;
    for (size_t c = 1; c < pr->width; c++)
        if (v[c] > v[best])
            best = c;
    return best;
}

/* One sigmoid probability per row as two: 1 - q, q. */
static ct_status two_classes(ct_onnx_prediction *out)
{
    float *both = malloc((out->n ? out->n : 1) * 2 * sizeof *both);
    if (!both)
        return ct_fail(CT_ERR_NO_MEMORY, "out of memory");
    for (size_t i = 0; i < out->n; i++)
        both[2 * i] = 1.0f - out->values[i], both[2 * i + 1] = out->values[i];
    free(out->values);
    out->values = both;
    out->width = 2;
    return CT_OK;
}

/* Samples x (n x sample floats) through the graph, in batches; out->values
 * and out->width filled. */
static ct_status run_samples(ct_onnx_predictor *p, const float *x, size_t n, size_t sample, ct_onnx_prediction *out)
{
    ct_status s = CT_OK;
    for (size_t start = 0; s == CT_OK && start < n; start += ONNX_PREDICT_BATCH) {
        size_t b = n - start < ONNX_PREDICT_BATCH ? n - start : ONNX_PREDICT_BATCH;
        ct_onnx_tensor in = {0}, *outs = calloc(ct_onnx_model_output_count(p->model) + 1, sizeof *outs);
        int64_t dims[CT_ONNX_MAX_DIMS];
        memcpy(dims, p->in_dims, sizeof dims);
        dims[0] = (int64_t)b;
        s = outs ? ct_onnx_tensor_alloc(&in, p->in_ndim, dims, 0) : ct_fail(CT_ERR_NO_MEMORY, "out of memory");
        if (s == CT_OK) {
            memcpy(in.f, x + start * sample, b * sample * sizeof *in.f);
            s = ct_onnx_model_run(p->model, p->ctx, &in, outs);
        }
        if (s == CT_OK) {
            size_t total = ct_onnx_tensor_count(&outs[0]);
            size_t width = outs[0].ndim >= 1 && outs[0].dims[0] == (int64_t)b && b ? total / b : 0;
            if (!width)
                s = ct_fail(CT_ERR_SHAPE, "%s: the output does not have one row per input row", p->path);
            else if (start == 0 && !(out->values = malloc(n * width * sizeof *out->values)))
                s = ct_fail(CT_ERR_NO_MEMORY, "out of memory");
            else if (start && width != out->width)
                s = ct_fail(CT_ERR_SHAPE, "%s: output width changed between batches", p->path);
            if (s == CT_OK) {
                out->width = width;
                memcpy(out->values + start * width, outs[0].f, b * width * sizeof *out->values);
            }
            if (s == CT_OK && start + b == n && p->classes && width == 1)
                s = two_classes(out); /* P(1) alone: P(0), P(1), as cltrain predict */
            for (size_t o = 0; o < ct_onnx_model_output_count(p->model); o++)
                ct_onnx_tensor_free(&outs[o]);
        }
        ct_onnx_tensor_free(&in);
        free(outs);
    }
    return s;
}

static ct_status predict_csv(ct_onnx_predictor *p, const char *path, ct_onnx_prediction *out)
{
    if (p->image)
        return ct_fail(CT_ERR_DATA, "%s: CSV rows, but %s reads images", path, p->path);
    ct_table t;
    CT_TRY(ct_csv_read(path, &t));
    size_t f = (size_t)p->in_dims[1];
    size_t *col = calloc(f, sizeof *col);
    float *x = malloc((t.n_rows ? t.n_rows : 1) * f * sizeof *x);
    ct_status s = col && x ? CT_OK : ct_fail(CT_ERR_NO_MEMORY, "out of memory");
    if (s == CT_OK && !p->n_columns && t.n_cols != f)
        s = ct_fail(CT_ERR_DATA, "%s: %zu columns, but %s reads %zu values per row (and names no columns)", path,
                    t.n_cols, p->path, f);
    for (size_t i = 0; s == CT_OK && i < f; i++) {
        col[i] = p->n_columns ? SIZE_MAX : i;
        for (size_t c = 0; p->n_columns && c < t.n_cols && col[i] == SIZE_MAX; c++)
            if (!strcmp(t.names[c], p->columns[i]))
                col[i] = c;
        if (col[i] == SIZE_MAX)
            s = ct_fail(CT_ERR_DATA, "%s: no column \"%s\", which %s reads (metadata cltrain.input_columns)", path,
                        p->columns[i], p->path);
    }
    for (size_t k = 0; s == CT_OK && k < t.n_problems; k++)
        for (size_t i = 0; s == CT_OK && i < f; i++)
            if (col[i] == t.problems[k].col)
                s = ct_fail(CT_ERR_DATA, "%s:%zu: row %zu, column %s: expected a number, got \"%s\"", path,
                            t.lines[t.problems[k].row], t.problems[k].row, t.names[col[i]], t.problems[k].text);
    for (size_t r = 0; s == CT_OK && r < t.n_rows; r++)
        for (size_t i = 0; i < f; i++)
            x[r * f + i] = (float)t.values[r * t.n_cols + col[i]];
    memset(out, 0, sizeof *out);
    out->n = t.n_rows;
    if (s == CT_OK && !(out->rows = malloc((t.n_rows ? t.n_rows : 1) * sizeof *out->rows)))
        s = ct_fail(CT_ERR_NO_MEMORY, "out of memory");
    for (size_t r = 0; s == CT_OK && r < t.n_rows; r++)
        out->rows[r] = r;
    if (s == CT_OK)
        s = run_samples(p, x, t.n_rows, f, out);
    if (s != CT_OK)
        ct_onnx_prediction_free(out);
    free(col);
    free(x);
    ct_table_free(&t);
    return s;
}

static ct_status predict_image(ct_onnx_predictor *p, const char *path, ct_onnx_prediction *out)
{
    if (!p->image)
        return ct_fail(CT_ERR_DATA, "%s: an image, but %s reads CSV rows", path, p->path);
    size_t h = (size_t)(p->nhwc ? p->in_dims[1] : p->in_dims[2]), w = (size_t)(p->nhwc ? p->in_dims[2] : p->in_dims[3]);
    size_t ch = (size_t)(p->nhwc ? p->in_dims[3] : p->in_dims[1]);
    if (ch != 3)
        return ct_fail(CT_ERR_UNSUPPORTED, "%s: an image input of %zu channels (cltrain reads RGB)", p->path, ch);
    size_t iw, ih;
    float *rgb = NULL, *sized = NULL, *x = NULL;
    CT_TRY(ct_image_read(path, &iw, &ih, &rgb));
    ct_status s = CT_OK;
    if (iw != w || ih != h)
        s = ct_image_resize(rgb, iw, ih, 3, w, h, &sized);
    const float *hwc = sized ? sized : rgb;
    if (s == CT_OK && !(x = malloc(h * w * 3 * sizeof *x)))
        s = ct_fail(CT_ERR_NO_MEMORY, "out of memory");
    for (size_t i = 0; s == CT_OK && i < h * w; i++)
        for (size_t c = 0; c < 3; c++)
            x[p->nhwc ? i * 3 + c : c * h * w + i] = hwc[i * 3 + c];
    memset(out, 0, sizeof *out);
    out->image = true;
    out->n = 1;
    if (s == CT_OK)
        s = run_samples(p, x, 1, h * w * 3, out);
    if (s != CT_OK)
        ct_onnx_prediction_free(out);
    free(rgb);
    free(sized);
    free(x);
    return s;
}

static bool has_suffix(const char *path, const char *suffix)
{
    size_t n = strlen(path), k = strlen(suffix);
    return n >= k && !strcasecmp(path + n - k, suffix);
}

ct_status ct_onnx_predict_file(ct_onnx_predictor *p, const char *path, ct_onnx_prediction *out)
{
    memset(out, 0, sizeof *out);
    bool csv = has_suffix(path, ".csv") || (!p->image && !has_suffix(path, ".png") && !has_suffix(path, ".jpg") &&
                                            !has_suffix(path, ".jpeg"));
    return csv ? predict_csv(p, path, out) : predict_image(p, path, out);
}
