/* init.from: the variables of a Keras 3 .weights.h5 file (HDF5), read by
 * the group names Keras 3 gives a model's layers (see weights_import.h). */
#include <ctype.h>
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx/keras_names.h"
#include "onnx/weights_import_internal.h"

/* Keras' naming.to_snake_case of a class name: "Conv2D" -> "conv2d",
 * "BatchNormalization" -> "batch_normalization", "LeakyReLU" -> "leaky_re_lu".
 * An underscore goes before an upper-case letter that starts a capitalised
 * word (upper then lower) after any character, and between a lower-case
 * letter and an upper-case one. */
static void snake_case(const char *name, char *buf, size_t size)
{
    size_t j = 0, n = strlen(name);
    for (size_t i = 0; i < n && j + 2 < size; i++) {
        char c = name[i];
        bool word_start = i > 0 && isupper((unsigned char)c) && i + 1 < n && islower((unsigned char)name[i + 1]) &&
                          name[i - 1] != '_';
        bool after_lower = i > 0 && isupper((unsigned char)c) && islower((unsigned char)name[i - 1]);
        if (word_start || after_lower)
            buf[j++] = '_';
        buf[j++] = (char)tolower((unsigned char)c);
    }
    buf[j] = '\0';
}

void ct_keras_group_name(const ct_model_plan *plan, size_t i, char *buf, size_t size)
{
    if (plan->graph) { /* Keras' order of a functional model's layers is not the list's */
        char(*groups)[CT_KERAS_GROUP_MAX] = NULL;
        if (ct_keras_weight_groups(plan, &groups) == CT_OK)
            snprintf(buf, size, "%s", groups[i]);
        else
            snprintf(buf, size, "%s", plan->layers[i].name);
        free(groups);
        return;
    }
    ct_layer_kind kind = plan->layers[i].spec->kind;
    size_t before = 0;
    for (size_t k = 0; k < i; k++)
        before += plan->layers[k].spec->kind == kind;
    char snake[64];
    snake_case(ct_layer_class_name(kind), snake, sizeof snake);
    if (before)
        snprintf(buf, size, "%s_%zu", snake, before);
    else
        snprintf(buf, size, "%s", snake);
}

static bool is_weighted(ct_layer_kind k)
{
    return k == CT_LAYER_DENSE || k == CT_LAYER_CONV2D || k == CT_LAYER_BATCH_NORMALIZATION;
}

static bool link_exists(hid_t loc, const char *path)
{
    /* H5Lexists checks one link at a time: each step of the path must exist. */
    char part[512];
    for (const char *p = path; (p = strchr(p, '/')) != NULL; p++) {
        snprintf(part, sizeof part, "%.*s", (int)(p - path), path);
        if (part[0] && H5Lexists(loc, part, H5P_DEFAULT) <= 0)
            return false;
    }
    return H5Lexists(loc, path, H5P_DEFAULT) > 0;
}

/* Dataset `path` as float32 (HDF5 converts float64 and float16). */
static ct_status read_var(const char *file, hid_t h5, const char *path, ct_onnx_tensor *out)
{
    hid_t set = H5Dopen2(h5, path, H5P_DEFAULT);
    if (set < 0)
        return ct_fail(CT_ERR_PARSE, "%s: %s is not a dataset", file, path);
    hid_t space = H5Dget_space(set), type = H5Dget_type(set);
    int ndim = space >= 0 ? H5Sget_simple_extent_ndims(space) : -1;
    ct_status s = CT_OK;
    if (type < 0 || H5Tget_class(type) != H5T_FLOAT)
        s = ct_fail(CT_ERR_PARSE, "%s: %s is not a floating-point dataset", file, path);
    else if (ndim < 0 || ndim > 4)
        s = ct_fail(CT_ERR_PARSE, "%s: %s has rank %d (a layer variable has at most 4 dimensions)", file, path, ndim);
    hsize_t dims[4] = {0};
    if (s == CT_OK && H5Sget_simple_extent_dims(space, dims, NULL) < 0)
        s = ct_fail(CT_ERR_PARSE, "%s: cannot read the shape of %s", file, path);
    int64_t d64[4];
    for (int d = 0; s == CT_OK && d < ndim; d++)
        d64[d] = dims[d] > (hsize_t)INT64_MAX ? -1 : (int64_t)dims[d];
    if (s == CT_OK && (s = ct_onnx_tensor_alloc(out, ndim, d64, 0)) != CT_OK)
        s = ct_fail_context(s, "%s: %s", file, path);
    if (s == CT_OK && ct_onnx_tensor_count(out) &&
        H5Dread(set, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, out->f) < 0) {
        ct_onnx_tensor_free(out);
        s = ct_fail(CT_ERR_PARSE, "%s: cannot read the values of %s", file, path);
    }
    if (type >= 0)
        H5Tclose(type);
    if (space >= 0)
        H5Sclose(space);
    H5Dclose(set);
    return s;
}

