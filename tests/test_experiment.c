/* Experiment files: parsing, errors with line:column, --set overrides,
 * cross-field validation, the effective-config round trip, the shipped
 * experiments, `cltrain check`, and a little fuzzing. */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cltrain/experiment.h"
#include "experiment/schema.h"

/* `cltrain check` lives with the command line, outside the library. */
#include "cli/cmd_check.c"

/* ----------------------------------------------------------------- helpers */

/* The source tree: $CLTRAIN_SOURCE_DIR, a compile definition, or this file's
 * grandparent folder (CMake compiles tests by absolute path). */
static const char *source_dir(void)
{
    const char *env = getenv("CLTRAIN_SOURCE_DIR");
    if (env && *env)
        return env;
#ifdef CLTRAIN_SOURCE_DIR
    return CLTRAIN_SOURCE_DIR;
#else
    static char dir[4096];
    snprintf(dir, sizeof dir, "%s", __FILE__);
    for (int up = 0; up < 2; up++) {
        char *slash = strrchr(dir, '/');
        if (!slash)
            return "..";
        *slash = '\0';
    }
    return dir[0] ? dir : "/";
#endif
}

static const char *tmp_dir(void)
{
    const char *env = getenv("CLTRAIN_TEST_TMPDIR");
    if (env && *env) {
        mkdir(env, 0777);
        return env;
    }
    return "/tmp";
}

/* Write text (length bytes) to a fresh temporary file; returns its path. */
static char *write_temp(const char *text, size_t length, const char *suffix)
{
    static char path[4200];
    snprintf(path, sizeof path, "%s/test_experiment_XXXXXX%s", tmp_dir(), suffix);
    int fd = mkstemps(path, (int)strlen(suffix));
    ck_assert_msg(fd >= 0, "mkstemps %s: %s", path, strerror(errno));
    ck_assert_int_eq(write(fd, text, length), (ssize_t)length);
    close(fd);
    return path;
}

static ct_experiment *parse_ok(const char *text)
{
    ct_experiment *exp = NULL;
    ct_status s = ct_experiment_parse_string(text, "ok.yaml", &exp);
    ck_assert_msg(s == CT_OK, "expected to parse, got %s: %s", ct_status_name(s), ct_last_error());
    ck_assert_ptr_nonnull(exp);
    return exp;
}

static ct_experiment *valid_ok(const char *text)
{
    ct_experiment *exp = parse_ok(text);
    ct_status s = ct_experiment_validate(exp);
    ck_assert_msg(s == CT_OK, "expected to validate, got: %s", ct_last_error());
    return exp;
}

/* The effective configuration as a string (malloc'd). */
static char *to_yaml(const ct_experiment *exp)
{
    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(ct_experiment_write_yaml(exp, f), CT_OK);
    fclose(f);
    return buf;
}

/* A small valid CSV experiment; cases below vary it. */
#define CSV_DATA "data: {csv: {file: w.csv, target: {column: y, shift: 1}}}\n"
#define ONE_DENSE "model:\n  - dense: {units: 1}\n"
#define MSE "train: {loss: mse}\n"
#define CIFAR_DATA "data: {cifar10: {train_batches: 1, use_test_as_validation: true}}\n"
#define SPARSE "train: {loss: sparse_categorical_crossentropy, from_logits: true, metrics: [accuracy]}\n"

/* ======================================================= bad-file catalogue
 * Each case: a file, the status, and the exact message (file:line:col,
 * key path, what was expected). `after_validate`: the file parses, and
 * ct_experiment_validate() rejects it. */
typedef struct {
    const char *yaml;
    ct_status status;
    bool after_validate;
    const char *message;
} bad_case;

