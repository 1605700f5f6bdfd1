/* The experiment schema: every key of an experiment file, its type, default
 * and range, and where it lands in the spec. experiments/README.md is the
 * prose version of these tables; keep the two in step.
 * Longer than 600 lines on purpose: it is data, one row per key, and each
 * section's rows read best in one place beside the README's. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "experiment/schema.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Ranges, named for what they mean. */
#define R_POSITIVE_INT {.min = 1, .flags = R_MIN}
#define R_NON_NEGATIVE {.min = 0, .flags = R_MIN}
#define R_POSITIVE_REAL {.min = 0, .flags = R_MIN | R_MIN_OPEN}
#define R_UNIT_CLOSED {.min = 0, .max = 1, .flags = R_MIN | R_MAX}                /* [0, 1] */
#define R_UNIT_HALF_OPEN {.min = 0, .max = 1, .flags = R_MIN | R_MAX | R_MAX_OPEN} /* [0, 1) */

/* ==================================================================== data */

#define CSV(member) offsetof(ct_data_spec, csv.member)
#define CIFAR(member) offsetof(ct_data_spec, cifar10.member)

static const field rows_fields[] = {
    {.key = "first", .type = FT_INT, .offset = offsetof(ct_row_range, first), .default_text = "0",
     .range = R_NON_NEGATIVE},
    {.key = "last", .type = FT_INT, .offset = offsetof(ct_row_range, last), .flags = FL_NULLABLE,
     .default_text = "null", .has_offset = offsetof(ct_row_range, has_last), .range = R_NON_NEGATIVE},
};
static const section rows_section = {"row range", rows_fields, COUNT(rows_fields), NULL, NULL};

static const field features_fields[] = {
    {.key = "columns", .type = FT_STRING_LIST, .offset = offsetof(ct_feature_selection, columns)},
    {.key = "prefixes", .type = FT_STRING_LIST, .offset = offsetof(ct_feature_selection, prefixes)},
    {.key = "globs", .type = FT_STRING_LIST, .offset = offsetof(ct_feature_selection, globs)},
    {.key = "drop", .type = FT_STRING_LIST, .offset = offsetof(ct_feature_selection, drop)},
};
static const section features_section = {"feature selection", features_fields,
                                         COUNT(features_fields), NULL, NULL};

static const field target_fields[] = {
    {.key = "column", .type = FT_STRING, .offset = offsetof(ct_target_spec, column),
     .flags = FL_REQUIRED | FL_NONEMPTY},
    {.key = "shift", .type = FT_INT, .offset = offsetof(ct_target_spec, shift), .default_text = "0",
     .range = R_NON_NEGATIVE},
};
static const section target_section = {"target", target_fields, COUNT(target_fields), "column",
                                       NULL};

static const field split_fields[] = {
    {.key = "train", .type = FT_DOUBLE, .offset = offsetof(ct_split_spec, train),
     .default_text = "0.7", .range = R_UNIT_CLOSED},
    {.key = "validation", .type = FT_DOUBLE, .offset = offsetof(ct_split_spec, validation),
     .default_text = "0.15", .range = R_UNIT_CLOSED},
    {.key = "test", .type = FT_DOUBLE, .offset = offsetof(ct_split_spec, test),
     .default_text = "0.15", .range = R_UNIT_CLOSED},
    {.key = "shuffle", .type = FT_BOOL, .offset = offsetof(ct_split_spec, shuffle),
     .default_text = "true"},
    {.key = "random_state", .type = FT_INT64, .offset = offsetof(ct_split_spec, random_state),
     .flags = FL_NULLABLE, .default_text = "null", .has_offset = offsetof(ct_split_spec, has_random_state),
     .range = {.min = 0, .max = 4294967295.0, .flags = R_MIN | R_MAX}},
};
static const section split_section = {"split", split_fields, COUNT(split_fields), NULL, NULL};

/* Sub-sections live inside ct_csv_spec: their tables are relative to their
 * own structs, so the field offset points at the struct. */
static const field csv_fields[] = {
    {.key = "file", .type = FT_STRING, .offset = CSV(file), .flags = FL_REQUIRED | FL_NONEMPTY},
    {.key = "url", .type = FT_STRING, .offset = CSV(url), .flags = FL_NULLABLE | FL_NONEMPTY,
     .default_text = "null"},
    {.key = "sha256", .type = FT_STRING, .offset = CSV(sha256), .flags = FL_NULLABLE | FL_NONEMPTY,
     .default_text = "null"},
    {.key = "rows", .type = FT_SECTION, .offset = CSV(rows), .flags = FL_FLOW, .section = &rows_section},
    {.key = "features", .type = FT_SECTION, .offset = CSV(features), .flags = FL_FLOW,
     .section = &features_section},
    {.key = "target", .type = FT_SECTION, .offset = CSV(target), .flags = FL_FLOW,
     .section = &target_section},
    {.key = "split", .type = FT_SECTION, .offset = CSV(split), .flags = FL_FLOW,
     .section = &split_section},
    {.key = "standardize", .type = FT_BOOL, .offset = CSV(standardize), .default_text = "false"},
    {.key = "drop_missing", .type = FT_BOOL, .offset = CSV(drop_missing), .default_text = "false"},
};
static const section csv_section = {"csv settings", csv_fields, COUNT(csv_fields), NULL, NULL};

static const field cifar10_fields[] = {
    {.key = "dir", .type = FT_STRING, .offset = CIFAR(dir), .flags = FL_NONEMPTY,
     .default_text = "cifar-10-batches-bin"},
    {.key = "url", .type = FT_STRING, .offset = CIFAR(url), .flags = FL_NULLABLE | FL_NONEMPTY,
     .default_text = "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"},
    {.key = "sha256", .type = FT_STRING, .offset = CIFAR(sha256), .flags = FL_NULLABLE | FL_NONEMPTY,
     .default_text = "c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd"},
    {.key = "train_batches", .type = FT_INT, .offset = CIFAR(train_batches), .default_text = "5",
     .range = {.min = 1, .max = 5, .flags = R_MIN | R_MAX}},
    {.key = "train_subset", .type = FT_INT, .offset = CIFAR(train_subset), .default_text = "0",
     .range = R_NON_NEGATIVE},
    {.key = "test_subset", .type = FT_INT, .offset = CIFAR(test_subset), .default_text = "0",
     .range = R_NON_NEGATIVE},
    {.key = "scale", .type = FT_BOOL, .offset = CIFAR(scale), .default_text = "true"},
    {.key = "use_test_as_validation", .type = FT_BOOL, .offset = CIFAR(use_test_as_validation),
     .default_text = "false"},
};
static const section cifar10_section = {"cifar10 settings", cifar10_fields, COUNT(cifar10_fields),
                                        NULL, NULL};

