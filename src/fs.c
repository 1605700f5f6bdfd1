#include "fs.h"

#include <errno.h>
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
