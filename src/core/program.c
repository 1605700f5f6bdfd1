/* Program sources (the table of programs and their parts), build options,
 * the binary cache and the compiler's output.
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

#include "core/build_log.h"
#include "core/clock.h"
#include "core/fs.h"
#include "core/kernels_embedded.h"
#include "core/profile.h"

static const char CACHE_MAGIC[8] = {'C', 'T', 'P', 'R', 'O', 'G', '0', '1'};

/* ---------------------------------------------------------------- programs */

/* Every program and its parts. Shared helpers live once in cl/ (common.cl in
 * every program; reduce.cl: work-group sums; window_index.cl: the pixel and
 * window index helpers of conv and pool) and each program lists what it
 * uses. Each convolution algorithm is its own program, so a run compiles only
 * the algorithms it uses; the CPU-only ones (tiled and Winograd conv, the
 * register-tiled GEMM) are never built on a GPU. */
#define ANY CT_PROGRAM_ANY_DEVICE
#define CPU CT_PROGRAM_CPU_ONLY
static const ct_program_def PROGRAMS[] = {
    {"elementwise", ANY, {"common", "reduce", "elementwise"}},
    {"rescaling", ANY, {"common", "rescaling"}},
    {"merge", ANY, {"common", "merge"}},
    {"activations", ANY, {"common", "reduce", "activations"}},
    {"batchnorm", ANY, {"common", "reduce", "batchnorm"}},
    {"dropout", ANY, {"common", "philox", "dropout"}},
    {"augment", ANY, {"common", "philox", "augment"}},
    {"pool", ANY, {"common", "window_index", "pool"}},
    {"conv_bias", ANY, {"common", "conv_bias"}},
    {"conv_im2col", ANY, {"common", "window_index", "conv_geometry", "conv_im2col"}},
    {"conv_direct", ANY, {"common", "window_index", "conv_geometry", "conv_direct"}},
    {"conv_tiled", CPU, {"common", "window_index", "conv_geometry", "conv_tile", "conv_tiled"}},
    {"conv_winograd", CPU, {"common", "conv_geometry", "conv_tile", "conv_winograd_tiles", "conv_winograd"}},
    {"conv_winograd4", CPU, {"common", "conv_geometry", "conv_tile", "conv_winograd_tiles", "conv_winograd4"}},
    {"gemm_tile", CPU, {"common", "gemm_tile"}},
    {"gemm_portable", ANY, {"common", "gemm_portable"}},
    {"loss", ANY, {"common", "reduce", "loss"}},
    {"optim", ANY, {"common", "optim"}},
    {"data", ANY, {"common", "data"}},
    {"images", ANY, {"common", "images"}},
    {"devbench", ANY, {"common", "devbench"}},
};
#undef ANY
#undef CPU
#define PROGRAM_COUNT (sizeof PROGRAMS / sizeof PROGRAMS[0])

const ct_program_def *ct_program_table(size_t *count)
{
    *count = PROGRAM_COUNT;
    return PROGRAMS;
}

const ct_program_def *ct_program_find(const char *name)
{
    for (size_t i = 0; i < PROGRAM_COUNT; i++)
        if (!strcmp(PROGRAMS[i].name, name))
            return &PROGRAMS[i];
    return NULL;
}

int ct_program_for_device(const ct_program_def *def, const ct_device_info *info)
{
    return def->devices == CT_PROGRAM_ANY_DEVICE || info->profile.is_cpu_class;
}

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

/* cl/NAME.cl: from $CLTRAIN_KERNEL_DIR when set, else the embedded copy. */
static ct_status part_source(const char *name, char **out, size_t *length)
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

/* Appends `#line 1 "cl/PART.cl"` and the part's text to *text. */
static ct_status append_part(char **text, size_t *len, const char *part, const char *body, size_t blen)
{
    char directive[160];
    int dlen = snprintf(directive, sizeof directive, "%s#line 1 \"cl/%s.cl\"\n", *len ? "\n" : "", part);
    char *grown = realloc(*text, *len + (size_t)dlen + blen + 1);
    if (!grown)
        return ct_fail(CT_ERR_NO_MEMORY, "joining kernel sources");
    memcpy(grown + *len, directive, (size_t)dlen);
    memcpy(grown + *len + dlen, body, blen);
    *len += (size_t)dlen + blen;
    grown[*len] = '\0';
    *text = grown;
    return CT_OK;
}

ct_status ct_program_source(const char *name, char **out, size_t *length)
{
    const ct_program_def *def = ct_program_find(name);
    /* Not in the table: a kernel under development, common.cl (if any) first. */
    const char *loose[3] = {"common", name, NULL};
    const char *const *parts = def ? def->parts : loose;
    char *text = NULL;
    size_t len = 0;
    for (size_t i = 0; i < CT_PROGRAM_MAX_PARTS && parts[i]; i++) {
        char *body = NULL;
        size_t blen = 0;
        ct_status s = part_source(parts[i], &body, &blen);
        if (s != CT_OK && !def && i == 0) { /* no prelude in this build: fine */
            ct_clear_error();
            continue;
        }
        if (s == CT_OK)
            s = append_part(&text, &len, parts[i], body, blen);
        free(body);
        if (s != CT_OK) {
            free(text);
            return s;
        }
    }
    *out = text;
    *length = len;
    return CT_OK;
}

