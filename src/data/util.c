#include "data/util.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t ct_data_mul(size_t a, size_t b)
{
    if (a != 0 && b > SIZE_MAX / a)
        return SIZE_MAX;
    return a * b;
}

int ct_data_reserve(void **array, size_t *capacity, size_t need, size_t elem_size)
{
    if (need <= *capacity)
        return 0;
    size_t new_capacity = *capacity ? *capacity : 16;
    while (new_capacity < need) {
        if (new_capacity > SIZE_MAX / 2)
            return -1;
        new_capacity *= 2;
    }
    size_t bytes = ct_data_mul(new_capacity, elem_size);
    if (bytes == SIZE_MAX)
        return -1;
    void *grown = realloc(*array, bytes);
    if (!grown)
        return -1;
    *array = grown;
    *capacity = new_capacity;
    return 0;
}

char *ct_data_strndup(const char *s, size_t n)
{
    char *copy = malloc(n + 1);
    if (!copy)
        return NULL;
    memcpy(copy, s, n);
    copy[n] = '\0';
    return copy;
}

char *ct_data_strdup(const char *s) { return ct_data_strndup(s, strlen(s)); }

char *ct_data_path_join(const char *a, const char *b)
{
    size_t la = strlen(a);
    while (la > 1 && a[la - 1] == '/')
        la--;
    if (la == 1 && a[0] == '/')
        la = 0; /* "/" + "b" = "/b" */
    return ct_data_format("%.*s/%s", (int)la, a, b);
}

char *ct_data_format(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    char *out = malloc((size_t)n + 1);
    if (!out)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(out, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return out;
}
