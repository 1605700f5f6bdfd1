/* Data-parallel training (train.devices, issue #15) on two devices of one
 * platform: PoCL gives two with POCL_DEVICES="pthread pthread", which main()
 * sets when the machine shows fewer than two devices on one platform.
 *
 * What must hold:
 *   - two runs on the same devices give the same weights and values, bit
 *     for bit (every sum has a fixed order);
 *   - two (or three) replicas train the weights one device trains, up to
 *     the order of the gradient sums (see WEIGHT_TOLERANCE);
 *   - Dropout draws the masks of the whole batch, so it matches one device
 *     too; BatchNormalization uses each replica's batch statistics, so it
 *     does not, but stays deterministic;
 *   - a checkpoint taken between two steps resumes to the same weights;
 *   - run level: sunshine_small (with $CLTRAIN_DATA_DIR), the run directory
 *     of a 2-device run, and errors that point at train.devices. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cltrain/report.h"
#include "cltrain/train.h"
#include "run/devices.h"
#include "run/run.h"
#include "test_tmp.h"

/* Gradients of one device are sums over the batch's rows in one GEMM; with
 * two replicas each sums its half and the host adds the two halves (in
 * double). Those differ by float rounding, about 1e-7 relative per step;
 * training amplifies the difference a little each step. Measured after the
 * 14 to 21 steps below on PoCL (pthread, AVX2): 0.7e-7 to 1.8e-7 of the
 * largest weight for the dense nets, the CNN and Dropout; the bound leaves
 * a factor of 50 for other compilers and vector widths while still catching
 * any real error (a gradient counted twice, not scaled, or a Dropout mask
 * of the wrong rows moves weights by 1e-3 and more). */
#define WEIGHT_TOLERANCE 1e-5

enum { N = 200, VAL = 40 };

static char spec_a[32], spec_b[32];

/* Two devices of one platform, as "P:D" specs. */
static void find_two_devices(void)
{
    ct_device_info *all;
    size_t count;
    ck_assert_int_eq(ct_device_list(&all, &count), CT_OK);
    for (size_t i = 0; i < count; i++)
        for (size_t j = i + 1; j < count; j++)
            if (all[i].platform == all[j].platform && !spec_a[0]) {
                snprintf(spec_a, sizeof spec_a, "%u:%u", all[i].platform_index, all[i].device_index);
                snprintf(spec_b, sizeof spec_b, "%u:%u", all[j].platform_index, all[j].device_index);
            }
    free(all);
    ck_assert_msg(spec_a[0], "no two devices on one platform (POCL_DEVICES=\"pthread pthread\" gives two)");
}

static ct_experiment *experiment(const char *model, const char *train)
{
    char yaml[2048];
    snprintf(yaml, sizeof yaml,
             "name: dp\nseed: 5\n"
             "data:\n  csv:\n    file: none.csv\n    target: {column: y}\n"
             "model:\n%s"
             "train: {%s}\n",
             model, train);
    ct_experiment *exp;
    ck_assert_msg(ct_experiment_parse_string(yaml, "dp.yaml", &exp) == CT_OK, "%s", ct_last_error());
    return exp;
}

/* Deterministic data: x uniform in [-1, 1], y a smooth function of x (or a
 * class id from its sign pattern). */
static void make_data(size_t n, size_t features, int classes, float *x, float *y)
{
    uint64_t state = 99;
    for (size_t i = 0; i < n * features; i++) {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        x[i] = (float)((double)(state >> 11) * 0x1.0p-53 * 2.0 - 1.0);
    }
    for (size_t i = 0; i < n; i++) {
        double a = 0, b = 0;
        for (size_t f = 0; f < features; f++)
            *(f % 2 ? &a : &b) += x[i * features + f] * (double)(f % 5 + 1);
        y[i] = classes ? (float)((a > 0) + (b > 0 && classes > 2)) : (float)(sin(a) + 0.3 * b);
    }
}

typedef struct {
    float *weights;
    size_t floats;
    double values[4][8]; /* per epoch */
    size_t value_count;
} outcome;

/* `epochs` epochs of exp on the devices named (count 1..3), from a fresh
 * trainer. stop_after > 0: stop after that many steps, save, continue in a
 * new trainer from the state. */
