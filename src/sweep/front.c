/* Lines through a sweep's points and the smallest model beating the
 * baseline (see front.h). */
#include "sweep/front.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static bool usable(double x, double y, bool log_x)
{
    return isfinite(x) && isfinite(y) && (!log_x || x > 0);
}

static bool better(double a, double b, bool maximize)
{
    return maximize ? a > b : a < b;
}

static bool sort_maximize;
/* By x, then the best y first, then by index (a stable order for ties). */
static int by_x_then_best(const void *pa, const void *pb)
{
    const sweep_front_point *a = pa, *b = pb;
    if (a->x != b->x)
        return a->x < b->x ? -1 : 1;
    if (a->y != b->y)
        return better(a->y, b->y, sort_maximize) ? -1 : 1;
    return a->index < b->index ? -1 : a->index > b->index;
}

/* The usable points into out, sorted; returns their count. */
static size_t sorted_points(const double *x, const double *y, size_t n, bool maximize, bool log_x,
                            sweep_front_point *out)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (usable(x[i], y[i], log_x))
            out[m++] = (sweep_front_point){x[i], y[i], i};
    sort_maximize = maximize;
    qsort(out, m, sizeof *out, by_x_then_best);
    return m;
}

size_t sweep_best_per_x(const double *x, const double *y, size_t n, bool maximize, bool log_x, sweep_front_point *out)
{
    size_t m = sorted_points(x, y, n, maximize, log_x, out), kept = 0;
    for (size_t i = 0; i < m; i++)
        if (!kept || out[kept - 1].x != out[i].x) /* the first at each x is its best */
            out[kept++] = out[i];
    return kept;
}

size_t sweep_pareto_front(const double *x, const double *y, size_t n, bool maximize, bool log_x, sweep_front_point *out)
{
    size_t m = sorted_points(x, y, n, maximize, log_x, out), kept = 0;
    for (size_t i = 0; i < m; i++)
        if (!kept || better(out[i].y, out[kept - 1].y, maximize))
            out[kept++] = out[i];
    return kept;
}

long sweep_front_first_beating(const sweep_front_point *front, size_t n, bool maximize, double baseline)
{
    for (size_t i = 0; i < n; i++)
        if (better(front[i].y, baseline, maximize))
            return (long)i;
    return -1;
}

static double number_in(const sweep_row *r, const char *column)
{
    const char *v = sweep_row_get(r, column);
    char *end = NULL;
    double d = v && *v ? strtod(v, &end) : NAN;
    return end && !*end ? d : NAN;
}

bool sweep_table_baseline(const sweep_table *t, const char *metric, double *value, const char **name, bool *same_split)
{
    char own[200], test[200];
    const char *bare = !strncmp(metric, "val_", 4) ? metric + 4 : metric;
    snprintf(own, sizeof own, "baseline_%s", metric);
    snprintf(test, sizeof test, "baseline_%s", bare);
    /* A val_ metric's own split first; the test split's baseline is the
     * fallback for runs that did not record one on validation. */
    const char *columns[] = {own, test};
    for (size_t c = 0; c < 2; c++)
        for (size_t i = 0; i < t->row_count; i++) {
            double b = number_in(&t->rows[i], columns[c]);
            if (isfinite(b)) {
                *value = b;
                *name = sweep_row_get(&t->rows[i], "baseline");
                *same_split = c == 0;
                return true;
            }
        }
    return false;
}

void sweep_print_smallest_beating(const sweep_table *t, const char *metric, bool maximize, FILE *out)
{
    double baseline;
    const char *name;
    bool same_split;
    if (!sweep_table_baseline(t, metric, &baseline, &name, &same_split))
        return;
    size_t n = t->row_count;
    double *x = malloc((n ? n : 1) * sizeof *x), *y = malloc((n ? n : 1) * sizeof *y);
    sweep_front_point *front = malloc((n ? n : 1) * sizeof *front);
    if (!x || !y || !front) {
        free(x), free(y), free(front);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        x[i] = number_in(&t->rows[i], "parameters");
        y[i] = number_in(&t->rows[i], metric);
    }
    size_t m = sweep_pareto_front(x, y, n, maximize, false, front);
    long at = sweep_front_first_beating(front, m, maximize, baseline);
    const char *split = !same_split ? "test split" : !strncmp(metric, "val_", 4) ? "validation split" : "";
    char about[400] = "";
    if (name || *split)
        snprintf(about, sizeof about, " (%s%s%s)", name ? name : "", name && *split ? ", " : "", split);
    if (at < 0) {
        if (m) {
            /* The best point overall is the front's last. */
            fprintf(out, "no model beats the baseline: best %s %.5g (%.0f parameters) vs baseline %.5g%s\n", metric,
                    front[m - 1].y, front[m - 1].x, baseline, about);
        }
    } else {
        const sweep_row *r = &t->rows[front[at].index];
        fprintf(out, "smallest model beating the baseline: %.0f parameters (", front[at].x);
        /* The axes are the columns between status and parameters (results.h). */
        bool in_axes = false, first = true;
        for (size_t c = 0; c < t->column_count; c++) {
            if (!strcmp(t->columns[c], "parameters"))
                break;
            if (in_axes) {
                const char *v = sweep_row_get(r, t->columns[c]);
                fprintf(out, "%s%s=%s", first ? "" : ", ", t->columns[c], v ? v : "");
                first = false;
            }
            in_axes = in_axes || !strcmp(t->columns[c], "status");
        }
        fprintf(out, "), %s %.5g vs baseline %.5g%s\n", metric, front[at].y, baseline, about);
    }
    free(x), free(y), free(front);
}
