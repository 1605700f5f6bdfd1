/* The fit loop's state to and from checkpoint records (record list in
 * cltrain/report.h). */
#include "run/checkpoint_io.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CALLBACK_FIELDS 6

ct_status ct_run_experiment_yaml(const ct_experiment *exp, char **yaml)
{
    size_t size = 0;
    *yaml = NULL;
    FILE *f = open_memstream(yaml, &size);
    if (!f)
        return ct_fail(CT_ERR_NO_MEMORY, "configuration text");
    ct_status s = ct_experiment_write_yaml(exp, f);
    if (fclose(f) != 0 && s == CT_OK)
        s = ct_fail(CT_ERR_NO_MEMORY, "configuration text");
    if (s != CT_OK) {
        free(*yaml);
        *yaml = NULL;
    }
    return s;
}

static void callback_fields(const ct_early_stopping *es, double *v)
{
    v[0] = es->wait;
    v[1] = es->best;
    v[2] = es->best_epoch;
    v[3] = es->weights_epoch;
    v[4] = es->stopped_epoch;
    v[5] = es->last_epoch;
}

static void set_callback_fields(ct_early_stopping *es, const double *v)
{
    es->wait = (int)v[0];
    es->best = v[1];
    es->best_epoch = (int)v[2];
    es->weights_epoch = (int)v[3];
    es->stopped_epoch = (int)v[4];
    es->last_epoch = (int)v[5];
}

/* "loss,root_mean_squared_error,...,seconds" and the values row-major. */
static ct_status put_history(ct_checkpoint *c, const ct_history *h)
{
    size_t rows = ct_history_rows(h), cols = ct_history_columns(h), len = 1;
    for (size_t j = 0; j < cols; j++)
        len += strlen(ct_history_column_name(h, j)) + 1;
    char *names = malloc(len);
    double *values = malloc((rows && cols ? rows * cols : 1) * sizeof *values);
    ct_status s = names && values ? CT_OK : ct_fail(CT_ERR_NO_MEMORY, "checkpoint history");
    if (s == CT_OK) {
        names[0] = '\0';
        for (size_t j = 0; j < cols; j++) {
            if (j)
                strcat(names, ",");
            strcat(names, ct_history_column_name(h, j));
        }
        for (size_t i = 0; i < rows; i++)
            for (size_t j = 0; j < cols; j++)
                values[i * cols + j] = ct_history_value(h, i, j);
        s = ct_checkpoint_put_text(c, "history/columns", names);
    }
    if (s == CT_OK)
        s = ct_checkpoint_put(c, "history/values", CT_RECORD_F64, values, rows * cols);
    free(names);
    free(values);
    return s;
}

/* The model as named tensors: "model/tensors" lists the names (one per
 * line, weights.bin's order), "model/NAME" holds the values and
 * "model/NAME/shape" the shape, so the weights can be read without
 * building the model (cltrain predict, plot, inspect). */
static ct_status put_model(ct_checkpoint *c, ct_model *m, const float *state)
{
    size_t n = ct_model_tensor_count(m), len = 1;
    const char *name;
    ct_tensor view;
    for (size_t i = 0; i < n; i++) {
        CT_TRY(ct_model_tensor(m, i, &name, &view));
        len += strlen(name) + 1;
    }
    char *names = malloc(len);
    if (!names)
        return ct_fail(CT_ERR_NO_MEMORY, "checkpoint");
    names[0] = '\0';
    ct_status s = CT_OK;
    for (size_t i = 0; s == CT_OK && i < n; i++) {
        s = ct_model_tensor(m, i, &name, &view);
        if (s != CT_OK)
            break;
        strcat(names, name);
        strcat(names, "\n");
        char record[CT_CHECKPOINT_MAX_NAME + 64];
        int w = snprintf(record, sizeof record, "model/%s/shape", name);
        if (w < 0 || w > CT_CHECKPOINT_MAX_NAME) {
            s = ct_fail(CT_ERR_INVALID_ARGUMENT, "checkpoint: tensor name '%s' is too long", name);
            break;
        }
        int64_t shape[CT_MAX_DIMS];
        for (int d = 0; d < view.ndim; d++)
            shape[d] = (int64_t)view.shape[d];
        s = ct_checkpoint_put(c, record, CT_RECORD_I64, shape, (uint64_t)view.ndim);
        snprintf(record, sizeof record, "model/%s", name);
        if (s == CT_OK)
            s = ct_checkpoint_put(c, record, CT_RECORD_F32, state, ct_tensor_count(&view));
        state += ct_tensor_count(&view);
    }
    if (s == CT_OK)
        s = ct_checkpoint_put_text(c, "model/tensors", names);
    free(names);
    return s;
}

