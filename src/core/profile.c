/* The device profile: capabilities read once per device, the policy derived
 * from them (CPU class, vector width, register file, the GEMM and conv tiles), the -D
 * options kernels are built with, and the cache of tuned GEMM and conv tiles. */
#include "core/profile.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/fs.h"

/* The reduction kernels' work-group size on CPUs: a batch of 16 or more
 * rows or columns fills it, two AVX-512 or four AVX2 vectors of items. */
#define CT_CPU_REDUCTION_GROUP 16

/* ------------------------------------------------------------ the tile */

ct_gemm_tile ct_gemm_tile_default(unsigned registers, unsigned width, size_t max_work_group_size)
{
    ct_gemm_tile t = {.vectors = 2, .k_unroll = 1, .wg_work = 4};
    t.width = width >= 16 ? 16 : width >= 8 ? 8 : 4;
    /* Three quarters of the registers hold accumulators: 24 of AVX-512's
     * 32 (12 x 2 float16), 12 of AVX2's 16 (6 x 2 float8). The rest take
     * the row's B vectors and the broadcast A value, so the k loop never
     * spills. */
    unsigned budget = (registers ? registers : 16) * 3 / 4;
    int rows = (int)(budget / (unsigned)t.vectors);
    t.rows = rows < 1 ? 1 : rows > 16 ? 16 : rows;
    size_t wg = max_work_group_size;
    t.wg_side = wg >= 256 ? 16 : wg >= 64 ? 8 : wg >= 16 ? 4 : 1;
    return t;
}

int ct_gemm_tile_valid(const ct_gemm_tile *t)
{
    return t->rows >= 1 && t->rows <= 16 && t->vectors >= 1 && t->vectors <= 3 &&
           (t->width == 4 || t->width == 8 || t->width == 16) &&
           (t->k_unroll == 1 || t->k_unroll == 2 || t->k_unroll == 4) &&
           (t->wg_side == 1 || t->wg_side == 4 || t->wg_side == 8 || t->wg_side == 16) && t->wg_work == 4;
}

const char *ct_gemm_tile_str(const ct_gemm_tile *t, int compact, char *buf, size_t size)
{
    if (compact)
        snprintf(buf, size, "%dx%d/%d/%d", t->rows, t->vectors * t->width, t->width, t->k_unroll);
    else
        snprintf(buf, size, "%dx%d (float%d x%d, k unroll %d)", t->rows, t->vectors * t->width, t->width,
                 t->vectors, t->k_unroll);
    return buf;
}

int ct_gemm_tile_parse(const char *s, ct_gemm_tile *t)
{
    int rows, cols, width, unroll = 1, used = 0;
    int n = sscanf(s, "%dx%d/%d%n/%d%n", &rows, &cols, &width, &used, &unroll, &used);
    if (n < 3 || s[used] != '\0' || width <= 0 || cols % width != 0)
        return 0;
    ct_gemm_tile c = *t;
    c.rows = rows;
    c.width = width;
    c.vectors = cols / width;
    c.k_unroll = unroll;
    if (!ct_gemm_tile_valid(&c))
        return 0;
    *t = c;
    return 1;
}

const char *ct_tile_origin_name(ct_tile_origin o)
{
    switch (o) {
    case CT_TILE_TUNED: return "tuned";
    case CT_TILE_ENV: return "CLTRAIN_GEMM_TILE";
    case CT_TILE_CONV_ENV: return "CLTRAIN_CONV_TILE";
    case CT_TILE_WINOGRAD_ENV: return "CLTRAIN_WINOGRAD_TILE";
    default: return "default";
    }
}

/* ---------------------------------------------------------- the conv tile */

ct_conv_tile ct_conv_tile_default(unsigned registers, unsigned width)
{
    (void)width; /* the rule counts vectors, whatever their width */
    ct_conv_tile t = {.rows = 12, .vectors = 2};
    unsigned budget = (registers ? registers : 16) * 3 / 4;
    static const int rows[] = {12, 6, 4, 3, 2};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        t.rows = rows[i];
        if ((unsigned)(rows[i] * t.vectors) <= budget)
            break;
    }
    return t;
}

int ct_conv_tile_valid(const ct_conv_tile *t, unsigned width)
{
    int cols = t->vectors * (int)width;
    return (t->rows == 2 || t->rows == 3 || t->rows == 4 || t->rows == 6 || t->rows == 12) && t->vectors >= 1 &&
           (cols == 8 || cols == 16 || cols == 32);
}

