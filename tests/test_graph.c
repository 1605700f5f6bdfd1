/* Graph models (named inputs, add, concatenate) on every device: the
 * backward pass against central finite differences of the forward, a graph
 * that is really a chain against the same chain run sequentially, the
 * plan's shapes, parameter counts and errors. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cltrain/model.h"
#include "test_devices.h"

/* Up to 3 input names per layer, kept alive by the test's static storage. */
typedef struct {
    ct_layer_spec layers[16];
    char *names[16][3];
    size_t count;
} graph_spec;

static ct_layer_spec *push(graph_spec *g, ct_layer_kind kind, const char *name, const char *in0, const char *in1,
                           const char *in2)
{
    ct_layer_spec *s = &g->layers[g->count];
    memset(s, 0, sizeof *s);
    s->kind = kind;
    s->name = (char *)name;
    const char *in[3] = {in0, in1, in2};
    for (int k = 0; k < 3 && in[k]; k++) {
        g->names[g->count][k] = (char *)in[k];
        s->inputs.count = (size_t)k + 1;
    }
    s->inputs.items = s->inputs.count ? g->names[g->count] : NULL;
    g->count++;
    return s;
}

static ct_layer_spec *conv(graph_spec *g, const char *name, int filters, int k, const char *in)
{
    ct_layer_spec *s = push(g, CT_LAYER_CONV2D, name, in, NULL, NULL);
    s->conv2d.filters = filters;
    s->conv2d.kernel_size[0] = s->conv2d.kernel_size[1] = k;
    s->conv2d.strides[0] = s->conv2d.strides[1] = 1;
    s->conv2d.padding = CT_PADDING_SAME;
    s->conv2d.activation = CT_ACTIVATION_TANH; /* smooth: finite differences need no kinks */
    s->conv2d.use_bias = true;
    s->conv2d.bias_initializer = CT_INIT_HE_UNIFORM; /* non-zero, so bias gradients matter */
    return s;
}

static void batchnorm(graph_spec *g, const char *name)
{
    ct_layer_spec *s = push(g, CT_LAYER_BATCH_NORMALIZATION, name, NULL, NULL, NULL);
    s->batch_normalization.momentum = 0.9;
    s->batch_normalization.epsilon = 1e-3;
    s->batch_normalization.center = s->batch_normalization.scale = true;
}

static void dense(graph_spec *g, const char *name, int units, ct_activation act, const char *in)
{
    ct_layer_spec *s = push(g, CT_LAYER_DENSE, name, in, NULL, NULL);
    s->dense.units = units;
    s->dense.activation = act;
    s->dense.use_bias = true;
}

/* c1 feeds three layers (c2, the add, the concatenate); the concatenate
 * also takes the data itself, so one of its parts needs no gradient. */
static void residual_cnn(graph_spec *g)
{
    memset(g, 0, sizeof *g);
    conv(g, "c1", 3, 3, NULL);
    conv(g, "c2", 3, 3, NULL);
    batchnorm(g, "bn");
    push(g, CT_LAYER_ADD, "sum", "c1", "bn", NULL);
    push(g, CT_LAYER_CONCATENATE, "cat", "sum", "input", "c1")->concatenate.axis = -1;
    conv(g, "mix", 4, 1, NULL);
    push(g, CT_LAYER_FLATTEN, "flat", NULL, NULL, NULL);
    dense(g, "out", 3, CT_ACTIVATION_TANH, NULL);
}

enum { BATCH = 4, SIDE = 5, CHANNELS = 2 };
static const size_t IN_SHAPE[3] = {SIDE, SIDE, CHANNELS};

static float lcg(uint64_t *state)
{
    *state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (float)((double)(*state >> 11) * 0x1.0p-53 * 2.0 - 1.0);
}

