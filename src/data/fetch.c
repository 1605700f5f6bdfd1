/* Finding a dataset file: the data dir, then the cache, then a verified
 * download into the cache (the search order is documented in
 * cltrain/data.h). Like ~/.keras/datasets, but a file is only ever renamed
 * into the cache after its SHA-256 matched, and an existing file that fails
 * its checksum is reported, never replaced. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cltrain/data.h"
#include "core/fs.h"
#include "data/internal.h"
#include "data/util.h"

ct_status ct_data_cache_dir(char **dir_out)
{
    *dir_out = NULL;
    const char *own = getenv("CLTRAIN_CACHE_DIR"); /* as core/fs.c's ct_cache_dir */
    const char *xdg = getenv("XDG_CACHE_HOME");
    const char *home = getenv("HOME");
    /* The XDG spec ignores relative paths. */
    if (own && own[0])
        *dir_out = ct_data_path_join(own, "datasets");
    else if (xdg && xdg[0] == '/')
        *dir_out = ct_data_path_join(xdg, "cltrain/datasets");
    else if (home && home[0])
        *dir_out = ct_data_path_join(home, ".cache/cltrain/datasets");
    else
        return ct_fail(CT_ERR_NOT_FOUND, "no cache folder: neither XDG_CACHE_HOME nor HOME is set");
    if (!*dir_out)
        return ct_fail(CT_ERR_NO_MEMORY, "out of memory");
    return CT_OK;
}

/* ----------------------------------------------------------------- helpers */

static int path_exists(const char *path, int *is_regular)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return 0;
    *is_regular = S_ISREG(st.st_mode);
    return 1;
}

/* The last path segment of a URL, without ?query or #fragment; malloc'd. */
static char *url_file_name(const char *url)
{
    size_t end = strcspn(url, "?#");
    size_t start = end;
    while (start > 0 && url[start - 1] != '/')
        start--;
    return ct_data_strndup(url + start, end - start);
}

static int ends_with(const char *s, const char *suffix)
{
    size_t ls = strlen(s), lx = strlen(suffix);
    return ls >= lx && strcmp(s + ls - lx, suffix) == 0;
}

/* 64 hex digits (either case) -> lowercase copy in out; NULL/"" -> "". */
static ct_status normalise_sha256(const char *sha256, char out[65])
{
    out[0] = '\0';
    if (!sha256 || !sha256[0])
        return CT_OK;
    size_t len = strlen(sha256);
    int valid = len == 64;
    for (size_t i = 0; valid && i < len; i++)
        valid = isxdigit((unsigned char)sha256[i]);
    if (!valid)
        return ct_fail(CT_ERR_CONFIG, "sha256 must be 64 hexadecimal digits, got \"%s\"", sha256);
    for (size_t i = 0; i <= len; i++)
        out[i] = (char)tolower((unsigned char)sha256[i]);
    return CT_OK;
}

/* An existing file with the wrong content is the user's to look at. */
static ct_status verify_existing(const char *path, const char *expected)
{
    if (!expected[0])
        return CT_OK;
    char actual[65];
    CT_TRY(ct_sha256_file_hex(path, actual));
    if (strcmp(actual, expected) != 0)
        return ct_fail(CT_ERR_CHECKSUM,
                       "%s: SHA-256 is %s, expected %s. The file was left as it is: delete it to "
                       "download it again, or correct the sha256 if the file is the one you want",
                       path, actual, expected);
    return CT_OK;
}

/* ----------------------------------------------------------------- search */

/* DIR/NAME, DIR/weather/NAME, DIR/STEM/NAME (STEM: NAME up to its first '.'). */
static ct_status search_data_dir(const char *dir, const char *name, char **found)
{
    *found = NULL;
    char *stem = ct_data_strndup(name, strcspn(name, "."));
    char *candidates[3] = {ct_data_path_join(dir, name), ct_data_format("%s/weather/%s", dir, name),
                           strcmp(stem ? stem : name, name) != 0
                               ? ct_data_format("%s/%s/%s", dir, stem, name)
                               : NULL};
    ct_status s = stem && candidates[0] && candidates[1] ? CT_OK : ct_fail(CT_ERR_NO_MEMORY, "out of memory");
    for (int i = 0; i < 3; i++) {
        int regular;
        if (s == CT_OK && !*found && candidates[i] && path_exists(candidates[i], &regular)) {
            *found = candidates[i];
            candidates[i] = NULL;
        }
        free(candidates[i]);
    }
    free(stem);
    return s;
}

/* ---------------------------------------------------------------- download */

