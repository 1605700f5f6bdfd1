/* The spelling of every enum value in experiment files, and the public
 * ct_*_name() lookups built on the same tables. */
#include "experiment/schema.h"

#define TABLE(var, what_text, ...)                                                        \
    static const enum_entry var##_entries[] = {__VA_ARGS__};                              \
    const enum_table var = {what_text, var##_entries, sizeof var##_entries / sizeof var##_entries[0]}

TABLE(xp_activation_names, "activation",
      {"linear", CT_ACTIVATION_LINEAR, false},
      {"relu", CT_ACTIVATION_RELU, false},
      {"sigmoid", CT_ACTIVATION_SIGMOID, false},
      {"tanh", CT_ACTIVATION_TANH, false},
      {"softmax", CT_ACTIVATION_SOFTMAX, false},
      {"leaky_relu", CT_ACTIVATION_LEAKY_RELU, false},
      {"elu", CT_ACTIVATION_ELU, false});

TABLE(xp_initializer_names, "initializer",
      {"glorot_uniform", CT_INIT_GLOROT_UNIFORM, false},
      {"glorot_normal", CT_INIT_GLOROT_NORMAL, false},
      {"he_uniform", CT_INIT_HE_UNIFORM, false},
      {"he_normal", CT_INIT_HE_NORMAL, false},
      {"lecun_uniform", CT_INIT_LECUN_UNIFORM, false},
      {"lecun_normal", CT_INIT_LECUN_NORMAL, false},
      {"zeros", CT_INIT_ZEROS, false},
      {"ones", CT_INIT_ONES, false});

TABLE(xp_padding_names, "padding",
      {"valid", CT_PADDING_VALID, false},
      {"same", CT_PADDING_SAME, false});

TABLE(xp_loss_names, "loss",
      {"mse", CT_LOSS_MSE, false},
      {"mae", CT_LOSS_MAE, false},
      {"binary_crossentropy", CT_LOSS_BINARY_CROSSENTROPY, false},
      {"categorical_crossentropy", CT_LOSS_CATEGORICAL_CROSSENTROPY, false},
      {"sparse_categorical_crossentropy", CT_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, false},
      {"mean_squared_error", CT_LOSS_MSE, true},
      {"mean_absolute_error", CT_LOSS_MAE, true});

TABLE(xp_metric_names, "metric",
      {"rmse", CT_METRIC_RMSE, false},
      {"mse", CT_METRIC_MSE, false},
      {"mae", CT_METRIC_MAE, false},
      {"accuracy", CT_METRIC_ACCURACY, false},
      {"binary_accuracy", CT_METRIC_BINARY_ACCURACY, false},
      {"categorical_accuracy", CT_METRIC_CATEGORICAL_ACCURACY, false},
      {"sparse_categorical_accuracy", CT_METRIC_SPARSE_CATEGORICAL_ACCURACY, false},
      {"root_mean_squared_error", CT_METRIC_RMSE, true},
      {"mean_squared_error", CT_METRIC_MSE, true},
      {"mean_absolute_error", CT_METRIC_MAE, true},
      {"acc", CT_METRIC_ACCURACY, true});

TABLE(xp_mode_names, "mode",
      {"auto", CT_MODE_AUTO, false},
      {"min", CT_MODE_MIN, false},
      {"max", CT_MODE_MAX, false});

TABLE(xp_plot_names, "plot",
      {"history", CT_PLOT_HISTORY, false},
      {"predictions", CT_PLOT_PREDICTIONS, false},
      {"confusion_matrix", CT_PLOT_CONFUSION_MATRIX, false});

const char *xp_enum_name(const enum_table *t, int value)
{
    for (size_t i = 0; i < t->count; i++)
        if (t->entries[i].value == value && !t->entries[i].alias)
            return t->entries[i].name;
    return NULL;
}

static const char *or_unknown(const char *s) { return s ? s : "?"; }

const char *ct_activation_name(ct_activation a) { return or_unknown(xp_enum_name(&xp_activation_names, (int)a)); }
const char *ct_initializer_name(ct_initializer i) { return or_unknown(xp_enum_name(&xp_initializer_names, (int)i)); }
const char *ct_padding_name(ct_padding p) { return or_unknown(xp_enum_name(&xp_padding_names, (int)p)); }
const char *ct_loss_name(ct_loss l) { return or_unknown(xp_enum_name(&xp_loss_names, (int)l)); }
const char *ct_metric_name(ct_metric m) { return or_unknown(xp_enum_name(&xp_metric_names, (int)m)); }
const char *ct_monitor_mode_name(ct_monitor_mode m) { return or_unknown(xp_enum_name(&xp_mode_names, (int)m)); }

/* Kinds spelled by variant keys: the schema's variant tables are the truth. */
static const char *variant_name(const variant_set *v, int kind)
{
    for (size_t i = 0; i < v->count; i++)
        if (v->variants[i].kind == kind)
            return v->variants[i].key;
    return "?";
}

const char *ct_optimizer_name(ct_optimizer_kind o) { return variant_name(&xp_optimizer_variants, (int)o); }
const char *ct_layer_kind_name(ct_layer_kind k) { return variant_name(&xp_layer_variants, (int)k); }
const char *ct_data_kind_name(ct_data_kind k) { return variant_name(&xp_data_variants, (int)k); }

const char *ct_metric_keras_name(ct_metric m)
{
    static const char *const names[] = {"root_mean_squared_error", "mean_squared_error",
                                        "mean_absolute_error",     "accuracy",
                                        "binary_accuracy",         "categorical_accuracy",
                                        "sparse_categorical_accuracy"};
    return (unsigned)m < CT_METRIC_COUNT ? names[m] : "?";
}
