/* PNG files through libpng's simplified API (png_image), which does the
 * conversions we need in one place: palette expansion, grey to RGB, 16 to
 * 8 bits, and compositing transparency onto a background. */
#include <png.h>
#include <stdlib.h>
#include <string.h>

#include "data/image_formats.h"

ct_status image_read_png(const char *path, size_t *width, size_t *height, unsigned char **rgb)
{
    png_image image;
    memset(&image, 0, sizeof image);
    image.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_file(&image, path)) {
        ct_status s = ct_fail(CT_ERR_PARSE, "%s: not a readable PNG image: %s", path, image.message);
        png_image_free(&image);
        return s;
    }
    if ((size_t)image.width * image.height > IMAGE_MAX_PIXELS || image.width == 0 || image.height == 0) {
        ct_status s = ct_fail(CT_ERR_DATA,
                              "%s: %ux%u pixels is more than cltrain reads (at most %zu pixels, e.g. 4096x4096, "
                              "about 250 MB of memory): shrink the image first, or give a JPEG",
                              path, image.width, image.height, IMAGE_MAX_PIXELS);
        png_image_free(&image);
        return s;
    }
    image.format = PNG_FORMAT_RGB;
    size_t size = PNG_IMAGE_SIZE(image);
    unsigned char *pixels = malloc(size);
    if (!pixels) {
        png_image_free(&image);
        return ct_fail(CT_ERR_NO_MEMORY, "%s: out of memory for %ux%u pixels", path, image.width, image.height);
    }
    /* Transparent pixels become white, as an image viewer shows them. */
    png_color background = {255, 255, 255};
    if (!png_image_finish_read(&image, &background, pixels, 0, NULL)) {
        ct_status s = ct_fail(CT_ERR_PARSE, "%s: corrupt PNG image: %s", path, image.message);
        free(pixels);
        png_image_free(&image);
        return s;
    }
    *width = image.width;
    *height = image.height;
    *rgb = pixels;
    return CT_OK;
}
