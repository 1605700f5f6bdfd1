/* What a run leaves in its directory besides history.csv: weights.bin,
 * predictions.csv, test_images.bin, summary.yaml (see run_files.h). */
#include "run/run_files.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cltrain/report.h"

static void join(char *buf, size_t size, const char *dir, const char *name)
{
    snprintf(buf, size, "%s/%s", dir, name);
}

ct_status ct_run_write_weights(ct_model *model, const char *dir)
{
    char path[4096];
    join(path, sizeof path, dir, "weights.bin");
    return ct_run_write_weights_file(model, path);
}

ct_status ct_run_write_weights_file(ct_model *model, const char *path)
{
    size_t n = ct_model_tensor_count(model);
    ct_named_tensor *tensors = calloc(n ? n : 1, sizeof *tensors);
    if (!tensors)
        return ct_fail(CT_ERR_NO_MEMORY, "weights");
    ct_status s = CT_OK;
    for (size_t i = 0; i < n && s == CT_OK; i++) {
        const char *name;
        ct_tensor view;
        s = ct_model_tensor(model, i, &name, &view);
        if (s != CT_OK)
            break;
        tensors[i].name = (char *)name;
        tensors[i].ndim = view.ndim;
        for (int d = 0; d < view.ndim; d++)
            tensors[i].shape[d] = view.shape[d];
        tensors[i].data = malloc(ct_tensor_count(&view) * sizeof(float));
        if (!tensors[i].data)
            s = ct_fail(CT_ERR_NO_MEMORY, "weights");
        else
            s = ct_tensor_read(ct_model_context(model), &view, tensors[i].data);
    }
    if (s == CT_OK)
        s = ct_weights_write(path, tensors, n);
    for (size_t i = 0; i < n; i++)
        free(tensors[i].data);
    free(tensors);
    return s;
}

/* Non-finite values of view, whose buffer's floats from offset lo are in span. */
static size_t count_non_finite(const float *span, size_t lo, const ct_tensor *view)
{
    size_t bad = 0, count = ct_tensor_count(view);
    for (size_t k = 0; k < count; k++)
        bad += isfinite(span[view->offset - lo + k]) ? 0u : 1u;
    return bad;
}

/* The tensors live in a few buffers (the parameter arena, the state of
 * batch normalisation): one read per buffer, not per tensor, since each
 * blocking read costs more than checking a small net's weights. */
ct_status ct_run_check_weights_finite(ct_model *model, int epoch)
{
    size_t n = ct_model_tensor_count(model);
    ct_tensor *views = calloc(n ? n : 1, sizeof *views);
    const char **names = calloc(n ? n : 1, sizeof *names);
    bool *done = calloc(n ? n : 1, sizeof *done);
    ct_status s = views && names && done ? CT_OK : ct_fail(CT_ERR_NO_MEMORY, "checking the weights");
    for (size_t i = 0; i < n && s == CT_OK; i++)
        s = ct_model_tensor(model, i, &names[i], &views[i]);
    float *span = NULL;
    for (size_t i = 0; i < n && s == CT_OK; i++) {
        if (done[i] || !views[i].buf)
            continue;
        size_t lo = views[i].offset, hi = lo + ct_tensor_count(&views[i]);
        for (size_t j = i + 1; j < n; j++)
            if (views[j].buf == views[i].buf) {
                lo = views[j].offset < lo ? views[j].offset : lo;
                hi = views[j].offset + ct_tensor_count(&views[j]) > hi ? views[j].offset + ct_tensor_count(&views[j])
                                                                        : hi;
            }
        ct_tensor whole = {views[i].buf, lo, 1, {hi - lo}, 0};
        float *grown = realloc(span, (hi - lo ? hi - lo : 1) * sizeof *span);
        if (!grown) {
            s = ct_fail(CT_ERR_NO_MEMORY, "checking the weights");
            break;
        }
        span = grown;
        s = ct_tensor_read(ct_model_context(model), &whole, span);
        for (size_t j = i; j < n && s == CT_OK; j++) {
            if (views[j].buf != views[i].buf)
                continue;
            done[j] = true;
            size_t bad = count_non_finite(span, lo, &views[j]);
            if (bad)
                s = ct_fail(CT_ERR_NUMERIC,
                            "the weights became NaN or infinite at epoch %d ('%s': %zu of %zu values)", epoch + 1,
                            names[j], bad, ct_tensor_count(&views[j]));
        }
    }
    free(span);
    free(done);
    free((void *)names);
    free(views);
    return s;
}

