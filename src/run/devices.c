/* Which devices a run trains on (see devices.h). */
#include "run/devices.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/collective.h"
#include "core/edit_distance.h"

/* " (did you mean 'X'?)" for a spec that is a word close to a device type
 * or to a word of a device name; "" otherwise. */
static void did_you_mean(const char *spec, const ct_device_info *devices, size_t count, char *out, size_t size)
{
    *out = '\0';
    const char *best = NULL;
    char best_word[256] = "";
    size_t best_distance = strlen(spec) / 3 + 1; /* at most a third of the letters wrong */
    static const char *const types[] = {"cpu", "gpu", "accelerator"};
    for (size_t i = 0; i < 3; i++) {
        size_t dist = ct_edit_distance(spec, types[i], true);
        if (dist > 0 && dist < best_distance) /* an exact type word has no device of its type */
            best_distance = dist, best = types[i];
    }
    for (size_t i = 0; i < count; i++) {
        char name[256];
        snprintf(name, sizeof name, "%s", devices[i].name);
        for (char *save = NULL, *word = strtok_r(name, " -_()", &save); word; word = strtok_r(NULL, " -_()", &save)) {
            size_t dist = ct_edit_distance(spec, word, true);
            if (dist > 0 && dist < best_distance) {
                best_distance = dist;
                snprintf(best_word, sizeof best_word, "%s", word);
                best = best_word;
            }
        }
    }
    if (best)
        snprintf(out, size, " (did you mean '%s'?)", best);
}

/* train.devices[i] on this machine's device list. */
static ct_status select_item(const ct_experiment *exp, size_t i, const ct_device_info *devices, size_t count,
                             size_t *index)
{
    const char *spec = exp->train.devices.items[i];
    ct_status s = ct_device_select(devices, count, spec, index);
    if (s == CT_OK)
        return CT_OK;
    char why[1200], hint[300], path[64], where[400];
    snprintf(why, sizeof why, "%s", ct_last_error());
    did_you_mean(spec, devices, count, hint, sizeof hint);
    snprintf(path, sizeof path, "train.devices[%zu]", i);
    ct_experiment_where(exp, path, where, sizeof where);
    return ct_fail(s, "%s: %s: %s%s", where, path, why, hint);
}

ct_status ct_run_devices_check(const ct_experiment *exp)
{
    if (exp->train.devices.count == 0)
        return CT_OK;
    ct_device_info *devices;
    size_t count, index;
    CT_TRY(ct_device_list(&devices, &count));
    ct_status s = CT_OK;
    for (size_t i = 0; s == CT_OK && i < exp->train.devices.count; i++)
        s = select_item(exp, i, devices, count, &index);
    free(devices);
    return s;
}

static ct_status fail_at_devices(const ct_experiment *exp, const char *what)
{
    char where[400];
    ct_experiment_where(exp, "train.devices", where, sizeof where);
    return ct_fail(CT_ERR_CONFIG, "%s: train.devices: %s", where, what);
}

ct_status ct_run_devices_resolve(const ct_experiment *exp, const char *device_spec, ct_run_devices *out)
{
    memset(out, 0, sizeof *out);
    const ct_string_list *list = &exp->train.devices;
    int launched = ct_collective_launcher_size();
    if (launched > 1 && !ct_collective_built())
        return ct_fail(CT_ERR_UNSUPPORTED, "started by an MPI launcher on %d ranks, but this cltrain was built "
                                           "without MPI: install libopenmpi-dev (tools/deps.sh) and rebuild with "
                                           "cmake -DCLTRAIN_WITH_MPI=ON, or run one process (train.devices "
                                           "trains on several devices in one process)", launched);
    out->rank = ct_collective_rank();
    out->ranks = ct_collective_size();
    if (list->count && device_spec)
        return ct_fail(CT_ERR_CONFIG, "--device %s and train.devices both choose devices: give one (for several "
                                      "devices: --set 'train.devices=[0:0, 0:1]')", device_spec);
    char what[300];
    if (out->ranks > 1 && list->count == 0) {
        snprintf(what, sizeof what, "is empty, but the run has %d MPI ranks: list the devices to train on, as "
                                    "many per rank (a multiple of %d items; rank r takes the r-th share)",
                 out->ranks, out->ranks);
        return fail_at_devices(exp, what);
    }
    if (out->ranks > 1 && list->count % (size_t)out->ranks) {
        snprintf(what, sizeof what, "has %zu devices for %d MPI ranks: give each rank as many (a multiple of %d "
                                    "items; rank r takes the r-th share)", list->count, out->ranks, out->ranks);
        return fail_at_devices(exp, what);
    }
    out->replicas = list->count ? list->count : 1;
    out->local_count = out->replicas / (size_t)out->ranks;
    out->first = (size_t)out->rank * out->local_count;
    out->local = calloc(out->local_count, sizeof *out->local);
    if (!out->local)
        return ct_fail(CT_ERR_NO_MEMORY, "device list");
    if (list->count == 0) {
        ct_status s = ct_device_find(ct_device_spec_from_env(device_spec), &out->local[0]);
        if (s != CT_OK)
            ct_run_devices_free(out);
        return s;
    }
    ct_device_info *devices = NULL;
    size_t count = 0, index;
    ct_status s = ct_device_list(&devices, &count);
    for (size_t i = 0; s == CT_OK && i < out->local_count; i++) {
        s = select_item(exp, out->first + i, devices, count, &index);
        if (s == CT_OK)
            out->local[i] = devices[index];
    }
    free(devices);
    if (s != CT_OK)
        ct_run_devices_free(out);
    return s;
}

void ct_run_devices_free(ct_run_devices *d)
{
    free(d->local);
    d->local = NULL;
    d->local_count = 0;
}
