/* The Slurm job-array script (see slurm.h). */
#include "sweep/slurm.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cltrain/report.h"
#include "core/fs.h"

/* 'text' for the shell: single quotes, each ' as '\''. */
static void shell_quote(FILE *f, const char *text)
{
    fputc('\'', f);
    for (; *text; text++)
        if (*text == '\'')
            fputs("'\\''", f);
        else
            fputc(*text, f);
    fputc('\'', f);
}

ct_status sweep_emit_slurm(const sweep_plan *p, const char *cltrain, const char *const *args, size_t n,
                           char **path_out)
{
    *path_out = NULL;
    char cwd[4096];
    if (!getcwd(cwd, sizeof cwd))
        return ct_fail(CT_ERR_IO, "the current folder: %s", strerror(errno));
    CT_TRY(ct_make_dirs(p->dir));
    size_t len = strlen(p->dir) + sizeof "/logs";
    char *logs = malloc(len), *path = malloc(strlen(p->dir) + sizeof "/sweep.slurm");
    if (!logs || !path) {
        free(logs), free(path);
        return ct_fail(CT_ERR_NO_MEMORY, "out of memory");
    }
    snprintf(logs, len, "%s/logs", p->dir);
    sprintf(path, "%s/sweep.slurm", p->dir);
    ct_status s = ct_make_dirs(logs);
    free(logs);
    ct_atomic_file *af = NULL;
    if (s == CT_OK)
        s = ct_atomic_open(path, &af);
    if (s != CT_OK) {
        free(path);
        return s;
    }
    FILE *f = ct_atomic_stream(af);
    fprintf(f, "#!/bin/bash\n");
    fprintf(f, "#SBATCH --job-name=%s\n", p->name);
    fprintf(f, "#SBATCH --output=%s/%s/logs/slurm-%%A_%%a.out\n", p->dir[0] == '/' ? "" : cwd, p->dir);
    fprintf(f, "# The sweep %s: %zu points of %s, one per array task, then a job that gathers\n"
               "# the table (sweep.csv) and the plots once every task has ended.\n"
               "#\n"
               "# Submit from the login node by running this script:  bash %s\n"
               "# (it calls sbatch for the array and for the gathering job). Add resources to\n"
               "# the sbatch lines or as #SBATCH lines above (--gres=gpu:1, --time, --partition).\n"
               "# Every task must see this folder: the sweep folder has to be on a shared file system.\n"
               "# A task whose point is done already only checks it; an interrupted one resumes.\n"
               "# Written by `cltrain sweep --emit slurm`.\n",
            p->name, p->point_count, p->experiment, path);
    fprintf(f, "set -euo pipefail\ncd ");
    shell_quote(f, cwd);
    fprintf(f, "\nCLTRAIN=");
    shell_quote(f, cltrain);
    fprintf(f, "\nSCRIPT=");
    if (path[0] == '/')
        shell_quote(f, path);
    else {
        char absolute[8192];
        snprintf(absolute, sizeof absolute, "%s/%s", cwd, path);
        shell_quote(f, absolute);
    }
    fprintf(f, "\nSWEEP=(");
    for (size_t i = 0; i < n; i++) {
        if (i)
            fputc(' ', f);
        shell_quote(f, args[i]);
    }
    fprintf(f, ")\n\n");
    fprintf(f, "if [ -z \"${SLURM_JOB_ID:-}\" ]; then\n"
               "  # On the login node: submit the array, then the gathering job after it.\n"
               "  array=$(sbatch --parsable --array=0-%zu \"$SCRIPT\")\n"
               "  sbatch --parsable --dependency=afterany:\"${array%%%%;*}\" --job-name=%s-gather \"$SCRIPT\"\n"
               "  echo \"submitted the array $array and its gathering job\"\n"
               "elif [ -n \"${SLURM_ARRAY_TASK_ID:-}\" ]; then\n"
               "  exec \"$CLTRAIN\" sweep \"${SWEEP[@]}\" --point \"$SLURM_ARRAY_TASK_ID\"\n"
               "else\n"
               "  exec \"$CLTRAIN\" sweep \"${SWEEP[@]}\" --gather\n"
               "fi\n",
            p->point_count ? p->point_count - 1 : 0, p->name);
    s = ct_atomic_commit(af);
    if (s == CT_OK && chmod(path, 0755) != 0)
        s = ct_fail(CT_ERR_IO, "chmod %s: %s", path, strerror(errno));
    if (s == CT_OK)
        *path_out = path;
    else
        free(path);
    return s;
}
