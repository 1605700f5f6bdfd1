/* CSV classification that cannot mislead (issue 14, item 2): text labels
 * mapped to sorted classes, labels and output size checked before training,
 * categorical_crossentropy on class indices, the unshifted target refused as
 * a feature, a data path relative to the experiment file, evaluate on another
 * labelled file, and predict passing ID columns through.
 *
 * Every experiment reads a small table the test writes: two features that
 * separate three classes, an ID column and a text label column. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cltrain/data.h"
#include "run/predict.h"
#include "run/run.h"

static char base_dir[400]; /* set in main(), before Check forks */

static const char *in_base(const char *name, char *buf, size_t size)
{
    snprintf(buf, size, "%s/%s", base_dir, name);
    return buf;
}

/* Rows i: class k = i % 3 (named "class_k", or the number k + label_offset
 * when numeric), features a = k + jitter, b = -k - jitter. */
static void write_table(const char *path, int rows, bool numeric, int label_offset)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "id,a,b,cultivar\n");
    for (int i = 0; i < rows; i++) {
        int k = i % 3;
        double j = 0.2 * sin(i * 1.7);
        if (numeric)
            fprintf(f, "%03d,%.5f,%.5f,%d\n", i, k + j, -k - j, k + label_offset);
        else
            fprintf(f, "%03d,%.5f,%.5f,class_%d\n", i, k + j, -k - j, k);
    }
    fclose(f);
}

/* The experiment text for data file `file` and the given loss, units and
 * feature drop list. */
static void experiment_text(char *yaml, size_t size, const char *file, const char *loss, int units,
                            const char *drop, const char *extra)
{
    snprintf(yaml, size,
             "name: classify\nseed: 1\n"
             "data:\n  csv:\n    file: %s\n    features: {drop: [%s]}\n    target: cultivar\n"
             "    split: {train: 0.6, validation: 0.2, test: 0.2}\n"
             "model:\n  - dense: {units: 8, activation: relu}\n  - dense: {units: %d, activation: softmax}\n"
             "train: {loss: %s, optimizer: {adam: {learning_rate: 0.05}}, epochs: 15%s}\n",
             file, drop, units, loss, extra);
}

static ct_experiment *parse(const char *yaml)
{
    ct_experiment *exp;
    ck_assert_msg(ct_experiment_parse_string(yaml, "classify.yaml", &exp) == CT_OK, "%s", ct_last_error());
    ck_assert_msg(ct_experiment_validate(exp) == CT_OK, "%s", ct_last_error());
    return exp;
}

/* Run the experiment into base_dir/out_name; returns its status. */
static ct_status run_into(ct_experiment *exp, const char *out_name, char **dir)
{
    char out[700];
    ct_run_options o = {.data_dir = base_dir, .out_dir = in_base(out_name, out, sizeof out)};
    *dir = NULL;
    return ct_run_experiment(exp, &o, dir);
}

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    static char text[1 << 16];
    size_t n = fread(text, 1, sizeof text - 1, f);
    text[n] = '\0';
    fclose(f);
    return text;
}

/* ------------------------------------------------------------- the data layer */

START_TEST(test_encode_labels_sorted_and_given)
{
    const char *csv = "x,label\n1,pear\n2,apple\n3,\n4,7\n5,pear\n";
    ct_table t;
    ck_assert_int_eq(ct_csv_parse("fruit.csv", csv, strlen(csv), &t), CT_OK);
    ck_assert(ct_table_column_has_text(&t, 1));
    ck_assert(!ct_table_column_has_text(&t, 0));
    char **names = NULL;
    size_t n = 0;
    ck_assert_msg(ct_table_encode_labels(&t, 1, &names, &n) == CT_OK, "%s", ct_last_error());
    /* bytewise order: digits before letters; the number 7 counts as its text */
    ck_assert_uint_eq(n, 3);
    ck_assert_str_eq(names[0], "7");
    ck_assert_str_eq(names[1], "apple");
    ck_assert_str_eq(names[2], "pear");
    const double want[] = {2, 1, NAN, 0, 2};
    for (size_t r = 0; r < 5; r++) {
        if (isnan(want[r]))
            ck_assert(isnan(t.values[r * 2 + 1]));
        else
            ck_assert_double_eq(t.values[r * 2 + 1], want[r]);
    }
    /* the empty label stays a missing cell: the usual error or drop_missing */
    ck_assert_uint_eq(t.n_problems, 1);
    ck_assert_int_eq(t.problems[0].kind, CT_CELL_MISSING);
    ct_table_free(&t);

    /* Given classes: a file to score is looked up in the trained ones. */
    const char *other = "x,label\n1,apple\n2,peer\n";
    ck_assert_int_eq(ct_csv_parse("other.csv", other, strlen(other), &t), CT_OK);
    ck_assert_int_eq(ct_table_encode_labels(&t, 1, &names, &n), CT_ERR_DATA);
    ck_assert_msg(strstr(ct_last_error(), "other.csv: row 3, column label: label \"peer\"") &&
                      strstr(ct_last_error(), "did you mean \"pear\"?"),
                  "%s", ct_last_error());
    ct_table_free(&t);
    ct_class_names_free(names, n);
}
END_TEST

