/* Decoders behind ct_image_read, one per file format. Each returns 8-bit RGB
 * (width*height*3 bytes, malloc'd); ct_image_read turns that into floats. */
#ifndef CLTRAIN_DATA_IMAGE_FORMATS_H
#define CLTRAIN_DATA_IMAGE_FORMATS_H

#include <stddef.h>
#include <stdio.h>

#include "cltrain/status.h"

/* Refuse images above this many pixels (a 16k x 16k photo): reading one
 * would take gigabytes for a model that sees 32x32. */
#define IMAGE_MAX_PIXELS ((size_t)1 << 28)

ct_status image_read_png(const char *path, size_t *width, size_t *height, unsigned char **rgb);
ct_status image_read_jpeg(const char *path, FILE *file, size_t *width, size_t *height, unsigned char **rgb);

#endif
