/* `cltrain export RUN_DIR --format onnx [--out FILE]`: a finished run's
 * model for other runtimes (src/onnx/onnx_export.h does the work). */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "onnx/keras_export.h"
#include "onnx/onnx_export.h"

static void export_usage(FILE *out)
{
    fprintf(out,
            "usage: cltrain export RUN_DIR --format onnx|keras [--out FILE]\n"
            "\n"
            "Writes the model a run saved (RUN_DIR/config.yaml and weights.bin) for other runtimes.\n"
            "  --format onnx  ONNX, opset %d: the graph, the weights, and for CSV models the\n"
            "                 input standardisation of features.csv as nodes, so the model\n"
            "                 reads raw columns; inference semantics (BatchNormalization with\n"
            "                 moving statistics, Dropout as identity); classifiers output\n"
            "                 probabilities, as cltrain predict prints them\n"
            "  --format keras Keras 3 weights (FILE.weights.h5, HDF5) and FILE.py, which builds\n"
            "                 the same keras.Sequential and loads them; Keras' own layouts\n"
            "                 (channels_last, Dense kernels (in, out)), nothing converted\n"
            "  --out FILE     where to write (default RUN_DIR/model.onnx, RUN_DIR/model.weights.h5)\n"
            "Needs no device. Exit status: 0 written, 1 the run could not be exported, 2 usage error.\n",
            CT_ONNX_OPSET);
}

int ct_cmd_export(int argc, char **argv)
{
    const char *run_dir = NULL, *format = NULL, *out = NULL, *value;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            export_usage(stdout);
            return 0;
        } else if ((value = ct_cli_option(argc, argv, &i, "--format"))) {
            format = value;
        } else if ((value = ct_cli_option(argc, argv, &i, "--out"))) {
            out = value;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "cltrain export: unknown option '%s' (see cltrain export --help)\n", argv[i]);
            return 2;
        } else if (!run_dir) {
            run_dir = argv[i];
        } else {
            fprintf(stderr, "cltrain export: one run directory only (got '%s' and '%s')\n", run_dir, argv[i]);
            return 2;
        }
    }
    if (!run_dir || !format) {
        fprintf(stderr, "cltrain export: %s\n", run_dir ? "--format is required (onnx or keras)" : "no run directory given");
        export_usage(stderr);
        return 2;
    }
    bool keras = !strcmp(format, "keras");
    if (strcmp(format, "onnx") != 0 && !keras) {
        fprintf(stderr, "cltrain export: unknown format '%s' (supported: onnx, keras)\n", format);
        return 2;
    }
    char default_out[4096], py[4200];
    if (!out) {
        snprintf(default_out, sizeof default_out, "%s/%s", run_dir, keras ? "model.weights.h5" : "model.onnx");
        out = default_out;
    }
    if (keras) {
        size_t len = strlen(out), suffix = strlen(".weights.h5");
        if (len <= suffix || strcmp(out + len - suffix, ".weights.h5") != 0) {
            fprintf(stderr, "cltrain export: --out %s: a Keras 3 weights file must end in .weights.h5\n", out);
            return 2;
        }
        snprintf(py, sizeof py, "%.*s.py", (int)(len - suffix), out);
        ct_status s = ct_keras_export_run(run_dir, out, py);
        if (s != CT_OK)
            return ct_cli_error(s);
        printf("wrote %s (Keras 3 weights) and %s (builds the model and loads them)\n", out, py);
        return 0;
    }
    ct_status s = ct_onnx_export_run(run_dir, out);
    if (s != CT_OK)
        return ct_cli_error(s);
    printf("wrote %s (ONNX, opset %d)\n", out, CT_ONNX_OPSET);
    return 0;
}