static outcome train(const ct_experiment *exp, int in_ndim, const size_t *in_shape, int classes,
                     const char *const *specs, size_t count, int epochs, int stop_after);

static int steps_left;
static bool set_weights; /* train(): start from weights set on ct_trainer_model */
static bool stop_hook(void *user)
{
    (void)user;
    return --steps_left == 0;
}

static void open_contexts(const char *const *specs, size_t count, ct_context **ctxs)
{
    for (size_t i = 0; i < count; i++) {
        ct_device_info info;
        ck_assert_msg(ct_device_find(specs[i], &info) == CT_OK, "%s", ct_last_error());
        ck_assert_int_eq(ct_context_create(&info, &ctxs[i]), CT_OK);
    }
}

static outcome train(const ct_experiment *exp, int in_ndim, const size_t *in_shape, int classes,
                     const char *const *specs, size_t count, int epochs, int stop_after)
{
    size_t features = 1;
    for (int i = 0; i < in_ndim; i++)
        features *= in_shape[i];
    float *x = malloc((N + VAL) * features * sizeof *x), *y = malloc((N + VAL) * sizeof *y);
    make_data(N + VAL, features, classes, x, y);
    ct_host_split tr = {N, x, y, NULL, 0}, va = {VAL, x + N * features, y + N, NULL, 0};
    ct_context *ctxs[3];
    open_contexts(specs, count, ctxs);
    ct_trainer *t;
    ck_assert_msg(ct_trainer_create_replicated(ctxs, count, count, 0, exp, in_ndim, in_shape, 1, &tr, &va, &t) ==
                      CT_OK,
                  "%s", ct_last_error());
    ck_assert_uint_eq(ct_trainer_replicas(t), count);
    if (set_weights) { /* as init.from does: weights into the first replica, then shared */
        ct_model *m = ct_trainer_model(t);
        size_t n = ct_model_state_size(m);
        float *w = malloc(n * sizeof *w);
        ck_assert_int_eq(ct_model_read_state(m, w), CT_OK);
        for (size_t i = 0; i < n; i++)
            w[i] = w[i] * 0.5f + 0.01f * (float)(i % 7);
        ck_assert_int_eq(ct_model_write_state(m, w), CT_OK);
        free(w);
        ck_assert_int_eq(ct_trainer_share_state(t), CT_OK);
    }
    outcome o;
    memset(&o, 0, sizeof o);
    o.value_count = ct_trainer_value_count(t);
    for (int e = 0; e < epochs; e++) {
        bool finished = false;
        ct_epoch_hooks hooks = {NULL, stop_hook, NULL};
        steps_left = e == 0 ? stop_after : 0;
        ck_assert_msg(ct_trainer_epoch(t, e, o.values[e], &hooks, &finished) == CT_OK, "%s", ct_last_error());
        if (!finished) { /* stopped between two steps: a new trainer from the checkpoint */
            ct_trainer_state st;
            ck_assert_int_eq(ct_trainer_save(t, &st), CT_OK);
            ct_trainer_free(t);
            ck_assert_int_eq(ct_trainer_create_replicated(ctxs, count, count, 0, exp, in_ndim, in_shape, 1, &tr,
                                                          &va, &t),
                             CT_OK);
            ck_assert_msg(ct_trainer_load(t, &st) == CT_OK, "%s", ct_last_error());
            ct_trainer_state_free(&st);
            ck_assert_int_eq(ct_trainer_epoch(t, e, o.values[e], NULL, &finished), CT_OK);
            ck_assert(finished);
        }
    }
    ct_model *m = ct_trainer_model(t);
    o.floats = ct_model_state_size(m);
    o.weights = malloc(o.floats * sizeof *o.weights);
    ck_assert_int_eq(ct_model_read_state(m, o.weights), CT_OK);
    ct_trainer_free(t);
    for (size_t i = 0; i < count; i++)
        ct_context_destroy(ctxs[i]);
    free(x);
    free(y);
    return o;
}

/* max |a - b| / max |a| over the weights. */
static double weight_difference(const outcome *a, const outcome *b)
{
    ck_assert_uint_eq(a->floats, b->floats);
    double diff = 0, scale = 0;
    for (size_t i = 0; i < a->floats; i++) {
        diff = fmax(diff, fabs((double)a->weights[i] - (double)b->weights[i]));
        scale = fmax(scale, fabs((double)a->weights[i]));
    }
    return diff / scale;
}