int ct_conv_tile_parse(const char *s, unsigned width, ct_conv_tile *t)
{
    int rows, cols, used = 0;
    if (sscanf(s, "%dx%d%n", &rows, &cols, &used) != 2 || s[used] != '\0' || width == 0 || cols % (int)width != 0)
        return 0;
    ct_conv_tile c = {.rows = rows, .vectors = cols / (int)width};
    if (!ct_conv_tile_valid(&c, width))
        return 0;
    *t = c;
    return 1;
}

const char *ct_conv_tile_str(const ct_conv_tile *t, unsigned width, int compact, char *buf, size_t size)
{
    if (compact)
        snprintf(buf, size, "%dx%d", t->rows, t->vectors * (int)width);
    else
        snprintf(buf, size, "%dx%d (float%u x%d)", t->rows, t->vectors * (int)width, width, t->vectors);
    return buf;
}

unsigned ct_profile_kernel_vector(const ct_device_profile *p)
{
    return p->vector_floats >= 16 ? 16 : p->vector_floats >= 8 ? 8 : 4;
}

/* ------------------------------------------------------- the instruction set */

/* PoCL's CPU devices name the LLVM CPU they compile for in the device's
 * HSTR ("... HSTR: pthread-x86_64-pc-linux-gnu-skylake-avx512") and in
 * the device name ("pthread-skylake-avx512-AMD EPYC"): the longest tail of
 * the HSTR's target that the name repeats after its driver prefix. 0 when
 * the device says nothing of the kind. */
static int pocl_cpu_name(const ct_device_info *info, char *out, size_t size)
{
    const char *h = strstr(info->device_version, "HSTR: ");
    if (!h)
        return 0;
    h += 6;
    char target[160];
    size_t len = strcspn(h, " ,");
    if (len == 0 || len >= sizeof target)
        return 0;
    memcpy(target, h, len);
    target[len] = '\0';
    const char *driver_end = strchr(target, '-');
    if (!driver_end)
        return 0;
    size_t driver_len = (size_t)(driver_end - target) + 1; /* "pthread-" */
    if (strncmp(info->name, target, driver_len) != 0)
        return 0;
    const char *rest = info->name + driver_len;
    for (const char *c = driver_end; c; c = strchr(c + 1, '-')) {
        const char *cand = c + 1;
        size_t cl = strlen(cand);
        if (cl > 0 && strncmp(rest, cand, cl) == 0 && (rest[cl] == '-' || rest[cl] == '\0')) {
            snprintf(out, size, "%s", cand);
            return 1;
        }
    }
    return 0;
}

static int name_in(const char *name, const char *const *list)
{
    for (; *list; list++)
        if (!strcmp(name, *list))
            return 1;
    return 0;
}

/* Floats per vector register of an LLVM x86 CPU name: 16 with AVX-512, 8
 * with AVX or AVX2, 4 with SSE only; 0 when the name is not known here. */
static unsigned x86_vector_floats(const char *cpu)
{
    static const char *const avx512[] = {"knl", "knm", "cannonlake", "icelake-client", "icelake-server",
                                         "cascadelake", "cooperlake", "tigerlake", "sapphirerapids", "rocketlake",
                                         "graniterapids", "graniterapids-d", "emeraldrapids", "znver4", "znver5",
                                         "x86-64-v4", NULL};
    static const char *const avx[] = {"haswell", "broadwell", "skylake", "alderlake", "raptorlake", "meteorlake",
                                      "arrowlake", "lunarlake", "gracemont", "znver1", "znver2", "znver3",
                                      "x86-64-v3", "core-avx2", "sandybridge", "ivybridge", "corei7-avx",
                                      "core-avx-i", "bdver1", "bdver2", "bdver3", "bdver4", "btver2", NULL};
    static const char *const sse[] = {"nehalem", "westmere", "core2", "penryn", "x86-64", "x86-64-v2",
                                      "silvermont", "goldmont", "goldmont-plus", "tremont", "btver1", "corei7",
                                      NULL};
    if (strstr(cpu, "avx512") || name_in(cpu, avx512))
        return 16;
    if (name_in(cpu, avx))
        return 8;
    if (name_in(cpu, sse))
        return 4;
    return 0;
}

static unsigned pow2_floor(unsigned v)
{
    unsigned p = 1;
    while (p * 2 <= v && p < 16)
        p *= 2;
    return p;
}