/* The model's tensors back into one array, checking names and sizes. */
static ct_status get_model(const ct_checkpoint *c, ct_model *m, float *state)
{
    size_t n = ct_model_tensor_count(m);
    for (size_t i = 0; i < n; i++) {
        const char *name;
        ct_tensor view;
        CT_TRY(ct_model_tensor(m, i, &name, &view));
        char record[CT_CHECKPOINT_MAX_NAME + 64];
        snprintf(record, sizeof record, "model/%s", name);
        size_t count = ct_tensor_count(&view);
        ct_status s = ct_checkpoint_get_array(c, record, CT_RECORD_F32, state, count);
        if (s != CT_OK)
            return ct_fail_context(s, "the checkpoint does not hold this model's '%s' (%zu values)", name, count);
        state += count;
    }
    return CT_OK;
}

static ct_status put_trainer(ct_checkpoint *c, ct_trainer *t, const ct_experiment *exp)
{
    ct_trainer_state st;
    CT_TRY(ct_trainer_save(t, &st));
    int64_t position[2] = {st.epoch, (int64_t)st.batch};
    ct_status s = ct_checkpoint_put(c, "position", CT_RECORD_I64, position, 2);
    if (s == CT_OK)
        s = ct_checkpoint_put_i64(c, "rng/seed", exp->seed);
    if (s == CT_OK)
        s = ct_checkpoint_put_i64(c, "rng/shuffle_epoch", st.order_epoch);
    if (s == CT_OK)
        s = ct_checkpoint_put_i64(c, "rng/dropout_step", (int64_t)st.dropout_step);
    if (s == CT_OK)
        s = put_model(c, ct_trainer_model(t), st.model);
    if (s == CT_OK)
        s = ct_checkpoint_put(c, "optimizer/state", CT_RECORD_F32, st.optimizer, st.optimizer_floats);
    if (s == CT_OK)
        s = ct_checkpoint_put_i64(c, "optimizer/iterations", (int64_t)st.iterations);
    if (s == CT_OK)
        s = ct_checkpoint_put(c, "optimizer/learning_rate", CT_RECORD_F64, &st.learning_rate, 1);
    if (s == CT_OK)
        s = ct_checkpoint_put(c, "accumulators/loss", CT_RECORD_F32, st.loss_sums, 2);
    if (s == CT_OK)
        s = ct_checkpoint_put_i64(c, "accumulators/loss_count", (int64_t)st.loss_count);
    if (s == CT_OK)
        s = ct_checkpoint_put(c, "accumulators/metrics", CT_RECORD_F32, st.metric_sums, 2 * exp->train.metric_count);
    if (s == CT_OK)
        s = ct_checkpoint_put_i64(c, "accumulators/metric_samples", (int64_t)st.metric_samples);
    ct_trainer_state_free(&st);
    return s;
}

ct_status ct_run_checkpoint_save(const char *path, const ct_experiment *exp, const ct_fit_state *f, bool durable)
{
    ct_checkpoint *c;
    CT_TRY(ct_checkpoint_create(&c));
    ct_status s = ct_checkpoint_put_text(c, "experiment", f->experiment_yaml);
    if (s == CT_OK)
        s = ct_checkpoint_put_i64(c, "finished", f->finished);
    if (s == CT_OK && f->init_sha256)
        s = ct_checkpoint_put_text(c, "init/sha256", f->init_sha256);
    if (s == CT_OK)
        s = put_trainer(c, f->trainer, exp);
    double v[CALLBACK_FIELDS];
    callback_fields(f->early_stopping, v);
    if (s == CT_OK)
        s = ct_checkpoint_put(c, "early_stopping", CT_RECORD_F64, v, CALLBACK_FIELDS);
    const float *best = ct_trainer_snapshot_data(f->trainer);
    if (s == CT_OK && best)
        s = ct_checkpoint_put(c, "early_stopping/best_weights", CT_RECORD_F32, best,
                              ct_model_state_size(ct_trainer_model(f->trainer)));
    callback_fields(f->model_checkpoint, v);
    if (s == CT_OK)
        s = ct_checkpoint_put(c, "model_checkpoint", CT_RECORD_F64, v, CALLBACK_FIELDS);
    /* ReduceLROnPlateau: wait, cooldown counter and best; the rate it set is
     * optimizer/learning_rate. Only when on, so other checkpoints keep their records. */
    double rlr[3] = {f->reduce_lr->wait, f->reduce_lr->cooldown_counter, f->reduce_lr->best};
    if (s == CT_OK && f->reduce_lr->enabled)
        s = ct_checkpoint_put(c, "reduce_lr_on_plateau", CT_RECORD_F64, rlr, 3);
    if (s == CT_OK)
        s = put_history(c, f->history);
    if (s == CT_OK)
        s = ct_checkpoint_put(c, "seconds/training", CT_RECORD_F64, &f->train_seconds, 1);
    if (s == CT_OK)
        s = ct_checkpoint_write(c, path, durable);
    ct_checkpoint_free(c);
    return s;
}