#define IMAGES(member) offsetof(ct_data_spec, images.member)
static const enum_entry color_mode_entries[] = {{"rgb", CT_COLOR_RGB, false}, {"grayscale", CT_COLOR_GRAYSCALE, false}};
static const enum_table color_mode_names = {"color mode", color_mode_entries, COUNT(color_mode_entries)};
_Static_assert(COUNT(color_mode_entries) == CT_COLOR_COUNT, "a color mode without a name");
static const enum_entry interpolation_entries[] = {{"bilinear", CT_INTERPOLATION_BILINEAR, false},
                                                   {"nearest", CT_INTERPOLATION_NEAREST, false}};
static const enum_table interpolation_names = {"interpolation", interpolation_entries, COUNT(interpolation_entries)};
_Static_assert(COUNT(interpolation_entries) == CT_INTERPOLATION_COUNT, "an interpolation without a name");
static const enum_entry on_error_entries[] = {{"error", CT_ON_ERROR_FAIL, false}, {"skip", CT_ON_ERROR_SKIP, false}};
static const enum_table on_error_names = {"on_error choice", on_error_entries, COUNT(on_error_entries)};
_Static_assert(COUNT(on_error_entries) == CT_ON_ERROR_COUNT, "an on_error choice without a name");

static const field images_fields[] = {
    {.key = "dir", .type = FT_STRING, .offset = IMAGES(dir), .flags = FL_REQUIRED | FL_NONEMPTY},
    {.key = "image_size", .type = FT_INT_PAIR, .offset = IMAGES(image_size), .flags = FL_FLOW,
     .default_text = "256", .range = {.min = 1, .max = 4096, .flags = R_MIN | R_MAX}},
    {.key = "color_mode", .type = FT_ENUM, .offset = IMAGES(color_mode), .default_text = "rgb",
     .enums = &color_mode_names},
    {.key = "validation_split", .type = FT_DOUBLE, .offset = IMAGES(validation_split), .default_text = "0.0",
     .range = R_UNIT_HALF_OPEN},
    {.key = "test_dir", .type = FT_STRING, .offset = IMAGES(test_dir), .flags = FL_NULLABLE | FL_NONEMPTY,
     .default_text = "null"},
    {.key = "seed", .type = FT_INT64, .offset = IMAGES(seed), .flags = FL_NULLABLE, .default_text = "null",
     .has_offset = IMAGES(has_seed), .range = {.min = 0, .max = 4294967295.0, .flags = R_MIN | R_MAX}},
    {.key = "interpolation", .type = FT_ENUM, .offset = IMAGES(interpolation), .default_text = "bilinear",
     .enums = &interpolation_names},
    {.key = "on_error", .type = FT_ENUM, .offset = IMAGES(on_error), .default_text = "error",
     .enums = &on_error_names},
    {.key = "scale", .type = FT_BOOL, .offset = IMAGES(scale), .default_text = "true"},
};
static const section images_section = {"images settings", images_fields, COUNT(images_fields), NULL, NULL};

static const variant data_variants[] = {
    {"csv", CT_DATA_CSV, &csv_section},
    {"cifar10", CT_DATA_CIFAR10, &cifar10_section},
    {"images", CT_DATA_IMAGES, &images_section},
};
const variant_set xp_data_variants = {"data source", offsetof(ct_data_spec, kind), 0, data_variants,
                                      COUNT(data_variants), NULL};
_Static_assert(COUNT(data_variants) == CT_DATA_COUNT, "a ct_data_kind without a key");

const char *ct_data_kind_name(ct_data_kind k)
{
    for (size_t i = 0; i < COUNT(data_variants); i++)
        if (data_variants[i].kind == (int)k)
            return data_variants[i].key;
    return "?";
}

/* =================================================================== model */

#define LAYER(member) offsetof(ct_layer_spec, member)
#define NAME_ONLY_FIELD {.key = "name", .type = FT_STRING, .offset = LAYER(name), \
                         .flags = FL_NULLABLE | FL_NONEMPTY, .default_text = "null"}
/* Graph models: the layers (or `input`) whose outputs feed this one; left
 * out of the written file when empty (the previous layer), so a sequential
 * model writes back as it always did. */
#define INPUTS_FIELD {.key = "inputs", .type = FT_STRING_LIST, .offset = LAYER(inputs), \
                      .flags = FL_OMIT_WHEN_NULL}
/* Every layer takes `name` and `inputs`: NAME_FIELD is both rows. */
#define NAME_FIELD NAME_ONLY_FIELD, INPUTS_FIELD
#define ACTIVATION_FIELD(member) {.key = "activation", .type = FT_ENUM, .offset = LAYER(member), \
                                  .default_text = "linear", .enums = &ct_activation_names}
#define USE_BIAS_FIELD(member) {.key = "use_bias", .type = FT_BOOL, .offset = LAYER(member), \
                                .default_text = "true"}
#define KERNEL_INIT_FIELD(member) {.key = "kernel_initializer", .type = FT_ENUM, \
                                   .offset = LAYER(member), .default_text = "glorot_uniform", \
                                   .enums = &ct_initializer_names}
#define BIAS_INIT_FIELD(member) {.key = "bias_initializer", .type = FT_ENUM, .offset = LAYER(member), \
                                 .default_text = "zeros", .enums = &ct_initializer_names}
#define PADDING_FIELD(member) {.key = "padding", .type = FT_ENUM, .offset = LAYER(member), \
                               .default_text = "valid", .enums = &ct_padding_names}

#define REG(member) offsetof(ct_regularizer_spec, member)
static const field l1_fields[] = {
    {.key = "l1", .type = FT_DOUBLE, .offset = REG(l1), .default_text = "0.01", .range = R_NON_NEGATIVE},
};
static const section l1_section = {"l1 settings", l1_fields, COUNT(l1_fields), "l1", NULL};
static const field l2_fields[] = {
    {.key = "l2", .type = FT_DOUBLE, .offset = REG(l2), .default_text = "0.01", .range = R_NON_NEGATIVE},
};
static const section l2_section = {"l2 settings", l2_fields, COUNT(l2_fields), "l2", NULL};
static const field l1_l2_fields[] = {
    {.key = "l1", .type = FT_DOUBLE, .offset = REG(l1), .default_text = "0.0", .range = R_NON_NEGATIVE},
    {.key = "l2", .type = FT_DOUBLE, .offset = REG(l2), .default_text = "0.0", .range = R_NON_NEGATIVE},
};
static const section l1_l2_section = {"l1_l2 settings", l1_l2_fields, COUNT(l1_l2_fields), NULL, NULL};
static const variant regularizer_variants[] = {
    {"l1", CT_REGULARIZER_L1, &l1_section},
    {"l2", CT_REGULARIZER_L2, &l2_section},
    {"l1_l2", CT_REGULARIZER_L1_L2, &l1_l2_section},
};
static const variant_set regularizer_variant_set = {"regularizer", offsetof(ct_regularizer_spec, kind), 0,
                                                    regularizer_variants, COUNT(regularizer_variants), NULL};
