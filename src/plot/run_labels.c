/* Names from the run's config.yaml for titles and axis labels. */
#include "plot/run_reader.h"

#include <stdlib.h>

#include "cltrain/experiment.h"

ct_status run_labels_read(const char *path, run_labels *out)
{
    *out = (run_labels){.image_height = 32, .image_width = 32, .image_channels = 3};
    ct_experiment *exp = NULL;
    if (ct_experiment_load(path, &exp) != CT_OK) {
        ct_clear_error(); /* see run_reader.h: labels are optional */
        return CT_OK;
    }
    ct_status s = CT_OK;
    out->loss = run_strdup(ct_loss_name(exp->train.loss));
    if (!out->loss)
        s = ct_fail(CT_ERR_NO_MEMORY, "%s: out of memory", path);
    out->images = ct_data_takes_images(&exp->data);
    if (out->images) {
        int h, w, c;
        ct_data_image_shape(&exp->data, &h, &w, &c);
        out->image_height = (size_t)h, out->image_width = (size_t)w, out->image_channels = (size_t)c;
    }
    if (s == CT_OK && exp->data.kind == CT_DATA_CSV) {
        out->target = run_strdup(exp->data.csv.target.column);
        if (!out->target)
            s = ct_fail(CT_ERR_NO_MEMORY, "%s: out of memory", path);
        for (size_t i = 0; s == CT_OK && i < exp->evaluate.baseline_count && !out->baseline; i++)
            if (exp->evaluate.baselines[i].kind == CT_BASELINE_PERSISTENCE &&
                !(out->baseline = run_strdup(exp->evaluate.baselines[i].column)))
                s = ct_fail(CT_ERR_NO_MEMORY, "%s: out of memory", path);
    }
    ct_experiment_free(exp);
    if (s != CT_OK)
        run_labels_free(out);
    return s;
}

void run_labels_free(run_labels *l)
{
    if (!l)
        return;
    free(l->loss);
    free(l->target);
    free(l->baseline);
    *l = (run_labels){0};
}
