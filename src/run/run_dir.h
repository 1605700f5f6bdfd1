/* A run directory belongs to one run: a new run refuses a folder that holds
 * files unless told to overwrite (then the files a run writes are removed
 * first, so no old weights or plots stay beside the new configuration). */
#ifndef CLTRAIN_RUN_DIR_H
#define CLTRAIN_RUN_DIR_H

#include <stdbool.h>

#include "cltrain/status.h"

/* Makes dir (and its parents) or takes an existing one: an empty folder, or
 * one holding only temporary files of killed runs (removed), is fine; other
 * files are CT_ERR_CONFIG naming a few, unless overwrite, which removes the
 * files a run writes (config.yaml, history.csv, weights.bin, summary.yaml,
 * predictions.csv, features.csv, test_images.bin, checkpoint.bin,
 * best.weights.bin, plots/) and
 * leaves anything else alone. */
ct_status ct_run_dir_claim(const char *dir, bool overwrite);

#endif
