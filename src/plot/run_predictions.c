/* predictions.csv (the runner's test-split predictions) and
 * test_images.bin, checked against the layout the runner writes:
 *   regression:     index,true,predicted[,baseline]
 *   classification: index,true,predicted,p_0,...,p_{C-1}  (class ids) */
#include "plot/run_reader.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cltrain/data.h"

static ct_status column(const ct_table *t, const char *name, size_t *index)
{
    if (ct_table_find_column(t, name, index) == CT_OK)
        return CT_OK;
    return ct_fail(CT_ERR_PARSE,
                   "%s: no column '%s': expected the header index,true,predicted (regression: "
                   "[,baseline]; classification: ,p_0,...,p_{C-1})",
                   t->source, name);
}

static ct_status copy_column(const ct_table *t, size_t col, double **out)
{
    double *v = malloc(t->n_rows * sizeof *v);
    if (!v)
        return ct_fail(CT_ERR_NO_MEMORY, "%s: out of memory", t->source);
    for (size_t i = 0; i < t->n_rows; i++)
        v[i] = t->values[i * t->n_cols + col];
    *out = v;
    return CT_OK;
}

/* Number of consecutive p_0, p_1, ... columns. */
static size_t count_probability_columns(const ct_table *t)
{
    size_t n = 0, index;
    char name[32];
    for (;;) {
        snprintf(name, sizeof name, "p_%zu", n);
        if (ct_table_find_column(t, name, &index) != CT_OK)
            break;
        n++;
    }
    ct_clear_error(); /* the failed look-up that ended the count is no error */
    return n;
}

/* Class ids must be whole numbers naming one of the classes. */
static ct_status check_class_ids(const ct_table *t, const double *ids, const char *what, size_t n_classes)
{
    for (size_t i = 0; i < t->n_rows; i++)
        if (!(ids[i] >= 0 && ids[i] < (double)n_classes && ids[i] == floor(ids[i])))
            return ct_fail(CT_ERR_PARSE, "%s: line %zu: %s: expected a class id 0..%zu, got %g", t->source,
                           t->lines[i], what, n_classes - 1, ids[i]);
    return CT_OK;
}

static ct_status read_table(const ct_table *t, run_predictions *out)
{
    size_t c_true, c_pred, c_base;
    CT_TRY(column(t, "true", &c_true));
    CT_TRY(column(t, "predicted", &c_pred));
    CT_TRY(ct_table_require_numeric(t));
    out->n = t->n_rows;
    CT_TRY(copy_column(t, c_true, &out->truth));
    CT_TRY(copy_column(t, c_pred, &out->predicted));
    out->n_classes = count_probability_columns(t);
    out->classification = out->n_classes > 0;
    if (out->classification) {
        CT_TRY(check_class_ids(t, out->truth, "true", out->n_classes));
        CT_TRY(check_class_ids(t, out->predicted, "predicted", out->n_classes));
    } else if (ct_table_find_column(t, "baseline", &c_base) == CT_OK) {
        CT_TRY(copy_column(t, c_base, &out->baseline));
    } else {
        ct_clear_error();
    }
    return CT_OK;
}

ct_status run_predictions_read(const char *path, run_predictions *out)
{
    *out = (run_predictions){0};
    ct_table t = {0};
    ct_status s = ct_csv_read(path, &t);
    if (s == CT_ERR_NOT_FOUND)
        return ct_fail(CT_ERR_IO, "%s: no such file: expected the test-split predictions the run writes "
                       "after its evaluation", path);
    if (s == CT_OK)
        s = read_table(&t, out);
    ct_table_free(&t);
    if (s != CT_OK)
        run_predictions_free(out);
    return s;
}

void run_predictions_free(run_predictions *p)
{
    if (!p)
        return;
    free(p->truth);
    free(p->predicted);
    free(p->baseline);
    *p = (run_predictions){0};
}

ct_status run_images_read(const char *path, size_t height, size_t width, size_t channels, float **pixels,
                          size_t *n)
{
    *pixels = NULL;
    *n = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return errno == ENOENT ? CT_OK : ct_fail(CT_ERR_IO, "cannot open %s: %s", path, strerror(errno));
    struct stat st;
    size_t image_bytes = height * width * channels * sizeof(float);
    ct_status s = CT_OK;
    if (fstat(fileno(f), &st) != 0) {
        s = ct_fail(CT_ERR_IO, "%s: %s", path, strerror(errno));
    } else if (st.st_size == 0 || (size_t)st.st_size % image_bytes != 0) {
        s = ct_fail(CT_ERR_PARSE,
                    "%s: %lld bytes is not a whole number of %zux%zux%zu float32 images (%zu bytes each)",
                    path, (long long)st.st_size, height, width, channels, image_bytes);
    } else {
        size_t count = (size_t)st.st_size / sizeof(float);
        float *data = malloc((size_t)st.st_size);
        if (!data)
            s = ct_fail(CT_ERR_NO_MEMORY, "%s: out of memory", path);
        else if (fread(data, sizeof(float), count, f) != count) {
            free(data);
            s = ct_fail(CT_ERR_IO, "%s: read failed", path);
        } else {
            *pixels = data;
            *n = (size_t)st.st_size / image_bytes;
        }
    }
    fclose(f);
    return s;
}
