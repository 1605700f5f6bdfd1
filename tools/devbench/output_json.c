/* The report as JSON (format DB_FORMAT_NAME, version DB_FORMAT_VERSION):
 *
 * {"format": "cltrain-devbench", "format_version": 1, "created": "...Z",
 *  "max_time_s": 0.5,
 *  "devices": [{"index": "0:0", "name": ..., "vendor": ..., "platform": ...,
 *     "driver": ..., "version": ..., "type": "cpu", "compute_units": 2,
 *     "clock_mhz": 2596, "global_mem_bytes": ..., "status": "ok", "reason": "",
 *     "gemm_choice_source": "cache",
 *     "gemm_classes": [{"class": "small", "chosen": "own", "fastest": "own"}],
 *     "rows": [{"test": "bandwidth", "metric": "copy float4", "unit": "GB/s",
 *        "better": "higher", "status": "ok", "reason": "", "tag": "", "note": "",
 *        "median": 1, "min": 1, "max": 1, "q1": 1, "q3": 1, "runs": 12}]}]}
 *
 * Numbers of rows that are not ok are null. Written to FILE.tmp, then renamed. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "devbench.h"

static void put_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"':
            fputs("\\\"", f);
            break;
        case '\\':
            fputs("\\\\", f);
            break;
        case '\n':
            fputs("\\n", f);
            break;
        case '\r':
            fputs("\\r", f);
            break;
        case '\t':
            fputs("\\t", f);
            break;
        default:
            if (*p < 0x20)
                fprintf(f, "\\u%04x", *p);
            else
                fputc(*p, f);
        }
    }
    fputc('"', f);
}

static void put_key_string(FILE *f, const char *indent, const char *key, const char *value, int comma)
{
    fprintf(f, "%s\"%s\": ", indent, key);
    put_string(f, value);
    fputs(comma ? ",\n" : "\n", f);
}

static void put_number(FILE *f, double v, int ok)
{
    if (ok && isfinite(v))
        fprintf(f, "%.9g", v);
    else
        fputs("null", f);
}

static void put_row(FILE *f, const db_row *row, int comma)
{
    const char *in = "          ";
    fputs("        {\n", f);
    put_key_string(f, in, "test", row->test, 1);
    put_key_string(f, in, "metric", row->metric, 1);
    put_key_string(f, in, "unit", row->unit, 1);
    put_key_string(f, in, "better", row->better == DB_HIGHER_IS_BETTER ? "higher" : "lower", 1);
    put_key_string(f, in, "status", db_status_name(row->status), 1);
    put_key_string(f, in, "reason", row->reason, 1);
    put_key_string(f, in, "tag", row->tag, 1);
    put_key_string(f, in, "note", row->note, 1);
    const char *names[] = {"median", "min", "max", "q1", "q3"};
    const double values[] = {row->median, row->min, row->max, row->q1, row->q3};
    int ok = row->status == DB_OK;
    for (int i = 0; i < 5; i++) {
        fprintf(f, "%s\"%s\": ", in, names[i]);
        put_number(f, values[i], ok);
        fputs(",\n", f);
    }
    if (row->step_flops > 0 || row->step_bytes > 0 || row->step_launches > 0)
        fprintf(f, "%s\"step_flops\": %.9g,\n%s\"step_bytes\": %.9g,\n%s\"step_launches\": %.9g,\n", in,
                row->step_flops, in, row->step_bytes, in, row->step_launches);
    fprintf(f, "%s\"runs\": %d\n", in, ok ? row->runs : 0);
    fputs(comma ? "        },\n" : "        }\n", f);
}

static void put_device(FILE *f, const db_device *d, int comma)
{
    const char *in = "      ";
    fputs("    {\n", f);
    put_key_string(f, in, "index", d->index, 1);
    put_key_string(f, in, "name", d->name, 1);
    put_key_string(f, in, "vendor", d->vendor, 1);
    put_key_string(f, in, "platform", d->platform, 1);
    put_key_string(f, in, "driver", d->driver, 1);
    put_key_string(f, in, "version", d->version, 1);
    put_key_string(f, in, "type", d->type, 1);
    fprintf(f, "%s\"compute_units\": %u,\n", in, d->compute_units);
    fprintf(f, "%s\"clock_mhz\": %u,\n", in, d->clock_mhz);
    fprintf(f, "%s\"global_mem_bytes\": %llu,\n", in, d->global_mem_bytes);
    put_key_string(f, in, "status", db_status_name(d->status), 1);
    put_key_string(f, in, "reason", d->reason, 1);
    put_key_string(f, in, "gemm_choice_source", d->gemm_choice_source, 1);
    put_key_string(f, in, "profile", d->profile, 1); /* the tiles in use and where they came from */
    fprintf(f, "%s\"gemm_classes\": [", in);
    for (size_t c = 0; c < d->gemm_class_count; c++) {
        const db_gemm_class *gc = &d->gemm_classes[c];
        fputs(c ? ", {\"class\": " : "{\"class\": ", f);
        put_string(f, gc->shape_class);
        fputs(", \"chosen\": ", f);
        put_string(f, gc->chosen);
        fputs(", \"fastest\": ", f);
        put_string(f, gc->fastest);
        fputc('}', f);
    }
    fputs("],\n", f);
    fprintf(f, "%s\"rows\": [\n", in);
    for (size_t i = 0; i < d->row_count; i++)
        put_row(f, &d->rows[i], i + 1 < d->row_count);
    fprintf(f, "%s]\n", in);
    fputs(comma ? "    },\n" : "    }\n", f);
}

ct_status db_write_json(const char *path, const db_report *r)
{
    size_t len = strlen(path);
    char *tmp = malloc(len + 5);
    if (!tmp)
        return ct_fail(CT_ERR_NO_MEMORY, "writing %s", path);
    memcpy(tmp, path, len);
    memcpy(tmp + len, ".tmp", 5);
    FILE *f = fopen(tmp, "w");
    if (!f) {
        free(tmp);
        return ct_fail(CT_ERR_IO, "cannot write %s", path);
    }
    fputs("{\n", f);
    put_key_string(f, "  ", "format", DB_FORMAT_NAME, 1);
    fprintf(f, "  \"format_version\": %d,\n", r->format_version);
    put_key_string(f, "  ", "created", r->created, 1);
    fprintf(f, "  \"max_time_s\": %.9g,\n", r->max_time_s);
    fputs("  \"devices\": [\n", f);
    for (size_t d = 0; d < r->device_count; d++)
        put_device(f, &r->devices[d], d + 1 < r->device_count);
    fputs("  ]\n}\n", f);
    int failed = ferror(f);
    failed |= fclose(f) != 0;
    if (failed || rename(tmp, path) != 0) {
        remove(tmp);
        free(tmp);
        return ct_fail(CT_ERR_IO, "writing %s failed", path);
    }
    free(tmp);
    return CT_OK;
}
