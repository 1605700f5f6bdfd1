/* Program sources, build options and the binary cache.
 *
 * Cache entry layout (one file per program and device, written to a temp file
 * and renamed so readers never see a partial entry):
 *   magic "CTPROG01" | u64 key hash | u64 key length | key text
 *   | u64 binary length | u64 binary hash | binary
 * The key text holds the source hash, options, device, driver and platform
 * version, so a stale or colliding entry is recognised by comparison, and the
 * binary hash catches truncation or corruption. A bad entry is rebuilt. */
#include "core/program.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/fs.h"
#include "core/kernels_embedded.h"
#include "core/profile.h"

static const char CACHE_MAGIC[8] = {'C', 'T', 'P', 'R', 'O', 'G', '0', '1'};
/* Prepended to every program so kernels share helpers without #include. */
static const char *const COMMON_PRELUDE = "common";

unsigned long long ct_hash64(const void *data, size_t len, unsigned long long seed)
{
    const unsigned char *p = data;
    unsigned long long h = 1469598103934665603ULL ^ seed;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 1099511628211ULL;
    }
    return h;
}

static ct_status single_source(const char *name, char **out, size_t *length)
{
    const char *dir = getenv("CLTRAIN_KERNEL_DIR");
    if (dir && *dir) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s.cl", dir, name);
        return ct_read_file(path, out, length);
    }
    for (const ct_embedded_kernel *k = ct_embedded_kernels; k->name; k++)
        if (!strcmp(k->name, name)) {
            char *copy = malloc(k->length + 1);
            if (!copy)
                return ct_fail(CT_ERR_NO_MEMORY, "copying kernel source %s", name);
            memcpy(copy, k->source, k->length);
            copy[k->length] = '\0';
            *out = copy;
            *length = k->length;
            return CT_OK;
        }
    return ct_fail(CT_ERR_NOT_FOUND, "no kernel source cl/%s.cl in this build", name);
}

ct_status ct_program_source(const char *name, char **out, size_t *length)
{
    char *prelude = NULL, *body = NULL;
    size_t plen = 0, blen = 0;
    if (strcmp(name, COMMON_PRELUDE) != 0 && single_source(COMMON_PRELUDE, &prelude, &plen) != CT_OK) {
        prelude = NULL; /* no prelude in this build: fine */
        plen = 0;
        ct_clear_error();
    }
    ct_status s = single_source(name, &body, &blen);
    if (s != CT_OK) {
        free(prelude);
        return s;
    }
    if (!prelude) {
        *out = body;
        *length = blen;
        return CT_OK;
    }
    /* #line keeps compiler messages pointing at the right file and line. */
    char line_directive[64];
    int dlen = snprintf(line_directive, sizeof line_directive, "\n#line 1\n");
    char *joined = malloc(plen + (size_t)dlen + blen + 1);
    if (!joined) {
        free(prelude);
        free(body);
        return ct_fail(CT_ERR_NO_MEMORY, "joining kernel sources");
    }
    memcpy(joined, prelude, plen);
    memcpy(joined + plen, line_directive, (size_t)dlen);
    memcpy(joined + plen + dlen, body, blen + 1);
    *out = joined;
    *length = plen + (size_t)dlen + blen;
    free(prelude);
    free(body);
    return CT_OK;
}

void ct_program_options(const ct_device_info *info, char *buf, size_t size)
{
    /* Capabilities only: the same device class gets the same kernels whoever
     * made it. No -cl-fast-relaxed-math: finite-math-only breaks NaN checks. */
    snprintf(buf, size, "-cl-std=CL1.2 -DCT_MAX_WG=%zu -DCT_LOCAL_MEM=%llu -DCT_HAS_FP64=%d -DCT_HAS_FP16=%d "
             "-DCT_IS_CPU=%d -DCT_IS_GPU=%d",
             info->max_work_group_size, (unsigned long long)info->local_mem_bytes, info->has_fp64,
             info->has_fp16, info->profile.is_cpu_class, info->type == CT_DEVICE_GPU);
}

