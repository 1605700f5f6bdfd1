/* `cltrain predict RUN_DIR INPUT... [--out FILE] [--device SPEC]`: a
 * finished run's model on new CSV rows or images (src/run/predict.h does the
 * work; this file parses arguments and prints). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "cltrain/report.h"
#include "run/predict.h"

static void predict_usage(FILE *out)
{
    fprintf(out,
            "usage: cltrain predict RUN_DIR INPUT... [--keep COLUMN]... [--out FILE] [--device SPEC]\n"
            "       cltrain predict MODEL.onnx INPUT... [--out FILE] [--device SPEC]\n"
            "\n"
            "Predicts with the model a run saved (RUN_DIR/config.yaml and weights.bin); the\n"
            "training data is not needed. An ONNX model (cltrain export, or another exporter's,\n"
            "made of the operators cltrain runs) reads the columns its metadata names, else every\n"
            "column in order, or images (pixels in [0, 1]); an unsupported operator is named with\n"
            "its node before anything runs.\n"
            "  INPUT          a CSV file with the columns the model was trained on (listed in\n"
            "                 RUN_DIR/features.csv, any order; the target and dropped columns\n"
            "                 may stay): prints `row,prediction` per row (row counts data rows\n"
            "                 from 0, like pandas); or PNG/JPEG images for an image model (up to\n"
            "                 16.8 megapixels, e.g. 4096x4096; a larger JPEG is read at 1/2..1/8\n"
            "                 scale): prints the predicted class and the top-3 probabilities\n"
            "  --keep COLUMN  CSV: copy this column (an ID) into the output after `row`, as\n"
            "                 written; it may be a column training never saw (repeatable)\n"
            "  --out FILE     write the predictions as CSV to FILE instead (images:\n"
            "                 file,predicted,p_<class>...)\n"
            "  --device SPEC  see cltrain devices (default CLTRAIN_DEVICE, else the best device)\n"
            "Exit status: 0 all predicted, 1 an input or the run could not be used, 2 usage error.\n");
}

/* A CSV field, quoted when it needs to be. */
static void put_field(FILE *f, const char *text)
{
    if (!strpbrk(text, ",\"\r\n")) {
        fputs(text, f);
        return;
    }
    fputc('"', f);
    for (const char *c = text; *c; c++) {
        if (*c == '"')
            fputc('"', f); /* a quote is written twice */
        fputc(*c, f);
    }
    fputc('"', f);
}

/* Where predictions go and in which shape. */
typedef struct {
    const ct_predictor *p;
    FILE *csv;      /* CSV rows (stdout or the --out file); NULL: images in words only */
    bool with_file; /* a `file` column: images, or several CSV inputs */
    bool header_written;
    size_t written;
    const char *const *keep; /* --keep columns */
    size_t n_keep;
} output;

static void write_header(output *o, bool rows)
{
    FILE *f = o->csv;
    if (o->with_file)
        fputs("file,", f);
    if (rows) {
        fputs("row,", f);
        for (size_t k = 0; k < o->n_keep; k++) {
            put_field(f, o->keep[k]);
            fputc(',', f);
        }
    }
    size_t width = ct_predictor_width(o->p);
    if (ct_predictor_classifies(o->p)) {
        fputs("predicted", f);
        for (size_t c = 0; c < width; c++) {
            fputc(',', f);
            char name[256];
            snprintf(name, sizeof name, "p_%s", ct_predictor_class_name(o->p, c));
            put_field(f, name);
        }
    } else if (width == 1) {
        fputs("prediction", f);
    } else {
        for (size_t k = 0; k < width; k++)
            fprintf(f, "%sprediction_%zu", k ? "," : "", k);
    }
    fputc('\n', f);
    o->header_written = true;
}

static void write_rows(output *o, const char *input, const ct_prediction *pr)
{
    if (!o->header_written)
        write_header(o, !pr->image);
    FILE *f = o->csv;
    bool classes = ct_predictor_classifies(o->p);
    for (size_t i = 0; i < pr->n; i++, o->written++) {
        if (o->with_file) {
            put_field(f, input);
            fputc(',', f);
        }
        if (!pr->image) {
            fprintf(f, "%zu,", pr->rows[i]);
            for (size_t k = 0; k < pr->n_kept; k++) {
                put_field(f, pr->kept[i * pr->n_kept + k] ? pr->kept[i * pr->n_kept + k] : "");
                fputc(',', f);
            }
        }
        if (classes)
            put_field(f, ct_predictor_class_name(o->p, ct_prediction_class(pr, i)));
        const float *v = pr->values + i * pr->width;
        for (size_t k = 0; k < pr->width; k++) /* %.9g: every float reads back exactly */
            fprintf(f, classes ? ",%.6g" : (k ? ",%.9g" : "%.9g"), v[k]);
        fputc('\n', f);
    }
}