static void assert_identical(const outcome *a, const outcome *b, int epochs)
{
    ck_assert_uint_eq(a->floats, b->floats);
    ck_assert_msg(!memcmp(a->weights, b->weights, a->floats * sizeof(float)), "two runs differ in their weights");
    for (int e = 0; e < epochs; e++)
        for (size_t v = 0; v < a->value_count; v++)
            ck_assert_msg(a->values[e][v] == b->values[e][v], "epoch %d value %zu: %.17g vs %.17g", e, v,
                          a->values[e][v], b->values[e][v]);
}

static void assert_close(const outcome *one, const outcome *many, int epochs, double value_tolerance)
{
    double d = weight_difference(one, many);
    ck_assert_msg(d <= WEIGHT_TOLERANCE, "weights differ by %.3g of the largest", d);
    ck_assert_msg(d > 0 || one->floats < 2, "no difference at all: were the replicas used?");
    for (int e = 0; e < epochs; e++)
        for (size_t v = 0; v < one->value_count; v++) {
            double a = one->values[e][v], b = many->values[e][v];
            ck_assert_msg(fabs(a - b) <= value_tolerance * fmax(1.0, fabs(a)), "epoch %d value %zu: %.9g vs %.9g",
                          e, v, a, b);
        }
    fprintf(stderr, "weights differ by %.3g of the largest\n", d);
}

static void free_outcome(outcome *o) { free(o->weights); }

static const char *DENSE = "  - dense: {units: 16, activation: relu}\n  - dense: {units: 8, activation: tanh}\n"
                           "  - dense: {units: 1}\n";
static const char *ADAM = "loss: mse, metrics: [rmse, mae], optimizer: {adam: {learning_rate: 0.01}}, batch_size: 32";

START_TEST(test_dense_two_devices)
{
    find_two_devices();
    ct_experiment *exp = experiment(DENSE, ADAM);
    size_t in[1] = {6};
    const char *one[] = {spec_a}, *two[] = {spec_a, spec_b};
    outcome a = train(exp, 1, in, 0, one, 1, 4, 0);
    outcome b = train(exp, 1, in, 0, two, 2, 4, 0);
    outcome c = train(exp, 1, in, 0, two, 2, 4, 0);
    assert_identical(&b, &c, 4);
    assert_close(&a, &b, 4, 1e-4);
    free_outcome(&a), free_outcome(&b), free_outcome(&c);
    ct_experiment_free(exp);
}
END_TEST

/* A batch that does not split evenly (32 over 3: 11, 11, 10; the last batch
 * of 8: 3, 3, 2), the same device twice among the three, L2 regularization
 * (its gradient must count once, not once per replica) and an SGD with
 * momentum. */
START_TEST(test_three_replicas_uneven)
{
    find_two_devices();
    ct_experiment *exp = experiment("  - dense: {units: 12, activation: relu, kernel_regularizer: {l2: 0.01}}\n"
                                    "  - dense: {units: 1}\n",
                                    "loss: mae, optimizer: {sgd: {learning_rate: 0.05, momentum: 0.9}}, "
                                    "batch_size: 32");
    size_t in[1] = {5};
    const char *one[] = {spec_a}, *three[] = {spec_a, spec_b, spec_a};
    outcome a = train(exp, 1, in, 0, one, 1, 3, 0);
    outcome b = train(exp, 1, in, 0, three, 3, 3, 0);
    assert_close(&a, &b, 3, 1e-4);
    free_outcome(&a), free_outcome(&b);
    ct_experiment_free(exp);
}
END_TEST

