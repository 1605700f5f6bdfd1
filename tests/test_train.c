/* End-to-end training on every device: small nets learn small synthetic tasks,
 * and the same seed gives bit-identical weights. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cltrain/batch.h"
#include "cltrain/loss.h"
#include "cltrain/model.h"
#include "cltrain/optim.h"
#include "test_devices.h"

static ct_layer_spec dense(int units, ct_activation act)
{
    ct_layer_spec s;
    memset(&s, 0, sizeof s);
    s.kind = CT_LAYER_DENSE;
    s.dense.units = units;
    s.dense.activation = act;
    s.dense.use_bias = true;
    s.dense.kernel_initializer = CT_INIT_GLOROT_UNIFORM;
    s.dense.bias_initializer = CT_INIT_ZEROS;
    return s;
}

/* y = sin(2 x0) + x1^2 - 0.5 x2, x uniform in [-1, 1]^3: not linear, so a
 * linear fit leaves MSE 0.115 (variance 0.77) while a small ReLU net goes well below. */
static void regression_data(size_t n, float *x, float *y)
{
    uint64_t state = 12345;
    for (size_t i = 0; i < n * 3; i++) {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        x[i] = (float)((double)(state >> 11) * 0x1.0p-53 * 2.0 - 1.0);
    }
    for (size_t i = 0; i < n; i++)
        y[i] = sinf(2 * x[3 * i]) + x[3 * i + 1] * x[3 * i + 1] - 0.5f * x[3 * i + 2];
}

enum { N = 500, BATCH = 32, BATCH_MAX = 64, EPOCHS = 40 };

typedef struct {
    ct_context *ctx;
    ct_model *model;
    ct_optimizer *opt;
    ct_tensor x, y;
    cl_mem idx;
    ct_loss_accum acc;
} trainer;

static void trainer_init(trainer *t, const ct_device_info *dev, ct_layer_spec *layers, size_t nlayers, size_t n,
                         size_t batch, const float *x, const float *y, uint64_t seed)
{
    static ct_model_spec spec;
    spec.layers = layers;
    spec.layer_count = nlayers;
    ck_assert_int_eq(ct_context_create(dev, &t->ctx), CT_OK);
    size_t in[1] = {3};
    ck_assert_msg(ct_model_create(t->ctx, &spec, 1, in, batch, seed, &t->model) == CT_OK, "%s", ct_last_error());
    ct_optimizer_spec o;
    memset(&o, 0, sizeof o);
    o.kind = CT_OPTIMIZER_ADAM;
    o.adam.learning_rate = 0.01;
    o.adam.beta_1 = 0.9;
    o.adam.beta_2 = 0.999;
    o.adam.epsilon = 1e-7;
    ck_assert_msg(ct_optimizer_create(t->ctx, &o, ct_model_arena(t->model), &t->opt) == CT_OK, "%s", ct_last_error());
    size_t xs[2] = {n, 3}, ys[2] = {n, 1};
    ck_assert_int_eq(ct_tensor_create(t->ctx, 2, xs, &t->x), CT_OK);
    ck_assert_int_eq(ct_tensor_create(t->ctx, 2, ys, &t->y), CT_OK);
    ck_assert_int_eq(ct_tensor_write(t->ctx, &t->x, x), CT_OK);
    ck_assert_int_eq(ct_tensor_write(t->ctx, &t->y, y), CT_OK);
    cl_int err;
    t->idx = clCreateBuffer(ct_context_cl(t->ctx), CL_MEM_READ_WRITE, n * sizeof(uint32_t), NULL, &err);
    ck_assert_int_eq(err, CL_SUCCESS);
    ck_assert_int_eq(ct_loss_accum_create(t->ctx, &t->acc), CT_OK);
}

