/* The report as a table on a terminal: one line per (test, metric), one
 * column per device, each cell "median (min..max)" plus the row's tag; rows
 * that are not ok show their status and a footnote with the reason. */
#include <stdlib.h>
#include <string.h>

#include "devbench.h"

#define CELL_MAX 160

typedef struct {
    const char *test, *metric, *unit;
} row_key;

/* Every (test, metric) of every device, in order of first appearance. */
static size_t collect_keys(const db_report *r, row_key **out)
{
    size_t total = 0, n = 0;
    for (size_t d = 0; d < r->device_count; d++)
        total += r->devices[d].row_count;
    row_key *keys = malloc((total ? total : 1) * sizeof *keys);
    if (!keys) {
        *out = NULL;
        return 0;
    }
    for (size_t d = 0; d < r->device_count; d++)
        for (size_t i = 0; i < r->devices[d].row_count; i++) {
            const db_row *row = &r->devices[d].rows[i];
            size_t k = 0;
            while (k < n && (strcmp(keys[k].test, row->test) != 0 || strcmp(keys[k].metric, row->metric) != 0))
                k++;
            if (k == n)
                keys[n++] = (row_key){row->test, row->metric, row->unit};
        }
    *out = keys;
    return n;
}

/* Three significant digits or more, never an exponent: 0.0123, 1.23, 12.3, 1234. */
static void format_number(double v, char *buf, size_t size)
{
    double a = v < 0 ? -v : v;
    if (a >= 100 || a == 0)
        snprintf(buf, size, "%.0f", v);
    else if (a >= 10)
        snprintf(buf, size, "%.1f", v);
    else if (a >= 1)
        snprintf(buf, size, "%.2f", v);
    else
        snprintf(buf, size, "%.3g", v);
}

static void format_cell(const db_row *row, int footnote, char *buf, size_t size)
{
    if (!row) {
        snprintf(buf, size, "-");
        return;
    }
    if (row->status != DB_OK) {
        snprintf(buf, size, "%s [%d]", db_status_name(row->status), footnote);
        return;
    }
    char med[32], lo[32], hi[32];
    format_number(row->median, med, sizeof med);
    format_number(row->min, lo, sizeof lo);
    format_number(row->max, hi, sizeof hi);
    snprintf(buf, size, "%s (%s..%s)%s%s", med, lo, hi, row->tag[0] ? " " : "", row->tag);
}

static int max_int(int a, int b) { return a > b ? a : b; }

static void print_gemm_classes(FILE *out, const db_report *r)
{
    int any = 0;
    for (size_t d = 0; d < r->device_count; d++)
        any |= r->devices[d].gemm_class_count > 0 || r->devices[d].gemm_choice_source[0];
    if (!any)
        return;
    fprintf(out, "\nGEMM engine per shape class: cltrain's choice (what ct_gemm uses) | fastest in this run's gemm rows\n");
    for (size_t d = 0; d < r->device_count; d++) {
        const db_device *dev = &r->devices[d];
        fprintf(out, "  %s %s%s%s%s\n", dev->index, dev->name, dev->gemm_choice_source[0] ? " (choice: " : "",
                dev->gemm_choice_source, dev->gemm_choice_source[0] ? ")" : "");
        for (size_t c = 0; c < dev->gemm_class_count; c++) {
            const db_gemm_class *gc = &dev->gemm_classes[c];
            fprintf(out, "    %-6s %-8s | %s\n", gc->shape_class, gc->chosen[0] ? gc->chosen : "?",
                    gc->fastest[0] ? gc->fastest : "not measured");
        }
    }
}

void db_write_table(FILE *out, const db_report *r)
{
    row_key *keys;
    size_t nkeys = collect_keys(r, &keys);
    size_t nd = r->device_count;

    fprintf(out, "devbench: each cell is the median (min..max) of timed runs after a warm-up; "
                 "at most %.3g s of runs per row\n",
            r->max_time_s);
    for (size_t d = 0; d < nd; d++) {
        const db_device *dev = &r->devices[d];
        fprintf(out, "  %-5s %s | %s | driver %s | %u compute units, %u MHz\n", dev->index, dev->name, dev->platform,
                dev->driver, dev->compute_units, dev->clock_mhz);
        if (dev->profile[0])
            fprintf(out, "        profile: %s\n", dev->profile);
        if (dev->status != DB_OK)
            fprintf(out, "        skipped: %s\n", dev->reason);
    }
    fputc('\n', out);

    /* Cells first (footnotes are numbered in print order), then widths. */
    char(*cells)[CELL_MAX] = calloc(nkeys * (nd ? nd : 1) + 1, sizeof *cells);
    if (!cells && nkeys) {
        free(keys);
        fprintf(out, "(out of memory printing the table)\n");
        return;
    }
    int footnote = 0;
    int w_test = 4, w_metric = 6, w_unit = 4;
    int *w_dev = calloc(nd + 1, sizeof *w_dev);
    for (size_t d = 0; d < nd && w_dev; d++)
        w_dev[d] = (int)strlen(r->devices[d].index);
    for (size_t k = 0; k < nkeys; k++) {
        w_test = max_int(w_test, (int)strlen(keys[k].test));
        w_metric = max_int(w_metric, (int)strlen(keys[k].metric));
        w_unit = max_int(w_unit, (int)strlen(keys[k].unit));
        for (size_t d = 0; d < nd; d++) {
            const db_row *row = db_device_find_row(&r->devices[d], keys[k].test, keys[k].metric);
            format_cell(row, row && row->status != DB_OK ? ++footnote : 0, cells[k * nd + d], CELL_MAX);
            if (w_dev)
                w_dev[d] = max_int(w_dev[d], (int)strlen(cells[k * nd + d]));
        }
    }
    if (!w_dev) {
        free(cells);
        free(keys);
        return;
    }

    if (nkeys == 0) {
        fprintf(out, "(no rows)\n");
        print_gemm_classes(out, r);
        free(w_dev);
        free(cells);
        free(keys);
        return;
    }
    fprintf(out, "%-*s  %-*s  %-*s", w_test, "test", w_metric, "metric", w_unit, "unit");
    for (size_t d = 0; d < nd; d++)
        fprintf(out, "  %-*s", d + 1 < nd ? w_dev[d] : 0, r->devices[d].index);
    fputc('\n', out);
    for (size_t k = 0; k < nkeys; k++) {
        int new_test = k == 0 || strcmp(keys[k].test, keys[k - 1].test) != 0;
        fprintf(out, "%-*s  %-*s  %-*s", w_test, new_test ? keys[k].test : "", w_metric, keys[k].metric, w_unit,
                keys[k].unit);
        for (size_t d = 0; d < nd; d++) /* the last column unpadded: no trailing blanks */
            fprintf(out, "  %-*s", d + 1 < nd ? w_dev[d] : 0, cells[k * nd + d]);
        fputc('\n', out);
    }

    if (footnote) {
        fputc('\n', out);
        int n = 0;
        for (size_t k = 0; k < nkeys; k++)
            for (size_t d = 0; d < nd; d++) {
                const db_row *row = db_device_find_row(&r->devices[d], keys[k].test, keys[k].metric);
                if (row && row->status != DB_OK)
                    fprintf(out, "[%d] %s %s %s: %s\n", ++n, r->devices[d].index, row->test, row->metric, row->reason);
            }
    }
    print_gemm_classes(out, r);
    free(w_dev);
    free(cells);
    free(keys);
}