static const bad_case bad_cases[] = {
    /* ---- YAML structure */
    {"", CT_ERR_CONFIG, false,
     "bad.yaml:1:1: the file is empty: expected a mapping of experiment settings (name, seed, "
     "data, model, train, ...)"},
    {"# only a comment\n", CT_ERR_CONFIG, false,
     "bad.yaml:1:1: the file is empty: expected a mapping of experiment settings (name, seed, "
     "data, model, train, ...)"},
    {"- dense\n- flatten\n", CT_ERR_CONFIG, false,
     "bad.yaml:1:1: expected a mapping of experiment settings (name, description, seed, data, "
     "model, train, callbacks, evaluate, output, init), got a list"},
    {"just words\n", CT_ERR_CONFIG, false,
     "bad.yaml:1:1: expected a mapping of experiment settings (name, description, seed, data, "
     "model, train, callbacks, evaluate, output, init), got \"just words\""},
    {CSV_DATA "model:\n  - dense: {units: 1\n" MSE, CT_ERR_PARSE, false,
     "bad.yaml:4:6: YAML syntax error: did not find expected ',' or '}' (while parsing a flow "
     "mapping at line 3, column 12)"},
    {"name: x\n\tseed: 1\n", CT_ERR_PARSE, false,
     "bad.yaml:2:1: YAML syntax error: found a tab character that violates indentation (while "
     "scanning a plain scalar at line 1, column 7)"},
    {"name: x\n  seed: 1\n", CT_ERR_PARSE, false,
     "bad.yaml:2:7: YAML syntax error: mapping values are not allowed in this context"},
    {"name: \"open\n", CT_ERR_PARSE, false,
     "bad.yaml:2:1: YAML syntax error: found unexpected end of stream (while scanning a quoted "
     "scalar at line 1, column 7)"},
    {"name: a\n---\nname: b\n", CT_ERR_PARSE, false,
     "bad.yaml:2:1: a second YAML document ('---'): an experiment file holds exactly one"},
    {"name: &n x\ndescription: *n\n", CT_ERR_CONFIG, false,
     "bad.yaml:2:14: aliases (*n) are not supported: write the value out"},
    {"name: \xff\xfe\n", CT_ERR_PARSE, false,
     "bad.yaml:1:7: cannot read the text: invalid leading UTF-8 octet (byte 0xff)"},
    {"{[a]: 1}\n", CT_ERR_CONFIG, false, "bad.yaml:1:2: keys must be plain names, not a list"},
    /* ---- duplicate keys */
    {"name: a\nseed: 1\nname: b\n", CT_ERR_CONFIG, false,
     "bad.yaml:3:1: duplicate key 'name' (first set at line 1, column 1)"},
    {CSV_DATA ONE_DENSE "train:\n  loss: mse\n  epochs: 3\n  epochs: 4\n", CT_ERR_CONFIG, false,
     "bad.yaml:7:3: train: duplicate key 'epochs' (first set at line 6, column 3)"},
    {CSV_DATA "model:\n  - dense: {units: 1, units: 2}\n" MSE, CT_ERR_CONFIG, false,
     "bad.yaml:3:23: model[0].dense: duplicate key 'units' (first set at line 3, column 13)"},
    /* ---- unknown keys and names, with suggestions */
    {CSV_DATA "modle:\n  - dense: {units: 1}\n" MSE, CT_ERR_CONFIG, false,
     "bad.yaml:2:1: unknown key 'modle' (did you mean 'model'?)"},
    {CSV_DATA ONE_DENSE MSE "callbacks:\n  early_stopping: {monitor: val_loss, patiense: 3}\n",
     CT_ERR_CONFIG, false,
     "bad.yaml:6:39: callbacks.early_stopping: unknown key 'patiense' (did you mean 'patience'?)"},
    {CSV_DATA ONE_DENSE "train: {loss: mse, lr: 0.1}\n", CT_ERR_CONFIG, false,
     "bad.yaml:4:20: train: unknown key 'lr'; expected one of loss, from_logits, label_smoothing, class_weight, "
     "metrics, optimizer, learning_rate_schedule, batch_size, epochs, shuffle, validation_split, devices, "
     "checkpoint_every"},
    {CSV_DATA "model:\n  - dence: {units: 1}\n" MSE, CT_ERR_CONFIG, false,
     "bad.yaml:3:5: model[0]: unknown layer type 'dence' (did you mean 'dense'?); expected one of "
     "dense, conv2d, max_pooling2d, average_pooling2d, flatten, dropout, batch_normalization, "
     "activation, global_average_pooling2d, global_max_pooling2d, leaky_relu, rescaling, reshape, "
     "random_flip, random_translation, random_rotation, random_zoom, random_crop, add, concatenate"},
    {CSV_DATA "model:\n  - Dense: {units: 1}\n" MSE, CT_ERR_CONFIG, false,
     "bad.yaml:3:5: model[0]: unknown layer type 'Dense' (did you mean 'dense'?); expected one of "
     "dense, conv2d, max_pooling2d, average_pooling2d, flatten, dropout, batch_normalization, "
     "activation, global_average_pooling2d, global_max_pooling2d, leaky_relu, rescaling, reshape, "
     "random_flip, random_translation, random_rotation, random_zoom, random_crop, add, concatenate"},
    {CSV_DATA "model:\n  - dense: {units: 1, activation: rleu}\n" MSE, CT_ERR_CONFIG, false,
     "bad.yaml:3:35: model[0].dense.activation: expected one of linear, relu, sigmoid, tanh, "
     "softmax, leaky_relu, elu, gelu, gelu_approximate, silu, selu, softplus, got \"rleu\" (did you mean "
     "'relu'?)"},
    {CSV_DATA ONE_DENSE "train: {loss: mse, metrics: [rsme]}\n", CT_ERR_CONFIG, false,
     "bad.yaml:4:30: train.metrics[0]: expected one of rmse, mse, mae, accuracy, binary_accuracy, "
     "categorical_accuracy, sparse_categorical_accuracy, got \"rsme\" (did you mean 'rmse'?)"},
    {CSV_DATA ONE_DENSE "train: {loss: mse, optimizer: adamx}\n", CT_ERR_CONFIG, false,
     "bad.yaml:4:31: train.optimizer: unknown optimizer 'adamx' (did you mean 'adam'?); expected "
     "one of adam, sgd, rmsprop, adamw, nadam, adagrad"},
    {CSV_DATA ONE_DENSE "train: {loss: mse, optimizer: {adamw: {weight_decy: 0.01}}}\n", CT_ERR_CONFIG, false,
     "bad.yaml:4:40: train.optimizer.adamw: unknown key 'weight_decy' (did you mean 'weight_decay'?)"},
    {CSV_DATA ONE_DENSE "train: {loss: mse, optimizer: {adagrad: {clipnorm: 0}}}\n", CT_ERR_CONFIG, false,
     "bad.yaml:4:52: train.optimizer.adagrad.clipnorm: expected a positive number or null, got \"0\""},
    {CSV_DATA ONE_DENSE "train: {loss: mse, learning_rate_schedule: {cosine_decay: {decay_steps: 10}}}\n",
     CT_ERR_CONFIG, false,
     "bad.yaml:4:59: train.learning_rate_schedule.cosine_decay: missing required key 'initial_learning_rate'"},
    {CSV_DATA ONE_DENSE "train: {loss: mse, learning_rate_schedule: cosin_decay}\n", CT_ERR_CONFIG, false,
     "bad.yaml:4:44: train.learning_rate_schedule: unknown learning-rate schedule 'cosin_decay' (did you mean "
     "'cosine_decay'?); expected one of exponential_decay, cosine_decay, piecewise_constant_decay"},
    {CSV_DATA ONE_DENSE "train: {loss: mse, learning_rate_schedule: {cosine_decay: "
     "{initial_learning_rate: 0.001, decay_steps: 10, warmup_steps: 5}}}\n", CT_ERR_CONFIG, true,
     "bad.yaml:4:121: train.learning_rate_schedule.cosine_decay.warmup_steps: a warm-up needs warmup_target, "
     "the learning rate to reach after 5 steps"},
    {CSV_DATA ONE_DENSE "train: {loss: mse, learning_rate_schedule: {piecewise_constant_decay: "
     "{boundaries: [10, 5], values: [0.1, 0.01, 0.001]}}}\n", CT_ERR_CONFIG, true,
     "bad.yaml:4:89: train.learning_rate_schedule.piecewise_constant_decay.boundaries[1]: boundaries must "
     "increase: 5 follows 10"},
    {CSV_DATA ONE_DENSE "train: {loss: mse, learning_rate_schedule: {piecewise_constant_decay: "
     "{boundaries: [10], values: [0.1]}}}\n", CT_ERR_CONFIG, true,
     "bad.yaml:4:98: train.learning_rate_schedule.piecewise_constant_decay.values: needs one more value than "
     "boundaries: 1 boundaries, 1 values"},
    {CSV_DATA ONE_DENSE "train: {loss: mse, learning_rate_schedule: {piecewise_constant_decay: "
     "{boundaries: [10], values: [0.1, x]}}}\n", CT_ERR_CONFIG, false,
     "bad.yaml:4:104: train.learning_rate_schedule.piecewise_constant_decay.values[1]: expected a number >= 0, "
     "got \"x\""},
    {CSV_DATA ONE_DENSE MSE "callbacks: {reduce_lr_on_plateau: {factor: 1.5}}\n", CT_ERR_CONFIG, false,
     "bad.yaml:5:44: callbacks.reduce_lr_on_plateau.factor: expected a number in [0, 1), got \"1.5\""},
    {CSV_DATA ONE_DENSE MSE "callbacks: {reduce_lr_on_plateau: {monitor: val_los}}\n", CT_ERR_CONFIG, true,
     "bad.yaml:5:45: callbacks.reduce_lr_on_plateau.monitor: 'val_los' is not recorded during training (did "
     "you mean 'val_loss'?); choose one of loss, val_loss"},
    {CSV_DATA ONE_DENSE "train: {loss: mse, learning_rate_schedule: {exponential_decay: "
     "{initial_learning_rate: 0.01, decay_steps: 10, decay_rate: 0.9}}}\n"
     "callbacks: {reduce_lr_on_plateau: true}\n", CT_ERR_CONFIG, true,
     "bad.yaml:5:35: callbacks.reduce_lr_on_plateau: cannot change the learning rate of a "
     "train.learning_rate_schedule (Keras raises the same error): use one of the two"},
    {CSV_DATA ONE_DENSE "train: {loss: mse, label_smoothing: 0.1}\n", CT_ERR_CONFIG, true,
     "bad.yaml:4:37: train.label_smoothing: applies to binary_crossentropy and categorical_crossentropy only "
     "(as in Keras), not mse"},
    {CSV_DATA ONE_DENSE "train: {loss: mse, label_smoothing: 1.5}\n", CT_ERR_CONFIG, false,
     "bad.yaml:4:37: train.label_smoothing: expected a number in [0, 1], got \"1.5\""},
    {CSV_DATA ONE_DENSE "train: {loss: mse, class_weight: [1, 2]}\n", CT_ERR_CONFIG, true,
     "bad.yaml:4:34: train.class_weight: weights classes, but mse is a regression loss"},
    {CSV_DATA ONE_DENSE "train: {loss: binary_crossentropy, class_weight: [1, 2, 3]}\n", CT_ERR_CONFIG, true,
     "bad.yaml:4:50: train.class_weight: has 3 weights, but the model outputs 2 classes (one output: 0 and 1): "
     "give one weight per class, class 0 first"},
    {CSV_DATA ONE_DENSE "train: {loss: binary_crossentropy, class_weight: [1, -2]}\n", CT_ERR_CONFIG, false,
     "bad.yaml:4:54: train.class_weight[1]: expected a number >= 0, got \"-2\""},
    {CSV_DATA "model:\n  - dense: {units: 1, kernel_regularizer: l3}\n" MSE, CT_ERR_CONFIG, false,
     "bad.yaml:3:43: model[0].dense.kernel_regularizer: unknown regularizer 'l3' (did you mean 'l1'?); "
     "expected one of l1, l2, l1_l2"},
    {CSV_DATA "model:\n  - dense: {units: 1, kernel_regularizer: {l2: -1}}\n" MSE, CT_ERR_CONFIG, false,
     "bad.yaml:3:48: model[0].dense.kernel_regularizer.l2.l2: expected a number >= 0, got \"-1\""},
    {CSV_DATA ONE_DENSE "train: {loss: mse, optimizer: {nadam: {clipnorm: 1, clipvalue: 0.5}}}\n",
     CT_ERR_CONFIG, true,
     "bad.yaml:4:64: train.optimizer.nadam.clipvalue: only one of clipnorm, global_clipnorm and clipvalue "
     "can be set (as in Keras); clipnorm is set too"},
    {CSV_DATA ONE_DENSE "train: {loss: mean_squared_eror}\n", CT_ERR_CONFIG, false,
     "bad.yaml:4:15: train.loss: expected one of mse, mae, binary_crossentropy, "
     "categorical_crossentropy, sparse_categorical_crossentropy, got \"mean_squared_eror\" (did "
     "you mean 'mean_squared_error'?)"},
    {CSV_DATA ONE_DENSE MSE "output: {plots: [histroy]}\n", CT_ERR_CONFIG, false,
     "bad.yaml:5:18: output.plots[0]: expected one of history, predictions, confusion_matrix, got "
     "\"histroy\" (did you mean 'history'?)"},
    {"data: {parquet: {file: a}}\n" ONE_DENSE MSE, CT_ERR_CONFIG, false,
     "bad.yaml:1:8: data: unknown data source 'parquet'; expected one of csv, cifar10, images"},
    /* ---- types and ranges */
    {"name: sunshine\n"
     "data:\n"
     "  csv:\n"
     "    file: weather_prediction_dataset.csv\n"
     "    target: {column: BASEL_sunshine, shift: 1}\n"
     "train:\n"
     "  loss: mse\n"
     "model:\n"
     "  - dense:\n"
     "      units: 100\n"
     "  - dense:\n"
     "      units: 50\n"
     "  - dense:\n"
     "      units: ten\n",
     CT_ERR_CONFIG, false,
     "bad.yaml:14:14: model[2].dense.units: expected a positive integer, got \"ten\""},
    {CSV_DATA "model:\n  - dense: {units: 0}\n" MSE, CT_ERR_CONFIG, false,
     "bad.yaml:3:20: model[0].dense.units: expected a positive integer, got \"0\""},
    {CSV_DATA "model:\n  - dense: {units: 2.5}\n" MSE, CT_ERR_CONFIG, false,
     "bad.yaml:3:20: model[0].dense.units: expected a positive integer, got \"2.5\""},
    {CSV_DATA "model:\n  - dense: {units: [1]}\n" MSE, CT_ERR_CONFIG, false,
     "bad.yaml:3:20: model[0].dense.units: expected a positive integer, got a list"},
    {CSV_DATA "model:\n  - dense: {units: 99999999999}\n" MSE, CT_ERR_CONFIG, false,
     "bad.yaml:3:20: model[0].dense.units: expected a positive integer, got \"99999999999\""},
    {CSV_DATA "model:\n  - dense: {units: }\n" MSE, CT_ERR_CONFIG, false,
     "bad.yaml:3:20: model[0].dense.units: expected a positive integer, got nothing"},
    {CSV_DATA "model:\n  - dropout: {rate: 1.0}\n  - dense: {units: 1}\n" MSE, CT_ERR_CONFIG, false,
     "bad.yaml:3:21: model[0].dropout.rate: expected a number in [0, 1), got \"1.0\""},
    {CSV_DATA "model:\n  - dropout: nan\n  - dense: {units: 1}\n" MSE, CT_ERR_CONFIG, false,
     "bad.yaml:3:14: model[0].dropout.rate: expected a number in [0, 1), got \"nan\""},
    {CSV_DATA ONE_DENSE "train: {loss: mse, batch_size: -1}\n", CT_ERR_CONFIG, false,
     "bad.yaml:4:32: train.batch_size: expected a positive integer, got \"-1\""},
    {CSV_DATA ONE_DENSE "train: {loss: mse, from_logits: yes}\n", CT_ERR_CONFIG, false,
     "bad.yaml:4:33: train.from_logits: expected true or false, got \"yes\""},
    {CSV_DATA ONE_DENSE "train: {loss: mse, validation_split: 1}\n", CT_ERR_CONFIG, false,
     "bad.yaml:4:38: train.validation_split: expected a number in [0, 1), got \"1\""},
    {CSV_DATA ONE_DENSE "train: {loss: mse, optimizer: {adam: {learning_rate: 0}}}\n", CT_ERR_CONFIG,
     false,
     "bad.yaml:4:54: train.optimizer.adam.learning_rate: expected a positive number, got \"0\""},
    {CSV_DATA ONE_DENSE "train: {loss: mse, optimizer: {sgd: {momentum: 1.5}}}\n", CT_ERR_CONFIG,
     false, "bad.yaml:4:48: train.optimizer.sgd.momentum: expected a number in [0, 1], got \"1.5\""},
    {"seed: -1\n" CSV_DATA ONE_DENSE MSE, CT_ERR_CONFIG, false,
     "bad.yaml:1:7: seed: expected an integer from 0 to 9007199254740992, got \"-1\""},
    {"data: {cifar10: {train_batches: 6}}\n" ONE_DENSE SPARSE, CT_ERR_CONFIG, false,
     "bad.yaml:1:33: data.cifar10.train_batches: expected an integer from 1 to 5, got \"6\""},
    {CIFAR_DATA "model:\n  - conv2d: {filters: 8, kernel_size: [3, 3, 3]}\n" SPARSE, CT_ERR_CONFIG,
     false,
     "bad.yaml:3:39: model[0].conv2d.kernel_size: expected a positive integer or a list "
     "[height, width], got a list of 3 items"},
    {CIFAR_DATA "model:\n  - conv2d: {filters: 8, kernel_size: [3, x]}\n" SPARSE, CT_ERR_CONFIG,
     false, "bad.yaml:3:43: model[0].conv2d.kernel_size[1]: expected a positive integer, got \"x\""},
    {CSV_DATA ONE_DENSE MSE "callbacks: {early_stopping: maybe}\n", CT_ERR_CONFIG, false,
     "bad.yaml:5:29: callbacks.early_stopping: expected a mapping of early_stopping settings, true "
     "or false, got \"maybe\""},
    {"name: \"\"\n" CSV_DATA ONE_DENSE MSE, CT_ERR_CONFIG, false,
     "bad.yaml:1:7: name: expected a non-empty string or null, got \"\""},
    {"data: {csv: {file: \"a\\0b\", target: y}}\n" ONE_DENSE MSE, CT_ERR_CONFIG, false,
     "bad.yaml:1:20: data.csv.file: expected a string without NUL characters"},
    {CSV_DATA "model: {dense: {units: 1}}\n" MSE, CT_ERR_CONFIG, false,
     "bad.yaml:2:8: model: expected a list of layer types (items like '- dense: {...}'; dense, "
     "conv2d, max_pooling2d, average_pooling2d, flatten, dropout, batch_normalization, "
     "activation, global_average_pooling2d, global_max_pooling2d, leaky_relu, rescaling, reshape, "
     "random_flip, random_translation, random_rotation, random_zoom, random_crop, add, concatenate), got a mapping"},
    {CSV_DATA "model:\n  - flatten: 5\n  - dense: {units: 1}\n" MSE, CT_ERR_CONFIG, false,
     "bad.yaml:3:14: model[0].flatten: expected a mapping of flatten settings (name, inputs), got \"5\""},
    {CSV_DATA ONE_DENSE "train: {loss: mse, metrics: [rmse, root_mean_squared_error]}\n",
     CT_ERR_CONFIG, false,
     "bad.yaml:4:36: train.metrics[1]: metric 'root_mean_squared_error' is listed twice (as 'rmse' "
     "before)"},
    /* ---- shapes of items */
    {CSV_DATA "model:\n  - dense:\n    units: 1\n" MSE, CT_ERR_CONFIG, false,
     "bad.yaml:4:5: model[0]: unexpected key 'units' beside 'dense': settings go inside, as "
     "dense: {units: ...}"},
    {CSV_DATA "model:\n  - {dense: {units: 1}, flatten: {}}\n" MSE, CT_ERR_CONFIG, false,
     "bad.yaml:3:25: model[0]: expected one layer type, got two: 'dense' and 'flatten' (start "
     "each item with '-')"},
    {"data: {csv: {file: a, target: y}, cifar10: {}}\n" ONE_DENSE MSE, CT_ERR_CONFIG, false,
     "bad.yaml:1:35: data: expected one data source, got two: 'csv' and 'cifar10'"},
    {CSV_DATA "model:\n  - {}\n" MSE, CT_ERR_CONFIG, false,
     "bad.yaml:3:5: model[0]: expected one layer type (dense, conv2d, max_pooling2d, "
     "average_pooling2d, flatten, dropout, batch_normalization, activation, global_average_pooling2d, "
     "global_max_pooling2d, leaky_relu, rescaling, reshape, "
     "random_flip, random_translation, random_rotation, random_zoom, random_crop, add, concatenate), got an empty mapping"},
    /* ---- missing keys */
    {ONE_DENSE MSE, CT_ERR_CONFIG, false, "bad.yaml:1:1: missing required key 'data'"},
    {CSV_DATA MSE, CT_ERR_CONFIG, false, "bad.yaml:1:1: missing required key 'model'"},
    {CSV_DATA ONE_DENSE, CT_ERR_CONFIG, false,
     "bad.yaml:1:1: missing required key 'train' (with at least 'loss')"},
    {CSV_DATA ONE_DENSE "train: {epochs: 3}\n", CT_ERR_CONFIG, false,
     "bad.yaml:4:8: train: missing required key 'loss'"},
    {CSV_DATA "model:\n  - dense: {activation: relu}\n" MSE, CT_ERR_CONFIG, false,
     "bad.yaml:3:12: model[0].dense: missing required key 'units'"},
    {CSV_DATA "model:\n  - dense\n" MSE, CT_ERR_CONFIG, false,
     "bad.yaml:3:5: model[0].dense: missing required key 'units'"},
    {"data: {csv: {file: w.csv}}\n" ONE_DENSE MSE, CT_ERR_CONFIG, false,
     "bad.yaml:1:13: data.csv: missing required key 'target' (with at least 'column')"},
    {"data: {csv: {target: y}}\n" ONE_DENSE MSE, CT_ERR_CONFIG, false,
     "bad.yaml:1:13: data.csv: missing required key 'file'"},
    {CSV_DATA ONE_DENSE MSE "evaluate: {baselines: [persistence]}\n", CT_ERR_CONFIG, false,
     "bad.yaml:5:24: evaluate.baselines[0].persistence: missing required key 'column'"},

    /* ---- cross-field (ct_experiment_validate) */
    {"data: {csv: {file: w.csv, target: y, split: {train: 0.85, validation: 0, test: 0.15}}}\n"
     ONE_DENSE MSE "callbacks:\n  early_stopping: {patience: 3}\n",
     CT_ERR_CONFIG, true,
     "bad.yaml:6:19: callbacks.early_stopping.monitor: 'val_loss' needs validation data, but the "
     "experiment has none: set data.csv.split.validation or train.validation_split, or monitor "
     "'loss'"},
    {CSV_DATA ONE_DENSE "train: {loss: mse, metrics: [rmse]}\n"
     "callbacks:\n  early_stopping: {monitor: val_rsme}\n",
     CT_ERR_CONFIG, true,
     "bad.yaml:6:29: callbacks.early_stopping.monitor: 'val_rsme' is not recorded during training "
     "(did you mean 'val_rmse'?); choose one of loss, val_loss, rmse, val_rmse"},
    {CSV_DATA ONE_DENSE "train: {loss: mse, metrics: [rmse]}\n"
     "callbacks:\n  early_stopping: {monitor: val_mae}\n",
     CT_ERR_CONFIG, true,
     "bad.yaml:6:29: callbacks.early_stopping.monitor: 'val_mae' is not recorded: add mae to "
     "train.metrics (recorded now: loss, val_loss, rmse, val_rmse)"},
    {CSV_DATA ONE_DENSE "train: {loss: mse, metrics: [rmse, accuracy]}\n", CT_ERR_CONFIG, true,
     "bad.yaml:4:36: train.metrics[1]: 'accuracy' does not fit loss mse: accuracy needs a "
     "classification loss (binary_crossentropy, categorical_crossentropy or "
     "sparse_categorical_crossentropy): use rmse, mse or mae"},
    {CIFAR_DATA "model:\n  - flatten\n  - dense: {units: 10}\n"
     "train: {loss: sparse_categorical_crossentropy, from_logits: true, metrics: "
     "[categorical_accuracy]}\n",
     CT_ERR_CONFIG, true,
     "bad.yaml:5:77: train.metrics[0]: 'categorical_accuracy' does not fit loss "
     "sparse_categorical_crossentropy: it needs one-hot labels; with class-index labels use "
     "sparse_categorical_accuracy"},
    {CSV_DATA ONE_DENSE "train: {loss: mse, from_logits: true}\n", CT_ERR_CONFIG, true,
     "bad.yaml:4:33: train.from_logits: applies to crossentropy losses only, not mse"},
    {CIFAR_DATA "model:\n  - conv2d: {filters: 32, kernel_size: 3}\n  - dense: {units: 10}\n" SPARSE,
     CT_ERR_CONFIG, true,
     "bad.yaml:4:12: model[1].dense: Dense needs flat input, but model[0] (conv2d) outputs 30x30x32 "
     "images: add '- flatten' before this layer"},
    {CIFAR_DATA "model:\n  - dense: {units: 10}\n" SPARSE, CT_ERR_CONFIG, true,
     "bad.yaml:3:12: model[0].dense: Dense needs flat input, but the CIFAR-10 images are 32x32x3: "
     "add '- flatten' before this layer"},
    {CSV_DATA "model:\n  - conv2d: {filters: 8, kernel_size: 3}\n  - flatten\n  - dense: {units: 1}\n"
     MSE, CT_ERR_CONFIG, true,
     "bad.yaml:3:13: model[0].conv2d: conv2d needs images (height x width x channels), but the CSV "
     "data gives flat feature vectors"},
    {CIFAR_DATA "model:\n  - reshape: {target_shape: [16, 16, -1]}\n  - reshape: {target_shape: [7, -1, -1]}\n"
     "  - flatten\n  - dense: 10\n" SPARSE, CT_ERR_CONFIG, false, "bad.yaml:4:29: model[1].reshape: target_shape: only one entry may be -1"},
    {CIFAR_DATA "model:\n  - reshape: {target_shape: [100, -1]}\n  - flatten\n  - dense: 10\n" SPARSE, CT_ERR_CONFIG,
     false,
     "bad.yaml:3:29: model[0].reshape: target_shape: expected [size] (flat) or [height, width, channels], got 2 "
     "entries"},
    {CIFAR_DATA "model:\n  - reshape: {target_shape: [5, 5, 5]}\n  - flatten\n  - dense: 10\n" SPARSE, CT_ERR_CONFIG,
     true,
     "bad.yaml:3:29: model[0].reshape.target_shape: 3072 values per sample do not fit this shape"},
    {CSV_DATA "model:\n  - dense: {units: 4}\n  - leaky_relu: -0.1\n  - dense: {units: 1}\n" MSE, CT_ERR_CONFIG,
     false, "bad.yaml:4:17: model[1].leaky_relu.negative_slope: expected a number >= 0, got \"-0.1\""},
    {CSV_DATA "model:\n  - global_average_pooling2d\n  - dense: {units: 1}\n" MSE, CT_ERR_CONFIG, true,
     "bad.yaml:3:5: model[0].global_average_pooling2d: global_average_pooling2d needs images (height x "
     "width x channels), but the CSV data gives flat feature vectors"},
    {CIFAR_DATA "model:\n  - global_max_pooling2d: {keepdims: true}\n  - dense: {units: 10}\n" SPARSE,
     CT_ERR_CONFIG, true,
     "bad.yaml:4:12: model[1].dense: Dense needs flat input, but model[0] (global_max_pooling2d) outputs "
     "1x1x3 images: add '- flatten' before this layer"},
    {CIFAR_DATA "model:\n  - flatten\n  - max_pooling2d\n  - dense: {units: 10}\n" SPARSE,
     CT_ERR_CONFIG, true,
     "bad.yaml:4:5: model[1].max_pooling2d: max_pooling2d needs images, but model[0] (flatten) has "
     "already made the data flat"},
    {CIFAR_DATA "model:\n  - conv2d: {filters: 8, kernel_size: 3, strides: 10}\n"
     "  - max_pooling2d: {pool_size: 4}\n  - flatten\n  - dense: {units: 10}\n" SPARSE,
     CT_ERR_CONFIG, true,
     "bad.yaml:4:32: model[1].max_pooling2d.pool_size: [4, 4] is larger than this layer's 3x3x8 "
     "input (padding valid)"},
    {CIFAR_DATA "model:\n  - conv2d: {filters: 8, kernel_size: [33, 3]}\n  - flatten\n"
     "  - dense: {units: 10}\n" SPARSE,
     CT_ERR_CONFIG, true,
     "bad.yaml:3:39: model[0].conv2d.kernel_size: [33, 3] is larger than this layer's 32x32x3 "
     "input (padding valid)"},
    {CIFAR_DATA "model:\n  - conv2d: {filters: 8, kernel_size: 3}\n" SPARSE, CT_ERR_CONFIG, true,
     "bad.yaml:3:5: model[0]: the model ends with 30x30x8 images: add '- flatten' and a dense "
     "output layer"},
    {CIFAR_DATA "model:\n  - flatten\n  - dense: {units: 5}\n" SPARSE, CT_ERR_CONFIG, true,
     "bad.yaml:4:20: model[1].dense.units: the model outputs 5 values, but CIFAR-10 has 10 "
     "classes: the last dense layer needs units: 10"},
    {CSV_DATA "model:\n  - dense: {units: 50, activation: relu}\n" MSE, CT_ERR_CONFIG, true,
     "bad.yaml:3:20: model[0].dense.units: the model outputs 50 values, but the target is one "
     "column (y): the last dense layer needs units: 1"},
    {CIFAR_DATA "model:\n  - flatten\n  - dense: {units: 10, activation: softmax}\n" SPARSE,
     CT_ERR_CONFIG, true,
     "bad.yaml:4:36: model[1].dense.activation: the output layer applies softmax, but "
     "train.from_logits: true expects raw scores (logits): use activation linear, or from_logits: "
     "false"},
    {CIFAR_DATA "model:\n  - flatten\n  - dense: {units: 10}\n"
     "train: {loss: sparse_categorical_crossentropy}\n",
     CT_ERR_CONFIG, true,
     "bad.yaml:5:8: train.from_logits: is false, so sparse_categorical_crossentropy expects "
     "probabilities, but the output layer's activation is linear: set from_logits: true (the model "
     "outputs logits) or end with activation softmax"},
    {CIFAR_DATA "model:\n  - flatten\n  - dense: {units: 10}\n" MSE, CT_ERR_CONFIG, true,
     "bad.yaml:5:15: train.loss: CIFAR-10 labels are class indices 0..9, not regression targets: "
     "use sparse_categorical_crossentropy"},
    {"data: {csv: {file: w.csv, target: y, split: {train: 0.8, test: 0.2}}}\n" ONE_DENSE MSE,
     CT_ERR_CONFIG, true,
     "bad.yaml:1:45: data.csv.split: fractions must sum to 1, got train 0.8 + validation 0.15 + "
     "test 0.2 = 1.15 (unset fractions default to 0.7, 0.15, 0.15)"},
    {"data: {csv: {file: w.csv, target: y, split: {shuffle: false, random_state: 0}}}\n" ONE_DENSE MSE,
     CT_ERR_CONFIG, true,
     "bad.yaml:1:76: data.csv.split.random_state: a random_state shuffles the samples, but shuffle "
     "is false: drop one of the two"},
    {"data: {csv: {file: w.csv, target: y, split: {random_state: -1}}}\n" ONE_DENSE MSE,
     CT_ERR_CONFIG, false,
     "bad.yaml:1:60: data.csv.split.random_state: expected an integer from 0 to 4294967295 or null, got \"-1\""},
    {"data: {csv: {file: w.csv, target: y, rows: {first: 10, last: 5}}}\n" ONE_DENSE MSE,
     CT_ERR_CONFIG, true, "bad.yaml:1:62: data.csv.rows.last: last row 5 comes before first row 10"},
    {"data: {csv: {file: w.csv, target: y, sha256: abc}}\n" ONE_DENSE MSE, CT_ERR_CONFIG, true,
     "bad.yaml:1:46: data.csv.sha256: expected 64 hexadecimal digits, got 'abc' (3 characters)"},
    {"data: {csv: {file: w.csv, target: y, url: ftp://example.org/w.csv}}\n" ONE_DENSE MSE,
     CT_ERR_CONFIG, true,
     "bad.yaml:1:43: data.csv.url: 'ftp://example.org/w.csv' is not an https://, http:// or "
     "file:// URL"},
    {CSV_DATA "model:\n  - dense: {units: 4, name: hidden}\n  - dense: {units: 1, name: hidden}\n" MSE,
     CT_ERR_CONFIG, true, "bad.yaml:4:29: model[1].dense.name: layer name 'hidden' is already used by model[0]"},
    /* ---- graph models: inputs, add, concatenate */
    {CSV_DATA "model:\n  - dense: {units: 4, name: a}\n  - dense: {units: 4, name: b}\n  - add: {inputs: [a, bb]}\n"
     "  - dense: {units: 1}\n" MSE,
     CT_ERR_CONFIG, true,
     "bad.yaml:5:23: model[2].add.inputs[1]: no layer is named 'bb' (did you mean 'b'?): inputs name layers above "
     "this one, or 'input' for the data"},
    {CSV_DATA "model:\n  - dense: {units: 4, name: a, inputs: [b]}\n  - dense: {units: 4, name: b}\n"
     "  - dense: {units: 1}\n" MSE,
     CT_ERR_CONFIG, true,
     "bad.yaml:3:41: model[0].dense.inputs[0]: 'b' is model[1], below this layer: a layer takes inputs only from "
     "layers above it (which also rules out cycles)"},
    {CSV_DATA "model:\n  - dense: {units: 4, name: a}\n  - dense: {units: 5, name: b}\n  - add: {inputs: [a, b]}\n"
     "  - dense: {units: 1}\n" MSE,
     CT_ERR_CONFIG, true,
     "bad.yaml:5:19: model[2].add.inputs: 'a' gives 4 values but 'b' gives 5 values: add needs inputs of one shape"},
    {CSV_DATA "model:\n  - dense: {units: 4, name: a}\n  - dense: {units: 5, name: b}\n"
     "  - dense: {units: 1, inputs: [a]}\n" MSE,
     CT_ERR_CONFIG, true,
     "bad.yaml:4:12: model[1].dense: the output of 'b' goes nowhere: no later layer lists it in inputs (and the "
     "next layer, model[2], names its own inputs); the last layer is the model's output"},
    {CSV_DATA "model:\n  - dense: {units: 4, name: a}\n  - add: {inputs: [a]}\n  - dense: {units: 1}\n" MSE,
     CT_ERR_CONFIG, true,
     "bad.yaml:4:19: model[1].add.inputs: a merge layer takes two or more inputs: write inputs: [a, b] with the "
     "names of the layers it joins"},
    {CSV_DATA "model:\n  - dense: {units: 4, name: input}\n  - dense: {units: 1}\n" MSE, CT_ERR_CONFIG, true,
     "bad.yaml:3:29: model[0].dense.name: 'input' names the model's data in inputs: choose another name"},
    {CSV_DATA "model:\n  - dense: {units: 4, name: a}\n  - dense: {units: 4, name: b}\n"
     "  - concatenate: {inputs: [a, b], axis: 0}\n  - dense: {units: 1}\n" MSE,
     CT_ERR_CONFIG, true,
     "bad.yaml:5:41: model[2].concatenate.axis: 0: only the last axis is supported (-1, or 1 for these flat "
     "inputs)"},
    {CSV_DATA "model:\n  - dense: {units: 4, name: a}\n  - dense: {units: 4, name: b, inputs: [a, input]}\n"
     "  - dense: {units: 1}\n" MSE,
     CT_ERR_CONFIG, true,
     "bad.yaml:4:40: model[1].dense.inputs: a dense layer takes one input, not 2: join them first with an add or "
     "concatenate layer"},
    {CSV_DATA "model:\n  - dense: {units: 4, name: a}\n  - dense: {units: 4, name: b, imputs: [a]}\n"
     "  - dense: {units: 1}\n" MSE,
     CT_ERR_CONFIG, false, "bad.yaml:4:32: model[1].dense: unknown key 'imputs' (did you mean 'inputs'?)"},
    {"data: {cifar10: {train_batches: 1}}\nmodel:\n  - conv2d: {filters: 4, kernel_size: 3, name: a}\n"
     "  - flatten: {name: f}\n  - concatenate: {inputs: [a, f]}\n  - flatten\n  - dense: {units: 10}\n" SPARSE,
     CT_ERR_CONFIG, true,
     "bad.yaml:5:27: model[2].concatenate.inputs: 'a' gives 30x30x4 images but 'f' gives 3600 values: "
     "concatenate joins the last axis, the others must agree"},
    {CIFAR_DATA "model:\n  - flatten\n  - dense: {units: 10}\n" SPARSE
     "evaluate: {baselines: [{persistence: x}]}\n",
     CT_ERR_CONFIG, true,
     "bad.yaml:6:38: evaluate.baselines[0].persistence: persistence baselines need CSV data (a "
     "series in time)"},
    {"data: {csv: {file: w.csv, target: y}}\n" ONE_DENSE MSE "evaluate: {baselines: [persistence: y]}\n",
     CT_ERR_CONFIG, true,
     "bad.yaml:5:37: evaluate.baselines[0].persistence: with data.csv.target.shift 0 it would "
     "predict y by itself: persistence needs shift >= 1"},
    {CSV_DATA ONE_DENSE "train: {loss: mse, validation_split: 0.2}\n", CT_ERR_CONFIG, true,
     "bad.yaml:4:38: train.validation_split: the data already has a validation split "
     "(data.csv.split.validation): use one source of validation data"},
    {"data: {cifar10: {train_batches: 1, train_subset: 20000}}\n"
     "model:\n  - flatten\n  - dense: {units: 10}\n" SPARSE,
     CT_ERR_CONFIG, true,
     "bad.yaml:1:50: data.cifar10.train_subset: asks for 20000 images, but train_batches: 1 hold "
     "10000"},
    {"name: my run\n" CSV_DATA ONE_DENSE MSE, CT_ERR_CONFIG, true,
     "bad.yaml:1:7: name: 'my run' cannot name a run directory: use letters, digits, '_', '-' and "
     "'.' (not first)"},
    {CSV_DATA "model: []\n" MSE, CT_ERR_CONFIG, true,
     "bad.yaml:2:8: model: needs at least one layer, such as '- dense: {units: 1}'"},
    {CSV_DATA ONE_DENSE MSE "output: {plots: [history, confusion_matrix]}\n", CT_ERR_CONFIG, true,
     "bad.yaml:5:17: output.plots: confusion_matrix needs a classification loss, not mse"},
};

