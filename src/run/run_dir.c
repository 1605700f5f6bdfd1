/* Claiming a run directory (see run_dir.h). */
#include "run/run_dir.h"

#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cltrain/report.h"
#include "core/fs.h"

/* What a run (and `cltrain plot`) writes into its directory; --overwrite
 * removes these and nothing else. */
static const char *const RUN_FILES[] = {
    "config.yaml",     "history.csv",  "summary.yaml", "weights.bin", "predictions.csv",
    "features.csv",    "test_images.bin", "checkpoint*", "*.ckpt",      "*.weights.bin",
    "failure.txt",
};
#define PLOTS_DIR "plots"

static bool is_run_file(const char *name)
{
    for (size_t i = 0; i < sizeof RUN_FILES / sizeof RUN_FILES[0]; i++)
        if (fnmatch(RUN_FILES[i], name, FNM_PERIOD) == 0)
            return true;
    return false;
}

/* Removes plots/'s pictures, then plots/ when that left it empty. */
static ct_status remove_plots(const char *plots)
{
    DIR *d = opendir(plots);
    if (!d)
        return ct_fail(CT_ERR_IO, "cannot read folder %s: %s", plots, strerror(errno));
    ct_status s = CT_OK;
    struct dirent *e;
    while (s == CT_OK && (e = readdir(d)) != NULL) {
        if (fnmatch("*.png", e->d_name, FNM_PERIOD) != 0 && fnmatch("*.svg", e->d_name, FNM_PERIOD) != 0)
            continue;
        char *path = ct_path_join(plots, e->d_name);
        if (!path)
            s = ct_fail(CT_ERR_NO_MEMORY, "out of memory");
        else if (unlink(path) != 0)
            s = ct_fail(CT_ERR_IO, "cannot remove %s: %s", path, strerror(errno));
        free(path);
    }
    closedir(d);
    if (s == CT_OK)
        rmdir(plots); /* fails, harmlessly, when something else is in it */
    return s;
}

/* Removes the run files of dir. */
static ct_status remove_run_files(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return ct_fail(CT_ERR_IO, "cannot read folder %s: %s", dir, strerror(errno));
    ct_status s = CT_OK;
    struct dirent *e;
    while (s == CT_OK && (e = readdir(d)) != NULL) {
        bool plots = !strcmp(e->d_name, PLOTS_DIR);
        if (!plots && !is_run_file(e->d_name))
            continue;
        char *path = ct_path_join(dir, e->d_name);
        struct stat st;
        if (!path)
            s = ct_fail(CT_ERR_NO_MEMORY, "out of memory");
        else if (plots && stat(path, &st) == 0 && S_ISDIR(st.st_mode))
            s = remove_plots(path);
        else if (!plots && unlink(path) != 0)
            s = ct_fail(CT_ERR_IO, "cannot remove %s: %s", path, strerror(errno));
        free(path);
    }
    closedir(d);
    return s;
}

/* The first few entries of dir into buf ("config.yaml, weights.bin and 4
 * more"); the count of entries. */
static size_t list_entries(const char *dir, char *buf, size_t size)
{
    buf[0] = '\0';
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    size_t count = 0, used = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        if (count < 4 && used < size)
            used += (size_t)snprintf(buf + used, size - used, "%s%s", count ? ", " : "", e->d_name);
        count++;
    }
    closedir(d);
    if (count > 4 && used < size)
        snprintf(buf + used, size - used, " and %zu more", count - 4);
    return count;
}

ct_status ct_run_dir_claim(const char *dir, bool overwrite)
{
    struct stat st;
    if (stat(dir, &st) != 0) {
        if (errno != ENOENT)
            return ct_fail(CT_ERR_IO, "run directory %s: %s", dir, strerror(errno));
        return ct_make_dirs(dir);
    }
    if (!S_ISDIR(st.st_mode))
        return ct_fail(CT_ERR_CONFIG, "run directory %s is a file, not a folder: give --out a new folder", dir);
    CT_TRY(ct_atomic_remove_stale(dir, NULL));
    if (overwrite)
        CT_TRY(remove_run_files(dir));
    char names[512];
    size_t n = list_entries(dir, names, sizeof names);
    if (n == 0)
        return CT_OK;
    if (overwrite)
        return CT_OK; /* what is left is not ours: it stays */
    return ct_fail(CT_ERR_CONFIG,
                   "run directory %s already holds files (%s): a run owns its folder, so give --out a new "
                   "one, or pass --overwrite to replace the run files in it",
                   dir, names);
}