ct_status ct_run_checkpoint_position(const ct_checkpoint *c, int *epoch, uint64_t *batch, bool *finished)
{
    int64_t position[2], done;
    CT_TRY(ct_checkpoint_get_array(c, "position", CT_RECORD_I64, position, 2));
    CT_TRY(ct_checkpoint_get_i64(c, "finished", &done));
    if (position[0] < 0 || position[0] > 1000000000 || position[1] < 0)
        return ct_fail(CT_ERR_PARSE, "checkpoint: position (%lld, %lld) out of range", (long long)position[0],
                       (long long)position[1]);
    *epoch = (int)position[0];
    *batch = (uint64_t)position[1];
    *finished = done != 0;
    return CT_OK;
}

ct_status ct_run_checkpoint_experiment(const ct_checkpoint *c, char **yaml)
{
    const void *data;
    uint64_t n;
    CT_TRY(ct_checkpoint_get(c, "experiment", CT_RECORD_TEXT, &data, &n));
    *yaml = malloc((size_t)n + 1);
    if (!*yaml)
        return ct_fail(CT_ERR_NO_MEMORY, "checkpoint configuration");
    memcpy(*yaml, data, (size_t)n);
    (*yaml)[n] = '\0';
    return CT_OK;
}

static ct_status get_f32(const ct_checkpoint *c, const char *name, size_t count, float **out)
{
    const void *data;
    uint64_t n;
    CT_TRY(ct_checkpoint_get(c, name, CT_RECORD_F32, &data, &n));
    if (n != count)
        return ct_fail(CT_ERR_SHAPE, "checkpoint record '%s' holds %llu floats, this run needs %zu", name,
                       (unsigned long long)n, count);
    *out = (float *)data;
    return CT_OK;
}

ct_status ct_run_checkpoint_restore_trainer(const ct_checkpoint *c, ct_trainer *t)
{
    ct_model *m = ct_trainer_model(t);
    ct_trainer_state st;
    memset(&st, 0, sizeof st);
    int64_t position[2], v;
    CT_TRY(ct_checkpoint_get_array(c, "position", CT_RECORD_I64, position, 2));
    st.epoch = (int)position[0];
    st.batch = (uint64_t)position[1];
    CT_TRY(ct_checkpoint_get_i64(c, "rng/shuffle_epoch", &st.order_epoch));
    CT_TRY(ct_checkpoint_get_i64(c, "rng/dropout_step", &v));
    st.dropout_step = (uint64_t)v;
    CT_TRY(ct_checkpoint_get_i64(c, "optimizer/iterations", &v));
    st.iterations = (uint64_t)v;
    CT_TRY(ct_checkpoint_get_array(c, "optimizer/learning_rate", CT_RECORD_F64, &st.learning_rate, 1));
    CT_TRY(ct_checkpoint_get_array(c, "accumulators/loss", CT_RECORD_F32, st.loss_sums, 2));
    CT_TRY(ct_checkpoint_get_i64(c, "accumulators/loss_count", &v));
    st.loss_count = (uint64_t)v;
    const void *sums;
    uint64_t n;
    CT_TRY(ct_checkpoint_get(c, "accumulators/metrics", CT_RECORD_F32, &sums, &n));
    if (n > 2 * CT_METRICS_MAX)
        return ct_fail(CT_ERR_PARSE, "checkpoint: %llu metric accumulators", (unsigned long long)n);
    memcpy(st.metric_sums, sums, (size_t)n * sizeof(float));
    CT_TRY(ct_checkpoint_get_i64(c, "accumulators/metric_samples", &v));
    st.metric_samples = (uint64_t)v;
    st.model_floats = ct_model_state_size(m);
    st.model = malloc((st.model_floats ? st.model_floats : 1) * sizeof(float));
    if (!st.model)
        return ct_fail(CT_ERR_NO_MEMORY, "checkpoint model");
    ct_status s = get_model(c, m, st.model);
    const void *opt = NULL;
    if (s == CT_OK)
        s = ct_checkpoint_get(c, "optimizer/state", CT_RECORD_F32, &opt, &n);
    st.optimizer = (float *)opt;
    st.optimizer_floats = (size_t)n;
    if (s == CT_OK)
        s = ct_trainer_load(t, &st);
    free(st.model);
    return s;
}