START_TEST(test_labels_check_and_one_hot)
{
    const float ok[] = {0, 2, 1, 2};
    const size_t lines[] = {2, 3, 4, 5};
    ct_labels_check_args a = {.y = ok, .n = 4, .n_classes = 3, .units = 3, .lines = lines, .source = "t.csv",
                              .column = "k"};
    ck_assert_int_eq(ct_labels_check(&a), CT_OK);
    const float from_one[] = {1, 3, 2, 3};
    a.y = from_one;
    ck_assert_int_eq(ct_labels_check(&a), CT_ERR_DATA);
    ck_assert_msg(strstr(ct_last_error(), "t.csv: row 3, column k: label 3") &&
                      strstr(ct_last_error(), "count from 1"),
                  "%s", ct_last_error());
    const float half[] = {0, 0.5f};
    a.y = half, a.n = 2;
    ck_assert_int_eq(ct_labels_check(&a), CT_ERR_DATA);
    ck_assert_msg(strstr(ct_last_error(), "row 3, column k: label 0.5"), "%s", ct_last_error());
    a.binary = true, a.n_classes = 2, a.units = 1;
    ck_assert_int_eq(ct_labels_check(&a), CT_OK); /* binary labels may be soft */

    float *hot = NULL;
    ck_assert_int_eq(ct_labels_one_hot(ok, 4, 3, &hot), CT_OK);
    const float want[] = {1, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 1};
    for (size_t i = 0; i < 12; i++)
        ck_assert_float_eq(hot[i], want[i]);
    free(hot);
    ck_assert_int_ne(ct_labels_one_hot(from_one, 4, 3, &hot), CT_OK);
}
END_TEST

/* ------------------------------------------------------------- end to end */

START_TEST(test_text_labels_train_predict_evaluate)
{
    char path[700], yaml[2048];
    write_table(in_base("wine.csv", path, sizeof path), 240, false, 0);
    experiment_text(yaml, sizeof yaml, "wine.csv", "sparse_categorical_crossentropy", 3, "id, cultivar",
                    ", metrics: [accuracy]");
    ct_experiment *exp = parse(yaml);
    char *dir = NULL;
    ck_assert_msg(run_into(exp, "text", &dir) == CT_OK, "%s", ct_last_error());

    /* the classes are saved, sorted, for predict */
    char file[900];
    snprintf(file, sizeof file, "%s/summary.yaml", dir);
    const char *summary = read_text(file);
    ck_assert_msg(strstr(summary, "class_names:\n- class_0\n- class_1\n- class_2\n"), "%s", summary);
    const char *acc = strstr(strstr(summary, "\ntest:"), "accuracy:");
    ck_assert_ptr_nonnull(acc);
    ck_assert_msg(strtod(acc + 9, NULL) > 0.95, "test accuracy %s", acc);

    /* evaluate --data: every row of another labelled file of the same form */
    ct_run run;
    ct_run_options o = {.data_dir = base_dir};
    ck_assert_msg(ct_run_open(dir, &o, &run) == CT_OK, "%s", ct_last_error());
    char fresh[700];
    write_table(in_base("fresh.csv", fresh, sizeof fresh), 30, false, 0);
    ct_split_data data;
    ck_assert_msg(ct_dataset_load_file(run.exp, &run.data, fresh, &data) == CT_OK, "%s", ct_last_error());
    ck_assert_uint_eq(data.n, 30);
    for (size_t i = 0; i < 30; i++)
        ck_assert_float_eq(data.y[i], (float)(i % 3));
    ct_split_data_free(&data);
    char *out = NULL;
    size_t out_len = 0;
    FILE *report = open_memstream(&out, &out_len);
    ck_assert_msg(ct_run_evaluate_file(&run, fresh, NULL, report) == CT_OK, "%s", ct_last_error());
    fclose(report);
    ck_assert_msg(strstr(out, "fresh.csv (30 samples):  loss: ") && strstr(out, "accuracy: 1.0000"), "%s", out);
    free(out);
    /* a label the model never saw is named with its line */
    FILE *f = fopen(fresh, "a");
    fprintf(f, "999,0,0,class_3\n");
    fclose(f);
    ck_assert_int_eq(ct_dataset_load_file(run.exp, &run.data, fresh, &data), CT_ERR_DATA);
    ck_assert_msg(strstr(ct_last_error(), "row 32, column cultivar: label \"class_3\""), "%s", ct_last_error());
    ct_run_close(&run);

    /* predict --keep: the ID column as written (leading zeros), class names */
    ct_device_info info;
    ct_context *ctx = NULL;
    ck_assert_int_eq(ct_device_find(ct_device_spec_from_env(getenv("CLTRAIN_TEST_DEVICE")), &info), CT_OK);
    ck_assert_int_eq(ct_context_create(&info, &ctx), CT_OK);
    ct_predictor *p;
    ck_assert_msg(ct_predictor_open(dir, ctx, &p) == CT_OK, "%s", ct_last_error());
    char ids[700];
    f = fopen(in_base("ids.csv", ids, sizeof ids), "w");
    fprintf(f, "name,a,b\n007,0.05,-0.05\nx9,2.1,-2.1\n");
    fclose(f);
    ct_prediction pr;
    ck_assert_int_eq(ct_predict_file(p, ids, &pr), CT_ERR_DATA); /* an unknown column, not kept */
    ck_assert_msg(strstr(ct_last_error(), "--keep name"), "%s", ct_last_error());
    const char *keep[] = {"name"};
    ct_predictor_keep(p, keep, 1);
    ck_assert_msg(ct_predict_file(p, ids, &pr) == CT_OK, "%s", ct_last_error());
    ck_assert_uint_eq(pr.n, 2);
    ck_assert_uint_eq(pr.n_kept, 1);
    ck_assert_str_eq(pr.kept[0], "007");
    ck_assert_str_eq(pr.kept[1], "x9");
    ck_assert_str_eq(ct_predictor_class_name(p, ct_prediction_class(&pr, 0)), "class_0");
    ck_assert_str_eq(ct_predictor_class_name(p, ct_prediction_class(&pr, 1)), "class_2");
    ct_prediction_free(&pr);
    const char *typo[] = {"nmae"};
    ct_predictor_keep(p, typo, 1);
    ck_assert_int_ne(ct_predict_file(p, ids, &pr), CT_OK);
    ck_assert_msg(strstr(ct_last_error(), "did you mean \"name\""), "%s", ct_last_error());
    ct_predictor_free(p);
    ct_context_destroy(ctx);
    free(dir);
    ct_experiment_free(exp);
}
END_TEST

