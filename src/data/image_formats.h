/* Decoders behind ct_image_read, one per file format. Each returns 8-bit RGB
 * (width*height*3 bytes, malloc'd); ct_image_read turns that into floats. */
#ifndef CLTRAIN_DATA_IMAGE_FORMATS_H
#define CLTRAIN_DATA_IMAGE_FORMATS_H

#include <stddef.h>
#include <stdio.h>

#include "cltrain/status.h"

/* The pixel budget of a decoded image: 2^24 pixels (16.8 megapixels, e.g.
 * 4096 x 4096), about 250 MB while it is read (3 bytes, then 3 floats per
 * pixel). A larger JPEG is decoded at 1/2, 1/4 or 1/8 scale (libjpeg's DCT
 * scaling, no full-size copy) to fit; a larger PNG is refused. A model sees
 * 32x32, so nothing is lost; 2^28 pixels (16k x 16k) once took 4 GB. */
#define IMAGE_MAX_PIXELS ((size_t)1 << 24)

ct_status image_read_png(const char *path, size_t *width, size_t *height, unsigned char **rgb);
ct_status image_read_jpeg(const char *path, FILE *file, size_t *width, size_t *height, unsigned char **rgb);

#endif
