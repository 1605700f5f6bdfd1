/* `cltrain summary` (issue 14, item 5): the model summary and FLOPs per
 * sample of an experiment without training: an image-folder experiment needs
 * no files at all, a CSV experiment reads its file for the feature count. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run/summary.h"

static char *summary_of(const char *name, const char *const *sets, size_t n, const char *data_dir, ct_status *status)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/experiments/%s", CLTRAIN_SOURCE_DIR, name);
    ct_experiment *exp;
    ck_assert_msg(ct_experiment_open(path, sets, n, &exp) == CT_OK, "%s", ct_last_error());
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    *status = ct_run_summary(exp, data_dir, out);
    fclose(out);
    ct_experiment_free(exp);
    return text;
}

START_TEST(test_image_experiment_without_files)
{
    ct_status s;
    /* photos/train does not exist: the summary reads nothing */
    char *text = summary_of("own_images.yaml", NULL, 0, NULL, &s);
    ck_assert_msg(s == CT_OK, "%s", ct_last_error());
    ck_assert_msg(strstr(text, "Input: (None, 32, 32, 3)"), "%s", text);
    ck_assert_msg(strstr(text, "Total params: 47,370"), "%s", text); /* Keras' count, as cifar10_cnn_pool */
    /* conv2d: 30x30 positions x (2 x 864 weights + 32 biases) */
    ck_assert_msg(strstr(text, "conv2d                                  1,584,000"), "%s", text);
    /* dense_1: 2 x 320 weights + 10 biases */
    ck_assert_msg(strstr(text, "dense_1                                       650"), "%s", text);
    free(text);

    const char *grey[] = {"data.images.color_mode=grayscale", "data.images.image_size=[28, 20]"};
    text = summary_of("own_images.yaml", grey, 2, NULL, &s);
    ck_assert_msg(s == CT_OK, "%s", ct_last_error());
    ck_assert_msg(strstr(text, "Input: (None, 28, 20, 1)"), "%s", text);
    ck_assert_msg(strstr(text, "(None, 26, 18, 32)"), "%s", text);
    free(text);
}
END_TEST

START_TEST(test_csv_experiment_counts_features)
{
    const char *data = getenv("CLTRAIN_DATA_DIR");
    ck_assert_msg(data && *data, "set CLTRAIN_DATA_DIR");
    ct_status s;
    char *text = summary_of("sunshine.yaml", NULL, 0, data, &s);
    ck_assert_msg(s == CT_OK, "%s", ct_last_error());
    ck_assert_msg(strstr(text, "Input: (None, 163) feature columns"), "%s", text);
    ck_assert_msg(strstr(text, "Total params: 21,501"), "%s", text);
    /* dense: 163 x 100 weights, 2 each, + 100 biases; in all 2 x 21,350 weights + 151 biases */
    ck_assert_msg(strstr(text, "dense                                      32,700"), "%s", text);
    ck_assert_msg(strstr(text, "total                                      42,851  (0.0429 MFLOP)"), "%s", text);
    free(text);

    const char *offline[] = {"data.csv.url=null"}; /* not found, and nothing to download */
    text = summary_of("sunshine.yaml", offline, 1, "/nonexistent", &s);
    ck_assert_int_ne(s, CT_OK);
    ck_assert_msg(strstr(ct_last_error(), "weather_prediction_dataset.csv") &&
                      strstr(ct_last_error(), "the summary counts the feature columns"),
                  "%s", ct_last_error());
    free(text);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("summary");
    TCase *tc = tcase_create("summary");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_image_experiment_without_files);
    tcase_add_test(tc, test_csv_experiment_counts_features);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