START_TEST(test_bad_file)
{
    const bad_case *c = &bad_cases[_i];
    ct_experiment *exp = NULL;
    ct_status s = ct_experiment_parse_string(c->yaml, "bad.yaml", &exp);
    if (c->after_validate) {
        ck_assert_msg(s == CT_OK, "case %d should parse, got: %s", _i, ct_last_error());
        s = ct_experiment_validate(exp);
        ct_experiment_free(exp);
    } else {
        ck_assert_ptr_null(exp);
    }
    ck_assert_msg(s == c->status, "case %d: status %s, expected %s (%s)", _i, ct_status_name(s),
                  ct_status_name(c->status), ct_last_error());
    ck_assert_str_eq(ct_last_error(), c->message);
}
END_TEST

/* ==================================================================== values */

START_TEST(test_defaults_filled)
{
    ct_experiment *exp = valid_ok(CSV_DATA ONE_DENSE MSE);
    ck_assert_str_eq(exp->name, "ok"); /* from "ok.yaml" */
    ck_assert_ptr_null(exp->description);
    ck_assert_int_eq(exp->seed, 0);
    ck_assert_int_eq(exp->data.kind, CT_DATA_CSV);
    const ct_csv_spec *csv = &exp->data.csv;
    ck_assert_str_eq(csv->file, "w.csv");
    ck_assert_ptr_null(csv->url);
    ck_assert_ptr_null(csv->sha256);
    ck_assert_int_eq(csv->rows.first, 0);
    ck_assert(!csv->rows.has_last);
    ck_assert_int_eq(csv->features.columns.count + csv->features.prefixes.count +
                         csv->features.globs.count + csv->features.drop.count, 0);
    ck_assert_str_eq(csv->target.column, "y");
    ck_assert_int_eq(csv->target.shift, 1);
    ck_assert_double_eq(csv->split.train, 0.7);
    ck_assert_double_eq(csv->split.validation, 0.15);
    ck_assert_double_eq(csv->split.test, 0.15);
    ck_assert(csv->split.shuffle && !csv->standardize && !csv->drop_missing);

    const ct_layer_spec *d = &exp->model.layers[0];
    ck_assert_int_eq(exp->model.layer_count, 1);
    ck_assert_int_eq(d->kind, CT_LAYER_DENSE);
    ck_assert_str_eq(d->name, "dense");
    ck_assert_int_eq(d->dense.units, 1);
    ck_assert_int_eq(d->dense.activation, CT_ACTIVATION_LINEAR);
    ck_assert(d->dense.use_bias);
    ck_assert_int_eq(d->dense.kernel_initializer, CT_INIT_GLOROT_UNIFORM);
    ck_assert_int_eq(d->dense.bias_initializer, CT_INIT_ZEROS);

    const ct_train_spec *t = &exp->train;
    ck_assert_int_eq(t->loss, CT_LOSS_MSE);
    ck_assert(!t->from_logits);
    ck_assert_int_eq(t->metric_count, 0);
    ck_assert_int_eq(t->optimizer.kind, CT_OPTIMIZER_RMSPROP); /* Keras' compile() default */
    ck_assert_double_eq(t->optimizer.rmsprop.learning_rate, 0.001);
    ck_assert_double_eq(t->optimizer.rmsprop.rho, 0.9);
    ck_assert_double_eq(t->optimizer.rmsprop.momentum, 0.0);
    ck_assert_double_eq(t->optimizer.rmsprop.epsilon, 1e-7);
    ck_assert_int_eq(t->batch_size, 32);
    ck_assert_int_eq(t->epochs, 1);
    ck_assert(t->shuffle);
    ck_assert_double_eq(t->validation_split, 0.0);

    const ct_early_stopping_spec *es = &exp->callbacks.early_stopping;
    ck_assert(!es->enabled);
    ck_assert_str_eq(es->monitor, "val_loss");
    ck_assert_int_eq(es->patience, 0);
    ck_assert_double_eq(es->min_delta, 0.0);
    ck_assert_int_eq(es->mode, CT_MODE_AUTO);
    ck_assert(!es->has_baseline && !es->restore_best_weights);
    ck_assert_int_eq(es->start_from_epoch, 0);
    ck_assert_int_eq(exp->evaluate.baseline_count, 0);
    ck_assert_ptr_null(exp->output.dir);
    ck_assert_uint_eq(exp->output.plots, CT_PLOT_ALL);
    ck_assert(ct_experiment_has_validation(exp));
    ct_experiment_free(exp);
}
END_TEST

