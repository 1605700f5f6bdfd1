/* Device memory: a run that cannot fit is refused before anything is
 * allocated, with what takes the room and what to change. Some runtimes
 * (PoCL on the CPU) allocate lazily and abort inside the runtime when the
 * memory is not there, so an allocation error cannot be relied on. */
#ifndef CLTRAIN_RUN_MEMORY_CHECK_H
#define CLTRAIN_RUN_MEMORY_CHECK_H

#include "cltrain/device.h"
#include "cltrain/experiment.h"
#include "cltrain/model.h"
#include "run/dataset.h"

/* CT_ERR_NO_MEMORY when a lower bound of the run's device memory
 * (activations and gradients for one batch, parameters with their
 * gradients and two optimizer moments, the training and validation data)
 * exceeds the device's global memory; the message gives each part and
 * suggests a smaller train.batch_size or fewer units or filters. */
ct_status ct_run_check_device_memory(const ct_experiment *exp, const ct_model_plan *plan, const ct_dataset *d,
                                     const ct_device_info *dev);

/* For a CT_ERR_NO_MEMORY s (an allocation the device refused: the message
 * names the tensor and its size), adds what to change; other s unchanged. */
ct_status ct_run_memory_hint(ct_status s, const ct_experiment *exp);

#endif
