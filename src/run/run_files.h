/* Files of a run directory written at the end of a run. */
#ifndef CLTRAIN_RUN_FILES_H
#define CLTRAIN_RUN_FILES_H

#include <math.h>

#include "cltrain/model.h"
#include "run/dataset.h"

/* weights.bin: every model tensor by name (report.h format). */
ct_status ct_run_write_weights(ct_model *model, const char *dir);
/* The same into any file (best.weights.bin of model_checkpoint). */
ct_status ct_run_write_weights_file(ct_model *model, const char *path);

/* CT_ERR_NUMERIC when a model tensor holds NaN or an infinity after epoch
 * `epoch` (0-based), naming the tensor: weights can diverge while the
 * logged loss stays finite, so the NaN guard checks them too. */
ct_status ct_run_check_weights_finite(ct_model *model, int epoch);

/* predictions.csv for the test split. Regression: index,true,predicted[,baseline].
 * Classification: index,true,predicted,p_0..p_{C-1} (true: the class index, or
 * the hot column of a one-hot label target_width wide), the class probabilities
 * (softmax of logits when from_logits, else the outputs; a one-unit binary
 * classifier gives p_0 = 1 - p, p_1 = p). */
ct_status ct_run_write_predictions(const char *dir, const ct_split_data *test, const float *pred, size_t out_size,
                                   size_t target_width, int classification, int from_logits);
/* The same into the file path (`cltrain evaluate --predictions FILE`). */
ct_status ct_run_write_predictions_file(const char *path, const ct_split_data *test, const float *pred,
                                        size_t out_size, size_t target_width, int classification, int from_logits);

/* test_images.bin: the first 25 test images, raw float32 NHWC. */
ct_status ct_run_write_test_images(const char *dir, const ct_split_data *test, size_t sample_size);

#endif
