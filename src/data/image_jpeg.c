/* JPEG files through libjpeg(-turbo). libjpeg reports errors by calling
 * error_exit, which by default exits the process; ours jumps back here
 * with the library's message instead, since library code never exits. */
/* jpeglib.h needs size_t and FILE declared before it. */
#include <stddef.h>
#include <stdio.h>

#include <jpeglib.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include "data/image_formats.h"

typedef struct {
    struct jpeg_error_mgr base; /* first, so libjpeg's pointer is ours */
    jmp_buf escape;
    char message[JMSG_LENGTH_MAX];
} error_manager;

static void on_error(j_common_ptr info)
{
    error_manager *e = (error_manager *)info->err;
    e->base.format_message(info, e->message);
    longjmp(e->escape, 1);
}

/* Warnings (a truncated file, extraneous bytes) are ignored; libjpeg still
 * gives the picture, as image viewers show it. */
static void on_message(j_common_ptr info, int level)
{
    (void)info;
    (void)level;
}

ct_status image_read_jpeg(const char *path, FILE *file, size_t *width, size_t *height, unsigned char **rgb)
{
    struct jpeg_decompress_struct info;
    error_manager errors;
    /* volatile: changed between setjmp and a possible longjmp. */
    unsigned char *volatile pixels = NULL;
    info.err = jpeg_std_error(&errors.base);
    errors.base.error_exit = on_error;
    errors.base.emit_message = on_message;
    if (setjmp(errors.escape)) {
        jpeg_destroy_decompress(&info);
        free(pixels);
        return ct_fail(CT_ERR_PARSE, "%s: corrupt JPEG image: %s", path, errors.message);
    }
    jpeg_create_decompress(&info);
    jpeg_stdio_src(&info, file);
    jpeg_read_header(&info, TRUE);
    /* libjpeg converts greyscale and YCbCr to RGB; CMYK it cannot. */
    info.out_color_space = JCS_RGB;
    /* Above the pixel budget: decode at the largest of 1/2, 1/4, 1/8 scale
     * that fits (the IDCT does it, so the full size is never in memory). */
    info.scale_num = 1;
    info.scale_denom = 1;
    while (info.scale_denom < 8 &&
           ((size_t)info.image_width / info.scale_denom) * ((size_t)info.image_height / info.scale_denom) >
               IMAGE_MAX_PIXELS)
        info.scale_denom *= 2;
    jpeg_start_decompress(&info);
    if (info.output_components != 3 || (size_t)info.output_width * info.output_height > IMAGE_MAX_PIXELS) {
        ct_status s = ct_fail(CT_ERR_PARSE, "%s: a %ux%u JPEG with %d components: expected RGB or greyscale of "
                              "at most %zu pixels at 1/8 scale", path, info.image_width, info.image_height,
                              info.output_components, IMAGE_MAX_PIXELS);
        jpeg_destroy_decompress(&info);
        return s;
    }
    size_t row_bytes = (size_t)info.output_width * 3;
    pixels = malloc(row_bytes * info.output_height);
    if (!pixels) {
        jpeg_destroy_decompress(&info);
        return ct_fail(CT_ERR_NO_MEMORY, "%s: out of memory for %ux%u pixels", path, info.output_width,
                       info.output_height);
    }
    while (info.output_scanline < info.output_height) {
        JSAMPROW row = pixels + row_bytes * info.output_scanline;
        jpeg_read_scanlines(&info, &row, 1);
    }
    jpeg_finish_decompress(&info);
    *width = info.output_width;
    *height = info.output_height;
    *rgb = pixels;
    jpeg_destroy_decompress(&info);
    return CT_OK;
}
