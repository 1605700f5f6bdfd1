/* Unpacking a downloaded, already verified .tar.gz (CIFAR-10) by running the
 * system's `tar` (GNU tar or bsdtar; both read gzip with -z). It is started
 * directly with posix_spawnp, never through a shell, and its output is
 * discarded: the library does not print. Unpacking happens in a temporary
 * folder next to the destination and is renamed into place at the end. */
#define _GNU_SOURCE /* nftw's FTW_DEPTH / FTW_PHYS */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "data/internal.h"
#include "data/util.h"

extern char **environ;

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    (void)type;
    (void)ftw;
    remove(path);
    return 0; /* keep going: remove what can be removed */
}

static void remove_tree(const char *path) { nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS); }

/* Runs tar -xzf archive -C into; 0 when it exited with status 0. */
static ct_status run_tar(const char *archive, const char *into)
{
    posix_spawn_file_actions_t actions;
    if (posix_spawn_file_actions_init(&actions) != 0)
        return ct_fail(CT_ERR_NO_MEMORY, "cannot prepare to run tar");
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
    char *argv[] = {"tar", "-xzf", (char *)archive, "-C", (char *)into, NULL};
    pid_t pid;
    int err = posix_spawnp(&pid, "tar", &actions, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    if (err != 0)
        return ct_fail(CT_ERR_IO, "cannot run tar to unpack %s: %s", archive, strerror(err));
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return ct_fail(CT_ERR_IO, "waiting for tar failed: %s", strerror(errno));
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return ct_fail(CT_ERR_IO, "tar -xzf %s failed (%s %d): the archive may be damaged", archive,
                       WIFEXITED(status) ? "exit status" : "signal",
                       WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
    return CT_OK;
}

static ct_status move_into_place(const char *temp_dir, const char *dir, const char *name,
                                 const char *archive)
{
    char *unpacked = ct_data_path_join(temp_dir, name);
    char *destination = ct_data_path_join(dir, name);
    ct_status s = CT_OK;
    struct stat st;
    if (!unpacked || !destination)
        s = ct_fail(CT_ERR_NO_MEMORY, "out of memory");
    else if (stat(unpacked, &st) != 0)
        s = ct_fail(CT_ERR_DATA, "%s does not contain %s/ at its top level", archive, name);
    else if (rename(unpacked, destination) != 0 && stat(destination, &st) != 0)
        /* (a rename that failed because another process just put it there is fine) */
        s = ct_fail(CT_ERR_IO, "cannot move %s to %s: %s", unpacked, destination, strerror(errno));
    free(unpacked);
    free(destination);
    return s;
}

ct_status ct_data_untar(const char *archive, const char *dir, const char *name)
{
    char *temp_dir = ct_data_format("%s/.%s.unpack-XXXXXX", dir, name);
    if (!temp_dir)
        return ct_fail(CT_ERR_NO_MEMORY, "out of memory");
    if (!mkdtemp(temp_dir)) {
        ct_status s = ct_fail(CT_ERR_IO, "cannot create a folder in %s: %s", dir, strerror(errno));
        free(temp_dir);
        return s;
    }
    ct_status s = run_tar(archive, temp_dir);
    if (s == CT_OK)
        s = move_into_place(temp_dir, dir, name, archive);
    remove_tree(temp_dir);
    free(temp_dir);
    return s;
}