/* Mistakes that used to end in NaN or a shape error fail before training,
 * naming the row or the layer, and leave no run directory. */
START_TEST(test_mistakes_fail_before_training)
{
    char path[700], yaml[2048], out[700];
    struct stat st;
    write_table(in_base("wine.csv", path, sizeof path), 240, false, 0);
    write_table(in_base("counted.csv", path, sizeof path), 240, true, 1);

    experiment_text(yaml, sizeof yaml, "wine.csv", "sparse_categorical_crossentropy", 2, "id, cultivar", "");
    ct_experiment *exp = parse(yaml);
    char *dir = NULL;
    ck_assert_int_eq(run_into(exp, "units", &dir), CT_ERR_DATA);
    ck_assert_msg(strstr(ct_last_error(), "model[1].dense.units: the model outputs 2 values, but column cultivar "
                                          "has 3 classes (class_0, class_1, class_2)"),
                  "%s", ct_last_error());
    ck_assert_ptr_null(dir);
    ck_assert_int_ne(stat(in_base("units", out, sizeof out), &st), 0);
    ct_experiment_free(exp);

    experiment_text(yaml, sizeof yaml, "counted.csv", "sparse_categorical_crossentropy", 3, "id, cultivar", "");
    exp = parse(yaml);
    ck_assert_int_eq(run_into(exp, "counted", &dir), CT_ERR_DATA);
    /* line 4 holds row 2, the first with label 3 */
    ck_assert_msg(strstr(ct_last_error(), "counted.csv: row 4, column cultivar: label 3 is not a class") &&
                      strstr(ct_last_error(), "count from 1"),
                  "%s", ct_last_error());
    ct_experiment_free(exp);

    /* the target left among the features (shift 0) */
    experiment_text(yaml, sizeof yaml, "wine.csv", "sparse_categorical_crossentropy", 3, "id", "");
    exp = parse(yaml);
    ck_assert_int_eq(run_into(exp, "leak", &dir), CT_ERR_DATA);
    ck_assert_msg(strstr(ct_last_error(), "classify.yaml:") &&
                      strstr(ct_last_error(), "the target column cultivar is also a feature") &&
                      strstr(ct_last_error(), "drop: [cultivar]"),
                  "%s", ct_last_error());
    ct_experiment_free(exp);
}
END_TEST

/* categorical_crossentropy converts class indices to one-hot rows: the same
 * training as sparse_categorical_crossentropy on the indices. */
