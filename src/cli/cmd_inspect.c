/* `cltrain inspect RUN_DIR [--image FILE]`: what a trained conv model
 * learned: its first layer's filters, and with --image the feature maps
 * every conv layer produces for that image (one forward pass on the
 * device). */
#include <stdio.h>
#include <string.h>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "cltrain/plot.h"
#include "cltrain/report.h"

static void inspect_usage(FILE *out)
{
    fprintf(out,
            "usage: cltrain inspect RUN_DIR [--image FILE] [--device SPEC] [--no-svg]\n"
            "\n"
            "Draws the first conv layer's learned filters from RUN_DIR/weights.bin into\n"
            "RUN_DIR/plots/filters.png.\n"
            "  --image FILE   also draw the feature maps each conv layer produces for this\n"
            "                 PNG or JPEG image (any size: it is resized to the model's input)\n"
            "                 into RUN_DIR/plots/feature_maps_LAYER.png; runs the model on the\n"
            "                 device\n"
            "  --device SPEC  device for --image (see cltrain devices; default CLTRAIN_DEVICE)\n"
            "  --no-svg       PNG only (default: PNG and SVG)\n");
}

static int feature_maps(const char *run_dir, const char *image, const char *device, const ct_plot_options *o)
{
    ct_context *ctx = NULL;
    ct_status s = ct_cli_open_device(device, &ctx);
    if (s == CT_OK)
        s = ct_plot_feature_maps(run_dir, ctx, image, o);
    if (ctx)
        ct_context_destroy(ctx);
    return s == CT_OK ? 0 : ct_cli_error(s);
}

int ct_cmd_inspect(int argc, char **argv)
{
    const char *run_dir = NULL, *image = NULL, *device = NULL, *value;
    ct_plot_options options = {.written = ct_cli_print_written};
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            inspect_usage(stdout);
            return 0;
        } else if (!strcmp(argv[i], "--no-svg")) {
            options.no_svg = true;
        } else if ((value = ct_cli_option(argc, argv, &i, "--image"))) {
            image = value;
        } else if ((value = ct_cli_option(argc, argv, &i, "--device"))) {
            device = value;
        } else if (ct_cli_run_dir_arg("inspect", argv[i], &run_dir) != 0) {
            return 2;
        }
    }
    if (!run_dir) {
        fprintf(stderr, "cltrain inspect: no run directory given\n");
        inspect_usage(stderr);
        return 2;
    }
    ct_named_tensor *weights;
    size_t n;
    bool final;
    char source[1024];
    ct_status s = ct_run_weights_read(run_dir, &weights, &n, &final, source, sizeof source);
    if (s != CT_OK)
        return ct_cli_error(s);
    ct_weights_free(weights, n);
    if (!final)
        printf("the run did not finish; using %s\n", source);
    s = ct_plot_filters(run_dir, &options);
    if (s != CT_OK)
        return ct_cli_error(s);
    return image ? feature_maps(run_dir, image, device, &options) : 0;
}