_Static_assert(COUNT(regularizer_variants) == CT_REGULARIZER_COUNT, "a ct_regularizer_kind without a key");
#define KERNEL_REGULARIZER_FIELD(member) {.key = "kernel_regularizer", .type = FT_VARIANT, \
                                          .offset = LAYER(member), \
                                          .flags = FL_FLOW | FL_NULLABLE | FL_OMIT_WHEN_NULL, \
                                          .default_text = "null", .has_offset = LAYER(member) + REG(enabled), \
                                          .variants = &regularizer_variant_set}

static const field dense_fields[] = {
    {.key = "units", .type = FT_INT, .offset = LAYER(dense.units), .flags = FL_REQUIRED,
     .range = R_POSITIVE_INT},
    ACTIVATION_FIELD(dense.activation),
    USE_BIAS_FIELD(dense.use_bias),
    KERNEL_INIT_FIELD(dense.kernel_initializer),
    BIAS_INIT_FIELD(dense.bias_initializer),
    KERNEL_REGULARIZER_FIELD(dense.kernel_regularizer),
    NAME_FIELD,
};
static const section dense_section = {"dense settings", dense_fields, COUNT(dense_fields), "units",
                                      NULL};

static const field conv2d_fields[] = {
    {.key = "filters", .type = FT_INT, .offset = LAYER(conv2d.filters), .flags = FL_REQUIRED,
     .range = R_POSITIVE_INT},
    {.key = "kernel_size", .type = FT_INT_PAIR, .offset = LAYER(conv2d.kernel_size),
     .flags = FL_REQUIRED, .range = R_POSITIVE_INT},
    {.key = "strides", .type = FT_INT_PAIR, .offset = LAYER(conv2d.strides), .default_text = "1",
     .range = R_POSITIVE_INT},
    PADDING_FIELD(conv2d.padding),
    ACTIVATION_FIELD(conv2d.activation),
    USE_BIAS_FIELD(conv2d.use_bias),
    KERNEL_INIT_FIELD(conv2d.kernel_initializer),
    BIAS_INIT_FIELD(conv2d.bias_initializer),
    KERNEL_REGULARIZER_FIELD(conv2d.kernel_regularizer),
    NAME_FIELD,
};
static const section conv2d_section = {"conv2d settings", conv2d_fields, COUNT(conv2d_fields), NULL,
                                       NULL};

/* Keras' strides=None: the pool's own size. */
static ct_status finish_pooling(void *base, const ynode *map, convert_ctx *ctx)
{
    (void)ctx;
    ct_layer_spec *layer = base;
    if (!ynode_get(map, "strides")) {
        layer->pooling.strides[0] = layer->pooling.pool_size[0];
        layer->pooling.strides[1] = layer->pooling.pool_size[1];
    }
    return CT_OK;
}

static const field pooling_fields[] = {
    {.key = "pool_size", .type = FT_INT_PAIR, .offset = LAYER(pooling.pool_size), .default_text = "2",
     .range = R_POSITIVE_INT},
    {.key = "strides", .type = FT_INT_PAIR, .offset = LAYER(pooling.strides), .flags = FL_NO_DEFAULT,
     .range = R_POSITIVE_INT},
    PADDING_FIELD(pooling.padding),
    NAME_FIELD,
};
static const section pooling_section = {"pooling settings", pooling_fields, COUNT(pooling_fields),
                                        NULL, finish_pooling};

static const field flatten_fields[] = {NAME_FIELD};
static const section flatten_section = {"flatten settings", flatten_fields, COUNT(flatten_fields),
                                        NULL, NULL};

static const field dropout_fields[] = {
    {.key = "rate", .type = FT_DOUBLE, .offset = LAYER(dropout.rate), .flags = FL_REQUIRED,
     .range = R_UNIT_HALF_OPEN},
    NAME_FIELD,
};
static const section dropout_section = {"dropout settings", dropout_fields, COUNT(dropout_fields),
                                        "rate", NULL};

static const field batch_norm_fields[] = {
    {.key = "momentum", .type = FT_DOUBLE, .offset = LAYER(batch_normalization.momentum),
     .default_text = "0.99", .range = R_UNIT_CLOSED},
    {.key = "epsilon", .type = FT_DOUBLE, .offset = LAYER(batch_normalization.epsilon),
     .default_text = "0.001", .range = R_POSITIVE_REAL},
    {.key = "center", .type = FT_BOOL, .offset = LAYER(batch_normalization.center),
     .default_text = "true"},
    {.key = "scale", .type = FT_BOOL, .offset = LAYER(batch_normalization.scale),
     .default_text = "true"},
    NAME_FIELD,
};
static const section batch_norm_section = {"batch_normalization settings", batch_norm_fields,
                                           COUNT(batch_norm_fields), NULL, NULL};

static const field activation_fields[] = {
    {.key = "activation", .type = FT_ENUM, .offset = LAYER(activation.activation),
     .flags = FL_REQUIRED, .enums = &ct_activation_names},
    NAME_FIELD,
};
static const section activation_section = {"activation settings", activation_fields,
                                           COUNT(activation_fields), "activation", NULL};

static const field global_pooling_fields[] = {
    {.key = "keepdims", .type = FT_BOOL, .offset = LAYER(global_pooling.keepdims), .default_text = "false"},
    NAME_FIELD,
};
static const section global_pooling_section = {"global pooling settings", global_pooling_fields,
                                               COUNT(global_pooling_fields), NULL, NULL};

/* Keras 3's LeakyReLU layer defaults to 0.3; the leaky_relu activation
 * function (activation: leaky_relu) to 0.2. */
static const field leaky_relu_fields[] = {
    {.key = "negative_slope", .type = FT_DOUBLE, .offset = LAYER(leaky_relu.negative_slope),
     .default_text = "0.3", .range = R_NON_NEGATIVE},
    NAME_FIELD,
};
static const section leaky_relu_section = {"leaky_relu settings", leaky_relu_fields, COUNT(leaky_relu_fields),
                                           "negative_slope", NULL};

