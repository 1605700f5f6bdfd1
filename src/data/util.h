/* Small helpers shared by the data module's files: checked growth of
 * arrays, string copies and path joins. All return NULL / non-zero on
 * failure without reporting; callers add the context. */
#ifndef CLTRAIN_DATA_UTIL_H
#define CLTRAIN_DATA_UTIL_H

#include <stddef.h>

/* Make room for at least `need` elements of `elem_size` bytes in *array
 * (capacity in *capacity, grown geometrically). 0 on success, -1 when out of
 * memory or the size overflows; *array is then unchanged. */
int ct_data_reserve(void **array, size_t *capacity, size_t need, size_t elem_size);

/* a * b, or SIZE_MAX when it overflows. */
size_t ct_data_mul(size_t a, size_t b);

char *ct_data_strdup(const char *s);
char *ct_data_strndup(const char *s, size_t n);
/* "a/b" (no doubled slash); malloc'd. */
char *ct_data_path_join(const char *a, const char *b);
/* printf into a new malloc'd string. */
char *ct_data_format(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

#endif
