/* Small file-system helpers shared inside the library. */
#ifndef CLTRAIN_FS_H
#define CLTRAIN_FS_H

#include "cltrain/status.h"

/* mkdir -p: every missing folder on path, mode 0755. An existing folder is
 * fine; anything else names the folder that could not be made. */
ct_status ct_make_dirs(const char *path);

#endif