/* One epoch of shuffled mini-batches; returns the epoch's mean training loss. */
static double train_epoch(trainer *t, size_t n, size_t batch, uint64_t epoch)
{
    ck_assert_int_eq(ct_shuffle_indices(t->ctx, t->idx, (uint32_t)n, 7, epoch), CT_OK);
    ck_assert_int_eq(ct_loss_accum_reset(t->ctx, &t->acc), CT_OK);
    ct_tensor xb_all, yb_all;
    size_t xs[2] = {batch, 3}, ys[2] = {batch, 1};
    ck_assert_int_eq(ct_tensor_create(t->ctx, 2, xs, &xb_all), CT_OK);
    ck_assert_int_eq(ct_tensor_create(t->ctx, 2, ys, &yb_all), CT_OK);
    for (size_t first = 0; first < n; first += batch) {
        size_t rows = n - first < batch ? n - first : batch; /* the last batch is smaller */
        size_t bx[2] = {rows, 3}, by[2] = {rows, 1};
        ct_tensor xb, yb, out, dy;
        ck_assert_int_eq(ct_tensor_view(&xb_all, 0, 2, bx, &xb), CT_OK);
        ck_assert_int_eq(ct_tensor_view(&yb_all, 0, 2, by, &yb), CT_OK);
        ck_assert_int_eq(ct_gather_rows_device(t->ctx, &t->x, t->idx, (uint32_t)first, &xb), CT_OK);
        ck_assert_int_eq(ct_gather_rows_device(t->ctx, &t->y, t->idx, (uint32_t)first, &yb), CT_OK);
        ck_assert_msg(ct_model_forward(t->model, &xb, 1, &out) == CT_OK, "%s", ct_last_error());
        ck_assert_int_eq(ct_model_output_grad(t->model, rows, &dy), CT_OK);
        ck_assert_msg(ct_loss_forward_backward(t->ctx, CT_LOSS_MSE, 0, &out, &yb, &dy, &t->acc) == CT_OK, "%s",
                      ct_last_error());
        ck_assert_msg(ct_model_backward(t->model, &xb, &dy) == CT_OK, "%s", ct_last_error());
        ck_assert_msg(ct_optimizer_step(t->ctx, t->opt) == CT_OK, "%s", ct_last_error());
    }
    double loss;
    ck_assert_int_eq(ct_loss_accum_read(t->ctx, &t->acc, &loss), CT_OK);
    ct_tensor_release(&xb_all);
    ct_tensor_release(&yb_all);
    return loss;
}

/* MSE of the model in inference mode (dropout off, moving statistics) over all n samples. */
static double inference_mse(trainer *t, size_t n, size_t batch, const float *y)
{
    double sum = 0;
    float out_host[BATCH_MAX];
    for (size_t first = 0; first < n; first += batch) {
        size_t rows = n - first < batch ? n - first : batch;
        size_t shape[2] = {rows, 3};
        ct_tensor xb, out;
        ck_assert_int_eq(ct_tensor_view(&t->x, first * 3, 2, shape, &xb), CT_OK);
        ck_assert_msg(ct_model_forward(t->model, &xb, 0, &out) == CT_OK, "%s", ct_last_error());
        ck_assert_int_eq(ct_tensor_read(t->ctx, &out, out_host), CT_OK);
        for (size_t r = 0; r < rows; r++)
            sum += (out_host[r] - y[first + r]) * (double)(out_host[r] - y[first + r]);
    }
    return sum / (double)n;
}

static void trainer_free(trainer *t)
{
    ct_loss_accum_release(&t->acc);
    clReleaseMemObject(t->idx);
    ct_tensor_release(&t->x);
    ct_tensor_release(&t->y);
    ct_optimizer_free(t->opt);
    ct_model_free(t->model);
    ct_context_destroy(t->ctx);
}


START_TEST(test_mlp_learns_regression)
{
    float *x = malloc(N * 3 * sizeof *x), *y = malloc(N * sizeof *y);
    regression_data(N, x, y);
    ct_device_info *devs;
    size_t count = test_devices(&devs);
    for (size_t d = 0; d < count; d++) {
        ct_layer_spec layers[] = {dense(32, CT_ACTIVATION_RELU), dense(16, CT_ACTIVATION_RELU),
                                  dense(1, CT_ACTIVATION_LINEAR)};
        trainer t;
        trainer_init(&t, &devs[d], layers, 3, N, BATCH, x, y, 1);
        double first = train_epoch(&t, N, BATCH, 0), last = first;
        for (uint64_t e = 1; e < EPOCHS; e++)
            last = train_epoch(&t, N, BATCH, e);
        /* A linear fit leaves 0.115; the fitted net reaches ~0.01. */
        ck_assert_msg(last < 0.03, "%s: training MSE %.4f after %d epochs (first epoch %.4f)", devs[d].name, last,
                      EPOCHS, first);
        ck_assert_msg(last < first / 10, "loss fell only from %.4f to %.4f", first, last);
        trainer_free(&t);
    }
    free(devs), free(x), free(y);
}
END_TEST

