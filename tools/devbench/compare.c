/* --compare OLD.json: for every row of the new report, the ratio of its
 * median to the median of the row with the same device name, test and
 * metric in the old one (new / old: above 1 means a larger number now, which
 * is better for rates and worse for times; the verdict column says which,
 * and whether the difference is beyond the runs' noise). */
#include <stdlib.h>
#include <string.h>

#include "devbench.h"

ct_status db_compare(const db_report *now, const db_report *old, db_comparison **out, size_t *count)
{
    size_t total = 0, n = 0;
    for (size_t d = 0; d < now->device_count; d++)
        total += now->devices[d].row_count;
    db_comparison *c = malloc((total ? total : 1) * sizeof *c);
    if (!c)
        return ct_fail(CT_ERR_NO_MEMORY, "comparing results");
    for (size_t d = 0; d < now->device_count; d++) {
        const db_device *dev = &now->devices[d];
        const db_device *before = db_report_find_device(old, dev->name);
        for (size_t i = 0; i < dev->row_count; i++) {
            const db_row *row = &dev->rows[i];
            const db_row *prev = before ? db_device_find_row(before, row->test, row->metric) : NULL;
            double ratio = 0;
            if (prev && row->status == DB_OK && prev->status == DB_OK && prev->median != 0)
                ratio = row->median / prev->median;
            c[n++] = (db_comparison){dev, row, prev, ratio};
        }
    }
    *out = c;
    *count = n;
    return CT_OK;
}

/* A difference is real only when the interquartile ranges do not overlap:
 * a shared machine moves medians by a few percent, and the quartiles say how
 * much each run moved. */
const char *db_comparison_verdict(const db_comparison *c)
{
    if (!c->old)
        return "new row";
    if (c->now->status != DB_OK || c->old->status != DB_OK)
        return c->now->status == c->old->status ? "-" : "status changed";
    if (c->ratio == 0)
        return "-";
    if (c->now->q1 <= c->old->q3 && c->old->q1 <= c->now->q3)
        return "within noise";
    int higher = c->now->q1 > c->old->q3;
    return higher == (c->now->better == DB_HIGHER_IS_BETTER) ? "better" : "worse";
}

static void cell(const db_row *row, char *buf, size_t size)
{
    if (!row)
        snprintf(buf, size, "-");
    else if (row->status != DB_OK)
        snprintf(buf, size, "%s", db_status_name(row->status));
    else
        snprintf(buf, size, "%.4g", row->median);
}

void db_write_comparison(FILE *out, const db_comparison *c, size_t count, const char *old_name)
{
    int w_metric = 6;
    for (size_t i = 0; i < count; i++) {
        int len = (int)(strlen(c[i].now->test) + 1 + strlen(c[i].now->metric));
        w_metric = len > w_metric ? len : w_metric;
    }
    fprintf(out, "\nCompared with %s (ratio = new / old median; a difference is real only where the two "
                 "runs' interquartile ranges do not overlap, else within noise):\n", old_name);
    const db_device *shown = NULL;
    for (size_t i = 0; i < count; i++) {
        if (c[i].device != shown) {
            shown = c[i].device;
            fprintf(out, "%s %s\n  %-*s  %-9s  %10s  %10s  %7s  %s\n", shown->index, shown->name, w_metric,
                    "test metric", "unit", "old", "new", "ratio", "verdict");
        }
        char name[160], was[32], is[32], ratio[16];
        snprintf(name, sizeof name, "%s %s", c[i].now->test, c[i].now->metric);
        cell(c[i].old, was, sizeof was);
        cell(c[i].now, is, sizeof is);
        if (c[i].ratio > 0)
            snprintf(ratio, sizeof ratio, "%.3f", c[i].ratio);
        else
            snprintf(ratio, sizeof ratio, "-");
        fprintf(out, "  %-*s  %-9s  %10s  %10s  %7s  %s\n", w_metric, name, c[i].now->unit, was, is, ratio,
                db_comparison_verdict(&c[i]));
    }
}
