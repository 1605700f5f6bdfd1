/* init.from: the layers a weights file holds matched to the model's plan,
 * converted to cltrain's layouts and named as the model's tensors (see
 * weights_import.h). */
#include "onnx/weights_import.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "onnx/weights_import_internal.h"

static bool is_weighted(ct_layer_kind k)
{
    return k == CT_LAYER_DENSE || k == CT_LAYER_CONV2D || k == CT_LAYER_BATCH_NORMALIZATION;
}

static void shape_text(int ndim, const size_t *shape, char *buf, size_t size)
{
    size_t used = (size_t)snprintf(buf, size, "(");
    for (int d = 0; d < ndim && used < size; d++)
        used += (size_t)snprintf(buf + used, size - used, "%s%zu", d ? ", " : "", shape[d]);
    if (used < size)
        snprintf(buf + used, size - used, ndim == 1 ? ",)" : ")");
}

/* What the matcher is converting, for messages. */
typedef struct {
    const char *path;
    const ct_layer_plan *p;
    size_t index; /* model[index] */
    const import_layer *l;
    ct_named_tensor *out; /* the model's tensors, filled in order */
    size_t n_out, cap_out;
} match;

static ct_status mismatch(const match *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static ct_status mismatch(const match *m, const char *fmt, ...)
{
    char what[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return ct_fail(CT_ERR_SHAPE, "%s: layer %s (%s, model[%zu]) and the file's %s: %s", m->path, m->p->name,
                   ct_layer_class_name(m->p->spec->kind), m->index, m->l->name, what);
}

/* A tensor of the model, "layer/what", of shape (ndim, shape) from v, whose
 * (converted) shape is (v_ndim, v_shape); values already in cltrain's order. */
static ct_status put(match *m, const char *what, int ndim, const size_t *shape, const float *values, int v_ndim,
                     const size_t *v_shape, const char *file_shape_note)
{
    bool same = ndim == v_ndim;
    for (int d = 0; same && d < ndim; d++)
        same = shape[d] == v_shape[d];
    if (!same) {
        char want[96], got[96];
        shape_text(ndim, shape, want, sizeof want);
        shape_text(v_ndim, v_shape, got, sizeof got);
        return mismatch(m, "%s of shape %s expected, the file has %s%s", what, want, got, file_shape_note);
    }
    ct_named_tensor *t = &m->out[m->n_out];
    size_t count = 1;
    for (int d = 0; d < ndim; d++)
        count *= shape[d];
    char name[CT_LAYER_NAME_MAX + 32];
    snprintf(name, sizeof name, "%s/%s", m->p->name, what);
    t->name = strdup(name);
    t->data = malloc((count ? count : 1) * sizeof *t->data);
    if (!t->name || !t->data) {
        free(t->name);
        free(t->data);
        t->name = NULL, t->data = NULL;
        return ct_fail(CT_ERR_NO_MEMORY, "out of memory");
    }
    t->ndim = ndim;
    for (int d = 0; d < ndim; d++)
        t->shape[d] = shape[d];
    memcpy(t->data, values, count * sizeof *t->data);
    m->n_out++;
    return CT_OK;
}

static void dims_of(const ct_onnx_tensor *v, size_t *shape)
{
    for (int d = 0; d < v->ndim; d++)
        shape[d] = (size_t)v->dims[d];
}

/* A vector of c values; ONNX and Keras may also store a bias as (1, c). */
static ct_status put_vector(match *m, const char *what, size_t c, const ct_onnx_tensor *v)
{
    size_t shape[4];
    dims_of(v, shape);
    int ndim = v->ndim;
    if (ndim == 2 && shape[0] == 1) {
        shape[0] = shape[1];
        ndim = 1;
    }
    return put(m, what, 1, &c, v->f, ndim, shape, "");
}

/* The Flatten whose (H, W, C) output Dense layer i reads, looking back over
 * layers that keep the values in place; NULL when there is none. */
static const ct_layer_plan *flatten_before(const ct_model_plan *plan, size_t i)
{
    while (i-- > 0) {
        ct_layer_kind k = plan->layers[i].spec->kind;
        if (k == CT_LAYER_FLATTEN)
            return plan->layers[i].in_ndim == 3 ? &plan->layers[i] : NULL;
        if (k != CT_LAYER_DROPOUT && k != CT_LAYER_ACTIVATION && k != CT_LAYER_LEAKY_RELU)
            return NULL;
    }
    return NULL;
}

static ct_status dense(match *m, const ct_model_plan *plan)
{
    const ct_dense_spec *s = &m->p->spec->dense;
    const import_layer *l = m->l;
    size_t want_vars = s->use_bias ? 2 : 1;
    if (l->n_vars != want_vars)
        return mismatch(m, "%zu variables expected (kernel%s), the file has %zu", want_vars,
                        s->use_bias ? " and bias" : "; use_bias is false", l->n_vars);
    const ct_onnx_tensor *k = &l->vars[0];
    if (k->ndim != 2)
        return mismatch(m, "a 2-D kernel expected, the file's has %d dimensions", k->ndim);
    size_t rows = (size_t)k->dims[l->trans_b ? 1 : 0], cols = (size_t)k->dims[l->trans_b ? 0 : 1];
    size_t in = m->p->in_shape[0], units = (size_t)s->units, want[2] = {in, units}, got[2] = {rows, cols};
    float *kernel = malloc((rows * cols + 1) * sizeof *kernel);
    if (!kernel)
        return ct_fail(CT_ERR_NO_MEMORY, "out of memory");
    /* kernel[r][c], (in, out), from (in, out) or transB's (out, in) */
    for (size_t r = 0; r < rows; r++)
        for (size_t c = 0; c < cols; c++)
            kernel[r * cols + c] = l->trans_b ? k->f[c * rows + r] : k->f[r * cols + c];
    const ct_layer_plan *flat = l->chw_flatten ? flatten_before(plan, m->index) : NULL;
    if (flat && rows == in) {
        /* Row (c, h, w) of a channels-first flatten is cltrain's (h, w, c). */
        size_t h = flat->in_shape[0], w = flat->in_shape[1], ch = flat->in_shape[2];
        float *moved = malloc((rows * cols + 1) * sizeof *moved);
        if (!moved) {
            free(kernel);
            return ct_fail(CT_ERR_NO_MEMORY, "out of memory");
        }
        for (size_t c = 0; c < ch; c++)
            for (size_t y = 0; y < h; y++)
                for (size_t x = 0; x < w; x++)
                    memcpy(&moved[((y * w + x) * ch + c) * cols], &kernel[((c * h + y) * w + x) * cols],
                           cols * sizeof *moved);
        free(kernel);
        kernel = moved;
    }
    ct_status st = put(m, "kernel", 2, want, kernel, 2, got,
                       l->trans_b ? " (transposed from Gemm's transB=1 (out, in))" : "");
    free(kernel);
    if (st == CT_OK && s->use_bias)
        st = put_vector(m, "bias", units, &l->vars[1]);
    return st;
}

static ct_status conv(match *m)
{
    const ct_conv2d_spec *s = &m->p->spec->conv2d;
    const import_layer *l = m->l;
    size_t want_vars = s->use_bias ? 2 : 1;
    if (l->n_vars != want_vars)
        return mismatch(m, "%zu variables expected (kernel%s), the file has %zu", want_vars,
                        s->use_bias ? " and bias" : "; use_bias is false", l->n_vars);
    const ct_onnx_tensor *k = &l->vars[0];
    if (k->ndim != 4)
        return mismatch(m, "a 4-D kernel expected, the file's has %d dimensions", k->ndim);
    size_t want[4] = {(size_t)s->kernel_size[0], (size_t)s->kernel_size[1], m->p->in_shape[2], (size_t)s->filters};
    size_t got[4], n = ct_onnx_tensor_count(k);
    float *kernel = malloc((n ? n : 1) * sizeof *kernel);
    if (!kernel)
        return ct_fail(CT_ERR_NO_MEMORY, "out of memory");
    if (l->onnx) { /* (O, I, KH, KW) -> (KH, KW, I, O) */
        size_t o = (size_t)k->dims[0], i = (size_t)k->dims[1], kh = (size_t)k->dims[2], kw = (size_t)k->dims[3];
        got[0] = kh, got[1] = kw, got[2] = i, got[3] = o;
        for (size_t a = 0; a < o; a++)
            for (size_t b = 0; b < i; b++)
                for (size_t y = 0; y < kh; y++)
                    for (size_t x = 0; x < kw; x++)
                        kernel[((y * kw + x) * i + b) * o + a] = k->f[((a * i + b) * kh + y) * kw + x];
    } else {
        dims_of(k, got);
        memcpy(kernel, k->f, n * sizeof *kernel);
    }
    ct_status st = put(m, "kernel", 4, want, kernel, 4, got, l->onnx ? " (from Conv's (O, I, KH, KW))" : "");
    free(kernel);
    if (st == CT_OK && s->use_bias)
        st = put_vector(m, "bias", want[3], &l->vars[1]);
    return st;
}

/* Without scale (center) the layer keeps gamma 1 (beta 0): an ONNX file,
 * which always has both, must agree, or its model computed something else. */
static ct_status fixed_vector(match *m, const char *what, size_t c, const ct_onnx_tensor *v, float want)
{
    for (size_t i = 0; i < c && i < ct_onnx_tensor_count(v); i++)
        if (v->f[i] != want)
            return mismatch(m, "%s[%zu] = %g, but the layer has %s: false (its %s stays %g)", what, i, (double)v->f[i],
                            want == 1.0f ? "scale" : "center", what, (double)want);
    return put_vector(m, what, c, v);
}

static ct_status batch_norm(match *m)
{
    const ct_batch_norm_spec *s = &m->p->spec->batch_normalization;
    const import_layer *l = m->l;
    size_t c = m->p->in_shape[m->p->in_ndim - 1];
    size_t want_vars = l->onnx ? 4 : (size_t)s->scale + (size_t)s->center + 2;
    if (l->n_vars != want_vars)
        return mismatch(m, "%zu variables expected (%s%smoving_mean, moving_variance), the file has %zu", want_vars,
                        s->scale ? "gamma, " : "", s->center ? "beta, " : "", l->n_vars);
    const ct_onnx_tensor *gamma = NULL, *beta = NULL;
    size_t k = 0;
    if (l->onnx || s->scale)
        gamma = &l->vars[k++];
    if (l->onnx || s->center)
        beta = &l->vars[k++];
    ct_onnx_tensor one = {0}, zero = {0};
    int64_t dims[1] = {(int64_t)c};
    ct_status st = ct_onnx_tensor_alloc(&one, 1, dims, 0);
    if (st == CT_OK)
        st = ct_onnx_tensor_alloc(&zero, 1, dims, 0);
    for (size_t i = 0; st == CT_OK && i < c; i++)
        one.f[i] = 1.0f;
    if (st == CT_OK)
        st = gamma ? (s->scale ? put_vector(m, "gamma", c, gamma) : fixed_vector(m, "gamma", c, gamma, 1.0f))
                   : put_vector(m, "gamma", c, &one);
    if (st == CT_OK)
        st = beta ? (s->center ? put_vector(m, "beta", c, beta) : fixed_vector(m, "beta", c, beta, 0.0f))
                  : put_vector(m, "beta", c, &zero);
    if (st == CT_OK)
        st = put_vector(m, "moving_mean", c, &l->vars[k]);
    if (st == CT_OK)
        st = put_vector(m, "moving_variance", c, &l->vars[k + 1]);
    ct_onnx_tensor_free(&one);
    ct_onnx_tensor_free(&zero);
    return st;
}

static const char *kind_of_file(ct_layer_kind k)
{
    return k == CT_LAYER_DENSE ? "Dense (Gemm or MatMul)" : k == CT_LAYER_CONV2D ? "Conv2D (Conv)" : "BatchNormalization";
}

static ct_status match_layers(const char *path, const ct_model_plan *plan, const import_list *list, match *m)
{
    size_t used = 0, weighted = 0;
    for (size_t i = 0; i < plan->layer_count; i++)
        weighted += is_weighted(plan->layers[i].spec->kind);
    for (size_t i = 0; i < plan->layer_count; i++) {
        const ct_layer_plan *p = &plan->layers[i];
        if (!is_weighted(p->spec->kind))
            continue;
        if (used == list->count)
            return ct_fail(CT_ERR_SHAPE, "%s: layer %s (%s, model[%zu]) has no counterpart in the file: the file holds "
                                         "%zu weighted layers, the model %zu (Dense, Conv2D, BatchNormalization)",
                           path, p->name, ct_layer_class_name(p->spec->kind), i, list->count, weighted);
        m->p = p;
        m->index = i;
        m->l = &list->layers[used++];
        if (m->l->kind != p->spec->kind)
            return mismatch(m, "the file's layer is a %s, the model's a %s (the file holds %zu weighted layers, the "
                               "model %zu)", kind_of_file(m->l->kind), ct_layer_class_name(p->spec->kind),
                            list->count, weighted);
        CT_TRY(p->spec->kind == CT_LAYER_DENSE ? dense(m, plan) : p->spec->kind == CT_LAYER_CONV2D ? conv(m) : batch_norm(m));
    }
    if (used < list->count)
        return ct_fail(CT_ERR_SHAPE, "%s: the file's %s has no layer in the model: the file holds %zu weighted layers, "
                                     "the model %zu (Dense, Conv2D, BatchNormalization)",
                       path, list->layers[used].name, list->count, weighted);
    return CT_OK;
}

static bool ends_with(const char *s, const char *tail)
{
    size_t n = strlen(s), k = strlen(tail);
    return n >= k && !strcmp(s + n - k, tail);
}

ct_status ct_weights_import(const char *path, const ct_model_plan *plan, ct_named_tensor **tensors, size_t *n,
                            ct_feature_columns *standardization)
{
    if (!path || !plan || !tensors || !n || !standardization)
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "ct_weights_import: NULL argument");
    *tensors = NULL;
    *n = 0;
    memset(standardization, 0, sizeof *standardization);
    bool keras = ends_with(path, ".h5"), onnx = ends_with(path, ".onnx");
    if (!keras && !onnx)
        return ct_fail(CT_ERR_UNSUPPORTED, "%s: expected a Keras 3 .weights.h5 or an .onnx file (by its name)", path);
    struct stat st;
    if (stat(path, &st) != 0)
        return ct_fail(errno == ENOENT ? CT_ERR_NOT_FOUND : CT_ERR_IO, "%s: %s", path, strerror(errno));
    if (!S_ISREG(st.st_mode))
        return ct_fail(CT_ERR_IO, "%s: not a regular file", path);
    import_list list = {0};
    ct_status s = keras ? ct_import_keras(path, plan, &list) : ct_import_onnx(path, &list, standardization);
    /* at most 4 tensors a layer */
    match m = {.path = path, .cap_out = 4 * plan->layer_count};
    if (s == CT_OK && !(m.out = calloc(m.cap_out ? m.cap_out : 1, sizeof *m.out)))
        s = ct_fail(CT_ERR_NO_MEMORY, "out of memory");
    if (s == CT_OK)
        s = match_layers(path, plan, &list, &m);
    import_list_free(&list);
    if (s != CT_OK) {
        ct_weights_free(m.out, m.n_out);
        ct_feature_columns_free(standardization);
        return s;
    }
    *tensors = m.out;
    *n = m.n_out;
    return CT_OK;
}