typedef struct {
    const char *name;      /* what the caller asked for */
    const char *url;
    const char *sha256;    /* normalised, "" = unchecked */
    const char *data_dir;  /* NULL when none was given */
    const char *cache_dir;
    char *download_name;   /* the file the URL delivers: NAME, or the archive's name */
    int is_archive;        /* the URL delivers a .tar.gz holding NAME/ */
} fetch_plan;

static ct_status download_failed(const fetch_plan *p, const char *reason)
{
    char where[1024] = "";
    if (p->data_dir)
        snprintf(where, sizeof where, " (looked in %s and %s)", p->data_dir, p->cache_dir);
    else
        snprintf(where, sizeof where, " (looked in %s; no data dir given)", p->cache_dir);
    if (p->is_archive)
        return ct_fail(CT_ERR_NETWORK,
                       "%s not found%s, and could not download %s: %s. Download it yourself: "
                       "curl -L -o '%s/%s' '%s' && tar -xzf '%s/%s' -C '%s' "
                       "- or point --data-dir / CLTRAIN_DATA_DIR at a folder that has %s/",
                       p->name, where, p->url, reason, p->cache_dir, p->download_name, p->url,
                       p->cache_dir, p->download_name, p->cache_dir, p->name);
    return ct_fail(CT_ERR_NETWORK,
                   "%s not found%s, and could not download %s: %s. Download it yourself: "
                   "curl -L -o '%s/%s' '%s' - or point --data-dir / CLTRAIN_DATA_DIR at a folder "
                   "that has it",
                   p->name, where, p->url, reason, p->cache_dir, p->download_name, p->url);
}

/* The SHA-256 of what was downloaded must match; if not, the partial file is
 * ours to remove (every retry would resume it otherwise). */
static ct_status verify_download(const fetch_plan *p, const char *part)
{
    if (!p->sha256[0])
        return CT_OK;
    char actual[65];
    CT_TRY(ct_sha256_file_hex(part, actual));
    if (strcmp(actual, p->sha256) == 0)
        return CT_OK;
    remove(part);
    return ct_fail(CT_ERR_CHECKSUM,
                   "downloaded %s but its SHA-256 is %s, expected %s; the download was removed "
                   "(check the URL and sha256)",
                   p->url, actual, p->sha256);
}

/* url -> destination.part -> (SHA-256 matches) -> destination. The .part is
 * locked from the first byte to the rename, so two processes fetching the
 * same file at once cannot interleave their writes: the second one fails. */
static ct_status download_verified(const fetch_plan *p, const char *destination)
{
    char *part = ct_data_format("%s.part", destination);
    if (!part)
        return ct_fail(CT_ERR_NO_MEMORY, "out of memory");
    FILE *file = fopen(part, "ab");
    if (!file) {
        ct_status s = ct_fail(CT_ERR_IO, "cannot open %s for writing: %s", part, strerror(errno));
        free(part);
        return s;
    }
    ct_status s = CT_OK;
    if (flock(fileno(file), LOCK_EX | LOCK_NB) != 0)
        s = ct_fail(CT_ERR_IO, "%s is being downloaded by another process (or cannot be locked: %s); "
                               "try again when it has finished",
                    part, strerror(errno));
    if (s == CT_OK)
        s = ct_data_download(p->url, file, part);
    struct stat st;
    if (s != CT_OK && s != CT_ERR_IO && fstat(fileno(file), &st) == 0 && st.st_size == 0)
        remove(part); /* nothing to resume from: leave no litter */
    if (s == CT_ERR_NETWORK) {
        char reason[1024];
        snprintf(reason, sizeof reason, "%s", ct_last_error());
        for (size_t n = strlen(reason); n > 0 && (reason[n - 1] == '.' || reason[n - 1] == ' '); n--)
            reason[n - 1] = '\0'; /* curl's own full stop, before ours */
        s = download_failed(p, reason);
    }
    if (s == CT_OK)
        s = verify_download(p, part);
    if (s == CT_OK && rename(part, destination) != 0)
        s = ct_fail(CT_ERR_IO, "cannot rename %s to %s: %s", part, destination, strerror(errno));
    fclose(file); /* releases the lock, after the rename */
    free(part);
    return s;
}