START_TEST(test_every_layer_and_option)
{
    ct_experiment *exp = valid_ok(
        "name: everything\n"
        "description: \"all the keys: \\\"quoted\\\", caf\xc3\xa9\"\n"
        "seed: 42\n"
        "data:\n"
        "  cifar10:\n"
        "    train_batches: 2\n"
        "    train_subset: 12000\n"
        "    test_subset: 500\n"
        "    scale: false\n"
        "    use_test_as_validation: true\n"
        "model:\n"
        "  - batch_normalization: {momentum: 0.9, epsilon: 0.01, center: false}\n"
        "  - conv2d: {filters: 16, kernel_size: [5, 3], strides: 2, padding: same,\n"
        "             activation: elu, use_bias: false, kernel_initializer: he_normal,\n"
        "             bias_initializer: ones, name: first}\n"
        "  - average_pooling2d: {pool_size: 3, strides: 1}\n"
        "  - max_pooling2d\n"
        "  - activation: leaky_relu\n"
        "  - dropout: 0.25\n"
        "  - flatten\n"
        "  - dense: 64\n"
        "  - activation: {activation: tanh}\n"
        "  - dense: {units: 10, activation: softmax}\n"
        "train:\n"
        "  loss: categorical_crossentropy\n"
        "  metrics: [categorical_accuracy, acc]\n"
        "  optimizer: {sgd: {learning_rate: 0.1, momentum: 0.9, nesterov: true}}\n"
        "  batch_size: 64\n"
        "  epochs: 3\n"
        "  shuffle: false\n"
        "callbacks:\n"
        "  early_stopping: {monitor: val_accuracy, min_delta: 0.001, patience: 2, mode: max,\n"
        "                   baseline: 0.5, restore_best_weights: true, start_from_epoch: 1}\n"
        "output: {dir: runs/mine, plots: [history, confusion_matrix]}\n");
    ck_assert_str_eq(exp->name, "everything");
    ck_assert_str_eq(exp->description, "all the keys: \"quoted\", caf\xc3\xa9");
    ck_assert_int_eq(exp->seed, 42);
    const ct_cifar10_spec *c = &exp->data.cifar10;
    ck_assert_int_eq(exp->data.kind, CT_DATA_CIFAR10);
    ck_assert_str_eq(c->dir, "cifar-10-batches-bin");
    ck_assert_str_eq(c->url, "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz");
    ck_assert_str_eq(c->sha256, "c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd");
    ck_assert_int_eq(c->train_batches, 2);
    ck_assert_int_eq(c->train_subset, 12000);
    ck_assert_int_eq(c->test_subset, 500);
    ck_assert(!c->scale && c->use_test_as_validation);

    const ct_layer_spec *l = exp->model.layers;
    ck_assert_int_eq(exp->model.layer_count, 10);
    ck_assert_int_eq(l[0].kind, CT_LAYER_BATCH_NORMALIZATION);
    ck_assert_double_eq(l[0].batch_normalization.momentum, 0.9);
    ck_assert_double_eq(l[0].batch_normalization.epsilon, 0.01);
    ck_assert(!l[0].batch_normalization.center && l[0].batch_normalization.scale);
    ck_assert_str_eq(l[0].name, "batch_normalization");
    ck_assert_int_eq(l[1].kind, CT_LAYER_CONV2D);
    ck_assert_int_eq(l[1].conv2d.filters, 16);
    ck_assert_int_eq(l[1].conv2d.kernel_size[0], 5);
    ck_assert_int_eq(l[1].conv2d.kernel_size[1], 3);
    ck_assert_int_eq(l[1].conv2d.strides[0], 2);
    ck_assert_int_eq(l[1].conv2d.strides[1], 2);
    ck_assert_int_eq(l[1].conv2d.padding, CT_PADDING_SAME);
    ck_assert_int_eq(l[1].conv2d.activation, CT_ACTIVATION_ELU);
    ck_assert(!l[1].conv2d.use_bias);
    ck_assert_int_eq(l[1].conv2d.kernel_initializer, CT_INIT_HE_NORMAL);
    ck_assert_int_eq(l[1].conv2d.bias_initializer, CT_INIT_ONES);
    ck_assert_str_eq(l[1].name, "first");
    ck_assert_int_eq(l[2].kind, CT_LAYER_AVERAGE_POOLING2D);
    ck_assert_int_eq(l[2].pooling.pool_size[0], 3);
    ck_assert_int_eq(l[2].pooling.strides[1], 1);
    ck_assert_int_eq(l[3].kind, CT_LAYER_MAX_POOLING2D);
    ck_assert_int_eq(l[3].pooling.pool_size[0], 2);
    ck_assert_int_eq(l[3].pooling.strides[0], 2); /* Keras: strides default to pool_size */
    ck_assert_int_eq(l[3].pooling.padding, CT_PADDING_VALID);
    ck_assert_int_eq(l[4].activation.activation, CT_ACTIVATION_LEAKY_RELU);
    ck_assert_str_eq(l[4].name, "activation");
    ck_assert_double_eq(l[5].dropout.rate, 0.25);
    ck_assert_int_eq(l[6].kind, CT_LAYER_FLATTEN);
    ck_assert_int_eq(l[7].dense.units, 64);
    ck_assert_str_eq(l[7].name, "dense");
    ck_assert_int_eq(l[8].activation.activation, CT_ACTIVATION_TANH);
    ck_assert_str_eq(l[8].name, "activation_1");
    ck_assert_int_eq(l[9].dense.activation, CT_ACTIVATION_SOFTMAX);
    ck_assert_str_eq(l[9].name, "dense_1");

    const ct_train_spec *t = &exp->train;
    ck_assert_int_eq(t->loss, CT_LOSS_CATEGORICAL_CROSSENTROPY);
    ck_assert_int_eq(t->metric_count, 2);
    ck_assert_int_eq(t->metrics[0], CT_METRIC_CATEGORICAL_ACCURACY);
    ck_assert_int_eq(t->metrics[1], CT_METRIC_ACCURACY); /* "acc" alias */
    ck_assert_int_eq(t->optimizer.kind, CT_OPTIMIZER_SGD);
    ck_assert_double_eq(t->optimizer.sgd.learning_rate, 0.1);
    ck_assert_double_eq(t->optimizer.sgd.momentum, 0.9);
    ck_assert(t->optimizer.sgd.nesterov);
    ck_assert_int_eq(t->batch_size, 64);
    ck_assert_int_eq(t->epochs, 3);
    ck_assert(!t->shuffle);

    const ct_early_stopping_spec *es = &exp->callbacks.early_stopping;
    ck_assert(es->enabled);
    ck_assert_str_eq(es->monitor, "val_accuracy");
    ck_assert_double_eq(es->min_delta, 0.001);
    ck_assert_int_eq(es->patience, 2);
    ck_assert_int_eq(es->mode, CT_MODE_MAX);
    ck_assert(es->has_baseline);
    ck_assert_double_eq(es->baseline, 0.5);
    ck_assert(es->restore_best_weights);
    ck_assert_int_eq(es->start_from_epoch, 1);
    ck_assert(es->monitor_validation && !es->monitor_loss && es->maximize);
    ck_assert_int_eq(es->monitor_metric, CT_METRIC_ACCURACY);
    ck_assert_str_eq(exp->output.dir, "runs/mine");
    ck_assert_uint_eq(exp->output.plots, CT_PLOT_HISTORY | CT_PLOT_CONFUSION_MATRIX);
    ct_experiment_free(exp);
}
END_TEST

