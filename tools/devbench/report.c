/* The report: devices and their rows, grown as measurements finish. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "devbench.h"

const char *db_status_name(db_status s)
{
    switch (s) {
    case DB_OK:
        return "ok";
    case DB_UNSUPPORTED:
        return "unsupported";
    default:
        return "error";
    }
}

void db_report_init(db_report *r, double max_time_s)
{
    memset(r, 0, sizeof *r);
    r->format_version = DB_FORMAT_VERSION;
    r->max_time_s = max_time_s;
    time_t t = time(NULL);
    struct tm utc;
    if (gmtime_r(&t, &utc))
        strftime(r->created, sizeof r->created, "%Y-%m-%dT%H:%M:%SZ", &utc);
}

void db_report_free(db_report *r)
{
    for (size_t i = 0; i < r->device_count; i++)
        free(r->devices[i].rows);
    free(r->devices);
    memset(r, 0, sizeof *r);
}

db_device *db_report_add_device(db_report *r)
{
    db_device *grown = realloc(r->devices, (r->device_count + 1) * sizeof *grown);
    if (!grown)
        return NULL;
    r->devices = grown;
    db_device *d = &r->devices[r->device_count++];
    memset(d, 0, sizeof *d);
    return d;
}

/* snprintf into a fixed field, silently cut: names longer than the field are
 * still unique enough to match. */
#define SET_FIELD(field, value) snprintf((field), sizeof(field), "%s", (value) ? (value) : "")

void db_device_describe(db_device *d, const ct_device_info *info)
{
    snprintf(d->index, sizeof d->index, "%u:%u", info->platform_index, info->device_index);
    SET_FIELD(d->name, info->name);
    SET_FIELD(d->vendor, info->vendor);
    SET_FIELD(d->platform, info->platform_name);
    SET_FIELD(d->driver, info->driver_version);
    SET_FIELD(d->version, info->device_version);
    SET_FIELD(d->type, ct_device_type_name(info->type));
    d->compute_units = info->compute_units;
    d->clock_mhz = info->clock_mhz;
    d->global_mem_bytes = (unsigned long long)info->global_mem_bytes;
    const ct_device_profile *p = &info->profile;
    char tile[64], conv[64], wino[64];
    snprintf(d->profile, sizeof d->profile,
             "arch %s, float%u, %u vector registers; own GEMM tile %s (%s); conv tile %s (%s), Winograd %s (%s)",
             p->arch, p->vector_floats, p->vector_registers, ct_gemm_tile_str(&p->gemm, 1, tile, sizeof tile),
             ct_tile_origin_name(p->gemm_origin),
             ct_conv_tile_str(&p->conv, ct_profile_kernel_vector(p), 1, conv, sizeof conv),
             ct_tile_origin_name(p->conv_origin),
             ct_conv_tile_str(&p->winograd, ct_profile_kernel_vector(p), 1, wino, sizeof wino),
             ct_tile_origin_name(p->winograd_origin));
}

db_row *db_device_add_row(db_device *d, const char *test, const char *metric, const char *unit, db_better better)
{
    if (d->row_count == d->row_cap) {
        size_t cap = d->row_cap ? 2 * d->row_cap : 32;
        db_row *grown = realloc(d->rows, cap * sizeof *grown);
        if (!grown)
            return NULL;
        d->rows = grown;
        d->row_cap = cap;
    }
    db_row *row = &d->rows[d->row_count++];
    memset(row, 0, sizeof *row);
    SET_FIELD(row->test, test);
    SET_FIELD(row->metric, metric);
    SET_FIELD(row->unit, unit);
    row->better = better;
    row->status = DB_OK;
    return row;
}

db_row *db_device_add_failed_row(db_device *d, const char *test, const char *metric, const char *unit,
                                 db_status status, const char *fmt, ...)
{
    db_row *row = db_device_add_row(d, test, metric, unit, DB_HIGHER_IS_BETTER);
    if (!row)
        return NULL;
    row->status = status;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(row->reason, sizeof row->reason, fmt, ap);
    va_end(ap);
    return row;
}

const db_row *db_device_find_row(const db_device *d, const char *test, const char *metric)
{
    return db_device_row((db_device *)d, test, metric);
}

db_row *db_device_row(db_device *d, const char *test, const char *metric)
{
    for (size_t i = 0; i < d->row_count; i++)
        if (!strcmp(d->rows[i].test, test) && !strcmp(d->rows[i].metric, metric))
            return &d->rows[i];
    return NULL;
}

const db_device *db_report_find_device(const db_report *r, const char *name)
{
    for (size_t i = 0; i < r->device_count; i++)
        if (!strcmp(r->devices[i].name, name))
            return &r->devices[i];
    return NULL;
}

db_gemm_class *db_device_gemm_class(db_device *d, const char *shape_class)
{
    for (size_t i = 0; i < d->gemm_class_count; i++)
        if (!strcmp(d->gemm_classes[i].shape_class, shape_class))
            return &d->gemm_classes[i];
    if (d->gemm_class_count == DB_MAX_GEMM_CLASSES)
        return NULL;
    db_gemm_class *c = &d->gemm_classes[d->gemm_class_count++];
    memset(c, 0, sizeof *c);
    SET_FIELD(c->shape_class, shape_class);
    return c;
}

static const struct {
    const char *name;
    unsigned bit;
} test_table[] = {
    {"bandwidth", DB_TEST_BANDWIDTH}, {"transfer", DB_TEST_TRANSFER}, {"launch", DB_TEST_LAUNCH},
    {"compute", DB_TEST_COMPUTE},     {"gemm", DB_TEST_GEMM},         {"conv", DB_TEST_CONV},
    {"experiment", DB_TEST_EXPERIMENT},
};

unsigned db_test_bit(const char *name)
{
    for (size_t i = 0; i < sizeof test_table / sizeof test_table[0]; i++)
        if (!strcmp(name, test_table[i].name))
            return test_table[i].bit;
    return 0;
}

const char *db_test_names(void)
{
    return "bandwidth, transfer, launch, compute, gemm, conv, experiment";
}