/* "photo.jpg: cat  (cat 0.612, dog 0.201, frog 0.054)" */
static void say_image(const output *o, const char *input, const ct_prediction *pr)
{
    const float *v = pr->values;
    if (!ct_predictor_classifies(o->p)) {
        printf("%s:", input);
        for (size_t k = 0; k < pr->width; k++)
            printf(" %.6g", v[k]);
        printf("\n");
        return;
    }
    size_t top[3] = {0, 0, 0}, n_top = pr->width < 3 ? pr->width : 3;
    for (size_t t = 0; t < n_top; t++) { /* the three largest, in order */
        size_t best = SIZE_MAX;
        for (size_t c = 0; c < pr->width; c++) {
            bool taken = false;
            for (size_t u = 0; u < t; u++)
                taken |= top[u] == c;
            if (!taken && (best == SIZE_MAX || v[c] > v[best]))
                best = c;
        }
        top[t] = best;
    }
    printf("%s: %s  (", input, ct_predictor_class_name(o->p, top[0]));
    for (size_t t = 0; t < n_top; t++)
        printf("%s%s %.3f", t ? ", " : "", ct_predictor_class_name(o->p, top[t]), v[top[t]]);
    printf(")\n");
}

/* Predict every input; failures are reported and counted, the rest still
 * predicted, so one bad photo does not hide the others' results. */
static int predict_all(ct_predictor *p, char **inputs, int n_inputs, output *o)
{
    int failures = 0;
    for (int i = 0; i < n_inputs; i++) {
        ct_prediction pr;
        ct_status s = ct_predict_file(p, inputs[i], &pr);
        if (s != CT_OK) {
            ct_cli_error(s);
            failures++;
            continue;
        }
        if (pr.image)
            say_image(o, inputs[i], &pr);
        if (o->csv)
            write_rows(o, inputs[i], &pr);
        ct_prediction_free(&pr);
    }
    return failures;
}

/* Write the CSV atomically: complete, or (after a failure) not at all. */
static int run_predict(const char *run_dir, char **inputs, int n_inputs, const char *const *keep, size_t n_keep,
                       const char *out_path, const char *device)
{
    ct_context *ctx = NULL;
    ct_predictor *p = NULL;
    ct_atomic_file *file = NULL;
    ct_status s = ct_cli_open_device(device, &ctx);
    if (s == CT_OK)
        s = ct_predictor_open(run_dir, ctx, &p);
    if (s == CT_OK && out_path)
        s = ct_atomic_open(out_path, &file);
    if (s != CT_OK) {
        int rc = ct_cli_error(s);
        ct_predictor_free(p);
        if (ctx)
            ct_context_destroy(ctx);
        return rc;
    }
    bool final;
    const char *source = ct_predictor_weights_source(p, &final);
    if (!final) /* stderr: stdout may be the predictions' CSV */
        fprintf(stderr, "cltrain predict: the run did not finish; using %s\n", source);
    bool images = ct_predictor_takes_images(p);
    ct_predictor_keep(p, keep, n_keep);
    output o = {.p = p, .with_file = images || n_inputs > 1, .keep = keep, .n_keep = n_keep};
    o.csv = file ? ct_atomic_stream(file) : (images ? NULL : stdout);
    int failures = predict_all(p, inputs, n_inputs, &o);
    int rc = ct_cli_predictions_close(file, out_path, failures, n_inputs, o.written);
    ct_predictor_free(p);
    ct_context_destroy(ctx);
    return rc;
}

int ct_cmd_predict(int argc, char **argv)
{
    const char *run_dir = NULL, *out_path = NULL, *device = NULL, *value;
    char **inputs = calloc((size_t)argc, sizeof *inputs);
    const char **keep = calloc((size_t)argc, sizeof *keep);
    int n_inputs = 0;
    size_t n_keep = 0;
    if (!inputs || !keep) {
        free(keep);
        fprintf(stderr, "cltrain predict: out of memory\n");
        return 1;
    }
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            predict_usage(stdout);
            free(inputs);
            free(keep);
            return 0;
        } else if ((value = ct_cli_option(argc, argv, &i, "--out"))) {
            out_path = value;
        } else if ((value = ct_cli_option(argc, argv, &i, "--keep"))) {
            keep[n_keep++] = value;
        } else if ((value = ct_cli_option(argc, argv, &i, "--device"))) {
            device = value;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "cltrain predict: unknown option '%s' (see cltrain predict --help)\n", argv[i]);
            free(inputs);
            free(keep);
            return 2;
        } else if (!run_dir) {
            run_dir = argv[i];
        } else {
            inputs[n_inputs++] = argv[i];
        }
    }
    if (!run_dir || n_inputs == 0) {
        fprintf(stderr, "cltrain predict: %s\n", run_dir ? "no input files given" : "no run directory given");
        predict_usage(stderr);
        free(inputs);
        free(keep);
        return 2;
    }
    size_t len = strlen(run_dir);
    bool onnx = len > 5 && !strcmp(run_dir + len - 5, ".onnx");
    if (onnx && n_keep)
        fprintf(stderr, "cltrain predict: --keep applies to a run directory's CSV model, not to %s\n", run_dir);
    int rc = onnx && n_keep ? 2
             : onnx         ? ct_cmd_predict_onnx(run_dir, inputs, n_inputs, out_path, device)
                            : run_predict(run_dir, inputs, n_inputs, keep, n_keep, out_path, device);
    free(inputs);
    free(keep);
    return rc;
}