static int device_has_subgroups(const ct_device_info *info)
{
    size_t size = 0;
    if (clGetDeviceInfo(info->device, CL_DEVICE_EXTENSIONS, 0, NULL, &size) != CL_SUCCESS || size == 0)
        return 0;
    char *exts = malloc(size + 1);
    if (!exts)
        return 0;
    int found = 0;
    if (clGetDeviceInfo(info->device, CL_DEVICE_EXTENSIONS, size, exts, NULL) == CL_SUCCESS) {
        exts[size] = '\0';
        found = strstr(exts, "cl_khr_subgroups") != NULL || strstr(exts, "cl_intel_subgroups") != NULL;
    }
    free(exts);
#ifdef CL_DEVICE_MAX_NUM_SUB_GROUPS
    cl_uint groups = 0;
    if (!found && clGetDeviceInfo(info->device, CL_DEVICE_MAX_NUM_SUB_GROUPS, sizeof groups, &groups, NULL) ==
                      CL_SUCCESS)
        found = groups > 0;
#endif
    return found;
}

/* ---------------------------------------------------------- tuning cache */

/* The tuned parameters, one file per kind: "gemm" (the own GEMM's tile,
 * keyed by cl/gemm_tile.cl's hash), "conv" and "winograd" (the tiled and
 * the Winograd conv kernels' tiles, keyed by the hash of the programs built
 * with each). */
static unsigned long long tune_source(const ct_device_info *info, const char *kind)
{
    if (!strcmp(kind, "conv"))
        return info->profile.conv_source_hash;
    if (!strcmp(kind, "winograd"))
        return info->profile.winograd_source_hash;
    return info->profile.gemm_source_hash;
}

/* One line naming what a tuned value is valid for. */
static void tune_key(const ct_device_info *info, const char *kind, char *buf, size_t size)
{
    snprintf(buf, size, "device=%s;vendor=%s;driver=%s;version=%s;platform=%s;source=%016llx", info->name,
             info->vendor, info->driver_version, info->device_version, info->platform_version,
             tune_source(info, kind));
    for (char *c = buf; *c; c++)
        if (*c == '\n' || *c == '\r')
            *c = ' ';
}

/* s into out with every character outside [A-Za-z0-9._-] as '_' (a file
 * name part). */
static void file_name_part(const char *s, char *out, size_t size)
{
    size_t n = 0;
    for (; *s && n + 1 < size; s++) {
        char c = *s;
        if (!isalnum((unsigned char)c) && c != '.' && c != '-')
            c = '_';
        out[n++] = c;
    }
    out[n] = '\0';
}

static int tune_path(const ct_device_info *info, const char *kind, char *buf, size_t size)
{
    char dir[4096], device[96], driver[64];
    if (!ct_cache_dir("tune", dir, sizeof dir))
        return 0;
    /* The file holds the whole key and is checked against it on reading;
     * the name only keeps entries apart. */
    file_name_part(info->name, device, sizeof device);
    file_name_part(info->driver_version, driver, sizeof driver);
    snprintf(buf, size, "%s/%s-%016llx-%s-%s.txt", dir, kind, tune_source(info, kind), device, driver);
    return 1;
}

int ct_profile_tune_path(const ct_device_info *info, char *buf, size_t size)
{
    return tune_path(info, "gemm", buf, size);
}

int ct_profile_conv_tune_path(const ct_device_info *info, int winograd, char *buf, size_t size)
{
    return tune_path(info, winograd ? "winograd" : "conv", buf, size);
}

/* The value of `field` ("tile") in the cache entry of `kind` for the device,
 * if there is one whose key matches; 0 otherwise. */
static int load_tuned_value(const ct_device_info *info, const char *kind, const char *field, char *value,
                            size_t size)
{
    char path[4200], key[1024], want[32];
    if (!tune_path(info, kind, path, sizeof path))
        return 0;
    if (access(path, R_OK) != 0)
        return 0;
    char *text = NULL;
    size_t len = 0;
    if (ct_read_file(path, &text, &len) != CT_OK) {
        ct_clear_error();
        return 0;
    }
    tune_key(info, kind, key, sizeof key);
    snprintf(want, sizeof want, "\n%s=", field);
    int ok = 0;
    char *key_line = strstr(text, "key=");
    char *line = strstr(text, want);
    if (key_line == text && line) {
        size_t klen = strcspn(key_line + 4, "\n");
        const char *v = line + strlen(want);
        size_t vlen = strcspn(v, "\n");
        if (klen == strlen(key) && !strncmp(key_line + 4, key, klen) && vlen < size) {
            memcpy(value, v, vlen);
            value[vlen] = '\0';
            ok = 1;
        }
    }
    free(text);
    return ok;
}

