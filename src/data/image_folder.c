/* An image folder as keras.utils.image_dataset_from_directory reads it:
 * classes are the sorted sub-folders, each holding that class's images. The
 * images are decoded, converted and resized once into 8-bit pixels, which a
 * cache file keyed by every file's name, size and mtime (and the options)
 * keeps for the next run; decoding 10,000 PNGs costs seconds, reading the
 * cache milliseconds. Semantics in cltrain/data.h. */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cltrain/data.h"
#include "core/fs.h"
#include "data/internal.h"
#include "data/sha256.h"
#include "data/util.h"

#define CACHE_MAGIC "cltrain image cache 1\n"

typedef struct {
    char *path;  /* dir/class/file */
    int32_t label;
    long long size, mtime_ns;
} entry;

typedef struct {
    entry *items;
    size_t n, cap;
} entry_list;

static int compare_names(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static ct_status no_memory(const char *dir) { return ct_fail(CT_ERR_NO_MEMORY, "%s: out of memory", dir); }

/* The sorted names in folder `dir` (hidden ones left out); folders_only:
 * only sub-folders, else only regular files. */
static ct_status list_folder(const char *dir, int folders_only, char ***names_out, size_t *n_out)
{
    DIR *d = opendir(dir);
    if (!d)
        return ct_fail(errno == ENOENT ? CT_ERR_NOT_FOUND : CT_ERR_IO, "cannot open image folder %s: %s", dir,
                       strerror(errno));
    char **names = NULL;
    size_t n = 0, cap = 0;
    ct_status s = CT_OK;
    struct dirent *e;
    while (s == CT_OK && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char *path = ct_data_path_join(dir, e->d_name);
        struct stat st;
        int ok = path && stat(path, &st) == 0 && (folders_only ? S_ISDIR(st.st_mode) : S_ISREG(st.st_mode));
        free(path);
        if (!ok)
            continue;
        if (ct_data_reserve((void **)&names, &cap, n + 1, sizeof *names) || !(names[n] = ct_data_strdup(e->d_name)))
            s = no_memory(dir);
        else
            n++;
    }
    closedir(d);
    if (s != CT_OK) {
        ct_class_names_free(names, n);
        return s;
    }
    qsort(names, n, sizeof *names, compare_names);
    *names_out = names;
    *n_out = n;
    return CT_OK;
}

static void entries_free(entry_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->items[i].path);
    free(l->items);
    memset(l, 0, sizeof *l);
}

/* Every file of every class folder, class by class, names sorted. */
static ct_status index_files(const char *dir, char *const *classes, size_t n_classes, entry_list *out)
{
    for (size_t k = 0; k < n_classes; k++) {
        char *sub = ct_data_path_join(dir, classes[k]);
        if (!sub)
            return no_memory(dir);
        char **files = NULL;
        size_t n_files = 0;
        ct_status s = list_folder(sub, 0, &files, &n_files);
        for (size_t i = 0; s == CT_OK && i < n_files; i++) {
            char *path = ct_data_path_join(sub, files[i]);
            struct stat st;
            if (!path || ct_data_reserve((void **)&out->items, &out->cap, out->n + 1, sizeof *out->items)) {
                free(path);
                s = no_memory(dir);
            } else if (stat(path, &st) != 0) {
                s = ct_fail(CT_ERR_IO, "%s: %s", path, strerror(errno));
                free(path);
            } else {
                entry *e = &out->items[out->n++];
                e->path = path;
                e->label = (int32_t)k;
                e->size = (long long)st.st_size;
                e->mtime_ns = (long long)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
            }
        }
        ct_class_names_free(files, n_files);
        free(sub);
        if (s != CT_OK)
            return s;
    }
    return CT_OK;
}

/* ------------------------------------------------------------- decoding */

/* TF's rgb_to_grayscale weights (ITU-R 601), as Keras' color_mode="grayscale". */
static unsigned char gray_of(const unsigned char *p)
{
    double v = 0.2989 * p[0] + 0.5870 * p[1] + 0.1140 * p[2];
    return (unsigned char)(v > 255 ? 255 : v + 0.5);
}

