/* A run's weights as Keras 3 .weights.h5 plus the Python that loads them
 * (see keras_export.h). */
#include "onnx/keras_export.h"

#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cltrain/ops_nn.h" /* ct_activation_name */
#include "cltrain/report.h" /* ct_atomic_* */
#include "onnx/exported_run.h"
#include "onnx/keras_names.h"

/* ================================================================ HDF5 */

/* A group with the attribute name = `name` (Keras' vars groups). */
static hid_t named_group(hid_t parent, const char *path, const char *name)
{
    hid_t g = H5Gcreate2(parent, path, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (g < 0 || !name)
        return g;
    hid_t type = H5Tcopy(H5T_C_S1), space = H5Screate(H5S_SCALAR);
    H5Tset_size(type, H5T_VARIABLE);
    H5Tset_cset(type, H5T_CSET_UTF8);
    hid_t attr = H5Acreate2(g, "name", type, space, H5P_DEFAULT, H5P_DEFAULT);
    herr_t ok = attr >= 0 ? H5Awrite(attr, type, &name) : -1;
    if (attr >= 0)
        H5Aclose(attr);
    H5Sclose(space);
    H5Tclose(type);
    if (ok < 0) {
        H5Gclose(g);
        return -1;
    }
    return g;
}

static herr_t write_dataset(hid_t group, const char *name, int ndim, const size_t *shape, const float *data)
{
    hsize_t dims[8];
    for (int d = 0; d < ndim; d++)
        dims[d] = (hsize_t)shape[d];
    hid_t space = H5Screate_simple(ndim, dims, NULL);
    if (space < 0)
        return -1;
    hid_t set = H5Dcreate2(group, name, H5T_IEEE_F32LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    herr_t ok = set >= 0 ? H5Dwrite(set, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) : -1;
    if (set >= 0)
        H5Dclose(set);
    H5Sclose(space);
    return ok;
}

typedef struct {
    const char *what; /* weights.bin suffix: "kernel", "bias", "gamma", ... */
    int ndim;
    size_t shape[4];
} variable;

/* The layer's variables in Keras' order. */
static size_t layer_variables(const ct_layer_plan *p, variable *v)
{
    const ct_layer_spec *s = p->spec;
    size_t n = 0;
    if (s->kind == CT_LAYER_DENSE) {
        v[n++] = (variable){"kernel", 2, {p->in_shape[0], (size_t)s->dense.units}};
        if (s->dense.use_bias)
            v[n++] = (variable){"bias", 1, {(size_t)s->dense.units}};
    } else if (s->kind == CT_LAYER_CONV2D) {
        v[n++] = (variable){"kernel", 4, {(size_t)s->conv2d.kernel_size[0], (size_t)s->conv2d.kernel_size[1],
                                          p->in_shape[2], (size_t)s->conv2d.filters}};
        if (s->conv2d.use_bias)
            v[n++] = (variable){"bias", 1, {(size_t)s->conv2d.filters}};
    } else if (s->kind == CT_LAYER_BATCH_NORMALIZATION) {
        size_t c = p->in_shape[p->in_ndim - 1];
        if (s->batch_normalization.scale)
            v[n++] = (variable){"gamma", 1, {c}};
        if (s->batch_normalization.center)
            v[n++] = (variable){"beta", 1, {c}};
        v[n++] = (variable){"moving_mean", 1, {c}};
        v[n++] = (variable){"moving_variance", 1, {c}};
    }
    return n;
}

/* A BatchNormalization without center (scale) has no beta (gamma) in
 * Keras: cltrain's must then still be 0 (1), or the file would lie. */
static ct_status check_fixed(const ct_exported_run *r, const ct_layer_plan *p)
{
    const ct_batch_norm_spec *bn = &p->spec->batch_normalization;
    size_t c = p->in_shape[p->in_ndim - 1];
    for (int k = 0; k < 2; k++) {
        const char *what = k ? "beta" : "gamma";
        float want = k ? 0.0f : 1.0f;
        if ((k ? bn->center : bn->scale) || !ct_exported_run_has_weight(r, p->name, what))
            continue;
        const float *data;
        CT_TRY(ct_exported_run_weight(r, p->name, what, 1, &c, &data));
        for (size_t i = 0; i < c; i++)
            if (data[i] != want)
                return ct_fail(CT_ERR_UNSUPPORTED,
                               "%s/weights.bin: layer %s has %s = %g although %s is false: Keras' layer has no %s "
                               "to hold it (export to ONNX instead)",
                               r->run_dir, p->name, what, data[i], k ? "center" : "scale", what);
    }
    return CT_OK;
}

static ct_status write_h5(const ct_exported_run *r, const char *path)
{
    for (size_t i = 0; i < r->plan.layer_count; i++)
        if (r->plan.layers[i].spec->kind == CT_LAYER_BATCH_NORMALIZATION)
            CT_TRY(check_fixed(r, &r->plan.layers[i]));
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL); /* library code never prints: errors come back as statuses */
    hid_t file = H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (file < 0)
        return ct_fail(CT_ERR_IO, "%s: cannot create the HDF5 file", tmp);
    char(*groups)[CT_KERAS_GROUP_MAX] = NULL;
    ct_status s = ct_keras_weight_groups(&r->plan, &groups);
    hid_t layers = s == CT_OK ? H5Gcreate2(file, "layers", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT) : -1;
    for (size_t i = 0; s == CT_OK && layers >= 0 && i < r->plan.layer_count; i++) {
        const ct_layer_plan *p = &r->plan.layers[i];
        variable v[4];
        size_t n = layer_variables(p, v);
        hid_t layer = H5Gcreate2(layers, groups[i], H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        hid_t vars = layer >= 0 ? named_group(layer, "vars", p->name) : -1;
        if (vars < 0)
            s = ct_fail(CT_ERR_IO, "%s: cannot create the group of layer %s", tmp, p->name);
        for (size_t k = 0; s == CT_OK && k < n; k++) {
            const float *data;
            char index[8];
            snprintf(index, sizeof index, "%zu", k);
            s = ct_exported_run_weight(r, p->name, v[k].what, v[k].ndim, v[k].shape, &data);
            if (s == CT_OK && write_dataset(vars, index, v[k].ndim, v[k].shape, data) < 0)
                s = ct_fail(CT_ERR_IO, "%s: cannot write %s/%s", tmp, p->name, v[k].what);
        }
        if (vars >= 0)
            H5Gclose(vars);
        if (layer >= 0)
            H5Gclose(layer);
    }
    if (s == CT_OK && layers < 0)
        s = ct_fail(CT_ERR_IO, "%s: cannot create the group layers", tmp);
    if (layers >= 0)
        H5Gclose(layers);
    free(groups);
    hid_t vars = s == CT_OK ? named_group(file, "vars", r->plan.graph ? "functional" : "sequential") : -1;
    if (s == CT_OK && vars < 0)
        s = ct_fail(CT_ERR_IO, "%s: cannot create the group vars", tmp);
    if (vars >= 0)
        H5Gclose(vars);
    if (H5Fclose(file) < 0 && s == CT_OK)
        s = ct_fail(CT_ERR_IO, "%s: cannot close the HDF5 file", tmp);
    if (s == CT_OK && rename(tmp, path) != 0)
        s = ct_fail(CT_ERR_IO, "%s: cannot rename %s into place", path, tmp);
    if (s != CT_OK)
        unlink(tmp);
    return s;
}

/* ============================================================== Python */

/* The shortest of %.15g..%.17g that reads back as v, as Python's repr. */
static void py_double(FILE *f, double v)
{
    char text[40];
    for (int digits = 15; digits <= 17; digits++) {
        snprintf(text, sizeof text, "%.*g", digits, v);
        if (strtod(text, NULL) == v)
            break;
    }
    fputs(text, f);
}

/* A Python string literal. */
static void py_string(FILE *f, const char *text)
{
    fputc('"', f);
    for (const char *c = text; *c; c++) {
        if (*c == '"' || *c == '\\')
            fputc('\\', f);
        if (*c == '\n')
            fputs("\\n", f);
        else
            fputc(*c, f);
    }
    fputc('"', f);
}

/* activation="name", or for the tanh form of gelu, which has no Keras
 * string, Keras' own function with approximate=True. */
static void py_activation(FILE *f, ct_activation act)
{
    if (act == CT_ACTIVATION_GELU_APPROXIMATE)
        fputs("lambda x: keras.activations.gelu(x, approximate=True)", f);
    else
        fprintf(f, "\"%s\"", ct_activation_name(act));
}

/* A factor as written: f or (lower, upper). */
static void py_factor(FILE *f, const char *key, const ct_factor_spec *factor)
{
    fprintf(f, "%s=", key);
    if (factor->count == 0) {
        fputs("None", f);
    } else if (factor->count == 1) {
        py_double(f, factor->values[0]);
    } else {
        fputc('(', f);
        py_double(f, factor->values[0]);
        fputs(", ", f);
        py_double(f, factor->values[1]);
        fputc(')', f);
    }
}

/* The augmentation layers with the settings Keras takes (Keras draws its
 * own random numbers: the same settings, other transforms). */
static void py_augment(FILE *f, const ct_layer_spec *s)
{
    const ct_augment_spec *a = &s->augment;
    switch (s->kind) {
    case CT_LAYER_RANDOM_FLIP:
        fprintf(f, "keras.layers.RandomFlip(\"%s\"", ct_flip_mode_name(a->mode));
        break;
    case CT_LAYER_RANDOM_CROP:
        fprintf(f, "keras.layers.RandomCrop(%d, %d", a->height, a->width);
        break;
    default:
        if (s->kind == CT_LAYER_RANDOM_ROTATION) {
            fputs("keras.layers.RandomRotation(", f);
            py_factor(f, "factor", &a->factor);
        } else {
            fputs(s->kind == CT_LAYER_RANDOM_ZOOM ? "keras.layers.RandomZoom(" : "keras.layers.RandomTranslation(",
                  f);
            py_factor(f, "height_factor", &a->height_factor);
            fputs(", ", f);
            py_factor(f, "width_factor", &a->width_factor);
        }
        fprintf(f, ", fill_mode=\"%s\", interpolation=\"%s\", fill_value=", ct_fill_mode_name(a->fill_mode),
                ct_interpolation_name(a->interpolation));
        py_double(f, a->fill_value);
        break;
    }
    if (a->has_seed)
        fprintf(f, ", seed=%lld", (long long)a->seed);
}

/* The layer's constructor, keras.layers.Dense(..., name="dense"). */
static void py_layer(FILE *f, const ct_layer_plan *p)
{
    const ct_layer_spec *s = p->spec;
    static const char *const pad[] = {"valid", "same"};
    switch (s->kind) {
    case CT_LAYER_DENSE:
        fprintf(f, "keras.layers.Dense(%d, activation=", s->dense.units);
        py_activation(f, s->dense.activation);
        fprintf(f, ", use_bias=%s", s->dense.use_bias ? "True" : "False");
        break;
    case CT_LAYER_CONV2D:
        fprintf(f, "keras.layers.Conv2D(%d, (%d, %d), strides=(%d, %d), padding=\"%s\", activation=",
                s->conv2d.filters, s->conv2d.kernel_size[0], s->conv2d.kernel_size[1], s->conv2d.strides[0],
                s->conv2d.strides[1], pad[s->conv2d.padding]);
        py_activation(f, s->conv2d.activation);
        fprintf(f, ", use_bias=%s", s->conv2d.use_bias ? "True" : "False");
        break;
    case CT_LAYER_MAX_POOLING2D:
    case CT_LAYER_AVERAGE_POOLING2D: {
        const ct_pooling2d_spec *q = &s->pooling;
        int sh = q->strides[0] > 0 ? q->strides[0] : q->pool_size[0];
        int sw = q->strides[1] > 0 ? q->strides[1] : q->pool_size[1];
        fprintf(f, "keras.layers.%s((%d, %d), strides=(%d, %d), padding=\"%s\"",
                s->kind == CT_LAYER_MAX_POOLING2D ? "MaxPooling2D" : "AveragePooling2D", q->pool_size[0],
                q->pool_size[1], sh, sw, pad[q->padding]);
        break;
    }
    case CT_LAYER_FLATTEN:
        fputs("keras.layers.Flatten(", f);
        break;
    case CT_LAYER_DROPOUT:
        fputs("keras.layers.Dropout(", f);
        py_double(f, s->dropout.rate);
        break;
    case CT_LAYER_BATCH_NORMALIZATION:
        fputs("keras.layers.BatchNormalization(momentum=", f);
        py_double(f, s->batch_normalization.momentum);
        fputs(", epsilon=", f);
        py_double(f, s->batch_normalization.epsilon);
        fprintf(f, ", center=%s, scale=%s", s->batch_normalization.center ? "True" : "False",
                s->batch_normalization.scale ? "True" : "False");
        break;
    case CT_LAYER_ACTIVATION:
        fputs("keras.layers.Activation(", f);
        py_activation(f, s->activation.activation);
        break;
    case CT_LAYER_RESHAPE:
        fputs("keras.layers.Reshape((", f);
        for (int d = 0; d < p->out_ndim; d++)
            fprintf(f, "%zu%s", p->out_shape[d], p->out_ndim == 1 ? ",)" : d + 1 < p->out_ndim ? ", " : ")");
        break;
    case CT_LAYER_RESCALING:
        fputs("keras.layers.Rescaling(", f);
        py_double(f, s->rescaling.scale);
        fputs(", offset=", f);
        py_double(f, s->rescaling.offset);
        break;
    case CT_LAYER_LEAKY_RELU:
        fputs("keras.layers.LeakyReLU(negative_slope=", f);
        py_double(f, s->leaky_relu.negative_slope);
        break;
    case CT_LAYER_GLOBAL_AVERAGE_POOLING2D:
    case CT_LAYER_GLOBAL_MAX_POOLING2D:
        fprintf(f, "keras.layers.%s(keepdims=%s",
                s->kind == CT_LAYER_GLOBAL_MAX_POOLING2D ? "GlobalMaxPooling2D" : "GlobalAveragePooling2D",
                s->global_pooling.keepdims ? "True" : "False");
        break;
    case CT_LAYER_RANDOM_FLIP:
    case CT_LAYER_RANDOM_TRANSLATION:
    case CT_LAYER_RANDOM_ROTATION:
    case CT_LAYER_RANDOM_ZOOM:
    case CT_LAYER_RANDOM_CROP:
        py_augment(f, s);
        break;
    case CT_LAYER_ADD:
        fputs("keras.layers.Add(", f);
        break;
    case CT_LAYER_CONCATENATE:
        fputs("keras.layers.Concatenate(axis=-1", f);
        break;
    default:
        fprintf(f, "None  # %s: no Keras equivalent written (", p->name);
        break;
    }
    fprintf(f, "%sname=", s->kind == CT_LAYER_FLATTEN || s->kind == CT_LAYER_ADD ? "" : ", ");
    py_string(f, p->name);
    fputs(")", f);
}

/* A graph model as Keras' functional API: each layer called on the tensors
 * of its inputs, kept by name in a dict (names need not be identifiers). */
static void py_functional(FILE *f, const ct_exported_run *r)
{
    fputs("\n\ndef build_model():\n    t = {}\n    t[", f);
    py_string(f, CT_MODEL_INPUT_NAME);
    fputs("] = keras.Input(shape=(", f);
    for (int d = 0; d < r->plan.in_ndim; d++)
        fprintf(f, "%zu%s", r->plan.in_shape[d], r->plan.in_ndim == 1 || d + 1 < r->plan.in_ndim ? ", " : "");
    fputs("), name=", f);
    py_string(f, CT_MODEL_INPUT_NAME);
    fputs(")\n", f);
    for (size_t i = 0; i < r->plan.layer_count; i++) {
        const ct_layer_plan *p = &r->plan.layers[i];
        bool merge = p->spec->kind == CT_LAYER_ADD || p->spec->kind == CT_LAYER_CONCATENATE;
        fputs("    t[", f);
        py_string(f, p->name);
        fputs("] = ", f);
        py_layer(f, p);
        fputs(merge ? "([" : "(", f);
        for (size_t k = 0; k < p->input_count; k++) {
            fputs(k ? ", t[" : "t[", f);
            py_string(f, p->inputs[k] == CT_PLAN_DATA ? CT_MODEL_INPUT_NAME : r->plan.layers[p->inputs[k]].name);
            fputs("]", f);
        }
        fputs(merge ? "])\n" : ")\n", f);
    }
    fputs("    model = keras.Model(t[", f);
    py_string(f, CT_MODEL_INPUT_NAME);
    fputs("], t[", f);
    py_string(f, r->plan.layers[r->plan.layer_count - 1].name);
    fputs("], name=\"functional\")\n    model.load_weights(WEIGHTS)\n    return model\n\n\n"
          "if __name__ == \"__main__\":\n    build_model().summary()\n",
          f);
}

static ct_status write_py(const ct_exported_run *r, const char *path, const char *weights_path)
{
    ct_atomic_file *af;
    CT_TRY(ct_atomic_open(path, &af));
    FILE *f = ct_atomic_stream(af);
    const char *base = strrchr(weights_path, '/');
    base = base ? base + 1 : weights_path;
    fprintf(f, "\"\"\"Keras 3 model of cltrain experiment %s, with the weights cltrain trained.\n\n", r->exp->name);
    fputs("Written by `cltrain export RUN_DIR --format keras`. Run it to build the model,\n"
          "load the weights and print the summary; or import it and call build_model().\n", f);
    if (r->features.count)
        fputs("The model reads standardised features: pass rows of FEATURES through\n"
              "standardize() first, as cltrain did in training.\n", f);
    if (ct_exported_run_classifies(r) && r->exp->train.from_logits)
        fputs("Trained with from_logits: the outputs are logits (apply softmax, or sigmoid\n"
              "for one unit, for probabilities).\n", f);
    fputs("\"\"\"\nimport os\n\nimport keras\nimport numpy as np\n\n", f);
    fputs("WEIGHTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), ", f);
    py_string(f, base);
    fputs(")\n", f);
    if (r->features.count) {
        fputs("\nFEATURES = [\n", f);
        for (size_t i = 0; i < r->features.count; i++) {
            fputs("    ", f);
            py_string(f, r->features.names[i]);
            fputs(",\n", f);
        }
        fputs("]\nMEAN = np.array([", f);
        for (size_t i = 0; i < r->features.count; i++) {
            fputs(i ? ", " : "", f);
            py_double(f, r->features.mean[i]);
        }
        fputs("])\nSCALE = np.array([", f);
        for (size_t i = 0; i < r->features.count; i++) {
            fputs(i ? ", " : "", f);
            py_double(f, r->features.scale[i]);
        }
        fputs("])\n\n\ndef standardize(x):\n"
              "    \"\"\"Rows of FEATURES (raw values, float32 as cltrain reads them) as the model reads them.\"\"\"\n"
              "    x = np.asarray(x, dtype=np.float32).astype(np.float64)\n"
              "    return ((x - MEAN) / SCALE).astype(np.float32)\n",
              f);
    }
    if (r->plan.graph) {
        py_functional(f, r);
        return ct_atomic_commit(af);
    }
    fputs("\n\ndef build_model():\n    model = keras.Sequential(\n        [\n            keras.Input(shape=(", f);
    for (int d = 0; d < r->plan.in_ndim; d++)
        fprintf(f, "%zu%s", r->plan.in_shape[d], r->plan.in_ndim == 1 || d + 1 < r->plan.in_ndim ? ", " : "");
    fputs(")),\n", f);
    for (size_t i = 0; i < r->plan.layer_count; i++) {
        fputs("            ", f);
        py_layer(f, &r->plan.layers[i]);
        fputs(",\n", f);
    }
    fputs("        ],\n        name=\"sequential\",\n    )\n    model.load_weights(WEIGHTS)\n    return model\n\n\n"
          "if __name__ == \"__main__\":\n    build_model().summary()\n",
          f);
    return ct_atomic_commit(af);
}

ct_status ct_keras_export_run(const char *run_dir, const char *weights_path, const char *py_path)
{
    if (!run_dir || !weights_path || !py_path)
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "ct_keras_export_run: NULL argument");
    ct_exported_run r;
    ct_status s = ct_exported_run_open(run_dir, &r);
    for (size_t i = 0; s == CT_OK && i < r.plan.layer_count; i++)
        if (r.plan.layers[i].spec->kind >= CT_LAYER_COUNT)
            s = ct_fail(CT_ERR_UNSUPPORTED, "layer %s has no Keras equivalent", r.plan.layers[i].name);
    if (s == CT_OK)
        s = write_h5(&r, weights_path);
    if (s == CT_OK)
        s = write_py(&r, py_path, weights_path);
    ct_exported_run_close(&r);
    return s;
}
