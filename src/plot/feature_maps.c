/* ct_plot_feature_maps: what each conv layer of a trained model makes of one
 * image. For conv layer k the model is rebuilt with layers 0..k only, the
 * saved weights of those layers are loaded by name, and one forward pass
 * (inference mode: no dropout, BatchNormalization's moving statistics) gives
 * exactly the layer's output, activation included, as Keras'
 * Model(inputs, layer.output) would. Rebuilding per layer costs a few small
 * allocations and keeps the model API free of a "give me layer k" hook. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cltrain/data.h" /* ct_image_read, ct_image_resize */
#include "cltrain/model.h"
#include "cltrain/plot.h"
#include "plot/feature_maps.h"
#include "plot/figure.h"

typedef struct {
    const char *run_dir;
    const ct_plot_options *options;
    ct_context *ctx;
    ct_experiment *exp;
    ct_named_tensor *weights;
    size_t n_weights;
    char *weights_path;
    size_t in_shape[3];
    float *input;      /* the image resized to the model's input, as the model sees it */
    float *display;    /* the same in [0, 1], for showing */
    const char *image_name;
    char *plots_dir;
} feature_job;

/* Where the model's tensors come from: the saved file's, by name. */
typedef struct {
    const ct_named_tensor *tensors;
    size_t n;
    const char *path;
} saved_weights;

static const ct_named_tensor *find_weights(const saved_weights *w, const char *name)
{
    for (size_t i = 0; i < w->n; i++)
        if (!strcmp(w->tensors[i].name, name))
            return &w->tensors[i];
    return NULL;
}

/* Copy the saved tensors into the truncated model, by name and size. */
static ct_status load_weights(const saved_weights *w, ct_model *model)
{
    size_t total = ct_model_state_size(model), offset = 0;
    float *state = malloc((total ? total : 1) * sizeof *state);
    if (!state)
        return ct_fail(CT_ERR_NO_MEMORY, "loading %s: out of memory", w->path);
    ct_status s = CT_OK;
    for (size_t i = 0; s == CT_OK && i < ct_model_tensor_count(model); i++) {
        const char *name;
        ct_tensor view;
        s = ct_model_tensor(model, i, &name, &view);
        if (s != CT_OK)
            break;
        const ct_named_tensor *saved = find_weights(w, name);
        size_t count = ct_tensor_count(&view);
        if (!saved)
            s = ct_fail(CT_ERR_PARSE, "%s: no tensor '%s', which the model of config.yaml has", w->path, name);
        else if (ct_named_tensor_count(saved) != count || offset + count > total)
            s = ct_fail(CT_ERR_PARSE, "%s: '%s' has %zu values, the model of config.yaml expects %zu", w->path,
                        name, ct_named_tensor_count(saved), count);
        else
            memcpy(state + offset, saved->data, count * sizeof *state);
        offset += count;
    }
    if (s == CT_OK && offset != total)
        s = ct_fail(CT_ERR_INTERNAL, "loading %s: the model's tensors hold %zu values, its state %zu", w->path,
                    offset, total);
    if (s == CT_OK)
        s = ct_model_write_state(model, state);
    free(state);
    return s;
}

ct_status feature_maps_forward(ct_context *ctx, const ct_experiment *exp, const ct_named_tensor *weights,
                               size_t n_weights, const char *weights_path, size_t layer, const float *input,
                               float **maps, size_t shape[3], char *layer_name, size_t name_size)
{
    static const size_t in_shape[3] = {32, 32, 3}; /* CIFAR-10, the only image data */
    if (layer >= exp->model.layer_count)
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "feature maps: no layer %zu in a model of %zu", layer,
                       exp->model.layer_count);
    saved_weights saved = {weights, n_weights, weights_path};
    ct_model_spec prefix = {exp->model.layers, layer + 1};
    ct_model *model = NULL;
    ct_tensor x = {0}, y = {0};
    float *out = NULL;
    ct_status s = ct_model_create(ctx, &prefix, 3, in_shape, 1, (uint64_t)exp->seed, &model);
    if (s == CT_OK)
        s = load_weights(&saved, model);
    size_t batch_shape[4] = {1, in_shape[0], in_shape[1], in_shape[2]};
    if (s == CT_OK)
        s = ct_tensor_create(ctx, 4, batch_shape, &x);
    if (s == CT_OK)
        s = ct_tensor_write(ctx, &x, input);
    if (s == CT_OK)
        s = ct_model_forward(model, &x, 0, &y);
    if (s == CT_OK && y.ndim != 4)
        s = ct_fail(CT_ERR_INTERNAL, "feature maps: layer %zu gives %d dimensions, not 4 (an image)", layer, y.ndim);
    if (s == CT_OK && !(out = malloc(ct_tensor_count(&y) * sizeof *out)))
        s = ct_fail(CT_ERR_NO_MEMORY, "feature maps: out of memory");
    if (s == CT_OK)
        s = ct_tensor_read(ctx, &y, out);
    if (s == CT_OK) {
        shape[0] = y.shape[1], shape[1] = y.shape[2], shape[2] = y.shape[3];
        snprintf(layer_name, name_size, "%s", ct_model_get_plan(model)->layers[layer].name);
        *maps = out;
        out = NULL;
    }
    free(out);
    ct_tensor_release(&x);
    ct_model_free(model); /* y is a view into the model */
    return s;
}

