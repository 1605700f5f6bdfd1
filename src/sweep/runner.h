/* Running a sweep's points on this machine's devices.
 *
 * Each point is a child process, `cltrain run EXPERIMENT --set ... --out
 * DIR/POINT --device P:D` (or `--resume DIR/POINT`), rather than a call in
 * this process: a point that crashes, runs out of memory or wedges its
 * device takes only itself down, its exit status and last error line are
 * its record; the devices run in parallel with no shared OpenCL state; and
 * a Ctrl-C reaches each child exactly once (children get a process group of
 * their own, the sweep forwards one signal), so each writes its checkpoint
 * and the next `cltrain sweep` resumes it. The cost, a process start and a
 * warm kernel-cache lookup per point, is about half a second.
 *
 * A CPU device runs one point at a time (the run spreads over all cores
 * itself); a GPU takes `slots` points at once, or with slots 0 ("auto")
 * one more at a time for as long as that measurably raises its throughput. */
#ifndef CLTRAIN_SWEEP_RUNNER_H
#define CLTRAIN_SWEEP_RUNNER_H

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>

#include "cltrain/device.h"
#include "sweep/plan.h"

typedef struct {
    char spec[32];   /* "P:D", passed to --device */
    char name[256];  /* for progress lines */
    bool gpu;
    int slots;       /* points at once; 0: auto (GPUs) */
} sweep_device;

/* --devices: "all", "gpu", "cpu", "accelerator", or a comma-separated list
 * of single-device specs ("0:0,1:0", names); NULL or "": the default device
 * ($CLTRAIN_DEVICE, else cltrain's usual choice). per_gpu: slots of each GPU
 * (0: auto). *out malloc'd. */
ct_status sweep_devices_select(const char *spec, int per_gpu, sweep_device **out, size_t *count);

typedef struct {
    const char *cltrain;   /* the executable the children run */
    const char *data_dir;  /* --data-dir passed on; NULL: the environment's */
    FILE *progress;        /* one line per start and end, with counts and ETA; NULL: silent */
    volatile sig_atomic_t *stop; /* set by a signal handler: forward it, start nothing more */
} sweep_run_options;

typedef struct {
    size_t done, skipped, failed, interrupted, left;
} sweep_tally;

/* Run the points todo[0..n) of p (those already done are skipped and
 * counted). A failing point is recorded in DIR/errors/POINT.txt and the
 * others go on; its log is DIR/logs/POINT.log. Fails only when the sweep
 * itself cannot go on (no folder, no process). */
ct_status sweep_run_points(const sweep_plan *p, const size_t *todo, size_t n, const sweep_device *devices,
                           size_t device_count, const sweep_run_options *o, sweep_tally *tally);

#endif