static ct_status restore_history(const ct_checkpoint *c, ct_history *h)
{
    const void *names_data, *values_data;
    uint64_t names_length, count;
    CT_TRY(ct_checkpoint_get(c, "history/columns", CT_RECORD_TEXT, &names_data, &names_length));
    CT_TRY(ct_checkpoint_get(c, "history/values", CT_RECORD_F64, &values_data, &count));
    size_t cols = ct_history_columns(h);
    /* The columns must be this run's, in order. */
    const char *p = names_data, *end = p + names_length;
    for (size_t j = 0; j < cols; j++) {
        const char *name = ct_history_column_name(h, j);
        size_t len = strlen(name);
        if ((size_t)(end - p) < len || memcmp(p, name, len) != 0 || (p + len < end && p[len] != ','))
            return ct_fail(CT_ERR_PARSE, "checkpoint: its history's columns are not this run's (column %zu is not "
                                         "'%s')", j + 1, name);
        p += len + (p + len < end);
    }
    if (p != end || count % cols)
        return ct_fail(CT_ERR_PARSE, "checkpoint: its history has other columns than this run's");
    const double *values = values_data;
    for (uint64_t i = 0; i < count / cols; i++)
        CT_TRY(ct_history_append(h, values + i * cols, cols));
    return CT_OK;
}

ct_status ct_run_checkpoint_restore(const ct_checkpoint *c, ct_fit_state *f)
{
    int epoch;
    uint64_t batch;
    bool finished;
    CT_TRY(ct_run_checkpoint_position(c, &epoch, &batch, &finished));
    f->finished = finished;
    CT_TRY(ct_run_checkpoint_restore_trainer(c, f->trainer));
    double v[CALLBACK_FIELDS];
    CT_TRY(ct_checkpoint_get_array(c, "early_stopping", CT_RECORD_F64, v, CALLBACK_FIELDS));
    set_callback_fields(f->early_stopping, v);
    CT_TRY(ct_checkpoint_get_array(c, "model_checkpoint", CT_RECORD_F64, v, CALLBACK_FIELDS));
    set_callback_fields(f->model_checkpoint, v);
    if (f->reduce_lr->enabled) {
        CT_TRY(ct_checkpoint_get_array(c, "reduce_lr_on_plateau", CT_RECORD_F64, v, 3));
        f->reduce_lr->wait = (int)v[0];
        f->reduce_lr->cooldown_counter = (int)v[1];
        f->reduce_lr->best = v[2];
    }
    float *best = NULL;
    if (get_f32(c, "early_stopping/best_weights", ct_model_state_size(ct_trainer_model(f->trainer)), &best) == CT_OK)
        CT_TRY(ct_trainer_set_snapshot(f->trainer, best));
    else if (f->early_stopping->weights_epoch >= 0)
        return ct_fail(CT_ERR_PARSE, "checkpoint: early stopping kept the weights of epoch %d but they are missing",
                       f->early_stopping->weights_epoch + 1);
    CT_TRY(restore_history(c, f->history));
    if ((int)ct_history_rows(f->history) != epoch)
        return ct_fail(CT_ERR_PARSE, "checkpoint: its history has %zu epochs, its position says %d",
                       ct_history_rows(f->history), epoch);
    return ct_checkpoint_get_array(c, "seconds/training", CT_RECORD_F64, &f->train_seconds, 1);
}
