#include "core/fs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

ct_status ct_make_dirs(const char *path)
{
    char *copy = strdup(path);
    if (!copy)
        return ct_fail(CT_ERR_NO_MEMORY, "creating %s", path);
    ct_status s = CT_OK;
    for (char *p = copy + 1; s == CT_OK; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char saved = *p;
        *p = '\0';
        if (mkdir(copy, 0755) != 0 && errno != EEXIST)
            s = ct_fail(CT_ERR_IO, "cannot create the folder %s: %s", copy, strerror(errno));
        *p = saved;
        if (saved == '\0')
            break;
    }
    free(copy);
    return s;
}

int ct_cache_dir(const char *sub, char *buf, size_t size)
{
    const char *off = getenv("CLTRAIN_NO_CACHE");
    if (off && *off && strcmp(off, "0") != 0)
        return 0;
    const char *own = getenv("CLTRAIN_CACHE_DIR");
    const char *xdg = getenv("XDG_CACHE_HOME");
    const char *home = getenv("HOME");
    if (own && *own)
        snprintf(buf, size, "%s/%s", own, sub);
    else if (xdg && *xdg)
        snprintf(buf, size, "%s/cltrain/%s", xdg, sub);
    else if (home && *home)
        snprintf(buf, size, "%s/.cache/cltrain/%s", home, sub);
    else
        return 0;
    return 1;
}

char *ct_path_join(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%s", dir, name);
    return p;
}

ct_status ct_read_file(const char *path, char **out, size_t *length)
{
    return ct_read_file_as(path, CT_ERR_IO, out, length);
}

ct_status ct_read_file_as(const char *path, ct_status if_missing, char **out, size_t *length)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return ct_fail(errno == ENOENT ? if_missing : CT_ERR_IO, "cannot open %s: %s", path, strerror(errno));
    char *buf = NULL;
    size_t used = 0, cap = 0;
    for (;;) {
        if (used + 4096 + 1 > cap) {
            size_t ncap = cap ? cap * 2 : 65536;
            char *nbuf = realloc(buf, ncap);
            if (!nbuf) {
                free(buf);
                fclose(f);
                return ct_fail(CT_ERR_NO_MEMORY, "reading %s", path);
            }
            buf = nbuf;
            cap = ncap;
        }
        errno = 0;
        size_t got = fread(buf + used, 1, cap - used - 1, f);
        used += got;
        if (got == 0)
            break;
    }
    int failed = ferror(f), err = errno;
    fclose(f);
    if (failed) {
        free(buf);
        return ct_fail(CT_ERR_IO, "reading %s failed: %s", path, err == EISDIR ? "it is a folder" : strerror(err));
    }
    buf[used] = '\0';
    *out = buf;
    *length = used;
    return CT_OK;
}