static unsigned char to_byte(float v)
{
    if (v <= 0.0f)
        return 0;
    if (v >= 255.0f)
        return 255;
    return (unsigned char)lrintf(v);
}

/* One file into out (height x width x channels bytes). */
static ct_status decode_one(const char *path, const ct_image_folder_options *o, size_t channels, unsigned char *out);

ct_status ct_image_prepare(const char *path, size_t height, size_t width, int grayscale, int nearest,
                           unsigned char *out)
{
    ct_image_folder_options o = {.dir = path, .height = height, .width = width, .grayscale = grayscale,
                                 .nearest = nearest};
    return decode_one(path, &o, grayscale ? 1 : 3, out);
}

static ct_status decode_one(const char *path, const ct_image_folder_options *o, size_t channels, unsigned char *out)
{
    size_t w = 0, h = 0;
    unsigned char *rgb = NULL;
    CT_TRY(ct_image_read_rgb8(path, &w, &h, &rgb));
    unsigned char *pix = rgb;
    if (channels == 1) { /* grey in place: 3 bytes per pixel become 1 */
        for (size_t i = 0; i < w * h; i++)
            pix[i] = gray_of(rgb + 3 * i);
    }
    ct_status s = CT_OK;
    if (w == o->width && h == o->height) {
        memcpy(out, pix, w * h * channels);
    } else if (o->nearest) { /* TF's nearest: the source pixel under each target pixel's centre */
        for (size_t y = 0; y < o->height; y++) {
            size_t sy = (size_t)(((double)y + 0.5) * (double)h / (double)o->height);
            sy = sy < h ? sy : h - 1;
            for (size_t x = 0; x < o->width; x++) {
                size_t sx = (size_t)(((double)x + 0.5) * (double)w / (double)o->width);
                sx = sx < w ? sx : w - 1;
                memcpy(out + (y * o->width + x) * channels, pix + (sy * w + sx) * channels, channels);
            }
        }
    } else {
        float *f = malloc(w * h * channels * sizeof *f), *resized = NULL;
        if (!f)
            s = ct_fail(CT_ERR_NO_MEMORY, "%s: out of memory", path);
        for (size_t i = 0; f && i < w * h * channels; i++)
            f[i] = pix[i];
        if (s == CT_OK)
            s = ct_image_resize(f, w, h, channels, o->width, o->height, &resized);
        for (size_t i = 0; s == CT_OK && i < o->width * o->height * channels; i++)
            out[i] = to_byte(resized[i]);
        free(f);
        free(resized);
    }
    free(rgb);
    return s;
}

/* ---------------------------------------------------------------- cache */

/* The key: the options and every file's path, size and mtime. A changed,
 * added or removed image gives another key, hence a fresh decode. */
static void cache_key(const ct_image_folder_options *o, size_t channels, char *const *classes, size_t n_classes,
                      const entry_list *files, char hex[65])
{
    ct_data_sha256 h;
    ct_data_sha256_init(&h);
    char buf[128];
    int len = snprintf(buf, sizeof buf, "%s%zux%zux%zu nearest=%d skip=%d\n", CACHE_MAGIC, o->height, o->width,
                       channels, o->nearest, o->skip_broken);
    ct_data_sha256_update(&h, buf, (size_t)len);
    for (size_t k = 0; k < n_classes; k++)
        ct_data_sha256_update(&h, classes[k], strlen(classes[k]) + 1);
    for (size_t i = 0; i < files->n; i++) {
        const entry *e = &files->items[i];
        ct_data_sha256_update(&h, e->path, strlen(e->path) + 1);
        len = snprintf(buf, sizeof buf, "%lld %lld %d\n", e->size, e->mtime_ns, (int)e->label);
        ct_data_sha256_update(&h, buf, (size_t)len);
    }
    unsigned char digest[32];
    ct_data_sha256_final(&h, digest);
    ct_data_sha256_hex(digest, hex);
}

typedef struct {
    uint64_t n, height, width, channels, skipped;
} cache_header;

