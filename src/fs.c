#include "fs.h"

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
    const char *xdg = getenv("XDG_CACHE_HOME");
    const char *home = getenv("HOME");
    if (xdg && *xdg)
        snprintf(buf, size, "%s/cltrain/%s", xdg, sub);
    else if (home && *home)
        snprintf(buf, size, "%s/.cache/cltrain/%s", home, sub);
    else
        return 0;
    return 1;
}