/* Conv2D, pooling, softmax crossentropy and accuracy on 8x8x2 images. */
START_TEST(test_cnn_two_devices)
{
    find_two_devices();
    ct_experiment *exp = experiment("  - conv2d: {filters: 4, kernel_size: 3, activation: relu, padding: same}\n"
                                    "  - max_pooling2d: {pool_size: 2}\n  - flatten: {}\n"
                                    "  - dense: {units: 3, activation: softmax}\n",
                                    "loss: sparse_categorical_crossentropy, metrics: [accuracy], "
                                    "optimizer: {rmsprop: {learning_rate: 0.003}}, batch_size: 16");
    size_t in[3] = {8, 8, 2};
    const char *one[] = {spec_a}, *two[] = {spec_a, spec_b};
    outcome a = train(exp, 3, in, 3, one, 1, 3, 0);
    outcome b = train(exp, 3, in, 3, two, 2, 3, 0);
    outcome c = train(exp, 3, in, 3, two, 2, 3, 0);
    assert_identical(&b, &c, 3);
    /* accuracy counts whole samples: a prediction on the edge may flip */
    assert_close(&a, &b, 3, 0.02);
    free_outcome(&a), free_outcome(&b), free_outcome(&c);
    ct_experiment_free(exp);
}
END_TEST

/* Weights set on the first replica (init.from) reach the others. */
START_TEST(test_weights_set_reach_every_replica)
{
    find_two_devices();
    ct_experiment *exp = experiment(DENSE, ADAM);
    size_t in[1] = {6};
    const char *one[] = {spec_a}, *two[] = {spec_a, spec_b};
    set_weights = true;
    outcome a = train(exp, 1, in, 0, one, 1, 2, 0);
    outcome b = train(exp, 1, in, 0, two, 2, 2, 0);
    set_weights = false;
    outcome c = train(exp, 1, in, 0, one, 1, 2, 0);
    assert_close(&a, &b, 2, 1e-4);
    ck_assert_msg(weight_difference(&a, &c) > 1e-2, "the weights set did not change the run");
    free_outcome(&a), free_outcome(&b), free_outcome(&c);
    ct_experiment_free(exp);
}
END_TEST

/* Dropout masks follow the row in the whole batch: two devices draw what one does. */
START_TEST(test_dropout_masks_of_the_whole_batch)
{
    find_two_devices();
    ct_experiment *exp = experiment("  - dense: {units: 16, activation: relu}\n  - dropout: {rate: 0.3}\n"
                                    "  - dense: {units: 1}\n",
                                    ADAM);
    size_t in[1] = {6};
    const char *one[] = {spec_a}, *two[] = {spec_a, spec_b};
    outcome a = train(exp, 1, in, 0, one, 1, 3, 0);
    outcome b = train(exp, 1, in, 0, two, 2, 3, 0);
    assert_close(&a, &b, 3, 1e-4);
    free_outcome(&a), free_outcome(&b);
    ct_experiment_free(exp);
}
END_TEST

/* BatchNormalization normalises with each replica's own batch statistics
 * (as Keras' MirroredStrategy without SyncBatchNormalization): not one
 * device's numbers, but deterministic, and its moving statistics are the
 * replicas' mean. */
START_TEST(test_batchnorm_deterministic)
{
    find_two_devices();
    ct_experiment *exp = experiment("  - dense: {units: 8}\n  - batch_normalization: {}\n"
                                    "  - dense: {units: 1}\n",
                                    ADAM);
    size_t in[1] = {6};
    const char *one[] = {spec_a}, *two[] = {spec_a, spec_b};
    outcome a = train(exp, 1, in, 0, one, 1, 2, 0);
    outcome b = train(exp, 1, in, 0, two, 2, 2, 0);
    outcome c = train(exp, 1, in, 0, two, 2, 2, 0);
    assert_identical(&b, &c, 2);
    double d = weight_difference(&a, &b);
    ck_assert_msg(d > WEIGHT_TOLERANCE && d < 0.5, "per-replica statistics should differ a little: %.3g", d);
    free_outcome(&a), free_outcome(&b), free_outcome(&c);
    ct_experiment_free(exp);
}
END_TEST

/* Stopped after 3 steps of the first epoch, saved, loaded into a new pair of
 * replicas: the same weights as without the stop; the epoch's values up to
 * the accumulators' rounding (they were folded into one at the stop). */
START_TEST(test_resume_between_steps)
{
    find_two_devices();
    ct_experiment *exp = experiment(DENSE, ADAM);
    size_t in[1] = {6};
    const char *two[] = {spec_a, spec_b};
    outcome a = train(exp, 1, in, 0, two, 2, 2, 0);
    outcome b = train(exp, 1, in, 0, two, 2, 2, 3);
    ck_assert(!memcmp(a.weights, b.weights, a.floats * sizeof(float)));
    for (int e = 0; e < 2; e++)
        for (size_t v = 0; v < a.value_count; v++)
            ck_assert_msg(fabs(a.values[e][v] - b.values[e][v]) <= 1e-6 * fmax(1, fabs(a.values[e][v])),
                          "epoch %d value %zu: %.17g vs %.17g", e, v, a.values[e][v], b.values[e][v]);
    free_outcome(&a), free_outcome(&b);
    ct_experiment_free(exp);
}
END_TEST