/* The variables of layers/<group>/vars: datasets "0", "1", ... in order. */
static ct_status read_group(const char *file, hid_t h5, const char *group, import_layer *l)
{
    for (size_t k = 0;; k++) {
        char path[320];
        snprintf(path, sizeof path, "layers/%s/vars/%zu", group, k);
        if (!link_exists(h5, path))
            return CT_OK;
        if (k == IMPORT_MAX_VARS)
            return ct_fail(CT_ERR_SHAPE, "%s: layers/%s holds more than %d variables: not a Dense, Conv2D or "
                                         "BatchNormalization layer's", file, group, IMPORT_MAX_VARS);
        CT_TRY(read_var(file, h5, path, &l->vars[k]));
        l->n_vars = k + 1;
    }
}

typedef struct {
    const char *file;
    const char *const *taken; /* group names the model reads */
    size_t n_taken;
    hid_t h5;
    char extra[128]; /* a group with variables no layer reads */
} extra_search;

static herr_t find_extra(hid_t group, const char *name, const H5L_info_t *info, void *data)
{
    (void)group, (void)info;
    extra_search *e = data;
    for (size_t i = 0; i < e->n_taken; i++)
        if (!strcmp(e->taken[i], name))
            return 0;
    char path[320];
    snprintf(path, sizeof path, "layers/%s/vars/0", name);
    if (link_exists(e->h5, path)) {
        snprintf(e->extra, sizeof e->extra, "%s", name);
        return 1;
    }
    return 0;
}

static ct_status read_layers(const char *path, hid_t h5, const ct_model_plan *plan, import_list *out)
{
    if (!link_exists(h5, "layers"))
        return ct_fail(CT_ERR_PARSE, "%s: no group 'layers': not a Keras 3 .weights.h5 file (model.save_weights "
                                     "of Keras 3; Keras 2's .h5 layout is not read)", path);
    char (*names)[96] = calloc(plan->layer_count ? plan->layer_count : 1, sizeof *names);
    const char **taken = calloc(plan->layer_count ? plan->layer_count : 1, sizeof *taken);
    if (!names || !taken) {
        free(names);
        free(taken);
        return ct_fail(CT_ERR_NO_MEMORY, "out of memory");
    }
    ct_status s = CT_OK;
    size_t n_taken = 0;
    for (size_t i = 0; s == CT_OK && i < plan->layer_count; i++) {
        const ct_layer_plan *p = &plan->layers[i];
        if (!is_weighted(p->spec->kind))
            continue;
        ct_keras_group_name(plan, i, names[i], sizeof names[i]);
        taken[n_taken++] = names[i];
        import_layer *l;
        s = import_list_add(out, &l);
        if (s != CT_OK)
            break;
        snprintf(l->name, sizeof l->name, "layers/%s", names[i]);
        l->kind = p->spec->kind;
        char group[200];
        snprintf(group, sizeof group, "layers/%s/vars", names[i]);
        if (!link_exists(h5, group))
            s = ct_fail(CT_ERR_SHAPE, "%s: layer %s (%s, model[%zu]) reads the group layers/%s, which the file does "
                                      "not have: the file's model has fewer %s layers",
                        path, p->name, ct_layer_class_name(p->spec->kind), i, names[i],
                        ct_layer_class_name(p->spec->kind));
        else
            s = read_group(path, h5, names[i], l);
    }
    if (s == CT_OK) {
        extra_search e = {path, taken, n_taken, h5, ""};
        hid_t layers = H5Gopen2(h5, "layers", H5P_DEFAULT);
        if (layers < 0)
            s = ct_fail(CT_ERR_PARSE, "%s: 'layers' is not a group", path);
        else {
            if (H5Literate(layers, H5_INDEX_NAME, H5_ITER_INC, NULL, find_extra, &e) < 0)
                s = ct_fail(CT_ERR_PARSE, "%s: cannot list the group 'layers'", path);
            H5Gclose(layers);
        }
        if (s == CT_OK && e.extra[0])
            s = ct_fail(CT_ERR_SHAPE, "%s: the file's layers/%s has no layer in the model to take its weights: "
                                      "the file's model has more weighted layers than this one", path, e.extra);
    }
    free(names);
    free(taken);
    return s;
}

ct_status ct_import_keras(const char *path, const ct_model_plan *plan, import_list *out)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL); /* library code never prints: errors come back as statuses */
    if (H5Fis_hdf5(path) <= 0)
        return ct_fail(CT_ERR_PARSE, "%s: not an HDF5 file (a Keras 3 .weights.h5 is one)", path);
    hid_t h5 = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (h5 < 0)
        return ct_fail(CT_ERR_PARSE, "%s: cannot open the HDF5 file", path);
    ct_status s = read_layers(path, h5, plan, out);
    H5Fclose(h5);
    return s;
}