static ct_layer_spec activation_layer(ct_activation act)
{
    ct_layer_spec s;
    memset(&s, 0, sizeof s);
    s.kind = CT_LAYER_ACTIVATION;
    s.activation.activation = act;
    return s;
}

/* Dense layers with gelu, gelu_approximate and silu run linear and then the
 * activation as a step of its own (its gradient needs the pre-activation):
 * training must give exactly the losses of the same net written with a
 * separate Activation layer, whose backward takes x. Hidden layer (the Dense
 * above it fuses nothing into its dx) and output layer; the layer after the
 * extra Activation starts from ones so that both nets start alike. */
START_TEST(test_activation_needing_x_in_dense)
{
    float *x = malloc(N * 3 * sizeof *x), *y = malloc(N * sizeof *y);
    regression_data(N, x, y);
    ct_device_info *devs;
    size_t count = test_devices(&devs);
    const ct_activation acts[3] = {CT_ACTIVATION_GELU, CT_ACTIVATION_GELU_APPROXIMATE, CT_ACTIVATION_SILU};
    for (size_t d = 0; d < count; d++)
        for (int a = 0; a < 3; a++) {
            ct_layer_spec fused[] = {dense(16, CT_ACTIVATION_LINEAR), dense(8, acts[a]), dense(1, acts[a])};
            ct_layer_spec split[] = {dense(16, CT_ACTIVATION_LINEAR), dense(8, CT_ACTIVATION_LINEAR),
                                     activation_layer(acts[a]), dense(1, CT_ACTIVATION_LINEAR),
                                     activation_layer(acts[a])};
            fused[2].dense.kernel_initializer = split[3].dense.kernel_initializer = CT_INIT_ONES;
            trainer tf, ts;
            trainer_init(&tf, &devs[d], fused, 3, N, BATCH, x, y, 3);
            trainer_init(&ts, &devs[d], split, 5, N, BATCH, x, y, 3);
            double first = 0, last = 0;
            for (uint64_t e = 0; e < 8; e++) {
                double lf = train_epoch(&tf, N, BATCH, e), ls = train_epoch(&ts, N, BATCH, e);
                ck_assert_msg(lf == ls, "%s, %s, epoch %d: loss %.9g fused, %.9g with Activation layers",
                              devs[d].name, ct_activation_name(acts[a]), (int)e, lf, ls);
                if (e == 0)
                    first = lf;
                last = lf;
            }
            ck_assert_msg(last < 0.8 * first, "%s: loss fell only from %.4f to %.4f", ct_activation_name(acts[a]),
                          first, last);
            trainer_free(&tf);
            trainer_free(&ts);
        }
    free(devs), free(x), free(y);
}
END_TEST

/* Batch normalisation first (its backward runs without a next layer) and
 * dropout in the middle: the variant of the workshop's regressor. */
