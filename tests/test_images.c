/* The image-folder source (issue 14, item 1): a small folder of tiny PNG and
 * JPEG images, written by the test, read the way
 * keras.utils.image_dataset_from_directory reads a folder (sorted class
 * sub-folders, grey conversion, resizing), through the 8-bit cache; broken
 * files named or skipped; Keras' seeded split; and a run end to end with
 * class names in summary.yaml and predict, evaluate --data on a folder. */
#include <cairo.h>
#include <check.h>
#include <math.h>
#include <stdio.h> /* before jpeglib.h, which uses FILE */

#include <jpeglib.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cltrain/data.h"
#include "run/predict.h"
#include "run/run.h"

static char base_dir[400];

static const char *in_base(const char *name, char *buf, size_t size)
{
    snprintf(buf, size, "%s/%s", base_dir, name);
    return buf;
}

/* A solid w x h PNG of (r, g, b), with one pixel at (0, 0) varied by `v` so
 * that no two files are the same. */
static void write_png(const char *path, int w, int h, int r, int g, int b, int v)
{
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h);
    unsigned char *data = cairo_image_surface_get_data(s);
    int stride = cairo_image_surface_get_stride(s);
    cairo_surface_flush(s);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            uint32_t *p = (uint32_t *)(data + y * stride) + x;
            int rr = x == 0 && y == 0 ? (r + v) % 256 : r;
            *p = (uint32_t)rr << 16 | (uint32_t)g << 8 | (uint32_t)b;
        }
    cairo_surface_mark_dirty(s);
    ck_assert_int_eq(cairo_surface_write_to_png(s, path), CAIRO_STATUS_SUCCESS);
    cairo_surface_destroy(s);
}

