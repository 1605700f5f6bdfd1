/* The devices of a run: one (--device, CLTRAIN_DEVICE), or train.devices
 * for data-parallel training, split over the ranks of an MPI launch
 * (core/collective.h). Errors point at train.devices in the experiment file,
 * item by item, with the devices found and a did-you-mean. */
#ifndef CLTRAIN_RUN_DEVICES_H
#define CLTRAIN_RUN_DEVICES_H

#include <stddef.h>

#include "cltrain/device.h"
#include "cltrain/experiment.h"

typedef struct {
    ct_device_info *local; /* this process's devices (malloc'd), replica order */
    size_t local_count;
    size_t replicas;       /* over all ranks */
    size_t first;          /* global replica index of local[0] */
    int rank, ranks;
} ct_run_devices;

/* Resolves the devices this process trains on. device_spec: --device (NULL
 * when not given); it and train.devices cannot both be set. Fails when an
 * MPI launcher started several ranks and this build has no MPI, and when
 * train.devices does not split evenly over the ranks. */
ct_status ct_run_devices_resolve(const ct_experiment *exp, const char *device_spec, ct_run_devices *out);
void ct_run_devices_free(ct_run_devices *d);

/* Whether every item of train.devices names a device of this machine (for
 * `cltrain check`); CT_OK when the list is empty. */
ct_status ct_run_devices_check(const ct_experiment *exp);

#endif
