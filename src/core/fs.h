/* Small file-system helpers shared inside the library. */
#ifndef CLTRAIN_FS_H
#define CLTRAIN_FS_H

#include <stddef.h>

#include "cltrain/status.h"

/* mkdir -p: every missing folder on path, mode 0755. An existing folder is
 * fine; anything else names the folder that could not be made. */
ct_status ct_make_dirs(const char *path);

/* buf = $CLTRAIN_CACHE_DIR/SUB, else $XDG_CACHE_HOME/cltrain/SUB, else
 * ~/.cache/cltrain/SUB. Returns 0 (no cache) when CLTRAIN_NO_CACHE is set to
 * anything but "0", or when none of the three variables is set. */
int ct_cache_dir(const char *sub, char *buf, size_t size);

/* The whole file as a NUL-terminated buffer (malloc'd; *length excludes the
 * NUL). Works for pipes too: no reliance on the file size. Failing to open or
 * read it is CT_ERR_IO. */
ct_status ct_read_file(const char *path, char **out, size_t *length);

/* The same, but a file that does not exist is if_missing (a CSV file the
 * user named is CT_ERR_NOT_FOUND; a kernel file stays CT_ERR_IO). */
ct_status ct_read_file_as(const char *path, ct_status if_missing, char **out, size_t *length);

/* "dir/name", malloc'd (NULL when out of memory). */
char *ct_path_join(const char *dir, const char *name);

#endif
