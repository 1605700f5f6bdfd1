/* `cltrain SUBCOMMAND ...`: dispatch to one function per subcommand. */
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "core/prebuild.h"

/* The argument that makes this binary the compile-ahead helper (core/prebuild.h). */
#define PREBUILD_HELPER_MODE "--prebuild-helper"

typedef struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} command;

static const command commands[] = {
    {"run", ct_cmd_run, "train and evaluate an experiment file into a run directory"},
    {"resume", ct_cmd_resume, "continue an interrupted run from its checkpoint"},
    {"evaluate", ct_cmd_evaluate, "evaluate a finished run's model on its test split or --data FILE"},
    {"devices", ct_cmd_devices, "list OpenCL platforms and devices (--json)"},
    {"tune", ct_cmd_tune, "time the own GEMM's and the conv kernels' tile candidates on a device and cache the fastest"},
    {"selftest", ct_cmd_selftest, "check every op against the reference on a device"},
    {"check", ct_cmd_check, "validate an experiment file and print its effective configuration"},
    {"summary", ct_cmd_summary, "print an experiment's model: shapes, parameters, FLOPs per sample"},
    {"plot", ct_cmd_plot, "redraw a run's plots from its history and predictions"},
    {"inspect", ct_cmd_inspect, "draw a conv model's learned filters (and feature maps for --image)"},
    {"predict", ct_cmd_predict, "predict with a finished run's model for new CSV rows or images"},
    {"sweep", ct_cmd_sweep, "run an experiment over grid and random axes of --set values (devices, MPI, Slurm)"},
    {"export", ct_cmd_export, "write a finished run's model as ONNX, or as Keras 3 weights"},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: cltrain COMMAND [options]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\nDevice selection everywhere: --device SPEC or CLTRAIN_DEVICE=SPEC, where SPEC is\n"
                 "P:D (platform:device index), cpu, gpu, accelerator, or part of the device name.\n"
                 "Run `cltrain COMMAND --help` for a command's options.\n");
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], PREBUILD_HELPER_MODE))
        return ct_prebuild_helper_main(argc, argv);
    ct_prebuild_set_helper("/proc/self/exe", PREBUILD_HELPER_MODE);
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("cltrain 0.1.0\n");
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name))
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "cltrain: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return 2;
}