int ct_program_cache_dir(char *buf, size_t size) { return ct_cache_dir("kernels", buf, size); }

static void write_u64(FILE *f, uint64_t v) { fwrite(&v, sizeof v, 1, f); }

static int read_u64(FILE *f, uint64_t *v) { return fread(v, sizeof *v, 1, f) == 1; }

/* Returns a malloc'd binary on a valid entry for `key`, else NULL. *broken is
 * set when an entry exists but is unreadable or corrupt. */
static unsigned char *cache_load(const char *path, const char *key, size_t *bin_len, int *broken)
{
    *broken = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char magic[8];
    uint64_t key_hash, key_len, len, hash;
    unsigned char *bin = NULL;
    char *stored_key = NULL;
    size_t want_key_len = strlen(key);
    if (fread(magic, 1, 8, f) != 8 || memcmp(magic, CACHE_MAGIC, 8) != 0 || !read_u64(f, &key_hash) ||
        !read_u64(f, &key_len) || key_len != want_key_len || key_hash != ct_hash64(key, want_key_len, 0))
        goto bad;
    stored_key = malloc(key_len + 1);
    if (!stored_key || fread(stored_key, 1, key_len, f) != key_len || memcmp(stored_key, key, key_len) != 0)
        goto bad;
    if (!read_u64(f, &len) || !read_u64(f, &hash) || len == 0 || len > ((uint64_t)1 << 31))
        goto bad;
    bin = malloc(len);
    if (!bin || fread(bin, 1, len, f) != len || ct_hash64(bin, len, 0) != hash || fgetc(f) != EOF)
        goto bad;
    free(stored_key);
    fclose(f);
    *bin_len = len;
    return bin;
bad:
    free(stored_key);
    free(bin);
    fclose(f);
    *broken = 1;
    return NULL;
}

static void cache_store(const char *dir, const char *path, const char *key, const unsigned char *bin, size_t len)
{
    char tmp[4500];
    if (ct_make_dirs(dir) != CT_OK) {
        ct_clear_error(); /* no cache folder: compile again next time */
        return;
    }
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "wb");
    if (!f)
        return; /* a read-only cache is not an error: we just compile next time too */
    size_t key_len = strlen(key);
    fwrite(CACHE_MAGIC, 1, 8, f);
    write_u64(f, ct_hash64(key, key_len, 0));
    write_u64(f, key_len);
    fwrite(key, 1, key_len, f);
    write_u64(f, len);
    write_u64(f, ct_hash64(bin, len, 0));
    fwrite(bin, 1, len, f);
    int ok = !ferror(f);
    ok = (fclose(f) == 0) && ok;
    if (!ok || rename(tmp, path) != 0)
        remove(tmp);
}

static ct_status build_failure(cl_program program, const ct_device_info *info, const char *name,
                               const char *options, cl_int err)
{
    size_t log_size = 0;
    clGetProgramBuildInfo(program, info->device, CL_PROGRAM_BUILD_LOG, 0, NULL, &log_size);
    char *log = malloc(log_size + 1);
    if (log) {
        log[0] = '\0';
        clGetProgramBuildInfo(program, info->device, CL_PROGRAM_BUILD_LOG, log_size, log, NULL);
        log[log_size] = '\0';
    }
    ct_status s = ct_fail(CT_ERR_BUILD, "building cl/%s.cl for %s failed with %s (options: %s); build log:\n%s",
                          name, info->name, ct_cl_error_name(err), options, log ? log : "(unavailable)");
    free(log);
    return s;
}

static ct_status build_from_source(cl_context context, const ct_device_info *info, const char *name,
                                   const char *source, size_t length, const char *options, cl_program *out)
{
    cl_int err;
    cl_program program = clCreateProgramWithSource(context, 1, &source, &length, &err);
    if (err != CL_SUCCESS)
        return ct_cl_fail(err, "clCreateProgramWithSource");
    err = clBuildProgram(program, 1, &info->device, options, NULL, NULL);
    if (err != CL_SUCCESS) {
        ct_status s = build_failure(program, info, name, options, err);
        clReleaseProgram(program);
        return s;
    }
    *out = program;
    return CT_OK;
}