/* Class probabilities of one output row: softmax of logits, the outputs
 * themselves after a softmax layer, and for a one-unit binary classifier
 * (1 - p, p) with p the sigmoid of the logit or the output. */
static size_t class_probabilities(const float *row, size_t out_size, int from_logits, double *p)
{
    if (out_size == 1) {
        double v = from_logits ? 1.0 / (1.0 + exp(-(double)row[0])) : (double)row[0];
        p[0] = 1.0 - v;
        p[1] = v;
        return 2;
    }
    if (!from_logits) {
        for (size_t c = 0; c < out_size; c++)
            p[c] = row[c];
        return out_size;
    }
    double max = row[0], sum = 0;
    for (size_t c = 1; c < out_size; c++)
        if (row[c] > max)
            max = row[c];
    for (size_t c = 0; c < out_size; c++)
        sum += (p[c] = exp((double)row[c] - max));
    for (size_t c = 0; c < out_size; c++)
        p[c] /= sum;
    return out_size;
}

/* The class of a label: its index, or the hot column of a one-hot row. */
static size_t true_class(const float *y, size_t width)
{
    if (width == 1)
        return (size_t)y[0];
    size_t best = 0;
    for (size_t c = 1; c < width; c++)
        if (y[c] > y[best])
            best = c;
    return best;
}

ct_status ct_run_write_predictions(const char *dir, const ct_split_data *test, const float *pred, size_t out_size,
                                   size_t target_width, int classification, int from_logits)
{
    char path[4096];
    join(path, sizeof path, dir, "predictions.csv");
    return ct_run_write_predictions_file(path, test, pred, out_size, target_width, classification, from_logits);
}

ct_status ct_run_write_predictions_file(const char *path, const ct_split_data *test, const float *pred,
                                        size_t out_size, size_t target_width, int classification, int from_logits)
{
    double *p = malloc((out_size + 1) * sizeof *p);
    if (!p)
        return ct_fail(CT_ERR_NO_MEMORY, "predictions");
    ct_atomic_file *f;
    ct_status s = ct_atomic_open(path, &f);
    if (s != CT_OK) {
        free(p);
        return s;
    }
    FILE *o = ct_atomic_stream(f);
    if (classification) {
        size_t classes = out_size == 1 ? 2 : out_size;
        fprintf(o, "index,true,predicted");
        for (size_t c = 0; c < classes; c++)
            fprintf(o, ",p_%zu", c);
        fprintf(o, "\n");
        for (size_t i = 0; i < test->n; i++) {
            class_probabilities(pred + i * out_size, out_size, from_logits, p);
            size_t best = 0;
            for (size_t c = 1; c < classes; c++)
                if (p[c] > p[best]) /* ties: the first class, as argmax */
                    best = c;
            fprintf(o, "%zu,%zu,%zu", i, true_class(test->y + i * target_width, target_width), best);
            for (size_t c = 0; c < classes; c++)
                fprintf(o, ",%.6g", p[c]);
            fprintf(o, "\n");
        }
    } else {
        fprintf(o, "index,true,predicted%s\n", test->baseline ? ",baseline" : "");
        for (size_t i = 0; i < test->n; i++) {
            fprintf(o, "%zu,%.9g,%.9g", i, test->y[i], pred[i * out_size]);
            if (test->baseline)
                fprintf(o, ",%.9g", test->baseline[i]);
            fprintf(o, "\n");
        }
    }
    free(p);
    return ct_atomic_commit(f);
}

ct_status ct_run_write_test_images(const char *dir, const ct_split_data *test, size_t sample_size)
{
    size_t n = test->n < 25 ? test->n : 25;
    char path[4096];
    join(path, sizeof path, dir, "test_images.bin");
    float *x = malloc((n ? n : 1) * sample_size * sizeof *x);
    if (!x)
        return ct_fail(CT_ERR_NO_MEMORY, "test images");
    for (size_t i = 0; i < n; i++) /* as the model sees them: 8-bit pixels scaled */
        ct_split_data_sample(test, sample_size, i, x + i * sample_size);
    ct_atomic_file *f;
    ct_status s = ct_atomic_open(path, &f);
    if (s == CT_OK && fwrite(x, sizeof(float), n * sample_size, ct_atomic_stream(f)) != n * sample_size) {
        ct_atomic_abort(f);
        s = ct_fail(CT_ERR_IO, "writing %s", path);
    } else if (s == CT_OK) {
        s = ct_atomic_commit(f);
    }
    free(x);
    return s;
}