/* The tuned GEMM tile for the device, if the cache holds a valid entry. */
static int load_tuned(const ct_device_info *info, ct_gemm_tile *tile)
{
    char value[64];
    return load_tuned_value(info, "gemm", "tile", value, sizeof value) && ct_gemm_tile_parse(value, tile);
}

/* The tuned conv tile of `kind` (for vectors of `width` floats), likewise. */
static int load_tuned_conv(const ct_device_info *info, const char *kind, unsigned width, ct_conv_tile *tile)
{
    char value[64];
    return load_tuned_value(info, kind, "tile", value, sizeof value) && ct_conv_tile_parse(value, width, tile);
}

/* Writes the cache entry of `kind`: the key, field=value, the note (temp
 * file + rename: a reader never sees half an entry). */
static ct_status save_tuned_value(const ct_device_info *info, const char *kind, const char *field,
                                  const char *value, const char *note)
{
    char path[4200], dir[4096], tmp[4300], key[1024];
    if (!tune_path(info, kind, path, sizeof path) || !ct_cache_dir("tune", dir, sizeof dir))
        return ct_fail(CT_ERR_IO, "no cache folder for tuned parameters (CLTRAIN_NO_CACHE is set, or neither "
                                  "XDG_CACHE_HOME nor HOME)");
    CT_TRY(ct_make_dirs(dir));
    tune_key(info, kind, key, sizeof key);
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f)
        return ct_fail(CT_ERR_IO, "cannot write %s", tmp);
    fprintf(f, "key=%s\n%s=%s\n", key, field, value);
    if (note && *note)
        fprintf(f, "# %s\n", note);
    int ok = !ferror(f);
    ok = fclose(f) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) {
        remove(tmp);
        return ct_fail(CT_ERR_IO, "cannot write %s", path);
    }
    return CT_OK;
}

ct_status ct_profile_save_tuned(const ct_device_info *info, const ct_gemm_tile *tile, const char *note)
{
    char str[64];
    return save_tuned_value(info, "gemm", "tile", ct_gemm_tile_str(tile, 1, str, sizeof str), note);
}

ct_status ct_profile_save_tuned_conv(const ct_device_info *info, int winograd, const ct_conv_tile *tile,
                                     const char *note)
{
    char str[64];
    unsigned width = ct_profile_kernel_vector(&info->profile);
    if (!ct_conv_tile_valid(tile, width))
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "conv tile %dx%d vectors is not valid for float%u", tile->rows,
                       tile->vectors, width);
    return save_tuned_value(info, winograd ? "winograd" : "conv", "tile",
                            ct_conv_tile_str(tile, width, 1, str, sizeof str), note);
}

/* ------------------------------------------------------------ the profile */