static ct_status build_from_binary(cl_context context, const ct_device_info *info, const unsigned char *bin,
                                   size_t len, const char *options, cl_program *out)
{
    cl_int err, bin_status = CL_SUCCESS;
    cl_program program =
        clCreateProgramWithBinary(context, 1, &info->device, &len, &bin, &bin_status, &err);
    if (err != CL_SUCCESS || bin_status != CL_SUCCESS) {
        if (program)
            clReleaseProgram(program);
        return CT_ERR_BUILD;
    }
    if (clBuildProgram(program, 1, &info->device, options, NULL, NULL) != CL_SUCCESS) {
        clReleaseProgram(program);
        return CT_ERR_BUILD;
    }
    *out = program;
    return CT_OK;
}

static unsigned char *program_binary(cl_program program, size_t *len)
{
    size_t size = 0;
    if (clGetProgramInfo(program, CL_PROGRAM_BINARY_SIZES, sizeof size, &size, NULL) != CL_SUCCESS || size == 0)
        return NULL;
    unsigned char *bin = malloc(size);
    if (!bin)
        return NULL;
    if (clGetProgramInfo(program, CL_PROGRAM_BINARIES, sizeof bin, &bin, NULL) != CL_SUCCESS) {
        free(bin);
        return NULL;
    }
    *len = size;
    return bin;
}

ct_status ct_program_build(cl_context context, const ct_device_info *info, const char *name, cl_program *out,
                           ct_program_stats *stats)
{
    double start = ct_now_seconds();
    char *source;
    size_t length;
    CT_TRY(ct_program_source(name, &source, &length));

    char options[512];
    ct_program_options(info, options, sizeof options);
    ct_profile_build_options(info, name, options, sizeof options);

    char dir[4096], path[4400], *key = NULL;
    int use_cache = ct_program_cache_dir(dir, sizeof dir);
    if (use_cache) {
        size_t key_cap = 2048;
        key = malloc(key_cap);
        if (!key) {
            free(source);
            return ct_fail(CT_ERR_NO_MEMORY, "building cache key");
        }
        snprintf(key, key_cap, "source=%016llx:%zu\noptions=%s\ndevice=%s\nvendor=%s\ndriver=%s\nversion=%s\n"
                 "platform=%s %s\n",
                 ct_hash64(source, length, 0), length, options, info->name, info->vendor, info->driver_version,
                 info->device_version, info->platform_name, info->platform_version);
        snprintf(path, sizeof path, "%s/%s-%016llx.bin", dir, name, ct_hash64(key, strlen(key), 0));
    }

    ct_status s = CT_ERR_BUILD;
    if (use_cache) {
        size_t bin_len = 0;
        int broken = 0;
        unsigned char *bin = cache_load(path, key, &bin_len, &broken);
        if (bin) {
            s = build_from_binary(context, info, bin, bin_len, options, out);
            if (s == CT_OK && stats)
                stats->from_cache++;
            if (s != CT_OK)
                broken = 1; /* valid file, but the driver rejects it: rebuild */
            free(bin);
        }
        if (broken && stats)
            stats->cache_broken++;
    }
    if (s != CT_OK) {
        s = build_from_source(context, info, name, source, length, options, out);
        if (s == CT_OK) {
            if (stats)
                stats->compiled++;
            size_t bin_len = 0;
            unsigned char *bin = use_cache ? program_binary(*out, &bin_len) : NULL;
            if (bin)
                cache_store(dir, path, key, bin, bin_len);
            free(bin);
        }
    }
    free(key);
    free(source);
    if (stats)
        stats->build_seconds += ct_now_seconds() - start;
    return s;
}