static const field rescaling_fields[] = {
    {.key = "scale", .type = FT_DOUBLE, .offset = LAYER(rescaling.scale), .flags = FL_REQUIRED},
    {.key = "offset", .type = FT_DOUBLE, .offset = LAYER(rescaling.offset), .default_text = "0"},
    NAME_FIELD,
};
static const section rescaling_section = {"rescaling settings", rescaling_fields, COUNT(rescaling_fields),
                                          "scale", NULL};

/* Whole numbers >= 1, at most one -1, and 1 or 3 of them. */
static ct_status finish_reshape(void *base, const ynode *map, convert_ctx *ctx)
{
    const ct_reshape_spec *r = &((ct_layer_spec *)base)->reshape;
    const ynode *node = ynode_get(map, "target_shape");
    int unknown = 0;
    for (size_t i = 0; i < r->target_shape_count; i++) {
        double v = r->target_shape[i];
        if (v != floor(v) || (v < 1 && v != -1) || v > 1e9)
            return xp_error_at(ctx, node, "target_shape[%zu]: expected a whole number >= 1 or -1, got %g", i, v);
        unknown += v == -1;
    }
    if (unknown > 1)
        return xp_error_at(ctx, node, "target_shape: only one entry may be -1");
    if (r->target_shape_count != 1 && r->target_shape_count != 3)
        return xp_error_at(ctx, node, "target_shape: expected [size] (flat) or [height, width, channels], got %zu "
                           "entries", r->target_shape_count);
    return CT_OK;
}

static const field reshape_fields[] = {
    {.key = "target_shape", .type = FT_DOUBLE_LIST, .offset = LAYER(reshape.target_shape), .flags = FL_REQUIRED,
     .count_offset = LAYER(reshape.target_shape_count), .capacity = 3},
    NAME_FIELD,
};
static const section reshape_section = {"reshape settings", reshape_fields, COUNT(reshape_fields), "target_shape",
                                        finish_reshape};

/* ------------------------------------------------------- augmentation
 * Keras 3's RandomFlip, RandomTranslation, RandomRotation, RandomZoom and
 * RandomCrop (ct_augment_spec). A factor is a number f (the range [-f, f])
 * or a [lower, upper] pair. */
#define AUG(member) LAYER(augment.member)
#define R_FACTOR {.min = -1, .max = 1, .flags = R_MIN | R_MAX}                  /* [-1, 1] */
#define R_ZOOM_FACTOR {.min = -1, .max = 1, .flags = R_MIN | R_MAX | R_MIN_OPEN} /* (-1, 1] */
#define AUG_SEED_FIELD {.key = "seed", .type = FT_INT64, .offset = AUG(seed), \
                        .flags = FL_NULLABLE | FL_OMIT_WHEN_NULL, .default_text = "null", \
                        .has_offset = AUG(has_seed), .range = R_NON_NEGATIVE}
#define AUG_FILL_FIELDS \
    {.key = "fill_mode", .type = FT_ENUM, .offset = AUG(fill_mode), .default_text = "reflect", \
     .enums = &ct_fill_mode_names}, \
    {.key = "interpolation", .type = FT_ENUM, .offset = AUG(interpolation), .default_text = "bilinear", \
     .enums = &ct_interpolation_names}, \
    AUG_SEED_FIELD, \
    {.key = "fill_value", .type = FT_DOUBLE, .offset = AUG(fill_value), .default_text = "0.0"}

/* A required factor written as null or []: Keras wants a number or a pair. */
static ct_status require_factor(const ct_factor_spec *f, const char *key, const ynode *map, convert_ctx *ctx)
{
    if (f->count > 0)
        return CT_OK;
    const ynode *node = ynode_get(map, key);
    return xp_error_at(ctx, node, "%s: expected a number in [-1, 1] or a [lower, upper] pair, got none", key);
}

static ct_status finish_factors(void *base, const ynode *map, convert_ctx *ctx)
{
    const ct_layer_spec *l = base;
    const ct_augment_spec *a = &l->augment;
    if (l->kind == CT_LAYER_RANDOM_ROTATION)
        return require_factor(&a->factor, "factor", map, ctx);
    CT_TRY(require_factor(&a->height_factor, "height_factor", map, ctx));
    if (l->kind == CT_LAYER_RANDOM_TRANSLATION)
        return require_factor(&a->width_factor, "width_factor", map, ctx);
    return CT_OK;
}

static const field random_flip_fields[] = {
    {.key = "mode", .type = FT_ENUM, .offset = AUG(mode), .default_text = "horizontal_and_vertical",
     .enums = &ct_flip_mode_names},
    AUG_SEED_FIELD,
    NAME_FIELD,
};
static const section random_flip_section = {"random_flip settings", random_flip_fields,
                                            COUNT(random_flip_fields), "mode", NULL};

static const field random_translation_fields[] = {
    {.key = "height_factor", .type = FT_DOUBLE_LIST, .offset = AUG(height_factor.values), .flags = FL_REQUIRED,
     .count_offset = AUG(height_factor.count), .capacity = 2, .range = R_FACTOR},
    {.key = "width_factor", .type = FT_DOUBLE_LIST, .offset = AUG(width_factor.values), .flags = FL_REQUIRED,
     .count_offset = AUG(width_factor.count), .capacity = 2, .range = R_FACTOR},
    AUG_FILL_FIELDS,
    NAME_FIELD,
};
static const section random_translation_section = {"random_translation settings", random_translation_fields,
                                                   COUNT(random_translation_fields), NULL, finish_factors};

static const field random_rotation_fields[] = {
    {.key = "factor", .type = FT_DOUBLE_LIST, .offset = AUG(factor.values), .flags = FL_REQUIRED,
     .count_offset = AUG(factor.count), .capacity = 2, .range = R_FACTOR},
    AUG_FILL_FIELDS,
    NAME_FIELD,
};
static const section random_rotation_section = {"random_rotation settings", random_rotation_fields,
                                                COUNT(random_rotation_fields), "factor", finish_factors};

static const field random_zoom_fields[] = {
    {.key = "height_factor", .type = FT_DOUBLE_LIST, .offset = AUG(height_factor.values), .flags = FL_REQUIRED,
     .count_offset = AUG(height_factor.count), .capacity = 2, .range = R_ZOOM_FACTOR},
    {.key = "width_factor", .type = FT_DOUBLE_LIST, .offset = AUG(width_factor.values), .default_text = "null",
     .count_offset = AUG(width_factor.count), .capacity = 2, .range = R_ZOOM_FACTOR},
    AUG_FILL_FIELDS,
    NAME_FIELD,
};
static const section random_zoom_section = {"random_zoom settings", random_zoom_fields,
                                            COUNT(random_zoom_fields), "height_factor", finish_factors};

