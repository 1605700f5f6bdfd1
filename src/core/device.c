/* Platform and device enumeration, capabilities and selection. */
#include "cltrain/device.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <strings.h>

#include <CL/cl_ext.h>

#include "core/profile.h"
#include "core/program.h"

const char *ct_device_type_name(ct_device_type t)
{
    switch (t) {
    case CT_DEVICE_CPU: return "cpu";
    case CT_DEVICE_GPU: return "gpu";
    case CT_DEVICE_ACCELERATOR: return "accelerator";
    default: return "other";
    }
}

static void get_platform_string(cl_platform_id p, cl_platform_info what, char *buf, size_t size)
{
    buf[0] = '\0';
    if (clGetPlatformInfo(p, what, size, buf, NULL) != CL_SUCCESS)
        snprintf(buf, size, "?");
    buf[size - 1] = '\0';
}

static void get_device_string(cl_device_id d, cl_device_info what, char *buf, size_t size)
{
    buf[0] = '\0';
    if (clGetDeviceInfo(d, what, size, buf, NULL) != CL_SUCCESS)
        snprintf(buf, size, "?");
    buf[size - 1] = '\0';
    /* Some drivers pad names with spaces. */
    size_t n = strlen(buf);
    while (n > 0 && isspace((unsigned char)buf[n - 1]))
        buf[--n] = '\0';
}

static cl_ulong get_device_ulong(cl_device_id d, cl_device_info what)
{
    cl_ulong v = 0;
    clGetDeviceInfo(d, what, sizeof v, &v, NULL);
    return v;
}

static cl_uint get_device_uint(cl_device_id d, cl_device_info what)
{
    cl_uint v = 0;
    clGetDeviceInfo(d, what, sizeof v, &v, NULL);
    return v;
}

static int has_extension(cl_device_id d, const char *ext)
{
    size_t size = 0;
    if (clGetDeviceInfo(d, CL_DEVICE_EXTENSIONS, 0, NULL, &size) != CL_SUCCESS || size == 0)
        return 0;
    char *exts = malloc(size + 1);
    if (!exts)
        return 0;
    int found = 0;
    if (clGetDeviceInfo(d, CL_DEVICE_EXTENSIONS, size, exts, NULL) == CL_SUCCESS) {
        exts[size] = '\0';
        size_t len = strlen(ext);
        for (const char *p = strstr(exts, ext); p; p = strstr(p + 1, ext))
            if ((p == exts || p[-1] == ' ') && (p[len] == ' ' || p[len] == '\0')) {
                found = 1;
                break;
            }
    }
    free(exts);
    return found;
}

/* The hash of the sources of programs `names` (NULL-terminated) as they are
 * built: a tuned parameter holds for those sources only. 0 when one is
 * missing (no tuned value can match then). */
static unsigned long long sources_hash(const char *const *names)
{
    unsigned long long hash = 0;
    for (; *names; names++) {
        char *src = NULL;
        size_t len = 0;
        if (ct_program_source(*names, &src, &len) != CT_OK) {
            ct_clear_error();
            return 0;
        }
        hash = ct_hash64(src, len, hash);
        free(src);
    }
    return hash;
}

/* Of cl/gemm_tile.cl (the GEMM tile's program) and of the programs built
 * with the tiled and the Winograd conv tiles; computed once per process. */
static unsigned long long gemm_source_hash(void)
{
    static unsigned long long hash;
    static int known;
    static const char *const names[] = {"gemm_tile", NULL};
    if (!known)
        hash = sources_hash(names);
    known = 1;
    return hash;
}

static unsigned long long conv_source_hash(void)
{
    static unsigned long long hash;
    static int known;
    static const char *const names[] = {"conv_tiled", NULL};
    if (!known)
        hash = sources_hash(names);
    known = 1;
    return hash;
}

static unsigned long long winograd_source_hash(void)
{
    static unsigned long long hash;
    static int known;
    static const char *const names[] = {"conv_winograd", "conv_winograd4", NULL};
    if (!known)
        hash = sources_hash(names);
    known = 1;
    return hash;
}