START_TEST(test_short_forms_and_aliases)
{
    /* Parsed only: shift 0 with a persistence baseline on the target is a
     * cross-field error (in the catalogue). */
    ct_experiment *exp = parse_ok(
        "data:\n"
        "  csv:\n"
        "    file: w.csv\n"
        "    target: BASEL_sunshine\n"                      /* target: NAME */
        "    features: {prefixes: BASEL_, globs: ['*_temp_mean'], drop: DATE}\n" /* lone strings */
        "    rows: {last: 100}\n"
        "    split: {train: 0.5, validation: 0.25, test: 0.25, shuffle: false}\n"
        "    standardize: true\n"
        "    drop_missing: True\n"
        "model:\n"
        "  - dense: {units: 8, activation: sigmoid}\n"
        "  - dense: 1\n"                                    /* dense: UNITS */
        "train:\n"
        "  loss: mean_absolute_error\n"
        "  metrics: root_mean_squared_error\n"
        "  optimizer: {adam: {learning_rate: 1e-4}}\n"
        "callbacks:\n"
        "  early_stopping:\n"                               /* empty: on, with defaults */
        "evaluate:\n"
        "  baselines:\n"
        "    - persistence: {column: BASEL_sunshine}\n");
    const ct_csv_spec *csv = &exp->data.csv;
    ck_assert_str_eq(csv->target.column, "BASEL_sunshine");
    ck_assert_int_eq(csv->target.shift, 0);
    ck_assert_int_eq(csv->features.prefixes.count, 1);
    ck_assert_str_eq(csv->features.prefixes.items[0], "BASEL_");
    ck_assert_str_eq(csv->features.globs.items[0], "*_temp_mean");
    ck_assert_str_eq(csv->features.drop.items[0], "DATE");
    ck_assert(csv->rows.has_last);
    ck_assert_int_eq(csv->rows.last, 100);
    ck_assert(!csv->split.shuffle && csv->standardize && csv->drop_missing);
    ck_assert_int_eq(exp->model.layers[1].dense.units, 1);
    ck_assert_int_eq(exp->train.loss, CT_LOSS_MAE);
    ck_assert_int_eq(exp->train.metric_count, 1);
    ck_assert_int_eq(exp->train.metrics[0], CT_METRIC_RMSE);
    ck_assert_int_eq(exp->train.optimizer.kind, CT_OPTIMIZER_ADAM);
    ck_assert_double_eq(exp->train.optimizer.adam.learning_rate, 1e-4);
    ck_assert_double_eq(exp->train.optimizer.adam.beta_2, 0.999);
    ck_assert_double_eq(exp->train.optimizer.adam.epsilon, 1e-7);
    ck_assert(exp->callbacks.early_stopping.enabled);
    ck_assert_str_eq(exp->callbacks.early_stopping.monitor, "val_loss");
    ck_assert(exp->callbacks.early_stopping.monitor_loss);
    ck_assert(!exp->callbacks.early_stopping.maximize);
    ck_assert_int_eq(exp->evaluate.baseline_count, 1);
    ck_assert_int_eq(exp->evaluate.baselines[0].kind, CT_BASELINE_PERSISTENCE);
    ck_assert_str_eq(exp->evaluate.baselines[0].column, "BASEL_sunshine");
    ct_experiment_free(exp);

    /* A data source by bare name: the official CIFAR-10 with every default. */
    exp = valid_ok("data: cifar10\nmodel: [flatten, {dense: 10}]\n" SPARSE);
    ck_assert_int_eq(exp->data.kind, CT_DATA_CIFAR10);
    ck_assert_int_eq(exp->data.cifar10.train_batches, 5);
    ck_assert_int_eq(exp->data.cifar10.train_subset, 0);
    ck_assert(exp->data.cifar10.scale && !exp->data.cifar10.use_test_as_validation);
    ct_experiment_free(exp);

    /* `early_stopping: true` / `false`, and a monitor by its Keras name. */
    exp = valid_ok(CSV_DATA ONE_DENSE "train: {loss: mse, metrics: [rmse]}\n"
                   "callbacks: {early_stopping: true}\n");
    ck_assert(exp->callbacks.early_stopping.enabled);
    ct_experiment_free(exp);
    exp = valid_ok(CSV_DATA ONE_DENSE "train: {loss: mse, metrics: [rmse]}\n"
                   "callbacks: {early_stopping: {monitor: val_root_mean_squared_error}}\n");
    ck_assert(exp->callbacks.early_stopping.monitor_validation);
    ck_assert_int_eq(exp->callbacks.early_stopping.monitor_metric, CT_METRIC_RMSE);
    ck_assert(!exp->callbacks.early_stopping.maximize);
    ct_experiment_free(exp);
}
END_TEST

/* The training options' short forms and defaults (Keras' values). */
START_TEST(test_training_option_defaults)
{
    ct_experiment *exp = parse_ok(
        "data: {csv: {file: w.csv, target: y}}\n"
        "model:\n"
        "  - dense: {units: 8, kernel_regularizer: l2}\n"
        "  - dense: {units: 4, kernel_regularizer: l1_l2}\n"
        "  - dense: {units: 1, kernel_regularizer: {l1: 0.5}}\n"
        "train:\n"
        "  loss: mse\n"
        "  optimizer: adamw\n"
        "  learning_rate_schedule: {cosine_decay: {initial_learning_rate: 0.1, decay_steps: 10}}\n"
        "callbacks:\n"
        "  reduce_lr_on_plateau:\n");
    const ct_layer_spec *l = exp->model.layers;
    ck_assert(l[0].dense.kernel_regularizer.enabled && l[0].dense.kernel_regularizer.kind == CT_REGULARIZER_L2);
    ck_assert(l[0].dense.kernel_regularizer.l2 == 0.01 && l[0].dense.kernel_regularizer.l1 == 0);
    ck_assert(l[1].dense.kernel_regularizer.l1 == 0 && l[1].dense.kernel_regularizer.l2 == 0); /* L1L2() */
    ck_assert(l[2].dense.kernel_regularizer.kind == CT_REGULARIZER_L1 && l[2].dense.kernel_regularizer.l1 == 0.5);
    const ct_optimizer_spec *o = &exp->train.optimizer;
    ck_assert(o->kind == CT_OPTIMIZER_ADAMW && o->adamw.weight_decay == 0.004 && o->adamw.learning_rate == 0.001);
    ck_assert(!o->clip.has_clipnorm && o->clip.clipnorm == 0);
    const ct_lr_schedule_spec *sch = &exp->train.learning_rate_schedule;
    ck_assert(sch->enabled && sch->kind == CT_LR_SCHEDULE_COSINE_DECAY && sch->cosine.alpha == 0 &&
              !sch->cosine.has_warmup_target && sch->cosine.warmup_steps == 0);
    const ct_reduce_lr_spec *r = &exp->callbacks.reduce_lr_on_plateau;
    ck_assert(r->enabled && !strcmp(r->monitor, "val_loss") && r->factor == 0.1 && r->patience == 10 &&
              r->min_delta == 1e-4 && r->cooldown == 0 && r->min_lr == 0 && r->mode == CT_MODE_AUTO);
    ck_assert(exp->train.label_smoothing == 0 && exp->train.class_weight_count == 0);
    ct_experiment_free(exp);
}
END_TEST

START_TEST(test_names)
{
    ck_assert_str_eq(ct_activation_name(CT_ACTIVATION_LEAKY_RELU), "leaky_relu");
    ck_assert_str_eq(ct_initializer_name(CT_INIT_HE_UNIFORM), "he_uniform");
    ck_assert_str_eq(ct_padding_name(CT_PADDING_SAME), "same");
    ck_assert_str_eq(ct_loss_name(CT_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY),
                     "sparse_categorical_crossentropy");
    ck_assert_str_eq(ct_metric_name(CT_METRIC_RMSE), "rmse");
    ck_assert_str_eq(ct_metric_keras_name(CT_METRIC_RMSE), "root_mean_squared_error");
    ck_assert_str_eq(ct_metric_keras_name(CT_METRIC_ACCURACY), "accuracy");
    ck_assert_str_eq(ct_optimizer_name(CT_OPTIMIZER_RMSPROP), "rmsprop");
    ck_assert_str_eq(ct_monitor_mode_name(CT_MODE_MAX), "max");
    ck_assert_str_eq(ct_layer_kind_name(CT_LAYER_BATCH_NORMALIZATION), "batch_normalization");
    ck_assert_str_eq(ct_data_kind_name(CT_DATA_CIFAR10), "cifar10");
    ck_assert_str_eq(ct_layer_kind_name((ct_layer_kind)99), "?");
    ck_assert_str_eq(ct_activation_name((ct_activation)-1), "?");
}
END_TEST

/* The schema's variant keys spell the kinds as src/core/names.c does. */
START_TEST(test_variant_keys_are_the_names)
{
    for (size_t i = 0; i < xp_layer_variants.count; i++)
        ck_assert_str_eq(xp_layer_variants.variants[i].key,
                         ct_layer_kind_name((ct_layer_kind)xp_layer_variants.variants[i].kind));
    for (size_t i = 0; i < xp_optimizer_variants.count; i++)
        ck_assert_str_eq(xp_optimizer_variants.variants[i].key,
                         ct_optimizer_name((ct_optimizer_kind)xp_optimizer_variants.variants[i].kind));
    for (size_t i = 0; i < xp_data_variants.count; i++)
        ck_assert_str_eq(xp_data_variants.variants[i].key,
                         ct_data_kind_name((ct_data_kind)xp_data_variants.variants[i].kind));
    ck_assert_uint_eq(xp_layer_variants.count, CT_LAYER_COUNT);
    ck_assert_uint_eq(xp_optimizer_variants.count, CT_OPTIMIZER_COUNT);
}
END_TEST

/* ------------------------------------------------------------------- docs */

/* A key counts as documented when experiments/README.md shows it in code,
 * alone or as a part of a dotted path: `key`, `rows.first`, `key: ...`. */
static bool documented(const char *doc, const char *key)
{
    size_t n = strlen(key);
    for (const char *p = strstr(doc, key); p; p = strstr(p + 1, key)) {
        char before = p > doc ? p[-1] : ' ', after = p[n];
        if ((before == '`' || before == '.' || before == '{' || before == ' ') &&
            (after == '`' || after == '.' || after == ':') && (before != ' ' || after == ':'))
            return true;
    }
    return false;
}

static void undocumented_keys(const char *doc, const section *s, char *missing, size_t size);

static void undocumented_variants(const char *doc, const variant_set *v, char *missing, size_t size)
{
    for (size_t i = 0; i < v->count; i++) {
        if (!documented(doc, v->variants[i].key))
            snprintf(missing + strlen(missing), size - strlen(missing), " %s", v->variants[i].key);
        undocumented_keys(doc, v->variants[i].body, missing, size);
    }
}

static void undocumented_keys(const char *doc, const section *s, char *missing, size_t size)
{
    for (size_t i = 0; i < s->count; i++) {
        const field *f = &s->fields[i];
        if (!documented(doc, f->key))
            snprintf(missing + strlen(missing), size - strlen(missing), " %s", f->key);
        if (f->section)
            undocumented_keys(doc, f->section, missing, size);
        if (f->variants)
            undocumented_variants(doc, f->variants, missing, size);
    }
}

