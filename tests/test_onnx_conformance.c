/* ONNX's own backend node tests, run by cltrain's ONNX runner
 * (src/onnx/onnx_model.h) on every device.
 *
 * Debian's libonnx-testdata installs them under
 * /usr/share/libonnx-testdata/data/node ($CLTRAIN_ONNX_TEST_DATA for another
 * data folder), beside the models PyTorch's exporter wrote
 * (pytorch-converted, pytorch-operator) and small whole models (simple),
 * which run here too: one folder per test with model.onnx and test_data_set_N/
 * holding input_K.pb and output_K.pb (serialized TensorProtos). Every test
 * whose operators and attributes the runner supports is run against the
 * reference outputs with ONNX's tolerances (rtol 1e-3, atol 1e-7); every
 * other test is a skip with its reason, as the runner words it (an
 * operator it lacks, an attribute it does not support, named, or a
 * non-float tensor). A supported operator with an unsupported attribute is
 * refused before anything runs, so it can only be a skip, never a pass.
 * Prints each result and the counts per device; fails on any failure or
 * when nothing passed. */
#include <check.h>
#include <dirent.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "onnx/onnx_model.h"
#include "test_devices.h"

#define RTOL 1e-3
#define ATOL 1e-7

/* The suites of libonnx-testdata: ONNX's node tests, then models that
 * PyTorch's exporter wrote (layers, operators) and small whole models, the
 * "common exporters" cltrain predict model.onnx should run. */
static const char *const suites[] = {"node", "pytorch-converted", "pytorch-operator", "simple"};

static const char *tests_root(void)
{
    const char *dir = getenv("CLTRAIN_ONNX_TEST_DATA");
    return dir && *dir ? dir : "/usr/share/libonnx-testdata/data";
}

static int is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

typedef struct {
    int passed, failed, skipped;
} counts;

typedef enum { RESULT_PASS, RESULT_FAIL, RESULT_SKIP } result;

/* got against want: same shape, |got - want| <= ATOL + RTOL |want| (NaN
 * only where the reference has NaN). */
static result compare(const ct_onnx_tensor *got, const ct_onnx_tensor *want, char *why, size_t size)
{
    if (want->is_int64) {
        snprintf(why, size, "reference output is int64");
        return RESULT_SKIP;
    }
    if (got->ndim != want->ndim) {
        snprintf(why, size, "output rank %d, reference %d", got->ndim, want->ndim);
        return RESULT_FAIL;
    }
    for (int d = 0; d < got->ndim; d++)
        if (got->dims[d] != want->dims[d]) {
            snprintf(why, size, "output dimension %d is %lld, reference %lld", d, (long long)got->dims[d],
                     (long long)want->dims[d]);
            return RESULT_FAIL;
        }
    size_t n = ct_onnx_tensor_count(want);
    for (size_t i = 0; i < n; i++) {
        double g = got->f[i], w = want->f[i];
        bool ok = (isnan(w) && isnan(g)) || (isinf(w) && g == w) || fabs(g - w) <= ATOL + RTOL * fabs(w);
        if (!ok) {
            snprintf(why, size, "value %zu: %.9g, reference %.9g", i, g, w);
            return RESULT_FAIL;
        }
    }
    return RESULT_PASS;
}

/* The runner's message without the model's path in front. */
static void reason(char *why, size_t size)
{
    const char *detail = ct_last_error(), *model = strstr(detail, "model.onnx: ");
    snprintf(why, size, "%s", model ? model + strlen("model.onnx: ") : detail);
}

/* One test_data_set folder. */
static result run_set(ct_onnx_model *m, ct_context *ctx, const char *set, char *why, size_t size)
{
    size_t n_in = ct_onnx_model_input_count(m), n_out = ct_onnx_model_output_count(m);
    ct_onnx_tensor *in = calloc(n_in + 1, sizeof *in), *out = calloc(n_out + 1, sizeof *out);
    ct_onnx_tensor want = {0};
    result r = RESULT_PASS;
    char path[8192 + 32];
    for (size_t i = 0; r == RESULT_PASS && i < n_in; i++) {
        snprintf(path, sizeof path, "%s/input_%zu.pb", set, i);
        ct_status s = ct_onnx_tensor_read(path, &in[i]);
        if (s != CT_OK) {
            snprintf(why, size, "%s", ct_last_error());
            r = s == CT_ERR_UNSUPPORTED ? RESULT_SKIP : RESULT_FAIL;
        }
    }
    bool ran = false;
    if (r == RESULT_PASS) {
        ct_status s = ct_onnx_model_run(m, ctx, in, out);
        ran = s == CT_OK;
        if (s != CT_OK) {
            reason(why, size);
            r = s == CT_ERR_UNSUPPORTED ? RESULT_SKIP : RESULT_FAIL;
        }
    }
    for (size_t o = 0; r == RESULT_PASS && o < n_out; o++) {
        snprintf(path, sizeof path, "%s/output_%zu.pb", set, o);
        ct_status s = ct_onnx_tensor_read(path, &want);
        if (s != CT_OK) {
            snprintf(why, size, "%s", ct_last_error());
            r = s == CT_ERR_UNSUPPORTED ? RESULT_SKIP : RESULT_FAIL;
        } else {
            r = compare(&out[o], &want, why, size);
        }
        ct_onnx_tensor_free(&want);
    }
    for (size_t i = 0; i < n_in; i++)
        ct_onnx_tensor_free(&in[i]);
    for (size_t o = 0; ran && o < n_out; o++)
        ct_onnx_tensor_free(&out[o]);
    free(in);
    free(out);
    return r;
}