/* ------------------------------------------------------------------ run level */

static ct_experiment *sunshine_small(const char *devices)
{
    ct_experiment *exp;
    char set[128];
    snprintf(set, sizeof set, "train.devices=%s", devices ? devices : "[]");
    const char *sets[] = {"train.epochs=10", set};
    ck_assert_msg(ct_experiment_open(CLTRAIN_SOURCE_DIR "/experiments/sunshine_small.yaml", sets, devices ? 2 : 1,
                                     &exp) == CT_OK,
                  "%s", ct_last_error());
    return exp;
}

static void read_weights(const char *dir, ct_named_tensor **w, size_t *n)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/weights.bin", dir);
    ck_assert_msg(ct_weights_read(path, w, n) == CT_OK, "%s", ct_last_error());
}

START_TEST(test_sunshine_small_two_devices)
{
    const char *data = getenv("CLTRAIN_DATA_DIR");
    if (!data || !*data) {
        fprintf(stderr, "test_sunshine_small_two_devices: skipped, no CLTRAIN_DATA_DIR\n");
        return;
    }
    find_two_devices();
    char tmp[512], out[3][1024], devices[100];
    test_tmp_make(tmp, sizeof tmp, "dataparallel", "sunshine");
    snprintf(devices, sizeof devices, "[%s, %s]", spec_a, spec_b);
    ct_named_tensor *w[3];
    size_t n[3];
    for (int r = 0; r < 3; r++) {
        ct_experiment *exp = sunshine_small(r == 0 ? NULL : devices);
        snprintf(out[r], sizeof out[r], "%s/run%d", tmp, r);
        ct_run_options o = {.data_dir = data, .out_dir = out[r]};
        char *dir = NULL;
        ck_assert_msg(ct_run_experiment(exp, &o, &dir) == CT_OK, "%s", ct_last_error());
        free(dir);
        read_weights(out[r], &w[r], &n[r]);
        ct_experiment_free(exp);
    }
    double diff = 0, scale = 0;
    for (size_t t = 0; t < n[0]; t++)
        for (size_t i = 0; i < ct_named_tensor_count(&w[0][t]); i++) {
            diff = fmax(diff, fabs((double)w[0][t].data[i] - (double)w[1][t].data[i]));
            scale = fmax(scale, fabs((double)w[0][t].data[i]));
            ck_assert(w[1][t].data[i] == w[2][t].data[i]);
        }
    ck_assert_msg(diff / scale <= WEIGHT_TOLERANCE, "sunshine_small: weights differ by %.3g", diff / scale);
    /* the run directory records the experiment as given: the devices are in config.yaml */
    char path[4096], text[8192];
    snprintf(path, sizeof path, "%s/config.yaml", out[1]);
    FILE *f = fopen(path, "r");
    size_t len = fread(text, 1, sizeof text - 1, f);
    text[len] = '\0';
    fclose(f);
    ck_assert_msg(strstr(text, "devices: ["), "%s", text);
    /* summary.yaml names every replica's device, the one-device run none */
    for (int r = 0; r < 2; r++) {
        snprintf(path, sizeof path, "%s/summary.yaml", out[r]);
        f = fopen(path, "r");
        ck_assert_msg(f != NULL, "%s", path);
        len = fread(text, 1, sizeof text - 1, f);
        text[len] = '\0';
        fclose(f);
        const char *list = strstr(text, "\ndevices:\n");
        if (r == 0) {
            ck_assert_msg(!list && !strstr(text, "replicas:"), "%s", text);
            continue;
        }
        ck_assert_msg(strstr(text, "\nreplicas: 2\n") && list, "%s", text);
        int names = 0;
        for (const char *p = list; (p = strstr(p, "- name: ")) != NULL; p++)
            names++;
        ck_assert_msg(names == 2, "%d devices listed in\n%s", names, text);
    }
    for (int r = 0; r < 3; r++)
        ct_weights_free(w[r], n[r]);
}
END_TEST

