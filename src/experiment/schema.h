/* The experiment schema as data: each section of the file is a table of
 * fields (key, type, where the value goes in the spec struct, default, range).
 * One generic converter (convert.c), writer (writer.c) and destructor walk
 * these tables, so a new key is one table row, and reading, writing and
 * freeing cannot disagree about it.
 *
 * Offsets are relative to the struct a section describes: ct_train_spec for
 * "train", ct_layer_spec for every layer type (its variants share the
 * element), ct_data_spec for csv/cifar10, ... */
#ifndef CLTRAIN_EXPERIMENT_SCHEMA_H
#define CLTRAIN_EXPERIMENT_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>

#include "cltrain/experiment.h"
#include "core/names.h"
#include "experiment/ytree.h"

typedef enum {
    FT_BOOL,         /* bool */
    FT_INT,          /* int, range-checked */
    FT_INT64,        /* int64_t, range-checked */
    FT_DOUBLE,       /* double, finite, range-checked */
    FT_STRING,       /* char * (owned) */
    FT_ENUM,         /* an enum stored as int, by name (enums) */
    FT_INT_PAIR,     /* int[2]: `3` or `[3, 3]`, each range-checked */
    FT_STRING_LIST,  /* ct_string_list; a single string is a one-item list */
    FT_ENUM_LIST,    /* fixed int array + size_t count at count_offset; no repeats */
    FT_FLAGS,        /* unsigned bit set: true (all), false (none) or a list of names */
    FT_SECTION,      /* a nested struct described by `section` */
    FT_VARIANT,      /* one of several kinds: `name` or {name: settings} (`variants`) */
    FT_VARIANT_LIST, /* array of variant elements (malloc'd) + size_t count at count_offset */
    FT_DOUBLE_LIST,  /* fixed double array + size_t count at count_offset; each range-checked */
} field_type;

enum {
    FL_REQUIRED = 1u << 0,       /* no default: must be written */
    FL_NULLABLE = 1u << 1,       /* `null` allowed: bool at has_offset (numbers, variants) or NULL (strings) */
    FL_NONEMPTY = 1u << 2,       /* strings: "" is an error */
    FL_FLOW = 1u << 3,           /* written on one line: {a: 1, b: 2} */
    FL_OMIT_WHEN_NULL = 1u << 4, /* writer leaves out an absent value instead of `null` (or a
                                    switched-off FL_SWITCH section instead of `false`) */
    FL_SWITCH = 1u << 5,         /* FT_SECTION that presence enables (bool at has_offset);
                                    also accepts true / false / an empty value */
    FL_NO_DEFAULT = 1u << 6,     /* neither required nor defaulted here: the section's
                                    finish() fills it (pool strides = pool_size) */
};

enum { R_MIN = 1u << 0, R_MAX = 1u << 1, R_MIN_OPEN = 1u << 2, R_MAX_OPEN = 1u << 3 };

typedef struct {
    double min, max;
    unsigned flags; /* R_* */
} value_range;

/* Enum spellings: the shared tables of src/core/names.c, and the schema's
 * own (plots). */
typedef ct_name_entry enum_entry;
typedef ct_name_table enum_table;

struct section;
struct variant_set;
struct convert_ctx;

typedef struct field {
    const char *key;
    field_type type;
    size_t offset;
    unsigned flags;           /* FL_* */
    const char *default_text; /* the default as YAML would spell it; NULL: none */
    value_range range;
    size_t has_offset;        /* FL_NULLABLE numbers, FL_SWITCH sections: the bool */
    size_t count_offset;      /* FT_ENUM_LIST, FT_VARIANT_LIST, FT_DOUBLE_LIST */
    size_t capacity;          /* FT_ENUM_LIST, FT_DOUBLE_LIST: array length */
    const enum_table *enums;  /* FT_ENUM, FT_ENUM_LIST, FT_FLAGS */
    const struct section *section;       /* FT_SECTION */
    const struct variant_set *variants;  /* FT_VARIANT, FT_VARIANT_LIST */
} field;

/* After a section's fields are converted: fill values that depend on others.
 * `map` is the mapping written in the file, NULL when the section was absent. */
typedef ct_status (*section_finish)(void *base, const ynode *map, struct convert_ctx *ctx);

typedef struct section {
    const char *what; /* "early_stopping settings", for messages */
    const field *fields;
    size_t count;
    const char *scalar_field; /* a lone scalar sets this field: `target: NAME` */
    section_finish finish;
} section;

typedef struct {
    const char *key; /* "dense" */
    int kind;        /* CT_LAYER_DENSE */
    const section *body;
} variant;

/* After a variant list is converted (layer names). */
typedef ct_status (*list_finish)(void *array, size_t count);

typedef struct variant_set {
    const char *what;   /* "layer type", for messages */
    size_t kind_offset; /* the int kind within the element */
    size_t elem_size;   /* FT_VARIANT_LIST element size */
    const variant *variants;
    size_t count;
    list_finish finish;
} variant_set;

/* The whole file, from the top-level mapping. */
extern const section xp_experiment_section;
/* Variant tables. Their keys spell the kinds as src/core/names.c does
 * (tests/test_experiment.c holds them to it); the data sources' keys are
 * the truth behind ct_data_kind_name(). */
extern const variant_set xp_data_variants, xp_layer_variants, xp_optimizer_variants;

/* The plot names of output.plots (CT_PLOT_* bits). */
extern const enum_table xp_plot_names;

/* ---------------------------------------------------------------- engine */

typedef struct convert_ctx {
    char path[512];   /* key path of the value being converted: "model[2].dense.units" */
    size_t path_len;
    const char *default_name; /* for the experiment's name when the file has none */
} convert_ctx;

/* Fill `base` (zeroed by the caller) from map per section `s`. */
ct_status xp_convert_section(const section *s, const ynode *map, const ynode *anchor, void *base,
                             convert_ctx *ctx);

/* Release everything the section's fields own (strings, lists, arrays) and
 * zero those fields. Safe on a zeroed or partially converted struct. */
void xp_free_section(const section *s, void *base);

/* Write the section's fields as YAML block lines at `indent`. */
void xp_write_section(FILE *out, const section *s, const void *base, int indent);

/* An error at node `at` (or, when NULL, at `anchor`): "where: path: message". */
ct_status xp_error_at(const convert_ctx *ctx, const ynode *at, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Shortest decimal that reads back as the same double ("0.001", "1e-07", "1.0"). */
void xp_format_double(double v, char *buf, size_t size);

#endif