/* Compute and draw one conv layer's maps. */
static ct_status draw_layer(const feature_job *job, size_t layer)
{
    float *maps = NULL;
    size_t shape[3];
    char name[CT_LAYER_NAME_MAX], file[CT_LAYER_NAME_MAX + 32];
    char *png = NULL;
    ct_status s = feature_maps_forward(job->ctx, job->exp, job->weights, job->n_weights, job->weights_path, layer,
                                       job->input, &maps, shape, name, sizeof name);
    if (s == CT_OK) {
        snprintf(file, sizeof file, "feature_maps_%s.png", name);
        s = figure_join(job->plots_dir, file, &png);
    }
    if (s == CT_OK) {
        feature_map_set set = {.layer = name, .maps = maps, .height = shape[0], .width = shape[1],
                               .channels = shape[2], .input = job->display, .input_height = job->in_shape[0],
                               .input_width = job->in_shape[1], .image_name = job->image_name};
        s = plot_feature_maps(&set, png, job->options);
    }
    free(png);
    free(maps);
    return s;
}

/* Read, resize and scale the image as the experiment scaled its training data. */
static ct_status prepare_image(feature_job *job, const char *image_path)
{
    size_t w, h;
    float *rgb = NULL;
    CT_TRY(ct_image_read(image_path, &w, &h, &rgb));
    ct_status s = ct_image_resize(rgb, w, h, 3, job->in_shape[1], job->in_shape[0], &job->display);
    free(rgb);
    if (s != CT_OK)
        return s;
    size_t n = job->in_shape[0] * job->in_shape[1] * 3;
    if (!(job->input = malloc(n * sizeof *job->input)))
        return ct_fail(CT_ERR_NO_MEMORY, "%s: out of memory", image_path);
    float factor = ct_data_scales_pixels(&job->exp->data) ? 1.0f : 255.0f; /* pixels / 255, or kept as 0..255 */
    for (size_t i = 0; i < n; i++)
        job->input[i] = job->display[i] * factor;
    return CT_OK;
}

static ct_status open_run(feature_job *job)
{
    char *config = NULL;
    CT_TRY(figure_plots_dir(job->run_dir, &job->plots_dir));
    CT_TRY(figure_join(job->run_dir, "config.yaml", &config));
    ct_status s = access(config, R_OK) == 0
                      ? ct_experiment_load(config, &job->exp)
                      : ct_fail(CT_ERR_IO, "%s: no such file: feature maps rebuild the model from the run's config.yaml",
                                config);
    if (s == CT_OK && !ct_data_takes_images(&job->exp->data))
        s = ct_fail(CT_ERR_CONFIG, "%s: the model reads %s rows, not images: feature maps need an image model",
                    config, ct_data_kind_name(job->exp->data.kind));
    free(config);
    CT_TRY(s);
    int h, w, c;
    ct_data_image_shape(&job->exp->data, &h, &w, &c);
    if (c != 3)
        return ct_fail(CT_ERR_CONFIG, "%s: feature maps are drawn for RGB models; this one reads grayscale images",
                       job->run_dir);
    job->in_shape[0] = (size_t)h, job->in_shape[1] = (size_t)w, job->in_shape[2] = 3;
    /* weights.bin, or an interrupted run's best or last checkpoint */
    bool final;
    char source[1024];
    CT_TRY(ct_run_weights_read(job->run_dir, &job->weights, &job->n_weights, &final, source, sizeof source));
    return figure_join(job->run_dir, final ? "weights.bin" : "checkpoint.bin", &job->weights_path);
}

ct_status ct_plot_feature_maps(const char *run_dir, ct_context *ctx, const char *image_path,
                               const ct_plot_options *options)
{
    if (!run_dir || !ctx || !image_path)
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "ct_plot_feature_maps: NULL argument");
    feature_job job = {.run_dir = run_dir, .options = options, .ctx = ctx};
    const char *slash = strrchr(image_path, '/');
    job.image_name = slash ? slash + 1 : image_path;
    ct_status s = open_run(&job);
    if (s == CT_OK)
        s = prepare_image(&job, image_path);
    size_t conv_layers = 0;
    for (size_t k = 0; s == CT_OK && k < job.exp->model.layer_count; k++)
        if (job.exp->model.layers[k].kind == CT_LAYER_CONV2D) {
            conv_layers++;
            s = draw_layer(&job, k);
        }
    if (s == CT_OK && conv_layers == 0)
        s = ct_fail(CT_ERR_CONFIG, "%s: the model has no conv2d layer: no feature maps to draw", run_dir);
    ct_weights_free(job.weights, job.n_weights);
    ct_experiment_free(job.exp);
    free(job.weights_path);
    free(job.input);
    free(job.display);
    free(job.plots_dir);
    return s;
}