/* L = sum(w * y) over the batch, from a training forward (batch statistics). */
static double loss_of(ct_context *ctx, ct_model *m, const ct_tensor *x, const float *w, size_t n_out)
{
    ct_tensor y;
    ck_assert_msg(ct_model_forward(m, x, 1, &y) == CT_OK, "%s", ct_last_error());
    float *host = malloc(n_out * sizeof *host);
    ck_assert_int_eq(ct_tensor_read(ctx, &y, host), CT_OK);
    double sum = 0;
    for (size_t i = 0; i < n_out; i++)
        sum += (double)w[i] * host[i];
    free(host);
    return sum;
}

START_TEST(test_graph_gradients_match_finite_differences)
{
    ct_device_info *devs;
    size_t ndev = test_devices(&devs);
    for (size_t d = 0; d < ndev; d++) {
        graph_spec g;
        residual_cnn(&g);
        ct_model_spec spec = {g.layers, g.count};
        ct_context *ctx;
        ct_model *m;
        ck_assert_int_eq(ct_context_create(&devs[d], &ctx), CT_OK);
        ck_assert_msg(ct_model_create(ctx, &spec, 3, IN_SHAPE, BATCH, 3, &m) == CT_OK, "%s", ct_last_error());
        ck_assert(ct_model_get_plan(m)->graph);
        size_t n_in = BATCH * SIDE * SIDE * CHANNELS, n_out = BATCH * ct_model_output_size(m);
        float *xh = malloc(n_in * sizeof *xh), *w = malloc(n_out * sizeof *w);
        uint64_t state = 99;
        for (size_t i = 0; i < n_in; i++)
            xh[i] = lcg(&state);
        for (size_t i = 0; i < n_out; i++)
            w[i] = lcg(&state);
        size_t xs[4] = {BATCH, SIDE, SIDE, CHANNELS};
        ct_tensor x, dy, y;
        ck_assert_int_eq(ct_tensor_create(ctx, 4, xs, &x), CT_OK);
        ck_assert_int_eq(ct_tensor_write(ctx, &x, xh), CT_OK);

        ck_assert_msg(ct_model_forward(m, &x, 1, &y) == CT_OK, "%s", ct_last_error());
        ck_assert_int_eq(ct_model_output_grad(m, BATCH, &dy), CT_OK);
        ck_assert_int_eq(ct_tensor_write(ctx, &dy, w), CT_OK);
        ck_assert_msg(ct_model_backward(m, &x, &dy) == CT_OK, "%s", ct_last_error());

        ct_param_arena *arena = ct_model_arena(m);
        ct_tensor weights, grads;
        ck_assert_int_eq(ct_param_arena_weights(arena, &weights), CT_OK);
        ck_assert_int_eq(ct_param_arena_grads(arena, &grads), CT_OK);
        size_t np = ct_param_arena_used(arena);
        float *wh = malloc(np * sizeof *wh), *gh = malloc(np * sizeof *gh);
        ck_assert_int_eq(ct_tensor_read(ctx, &weights, wh), CT_OK);
        ck_assert_int_eq(ct_tensor_read(ctx, &grads, gh), CT_OK);
        double err2 = 0, ref2 = 0;
        const float eps = 1e-2f;
        for (size_t j = 0; j < np; j++) {
            float keep = wh[j];
            wh[j] = keep + eps;
            ck_assert_int_eq(ct_tensor_write(ctx, &weights, wh), CT_OK);
            double up = loss_of(ctx, m, &x, w, n_out);
            wh[j] = keep - eps;
            ck_assert_int_eq(ct_tensor_write(ctx, &weights, wh), CT_OK);
            double down = loss_of(ctx, m, &x, w, n_out);
            wh[j] = keep;
            double fd = (up - down) / (2.0 * eps);
            err2 += (fd - gh[j]) * (fd - gh[j]);
            ref2 += fd * fd;
        }
        ck_assert_msg(ref2 > 1.0, "the gradients are all about 0 (%g): the check would prove nothing", ref2);
        ck_assert_msg(sqrt(err2 / ref2) < 2e-3, "%s: backward differs from finite differences by %g (relative)",
                      devs[d].name, sqrt(err2 / ref2));
        free(wh);
        free(gh);
        free(xh);
        free(w);
        ct_tensor_release(&x);
        ct_model_free(m);
        ct_context_destroy(ctx);
    }
    free(devs);
}
END_TEST

