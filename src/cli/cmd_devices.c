/* `cltrain devices [--json]`: every OpenCL platform and device with its limits. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_util.h"
#include "cli/commands.h"

static void json_string(FILE *out, const char *s)
{
    fputc('"', out);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(out, "\\%c", c);
        else if (c < 0x20)
            fprintf(out, "\\u%04x", c);
        else
            fputc(c, out);
    }
    fputc('"', out);
}

static void print_json(const ct_device_info *d, size_t n, size_t selected)
{
    printf("{\n  \"devices\": [\n");
    for (size_t i = 0; i < n; i++) {
        printf("    {\"index\": \"%u:%u\", \"platform\": ", d[i].platform_index, d[i].device_index);
        json_string(stdout, d[i].platform_name);
        printf(", \"platform_version\": ");
        json_string(stdout, d[i].platform_version);
        printf(", \"name\": ");
        json_string(stdout, d[i].name);
        printf(", \"vendor\": ");
        json_string(stdout, d[i].vendor);
        printf(", \"type\": \"%s\", \"driver_version\": ", ct_device_type_name(d[i].type));
        json_string(stdout, d[i].driver_version);
        printf(", \"device_version\": ");
        json_string(stdout, d[i].device_version);
        printf(", \"opencl_c_version\": ");
        json_string(stdout, d[i].opencl_c_version);
        printf(", \"compute_units\": %u, \"clock_mhz\": %u, \"global_mem_bytes\": %llu, \"local_mem_bytes\": %llu, "
               "\"max_alloc_bytes\": %llu, \"max_work_group_size\": %zu, \"fp16\": %s, \"fp64\": %s, "
               "\"default\": %s, ",
               d[i].compute_units, d[i].clock_mhz, (unsigned long long)d[i].global_mem_bytes,
               (unsigned long long)d[i].local_mem_bytes, (unsigned long long)d[i].max_alloc_bytes,
               d[i].max_work_group_size, d[i].has_fp16 ? "true" : "false", d[i].has_fp64 ? "true" : "false",
               i == selected ? "true" : "false");
        const ct_device_profile *p = &d[i].profile;
        char tile[64], conv[64], wino[64];
        printf("\"profile\": {\"cpu_class\": %s, \"arch\": ", p->is_cpu_class ? "true" : "false");
        json_string(stdout, p->arch);
        printf(", \"vector_floats\": %u, \"preferred_vector_float\": %u, \"native_vector_float\": %u, "
               "\"vector_registers\": %u, \"local_mem_dedicated\": %s, \"subgroups\": %s, \"gemm_tile\": \"%s\", "
               "\"gemm_tile_origin\": \"%s\", \"conv_tile\": \"%s\", \"conv_tile_origin\": \"%s\", "
               "\"winograd_tile\": \"%s\", \"winograd_tile_origin\": \"%s\"}}%s\n",
               p->vector_floats, p->preferred_vector_float, p->native_vector_float, p->vector_registers,
               p->local_mem_dedicated ? "true" : "false", p->has_subgroups ? "true" : "false",
               ct_gemm_tile_str(&p->gemm, 1, tile, sizeof tile), ct_tile_origin_name(p->gemm_origin),
               ct_conv_tile_str(&p->conv, ct_profile_kernel_vector(p), 1, conv, sizeof conv),
               ct_tile_origin_name(p->conv_origin),
               ct_conv_tile_str(&p->winograd, ct_profile_kernel_vector(p), 1, wino, sizeof wino),
               ct_tile_origin_name(p->winograd_origin), i + 1 < n ? "," : "");
    }
    printf("  ]\n}\n");
}

static void print_table(const ct_device_info *d, size_t n, size_t selected)
{
    const char *last_platform = NULL;
    for (size_t i = 0; i < n; i++) {
        if (!last_platform || strcmp(last_platform, d[i].platform_name) != 0 || d[i].device_index == 0) {
            printf("Platform %u: %s (%s)\n", d[i].platform_index, d[i].platform_name, d[i].platform_version);
            last_platform = d[i].platform_name;
        }
        printf("  %s %u:%u  %s\n", i == selected ? "*" : " ", d[i].platform_index, d[i].device_index, d[i].name);
        printf("        type %-11s vendor %s\n", ct_device_type_name(d[i].type), d[i].vendor);
        printf("        driver %s, %s, %s\n", d[i].driver_version, d[i].device_version, d[i].opencl_c_version);
        printf("        %u compute units at %u MHz, global memory %.1f GiB (max buffer %.1f GiB), local %llu KiB\n",
               d[i].compute_units, d[i].clock_mhz, (double)d[i].global_mem_bytes / 1073741824.0,
               (double)d[i].max_alloc_bytes / 1073741824.0, (unsigned long long)(d[i].local_mem_bytes / 1024));
        printf("        max work-group %zu, fp16 %s, fp64 %s, preferred float vector width %u\n",
               d[i].max_work_group_size, d[i].has_fp16 ? "yes" : "no", d[i].has_fp64 ? "yes" : "no",
               d[i].preferred_vector_width_float);
        const ct_device_profile *p = &d[i].profile;
        char tile[64];
        printf("        profile: %s, arch %s, float%u vectors (preferred %u, native %u)", p->is_cpu_class ? "CPU class" : "GPU class",
               p->arch, p->vector_floats, p->preferred_vector_float, p->native_vector_float);
        if (p->vector_registers)
            printf(", %u vector registers", p->vector_registers);
        printf("\n        local memory %s, sub-groups %s, GEMM tile %s (%s)\n",
               p->local_mem_dedicated ? "on chip" : "in global memory", p->has_subgroups ? "yes" : "no",
               ct_gemm_tile_str(&p->gemm, 0, tile, sizeof tile), ct_tile_origin_name(p->gemm_origin));
        if (p->is_cpu_class) {
            char wino[64];
            printf("        conv tile %s (%s), Winograd tile %s (%s)\n",
                   ct_conv_tile_str(&p->conv, ct_profile_kernel_vector(p), 0, tile, sizeof tile),
                   ct_tile_origin_name(p->conv_origin),
                   ct_conv_tile_str(&p->winograd, ct_profile_kernel_vector(p), 0, wino, sizeof wino),
                   ct_tile_origin_name(p->winograd_origin));
        }
    }
    printf("\n* = the device cltrain uses by default here (choose with --device or CLTRAIN_DEVICE:\n"
           "    P:D, cpu, gpu, accelerator, or part of the name)\n");
}

int ct_cmd_devices(int argc, char **argv)
{
    int json = 0;
    const char *spec = NULL;
    for (int i = 1; i < argc; i++) {
        const char *v;
        if (!strcmp(argv[i], "--json"))
            json = 1;
        else if ((v = ct_cli_option(argc, argv, &i, "--device")))
            spec = v;
        else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("usage: cltrain devices [--json] [--device SPEC]\n"
                   "Lists every OpenCL platform and device; * marks the one selected by SPEC\n"
                   "(default: $CLTRAIN_DEVICE, else the GPU with most compute units, else the CPU).\n");
            return 0;
        } else {
            fprintf(stderr, "cltrain devices: unknown option '%s' (try --help)\n", argv[i]);
            return 2;
        }
    }
    ct_device_info *devices;
    size_t count, selected = (size_t)-1;
    ct_status s = ct_device_list(&devices, &count);
    if (s != CT_OK)
        return ct_cli_error(s);
    s = ct_device_select(devices, count, ct_device_spec_from_env(spec), &selected);
    if (s != CT_OK) {
        free(devices);
        return ct_cli_error(s);
    }
    if (json)
        print_json(devices, count, selected);
    else
        print_table(devices, count, selected);
    free(devices);
    return 0;
}