/* A solid w x h JPEG (quality 100: a flat colour survives within 1-2 levels). */
static void write_jpeg(const char *path, int w, int h, int r, int g, int b)
{
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    struct jpeg_compress_struct c;
    struct jpeg_error_mgr err;
    c.err = jpeg_std_error(&err);
    jpeg_create_compress(&c);
    jpeg_stdio_dest(&c, f);
    c.image_width = (JDIMENSION)w;
    c.image_height = (JDIMENSION)h;
    c.input_components = 3;
    c.in_color_space = JCS_RGB;
    jpeg_set_defaults(&c);
    jpeg_set_quality(&c, 100, TRUE);
    jpeg_start_compress(&c, TRUE);
    unsigned char *row = malloc((size_t)w * 3);
    for (int x = 0; x < w; x++)
        row[3 * x] = (unsigned char)r, row[3 * x + 1] = (unsigned char)g, row[3 * x + 2] = (unsigned char)b;
    while (c.next_scanline < c.image_height) {
        JSAMPROW rows[1] = {row};
        jpeg_write_scanlines(&c, rows, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    free(row);
    fclose(f);
}

static const char *const CLASSES[] = {"cat", "dog", "frog"}; /* sorted */
static const int COLOURS[3][3] = {{200, 40, 40}, {40, 200, 40}, {40, 40, 200}};

/* dir/{dog,cat,frog}/NN.png: `per_class` images each (made in reverse class
 * order, so sorting is what orders them), 12x10 pixels, plus files a loader
 * must ignore: one directly in dir and a hidden one in a class folder. */
static void write_folder(const char *dir, int per_class, bool with_jpeg)
{
    char path[900];
    mkdir(dir, 0755);
    for (int k = 2; k >= 0; k--) {
        snprintf(path, sizeof path, "%s/%s", dir, CLASSES[k]);
        mkdir(path, 0755);
        for (int i = 0; i < per_class; i++) {
            snprintf(path, sizeof path, "%s/%s/%02d.png", dir, CLASSES[k], i);
            write_png(path, 12, 10, COLOURS[k][0], COLOURS[k][1], COLOURS[k][2], i + 1);
        }
        snprintf(path, sizeof path, "%s/%s/.DS_Store", dir, CLASSES[k]);
        FILE *f = fopen(path, "w");
        fputs("not an image", f);
        fclose(f);
    }
    if (with_jpeg) {
        snprintf(path, sizeof path, "%s/dog/zz.jpg", dir);
        write_jpeg(path, 16, 16, COLOURS[1][0], COLOURS[1][1], COLOURS[1][2]);
    }
    snprintf(path, sizeof path, "%s/README.txt", dir);
    FILE *f = fopen(path, "w");
    fputs("files directly in the folder are not images of a class", f);
    fclose(f);
}

START_TEST(test_folder_reads_like_keras)
{
    char dir[700], cache[700];
    write_folder(in_base("pets", dir, sizeof dir), 4, true);
    in_base("cache", cache, sizeof cache);
    ct_image_folder_options o = {.dir = dir, .height = 4, .width = 5, .cache_dir = cache};
    ct_image_folder f;
    ck_assert_msg(ct_image_folder_load(&o, &f) == CT_OK, "%s", ct_last_error());
    ck_assert_uint_eq(f.n_classes, 3);
    for (size_t k = 0; k < 3; k++)
        ck_assert_str_eq(f.class_names[k], CLASSES[k]);
    ck_assert_uint_eq(f.n, 13); /* 4 + 5 (the JPEG) + 4 */
    ck_assert_uint_eq(f.channels, 3);
    ck_assert(!f.from_cache);
    const int32_t labels[] = {0, 0, 0, 0, 1, 1, 1, 1, 1, 2, 2, 2, 2};
    for (size_t i = 0; i < 13; i++)
        ck_assert_int_eq(f.labels[i], labels[i]);
    /* Image 5 (dog/01.png) resized from 12x10 to 5x4: flat green except near
     * the varied corner pixel, which shrinking blends in; the JPEG (image 8)
     * is flat within JPEG's rounding. */
    const uint8_t *img = f.pixels + 5 * 4 * 5 * 3, *jpg = f.pixels + 8 * 4 * 5 * 3;
    size_t last = (4 * 5 - 1) * 3;
    ck_assert_int_eq(img[last], 40);
    ck_assert_int_eq(img[last + 1], 200);
    ck_assert_int_eq(img[last + 2], 40);
    ck_assert_int_le(abs(jpg[last + 1] - 200), 2);
    ck_assert_int_le(abs(jpg[last] - 40), 2);
    ct_image_folder_free(&f);

    /* The second read comes from the cache, byte for byte the same. */
    ct_image_folder again;
    ck_assert_int_eq(ct_image_folder_load(&o, &f), CT_OK);
    ck_assert(f.from_cache);
    o.cache_dir = "";
    ck_assert_int_eq(ct_image_folder_load(&o, &again), CT_OK);
    ck_assert(!again.from_cache);
    ck_assert_uint_eq(again.n, f.n);
    ck_assert_mem_eq(again.pixels, f.pixels, f.n * 4 * 5 * 3);
    ct_image_folder_free(&again);
    ct_image_folder_free(&f);

    /* A changed file (new mtime) is decoded afresh. */
    char path[900];
    snprintf(path, sizeof path, "%s/cat/00.png", dir);
    sleep(1); /* mtimes of a coarse file system */
    write_png(path, 12, 10, 0, 0, 0, 0);
    o.cache_dir = cache;
    ck_assert_int_eq(ct_image_folder_load(&o, &f), CT_OK);
    ck_assert(!f.from_cache);
    ck_assert_int_eq(f.pixels[(4 * 5 - 1) * 3], 0);
    ct_image_folder_free(&f);

    /* Grayscale: TF's weights; nearest: the source pixel under the centre. */
    o.grayscale = 1, o.nearest = 1, o.cache_dir = "";
    ck_assert_int_eq(ct_image_folder_load(&o, &f), CT_OK);
    ck_assert_uint_eq(f.channels, 1);
    int grey = (int)lround(0.2989 * 40 + 0.5870 * 200 + 0.1140 * 40);
    ck_assert_int_eq(f.pixels[5 * 4 * 5 + 19], grey);
    ck_assert_int_eq(f.pixels[5 * 4 * 5 + 0], grey); /* the corner pixel is not under a centre */
    ct_image_folder_free(&f);
}
END_TEST

START_TEST(test_broken_files_named_or_skipped)
{
    char dir[700], path[900];
    write_folder(in_base("broken", dir, sizeof dir), 3, false);
    snprintf(path, sizeof path, "%s/dog/notes.txt", dir);
    FILE *f = fopen(path, "w");
    fputs("a text file among the dogs", f);
    fclose(f);
    ct_image_folder_options o = {.dir = dir, .height = 4, .width = 4, .cache_dir = ""};
    ct_image_folder img;
    ck_assert_int_eq(ct_image_folder_load(&o, &img), CT_ERR_PARSE);
    ck_assert_msg(strstr(ct_last_error(), "dog/notes.txt: not a PNG or JPEG image") &&
                      strstr(ct_last_error(), "on_error: skip"),
                  "%s", ct_last_error());
    o.skip_broken = 1;
    ck_assert_msg(ct_image_folder_load(&o, &img) == CT_OK, "%s", ct_last_error());
    ck_assert_uint_eq(img.n, 9);
    ck_assert_uint_eq(img.n_skipped, 1);
    ck_assert_msg(strstr(img.first_skipped, "dog/notes.txt"), "%s", img.first_skipped);
    ct_image_folder_free(&img);

    /* A truncated PNG is named too. */
    snprintf(path, sizeof path, "%s/cat/01.png", dir);
    ck_assert_int_eq(truncate(path, 40), 0);
    o.skip_broken = 0;
    ck_assert_int_ne(ct_image_folder_load(&o, &img), CT_OK);
    ck_assert_msg(strstr(ct_last_error(), "cat/01.png"), "%s", ct_last_error());

    /* No class folders, and a test folder without a class of the model. */
    char empty[700];
    mkdir(in_base("empty", empty, sizeof empty), 0755);
    o.dir = empty;
    ck_assert_int_eq(ct_image_folder_load(&o, &img), CT_ERR_DATA);
    ck_assert_msg(strstr(ct_last_error(), "no sub-folders"), "%s", ct_last_error());
    const char *four[] = {"cat", "dog", "frog", "zebra"};
    o.dir = dir, o.classes = four, o.n_classes = 4;
    ck_assert_int_eq(ct_image_folder_load(&o, &img), CT_ERR_DATA);
    ck_assert_msg(strstr(ct_last_error(), "no sub-folder zebra"), "%s", ct_last_error());
}
END_TEST

/* Keras shuffles the file list with numpy.random.RandomState(seed) and the
 * last int(split * n) validate: numpy's permutation(10) for seed 0 is
 * [2 8 4 9 1 6 7 3 0 5]. */
START_TEST(test_keras_split)
{
    ct_split s;
    ck_assert_int_eq(ct_image_folder_split(10, 0.2, 0, &s), CT_OK);
    const size_t want[] = {2, 8, 4, 9, 1, 6, 7, 3, 0, 5};
    ck_assert_uint_eq(s.n_train, 8);
    ck_assert_uint_eq(s.n_validation, 2);
    for (size_t i = 0; i < 8; i++)
        ck_assert_uint_eq(s.train[i], want[i]);
    ck_assert_uint_eq(s.validation[0], 0);
    ck_assert_uint_eq(s.validation[1], 5);
    ct_split_free(&s);
}
END_TEST

static ct_experiment *folder_experiment(const char *dir, const char *test_dir, int units)
{
    char yaml[2048];
    snprintf(yaml, sizeof yaml,
             "name: pets\nseed: 2\n"
             "data:\n  images: {dir: %s, image_size: [6, 6], validation_split: 0.25, test_dir: %s}\n"
             "model:\n  - flatten\n  - dense: {units: %d, activation: softmax}\n"
             "train: {loss: sparse_categorical_crossentropy, metrics: [accuracy], optimizer: {adam: "
             "{learning_rate: 0.05}}, batch_size: 8, epochs: 30}\n",
             dir, test_dir, units);
    ct_experiment *exp;
    ck_assert_msg(ct_experiment_parse_string(yaml, "pets.yaml", &exp) == CT_OK, "%s", ct_last_error());
    ck_assert_msg(ct_experiment_validate(exp) == CT_OK, "%s", ct_last_error());
    return exp;
}

START_TEST(test_run_predict_evaluate)
{
    char dir[700], test_dir[700], out[700], file[900];
    write_folder(in_base("train", dir, sizeof dir), 8, true);
    write_folder(in_base("test", test_dir, sizeof test_dir), 3, false);
    setenv("CLTRAIN_NO_CACHE", "1", 1);

    ct_experiment *exp = folder_experiment(dir, test_dir, 4);
    ct_run_options o = {.out_dir = in_base("wrong", out, sizeof out)};
    char *run_dir = NULL;
    ck_assert_int_eq(ct_run_experiment(exp, &o, &run_dir), CT_ERR_DATA);
    ck_assert_msg(strstr(ct_last_error(), "model[1].dense.units: the model outputs 4 values") &&
                      strstr(ct_last_error(), "3 classes (cat, dog, frog)"),
                  "%s", ct_last_error());
    ct_experiment_free(exp);

    exp = folder_experiment(dir, test_dir, 3);
    o.out_dir = in_base("run", out, sizeof out);
    ck_assert_msg(ct_run_experiment(exp, &o, &run_dir) == CT_OK, "%s", ct_last_error());
    snprintf(file, sizeof file, "%s/summary.yaml", run_dir);
    FILE *f = fopen(file, "r");
    char text[8192];
    size_t n = fread(text, 1, sizeof text - 1, f);
    text[n] = '\0';
    fclose(f);
    ck_assert_msg(strstr(text, "class_names:\n- cat\n- dog\n- frog\n"), "%s", text);
    /* 25 training images: 6 validate (int(0.25 * 25)), the test folder has 9 */
    ck_assert_msg(strstr(text, "train: 19\n") && strstr(text, "validation: 6\n") && strstr(text, "test: 9\n"), "%s",
                  text);
    const char *acc = strstr(strstr(text, "\ntest:"), "accuracy:");
    ck_assert_msg(acc && strtod(acc + 9, NULL) == 1.0, "%s", text);

    /* predict names the class of a new photo of another size */
    ct_device_info info;
    ct_context *ctx = NULL;
    ck_assert_int_eq(ct_device_find(ct_device_spec_from_env(getenv("CLTRAIN_TEST_DEVICE")), &info), CT_OK);
    ck_assert_int_eq(ct_context_create(&info, &ctx), CT_OK);
    ct_predictor *p;
    ck_assert_msg(ct_predictor_open(run_dir, ctx, &p) == CT_OK, "%s", ct_last_error());
    ck_assert(ct_predictor_takes_images(p));
    char photo[700];
    write_png(in_base("frog.png", photo, sizeof photo), 40, 30, COLOURS[2][0], COLOURS[2][1], COLOURS[2][2], 0);
    ct_prediction pr;
    ck_assert_msg(ct_predict_file(p, photo, &pr) == CT_OK, "%s", ct_last_error());
    ck_assert_str_eq(ct_predictor_class_name(p, ct_prediction_class(&pr, 0)), "frog");
    ct_prediction_free(&pr);
    ct_predictor_free(p);
    ct_context_destroy(ctx);

    /* evaluate --data: another folder of the same classes */
    ct_run run;
    ct_run_options ro = {0};
    ck_assert_msg(ct_run_open(run_dir, &ro, &run) == CT_OK, "%s", ct_last_error());
    char *report = NULL;
    size_t len = 0;
    FILE *r = open_memstream(&report, &len);
    ck_assert_msg(ct_run_evaluate_file(&run, test_dir, NULL, r) == CT_OK, "%s", ct_last_error());
    fclose(r);
    ck_assert_msg(strstr(report, "(9 samples):") && strstr(report, "accuracy: 1.0000"), "%s", report);
    free(report);
    ct_run_close(&run);
    free(run_dir);
    ct_experiment_free(exp);
}
END_TEST

/* Pixels kept as bytes on the device train exactly as the same pixels given
 * as floats: with scale 1 the gathered floats are the same numbers, so every
 * epoch's loss and accuracy (training, validation) and the test evaluation
 * with its predictions agree bit for bit. */
START_TEST(test_bytes_on_device_train_as_floats)
{
    enum { N = 60, V = 20, SIDE = 4, C = 3, PER = SIDE * SIDE * C };
    uint8_t *bytes = malloc(N * PER);
    float *floats = malloc(N * PER * sizeof *floats), *y = malloc(N * sizeof *y);
    for (int i = 0; i < N; i++) {
        y[i] = (float)(i % 3);
        for (int k = 0; k < PER; k++) {
            bytes[i * PER + k] = (uint8_t)((i * 37 + k * 11 + (i % 3) * 80) % 256);
            floats[i * PER + k] = bytes[i * PER + k];
        }
    }
    ct_experiment *exp;
    ck_assert_int_eq(ct_experiment_parse_string("name: u8\nseed: 4\ndata: {images: {dir: x, image_size: 4}}\n"
                                                "model: [{conv2d: {filters: 4, kernel_size: 2, activation: relu}}, "
                                                "flatten, {dense: {units: 3}}]\n"
                                                "train: {loss: sparse_categorical_crossentropy, from_logits: true, "
                                                "metrics: [accuracy], optimizer: {sgd: {learning_rate: 0.001}}, "
                                                "batch_size: 7}\n",
                                                "u8.yaml", &exp),
                     CT_OK);
    ct_device_info info;
    ct_context *ctx = NULL;
    ck_assert_int_eq(ct_device_find(ct_device_spec_from_env(getenv("CLTRAIN_TEST_DEVICE")), &info), CT_OK);
    ck_assert_int_eq(ct_context_create(&info, &ctx), CT_OK);
    size_t shape[3] = {SIDE, SIDE, C};
    double values[2][3][4];
    float pred[2][V * 3];
    for (int form = 0; form < 2; form++) {
        ct_host_split train = {N - V, form ? NULL : floats, y, form ? bytes : NULL, 1.0f};
        ct_host_split val = {V, form ? NULL : floats + (N - V) * PER, y + N - V,
                             form ? bytes + (N - V) * PER : NULL, 1.0f};
        ct_trainer *t;
        ck_assert_msg(ct_trainer_create(ctx, exp, 3, shape, 1, &train, &val, &t) == CT_OK, "%s", ct_last_error());
        for (int e = 0; e < 3; e++)
            ck_assert_msg(ct_trainer_epoch(t, e, values[form][e], NULL, NULL) == CT_OK, "%s", ct_last_error());
        double test[2];
        ck_assert_int_eq(ct_trainer_evaluate(t, &val, test, pred[form]), CT_OK);
        ck_assert_double_eq(test[0], values[form][2][2]); /* the validation loss of the last epoch */
        ct_trainer_free(t);
    }
    for (int e = 0; e < 3; e++)
        for (int v = 0; v < 4; v++)
            ck_assert_msg(values[0][e][v] == values[1][e][v], "epoch %d value %d: floats %.9g, bytes %.9g", e, v,
                          values[0][e][v], values[1][e][v]);
    ck_assert_mem_eq(pred[0], pred[1], sizeof pred[0]);
    ck_assert(values[0][2][0] < values[0][0][0] || values[0][2][0] != values[0][0][0]); /* it trained */
    ct_context_destroy(ctx);
    ct_experiment_free(exp);
    free(bytes);
    free(floats);
    free(y);
}
END_TEST

/* Schema: line:column errors, did-you-mean, cross-field checks. */
START_TEST(test_schema_errors)
{
    struct {
        const char *data, *want;
    } cases[] = {
        {"images: {dir: x, color_mode: rbg}", "pets.yaml:2:37: data.images.color_mode: expected one of rgb, grayscale, got \"rbg\" (did you mean 'rgb'?)"},
        {"images: {dir: x, imagesize: 32}", "unknown key 'imagesize' (did you mean 'image_size'?)"},
        {"images: {dir: x, validation_split: 1}", "data.images.validation_split"},
        {"images: {dir: x, image_size: [0, 32]}", "data.images.image_size"},
        {"images: {dir: x, on_error: ignore}", "data.images.on_error: expected one of error, skip"},
        {"images: {dir: x, test_dir: x}", "data.images.test_dir: is data.images.dir itself"},
        {"images: {image_size: 32}", "pets.yaml:2:16: data.images: missing required key 'dir'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char yaml[1024];
        snprintf(yaml, sizeof yaml,
                 "name: pets\ndata: {%s}\nmodel: [flatten, {dense: {units: 3}}]\n"
                 "train: {loss: sparse_categorical_crossentropy, from_logits: true}\n",
                 cases[i].data);
        ct_experiment *exp = NULL;
        ct_status s = ct_experiment_parse_string(yaml, "pets.yaml", &exp);
        if (s == CT_OK)
            s = ct_experiment_validate(exp);
        ck_assert_msg(s != CT_OK, "accepted: %s", cases[i].data);
        ck_assert_msg(strstr(ct_last_error(), cases[i].want), "%s\n  got: %s", cases[i].data, ct_last_error());
        ct_experiment_free(exp);
    }
    /* a regression loss on class folders */
    ct_experiment *exp;
    ck_assert_int_eq(ct_experiment_parse_string("name: p\ndata: {images: {dir: x, image_size: 8}}\n"
                                                "model: [flatten, {dense: {units: 1}}]\ntrain: {loss: mse}\n",
                                                "p.yaml", &exp),
                     CT_OK);
    ck_assert_int_eq(ct_experiment_validate(exp), CT_ERR_CONFIG);
    ck_assert_msg(strstr(ct_last_error(), "train.loss: the labels of an image folder are class indices"), "%s",
                  ct_last_error());
    ct_experiment_free(exp);
}
END_TEST

int main(void)
{
    const char *base = getenv("CLTRAIN_TEST_TMPDIR");
    char parent[300];
    snprintf(parent, sizeof parent, "%s", base && *base ? base : "/tmp");
    mkdir(parent, 0755);
    snprintf(base_dir, sizeof base_dir, "%s/images-%ld", parent, (long)getpid());
    mkdir(base_dir, 0755);

    Suite *s = suite_create("images");
    TCase *tc = tcase_create("images");
    tcase_set_timeout(tc, 1200);
    tcase_add_test(tc, test_folder_reads_like_keras);
    tcase_add_test(tc, test_broken_files_named_or_skipped);
    tcase_add_test(tc, test_keras_split);
    tcase_add_test(tc, test_run_predict_evaluate);
    tcase_add_test(tc, test_bytes_on_device_train_as_floats);
    tcase_add_test(tc, test_schema_errors);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