START_TEST(test_batchnorm_dropout_net_learns)
{
    float *x = malloc(N * 3 * sizeof *x), *y = malloc(N * sizeof *y);
    regression_data(N, x, y);
    ct_device_info *devs;
    size_t count = test_devices(&devs);
    for (size_t d = 0; d < count; d++) {
        ct_layer_spec layers[4];
        memset(layers, 0, sizeof layers);
        layers[0].kind = CT_LAYER_BATCH_NORMALIZATION;
        layers[0].batch_normalization = (ct_batch_norm_spec){0.99, 1e-3, true, true};
        layers[1] = dense(32, CT_ACTIVATION_RELU);
        layers[2].kind = CT_LAYER_DROPOUT;
        layers[2].dropout.rate = 0.1;
        layers[3] = dense(1, CT_ACTIVATION_LINEAR);
        trainer t;
        trainer_init(&t, &devs[d], layers, 4, N, BATCH, x, y, 2);
        double first = train_epoch(&t, N, BATCH, 0), last = first;
        for (uint64_t e = 1; e < EPOCHS; e++)
            last = train_epoch(&t, N, BATCH, e);
        /* Training loss includes dropout noise; in inference mode the net
         * must beat a linear fit (0.115) clearly. */
        double mse = inference_mse(&t, N, BATCH, y);
        ck_assert_msg(last < first / 5 && mse < 0.04, "%s: training MSE %.4f (first epoch %.4f), inference MSE %.4f",
                      devs[d].name, last, first, mse);
        trainer_free(&t);
    }
    free(devs), free(x), free(y);
}
END_TEST

/* Values of the model tensor `name` (n floats) into out. */
static void read_named(trainer *t, const char *name, float *out, size_t n)
{
    for (size_t i = 0; i < ct_model_tensor_count(t->model); i++) {
        const char *got;
        ct_tensor view;
        ck_assert_int_eq(ct_model_tensor(t->model, i, &got, &view), CT_OK);
        if (strcmp(got, name))
            continue;
        ck_assert_uint_eq(ct_tensor_count(&view), n);
        ck_assert_int_eq(ct_tensor_read(t->ctx, &view, out), CT_OK);
        return;
    }
    ck_abort_msg("no tensor %s", name);
}

/* BatchNormalization(center=False) has no beta and scale=False no gamma in
 * Keras: they stay 0 and 1 while the rest trains, and the optimizer holds
 * only the trainable ones (issue #14: both used to be trained). Two BN
 * layers, one of each kind, so a swapped flag fails too. */
START_TEST(test_batchnorm_without_center_scale_keeps_them_fixed)
{
    float *x = malloc(N * 3 * sizeof *x), *y = malloc(N * sizeof *y);
    regression_data(N, x, y);
    ct_device_info *devs;
    size_t count = test_devices(&devs);
    for (size_t d = 0; d < count; d++) {
        ct_layer_spec layers[4];
        memset(layers, 0, sizeof layers);
        layers[0].kind = CT_LAYER_BATCH_NORMALIZATION;
        layers[0].name = "bn_fixed";
        layers[0].batch_normalization = (ct_batch_norm_spec){0.99, 1e-3, false, false};
        layers[1] = dense(8, CT_ACTIVATION_RELU);
        layers[2].kind = CT_LAYER_BATCH_NORMALIZATION;
        layers[2].name = "bn_gamma_only";
        layers[2].batch_normalization = (ct_batch_norm_spec){0.99, 1e-3, false, true};
        layers[3] = dense(1, CT_ACTIVATION_LINEAR);
        trainer t;
        trainer_init(&t, &devs[d], layers, 4, N, BATCH, x, y, 3);
        /* Trainable floats: 3*8+8 + gamma 8 + 8+1; the fixed ones are not the optimizer's. */
        const ct_model_plan *plan = ct_model_get_plan(t.model);
        size_t trainable = 0;
        for (size_t l = 0; l < plan->layer_count; l++)
            trainable += plan->layers[l].trainable_params;
        ck_assert_uint_eq(trainable, 3 * 8 + 8 + 8 + 8 + 1);
        ck_assert_uint_eq(ct_param_arena_count(ct_model_arena(t.model)), 5);
        for (uint64_t e = 0; e < 3; e++)
            train_epoch(&t, N, BATCH, e);
        float g0[3], b0[3], g2[8], b2[8], mean0[3];
        read_named(&t, "bn_fixed/gamma", g0, 3);
        read_named(&t, "bn_fixed/beta", b0, 3);
        read_named(&t, "bn_fixed/moving_mean", mean0, 3);
        read_named(&t, "bn_gamma_only/gamma", g2, 8);
        read_named(&t, "bn_gamma_only/beta", b2, 8);
        for (int i = 0; i < 3; i++) {
            ck_assert_msg(g0[i] == 1.0f && b0[i] == 0.0f, "%s: bn_fixed gamma %g beta %g", devs[d].name, g0[i],
                          b0[i]);
            ck_assert_msg(mean0[i] != 0.0f, "%s: the moving mean did not move", devs[d].name);
        }
        int gamma_moved = 0;
        for (int i = 0; i < 8; i++) {
            ck_assert_msg(b2[i] == 0.0f, "%s: bn_gamma_only beta[%d] = %g", devs[d].name, i, b2[i]);
            gamma_moved += g2[i] != 1.0f;
        }
        ck_assert_msg(gamma_moved, "%s: the trainable gamma did not train", devs[d].name);
        trainer_free(&t);
    }
    free(devs), free(x), free(y);
}
END_TEST

