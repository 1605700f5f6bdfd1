/* What an experiment keeps of its file: the YAML tree (so --set can edit it
 * and messages can point into it) and the names nodes are attributed to. */
#ifndef CLTRAIN_EXPERIMENT_SOURCE_H
#define CLTRAIN_EXPERIMENT_SOURCE_H

#include <stddef.h>

#include "experiment/ytree.h"

struct ct_experiment_source {
    ynode *root;
    char *origin;    /* the file name nodes point to */
    char **origins;  /* "--set ..." strings, one per override; nodes point to them */
    size_t origin_count;
};

#endif