/* Every key of the schema (src/experiment/schema_tables.c) is in the README. */
START_TEST(test_every_schema_key_documented)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/experiments/README.md", source_dir());
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
    static char doc[1 << 20];
    size_t n = fread(doc, 1, sizeof doc - 1, f);
    fclose(f);
    doc[n] = '\0';
    char missing[4096] = "";
    undocumented_keys(doc, &xp_experiment_section, missing, sizeof missing);
    ck_assert_msg(missing[0] == '\0', "keys missing from experiments/README.md:%s", missing);
    /* The check itself can fail: a key the README never shows. */
    ck_assert(!documented(doc, "no_such_key_anywhere"));
}
END_TEST

START_TEST(test_load_errors)
{
    ct_experiment *exp = (ct_experiment *)1;
    ck_assert_int_eq(ct_experiment_load("/nonexistent/x.yaml", &exp), CT_ERR_IO);
    ck_assert_ptr_null(exp);
    ck_assert_str_eq(ct_last_error(),
                     "cannot open experiment file /nonexistent/x.yaml: No such file or directory");
    ck_assert_int_eq(ct_experiment_load(tmp_dir(), &exp), CT_ERR_IO);
    ck_assert_ptr_nonnull(strstr(ct_last_error(), "Is a directory"));
    ck_assert_int_eq(ct_experiment_load(NULL, &exp), CT_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(ct_experiment_parse_string(NULL, "x", &exp), CT_ERR_INVALID_ARGUMENT);

    /* A file: its path names errors and the default experiment name. */
    const char text[] = CSV_DATA ONE_DENSE MSE;
    char *path = write_temp(text, sizeof text - 1, ".yaml");
    ck_assert_int_eq(ct_experiment_load(path, &exp), CT_OK);
    ck_assert_str_eq(exp->source_path, path);
    ck_assert_ptr_nonnull(strstr(path, exp->name)); /* test_experiment_XXXXXX */
    ck_assert_ptr_null(strchr(exp->name, '.'));
    ct_experiment_free(exp);

    /* NUL bytes inside a file are not text. */
    const char nul[] = "name: a\0b\n";
    path = write_temp(nul, sizeof nul - 1, ".yaml");
    ck_assert_int_eq(ct_experiment_load(path, &exp), CT_ERR_PARSE);
    ck_assert_ptr_nonnull(strstr(ct_last_error(), ":1:8: cannot read the text: control characters "
                                                  "are not allowed"));
    ct_experiment_free(NULL);
}
END_TEST

/* ================================================================= overrides */

START_TEST(test_set_good)
{
    ct_experiment *exp = parse_ok(CSV_DATA "model:\n  - dense: {units: 4, activation: relu}\n"
                                  "  - dense: {units: 1}\n"
                                  "train: {loss: mse, optimizer: adam, epochs: 200}\n");
    ck_assert_int_eq(ct_experiment_set(exp, "train.epochs=5"), CT_OK);
    ck_assert_int_eq(exp->train.epochs, 5);
    ck_assert_int_eq(ct_experiment_set(exp, "model[0].dense.units=10"), CT_OK);
    ck_assert_int_eq(exp->model.layers[0].dense.units, 10);
    ck_assert_int_eq(exp->model.layers[0].dense.activation, CT_ACTIVATION_RELU); /* kept */

    /* A section the file does not have. */
    ck_assert(!exp->callbacks.early_stopping.enabled);
    ck_assert_int_eq(ct_experiment_set(exp, "callbacks.early_stopping.patience=3"), CT_OK);
    ck_assert(exp->callbacks.early_stopping.enabled);
    ck_assert_int_eq(exp->callbacks.early_stopping.patience, 3);
    ck_assert_str_eq(exp->callbacks.early_stopping.monitor, "val_loss");
    ck_assert_int_eq(ct_experiment_set(exp, "callbacks.early_stopping=false"), CT_OK);
    ck_assert(!exp->callbacks.early_stopping.enabled);

    /* Refine a bare name, then replace it. */
    ck_assert_int_eq(ct_experiment_set(exp, "train.optimizer.adam.learning_rate=0.01"), CT_OK);
    ck_assert_int_eq(exp->train.optimizer.kind, CT_OPTIMIZER_ADAM);
    ck_assert_double_eq(exp->train.optimizer.adam.learning_rate, 0.01);
    ck_assert_int_eq(ct_experiment_set(exp, "train.optimizer=sgd"), CT_OK);
    ck_assert_int_eq(exp->train.optimizer.kind, CT_OPTIMIZER_SGD);
    ck_assert_double_eq(exp->train.optimizer.sgd.learning_rate, 0.01);

    /* YAML values: lists, mappings, whole layers, quoted strings. */
    ck_assert_int_eq(ct_experiment_set(exp, "train.metrics=[rmse, mae]"), CT_OK);
    ck_assert_int_eq(exp->train.metric_count, 2);
    ck_assert_int_eq(exp->train.metrics[1], CT_METRIC_MAE);
    ck_assert_int_eq(ct_experiment_set(exp, "model[1]={dense: {units: 1, activation: linear}}"), CT_OK);
    ck_assert_int_eq(ct_experiment_set(exp, "data.csv.split={train: 0.8, validation: 0.1, test: 0.1}"),
                     CT_OK);
    ck_assert_double_eq(exp->data.csv.split.train, 0.8);
    ck_assert_int_eq(ct_experiment_set(exp, "data.csv.target.column=\"true\""), CT_OK);
    ck_assert_str_eq(exp->data.csv.target.column, "true");
    ck_assert_int_eq(ct_experiment_set(exp, "name=other-name"), CT_OK);
    ck_assert_str_eq(exp->name, "other-name");
    ck_assert_int_eq(ct_experiment_set(exp, "output.dir=runs/x=y"), CT_OK); /* first '=' splits */
    ck_assert_str_eq(exp->output.dir, "runs/x=y");
    ck_assert_int_eq(ct_experiment_validate(exp), CT_OK);

    /* The effective config reflects the overrides and reads back the same. */
    char *yaml = to_yaml(exp);
    ck_assert_ptr_nonnull(strstr(yaml, "  epochs: 5\n"));
    ck_assert_ptr_nonnull(strstr(yaml, "optimizer: {sgd: {learning_rate: 0.01, momentum: 0.0, "
                                       "nesterov: false}}"));
    ck_assert_ptr_nonnull(strstr(yaml, "target: {column: \"true\", shift: 1}"));
    ct_experiment *back = parse_ok(yaml);
    char *again = to_yaml(back);
    ck_assert_str_eq(again, yaml);
    free(again);
    free(yaml);
    ct_experiment_free(back);
    ct_experiment_free(exp);

    exp = parse_ok("data: {cifar10: {train_batches: 1}}\nmodel: [flatten, {dense: 10}]\n" SPARSE);
    ck_assert_int_eq(ct_experiment_set(exp, "data.cifar10.train_subset=500"), CT_OK);
    ck_assert_int_eq(exp->data.cifar10.train_subset, 500);
    ct_experiment_free(exp);
}
END_TEST

typedef struct {
    const char *assignment;
    const char *message;
} bad_set;

static const bad_set bad_sets[] = {
    {"train.epochs", "--set train.epochs: expected KEY.PATH=VALUE, such as train.epochs=5"},
    {"=5", "--set =5: empty key path (expected KEY.PATH=VALUE, such as train.epochs=5)"},
    {"train..epochs=1", "--set train..epochs=1: bad key path 'train..epochs': expected a key name "
                        "at character 7"},
    {"model[x]=1", "--set model[x]=1: bad key path 'model[x]': expected [INDEX] with a number at "
                   "character 7"},
    {"train.epochs=ten", "--set train.epochs=ten: train.epochs: expected a positive integer, got "
                         "\"ten\""},
    {"train.epochs=0", "--set train.epochs=0: train.epochs: expected a positive integer, got \"0\""},
    {"train.epochs=", "--set train.epochs=: train.epochs: expected a positive integer, got nothing"},
    {"train.epoch=5", "--set train.epoch=5: train: unknown key 'epoch' (did you mean 'epochs'?)"},
    {"trian.epochs=5", "--set trian.epochs=5: unknown key 'trian' (did you mean 'train'?)"},
    {"model[3].dense.units=5", "--set model[3].dense.units=5: model has 2 items (indices from 0): "
                               "[3] is out of range"},
    {"model.dense.units=5", "--set model.dense.units=5: model is a list: use model[INDEX]"},
    {"train.epochs.max=5", "--set train.epochs.max=5: train.epochs is \"200\", not a mapping: it "
                           "has no key 'max' (to replace the value: --set train.epochs=...)"},
    {"train[0]=5", "--set train[0]=5: train is a mapping, not a list: [0] does not apply"},
    {"model[0].dense.units=[1", "--set model[0].dense.units=[1: YAML syntax error: did not find "
                                "expected ',' or ']' (while parsing a flow sequence)"},
    {"train.optimizer.sgd.momentum=0.5",
     "--set train.optimizer.sgd.momentum=0.5: train.optimizer is \"adam\", not a mapping: it has "
     "no key 'sgd' (to replace the value: --set train.optimizer=...)"},
    {"model[0].dense.activation=rleu",
     "--set model[0].dense.activation=rleu: model[0].dense.activation: expected one of linear, "
     "relu, sigmoid, tanh, softmax, leaky_relu, elu, gelu, gelu_approximate, silu, selu, softplus, "
     "got \"rleu\" (did you mean 'relu'?)"},
    {"train.metrics=[rmse, rmse]",
     "--set train.metrics=[rmse, rmse]: train.metrics[1]: metric 'rmse' is listed twice (as 'rmse' "
     "before)"},
};

START_TEST(test_set_bad)
{
    const bad_set *c = &bad_sets[_i];
    ct_experiment *exp = parse_ok(CSV_DATA "model:\n  - dense: {units: 4}\n  - dense: {units: 1}\n"
                                  "train: {loss: mse, optimizer: adam, epochs: 200}\n");
    char *before = to_yaml(exp);
    ct_status s = ct_experiment_set(exp, c->assignment);
    ck_assert_msg(s == CT_ERR_CONFIG || s == CT_ERR_PARSE, "case %d: %s", _i, ct_status_name(s));
    ck_assert_str_eq(ct_last_error(), c->message);
    /* A failed override changes nothing, and later ones still work. */
    char *after = to_yaml(exp);
    ck_assert_str_eq(after, before);
    ck_assert_int_eq(ct_experiment_set(exp, "train.epochs=7"), CT_OK);
    ck_assert_int_eq(exp->train.epochs, 7);
    free(before);
    free(after);
    ct_experiment_free(exp);
}
END_TEST

START_TEST(test_set_then_validate_points_at_set)
{
    ct_experiment *exp = parse_ok(CSV_DATA ONE_DENSE "train: {loss: mse, metrics: [rmse]}\n");
    ck_assert_int_eq(ct_experiment_set(exp, "callbacks.early_stopping.monitor=val_rsme"), CT_OK);
    ck_assert_int_eq(ct_experiment_validate(exp), CT_ERR_CONFIG);
    ck_assert_str_eq(ct_last_error(),
                     "--set callbacks.early_stopping.monitor=val_rsme: callbacks.early_stopping.monitor: "
                     "'val_rsme' is not recorded during training (did you mean 'val_rmse'?); choose "
                     "one of loss, val_loss, rmse, val_rmse");
    /* A later override fixes it: cross-field checks run after all overrides. */
    ck_assert_int_eq(ct_experiment_set(exp, "callbacks.early_stopping.monitor=val_rmse"), CT_OK);
    ck_assert_int_eq(ct_experiment_validate(exp), CT_OK);

    char where[256];
    ck_assert_str_eq(ct_experiment_where(exp, "data.csv.target.column", where, sizeof where), "ok.yaml:1:44");
    ck_assert_str_eq(ct_experiment_where(exp, "model[0].dense.units", where, sizeof where), "ok.yaml:3:20");
    ck_assert_str_eq(ct_experiment_where(exp, "train.epochs", where, sizeof where), "ok.yaml:4:8");
    ck_assert_str_eq(ct_experiment_where(exp, "callbacks.early_stopping.monitor", where, sizeof where),
                     "--set callbacks.early_stopping.monitor=val_rmse");
    ck_assert_str_eq(ct_experiment_where(exp, "no such [path", where, sizeof where), "ok.yaml:1:1");
    ct_experiment_free(exp);
}
END_TEST

/* ======================================================= effective config */

START_TEST(test_write_yaml_exact)
{
    ct_experiment *exp = valid_ok(CSV_DATA ONE_DENSE MSE);
    char *yaml = to_yaml(exp);
    ck_assert_str_eq(yaml,
                     "# Effective configuration: every default filled in.\n"
                     "name: ok\n"
                     "seed: 0\n"
                     "data:\n"
                     "  csv:\n"
                     "    file: w.csv\n"
                     "    url: null\n"
                     "    sha256: null\n"
                     "    rows: {first: 0, last: null}\n"
                     "    features: {columns: [], prefixes: [], globs: [], drop: []}\n"
                     "    target: {column: y, shift: 1}\n"
                     "    split: {train: 0.7, validation: 0.15, test: 0.15, shuffle: true, random_state: null}\n"
                     "    standardize: false\n"
                     "    drop_missing: false\n"
                     "model:\n"
                     "  - dense: {units: 1, activation: linear, use_bias: true, kernel_initializer: "
                     "glorot_uniform, bias_initializer: zeros, name: dense}\n"
                     "train:\n"
                     "  loss: mse\n"
                     "  from_logits: false\n"
                     "  label_smoothing: 0.0\n"
                     "  class_weight: []\n"
                     "  metrics: []\n"
                     "  optimizer: {rmsprop: {learning_rate: 0.001, rho: 0.9, momentum: 0.0, "
                     "epsilon: 1e-07}}\n"
                     "  batch_size: 32\n"
                     "  epochs: 1\n"
                     "  shuffle: true\n"
                     "  validation_split: 0.0\n"
                     "  checkpoint_every: 1.0\n"
                     "callbacks:\n"
                     "  early_stopping: false\n"
                     "  model_checkpoint: false\n"
                     "evaluate:\n"
                     "  baselines: []\n"
                     "output:\n"
                     "  dir: null\n"
                     "  plots: true\n");
    free(yaml);
    ct_experiment_free(exp);
}
END_TEST

/* Write, read back, write again: the same text and the same values. */
static void check_round_trip(const ct_experiment *exp)
{
    char *first = to_yaml(exp);
    ct_experiment *back = NULL;
    ct_status s = ct_experiment_parse_string(first, exp->source_path, &back);
    ck_assert_msg(s == CT_OK, "effective config of %s does not parse: %s\n%s", exp->source_path,
                  ct_last_error(), first);
    ck_assert_int_eq(ct_experiment_validate(back), CT_OK);
    char *second = to_yaml(back);
    ck_assert_str_eq(second, first);

    ck_assert_str_eq(back->name, exp->name);
    ck_assert_int_eq(back->seed, exp->seed);
    ck_assert_int_eq(back->data.kind, exp->data.kind);
    ck_assert_int_eq(back->model.layer_count, exp->model.layer_count);
    for (size_t i = 0; i < exp->model.layer_count; i++) {
        ck_assert_int_eq(back->model.layers[i].kind, exp->model.layers[i].kind);
        ck_assert_str_eq(back->model.layers[i].name, exp->model.layers[i].name);
    }
    ck_assert_int_eq(back->train.loss, exp->train.loss);
    ck_assert_int_eq(back->train.epochs, exp->train.epochs);
    ck_assert_int_eq(back->train.optimizer.kind, exp->train.optimizer.kind);
    ck_assert_int_eq(back->callbacks.early_stopping.enabled, exp->callbacks.early_stopping.enabled);
    ck_assert_int_eq(back->evaluate.baseline_count, exp->evaluate.baseline_count);
    free(first);
    free(second);
    ct_experiment_free(back);
}

START_TEST(test_round_trip_tricky_values)
{
    ct_experiment *exp = valid_ok(
        "name: tricky\n"
        "description: \"line one\\nline two\\ttab \\\\ back, colon: hash # and 'quotes'\"\n"
        "seed: 9007199254740992\n"
        "data:\n"
        "  csv:\n"
        "    file: \"my data/w e.csv\"\n"
        "    url: file:///tmp/w.csv\n"
        "    sha256: 9BACFC5DDE79EDDCF855C1C0F304686ED66A1CFAF3059BFD9FEFC9139EE7CCA8\n"
        "    target: {column: \"123\", shift: 2}\n"
        "    features: {columns: [\"null\", \"yes\", \"~\", \"-x\", \"a: b\", \"[x]\", \"1e5\", \"\xc3\xa9t\xc3\xa9\"]}\n"
        "    split: {train: 0.6000000000000001, validation: 0.3, test: 0.09999999999999998}\n"
        "model:\n"
        "  - dense: {units: 1, name: \"out put\"}\n"
        "train:\n"
        "  loss: mse\n"
        "  optimizer: {rmsprop: {learning_rate: 3.3e-05, rho: 0.123456789012345678, epsilon: 1e-300}}\n"
        "callbacks:\n"
        "  early_stopping: {baseline: -2.5, min_delta: 1e-12}\n"
        "output: {dir: \"runs/a b\", plots: false}\n");
    ck_assert_str_eq(exp->data.csv.features.columns.items[4], "a: b");
    ck_assert_double_eq(exp->train.optimizer.rmsprop.rho, 0.123456789012345678);
    check_round_trip(exp);
    char *yaml = to_yaml(exp);
    ct_experiment *back = parse_ok(yaml);
    free(yaml);
    ck_assert_str_eq(back->description, exp->description);
    ck_assert_double_eq(back->train.optimizer.rmsprop.rho, exp->train.optimizer.rmsprop.rho);
    ck_assert_double_eq(back->train.optimizer.rmsprop.epsilon, 1e-300);
    ck_assert_double_eq(back->data.csv.split.train, 0.6000000000000001);
    ck_assert_double_eq(back->callbacks.early_stopping.baseline, -2.5);
    ck_assert_int_eq(back->seed, 9007199254740992LL);
    ck_assert_uint_eq(back->output.plots, 0);
    for (size_t i = 0; i < exp->data.csv.features.columns.count; i++)
        ck_assert_str_eq(back->data.csv.features.columns.items[i],
                         exp->data.csv.features.columns.items[i]);
    ct_experiment_free(back);
    ct_experiment_free(exp);
}
END_TEST

/* ===================================================== shipped experiments */

/* Keras parameter count of a sequential model on CIFAR-10 (32x32x3) or on
 * n_features CSV inputs, from the spec alone. */
static long keras_params(const ct_experiment *exp, long n_features)
{
    long h = 32, w = 32, c = 3, flat = n_features, total = 0;
    bool image = exp->data.kind == CT_DATA_CIFAR10;
    for (size_t i = 0; i < exp->model.layer_count; i++) {
        const ct_layer_spec *l = &exp->model.layers[i];
        switch (l->kind) {
        case CT_LAYER_CONV2D: {
            const ct_conv2d_spec *k = &l->conv2d;
            total += (long)k->kernel_size[0] * k->kernel_size[1] * c * k->filters + (k->use_bias ? k->filters : 0);
            h = (h - k->kernel_size[0]) / k->strides[0] + 1;
            w = (w - k->kernel_size[1]) / k->strides[1] + 1;
            c = k->filters;
            break;
        }
        case CT_LAYER_MAX_POOLING2D:
        case CT_LAYER_AVERAGE_POOLING2D:
            h = (h - l->pooling.pool_size[0]) / l->pooling.strides[0] + 1;
            w = (w - l->pooling.pool_size[1]) / l->pooling.strides[1] + 1;
            break;
        case CT_LAYER_FLATTEN:
            if (image)
                flat = h * w * c;
            image = false;
            break;
        case CT_LAYER_DENSE:
            total += flat * l->dense.units + (l->dense.use_bias ? l->dense.units : 0);
            flat = l->dense.units;
            break;
        case CT_LAYER_BATCH_NORMALIZATION:
            total += 4 * (image ? c : flat); /* gamma, beta, moving mean, moving variance */
            break;
        default:
            break;
        }
    }
    return total;
}

static ct_experiment *load_shipped(const char *name)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/experiments/%s", source_dir(), name);
    ct_experiment *exp = NULL;
    ct_status s = ct_experiment_open(path, NULL, 0, &exp);
    ck_assert_msg(s == CT_OK, "%s: %s", path, ct_last_error());
    return exp;
}