static result run_test(ct_context *ctx, const char *dir, char *why, size_t size)
{
    char path[8192];
    snprintf(path, sizeof path, "%s/model.onnx", dir);
    ct_onnx_model *m = NULL;
    ct_status s = ct_onnx_model_load(path, &m);
    if (s != CT_OK) {
        reason(why, size);
        return s == CT_ERR_UNSUPPORTED ? RESULT_SKIP : RESULT_FAIL;
    }
    struct dirent **sets = NULL;
    int n = scandir(dir, &sets, NULL, alphasort);
    result r = RESULT_SKIP;
    snprintf(why, size, "no test_data_set folder");
    for (int i = 0; i < n; i++) {
        if (!strncmp(sets[i]->d_name, "test_data_set_", 14) && (r == RESULT_PASS || r == RESULT_SKIP)) {
            snprintf(path, sizeof path, "%s/%s", dir, sets[i]->d_name);
            result one = run_set(m, ctx, path, why, size);
            if (one != RESULT_PASS || r == RESULT_SKIP)
                r = one;
            if (one != RESULT_PASS)
                break;
        }
    }
    for (int i = 0; i < n; i++)
        free(sets[i]);
    free(sets);
    ct_onnx_model_free(m);
    return r;
}

static counts run_suite(ct_context *ctx, const char *suite)
{
    counts c = {0, 0, 0};
    char root[1024];
    snprintf(root, sizeof root, "%s/%s", tests_root(), suite);
    struct dirent **tests = NULL;
    int n = scandir(root, &tests, NULL, alphasort);
    ck_assert_msg(n > 0, "cannot list %s", root);
    for (int i = 0; i < n; i++) {
        char dir[2048], why[1024] = "";
        snprintf(dir, sizeof dir, "%s/%s", root, tests[i]->d_name);
        if (tests[i]->d_name[0] == '.' || !is_dir(dir)) {
            free(tests[i]);
            continue;
        }
        result r = run_test(ctx, dir, why, sizeof why);
        if (r == RESULT_PASS)
            c.passed++, printf("PASS %s/%s\n", suite, tests[i]->d_name);
        else if (r == RESULT_FAIL)
            c.failed++, printf("FAIL %s/%s: %s\n", suite, tests[i]->d_name, why);
        else
            c.skipped++, printf("SKIP %s/%s: %s\n", suite, tests[i]->d_name, why);
        ct_clear_error();
        free(tests[i]);
    }
    free(tests);
    return c;
}

START_TEST(test_node_conformance)
{
    ct_device_info *devices;
    size_t count = test_devices(&devices);
    int failed = 0, passed = 0;
    for (size_t d = 0; d < count; d++) {
        ct_context *ctx = NULL;
        ct_status s = ct_context_create(&devices[d], &ctx);
        ck_assert_msg(s == CT_OK, "%s: %s", devices[d].name, ct_last_error());
        counts sum[sizeof suites / sizeof suites[0]];
        for (size_t k = 0; k < sizeof suites / sizeof suites[0]; k++) {
            sum[k] = run_suite(ctx, suites[k]);
            failed += sum[k].failed;
            passed += sum[k].passed;
        }
        for (size_t k = 0; k < sizeof suites / sizeof suites[0]; k++)
            printf("ONNX %s tests on %s: %d passed, %d failed, %d skipped\n", suites[k], devices[d].name,
                   sum[k].passed, sum[k].failed, sum[k].skipped);
        fflush(stdout);
        ct_context_destroy(ctx);
    }
    free(devices);
    ck_assert_msg(failed == 0, "%d ONNX node tests failed (see FAIL lines above)", failed);
    ck_assert_msg(passed > 0, "no ONNX node test passed");
}
END_TEST

int main(void)
{
    char node[1100];
    snprintf(node, sizeof node, "%s/node", tests_root());
    if (!is_dir(node)) {
        printf("SKIP: no ONNX node tests at %s: install the Debian package libonnx-testdata "
               "(or set CLTRAIN_ONNX_TEST_DATA to its data folder)\n",
               node);
        return 77;
    }
    Suite *suite = suite_create("onnx_conformance");
    TCase *tc = tcase_create("node");
    tcase_set_timeout(tc, 1200);
    tcase_add_test(tc, test_node_conformance);
    suite_add_tcase(suite, tc);
    SRunner *runner = srunner_create(suite);
    srunner_set_fork_status(runner, CK_NOFORK);
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
