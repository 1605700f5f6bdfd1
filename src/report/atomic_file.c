/* Atomic file replacement: write a temporary file beside the target, make
 * it durable, rename it over the target (atomic within one file system on
 * POSIX), then make the rename durable by syncing the folder.
 *
 * The temporary file is created with O_EXCL and mode 0666 (narrowed by the
 * umask), not with mkstemp, so the final file gets the permissions a plain
 * fopen would give it rather than mkstemp's 0600. */
#include "cltrain/report.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

struct ct_atomic_file {
    FILE *stream;
    char *path;      /* the target */
    char *temp_path; /* the file being written */
};

/* Distinguishes temporary files of several writers in one process. */
static atomic_uint temp_counter;

/* Length of the folder part of path, including its final '/' (0 for a bare
 * file name). */
static size_t folder_length(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? (size_t)(slash - path) + 1 : 0;
}

/* "dir/.name.PID-N.tmp" for "dir/name"; NULL when out of memory. */
static char *make_temp_path(const char *path)
{
    size_t folder = folder_length(path);
    unsigned n = atomic_fetch_add(&temp_counter, 1u);
    int size = snprintf(NULL, 0, "%.*s.%s.%ld-%u.tmp", (int)folder, path, path + folder,
                        (long)getpid(), n);
    char *temp = size < 0 ? NULL : malloc((size_t)size + 1);
    if (temp)
        snprintf(temp, (size_t)size + 1, "%.*s.%s.%ld-%u.tmp", (int)folder, path, path + folder,
                 (long)getpid(), n);
    return temp;
}

static void release(ct_atomic_file *file)
{
    free(file->path);
    free(file->temp_path);
    free(file);
}

/* Create the temporary file; a leftover of the same name (a previous
 * process with the same pid) makes us pick the next name. */
static ct_status create_temp_file(ct_atomic_file *file)
{
    for (int attempt = 0; attempt < 100; attempt++) {
        free(file->temp_path);
        file->temp_path = make_temp_path(file->path);
        if (!file->temp_path)
            return ct_fail(CT_ERR_NO_MEMORY, "writing %s: out of memory", file->path);
        int fd = open(file->temp_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd < 0 && errno == EEXIST)
            continue;
        if (fd < 0)
            return ct_fail(CT_ERR_IO, "cannot create %s: %s", file->temp_path, strerror(errno));
        file->stream = fdopen(fd, "wb");
        if (file->stream)
            return CT_OK;
        int err = errno;
        close(fd);
        unlink(file->temp_path);
        return ct_fail(CT_ERR_IO, "cannot open %s: %s", file->temp_path, strerror(err));
    }
    return ct_fail(CT_ERR_IO, "cannot create a temporary file beside %s: all names taken",
                   file->path);
}

ct_status ct_atomic_open(const char *path, ct_atomic_file **out)
{
    if (!path || !out)
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "ct_atomic_open: NULL argument");
    *out = NULL;
    size_t length = strlen(path);
    if (length == 0 || path[length - 1] == '/')
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "'%s' is not a file name", path);

    ct_atomic_file *file = calloc(1, sizeof *file);
    if (!file)
        return ct_fail(CT_ERR_NO_MEMORY, "writing %s: out of memory", path);
    file->path = strdup(path);
    if (!file->path) {
        release(file);
        return ct_fail(CT_ERR_NO_MEMORY, "writing %s: out of memory", path);
    }
    ct_status s = create_temp_file(file);
    if (s != CT_OK) {
        release(file);
        return s;
    }
    *out = file;
    return CT_OK;
}

FILE *ct_atomic_stream(ct_atomic_file *file) { return file ? file->stream : NULL; }

/* Everything written reaches the operating system (and the disk when
 * `durable`), and the stream is closed. */
