/* What a point's run directory says about it, and so what a sweep does
 * next: nothing (finished with this configuration), train it, or resume it
 * (`cltrain run --resume`, bit for bit as if never interrupted). */
#ifndef CLTRAIN_SWEEP_POINT_STATE_H
#define CLTRAIN_SWEEP_POINT_STATE_H

#include <stddef.h>

#include "sweep/plan.h"

typedef enum {
    POINT_NEW,      /* no run yet (no folder, or an empty one): train */
    POINT_DONE,     /* summary.yaml, and config.yaml is the point's configuration: skip */
    POINT_RESUME,   /* checkpoint.bin without summary.yaml (interrupted), or finished
                       with only a safe change since (more train.epochs): resume */
    POINT_RESTART,  /* files of a run that stopped before its first checkpoint: train again */
    POINT_CONFLICT, /* finished with another configuration: left alone, reported */
} point_state;

/* The state of point i; for POINT_CONFLICT, why (the keys that differ) in why. */
point_state sweep_point_state(const sweep_plan *p, size_t i, char *why, size_t why_size);

const char *sweep_point_state_name(point_state s); /* "new", "done", ... */

#endif