/* The same chain twice: plain (sequential), and with every input named
 * (a graph). Same seed, same weights: the same output and gradients. */
START_TEST(test_chain_as_graph_matches_sequential)
{
    ct_device_info *devs;
    size_t ndev = test_devices(&devs);
    for (size_t d = 0; d < ndev; d++) {
        graph_spec chain, named;
        memset(&chain, 0, sizeof chain);
        memset(&named, 0, sizeof named);
        dense(&chain, "a", 8, CT_ACTIVATION_RELU, NULL);
        dense(&chain, "b", 8, CT_ACTIVATION_SIGMOID, NULL);
        dense(&chain, "c", 2, CT_ACTIVATION_LINEAR, NULL);
        dense(&named, "a", 8, CT_ACTIVATION_RELU, "input");
        dense(&named, "b", 8, CT_ACTIVATION_SIGMOID, "a");
        dense(&named, "c", 2, CT_ACTIVATION_LINEAR, "b");
        ct_model_spec s1 = {chain.layers, 3}, s2 = {named.layers, 3};
        ct_context *ctx;
        ct_model *m1, *m2;
        size_t in[1] = {5};
        ck_assert_int_eq(ct_context_create(&devs[d], &ctx), CT_OK);
        ck_assert_int_eq(ct_model_create(ctx, &s1, 1, in, BATCH, 11, &m1), CT_OK);
        ck_assert_int_eq(ct_model_create(ctx, &s2, 1, in, BATCH, 11, &m2), CT_OK);
        ck_assert(!ct_model_get_plan(m1)->graph && ct_model_get_plan(m2)->graph);
        float xh[BATCH * 5], w[BATCH * 2];
        uint64_t state = 5;
        for (size_t i = 0; i < BATCH * 5; i++)
            xh[i] = lcg(&state);
        for (size_t i = 0; i < BATCH * 2; i++)
            w[i] = lcg(&state);
        size_t xs[2] = {BATCH, 5};
        ct_tensor x;
        ck_assert_int_eq(ct_tensor_create(ctx, 2, xs, &x), CT_OK);
        ck_assert_int_eq(ct_tensor_write(ctx, &x, xh), CT_OK);
        float out[2][BATCH * 2], grad[2][200];
        ct_model *models[2] = {m1, m2};
        for (int k = 0; k < 2; k++) {
            ct_tensor y, dy, grads;
            ck_assert_int_eq(ct_model_forward(models[k], &x, 1, &y), CT_OK);
            ck_assert_int_eq(ct_tensor_read(ctx, &y, out[k]), CT_OK);
            ck_assert_int_eq(ct_model_output_grad(models[k], BATCH, &dy), CT_OK);
            ck_assert_int_eq(ct_tensor_write(ctx, &dy, w), CT_OK);
            ck_assert_msg(ct_model_backward(models[k], &x, &dy) == CT_OK, "%s", ct_last_error());
            ck_assert_int_eq(ct_param_arena_grads(ct_model_arena(models[k]), &grads), CT_OK);
            ck_assert_uint_le(ct_tensor_count(&grads), 200);
            ck_assert_int_eq(ct_tensor_read(ctx, &grads, grad[k]), CT_OK);
        }
        for (size_t i = 0; i < BATCH * 2; i++)
            ck_assert_float_eq(out[0][i], out[1][i]);
        size_t np = ct_param_arena_used(ct_model_arena(m1));
        for (size_t i = 0; i < np; i++)
            ck_assert_msg(fabsf(grad[0][i] - grad[1][i]) <= 1e-5f * (1 + fabsf(grad[0][i])),
                          "%s: gradient %zu: sequential %g, graph %g", devs[d].name, i, grad[0][i], grad[1][i]);
        ct_tensor_release(&x);
        ct_model_free(m1);
        ct_model_free(m2);
        ct_context_destroy(ctx);
    }
    free(devs);
}
END_TEST