static void fill_info(ct_device_info *info, cl_platform_id p, cl_device_id d)
{
    info->platform = p;
    info->device = d;
    get_platform_string(p, CL_PLATFORM_NAME, info->platform_name, sizeof info->platform_name);
    get_platform_string(p, CL_PLATFORM_VERSION, info->platform_version, sizeof info->platform_version);
    get_device_string(d, CL_DEVICE_NAME, info->name, sizeof info->name);
    get_device_string(d, CL_DEVICE_VENDOR, info->vendor, sizeof info->vendor);
    get_device_string(d, CL_DRIVER_VERSION, info->driver_version, sizeof info->driver_version);
    get_device_string(d, CL_DEVICE_VERSION, info->device_version, sizeof info->device_version);
    get_device_string(d, CL_DEVICE_OPENCL_C_VERSION, info->opencl_c_version, sizeof info->opencl_c_version);

    cl_device_type type = 0;
    clGetDeviceInfo(d, CL_DEVICE_TYPE, sizeof type, &type, NULL);
    info->type = (type & CL_DEVICE_TYPE_GPU)           ? CT_DEVICE_GPU
                 : (type & CL_DEVICE_TYPE_CPU)         ? CT_DEVICE_CPU
                 : (type & CL_DEVICE_TYPE_ACCELERATOR) ? CT_DEVICE_ACCELERATOR
                                                       : CT_DEVICE_OTHER;
    info->compute_units = get_device_uint(d, CL_DEVICE_MAX_COMPUTE_UNITS);
    info->clock_mhz = get_device_uint(d, CL_DEVICE_MAX_CLOCK_FREQUENCY);
    info->global_mem_bytes = get_device_ulong(d, CL_DEVICE_GLOBAL_MEM_SIZE);
    info->local_mem_bytes = get_device_ulong(d, CL_DEVICE_LOCAL_MEM_SIZE);
    info->max_alloc_bytes = get_device_ulong(d, CL_DEVICE_MAX_MEM_ALLOC_SIZE);
    size_t wg = 0;
    clGetDeviceInfo(d, CL_DEVICE_MAX_WORK_GROUP_SIZE, sizeof wg, &wg, NULL);
    info->max_work_group_size = wg;
    info->has_fp16 = has_extension(d, "cl_khr_fp16");
    info->has_fp64 = has_extension(d, "cl_khr_fp64");
    info->preferred_vector_width_float = get_device_uint(d, CL_DEVICE_PREFERRED_VECTOR_WIDTH_FLOAT);
    ct_profile_compute(info, gemm_source_hash(), conv_source_hash(), winograd_source_hash());
}

#define NO_PLATFORM_HINT                                                                        \
    "install an OpenCL driver: on Debian/Ubuntu 'sudo apt-get install pocl-opencl-icd' runs " \
    "on the CPU; GPU vendors ship their own (e.g. nvidia-opencl-icd, mesa-opencl-icd, "        \
    "intel-opencl-icd). Check /etc/OpenCL/vendors/*.icd and OCL_ICD_VENDORS"

static int opencl_used; /* a platform query has been made in this process */

int ct_device_limit_cpu_threads(unsigned threads)
{
    if (opencl_used || getenv("POCL_MAX_PTHREAD_COUNT"))
        return 0;
    char value[16];
    snprintf(value, sizeof value, "%u", threads);
    return setenv("POCL_MAX_PTHREAD_COUNT", value, 0) == 0;
}

ct_status ct_device_list(ct_device_info **out, size_t *count)
{
    *out = NULL;
    *count = 0;
    opencl_used = 1;
    cl_uint nplat = 0;
    cl_int err = clGetPlatformIDs(0, NULL, &nplat);
    if (err == CL_PLATFORM_NOT_FOUND_KHR || (err == CL_SUCCESS && nplat == 0))
        return ct_fail(CT_ERR_NO_PLATFORM, "no OpenCL platform found (the ICD loader found no driver): %s",
                       NO_PLATFORM_HINT);
    if (err != CL_SUCCESS)
        return ct_fail(CT_ERR_NO_PLATFORM, "clGetPlatformIDs failed with %s: %s", ct_cl_error_name(err),
                       NO_PLATFORM_HINT);

    cl_platform_id *platforms = calloc(nplat, sizeof *platforms);
    if (!platforms)
        return ct_fail(CT_ERR_NO_MEMORY, "listing %u OpenCL platforms", nplat);
    err = clGetPlatformIDs(nplat, platforms, NULL);
    if (err != CL_SUCCESS) {
        free(platforms);
        return ct_cl_fail(err, "clGetPlatformIDs");
    }

    ct_device_info *list = NULL;
    size_t n = 0;
    ct_status status = CT_OK;
    for (cl_uint p = 0; p < nplat && status == CT_OK; p++) {
        cl_uint ndev = 0;
        /* A platform with no devices (or a broken one) is skipped, not fatal. */
        if (clGetDeviceIDs(platforms[p], CL_DEVICE_TYPE_ALL, 0, NULL, &ndev) != CL_SUCCESS || ndev == 0)
            continue;
        cl_device_id *ids = calloc(ndev, sizeof *ids);
        ct_device_info *grown = realloc(list, (n + ndev) * sizeof *list);
        if (!ids || !grown) {
            free(ids);
            if (grown)
                list = grown;
            status = ct_fail(CT_ERR_NO_MEMORY, "listing OpenCL devices");
            break;
        }
        list = grown;
        if (clGetDeviceIDs(platforms[p], CL_DEVICE_TYPE_ALL, ndev, ids, NULL) == CL_SUCCESS) {
            for (cl_uint d = 0; d < ndev; d++) {
                memset(&list[n], 0, sizeof list[n]);
                list[n].platform_index = p;
                list[n].device_index = d;
                fill_info(&list[n], platforms[p], ids[d]);
                n++;
            }
        }
        free(ids);
    }
    free(platforms);
    if (status != CT_OK) {
        free(list);
        return status;
    }
    if (n == 0) {
        free(list);
        return ct_fail(CT_ERR_NO_DEVICE, "%u OpenCL platform(s) found but none has a device: %s", nplat,
                       NO_PLATFORM_HINT);
    }
    *out = list;
    *count = n;
    return CT_OK;
}

