#include "core/edit_distance.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

size_t ct_edit_distance(const char *a, const char *b, bool swaps)
{
    size_t n = strlen(a), m = strlen(b);
    /* Three rolling rows: the swap rule looks two rows back. */
    size_t *rows = malloc(3 * (m + 1) * sizeof *rows);
    if (!rows)
        return SIZE_MAX;
    size_t *prev2 = rows, *prev = rows + (m + 1), *cur = rows + 2 * (m + 1);
    for (size_t j = 0; j <= m; j++)
        prev[j] = j;
    for (size_t i = 1; i <= n; i++) {
        cur[0] = i;
        for (size_t j = 1; j <= m; j++) {
            int ca = tolower((unsigned char)a[i - 1]), cb = tolower((unsigned char)b[j - 1]);
            size_t best = prev[j - 1] + (ca != cb);
            if (prev[j] + 1 < best)
                best = prev[j] + 1;
            if (cur[j - 1] + 1 < best)
                best = cur[j - 1] + 1;
            if (swaps && i > 1 && j > 1 && ca == tolower((unsigned char)b[j - 2]) &&
                tolower((unsigned char)a[i - 2]) == cb && prev2[j - 2] + 1 < best)
                best = prev2[j - 2] + 1;
            cur[j] = best;
        }
        size_t *t = prev2;
        prev2 = prev;
        prev = cur;
        cur = t;
    }
    size_t d = prev[m];
    free(rows);
    return d;
}