/* The cached pixels, if a complete file for this key is there. */
static int cache_read(const char *path, const ct_image_folder_options *o, size_t channels, size_t n_files,
                      ct_image_folder *out)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    char magic[sizeof CACHE_MAGIC - 1];
    cache_header hd;
    int ok = fread(magic, 1, sizeof magic, f) == sizeof magic && !memcmp(magic, CACHE_MAGIC, sizeof magic) &&
             fread(&hd, sizeof hd, 1, f) == 1 && hd.height == o->height && hd.width == o->width &&
             hd.channels == channels && hd.n + hd.skipped == n_files;
    size_t bytes = ok ? (size_t)hd.n * o->height * o->width * channels : 0;
    if (ok) {
        out->labels = malloc((hd.n ? hd.n : 1) * sizeof *out->labels);
        out->pixels = malloc(bytes ? bytes : 1);
        ok = out->labels && out->pixels && fread(out->labels, sizeof *out->labels, hd.n, f) == hd.n &&
             fread(out->pixels, 1, bytes, f) == bytes && fgetc(f) == EOF;
    }
    fclose(f);
    if (!ok) {
        free(out->labels);
        free(out->pixels);
        out->labels = NULL;
        out->pixels = NULL;
        return 0;
    }
    out->n = (size_t)hd.n;
    out->n_skipped = (size_t)hd.skipped;
    return 1;
}

/* Written to a temporary name and renamed: a reader never sees half a file.
 * A cache that cannot be written costs the next run a decode, nothing more. */
static void cache_write(const char *path, const ct_image_folder *img)
{
    size_t len = strlen(path) + 32;
    char *tmp = malloc(len);
    if (!tmp)
        return;
    snprintf(tmp, len, "%s.%ld.tmp", path, (long)getpid());
    FILE *f = fopen(tmp, "wb");
    cache_header hd = {img->n, img->height, img->width, img->channels, img->n_skipped};
    size_t bytes = img->n * img->height * img->width * img->channels;
    int ok = f && fwrite(CACHE_MAGIC, 1, sizeof CACHE_MAGIC - 1, f) == sizeof CACHE_MAGIC - 1 &&
             fwrite(&hd, sizeof hd, 1, f) == 1 && fwrite(img->labels, sizeof *img->labels, img->n, f) == img->n &&
             fwrite(img->pixels, 1, bytes, f) == bytes;
    if (f && fclose(f) != 0)
        ok = 0;
    if (!ok || rename(tmp, path) != 0)
        unlink(tmp);
    free(tmp);
}

/* ------------------------------------------------------------------ load */

static ct_status decode_all(const ct_image_folder_options *o, const entry_list *files, ct_image_folder *out)
{
    size_t per = o->height * o->width * out->channels;
    out->pixels = malloc((files->n ? files->n : 1) * per);
    out->labels = malloc((files->n ? files->n : 1) * sizeof *out->labels);
    if (!out->pixels || !out->labels)
        return ct_fail(CT_ERR_NO_MEMORY, "%s: out of memory for %zu images of %zux%zux%zu", o->dir, files->n,
                       o->height, o->width, out->channels);
    for (size_t i = 0; i < files->n; i++) {
        const entry *e = &files->items[i];
        ct_status s = decode_one(e->path, o, out->channels, out->pixels + out->n * per);
        if (s == CT_ERR_NO_MEMORY)
            return s;
        if (s != CT_OK && !o->skip_broken)
            return ct_fail_context(s, "image folder %s (skip such files with on_error: skip)", o->dir);
        if (s != CT_OK) {
            if (!out->first_skipped && !(out->first_skipped = ct_data_strdup(e->path)))
                return no_memory(o->dir);
            out->n_skipped++;
            continue;
        }
        out->labels[out->n++] = e->label;
    }
    return CT_OK;
}