static ct_status fetch_into_cache(const fetch_plan *p, char **path_out)
{
    CT_TRY(ct_make_dirs(p->cache_dir));
    char *target = ct_data_path_join(p->cache_dir, p->name);
    char *download = ct_data_path_join(p->cache_dir, p->download_name);
    ct_status s = target && download ? CT_OK : ct_fail(CT_ERR_NO_MEMORY, "out of memory");
    int regular;
    if (s == CT_OK && p->is_archive && path_exists(download, &regular))
        s = verify_existing(download, p->sha256); /* downloaded before, not unpacked */
    else if (s == CT_OK)
        s = download_verified(p, download);
    if (s == CT_OK && p->is_archive) {
        s = ct_data_untar(download, p->cache_dir, p->name);
        if (s == CT_ERR_IO)
            s = ct_fail_context(s, "unpack it yourself with: tar -xzf '%s' -C '%s'", download,
                                p->cache_dir);
    }
    free(download);
    if (s == CT_OK)
        *path_out = target;
    else
        free(target);
    return s;
}

/* ------------------------------------------------------------------ locate */

static ct_status locate(fetch_plan *p, char **path_out)
{
    int regular;
    char *found = NULL;
    if (p->data_dir) {
        CT_TRY(search_data_dir(p->data_dir, p->name, &found));
        /* A folder (CIFAR's) has no checksum; the archive's does not apply to it. */
        ct_status s = found && path_exists(found, &regular) && regular && !p->is_archive
                          ? verify_existing(found, p->sha256)
                          : CT_OK;
        if (found && s == CT_OK) {
            *path_out = found;
            return CT_OK;
        }
        free(found);
        CT_TRY(s);
    }
    char *cached = ct_data_path_join(p->cache_dir, p->name);
    if (!cached)
        return ct_fail(CT_ERR_NO_MEMORY, "out of memory");
    if (path_exists(cached, &regular)) {
        ct_status s = regular && !p->is_archive ? verify_existing(cached, p->sha256) : CT_OK;
        if (s == CT_OK)
            *path_out = cached;
        else
            free(cached);
        return s;
    }
    free(cached);
    if (!p->url || !p->url[0]) {
        if (p->data_dir)
            return ct_fail(CT_ERR_NOT_FOUND, "%s not found in %s (nor its weather/ subfolder) or %s, and no URL to download it from",
                           p->name, p->data_dir, p->cache_dir);
        return ct_fail(CT_ERR_NOT_FOUND, "%s not found in %s, and no URL to download it from: point --data-dir / CLTRAIN_DATA_DIR at a folder that has it",
                       p->name, p->cache_dir);
    }
    return fetch_into_cache(p, path_out);
}

/* A path (with a folder in it) is used as it is: no data folders, no
 * download. It must exist; a regular file must match the checksum. */
static ct_status locate_path(const char *path, const char *expected, char **path_out)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return ct_fail(CT_ERR_NOT_FOUND, "%s: %s (a path with a folder is taken as it is, relative to the "
                       "experiment file; a plain name is looked up in the data folders)",
                       path, strerror(errno));
    if (S_ISREG(st.st_mode))
        CT_TRY(verify_existing(path, expected));
    *path_out = ct_data_strdup(path);
    return *path_out ? CT_OK : ct_fail(CT_ERR_NO_MEMORY, "out of memory");
}

ct_status ct_data_locate(const char *file_name, const char *url, const char *sha256,
                         const char *data_dir, char **path_out)
{
    *path_out = NULL;
    if (!file_name || !file_name[0] || strcmp(file_name, "..") == 0 || strcmp(file_name, ".") == 0)
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "dataset file name \"%s\" names no file",
                       file_name ? file_name : "");
    char expected[65];
    CT_TRY(normalise_sha256(sha256, expected));
    if (strchr(file_name, '/'))
        return locate_path(file_name, expected, path_out);
    if (!data_dir || !data_dir[0])
        data_dir = getenv("CLTRAIN_DATA_DIR");
    char *cache_dir;
    CT_TRY(ct_data_cache_dir(&cache_dir));

    fetch_plan plan = {.name = file_name, .url = url, .sha256 = expected,
                       .data_dir = data_dir && data_dir[0] ? data_dir : NULL, .cache_dir = cache_dir};
    ct_status s = CT_OK;
    if (url && url[0]) {
        plan.download_name = url_file_name(url);
        if (!plan.download_name)
            s = ct_fail(CT_ERR_NO_MEMORY, "out of memory");
        else if ((ends_with(plan.download_name, ".tar.gz") || ends_with(plan.download_name, ".tgz")) &&
                 strcmp(plan.download_name, file_name) != 0)
            plan.is_archive = 1;
        else {
            /* Whatever the URL calls it, the file is stored under the name asked for. */
            free(plan.download_name);
            plan.download_name = ct_data_strdup(file_name);
            if (!plan.download_name)
                s = ct_fail(CT_ERR_NO_MEMORY, "out of memory");
        }
    }
    if (s == CT_OK)
        s = locate(&plan, path_out);
    free(plan.download_name);
    free(cache_dir);
    return s;
}
