/* The report as CSV: one line per row, each line carrying the format version
 * and its device's metadata, so a spreadsheet or pandas needs nothing else.
 * Numbers of rows that are not ok are empty; a skipped device has one line,
 * test "device", metric "open", with its status and reason. Quoting as RFC 4180. */
#include <math.h>
#include <string.h>

#include "devbench.h"

static void put_field(FILE *f, const char *s, int last)
{
    if (strpbrk(s, ",\"\n\r")) {
        fputc('"', f);
        for (; *s; s++) {
            if (*s == '"')
                fputc('"', f);
            fputc(*s, f);
        }
        fputc('"', f);
    } else {
        fputs(s, f);
    }
    fputc(last ? '\n' : ',', f);
}

static void put_number(FILE *f, double v, int ok)
{
    if (ok && isfinite(v))
        fprintf(f, "%.9g", v);
    fputc(',', f);
}

ct_status db_write_csv(const char *path, const db_report *r)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return ct_fail(CT_ERR_IO, "cannot write %s", path);
    fputs("format_version,device_index,device_name,vendor,platform,driver,device_type,compute_units,clock_mhz,"
          "test,metric,unit,better,status,median,min,max,q1,q3,runs,tag,note,reason\n",
          f);
    for (size_t d = 0; d < r->device_count; d++) {
        const db_device *dev = &r->devices[d];
        /* A device that was skipped still gets a line: test "device", its reason. */
        db_row skipped = {.test = "device", .metric = "open", .status = dev->status};
        size_t lines = dev->status == DB_OK ? dev->row_count : dev->row_count + 1;
        for (size_t i = 0; i < lines; i++) {
            const db_row *row = i < dev->row_count ? &dev->rows[i] : &skipped;
            int ok = row->status == DB_OK;
            fprintf(f, "%d,", r->format_version);
            put_field(f, dev->index, 0);
            put_field(f, dev->name, 0);
            put_field(f, dev->vendor, 0);
            put_field(f, dev->platform, 0);
            put_field(f, dev->driver, 0);
            put_field(f, dev->type, 0);
            fprintf(f, "%u,%u,", dev->compute_units, dev->clock_mhz);
            put_field(f, row->test, 0);
            put_field(f, row->metric, 0);
            put_field(f, row->unit, 0);
            put_field(f, row->better == DB_HIGHER_IS_BETTER ? "higher" : "lower", 0);
            put_field(f, db_status_name(row->status), 0);
            put_number(f, row->median, ok);
            put_number(f, row->min, ok);
            put_number(f, row->max, ok);
            put_number(f, row->q1, ok);
            put_number(f, row->q3, ok);
            fprintf(f, "%d,", ok ? row->runs : 0);
            put_field(f, row->tag, 0);
            put_field(f, row->note, 0);
            put_field(f, row == &skipped ? dev->reason : row->reason, 1);
        }
    }
    int failed = ferror(f);
    failed |= fclose(f) != 0;
    return failed ? ct_fail(CT_ERR_IO, "writing %s failed", path) : CT_OK;
}