const char *ct_device_spec_from_env(const char *explicit_spec)
{
    if (explicit_spec && *explicit_spec)
        return explicit_spec;
    const char *env = getenv("CLTRAIN_DEVICE");
    return (env && *env) ? env : NULL;
}

static int contains_ignore_case(const char *hay, const char *needle)
{
    size_t nlen = strlen(needle);
    for (; *hay; hay++) {
        size_t i = 0;
        while (i < nlen && hay[i] && tolower((unsigned char)hay[i]) == tolower((unsigned char)needle[i]))
            i++;
        if (i == nlen)
            return 1;
    }
    return nlen == 0;
}

/* "P:D" with both parts decimal; returns 1 and fills p, d if spec has that form. */
static int parse_index_spec(const char *spec, unsigned *p, unsigned *d)
{
    char *end;
    if (!isdigit((unsigned char)spec[0]))
        return 0;
    unsigned long pp = strtoul(spec, &end, 10);
    if (*end != ':' || !isdigit((unsigned char)end[1]))
        return 0;
    unsigned long dd = strtoul(end + 1, &end, 10);
    if (*end != '\0')
        return 0;
    *p = (unsigned)pp;
    *d = (unsigned)dd;
    return 1;
}

static void describe_devices(const ct_device_info *devices, size_t count, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < count && used < size; i++) {
        int w = snprintf(buf + used, size - used, "%s%u:%u %s (%s)", i ? ", " : "", devices[i].platform_index,
                         devices[i].device_index, devices[i].name, ct_device_type_name(devices[i].type));
        if (w < 0)
            break;
        used += (size_t)w;
    }
}

/* Best device of a type: most compute units, first on a tie. */
static int best_of_type(const ct_device_info *devices, size_t count, ct_device_type type, size_t *index)
{
    int found = 0;
    for (size_t i = 0; i < count; i++)
        if (devices[i].type == type && (!found || devices[i].compute_units > devices[*index].compute_units)) {
            *index = i;
            found = 1;
        }
    return found;
}

ct_status ct_device_select(const ct_device_info *devices, size_t count, const char *spec, size_t *index_out)
{
    char found[1024];
    if (count == 0)
        return ct_fail(CT_ERR_NO_DEVICE, "no OpenCL device to select from: %s", NO_PLATFORM_HINT);

    if (!spec || !*spec) {
        if (best_of_type(devices, count, CT_DEVICE_GPU, index_out) ||
            best_of_type(devices, count, CT_DEVICE_CPU, index_out))
            return CT_OK;
        *index_out = 0;
        return CT_OK;
    }

    unsigned p, d;
    if (parse_index_spec(spec, &p, &d)) {
        for (size_t i = 0; i < count; i++)
            if (devices[i].platform_index == p && devices[i].device_index == d) {
                *index_out = i;
                return CT_OK;
            }
        describe_devices(devices, count, found, sizeof found);
        return ct_fail(CT_ERR_NO_DEVICE, "device '%s' does not exist; found: %s", spec, found);
    }

    static const struct {
        const char *word;
        ct_device_type type;
    } types[] = {{"cpu", CT_DEVICE_CPU}, {"gpu", CT_DEVICE_GPU}, {"accelerator", CT_DEVICE_ACCELERATOR}};
    for (size_t t = 0; t < sizeof types / sizeof types[0]; t++)
        if (!strcasecmp(spec, types[t].word)) {
            if (best_of_type(devices, count, types[t].type, index_out))
                return CT_OK;
            describe_devices(devices, count, found, sizeof found);
            return ct_fail(CT_ERR_NO_DEVICE, "no %s device; found: %s%s", types[t].word, found,
                           types[t].type == CT_DEVICE_CPU ? " (for a CPU device install pocl-opencl-icd)" : "");
        }

    for (size_t i = 0; i < count; i++)
        if (contains_ignore_case(devices[i].name, spec)) {
            *index_out = i;
            return CT_OK;
        }
    describe_devices(devices, count, found, sizeof found);
    return ct_fail(CT_ERR_NO_DEVICE,
                   "no device matches '%s' (expected P:D, cpu, gpu, accelerator or part of a device name); "
                   "found: %s",
                   spec, found);
}

ct_status ct_device_find(const char *spec, ct_device_info *out)
{
    ct_device_info *list;
    size_t count, index;
    CT_TRY(ct_device_list(&list, &count));
    ct_status s = ct_device_select(list, count, spec, &index);
    if (s == CT_OK)
        *out = list[index];
    free(list);
    return s;
}