START_TEST(test_same_seed_bit_identical)
{
    float *x = malloc(N * 3 * sizeof *x), *y = malloc(N * sizeof *y);
    regression_data(N, x, y);
    ct_device_info *devs;
    test_devices(&devs);
    float *w[3] = {NULL, NULL, NULL};
    size_t size = 0;
    uint64_t seeds[3] = {5, 5, 6};
    for (int run = 0; run < 3; run++) {
        ct_layer_spec layers[] = {dense(8, CT_ACTIVATION_TANH), dense(1, CT_ACTIVATION_LINEAR)};
        trainer t;
        trainer_init(&t, &devs[0], layers, 2, N, BATCH, x, y, seeds[run]);
        for (uint64_t e = 0; e < 3; e++)
            train_epoch(&t, N, BATCH, e);
        size = ct_model_state_size(t.model);
        w[run] = malloc(size * sizeof(float));
        ck_assert_int_eq(ct_model_read_state(t.model, w[run]), CT_OK);
        trainer_free(&t);
    }
    ck_assert_uint_eq(size, 3 * 8 + 8 + 8 + 1);
    ck_assert_int_eq(memcmp(w[0], w[1], size * sizeof(float)), 0);
    ck_assert_int_ne(memcmp(w[0], w[2], size * sizeof(float)), 0);
    for (int run = 0; run < 3; run++)
        free(w[run]);
    free(devs), free(x), free(y);
}
END_TEST

/* 8x8 single-channel images of three classes: a bright horizontal bar, a
 * vertical bar, or a diagonal, at a random position, on noise. */
static void image_data(size_t n, float *x, float *labels)
{
    uint64_t state = 777;
    for (size_t i = 0; i < n; i++) {
        int cls = (int)(i % 3);
        labels[i] = (float)cls;
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        int pos = (int)((state >> 33) % 8);
        for (int r = 0; r < 8; r++)
            for (int c = 0; c < 8; c++) {
                state = state * 6364136223846793005ULL + 1442695040888963407ULL;
                float v = 0.3f * (float)((double)(state >> 11) * 0x1.0p-53);
                if ((cls == 0 && r == pos) || (cls == 1 && c == pos) || (cls == 2 && r == c))
                    v += 1.0f;
                x[(i * 8 + r) * 8 + c] = v;
            }
    }
}

