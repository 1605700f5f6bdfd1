/* CIFAR-10 binary batches into channels-last float images.
 *
 * A record is 1 label byte then the image as three planes (R, G, B) of 32x32
 * row-major bytes: planar CHW. Keras, and so our layers, want HWC, so each
 * record is transposed while it is scaled. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cltrain/data.h"
#include "data/util.h"

#define PLANE (CT_CIFAR10_SIDE * CT_CIFAR10_SIDE)
#define RECORDS_PER_READ 256

static ct_status file_size(FILE *f, const char *path, size_t *size_out)
{
    struct stat st;
    if (fstat(fileno(f), &st) != 0)
        return ct_fail(CT_ERR_IO, "cannot stat %s: %s", path, strerror(errno));
    if (!S_ISREG(st.st_mode))
        return ct_fail(CT_ERR_DATA, "%s is not a regular file", path);
    *size_out = (size_t)st.st_size;
    return CT_OK;
}

/* Byte value -> [0,1] the way numpy's `images / 255.0` does it (double
 * division, then float32), so our inputs are bit-identical to Keras'. */
static void build_scale_table(float table[256])
{
    for (int v = 0; v < 256; v++)
        table[v] = (float)(v / 255.0);
}

static ct_status grow_set(ct_image_set *set, size_t extra, const char *path)
{
    size_t total = set->n + extra;
    size_t x_bytes = ct_data_mul(ct_data_mul(total, CT_CIFAR10_PIXELS), sizeof *set->x);
    size_t label_bytes = ct_data_mul(total, sizeof *set->labels);
    float *x = x_bytes == SIZE_MAX ? NULL : realloc(set->x, x_bytes ? x_bytes : 1);
    if (x)
        set->x = x;
    int32_t *labels = label_bytes == SIZE_MAX ? NULL : realloc(set->labels, label_bytes ? label_bytes : 1);
    if (labels)
        set->labels = labels;
    if (!x || !labels)
        return ct_fail(CT_ERR_NO_MEMORY, "%s: out of memory for %zu images", path, total);
    return CT_OK;
}

/* Planar CHW bytes -> HWC floats. */
static void transpose_record(const unsigned char *pixels, const float scale[256], float *out)
{
    for (size_t p = 0; p < PLANE; p++)
        for (size_t c = 0; c < CT_CIFAR10_CHANNELS; c++)
            out[p * CT_CIFAR10_CHANNELS + c] = scale[pixels[c * PLANE + p]];
}

static ct_status read_records(FILE *f, const char *path, size_t count, ct_image_set *set)
{
    unsigned char *buffer = malloc((size_t)RECORDS_PER_READ * CT_CIFAR10_RECORD);
    if (!buffer)
        return ct_fail(CT_ERR_NO_MEMORY, "%s: out of memory", path);
    float scale[256];
    build_scale_table(scale);
    ct_status s = CT_OK;
    for (size_t done = 0; done < count && s == CT_OK;) {
        size_t chunk = count - done < RECORDS_PER_READ ? count - done : RECORDS_PER_READ;
        if (fread(buffer, CT_CIFAR10_RECORD, chunk, f) != chunk) {
            s = ct_fail(CT_ERR_IO, "%s: read failed at record %zu", path, done);
            break;
        }
        for (size_t k = 0; k < chunk; k++) {
            const unsigned char *record = buffer + k * CT_CIFAR10_RECORD;
            size_t index = done + k;
            if (record[0] >= CT_CIFAR10_CLASSES) {
                s = ct_fail(CT_ERR_DATA, "%s: record %zu (byte offset %zu) has label %u, expected 0..9", path,
                            index, index * CT_CIFAR10_RECORD, (unsigned)record[0]);
                break;
            }
            set->labels[set->n] = record[0];
            transpose_record(record + 1, scale, set->x + set->n * CT_CIFAR10_PIXELS);
            set->n++;
        }
        done += chunk;
    }
    free(buffer);
    return s;
}

ct_status ct_cifar10_read_batch(const char *path, size_t max_images, ct_image_set *set)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return ct_fail(errno == ENOENT ? CT_ERR_NOT_FOUND : CT_ERR_IO, "cannot open %s: %s", path,
                       strerror(errno));
    size_t size = 0;
    ct_status s = file_size(f, path, &size);
    if (s == CT_OK && size == 0)
        s = ct_fail(CT_ERR_DATA, "%s: the file is empty (expected 3073-byte CIFAR-10 records)", path);
    if (s == CT_OK && size % CT_CIFAR10_RECORD != 0)
        s = ct_fail(CT_ERR_DATA,
                    "%s: %zu bytes is not a whole number of %d-byte records (%zu records and %zu bytes "
                    "over): truncated, or not a CIFAR-10 binary batch",
                    path, size, CT_CIFAR10_RECORD, size / CT_CIFAR10_RECORD, size % CT_CIFAR10_RECORD);
    size_t count = size / CT_CIFAR10_RECORD;
    if (max_images > 0 && max_images < count)
        count = max_images;
    if (s == CT_OK)
        s = grow_set(set, count, path);
    if (s == CT_OK)
        s = read_records(f, path, count, set);
    fclose(f);
    return s;
}

