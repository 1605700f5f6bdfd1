/* The table generated at build time from cl/NAME.cl (tools/cmake/embed_kernels.cmake). */
#ifndef CLTRAIN_KERNELS_EMBEDDED_H
#define CLTRAIN_KERNELS_EMBEDDED_H
#include <stddef.h>

typedef struct {
    const char *name;   /* file name without .cl, e.g. "elementwise" */
    const char *source; /* NUL-terminated (a 0 byte follows the text) */
    size_t length;      /* bytes, without the terminator */
} ct_embedded_kernel;

/* Terminated by an entry whose name is NULL. */
extern const ct_embedded_kernel ct_embedded_kernels[];
#endif