static const field random_crop_fields[] = {
    {.key = "height", .type = FT_INT, .offset = AUG(height), .flags = FL_REQUIRED, .range = R_POSITIVE_INT},
    {.key = "width", .type = FT_INT, .offset = AUG(width), .flags = FL_REQUIRED, .range = R_POSITIVE_INT},
    AUG_SEED_FIELD,
    NAME_FIELD,
};
static const section random_crop_section = {"random_crop settings", random_crop_fields,
                                            COUNT(random_crop_fields), NULL, NULL};
/* Merge layers (graph models): add takes nothing but its inputs. */
static const field add_fields[] = {NAME_FIELD};
static const section add_section = {"add settings", add_fields, COUNT(add_fields), NULL, NULL};

/* Keras' Concatenate(axis=-1); only the last axis is supported, and
 * validate.c says so where another is written. */
static const field concatenate_fields[] = {
    {.key = "axis", .type = FT_INT, .offset = LAYER(concatenate.axis), .default_text = "-1",
     .range = {-1, 3, R_MIN | R_MAX}},
    NAME_FIELD,
};
static const section concatenate_section = {"concatenate settings", concatenate_fields,
                                            COUNT(concatenate_fields), "axis", NULL};

/* Keras names unnamed layers by class: dense, dense_1, dense_2, ...; a name
 * the file gives explicitly is skipped. */
static ct_status name_layers(void *array, size_t count)
{
    ct_layer_spec *layers = array;
    unsigned next[CT_LAYER_COUNT] = {0};
    for (size_t i = 0; i < count; i++) {
        if (layers[i].name)
            continue;
        const char *base = ct_layer_kind_name(layers[i].kind);
        char name[64];
        for (;;) {
            unsigned k = next[layers[i].kind]++;
            if (k == 0)
                snprintf(name, sizeof name, "%s", base);
            else
                snprintf(name, sizeof name, "%s_%u", base, k);
            bool taken = false;
            for (size_t j = 0; j < count && !taken; j++)
                taken = layers[j].name && !strcmp(layers[j].name, name);
            if (!taken)
                break;
        }
        layers[i].name = strdup(name);
        if (!layers[i].name)
            return ct_fail(CT_ERR_NO_MEMORY, "out of memory naming layers");
    }
    return CT_OK;
}

static const variant layer_variants[] = {
    {"dense", CT_LAYER_DENSE, &dense_section},
    {"conv2d", CT_LAYER_CONV2D, &conv2d_section},
    {"max_pooling2d", CT_LAYER_MAX_POOLING2D, &pooling_section},
    {"average_pooling2d", CT_LAYER_AVERAGE_POOLING2D, &pooling_section},
    {"flatten", CT_LAYER_FLATTEN, &flatten_section},
    {"dropout", CT_LAYER_DROPOUT, &dropout_section},
    {"batch_normalization", CT_LAYER_BATCH_NORMALIZATION, &batch_norm_section},
    {"activation", CT_LAYER_ACTIVATION, &activation_section},
    {"global_average_pooling2d", CT_LAYER_GLOBAL_AVERAGE_POOLING2D, &global_pooling_section},
    {"global_max_pooling2d", CT_LAYER_GLOBAL_MAX_POOLING2D, &global_pooling_section},
    {"leaky_relu", CT_LAYER_LEAKY_RELU, &leaky_relu_section},
    {"rescaling", CT_LAYER_RESCALING, &rescaling_section},
    {"reshape", CT_LAYER_RESHAPE, &reshape_section},
    {"random_flip", CT_LAYER_RANDOM_FLIP, &random_flip_section},
    {"random_translation", CT_LAYER_RANDOM_TRANSLATION, &random_translation_section},
    {"random_rotation", CT_LAYER_RANDOM_ROTATION, &random_rotation_section},
    {"random_zoom", CT_LAYER_RANDOM_ZOOM, &random_zoom_section},
    {"random_crop", CT_LAYER_RANDOM_CROP, &random_crop_section},
    {"add", CT_LAYER_ADD, &add_section},
    {"concatenate", CT_LAYER_CONCATENATE, &concatenate_section},
};
const variant_set xp_layer_variants = {"layer type", offsetof(ct_layer_spec, kind),
                                       sizeof(ct_layer_spec), layer_variants,
                                       COUNT(layer_variants), name_layers};
_Static_assert(COUNT(layer_variants) == CT_LAYER_COUNT, "a ct_layer_kind without a key");

/* =================================================================== train */

#define OPT(member) offsetof(ct_optimizer_spec, member)
#define LEARNING_RATE(member, def) {.key = "learning_rate", .type = FT_DOUBLE, .offset = OPT(member), \
                                    .default_text = (def), .range = R_POSITIVE_REAL}

/* Keras' clipnorm, global_clipnorm and clipvalue: every optimizer takes them;
 * left out of the written file when absent. */