void ct_image_set_free(ct_image_set *s)
{
    if (!s)
        return;
    free(s->x);
    free(s->labels);
    memset(s, 0, sizeof *s);
}

/* ------------------------------------------------------------ class names */

static ct_status read_class_names(const char *dir, char *names[CT_CIFAR10_CLASSES])
{
    char *path = ct_data_path_join(dir, "batches.meta.txt");
    if (!path)
        return ct_fail(CT_ERR_NO_MEMORY, "out of memory");
    FILE *f = fopen(path, "r");
    if (!f) {
        ct_status s = ct_fail(errno == ENOENT ? CT_ERR_NOT_FOUND : CT_ERR_IO,
                              "CIFAR-10 class names: cannot open %s: %s", path, strerror(errno));
        free(path);
        return s;
    }
    char line[256];
    size_t n = 0;
    ct_status s = CT_OK;
    while (s == CT_OK && fgets(line, sizeof line, f)) {
        size_t len = strcspn(line, "\r\n");
        while (len > 0 && (line[len - 1] == ' ' || line[len - 1] == '\t'))
            len--;
        if (len == 0)
            continue; /* the official file ends with blank lines */
        if (n == CT_CIFAR10_CLASSES) {
            s = ct_fail(CT_ERR_DATA, "%s: more than %d class names", path, CT_CIFAR10_CLASSES);
            break;
        }
        if (!(names[n++] = ct_data_strndup(line, len)))
            s = ct_fail(CT_ERR_NO_MEMORY, "out of memory");
    }
    if (s == CT_OK && n != CT_CIFAR10_CLASSES)
        s = ct_fail(CT_ERR_DATA, "%s: found %zu class names, expected %d (one per line)", path, n,
                    CT_CIFAR10_CLASSES);
    fclose(f);
    free(path);
    return s;
}

/* ------------------------------------------------------------- the dataset */

static int file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static ct_status load_train(const ct_cifar10_options *o, unsigned batches, ct_cifar10 *out)
{
    for (unsigned b = 1; b <= batches; b++) {
        if (o->train_subset > 0 && out->train.n >= o->train_subset)
            break; /* the subset is complete: do not read (or allocate) more */
        char name[32];
        snprintf(name, sizeof name, "data_batch_%u.bin", b);
        char *path = ct_data_path_join(o->dir, name);
        if (!path)
            return ct_fail(CT_ERR_NO_MEMORY, "out of memory");
        ct_status s = CT_OK;
        if (file_exists(path)) {
            size_t want = o->train_subset > 0 ? o->train_subset - out->train.n : 0;
            s = ct_cifar10_read_batch(path, want, &out->train);
            if (s == CT_OK)
                out->train_batches_read |= 1u << (b - 1);
        }
        free(path);
        CT_TRY(s);
    }
    if (out->train_batches_read == 0) {
        if (batches == 1)
            return ct_fail(CT_ERR_NOT_FOUND, "CIFAR-10: no training batch found: looked for data_batch_1.bin in %s",
                           o->dir);
        return ct_fail(CT_ERR_NOT_FOUND,
                       "CIFAR-10: no training batch found: looked for data_batch_1.bin .. data_batch_%u.bin in %s",
                       batches, o->dir);
    }
    if (o->train_subset > out->train.n)
        return ct_fail(CT_ERR_DATA, "CIFAR-10: a training subset of %zu images was asked for, but the "
                                    "training batches found in %s hold only %zu",
                       o->train_subset, o->dir, out->train.n);
    return CT_OK;
}

static ct_status load(const ct_cifar10_options *o, ct_cifar10 *out)
{
    unsigned batches = o->train_batches ? o->train_batches : 5;
    if (batches > 5)
        return ct_fail(CT_ERR_CONFIG, "CIFAR-10 has 5 training batches, %u were asked for", batches);
    CT_TRY(load_train(o, batches, out));

    char *test_path = ct_data_path_join(o->dir, "test_batch.bin");
    if (!test_path)
        return ct_fail(CT_ERR_NO_MEMORY, "out of memory");
    ct_status s = ct_cifar10_read_batch(test_path, o->test_subset, &out->test);
    free(test_path);
    if (s != CT_OK)
        return ct_fail_context(s, "CIFAR-10 test batch");
    if (o->test_subset > out->test.n)
        return ct_fail(CT_ERR_DATA, "CIFAR-10: a test subset of %zu images was asked for, but the test "
                                    "batch holds only %zu",
                       o->test_subset, out->test.n);
    return read_class_names(o->dir, out->class_names);
}

ct_status ct_cifar10_load(const ct_cifar10_options *o, ct_cifar10 *out)
{
    memset(out, 0, sizeof *out);
    if (!o || !o->dir)
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "ct_cifar10_load: no folder given");
    ct_status s = load(o, out);
    if (s != CT_OK)
        ct_cifar10_free(out);
    return s;
}

void ct_cifar10_free(ct_cifar10 *c)
{
    if (!c)
        return;
    ct_image_set_free(&c->train);
    ct_image_set_free(&c->test);
    for (int k = 0; k < CT_CIFAR10_CLASSES; k++)
        free(c->class_names[k]);
    memset(c, 0, sizeof *c);
}
