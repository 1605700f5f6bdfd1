/* Which weights a run directory offers (see ct_run_weights_read). */
#include "cltrain/report.h"
#include "core/fs.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The named tensors of the checkpoint's model; values from `flat` (the
 * early-stopping copy, every tensor one after the other) when not NULL. */
static ct_status checkpoint_tensors(const ct_checkpoint *c, const float *flat, uint64_t flat_count,
                                    ct_named_tensor **out, size_t *n)
{
    const void *text;
    uint64_t length;
    CT_TRY(ct_checkpoint_get(c, "model/tensors", CT_RECORD_TEXT, &text, &length));
    char *names = malloc((size_t)length + 1);
    if (!names)
        return ct_fail(CT_ERR_NO_MEMORY, "checkpoint tensors");
    memcpy(names, text, (size_t)length);
    names[length] = '\0';
    size_t count = 0;
    for (char *p = names; *p; p++)
        count += *p == '\n';
    ct_named_tensor *tensors = calloc(count ? count : 1, sizeof *tensors);
    ct_status s = tensors ? CT_OK : ct_fail(CT_ERR_NO_MEMORY, "checkpoint tensors");
    uint64_t used = 0;
    size_t i = 0;
    for (char *name = names, *end; s == CT_OK && (end = strchr(name, '\n')); name = end + 1, i++) {
        *end = '\0';
        char record[CT_CHECKPOINT_MAX_NAME + 16];
        snprintf(record, sizeof record, "model/%s/shape", name);
        const void *shape, *values;
        uint64_t ndim, values_count;
        s = ct_checkpoint_get(c, record, CT_RECORD_I64, &shape, &ndim);
        if (s == CT_OK && ndim > CT_WEIGHTS_MAX_DIMS)
            s = ct_fail(CT_ERR_PARSE, "checkpoint: tensor '%s' has %llu dimensions", name, (unsigned long long)ndim);
        snprintf(record, sizeof record, "model/%s", name);
        if (s == CT_OK)
            s = ct_checkpoint_get(c, record, CT_RECORD_F32, &values, &values_count);
        if (s != CT_OK)
            break;
        ct_named_tensor *t = &tensors[i];
        t->ndim = (int)ndim;
        uint64_t product = 1;
        for (uint64_t d = 0; d < ndim; d++) {
            int64_t dim = ((const int64_t *)shape)[d];
            t->shape[d] = dim > 0 ? (size_t)dim : 0;
            product *= t->shape[d];
        }
        if (product != values_count || (flat && flat_count - used < product)) {
            s = ct_fail(CT_ERR_PARSE, "checkpoint: tensor '%s': its shape and values do not agree", name);
            break;
        }
        t->name = strdup(name);
        t->data = malloc((size_t)(product ? product : 1) * sizeof(float));
        if (!t->name || !t->data) {
            s = ct_fail(CT_ERR_NO_MEMORY, "checkpoint tensors");
            break;
        }
        memcpy(t->data, flat ? flat + used : (const float *)values, (size_t)product * sizeof(float));
        used += product;
    }
    free(names);
    if (s != CT_OK) {
        ct_weights_free(tensors, count);
        return s;
    }
    *out = tensors;
    *n = count;
    return CT_OK;
}

static ct_status from_checkpoint(const char *path, ct_named_tensor **out, size_t *n, char *source, size_t size)
{
    ct_checkpoint *c;
    CT_TRY(ct_checkpoint_read(path, &c));
    int64_t position[2] = {0, 0};
    ct_status s = ct_checkpoint_get_array(c, "position", CT_RECORD_I64, position, 2);
    const void *best = NULL;
    uint64_t best_count = 0;
    if (s == CT_OK && ct_checkpoint_get(c, "early_stopping/best_weights", CT_RECORD_F32, &best, &best_count) == CT_OK) {
        double es[6];
        s = ct_checkpoint_get_array(c, "early_stopping", CT_RECORD_F64, es, 6);
        if (s == CT_OK)
            s = checkpoint_tensors(c, best, best_count, out, n);
        if (s == CT_OK)
            snprintf(source, size, "%s: the best epoch so far (epoch %d, kept by early stopping) of a run that did not "
                                   "finish", path, (int)es[3] + 1);
    } else if (s == CT_OK) {
        s = checkpoint_tensors(c, NULL, 0, out, n);
        if (s == CT_OK && position[1])
            snprintf(source, size, "%s: the last checkpoint (epoch %lld, after batch %lld) of a run that did not "
                                   "finish", path, (long long)position[0] + 1, (long long)position[1]);
        else if (s == CT_OK)
            snprintf(source, size, "%s: the last checkpoint (after epoch %lld) of a run that did not finish", path,
                     (long long)position[0]);
    }
    ct_checkpoint_free(c);
    return s;
}

/* Whether checkpoint.bin says training is under way (stopped before its
 * end): then weights.bin, if any, is from an earlier end that a resume with
 * more epochs has gone past. */
static bool checkpoint_unfinished(const char *path)
{
    ct_checkpoint *c;
    if (access(path, F_OK) != 0 || ct_checkpoint_read(path, &c) != CT_OK)
        return false;
    int64_t finished = 1;
    ct_checkpoint_get_i64(c, "finished", &finished);
    ct_checkpoint_free(c);
    return finished == 0;
}

ct_status ct_run_weights_read(const char *run_dir, ct_named_tensor **out, size_t *n, bool *final, char *source,
                              size_t size)
{
    *final = false;
    static const char *const files[] = {"weights.bin", "best.weights.bin", "checkpoint.bin"};
    *out = NULL;
    *n = 0;
    char *checkpoint = ct_path_join(run_dir, "checkpoint.bin");
    if (!checkpoint)
        return ct_fail(CT_ERR_NO_MEMORY, "out of memory");
    bool unfinished = checkpoint_unfinished(checkpoint);
    free(checkpoint);
    for (size_t i = unfinished ? 1 : 0; i < 3; i++) {
        char *path = ct_path_join(run_dir, files[i]);
        if (!path)
            return ct_fail(CT_ERR_NO_MEMORY, "out of memory");
        if (access(path, F_OK) != 0) {
            free(path);
            continue;
        }
        ct_status s;
        if (i == 2)
            s = from_checkpoint(path, out, n, source, size);
        else {
            s = ct_weights_read(path, out, n);
            *final = i == 0;
            if (i == 0)
                snprintf(source, size, "%s: the weights at the end of training", path);
            else
                snprintf(source, size, "%s: model_checkpoint's weights of a run that did not finish", path);
        }
        free(path);
        return s;
    }
    return ct_fail(CT_ERR_IO,
                   "%s/weights.bin: no such file (it is written when training ends), and no best.weights.bin or "
                   "checkpoint.bin (written after the first epoch): the run stopped before its first epoch ended",
                   run_dir);
}
