/* What a run leaves in its directory besides history.csv: weights.bin,
 * predictions.csv, test_images.bin, summary.yaml (see run_files.h). */
#include "run/run_files.h"

#include <stdlib.h>
#include <string.h>

#include "cltrain/report.h"

static void join(char *buf, size_t size, const char *dir, const char *name)
{
    snprintf(buf, size, "%s/%s", dir, name);
}

ct_status ct_run_write_weights(ct_model *model, const char *dir)
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
    if (s == CT_OK) {
        char path[4096];
        join(path, sizeof path, dir, "weights.bin");
        s = ct_weights_write(path, tensors, n);
    }
    for (size_t i = 0; i < n; i++)
        free(tensors[i].data);
    free(tensors);
    return s;
}

ct_status ct_run_write_predictions(const char *dir, const ct_split_data *test, const float *pred, size_t out_size,
                                   int classification)
{
    char path[4096];
    join(path, sizeof path, dir, "predictions.csv");
    ct_atomic_file *f;
    CT_TRY(ct_atomic_open(path, &f));
    FILE *o = ct_atomic_stream(f);
    if (classification) {
        fprintf(o, "index,true,predicted");
        for (size_t c = 0; c < out_size; c++)
            fprintf(o, ",p_%zu", c);
        fprintf(o, "\n");
        for (size_t i = 0; i < test->n; i++) {
            const float *row = pred + i * out_size;
            /* Probabilities from logits or probabilities alike: softmax of
             * logits; a softmax output is renormalised unchanged. */
            size_t best = 0;
            double max = row[0], sum = 0;
            for (size_t c = 1; c < out_size; c++)
                if (row[c] > row[best])
                    best = c, max = row[c];
            fprintf(o, "%zu,%d,%zu", i, (int)test->y[i], best);
            for (size_t c = 0; c < out_size; c++)
                sum += exp((double)row[c] - max);
            for (size_t c = 0; c < out_size; c++)
                fprintf(o, ",%.6g", exp((double)row[c] - max) / sum);
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
    return ct_atomic_commit(f);
}

ct_status ct_run_write_test_images(const char *dir, const ct_split_data *test, size_t sample_size)
{
    size_t n = test->n < 25 ? test->n : 25;
    char path[4096];
    join(path, sizeof path, dir, "test_images.bin");
    ct_atomic_file *f;
    CT_TRY(ct_atomic_open(path, &f));
    if (fwrite(test->x, sizeof(float), n * sample_size, ct_atomic_stream(f)) != n * sample_size) {
        ct_atomic_abort(f);
        return ct_fail(CT_ERR_IO, "writing %s", path);
    }
    return ct_atomic_commit(f);
}
