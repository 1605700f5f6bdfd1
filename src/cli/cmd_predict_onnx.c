/* `cltrain predict model.onnx INPUT... [--out FILE] [--device SPEC]`: an
 * ONNX model on CSV rows or images (src/onnx/onnx_predict.h does the work);
 * prints as `cltrain predict RUN_DIR` does. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "cltrain/report.h"
#include "onnx/onnx_predict.h"

static void write_rows(FILE *f, const ct_onnx_predictor *p, const char *input, bool with_file, bool *header,
                       const ct_onnx_prediction *pr)
{
    bool classes = ct_onnx_predictor_classifies(p);
    if (!*header) {
        fputs(with_file ? "file," : "", f);
        fputs(pr->image ? "" : "row,", f);
        if (classes) {
            fputs("predicted", f);
            for (size_t c = 0; c < pr->width; c++)
                fprintf(f, ",p_%s", ct_onnx_predictor_class_name(p, c));
        } else {
            for (size_t k = 0; k < pr->width; k++)
                fprintf(f, pr->width == 1 ? "prediction" : "%sprediction_%zu", k ? "," : "", k);
        }
        fputc('\n', f);
        *header = true;
    }
    for (size_t i = 0; i < pr->n; i++) {
        if (with_file)
            fprintf(f, "%s,", input);
        if (!pr->image)
            fprintf(f, "%zu,", pr->rows[i]);
        if (classes)
            fputs(ct_onnx_predictor_class_name(p, ct_onnx_prediction_class(pr, i)), f);
        const float *v = pr->values + i * pr->width;
        for (size_t k = 0; k < pr->width; k++) /* %.9g: every float reads back exactly */
            fprintf(f, classes ? ",%.6g" : (k ? ",%.9g" : "%.9g"), v[k]);
        fputc('\n', f);
    }
}

int ct_cmd_predict_onnx(const char *model, char **inputs, int n_inputs, const char *out_path, const char *device)
{
    ct_context *ctx = NULL;
    ct_onnx_predictor *p = NULL;
    ct_atomic_file *file = NULL;
    ct_status s = ct_cli_open_device(device, &ctx);
    if (s == CT_OK)
        s = ct_onnx_predictor_open(model, ctx, &p);
    if (s == CT_OK && out_path)
        s = ct_atomic_open(out_path, &file);
    if (s != CT_OK) {
        int rc = ct_cli_error(s);
        ct_onnx_predictor_free(p);
        if (ctx)
            ct_context_destroy(ctx);
        return rc;
    }
    FILE *csv = file ? ct_atomic_stream(file) : stdout;
    bool header = false, with_file = ct_onnx_predictor_takes_images(p) || n_inputs > 1;
    int failures = 0;
    size_t written = 0;
    for (int i = 0; i < n_inputs; i++) {
        ct_onnx_prediction pr;
        s = ct_onnx_predict_file(p, inputs[i], &pr);
        if (s != CT_OK) {
            ct_cli_error(s);
            failures++;
            continue;
        }
        write_rows(csv, p, inputs[i], with_file, &header, &pr);
        written += pr.n;
        ct_onnx_prediction_free(&pr);
    }
    int rc = ct_cli_predictions_close(file, out_path, failures, n_inputs, written);
    ct_onnx_predictor_free(p);
    ct_context_destroy(ctx);
    return rc;
}