static ct_status load(const ct_image_folder_options *o, ct_image_folder *out, entry_list *files)
{
    out->height = o->height;
    out->width = o->width;
    out->channels = o->grayscale ? 1 : 3;
    if (o->classes) {
        /* another folder of the same classes (a test folder, a file to score) */
        for (size_t k = 0; k < o->n_classes; k++) {
            char *sub = ct_data_path_join(o->dir, o->classes[k]);
            struct stat st;
            int ok = sub && stat(sub, &st) == 0 && S_ISDIR(st.st_mode);
            free(sub);
            if (!ok)
                return ct_fail(CT_ERR_DATA, "%s: no sub-folder %s, but the model's classes are its sub-folders' "
                               "names: give every class a folder (it may be empty)", o->dir, o->classes[k]);
        }
        out->class_names = calloc(o->n_classes ? o->n_classes : 1, sizeof *out->class_names);
        if (!out->class_names)
            return no_memory(o->dir);
        for (size_t k = 0; k < o->n_classes; k++, out->n_classes++)
            if (!(out->class_names[k] = ct_data_strdup(o->classes[k])))
                return no_memory(o->dir);
        char **found = NULL;
        size_t n_found = 0;
        CT_TRY(list_folder(o->dir, 1, &found, &n_found));
        ct_status s = CT_OK;
        for (size_t i = 0; i < n_found && s == CT_OK; i++) {
            int known = 0;
            for (size_t k = 0; k < o->n_classes && !known; k++)
                known = !strcmp(found[i], o->classes[k]);
            if (!known)
                s = ct_fail(CT_ERR_DATA, "%s: sub-folder %s is not one of the %zu classes the model knows", o->dir,
                            found[i], o->n_classes);
        }
        ct_class_names_free(found, n_found);
        CT_TRY(s);
    } else {
        CT_TRY(list_folder(o->dir, 1, &out->class_names, &out->n_classes));
        if (out->n_classes == 0)
            return ct_fail(CT_ERR_DATA, "%s: no sub-folders: an image folder holds one sub-folder per class "
                           "(cats/, dogs/, ...) with that class's images", o->dir);
    }
    CT_TRY(index_files(o->dir, out->class_names, out->n_classes, files));
    if (files->n == 0)
        return ct_fail(CT_ERR_DATA, "%s: no image files in its %zu class folders", o->dir, out->n_classes);

    char hex[65], cache_path[4096] = "";
    char folder[3500];
    if (o->cache_dir ? o->cache_dir[0] != '\0' : ct_cache_dir("images", folder, sizeof folder)) {
        if (o->cache_dir)
            snprintf(folder, sizeof folder, "%s", o->cache_dir);
        cache_key(o, out->channels, out->class_names, out->n_classes, files, hex);
        snprintf(cache_path, sizeof cache_path, "%s/%s.u8", folder, hex);
        if (cache_read(cache_path, o, out->channels, files->n, out)) {
            out->from_cache = 1;
            return CT_OK;
        }
    }
    CT_TRY(decode_all(o, files, out));
    if (cache_path[0] && ct_make_dirs(folder) == CT_OK)
        cache_write(cache_path, out);
    return CT_OK;
}

ct_status ct_image_folder_load(const ct_image_folder_options *o, ct_image_folder *out)
{
    memset(out, 0, sizeof *out);
    if (!o || !o->dir || !o->height || !o->width)
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "ct_image_folder_load: a folder and an image size are required");
    entry_list files = {0};
    ct_status s = load(o, out, &files);
    entries_free(&files);
    if (s != CT_OK)
        ct_image_folder_free(out);
    return s;
}

void ct_image_folder_free(ct_image_folder *f)
{
    if (!f)
        return;
    free(f->pixels);
    free(f->labels);
    ct_class_names_free(f->class_names, f->n_classes);
    free(f->first_skipped);
    memset(f, 0, sizeof *f);
}

ct_status ct_image_folder_split(size_t n, double validation_split, uint32_t seed, ct_split *out)
{
    memset(out, 0, sizeof *out);
    size_t *order = malloc((n ? n : 1) * sizeof *order);
    if (!order)
        return ct_fail(CT_ERR_NO_MEMORY, "image split: out of memory");
    ct_status s = ct_data_numpy_permutation(seed, n, order);
    if (s != CT_OK) {
        free(order);
        return s;
    }
    size_t n_val = (size_t)(validation_split * (double)n); /* Keras: int(validation_split * len(samples)) */
    out->train = order;
    out->n_train = n - n_val;
    out->validation = malloc((n_val ? n_val : 1) * sizeof *out->validation);
    if (!out->validation) {
        ct_split_free(out);
        return ct_fail(CT_ERR_NO_MEMORY, "image split: out of memory");
    }
    memcpy(out->validation, order + out->n_train, n_val * sizeof *order);
    out->n_validation = n_val;
    return CT_OK;
}