/* Errors point at the item of train.devices, with what was found. */
START_TEST(test_device_errors)
{
    find_two_devices();
    ct_experiment *exp;
    const char *sets[] = {"train.devices=[0:0, 7:3]"};
    ck_assert_int_eq(ct_experiment_open(CLTRAIN_SOURCE_DIR "/experiments/sunshine_small.yaml", sets, 1, &exp), CT_OK);
    ck_assert_int_eq(ct_run_devices_check(exp), CT_ERR_NO_DEVICE);
    ck_assert_msg(strstr(ct_last_error(), "train.devices[1]: device '7:3' does not exist; found:"), "%s",
                  ct_last_error());
    ct_experiment_free(exp);

    const char *typo[] = {"train.devices=[cpu, cpus]"};
    ck_assert_int_eq(ct_experiment_open(CLTRAIN_SOURCE_DIR "/experiments/sunshine_small.yaml", typo, 1, &exp), CT_OK);
    ck_assert_int_eq(ct_run_devices_check(exp), CT_ERR_NO_DEVICE);
    ck_assert_msg(strstr(ct_last_error(), "train.devices[1]") && strstr(ct_last_error(), "(did you mean 'cpu'?)"),
                  "%s", ct_last_error());
    ct_run_devices d;
    ck_assert_int_eq(ct_run_devices_resolve(exp, "cpu", &d), CT_ERR_CONFIG);
    ck_assert_msg(strstr(ct_last_error(), "--device cpu and train.devices both choose devices"), "%s",
                  ct_last_error());
    ct_experiment_free(exp);

    /* the schema: a misspelt key, a mapping, more devices than rows of a batch */
    const char *text = "data: {csv: {file: a.csv, target: y}}\nmodel:\n  - dense: {units: 1}\n"
                       "train:\n  loss: mse\n  batch_size: 2\n  %s\n";
    char yaml[512];
    snprintf(yaml, sizeof yaml, text, "device: [0:0]");
    ck_assert_int_eq(ct_experiment_parse_string(yaml, "e.yaml", &exp), CT_ERR_CONFIG);
    ck_assert_msg(strstr(ct_last_error(), "e.yaml:7:3: train: unknown key 'device'") &&
                      strstr(ct_last_error(), "did you mean 'devices'?"),
                  "%s", ct_last_error());
    snprintf(yaml, sizeof yaml, text, "devices: {cpu: 1}");
    ck_assert_int_eq(ct_experiment_parse_string(yaml, "e.yaml", &exp), CT_ERR_CONFIG);
    ck_assert_msg(strstr(ct_last_error(), "e.yaml:7:12"), "%s", ct_last_error());
    snprintf(yaml, sizeof yaml, text, "devices: [cpu, cpu, cpu]");
    ck_assert_int_eq(ct_experiment_parse_string(yaml, "e.yaml", &exp), CT_OK);
    ck_assert_int_eq(ct_experiment_validate(exp), CT_ERR_CONFIG);
    ck_assert_msg(strstr(ct_last_error(), "e.yaml:7:12: train.devices: 3 devices for batches of 2"), "%s",
                  ct_last_error());
    ct_experiment_free(exp);
}
END_TEST


static Suite *suite(void)
{
    Suite *s = suite_create("dataparallel");
    TCase *tc = tcase_create("replicas");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_dense_two_devices);
    tcase_add_test(tc, test_three_replicas_uneven);
    tcase_add_test(tc, test_cnn_two_devices);
    tcase_add_test(tc, test_dropout_masks_of_the_whole_batch);
    tcase_add_test(tc, test_weights_set_reach_every_replica);
    tcase_add_test(tc, test_batchnorm_deterministic);
    tcase_add_test(tc, test_resume_between_steps);
    tcase_add_test(tc, test_sunshine_small_two_devices);
    tcase_add_test(tc, test_device_errors);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    /* PoCL's CPU device twice, unless the caller chose devices. Before any
     * OpenCL call: PoCL reads it once. */
    setenv("POCL_DEVICES", "pthread pthread", 0);
    SRunner *r = srunner_create(suite());
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? 1 : 0;
}