START_TEST(test_categorical_takes_class_indices)
{
    char path[700], yaml[2048], file[900];
    write_table(in_base("digits.csv", path, sizeof path), 240, true, 0);
    double loss[2];
    const char *losses[] = {"sparse_categorical_crossentropy", "categorical_crossentropy"};
    for (int k = 0; k < 2; k++) {
        experiment_text(yaml, sizeof yaml, "digits.csv", losses[k], 3, "id, cultivar", "");
        ct_experiment *exp = parse(yaml);
        char *dir = NULL;
        ck_assert_msg(run_into(exp, losses[k], &dir) == CT_OK, "%s", ct_last_error());
        snprintf(file, sizeof file, "%s/summary.yaml", dir);
        const char *summary = read_text(file);
        const char *at = strstr(strstr(summary, "\ntest:"), "loss:");
        ck_assert_ptr_nonnull(at);
        loss[k] = strtod(at + 5, NULL);
        /* predictions.csv gives the class index as `true` in both */
        snprintf(file, sizeof file, "%s/predictions.csv", dir);
        const char *pred = read_text(file);
        ck_assert_msg(!strncmp(pred, "index,true,predicted,p_0,p_1,p_2\n", 33), "%s", pred);
        free(dir);
        ct_experiment_free(exp);
    }
    ck_assert_msg(fabs(loss[0] - loss[1]) < 1e-4, "sparse %.6f, categorical %.6f", loss[0], loss[1]);
    ck_assert_msg(loss[0] < 0.3, "test loss %.4f", loss[0]);
}
END_TEST

/* A data path with a folder is relative to the experiment file, wherever the
 * command runs, and is saved absolute in the run's config.yaml. */
START_TEST(test_data_path_relative_to_experiment)
{
    char dir[700], path[900], yaml[2048];
    mkdir(in_base("project", dir, sizeof dir), 0755);
    snprintf(path, sizeof path, "%s/data", dir);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/data/wine.csv", dir);
    write_table(path, 120, false, 0);
    experiment_text(yaml, sizeof yaml, "data/wine.csv", "sparse_categorical_crossentropy", 3, "id, cultivar", "");
    snprintf(path, sizeof path, "%s/exp.yaml", dir);
    FILE *f = fopen(path, "w");
    fputs(yaml, f);
    fclose(f);
    ck_assert_int_eq(chdir("/"), 0); /* anywhere but the project */
    ct_experiment *exp;
    ck_assert_msg(ct_experiment_open(path, NULL, 0, &exp) == CT_OK, "%s", ct_last_error());
    char want[900];
    snprintf(want, sizeof want, "%s/data/wine.csv", dir);
    char *real = realpath(dir, NULL);
    if (real) { /* the tmp folder may itself be a link */
        snprintf(want, sizeof want, "%s/data/wine.csv", real);
        free(real);
    }
    ck_assert_str_eq(exp->data.csv.file, want);
    char *out = NULL;
    ct_run_options o = {.out_dir = in_base("project-run", path, sizeof path)};
    ck_assert_msg(ct_run_experiment(exp, &o, &out) == CT_OK, "%s", ct_last_error());
    free(out);
    ct_experiment_free(exp);

    /* a path that is not there is named as it is, not looked up */
    ct_experiment *missing;
    ck_assert_int_eq(ct_experiment_parse_string("name: m\ndata: {csv: {file: /nowhere/x.csv, target: y}}\n"
                                                "model: [{dense: {units: 1}}]\ntrain: {loss: mse}\n",
                                                "m.yaml", &missing),
                     CT_OK);
    ck_assert_int_ne(ct_run_experiment(missing, &o, &out), CT_OK);
    ck_assert_msg(strstr(ct_last_error(), "/nowhere/x.csv: No such file"), "%s", ct_last_error());
    ct_experiment_free(missing);
}
END_TEST

int main(void)
{
    const char *base = getenv("CLTRAIN_TEST_TMPDIR");
    char parent[300];
    snprintf(parent, sizeof parent, "%s", base && *base ? base : "/tmp");
    mkdir(parent, 0755);
    snprintf(base_dir, sizeof base_dir, "%s/classify-%ld", parent, (long)getpid());
    mkdir(base_dir, 0755);
    char *real = realpath(base_dir, NULL); /* chdir in a test must not break the paths */
    if (real) {
        snprintf(base_dir, sizeof base_dir, "%s", real);
        free(real);
    }

    Suite *s = suite_create("classify");
    TCase *tc = tcase_create("classify");
    tcase_set_timeout(tc, 1200);
    tcase_add_test(tc, test_encode_labels_sorted_and_given);
    tcase_add_test(tc, test_labels_check_and_one_hot);
    tcase_add_test(tc, test_text_labels_train_predict_evaluate);
    tcase_add_test(tc, test_mistakes_fail_before_training);
    tcase_add_test(tc, test_categorical_takes_class_indices);
    tcase_add_test(tc, test_data_path_relative_to_experiment);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