static ct_status flush_and_close(ct_atomic_file *file, bool durable)
{
    FILE *stream = file->stream;
    file->stream = NULL;
    errno = 0;
    bool failed = fflush(stream) != 0 || ferror(stream);
    int err = errno;
    if (!failed && durable && fsync(fileno(stream)) != 0) {
        failed = true;
        err = errno;
    }
    /* A write that failed earlier (a writer's fprintf) leaves the error flag
     * but not always its errno; a full file system is the usual cause, and
     * the one to name. */
    struct statvfs fs;
    if (failed && err == 0 && fstatvfs(fileno(stream), &fs) == 0 && fs.f_bavail == 0)
        err = ENOSPC;
    if (fclose(stream) != 0 && !failed) {
        failed = true;
        err = errno;
    }
    if (failed)
        return ct_fail(CT_ERR_IO, "writing %s: %s", file->path,
                       err ? strerror(err) : "a write failed (a full disk or a file size limit?)");
    return CT_OK;
}

/* fsync the folder so that the rename is on disk too. File systems that
 * cannot sync a folder say EINVAL; there is nothing more to do then. */
static ct_status sync_folder(const char *path)
{
    size_t folder = folder_length(path);
    char *dir = folder ? strndup(path, folder) : strdup(".");
    if (!dir)
        return ct_fail(CT_ERR_NO_MEMORY, "syncing the folder of %s: out of memory", path);
    ct_status s = CT_OK;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || (fsync(fd) != 0 && errno != EINVAL))
        s = ct_fail(CT_ERR_IO, "syncing folder %s after writing %s: %s", dir, path,
                    strerror(errno));
    if (fd >= 0)
        close(fd);
    free(dir);
    return s;
}

static ct_status commit(ct_atomic_file *file, bool durable)
{
    if (!file)
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "ct_atomic_commit: NULL handle");
    ct_status s = flush_and_close(file, durable);
    if (s == CT_OK && rename(file->temp_path, file->path) != 0)
        s = ct_fail(CT_ERR_IO, "cannot rename %s to %s: %s", file->temp_path, file->path,
                    strerror(errno));
    if (s != CT_OK)
        unlink(file->temp_path);
    else if (durable)
        s = sync_folder(file->path);
    release(file);
    return s;
}

ct_status ct_atomic_commit(ct_atomic_file *file) { return commit(file, true); }

ct_status ct_atomic_commit_unsynced(ct_atomic_file *file) { return commit(file, false); }

void ct_atomic_abort(ct_atomic_file *file)
{
    if (!file)
        return;
    if (file->stream)
        fclose(file->stream);
    unlink(file->temp_path);
    release(file);
}

/* The writer's pid of a temporary file name ".NAME.PID-N.tmp", or 0 when
 * name is not one. */
static long temp_file_pid(const char *name)
{
    size_t len = strlen(name);
    if (name[0] != '.' || len < 8 || strcmp(name + len - 4, ".tmp") != 0)
        return 0;
    const char *end = name + len - 4, *p = end;
    while (p > name && p[-1] >= '0' && p[-1] <= '9') /* N */
        p--;
    if (p == end || p == name || p[-1] != '-')
        return 0;
    const char *dash = --p;
    while (p > name && p[-1] >= '0' && p[-1] <= '9') /* PID */
        p--;
    if (p == dash || p - 1 <= name || p[-1] != '.')
        return 0;
    long pid = strtol(p, NULL, 10);
    return pid > 0 ? pid : 0;
}

ct_status ct_atomic_remove_stale(const char *dir, size_t *removed)
{
    if (removed)
        *removed = 0;
    DIR *d = opendir(dir);
    if (!d)
        return ct_fail(CT_ERR_IO, "cannot read folder %s: %s", dir, strerror(errno));
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        long pid = temp_file_pid(e->d_name);
        if (pid == 0 || pid == (long)getpid())
            continue;
        if (kill((pid_t)pid, 0) == 0 || errno != ESRCH)
            continue; /* alive (or not ours to ask): its writer may still rename it */
        size_t size = strlen(dir) + strlen(e->d_name) + 2;
        char *path = malloc(size);
        if (!path)
            break;
        snprintf(path, size, "%s/%s", dir, e->d_name);
        struct stat st; /* a writer's file is a plain file: never a folder or a link someone made */
        if (lstat(path, &st) == 0 && S_ISREG(st.st_mode) && unlink(path) == 0 && removed)
            ++*removed;
        free(path);
    }
    closedir(d);
    return CT_OK;
}