void ct_program_options(const ct_device_info *info, char *buf, size_t size)
{
    /* Capabilities only: the same device class gets the same kernels whoever
     * made it. No -cl-fast-relaxed-math: finite-math-only breaks NaN checks. */
    /* -cl-kernel-arg-info: the compile-ahead helper (core/prebuild.c) sets a
     * kernel's arguments from their address spaces and types. */
    snprintf(buf, size, "-cl-std=CL1.2 -cl-kernel-arg-info -DCT_MAX_WG=%zu -DCT_LOCAL_MEM=%llu -DCT_HAS_FP64=%d -DCT_HAS_FP16=%d "
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

/* ---------------------------------------------------------------- builds */

static ct_program_log_sink log_sink;
static void *log_sink_user;

void ct_program_set_log_sink(ct_program_log_sink sink, void *user)
{
    log_sink = sink;
    log_sink_user = user;
}

int ct_program_binary_cache_pays(const ct_device_info *info)
{
    const char *force = getenv("CLTRAIN_BINARY_CACHE");
    if (force && *force)
        return strcmp(force, "0") != 0;
    const char *pocl_cache = getenv("POCL_KERNEL_CACHE"); /* PoCL's own cache, on unless set to 0 */
    int pocl = strstr(info->platform_name, "Portable Computing Language") != NULL;
    return !pocl || (pocl_cache && !strcmp(pocl_cache, "0"));
}

/* The runtime's build log of the program (malloc'd, may be NULL). */
static char *runtime_build_log(cl_program program, const ct_device_info *info)
{
    size_t size = 0;
    if (clGetProgramBuildInfo(program, info->device, CL_PROGRAM_BUILD_LOG, 0, NULL, &size) != CL_SUCCESS ||
        size == 0)
        return NULL;
    char *log = malloc(size + 1);
    if (log && clGetProgramBuildInfo(program, info->device, CL_PROGRAM_BUILD_LOG, size, log, NULL) != CL_SUCCESS) {
        free(log);
        return NULL;
    }
    if (log)
        log[size] = '\0';
    return log;
}

/* Builds from source with the compiler's stderr captured; *log receives
 * the compiler output (malloc'd, NULL when there was none). A failed build's
 * detail is the error code's name (the caller adds the rest). */
static ct_status build_from_source(cl_context context, const ct_device_info *info, const char *source,
                                   size_t length, const char *options, cl_program *out, char **log)
{
    *log = NULL;
    cl_int err;
    cl_program program = clCreateProgramWithSource(context, 1, &source, &length, &err);
    if (err != CL_SUCCESS)
        return ct_cl_fail(err, "clCreateProgramWithSource");
    ct_stderr_capture capture;
    ct_stderr_capture_begin(&capture);
    err = clBuildProgram(program, 1, &info->device, options, NULL, NULL);
    char *captured = ct_stderr_capture_end(&capture);
    char *runtime_log = runtime_build_log(program, info);
    *log = ct_build_log_join(runtime_log, captured);
    free(runtime_log);
    free(captured);
    if (err != CL_SUCCESS) {
        clReleaseProgram(program);
        return ct_fail(CT_ERR_BUILD, "%s", ct_cl_error_name(err));
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
    ct_stderr_capture capture;
    ct_stderr_capture_begin(&capture);
    err = clBuildProgram(program, 1, &info->device, options, NULL, NULL);
    free(ct_stderr_capture_end(&capture)); /* a binary that builds has said its piece when it was compiled */
    if (err != CL_SUCCESS) {
        clReleaseProgram(program);
        return CT_ERR_BUILD;
    }
    *out = program;
    return CT_OK;
}

/* The program's binary; runtimes may compile more to produce it, so the
 * compiler's stderr is captured here too (and dropped: the build from source
 * has its log). */
static unsigned char *program_binary(cl_program program, size_t *len)
{
    size_t size = 0;
    ct_stderr_capture capture;
    ct_stderr_capture_begin(&capture);
    cl_int err = clGetProgramInfo(program, CL_PROGRAM_BINARY_SIZES, sizeof size, &size, NULL);
    unsigned char *bin = err == CL_SUCCESS && size ? malloc(size) : NULL;
    if (bin && clGetProgramInfo(program, CL_PROGRAM_BINARIES, sizeof bin, &bin, NULL) != CL_SUCCESS) {
        free(bin);
        bin = NULL;
    }
    free(ct_stderr_capture_end(&capture));
    if (bin)
        *len = size;
    return bin;
}

/* <entry>.log beside the cache entry: the compiler output of its last build
 * from source (removed when that build said nothing). Returns 1 when the
 * log is in `path` now. */
static int keep_log(const char *dir, const char *entry, const char *log, char *path, size_t size)
{
    snprintf(path, size, "%.*s.log", (int)(strlen(entry) - 4), entry); /* entry ends in .bin */
    if (!log) {
        remove(path);
        return 0;
    }
    if (ct_make_dirs(dir) != CT_OK) {
        ct_clear_error();
        return 0;
    }
    FILE *f = fopen(path, "w");
    if (!f)
        return 0; /* a read-only cache: the sink and the error detail still have the log */
    int ok = fputs(log, f) >= 0;
    return (fclose(f) == 0) && ok;
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
    int use_dir = ct_program_cache_dir(dir, sizeof dir); /* for the log, and the binaries when they pay */
    int use_cache = use_dir && ct_program_binary_cache_pays(info);
    if (use_dir) {
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
        char *log = NULL, log_path[4500];
        s = build_from_source(context, info, source, length, options, out, &log);
        int log_kept = use_dir && keep_log(dir, path, log, log_path, sizeof log_path);
        if (log && log_sink)
            log_sink(name, info, log, log_sink_user);
        if (s == CT_ERR_BUILD) { /* the error detail is only so long: the log file first */
            char code[64];
            snprintf(code, sizeof code, "%s", ct_last_error());
            ct_fail(CT_ERR_BUILD, "building program %s for %s failed with %s (options: %s)%s%s; build log:\n%s", name,
                    info->name, code, options, log_kept ? "; the whole log is in " : "", log_kept ? log_path : "",
                    log ? log : "(empty)");
        }
        free(log);
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