void ct_profile_compute(ct_device_info *info, unsigned long long gemm_source_hash, unsigned long long conv_source_hash,
                        unsigned long long winograd_source_hash)
{
    ct_device_profile *p = &info->profile;
    memset(p, 0, sizeof *p);
    p->gemm_source_hash = gemm_source_hash;
    p->conv_source_hash = conv_source_hash;
    p->winograd_source_hash = winograd_source_hash;
    p->is_cpu_class = info->type == CT_DEVICE_CPU;
    p->compute_units = info->compute_units;
    p->max_work_group_size = info->max_work_group_size;
    p->local_mem_bytes = info->local_mem_bytes;
    cl_device_local_mem_type lmt = CL_GLOBAL;
    if (clGetDeviceInfo(info->device, CL_DEVICE_LOCAL_MEM_TYPE, sizeof lmt, &lmt, NULL) == CL_SUCCESS)
        p->local_mem_dedicated = lmt == CL_LOCAL;
    cl_uint w = 0;
    p->preferred_vector_float = info->preferred_vector_width_float;
    if (clGetDeviceInfo(info->device, CL_DEVICE_NATIVE_VECTOR_WIDTH_FLOAT, sizeof w, &w, NULL) == CL_SUCCESS)
        p->native_vector_float = w;
    p->has_subgroups = device_has_subgroups(info);
    p->reduction_group = p->is_cpu_class ? CT_CPU_REDUCTION_GROUP : 0;

    char cpu[64];
    int pocl = pocl_cpu_name(info, cpu, sizeof cpu);
    if (pocl)
        snprintf(p->arch, sizeof p->arch, "%s", cpu);
    else
        snprintf(p->arch, sizeof p->arch, "%.63s", info->name);
    unsigned reported = p->preferred_vector_float ? p->preferred_vector_float : p->native_vector_float;
    unsigned width = pow2_floor(reported ? reported : 4);
    int x86 = strstr(info->device_version, "x86_64") != NULL || strstr(info->device_version, "i386") != NULL;
    unsigned isa = pocl && x86 ? x86_vector_floats(cpu) : 0;
    if (isa && isa < width)
        width = isa;
    p->vector_floats = width;
    if (p->is_cpu_class)
        p->vector_registers = x86 ? (width >= 16 ? 32 : 16) : strstr(info->device_version, "aarch64") ? 32 : 16;

    p->gemm_default = ct_gemm_tile_default(p->vector_registers, p->vector_floats, p->max_work_group_size);
    p->gemm = p->gemm_default;
    p->gemm_origin = CT_TILE_DEFAULT;
    ct_gemm_tile t = p->gemm;
    const char *env = getenv("CLTRAIN_GEMM_TILE");
    if (env && *env && ct_gemm_tile_parse(env, &t)) {
        p->gemm = t;
        p->gemm_origin = CT_TILE_ENV;
    } else if (p->is_cpu_class && load_tuned(info, &t)) {
        p->gemm = t;
        p->gemm_origin = CT_TILE_TUNED;
    }

    /* The conv tile, by the vector width the kernels compute in (CT_VW). */
    unsigned vw = ct_profile_kernel_vector(p);
    p->conv_default = ct_conv_tile_default(p->vector_registers, vw);
    p->conv = p->conv_default;
    p->conv_origin = CT_TILE_DEFAULT;
    const char *conv_env = getenv("CLTRAIN_CONV_TILE");
    ct_conv_tile c;
    if (conv_env && *conv_env && ct_conv_tile_parse(conv_env, vw, &c)) {
        p->conv = c;
        p->conv_origin = CT_TILE_CONV_ENV;
    } else if (p->is_cpu_class && load_tuned_conv(info, "conv", vw, &c)) {
        p->conv = c;
        p->conv_origin = CT_TILE_TUNED;
    }
    /* The Winograd tile: its own variable, else CLTRAIN_CONV_TILE (both
     * kinds), else its tuned entry, else the default. */
    p->winograd = p->conv_default;
    p->winograd_origin = CT_TILE_DEFAULT;
    const char *wino_env = getenv("CLTRAIN_WINOGRAD_TILE");
    if (wino_env && *wino_env && ct_conv_tile_parse(wino_env, vw, &c)) {
        p->winograd = c;
        p->winograd_origin = CT_TILE_WINOGRAD_ENV;
    } else if (p->conv_origin == CT_TILE_CONV_ENV) {
        p->winograd = p->conv;
        p->winograd_origin = CT_TILE_CONV_ENV;
    } else if (p->is_cpu_class && load_tuned_conv(info, "winograd", vw, &c)) {
        p->winograd = c;
        p->winograd_origin = CT_TILE_TUNED;
    }
}

void ct_profile_build_options(const ct_device_info *info, const char *program, char *buf, size_t size)
{
    const ct_device_profile *p = &info->profile;
    size_t used = strlen(buf);
    if (used + 1 >= size)
        return;
    int n = snprintf(buf + used, size - used, " -DCT_VEC=%u -DCT_VREGS=%u -DCT_CPU_CLASS=%d", p->vector_floats,
                     p->vector_registers, p->is_cpu_class);
    if (n < 0 || (size_t)n >= size - used)
        return;
    used += (size_t)n;
    if (!strncmp(program, "gemm", 4)) {
        const ct_gemm_tile *t = &p->gemm;
        snprintf(buf + used, size - used,
                 " -DCT_GEMM_MR=%d -DCT_GEMM_NV=%d -DCT_GEMM_VW=%d -DCT_GEMM_KU=%d -DCT_GEMM_PT=%d -DCT_GEMM_PW=%d",
                 t->rows, t->vectors, t->width, t->k_unroll, t->wg_side, t->wg_work);
    } else if (!strncmp(program, "conv_tiled", 10)) {
        snprintf(buf + used, size - used, " -DCT_CONV_TM=%d -DCT_CONV_NV=%d", p->conv.rows, p->conv.vectors);
    } else if (!strncmp(program, "conv_winograd", 13)) {
        snprintf(buf + used, size - used, " -DCT_CONV_TM=%d -DCT_CONV_NV=%d", p->winograd.rows,
                 p->winograd.vectors);
    }
}
