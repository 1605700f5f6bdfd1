/* ct_image_read: PNG or JPEG, told apart by the file's first bytes (a photo
 * saved as ".png" by a careless tool is still a JPEG). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cltrain/data.h"
#include "data/image_formats.h"

static const unsigned char PNG_SIGNATURE[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
static const unsigned char JPEG_SIGNATURE[3] = {0xff, 0xd8, 0xff};

ct_status ct_image_read_rgb8(const char *path, size_t *width, size_t *height, unsigned char **rgb)
{
    if (!path || !width || !height || !rgb)
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "ct_image_read: NULL argument");
    *rgb = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return ct_fail(CT_ERR_IO, "cannot open image %s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) { /* fopen opens a folder; reading it fails */
        fclose(f);
        return ct_fail(CT_ERR_IO, "%s is a folder, not an image: give the PNG or JPEG files in it", path);
    }
    unsigned char head[8] = {0};
    size_t got = fread(head, 1, sizeof head, f);
    unsigned char *bytes = NULL;
    ct_status s;
    if (got >= sizeof PNG_SIGNATURE && !memcmp(head, PNG_SIGNATURE, sizeof PNG_SIGNATURE)) {
        s = image_read_png(path, width, height, &bytes);
    } else if (got >= sizeof JPEG_SIGNATURE && !memcmp(head, JPEG_SIGNATURE, sizeof JPEG_SIGNATURE)) {
        rewind(f);
        s = image_read_jpeg(path, f, width, height, &bytes);
    } else if (got == 0) {
        s = ct_fail(CT_ERR_PARSE, "%s: empty file: expected a PNG or JPEG image", path);
    } else {
        s = ct_fail(CT_ERR_PARSE, "%s: not a PNG or JPEG image (it starts with bytes %02x %02x %02x %02x)", path,
                    head[0], head[1], head[2], head[3]);
    }
    fclose(f);
    if (s == CT_OK)
        *rgb = bytes;
    return s;
}

ct_status ct_image_read(const char *path, size_t *width, size_t *height, float **rgb)
{
    if (!path || !width || !height || !rgb)
        return ct_fail(CT_ERR_INVALID_ARGUMENT, "ct_image_read: NULL argument");
    *rgb = NULL;
    unsigned char *bytes = NULL;
    CT_TRY(ct_image_read_rgb8(path, width, height, &bytes));
    size_t count = *width * *height * 3;
    float *pixels = malloc(count * sizeof *pixels);
    if (!pixels) {
        free(bytes);
        return ct_fail(CT_ERR_NO_MEMORY, "%s: out of memory for %zux%zu pixels", path, *width, *height);
    }
    for (size_t i = 0; i < count; i++)
        pixels[i] = (float)bytes[i] / 255.0f; /* as the CIFAR-10 experiments scale their pixels */
    free(bytes);
    *rgb = pixels;
    return CT_OK;
}