#define CLIP_FIELD(name) {.key = #name, .type = FT_DOUBLE, .offset = OPT(clip.name), \
                          .flags = FL_NULLABLE | FL_OMIT_WHEN_NULL, .default_text = "null", \
                          .has_offset = OPT(clip.has_##name), .range = R_POSITIVE_REAL}
#define CLIP_FIELDS CLIP_FIELD(clipnorm), CLIP_FIELD(global_clipnorm), CLIP_FIELD(clipvalue)

static const field adam_fields[] = {
    LEARNING_RATE(adam.learning_rate, "0.001"),
    {.key = "beta_1", .type = FT_DOUBLE, .offset = OPT(adam.beta_1), .default_text = "0.9",
     .range = R_UNIT_HALF_OPEN},
    {.key = "beta_2", .type = FT_DOUBLE, .offset = OPT(adam.beta_2), .default_text = "0.999",
     .range = R_UNIT_HALF_OPEN},
    {.key = "epsilon", .type = FT_DOUBLE, .offset = OPT(adam.epsilon), .default_text = "1e-07",
     .range = R_POSITIVE_REAL},
    CLIP_FIELDS,
};
static const section adam_section = {"adam settings", adam_fields, COUNT(adam_fields), NULL, NULL};

static const field sgd_fields[] = {
    LEARNING_RATE(sgd.learning_rate, "0.01"),
    {.key = "momentum", .type = FT_DOUBLE, .offset = OPT(sgd.momentum), .default_text = "0.0",
     .range = R_UNIT_CLOSED},
    {.key = "nesterov", .type = FT_BOOL, .offset = OPT(sgd.nesterov), .default_text = "false"},
    CLIP_FIELDS,
};
static const section sgd_section = {"sgd settings", sgd_fields, COUNT(sgd_fields), NULL, NULL};

static const field rmsprop_fields[] = {
    LEARNING_RATE(rmsprop.learning_rate, "0.001"),
    {.key = "rho", .type = FT_DOUBLE, .offset = OPT(rmsprop.rho), .default_text = "0.9",
     .range = R_UNIT_HALF_OPEN},
    {.key = "momentum", .type = FT_DOUBLE, .offset = OPT(rmsprop.momentum), .default_text = "0.0",
     .range = R_UNIT_CLOSED},
    {.key = "epsilon", .type = FT_DOUBLE, .offset = OPT(rmsprop.epsilon), .default_text = "1e-07",
     .range = R_POSITIVE_REAL},
    CLIP_FIELDS,
};
static const section rmsprop_section = {"rmsprop settings", rmsprop_fields, COUNT(rmsprop_fields),
                                        NULL, NULL};

static const field adamw_fields[] = {
    LEARNING_RATE(adamw.learning_rate, "0.001"),
    {.key = "weight_decay", .type = FT_DOUBLE, .offset = OPT(adamw.weight_decay), .default_text = "0.004",
     .range = R_NON_NEGATIVE},
    {.key = "beta_1", .type = FT_DOUBLE, .offset = OPT(adamw.beta_1), .default_text = "0.9",
     .range = R_UNIT_HALF_OPEN},
    {.key = "beta_2", .type = FT_DOUBLE, .offset = OPT(adamw.beta_2), .default_text = "0.999",
     .range = R_UNIT_HALF_OPEN},
    {.key = "epsilon", .type = FT_DOUBLE, .offset = OPT(adamw.epsilon), .default_text = "1e-07",
     .range = R_POSITIVE_REAL},
    CLIP_FIELDS,
};
static const section adamw_section = {"adamw settings", adamw_fields, COUNT(adamw_fields), NULL, NULL};

static const field nadam_fields[] = {
    LEARNING_RATE(nadam.learning_rate, "0.001"),
    {.key = "beta_1", .type = FT_DOUBLE, .offset = OPT(nadam.beta_1), .default_text = "0.9",
     .range = R_UNIT_HALF_OPEN},
    {.key = "beta_2", .type = FT_DOUBLE, .offset = OPT(nadam.beta_2), .default_text = "0.999",
     .range = R_UNIT_HALF_OPEN},
    {.key = "epsilon", .type = FT_DOUBLE, .offset = OPT(nadam.epsilon), .default_text = "1e-07",
     .range = R_POSITIVE_REAL},
    CLIP_FIELDS,
};
static const section nadam_section = {"nadam settings", nadam_fields, COUNT(nadam_fields), NULL, NULL};

static const field adagrad_fields[] = {
    LEARNING_RATE(adagrad.learning_rate, "0.001"),
    {.key = "initial_accumulator_value", .type = FT_DOUBLE, .offset = OPT(adagrad.initial_accumulator_value),
     .default_text = "0.1", .range = R_NON_NEGATIVE},
    {.key = "epsilon", .type = FT_DOUBLE, .offset = OPT(adagrad.epsilon), .default_text = "1e-07",
     .range = R_POSITIVE_REAL},
    CLIP_FIELDS,
};
static const section adagrad_section = {"adagrad settings", adagrad_fields, COUNT(adagrad_fields), NULL, NULL};

static const variant optimizer_variants[] = {
    {"adam", CT_OPTIMIZER_ADAM, &adam_section},
    {"sgd", CT_OPTIMIZER_SGD, &sgd_section},
    {"rmsprop", CT_OPTIMIZER_RMSPROP, &rmsprop_section},
    {"adamw", CT_OPTIMIZER_ADAMW, &adamw_section},
    {"nadam", CT_OPTIMIZER_NADAM, &nadam_section},
    {"adagrad", CT_OPTIMIZER_ADAGRAD, &adagrad_section},
};
const variant_set xp_optimizer_variants = {"optimizer", offsetof(ct_optimizer_spec, kind), 0,
                                           optimizer_variants, COUNT(optimizer_variants), NULL};
_Static_assert(COUNT(optimizer_variants) == CT_OPTIMIZER_COUNT, "a ct_optimizer_kind without a key");

#define SCHED(member) offsetof(ct_lr_schedule_spec, member)
static const field exponential_decay_fields[] = {
    {.key = "initial_learning_rate", .type = FT_DOUBLE, .offset = SCHED(exponential.initial_learning_rate),
     .flags = FL_REQUIRED, .range = R_POSITIVE_REAL},
    {.key = "decay_steps", .type = FT_INT, .offset = SCHED(exponential.decay_steps), .flags = FL_REQUIRED,
     .range = R_POSITIVE_INT},
    {.key = "decay_rate", .type = FT_DOUBLE, .offset = SCHED(exponential.decay_rate), .flags = FL_REQUIRED,
     .range = R_POSITIVE_REAL},
    {.key = "staircase", .type = FT_BOOL, .offset = SCHED(exponential.staircase), .default_text = "false"},
};
static const section exponential_decay_section = {"exponential_decay settings", exponential_decay_fields,
                                                  COUNT(exponential_decay_fields), NULL, NULL};

static const field cosine_decay_fields[] = {
    {.key = "initial_learning_rate", .type = FT_DOUBLE, .offset = SCHED(cosine.initial_learning_rate),
     .flags = FL_REQUIRED, .range = R_NON_NEGATIVE},
    {.key = "decay_steps", .type = FT_INT, .offset = SCHED(cosine.decay_steps), .flags = FL_REQUIRED,
     .range = R_POSITIVE_INT},
    {.key = "alpha", .type = FT_DOUBLE, .offset = SCHED(cosine.alpha), .default_text = "0.0",
     .range = R_UNIT_CLOSED},
    {.key = "warmup_target", .type = FT_DOUBLE, .offset = SCHED(cosine.warmup_target),
     .flags = FL_NULLABLE | FL_OMIT_WHEN_NULL, .default_text = "null",
     .has_offset = SCHED(cosine.has_warmup_target), .range = R_POSITIVE_REAL},
    {.key = "warmup_steps", .type = FT_INT, .offset = SCHED(cosine.warmup_steps), .default_text = "0",
     .range = R_NON_NEGATIVE},
};
static const section cosine_decay_section = {"cosine_decay settings", cosine_decay_fields,
                                             COUNT(cosine_decay_fields), NULL, NULL};

static const field piecewise_fields[] = {
    {.key = "boundaries", .type = FT_DOUBLE_LIST, .offset = SCHED(piecewise.boundaries), .flags = FL_REQUIRED,
     .count_offset = SCHED(piecewise.boundary_count), .capacity = CT_PIECEWISE_MAX_BOUNDARIES,
     .range = R_NON_NEGATIVE},
    {.key = "values", .type = FT_DOUBLE_LIST, .offset = SCHED(piecewise.values), .flags = FL_REQUIRED,
     .count_offset = SCHED(piecewise.value_count), .capacity = CT_PIECEWISE_MAX_BOUNDARIES + 1,
     .range = R_NON_NEGATIVE},
};
static const section piecewise_section = {"piecewise_constant_decay settings", piecewise_fields,
                                          COUNT(piecewise_fields), NULL, NULL};

static const variant lr_schedule_variants[] = {
    {"exponential_decay", CT_LR_SCHEDULE_EXPONENTIAL_DECAY, &exponential_decay_section},
    {"cosine_decay", CT_LR_SCHEDULE_COSINE_DECAY, &cosine_decay_section},
    {"piecewise_constant_decay", CT_LR_SCHEDULE_PIECEWISE_CONSTANT_DECAY, &piecewise_section},
};
static const variant_set lr_schedule_variant_set = {"learning-rate schedule", offsetof(ct_lr_schedule_spec, kind),
                                                    0, lr_schedule_variants, COUNT(lr_schedule_variants), NULL};
_Static_assert(COUNT(lr_schedule_variants) == CT_LR_SCHEDULE_COUNT, "a ct_lr_schedule_kind without a key");

#define TRAIN(member) offsetof(ct_train_spec, member)
static const field train_fields[] = {
    {.key = "loss", .type = FT_ENUM, .offset = TRAIN(loss), .flags = FL_REQUIRED,
     .enums = &ct_loss_names},
    {.key = "from_logits", .type = FT_BOOL, .offset = TRAIN(from_logits), .default_text = "false"},
    {.key = "label_smoothing", .type = FT_DOUBLE, .offset = TRAIN(label_smoothing), .default_text = "0.0",
     .range = R_UNIT_CLOSED},
    {.key = "class_weight", .type = FT_DOUBLE_LIST, .offset = TRAIN(class_weight),
     .count_offset = TRAIN(class_weight_count), .capacity = CT_CLASS_WEIGHT_MAX, .range = R_NON_NEGATIVE},
    {.key = "metrics", .type = FT_ENUM_LIST, .offset = TRAIN(metrics),
     .count_offset = TRAIN(metric_count), .capacity = CT_METRIC_COUNT, .enums = &ct_metric_names},
    {.key = "optimizer", .type = FT_VARIANT, .offset = TRAIN(optimizer), .flags = FL_FLOW,
     .default_text = "rmsprop", .variants = &xp_optimizer_variants},
    {.key = "learning_rate_schedule", .type = FT_VARIANT, .offset = TRAIN(learning_rate_schedule),
     .flags = FL_FLOW | FL_NULLABLE | FL_OMIT_WHEN_NULL, .default_text = "null",
     .has_offset = TRAIN(learning_rate_schedule.enabled), .variants = &lr_schedule_variant_set},
    {.key = "batch_size", .type = FT_INT, .offset = TRAIN(batch_size), .default_text = "32",
     .range = R_POSITIVE_INT},
    {.key = "epochs", .type = FT_INT, .offset = TRAIN(epochs), .default_text = "1",
     .range = R_POSITIVE_INT},
    {.key = "shuffle", .type = FT_BOOL, .offset = TRAIN(shuffle), .default_text = "true"},
    {.key = "validation_split", .type = FT_DOUBLE, .offset = TRAIN(validation_split),
     .default_text = "0.0", .range = R_UNIT_HALF_OPEN},
    /* data parallelism (issue #15): device specs; cross-field checks in validate.c */
    {.key = "devices", .type = FT_STRING_LIST, .offset = TRAIN(devices), .flags = FL_FLOW | FL_OMIT_WHEN_NULL},
    {.key = "checkpoint_every", .type = FT_DOUBLE, .offset = TRAIN(checkpoint_every), .default_text = "1.0",
     .range = R_NON_NEGATIVE},
};
static const section train_section = {"train settings", train_fields, COUNT(train_fields), NULL,
                                      NULL};

/* =============================================================== callbacks */

#define ES(member) offsetof(ct_early_stopping_spec, member)
static const field early_stopping_fields[] = {
    {.key = "monitor", .type = FT_STRING, .offset = ES(monitor), .flags = FL_NONEMPTY,
     .default_text = "val_loss"},
    {.key = "min_delta", .type = FT_DOUBLE, .offset = ES(min_delta), .default_text = "0.0",
     .range = R_NON_NEGATIVE},
    {.key = "patience", .type = FT_INT, .offset = ES(patience), .default_text = "0",
     .range = R_NON_NEGATIVE},
    {.key = "mode", .type = FT_ENUM, .offset = ES(mode), .default_text = "auto",
     .enums = &ct_monitor_mode_names},
    {.key = "baseline", .type = FT_DOUBLE, .offset = ES(baseline), .flags = FL_NULLABLE,
     .default_text = "null", .has_offset = ES(has_baseline)},
    {.key = "restore_best_weights", .type = FT_BOOL, .offset = ES(restore_best_weights),
     .default_text = "false"},
    {.key = "start_from_epoch", .type = FT_INT, .offset = ES(start_from_epoch), .default_text = "0",
     .range = R_NON_NEGATIVE},
};
static const section early_stopping_section = {"early_stopping settings", early_stopping_fields,
                                               COUNT(early_stopping_fields), NULL, NULL};

#define MC(member) offsetof(ct_model_checkpoint_spec, member)
static const field model_checkpoint_fields[] = {
    {.key = "monitor", .type = FT_STRING, .offset = MC(monitor), .flags = FL_NONEMPTY,
     .default_text = "val_loss"},
    {.key = "save_best_only", .type = FT_BOOL, .offset = MC(save_best_only), .default_text = "false"},
    {.key = "mode", .type = FT_ENUM, .offset = MC(mode), .default_text = "auto",
     .enums = &ct_monitor_mode_names},
};
static const section model_checkpoint_section = {"model_checkpoint settings", model_checkpoint_fields,
                                                 COUNT(model_checkpoint_fields), NULL, NULL};
#define RLR(member) offsetof(ct_reduce_lr_spec, member)
static const field reduce_lr_fields[] = {
    {.key = "monitor", .type = FT_STRING, .offset = RLR(monitor), .flags = FL_NONEMPTY,
     .default_text = "val_loss"},
    {.key = "factor", .type = FT_DOUBLE, .offset = RLR(factor), .default_text = "0.1",
     .range = R_UNIT_HALF_OPEN},
    {.key = "patience", .type = FT_INT, .offset = RLR(patience), .default_text = "10",
     .range = R_NON_NEGATIVE},
    {.key = "mode", .type = FT_ENUM, .offset = RLR(mode), .default_text = "auto",
     .enums = &ct_monitor_mode_names},
    {.key = "min_delta", .type = FT_DOUBLE, .offset = RLR(min_delta), .default_text = "0.0001",
     .range = R_NON_NEGATIVE},
    {.key = "cooldown", .type = FT_INT, .offset = RLR(cooldown), .default_text = "0",
     .range = R_NON_NEGATIVE},
    {.key = "min_lr", .type = FT_DOUBLE, .offset = RLR(min_lr), .default_text = "0.0",
     .range = R_NON_NEGATIVE},
};
static const section reduce_lr_section = {"reduce_lr_on_plateau settings", reduce_lr_fields,
                                          COUNT(reduce_lr_fields), NULL, NULL};

static const field callbacks_fields[] = {
    {.key = "early_stopping", .type = FT_SECTION, .offset = offsetof(ct_callbacks_spec, early_stopping),
     .flags = FL_SWITCH, .has_offset = offsetof(ct_callbacks_spec, early_stopping.enabled),
     .section = &early_stopping_section},
    {.key = "model_checkpoint", .type = FT_SECTION, .offset = offsetof(ct_callbacks_spec, model_checkpoint),
     .flags = FL_SWITCH, .has_offset = offsetof(ct_callbacks_spec, model_checkpoint.enabled),
     .section = &model_checkpoint_section},
    {.key = "reduce_lr_on_plateau", .type = FT_SECTION,
     .offset = offsetof(ct_callbacks_spec, reduce_lr_on_plateau), .flags = FL_SWITCH | FL_OMIT_WHEN_NULL,
     .has_offset = offsetof(ct_callbacks_spec, reduce_lr_on_plateau.enabled), .section = &reduce_lr_section},
};
static const section callbacks_section = {"callbacks", callbacks_fields, COUNT(callbacks_fields),
                                          NULL, NULL};

/* ================================================================ evaluate */

static const field persistence_fields[] = {
    {.key = "column", .type = FT_STRING, .offset = offsetof(ct_baseline_spec, column),
     .flags = FL_REQUIRED | FL_NONEMPTY},
};
static const section persistence_section = {"persistence settings", persistence_fields,
                                            COUNT(persistence_fields), "column", NULL};

static const variant baseline_variants[] = {
    {"persistence", CT_BASELINE_PERSISTENCE, &persistence_section},
};
static const variant_set baseline_variant_set = {"baseline", offsetof(ct_baseline_spec, kind),
                                                 sizeof(ct_baseline_spec), baseline_variants,
                                                 COUNT(baseline_variants), NULL};

static const field evaluate_fields[] = {
    {.key = "baselines", .type = FT_VARIANT_LIST, .offset = offsetof(ct_evaluate_spec, baselines),
     .count_offset = offsetof(ct_evaluate_spec, baseline_count), .variants = &baseline_variant_set},
};
static const section evaluate_section = {"evaluate settings", evaluate_fields,
                                         COUNT(evaluate_fields), NULL, NULL};

/* ================================================================== output */

static const enum_entry plot_names[] = {
    {"history", CT_PLOT_HISTORY, false},
    {"predictions", CT_PLOT_PREDICTIONS, false},
    {"confusion_matrix", CT_PLOT_CONFUSION_MATRIX, false},
};
_Static_assert((1u << COUNT(plot_names)) - 1 == CT_PLOT_ALL, "a CT_PLOT_ bit without a name");
const enum_table xp_plot_names = {"plot", plot_names, COUNT(plot_names)};

static const field output_fields[] = {
    {.key = "dir", .type = FT_STRING, .offset = offsetof(ct_output_spec, dir),
     .flags = FL_NULLABLE | FL_NONEMPTY, .default_text = "null"},
    {.key = "plots", .type = FT_FLAGS, .offset = offsetof(ct_output_spec, plots),
     .default_text = "true", .enums = &xp_plot_names},
};
static const section output_section = {"output settings", output_fields, COUNT(output_fields),
                                       NULL, NULL};

/* ==================================================================== init */

static const field init_fields[] = {
    {.key = "from", .type = FT_STRING, .offset = offsetof(ct_init_spec, from), .flags = FL_NULLABLE | FL_NONEMPTY,
     .default_text = "null"},
};
static const section init_section = {"init settings", init_fields, COUNT(init_fields), NULL, NULL};

/* ============================================================== experiment */

/* The name defaults to the file's: "experiments/sunshine.yaml" -> "sunshine". */
static ct_status finish_experiment(void *base, const ynode *map, convert_ctx *ctx)
{
    (void)map;
    ct_experiment *exp = base;
    if (exp->name)
        return CT_OK;
    exp->name = strdup(ctx->default_name ? ctx->default_name : "experiment");
    return exp->name ? CT_OK : ct_fail(CT_ERR_NO_MEMORY, "out of memory");
}

#define EXP(member) offsetof(ct_experiment, member)
static const field experiment_fields[] = {
    {.key = "name", .type = FT_STRING, .offset = EXP(name), .flags = FL_NULLABLE | FL_NONEMPTY,
     .default_text = "null"},
    {.key = "description", .type = FT_STRING, .offset = EXP(description),
     .flags = FL_NULLABLE | FL_OMIT_WHEN_NULL, .default_text = "null"},
    {.key = "seed", .type = FT_INT64, .offset = EXP(seed), .default_text = "0",
     .range = {.min = 0, .max = 9007199254740992.0, .flags = R_MIN | R_MAX}},
    {.key = "data", .type = FT_VARIANT, .offset = EXP(data), .flags = FL_REQUIRED,
     .variants = &xp_data_variants},
    {.key = "model", .type = FT_VARIANT_LIST, .offset = EXP(model.layers), .flags = FL_REQUIRED,
     .count_offset = EXP(model.layer_count), .variants = &xp_layer_variants},
    {.key = "train", .type = FT_SECTION, .offset = EXP(train), .section = &train_section},
    {.key = "callbacks", .type = FT_SECTION, .offset = EXP(callbacks), .section = &callbacks_section},
    {.key = "evaluate", .type = FT_SECTION, .offset = EXP(evaluate), .section = &evaluate_section},
    {.key = "output", .type = FT_SECTION, .offset = EXP(output), .section = &output_section},
    {.key = "init", .type = FT_SECTION, .offset = EXP(init), .flags = FL_SWITCH | FL_OMIT_WHEN_NULL,
     .has_offset = EXP(init.enabled), .section = &init_section},
};
const section xp_experiment_section = {"experiment settings", experiment_fields,
                                       COUNT(experiment_fields), NULL, finish_experiment};