START_TEST(test_shipped_experiments_all_valid)
{
    char dir_path[4200];
    snprintf(dir_path, sizeof dir_path, "%s/experiments", source_dir());
    DIR *dir = opendir(dir_path);
    ck_assert_msg(dir != NULL, "cannot open %s", dir_path);
    int count = 0;
    struct dirent *e;
    while ((e = readdir(dir))) {
        size_t n = strlen(e->d_name);
        if (n < 6 || strcmp(e->d_name + n - 5, ".yaml"))
            continue;
        ct_experiment *exp = load_shipped(e->d_name);
        char stem[256];
        snprintf(stem, sizeof stem, "%.*s", (int)(n - 5), e->d_name);
        ck_assert_str_eq(exp->name, stem); /* the file's name is the experiment's */
        check_round_trip(exp);
        ct_experiment_free(exp);
        count++;
    }
    closedir(dir);
    ck_assert_int_ge(count, 8);
}
END_TEST

START_TEST(test_shipped_sunshine)
{
    ct_experiment *exp = load_shipped("sunshine.yaml");
    const ct_csv_spec *csv = &exp->data.csv;
    ck_assert_int_eq(exp->data.kind, CT_DATA_CSV);
    ck_assert_str_eq(csv->file, "weather_prediction_dataset.csv");
    ck_assert_str_eq(csv->url, "https://zenodo.org/record/5071376/files/weather_prediction_dataset.csv?download=1");
    ck_assert_str_eq(csv->sha256, "9bacfc5dde79eddcf855c1c0f304686ed66a1cfaf3059bfd9fefc9139ee7cca8");
    ck_assert_int_eq(csv->rows.first, 0);
    ck_assert(csv->rows.has_last);
    ck_assert_int_eq(csv->rows.last, 365 * 3);
    ck_assert_int_eq(csv->features.drop.count, 2);
    ck_assert_str_eq(csv->features.drop.items[0], "DATE");
    ck_assert_str_eq(csv->features.drop.items[1], "MONTH");
    ck_assert_str_eq(csv->target.column, "BASEL_sunshine");
    ck_assert_int_eq(csv->target.shift, 1);
    ck_assert_double_eq(csv->split.train, 0.7);
    ck_assert_double_eq(csv->split.validation, 0.15);
    ck_assert_double_eq(csv->split.test, 0.15);
    ck_assert_int_eq(exp->model.layer_count, 3);
    ck_assert_int_eq(exp->model.layers[0].dense.units, 100);
    ck_assert_int_eq(exp->model.layers[0].dense.activation, CT_ACTIVATION_RELU);
    ck_assert_int_eq(exp->model.layers[1].dense.units, 50);
    ck_assert_int_eq(exp->model.layers[2].dense.units, 1);
    ck_assert_int_eq(exp->model.layers[2].dense.activation, CT_ACTIVATION_LINEAR);
    /* The workshop's light CSV has 89 features: 9000 + 5050 + 51 as in its summary.
     * The full CSV the experiment names has 163 (165 columns - DATE - MONTH). */
    ck_assert_int_eq(keras_params(exp, 89), 9000 + 5050 + 51);
    ck_assert_int_eq(keras_params(exp, 163), 16400 + 5050 + 51);
    ck_assert_int_eq(exp->train.loss, CT_LOSS_MSE);
    ck_assert_int_eq(exp->train.metric_count, 1);
    ck_assert_int_eq(exp->train.metrics[0], CT_METRIC_RMSE);
    ck_assert_int_eq(exp->train.optimizer.kind, CT_OPTIMIZER_ADAM);
    ck_assert_double_eq(exp->train.optimizer.adam.learning_rate, 0.001);
    ck_assert_int_eq(exp->train.batch_size, 32);
    ck_assert_int_eq(exp->train.epochs, 200);
    ck_assert(!exp->callbacks.early_stopping.enabled);
    ck_assert_int_eq(exp->evaluate.baseline_count, 1);
    ck_assert_str_eq(exp->evaluate.baselines[0].column, "BASEL_sunshine");
    ct_experiment_free(exp);

    exp = load_shipped("sunshine_small.yaml");
    ck_assert_int_eq(exp->model.layers[0].dense.units, 10);
    ck_assert_int_eq(exp->model.layers[1].dense.units, 5);
    ck_assert_int_eq(keras_params(exp, 89), 961); /* the workshop's model_small */
    ct_experiment_free(exp);

    exp = load_shipped("sunshine_early_stopping.yaml");
    const ct_early_stopping_spec *es = &exp->callbacks.early_stopping;
    ck_assert(es->enabled);
    ck_assert_str_eq(es->monitor, "val_loss");
    ck_assert_int_eq(es->patience, 10);
    ck_assert(es->monitor_validation && es->monitor_loss && !es->maximize);
    ck_assert(!es->restore_best_weights);
    ct_experiment_free(exp);

    exp = load_shipped("sunshine_dropout_batchnorm.yaml");
    ck_assert_int_eq(exp->model.layers[0].kind, CT_LAYER_BATCH_NORMALIZATION);
    ck_assert_double_eq(exp->model.layers[0].batch_normalization.momentum, 0.99);
    ck_assert_double_eq(exp->model.layers[0].batch_normalization.epsilon, 0.001);
    ck_assert_int_eq(exp->model.layers[2].kind, CT_LAYER_DROPOUT);
    ck_assert_double_eq(exp->model.layers[2].dropout.rate, 0.2);
    ck_assert_int_eq(keras_params(exp, 89), 356 + 9000 + 5050 + 51); /* 14,457 as in the workshop */
    ck_assert(exp->callbacks.early_stopping.enabled);
    ct_experiment_free(exp);
}
END_TEST

