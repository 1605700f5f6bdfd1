/* The spelling of every shared enum value (Keras' names), aliases after the
 * names, and the public ct_*_name() lookups built on the same tables. */
#include "core/names.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define TABLE(var, what_text, ...)                                                                                     \
    static const ct_name_entry var##_entries[] = {__VA_ARGS__};                                                        \
    const ct_name_table var = {what_text, var##_entries, COUNT(var##_entries)}

/* One name per line, one lookup per line. */
/* clang-format off */
TABLE(ct_activation_names, "activation",
      {"linear", CT_ACTIVATION_LINEAR, false},
      {"relu", CT_ACTIVATION_RELU, false},
      {"sigmoid", CT_ACTIVATION_SIGMOID, false},
      {"tanh", CT_ACTIVATION_TANH, false},
      {"softmax", CT_ACTIVATION_SOFTMAX, false},
      {"leaky_relu", CT_ACTIVATION_LEAKY_RELU, false},
      {"elu", CT_ACTIVATION_ELU, false},
      {"gelu", CT_ACTIVATION_GELU, false},
      {"gelu_approximate", CT_ACTIVATION_GELU_APPROXIMATE, false},
      {"silu", CT_ACTIVATION_SILU, false},
      {"selu", CT_ACTIVATION_SELU, false},
      {"softplus", CT_ACTIVATION_SOFTPLUS, false},
      {"swish", CT_ACTIVATION_SILU, true});
_Static_assert(COUNT(ct_activation_names_entries) == CT_ACTIVATION_COUNT + 1,
               "ct_activation and its names (1 alias) differ");

TABLE(ct_padding_names, "padding",
      {"valid", CT_PADDING_VALID, false},
      {"same", CT_PADDING_SAME, false});
_Static_assert(COUNT(ct_padding_names_entries) == CT_PADDING_COUNT, "a ct_padding without a name");

TABLE(ct_initializer_names, "initializer",
      {"glorot_uniform", CT_INIT_GLOROT_UNIFORM, false},
      {"glorot_normal", CT_INIT_GLOROT_NORMAL, false},
      {"he_uniform", CT_INIT_HE_UNIFORM, false},
      {"he_normal", CT_INIT_HE_NORMAL, false},
      {"lecun_uniform", CT_INIT_LECUN_UNIFORM, false},
      {"lecun_normal", CT_INIT_LECUN_NORMAL, false},
      {"zeros", CT_INIT_ZEROS, false},
      {"ones", CT_INIT_ONES, false});
_Static_assert(COUNT(ct_initializer_names_entries) == CT_INIT_COUNT, "a ct_initializer without a name");

TABLE(ct_layer_kind_names, "layer type",
      {"dense", CT_LAYER_DENSE, false},
      {"conv2d", CT_LAYER_CONV2D, false},
      {"max_pooling2d", CT_LAYER_MAX_POOLING2D, false},
      {"average_pooling2d", CT_LAYER_AVERAGE_POOLING2D, false},
      {"flatten", CT_LAYER_FLATTEN, false},
      {"dropout", CT_LAYER_DROPOUT, false},
      {"batch_normalization", CT_LAYER_BATCH_NORMALIZATION, false},
      {"activation", CT_LAYER_ACTIVATION, false},
      {"global_average_pooling2d", CT_LAYER_GLOBAL_AVERAGE_POOLING2D, false},
      {"global_max_pooling2d", CT_LAYER_GLOBAL_MAX_POOLING2D, false},
      {"leaky_relu", CT_LAYER_LEAKY_RELU, false},
      {"rescaling", CT_LAYER_RESCALING, false},
      {"reshape", CT_LAYER_RESHAPE, false},
      {"random_flip", CT_LAYER_RANDOM_FLIP, false},
      {"random_translation", CT_LAYER_RANDOM_TRANSLATION, false},
      {"random_rotation", CT_LAYER_RANDOM_ROTATION, false},
      {"random_zoom", CT_LAYER_RANDOM_ZOOM, false},
      {"random_crop", CT_LAYER_RANDOM_CROP, false},
      {"add", CT_LAYER_ADD, false},
      {"concatenate", CT_LAYER_CONCATENATE, false});
_Static_assert(COUNT(ct_layer_kind_names_entries) == CT_LAYER_COUNT, "a ct_layer_kind without a name");

/* The augmentation layers' settings (Keras 3's spellings). */
TABLE(ct_fill_mode_names, "fill_mode",
      {"reflect", CT_FILL_REFLECT, false},
      {"wrap", CT_FILL_WRAP, false},
      {"constant", CT_FILL_CONSTANT, false},
      {"nearest", CT_FILL_NEAREST, false});
_Static_assert(COUNT(ct_fill_mode_names_entries) == CT_FILL_MODE_COUNT, "a ct_fill_mode without a name");

TABLE(ct_interpolation_names, "interpolation",
      {"bilinear", CT_INTERPOLATION_BILINEAR, false},
      {"nearest", CT_INTERPOLATION_NEAREST, false});
_Static_assert(COUNT(ct_interpolation_names_entries) == CT_INTERPOLATION_COUNT,
               "a ct_interpolation without a name");

TABLE(ct_flip_mode_names, "flip mode",
      {"horizontal", CT_FLIP_HORIZONTAL, false},
      {"vertical", CT_FLIP_VERTICAL, false},
      {"horizontal_and_vertical", CT_FLIP_HORIZONTAL_AND_VERTICAL, false});
_Static_assert(COUNT(ct_flip_mode_names_entries) == CT_FLIP_MODE_COUNT, "a ct_flip_mode without a name");

/* Aliases follow the names: the count of names is the enum's count. */
TABLE(ct_loss_names, "loss",
      {"mse", CT_LOSS_MSE, false},
      {"mae", CT_LOSS_MAE, false},
      {"binary_crossentropy", CT_LOSS_BINARY_CROSSENTROPY, false},
      {"categorical_crossentropy", CT_LOSS_CATEGORICAL_CROSSENTROPY, false},
      {"sparse_categorical_crossentropy", CT_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, false},
      {"mean_squared_error", CT_LOSS_MSE, true},
      {"mean_absolute_error", CT_LOSS_MAE, true});
_Static_assert(COUNT(ct_loss_names_entries) == CT_LOSS_COUNT + 2, "ct_loss and its names (2 aliases) differ");

TABLE(ct_metric_names, "metric",
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
_Static_assert(COUNT(ct_metric_names_entries) == CT_METRIC_COUNT + 4, "ct_metric and its names (4 aliases) differ");

TABLE(ct_optimizer_names, "optimizer",
      {"adam", CT_OPTIMIZER_ADAM, false},
      {"sgd", CT_OPTIMIZER_SGD, false},
      {"rmsprop", CT_OPTIMIZER_RMSPROP, false},
      {"adamw", CT_OPTIMIZER_ADAMW, false},
      {"nadam", CT_OPTIMIZER_NADAM, false},
      {"adagrad", CT_OPTIMIZER_ADAGRAD, false});
_Static_assert(COUNT(ct_optimizer_names_entries) == CT_OPTIMIZER_COUNT, "a ct_optimizer_kind without a name");

TABLE(ct_lr_schedule_names, "learning-rate schedule",
      {"exponential_decay", CT_LR_SCHEDULE_EXPONENTIAL_DECAY, false},
      {"cosine_decay", CT_LR_SCHEDULE_COSINE_DECAY, false},
      {"piecewise_constant_decay", CT_LR_SCHEDULE_PIECEWISE_CONSTANT_DECAY, false});
_Static_assert(COUNT(ct_lr_schedule_names_entries) == CT_LR_SCHEDULE_COUNT, "a ct_lr_schedule_kind without a name");

TABLE(ct_monitor_mode_names, "mode",
      {"auto", CT_MODE_AUTO, false},
      {"min", CT_MODE_MIN, false},
      {"max", CT_MODE_MAX, false});
_Static_assert(COUNT(ct_monitor_mode_names_entries) == CT_MODE_COUNT, "a ct_monitor_mode without a name");

const char *ct_name_of(const ct_name_table *t, int value)
{
    for (size_t i = 0; i < t->count; i++)
        if (t->entries[i].value == value && !t->entries[i].alias)
            return t->entries[i].name;
    return NULL;
}

static const char *or_unknown(const char *s) { return s ? s : "?"; }

const char *ct_activation_name(ct_activation a) { return or_unknown(ct_name_of(&ct_activation_names, (int)a)); }
const char *ct_padding_name(ct_padding p) { return or_unknown(ct_name_of(&ct_padding_names, (int)p)); }
const char *ct_initializer_name(ct_initializer i) { return or_unknown(ct_name_of(&ct_initializer_names, (int)i)); }
const char *ct_layer_kind_name(ct_layer_kind k) { return or_unknown(ct_name_of(&ct_layer_kind_names, (int)k)); }
const char *ct_fill_mode_name(ct_fill_mode m) { return or_unknown(ct_name_of(&ct_fill_mode_names, (int)m)); }
const char *ct_interpolation_name(ct_interpolation i)
{
    return or_unknown(ct_name_of(&ct_interpolation_names, (int)i));
}
const char *ct_flip_mode_name(ct_flip_mode m) { return or_unknown(ct_name_of(&ct_flip_mode_names, (int)m)); }
const char *ct_loss_name(ct_loss l) { return or_unknown(ct_name_of(&ct_loss_names, (int)l)); }
const char *ct_metric_name(ct_metric m) { return or_unknown(ct_name_of(&ct_metric_names, (int)m)); }
const char *ct_optimizer_name(ct_optimizer_kind o) { return or_unknown(ct_name_of(&ct_optimizer_names, (int)o)); }
const char *ct_lr_schedule_name(ct_lr_schedule_kind k) { return or_unknown(ct_name_of(&ct_lr_schedule_names, (int)k)); }
const char *ct_monitor_mode_name(ct_monitor_mode m) { return or_unknown(ct_name_of(&ct_monitor_mode_names, (int)m)); }
/* clang-format on */

static const char *const metric_keras_names[] = {
    "root_mean_squared_error", "mean_squared_error",   "mean_absolute_error",        "accuracy",
    "binary_accuracy",         "categorical_accuracy", "sparse_categorical_accuracy"};
_Static_assert(COUNT(metric_keras_names) == CT_METRIC_COUNT, "a ct_metric without a Keras name");

const char *ct_metric_keras_name(ct_metric m)
{
    return (unsigned)m < CT_METRIC_COUNT ? metric_keras_names[m] : "?";
}
