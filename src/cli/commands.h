/* One function per `cltrain` subcommand: argv[0] is the subcommand name.
 * Each returns the process exit status (0 ok, 1 failure, 2 usage/input error). */
#ifndef CLTRAIN_CLI_COMMANDS_H
#define CLTRAIN_CLI_COMMANDS_H

int ct_cmd_devices(int argc, char **argv);
int ct_cmd_selftest(int argc, char **argv);
int ct_cmd_check(int argc, char **argv);
int ct_cmd_plot(int argc, char **argv);
int ct_cmd_inspect(int argc, char **argv);
int ct_cmd_predict(int argc, char **argv);
int ct_cmd_run(int argc, char **argv);
int ct_cmd_evaluate(int argc, char **argv);
int ct_cmd_export(int argc, char **argv);
/* `cltrain predict model.onnx ...` (cmd_predict_onnx.c), after cmd_predict's parsing. */
int ct_cmd_predict_onnx(const char *model, char **inputs, int n_inputs, const char *out_path, const char *device);
int ct_cmd_resume(int argc, char **argv);
int ct_cmd_tune(int argc, char **argv);
int ct_cmd_summary(int argc, char **argv);
int ct_cmd_sweep(int argc, char **argv);

#endif