START_TEST(test_shipped_cifar10)
{
    ct_experiment *exp = load_shipped("cifar10_cnn.yaml");
    const ct_cifar10_spec *c = &exp->data.cifar10;
    ck_assert_int_eq(exp->data.kind, CT_DATA_CIFAR10);
    ck_assert_str_eq(c->dir, "cifar-10-batches-bin");
    ck_assert_str_eq(c->url, "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz");
    ck_assert_str_eq(c->sha256, "c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd");
    ck_assert_int_eq(c->train_subset, 5000);
    ck_assert(c->scale && c->use_test_as_validation);
    ck_assert_int_eq(exp->model.layer_count, 4);
    ck_assert_int_eq(exp->model.layers[0].conv2d.filters, 32);
    ck_assert_int_eq(exp->model.layers[0].conv2d.kernel_size[0], 3);
    ck_assert_int_eq(exp->model.layers[0].conv2d.kernel_size[1], 3);
    ck_assert_int_eq(exp->model.layers[0].conv2d.activation, CT_ACTIVATION_RELU);
    ck_assert_int_eq(exp->model.layers[2].kind, CT_LAYER_FLATTEN);
    ck_assert_int_eq(exp->model.layers[3].dense.units, 10);
    ck_assert_int_eq(exp->model.layers[3].dense.activation, CT_ACTIVATION_LINEAR);
    ck_assert_int_eq(keras_params(exp, 0), 896 + 9248 + 250890);
    ck_assert_int_eq(exp->train.loss, CT_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY);
    ck_assert(exp->train.from_logits);
    ck_assert_int_eq(exp->train.metrics[0], CT_METRIC_ACCURACY);
    ck_assert_int_eq(exp->train.epochs, 10);
    ck_assert(ct_experiment_has_validation(exp));
    ct_experiment_free(exp);

    exp = load_shipped("cifar10_cnn_pool.yaml");
    ck_assert_int_eq(keras_params(exp, 0), 47370);
    ct_experiment_free(exp);
    exp = load_shipped("cifar10_cnn_deeper.yaml");
    ck_assert_int_eq(keras_params(exp, 0), 36138);
    ct_experiment_free(exp);
    exp = load_shipped("cifar10_dropout.yaml");
    ck_assert_int_eq(keras_params(exp, 0), 36138);
    ck_assert_int_eq(exp->model.layers[5].kind, CT_LAYER_DROPOUT);
    ck_assert_double_eq(exp->model.layers[5].dropout.rate, 0.8);
    ct_experiment_free(exp);
}
END_TEST

/* ================================================================ the CLI */

/* Run `cltrain check ARGS...` with stdout and stderr captured. */
static int run_check(int argc, const char **argv, char **out_text, char **err_text)
{
    char out_path[4200], err_path[4200];
    snprintf(out_path, sizeof out_path, "%s", write_temp("", 0, ".out"));
    snprintf(err_path, sizeof err_path, "%s", write_temp("", 0, ".err"));
    fflush(stdout);
    fflush(stderr);
    int saved_out = dup(1), saved_err = dup(2);
    int fo = open(out_path, O_WRONLY | O_TRUNC), fe = open(err_path, O_WRONLY | O_TRUNC);
    dup2(fo, 1);
    dup2(fe, 2);
    int rc = ct_cmd_check(argc, (char **)argv);
    fflush(stdout);
    fflush(stderr);
    dup2(saved_out, 1);
    dup2(saved_err, 2);
    close(fo);
    close(fe);
    close(saved_out);
    close(saved_err);
    for (int k = 0; k < 2; k++) {
        FILE *f = fopen(k ? err_path : out_path, "r");
        char *buf = calloc(1, 1 << 16);
        size_t n = fread(buf, 1, (1 << 16) - 1, f);
        buf[n] = '\0';
        fclose(f);
        *(k ? err_text : out_text) = buf;
    }
    return rc;
}

START_TEST(test_cli_check)
{
    char path[4200], *out, *err;
    snprintf(path, sizeof path, "%s/experiments/sunshine.yaml", source_dir());
    const char *ok[] = {"check", path, "--set", "train.epochs=3", "--set=model[0].dense.units=7"};
    ck_assert_int_eq(run_check(5, ok, &out, &err), 0);
    ck_assert_str_eq(err, "");
    ck_assert_ptr_nonnull(strstr(out, "\nname: sunshine\n"));
    ck_assert_ptr_nonnull(strstr(out, "\n  epochs: 3\n"));
    ck_assert_ptr_nonnull(strstr(out, "  - dense: {units: 7, activation: relu,"));
    free(out);
    free(err);

    const char *bad[] = {"check", path, "--set", "train.epochs=ten"};
    ck_assert_int_eq(run_check(4, bad, &out, &err), 2);
    ck_assert_str_eq(out, "");
    ck_assert_str_eq(err, "error: --set train.epochs=ten: train.epochs: expected a positive "
                          "integer, got \"ten\"\n");
    free(out);
    free(err);

    const char text[] = CSV_DATA "model:\n  - dense: {units: 1, activation: rleu}\n" MSE;
    char bad_file[4200];
    snprintf(bad_file, sizeof bad_file, "%s", write_temp(text, sizeof text - 1, ".yaml"));
    char expected[4400];
    snprintf(expected, sizeof expected,
             "error: %s:3:35: model[0].dense.activation: expected one of linear, relu, sigmoid, "
             "tanh, softmax, leaky_relu, elu, gelu, gelu_approximate, silu, selu, softplus, got \"rleu\" "
             "(did you mean 'relu'?)\n", bad_file);
    const char *bad2[] = {"check", bad_file};
    ck_assert_int_eq(run_check(2, bad2, &out, &err), 2);
    ck_assert_str_eq(err, expected);
    free(out);
    free(err);

    const char *none[] = {"check"};
    ck_assert_int_eq(run_check(1, none, &out, &err), 2);
    ck_assert_ptr_nonnull(strstr(err, "error: no experiment file\nusage: cltrain check FILE"));
    free(out);
    free(err);
    const char *unknown[] = {"check", path, "--sett", "x=1"};
    ck_assert_int_eq(run_check(4, unknown, &out, &err), 2);
    ck_assert_str_eq(err, "error: unknown option '--sett' (see cltrain check --help)\n");
    free(out);
    free(err);
    const char *dangling[] = {"check", path, "--set"};
    ck_assert_int_eq(run_check(3, dangling, &out, &err), 2);
    ck_assert_str_eq(err, "error: --set needs KEY.PATH=VALUE\n");
    free(out);
    free(err);
    const char *help[] = {"check", "--help"};
    ck_assert_int_eq(run_check(2, help, &out, &err), 0);
    ck_assert_ptr_nonnull(strstr(out, "usage: cltrain check FILE [--set KEY.PATH=VALUE ...]"));
    free(out);
    free(err);
}
END_TEST

/* ================================================================= fuzzing */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t next_random(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* Whatever the text, parsing returns: OK (and then validating, writing and
 * re-reading work), or an error with a message. Never a crash. */
static void parse_anything(const char *text)
{
    ct_experiment *exp = NULL;
    ct_status s = ct_experiment_parse_string(text, "fuzz.yaml", &exp);
    if (s != CT_OK) {
        ck_assert_ptr_null(exp);
        ck_assert_msg(strlen(ct_last_error()) > 0, "status %s without a message", ct_status_name(s));
        ck_assert_msg(!strncmp(ct_last_error(), "fuzz.yaml", 9), "message without the file: %s",
                      ct_last_error());
        return;
    }
    (void)ct_experiment_validate(exp);
    char *yaml = to_yaml(exp);
    ct_experiment *back = NULL;
    ck_assert_msg(ct_experiment_parse_string(yaml, "again.yaml", &back) == CT_OK,
                  "written config does not parse: %s\n%s", ct_last_error(), yaml);
    ct_experiment_free(back);
    free(yaml);
    (void)ct_experiment_set(exp, "model[0].dense.units=3");
    ct_experiment_free(exp);
}

static char *read_shipped(const char *name, size_t *length)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/experiments/%s", source_dir(), name);
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    char *text = calloc(1, 1 << 16);
    *length = fread(text, 1, (1 << 16) - 1, f);
    fclose(f);
    return text;
}

START_TEST(test_fuzz_truncated)
{
    static const char *const files[] = {"sunshine_dropout_batchnorm.yaml", "cifar10_dropout.yaml"};
    for (size_t k = 0; k < 2; k++) {
        size_t length;
        char *text = read_shipped(files[k], &length);
        for (size_t cut = 0; cut <= length; cut++) {
            char saved = text[cut];
            text[cut] = '\0';
            parse_anything(text);
            text[cut] = saved;
        }
        free(text);
    }
}
END_TEST

START_TEST(test_fuzz_mutated)
{
    static const char noise[] = "{}[]:,-#&*!|>'\"%@`\t\n ?~0x\xc3\xff";
    size_t length;
    char *original = read_shipped("sunshine_early_stopping.yaml", &length);
    char *text = malloc(length + 64);
    /* CLTRAIN_FUZZ_ROUNDS=100000 for a longer run (under the sanitizers). */
    const char *env = getenv("CLTRAIN_FUZZ_ROUNDS");
    int rounds = env && atoi(env) > 0 ? atoi(env) : 3000;
    for (int round = 0; round < rounds; round++) {
        memcpy(text, original, length + 1);
        size_t n = length;
        int edits = 1 + (int)(next_random() % 4);
        for (int e = 0; e < edits; e++) {
            size_t at = (size_t)(next_random() % n);
            char c = noise[next_random() % (sizeof noise - 1)];
            switch (next_random() % 3) {
            case 0: /* replace */
                text[at] = c;
                break;
            case 1: /* insert */
                memmove(text + at + 1, text + at, n - at + 1);
                text[at] = c;
                n++;
                break;
            default: /* delete */
                memmove(text + at, text + at + 1, n - at);
                n--;
                break;
            }
        }
        parse_anything(text);
    }
    free(text);
    free(original);

    /* Pathological shapes. */
    char deep[2000];
    size_t o = 0;
    for (int i = 0; i < 500; i++)
        deep[o++] = '[';
    deep[o] = '\0';
    parse_anything(deep);
    ck_assert_ptr_nonnull(strstr(ct_last_error(), "nested deeper than 64 levels"));
    parse_anything("model: [[[[[[[[[[]]]]]]]]]]\n");
    parse_anything("? - a\n  - b\n: c\n");
    parse_anything("%YAML 1.1\n--- !!map\nname: !!str x\n");
    parse_anything("name: |\n  block\n  text\nseed: >\n  7\n");
}
END_TEST

START_TEST(test_suggestions)
{
    /* through the public behaviour: a few typical typos and what they suggest */
    static const struct {
        const char *yaml_key;
        const char *suggestion;
    } typos[] = {{"epoch", "epochs"}, {"batchsize", "batch_size"}, {"metric", "metrics"},
                 {"optimiser", "optimizer"}, {"validation_splitt", "validation_split"}};
    for (size_t i = 0; i < sizeof typos / sizeof typos[0]; i++) {
        char text[512], expected[256];
        snprintf(text, sizeof text, CSV_DATA ONE_DENSE "train: {loss: mse, %s: 1}\n", typos[i].yaml_key);
        ct_experiment *exp = NULL;
        ck_assert_int_eq(ct_experiment_parse_string(text, "t.yaml", &exp), CT_ERR_CONFIG);
        snprintf(expected, sizeof expected, "(did you mean '%s'?)", typos[i].suggestion);
        ck_assert_msg(strstr(ct_last_error(), expected), "%s: %s", typos[i].yaml_key, ct_last_error());
    }
}
END_TEST

static Suite *experiment_suite(void)
{
    Suite *s = suite_create("experiment");
    TCase *tc = tcase_create("parse");
    tcase_add_loop_test(tc, test_bad_file, 0, (int)(sizeof bad_cases / sizeof bad_cases[0]));
    tcase_add_test(tc, test_defaults_filled);
    tcase_add_test(tc, test_every_layer_and_option);
    tcase_add_test(tc, test_short_forms_and_aliases);
    tcase_add_test(tc, test_training_option_defaults);
    tcase_add_test(tc, test_names);
    tcase_add_test(tc, test_variant_keys_are_the_names);
    tcase_add_test(tc, test_load_errors);
    tcase_add_test(tc, test_suggestions);
    suite_add_tcase(s, tc);

    tc = tcase_create("overrides");
    tcase_add_test(tc, test_set_good);
    tcase_add_loop_test(tc, test_set_bad, 0, (int)(sizeof bad_sets / sizeof bad_sets[0]));
    tcase_add_test(tc, test_set_then_validate_points_at_set);
    suite_add_tcase(s, tc);

    tc = tcase_create("effective_config");
    tcase_add_test(tc, test_write_yaml_exact);
    tcase_add_test(tc, test_round_trip_tricky_values);
    suite_add_tcase(s, tc);

    tc = tcase_create("shipped");
    tcase_add_test(tc, test_shipped_experiments_all_valid);
    tcase_add_test(tc, test_shipped_sunshine);
    tcase_add_test(tc, test_shipped_cifar10);
    tcase_add_test(tc, test_cli_check);
    tcase_add_test(tc, test_every_schema_key_documented);
    suite_add_tcase(s, tc);

    tc = tcase_create("fuzz");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_fuzz_truncated);
    tcase_add_test(tc, test_fuzz_mutated);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *runner = srunner_create(experiment_suite());
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