START_TEST(test_cnn_learns_images)
{
    enum { IMAGES = 240, CNN_BATCH = 16, CNN_EPOCHS = 15 };
    float *x = malloc(IMAGES * 64 * sizeof *x), *y = malloc(IMAGES * sizeof *y);
    image_data(IMAGES, x, y);
    ct_device_info *devs;
    size_t count = test_devices(&devs);
    for (size_t d = 0; d < count; d++) {
        ct_layer_spec layers[4];
        memset(layers, 0, sizeof layers);
        layers[0].kind = CT_LAYER_CONV2D;
        layers[0].conv2d = (ct_conv2d_spec){4, {3, 3}, {1, 1}, CT_PADDING_VALID, CT_ACTIVATION_RELU, true,
                                            CT_INIT_GLOROT_UNIFORM, CT_INIT_ZEROS, {0}};
        layers[1].kind = CT_LAYER_MAX_POOLING2D;
        layers[1].pooling = (ct_pooling2d_spec){{2, 2}, {2, 2}, CT_PADDING_VALID};
        layers[2].kind = CT_LAYER_FLATTEN;
        layers[3] = dense(3, CT_ACTIVATION_LINEAR);
        ct_model_spec spec = {layers, 4};
        ct_context *ctx;
        ck_assert_int_eq(ct_context_create(&devs[d], &ctx), CT_OK);
        ct_model *model;
        size_t in[3] = {8, 8, 1};
        ck_assert_msg(ct_model_create(ctx, &spec, 3, in, CNN_BATCH, 3, &model) == CT_OK, "%s", ct_last_error());
        ct_optimizer_spec o = {.kind = CT_OPTIMIZER_ADAM, .adam = {0.01, 0.9, 0.999, 1e-7}};
        ct_optimizer *opt;
        ck_assert_int_eq(ct_optimizer_create(ctx, &o, ct_model_arena(model), &opt), CT_OK);
        ct_metric acc_metric = CT_METRIC_ACCURACY;
        ct_metric_state *metrics;
        ck_assert_msg(ct_metrics_create(ctx, &acc_metric, 1, 3, 1, &metrics) == CT_OK, "%s", ct_last_error());
        ct_tensor xs, ys;
        size_t xshape[4] = {IMAGES, 8, 8, 1}, yshape[1] = {IMAGES};
        ck_assert_int_eq(ct_tensor_create(ctx, 4, xshape, &xs), CT_OK);
        ck_assert_int_eq(ct_tensor_create(ctx, 1, yshape, &ys), CT_OK);
        ck_assert_int_eq(ct_tensor_write(ctx, &xs, x), CT_OK);
        ck_assert_int_eq(ct_tensor_write(ctx, &ys, y), CT_OK);
        double accuracy = 0;
        for (int e = 0; e < CNN_EPOCHS; e++) {
            ck_assert_int_eq(ct_metrics_reset(ctx, metrics), CT_OK);
            for (size_t first = 0; first < IMAGES; first += CNN_BATCH) {
                size_t bx[4] = {CNN_BATCH, 8, 8, 1}, by[1] = {CNN_BATCH};
                ct_tensor xb, yb, out, dy;
                ck_assert_int_eq(ct_tensor_view(&xs, first * 64, 4, bx, &xb), CT_OK);
                ck_assert_int_eq(ct_tensor_view(&ys, first, 1, by, &yb), CT_OK);
                ck_assert_msg(ct_model_forward(model, &xb, 1, &out) == CT_OK, "%s", ct_last_error());
                ck_assert_int_eq(ct_model_output_grad(model, CNN_BATCH, &dy), CT_OK);
                ck_assert_msg(ct_loss_forward_backward(ctx, CT_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, 1, &out, &yb,
                                                       &dy, NULL) == CT_OK, "%s", ct_last_error());
                ck_assert_int_eq(ct_metrics_update(ctx, metrics, &out, &yb), CT_OK);
                ck_assert_msg(ct_model_backward(model, &xb, &dy) == CT_OK, "%s", ct_last_error());
                ck_assert_int_eq(ct_optimizer_step(ctx, opt), CT_OK);
            }
            ck_assert_int_eq(ct_metrics_read(ctx, metrics, &accuracy), CT_OK);
        }
        /* Chance is 1/3; the bars are easy for a 3x3 conv. */
        ck_assert_msg(accuracy > 0.9, "%s: training accuracy %.3f after %d epochs", devs[d].name, accuracy,
                      CNN_EPOCHS);
        ct_tensor_release(&xs);
        ct_tensor_release(&ys);
        ct_metrics_destroy(metrics);
        ct_optimizer_free(opt);
        ct_model_free(model);
        ct_context_destroy(ctx);
    }
    free(devs), free(x), free(y);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("train");
    TCase *tc = tcase_create("end to end");
    tcase_set_timeout(tc, 1200);
    tcase_add_test(tc, test_mlp_learns_regression);
    tcase_add_test(tc, test_activation_needing_x_in_dense);
    tcase_add_test(tc, test_same_seed_bit_identical);
    tcase_add_test(tc, test_batchnorm_dropout_net_learns);
    tcase_add_test(tc, test_batchnorm_without_center_scale_keeps_them_fixed);
    tcase_add_test(tc, test_cnn_learns_images);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