START_TEST(test_graph_plan_shapes_counts_summary)
{
    graph_spec g;
    residual_cnn(&g);
    ct_model_spec spec = {g.layers, g.count};
    ct_model_plan plan;
    ck_assert_msg(ct_model_plan_create(&spec, 3, IN_SHAPE, &plan) == CT_OK, "%s", ct_last_error());
    ck_assert(plan.graph);
    /* cat: sum (3) + input (2) + c1 (3) channels. */
    ck_assert_uint_eq(plan.layers[4].out_shape[2], 8);
    ck_assert_uint_eq(plan.layers[4].input_count, 3);
    ck_assert_uint_eq(plan.layers[4].inputs[1], CT_PLAN_DATA);
    /* Keras: conv 3*3*2*3+3 = 57, conv 3*3*3*3+3 = 84, BN 4*3 = 12 (6
     * trainable), add and concatenate 0, conv 1x1 8*4+4 = 36, dense
     * 5*5*4*3+3 = 303. */
    ck_assert_uint_eq(plan.total_params, 57 + 84 + 12 + 36 + 303);
    ck_assert_uint_eq(plan.trainable_params, 57 + 84 + 6 + 36 + 303);
    char *text;
    ck_assert_int_eq(ct_model_plan_summary(&plan, NULL, &text), CT_OK);
    ck_assert_msg(strstr(text, "Model: \"functional\""), "%s", text);
    ck_assert_msg(strstr(text, "Connected to"), "%s", text);
    ck_assert_msg(strstr(text, "input (InputLayer)"), "%s", text);
    ck_assert_msg(strstr(text, "│ sum[0][0],"), "%s", text);
    ck_assert_msg(strstr(text, "│ input[0][0],"), "%s", text);
    free(text);
    ct_model_plan_free(&plan);
}
END_TEST

static void expect_plan_error(graph_spec *g, const char *needle)
{
    ct_model_spec spec = {g->layers, g->count};
    ct_model_plan plan;
    ck_assert_int_ne(ct_model_plan_create(&spec, 3, IN_SHAPE, &plan), CT_OK);
    ck_assert_msg(strstr(ct_last_error(), needle), "expected '%s' in: %s", needle, ct_last_error());
}

START_TEST(test_graph_plan_errors)
{
    graph_spec g;
    memset(&g, 0, sizeof g);
    conv(&g, "c1", 3, 3, NULL);
    conv(&g, "c2", 4, 3, NULL);
    push(&g, CT_LAYER_ADD, "sum", "c1", "c2", NULL);
    expect_plan_error(&g, "Add needs inputs of one shape");

    memset(&g, 0, sizeof g);
    conv(&g, "c1", 3, 3, "c2");
    conv(&g, "c2", 3, 3, NULL);
    expect_plan_error(&g, "no layer above it is named 'c2'");

    memset(&g, 0, sizeof g);
    conv(&g, "c1", 3, 3, NULL);
    push(&g, CT_LAYER_CONCATENATE, "cat", "c1", NULL, NULL);
    expect_plan_error(&g, "two or more inputs");
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("graph");
    TCase *t = tcase_create("graph");
    tcase_set_timeout(t, 300);
    tcase_add_test(t, test_graph_gradients_match_finite_differences);
    tcase_add_test(t, test_chain_as_graph_matches_sequential);
    tcase_add_test(t, test_graph_plan_shapes_counts_summary);
    tcase_add_test(t, test_graph_plan_errors);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    SRunner *r = srunner_create(suite());
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
