/* CPNG: exact PNG reading and writing through libpng's classic API.
 * The simplified API applies gamma when depths differ or a gAMA chunk exists; these wrappers apply no
 * colour transform, so values come out exactly as stored. libpng reports errors with longjmp, which must
 * stay inside C: every wrapper owns its setjmp. */
#ifndef CPNG_SHIM_H
#define CPNG_SHIM_H

#include <png.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/** Geometry and encoding of a PNG image as stored. */
typedef struct {
    uint32_t width, height;
    int bitDepth;       /* 1, 2, 4, 8 or 16 */
    int colorType;      /* PNG_COLOR_TYPE_* */
    int channels;       /* samples per pixel after unpacking (palette: 1 index) */
    int paletteCount;   /* entries in `palette` (palette images) */
    uint8_t palette[256 * 3];
    int interlaced;
} CPNGInfo;

typedef struct {
    char *message;
    size_t capacity;
} CPNGErrorSink;

static void cpng_error(png_structp png, png_const_charp text) {
    CPNGErrorSink *sink = (CPNGErrorSink *)png_get_error_ptr(png);
    if (sink && sink->message && sink->capacity) {
        strncpy(sink->message, text ? text : "libpng error", sink->capacity - 1);
        sink->message[sink->capacity - 1] = '\0';
    }
    png_longjmp(png, 1);
}

static void cpng_warning(png_structp png, png_const_charp text) { (void)png; (void)text; }

/** Reads `path`. On success returns 0 and a malloc'd buffer of `height * width * channels` samples, one
 *  byte each for depths up to 8 (sub-byte depths unpacked, not scaled) or two little-endian bytes for 16.
 *  Free it with `free`. On failure returns non-zero with libpng's message. `maxPixels` bounds memory.
 *  With `pixels` NULL only the header (IHDR, PLTE) is read and `info` filled. */
static inline int cpng_read(const char *path, uint64_t maxPixels, CPNGInfo *info, uint8_t **pixels,
                            char *message, size_t capacity) {
    if (pixels) *pixels = NULL;
    memset(info, 0, sizeof(*info));
    FILE *file = fopen(path, "rb");
    if (!file) { snprintf(message, capacity, "cannot open file"); return 1; }
    CPNGErrorSink sink = {message, capacity};
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &sink, cpng_error, cpng_warning);
    png_infop pinfo = png ? png_create_info_struct(png) : NULL;
    if (!png || !pinfo) { fclose(file); snprintf(message, capacity, "libpng could not start"); return 1; }
    uint8_t *volatile buffer = NULL;
    png_bytep *volatile rows = NULL;
    if (setjmp(png_jmpbuf(png))) {
        free(buffer);
        free(rows);
        png_destroy_read_struct(&png, &pinfo, NULL);
        fclose(file);
        return 1;
    }
    png_init_io(png, file);
    png_set_crc_action(png, PNG_CRC_ERROR_QUIT, PNG_CRC_ERROR_QUIT);
    png_read_info(png, pinfo);
    info->width = png_get_image_width(png, pinfo);
    info->height = png_get_image_height(png, pinfo);
    info->bitDepth = png_get_bit_depth(png, pinfo);
    info->colorType = png_get_color_type(png, pinfo);
    info->interlaced = png_get_interlace_type(png, pinfo) != PNG_INTERLACE_NONE;
    if (info->colorType == PNG_COLOR_TYPE_PALETTE) {
        png_colorp entries = NULL;
        int count = 0;
        if (png_get_PLTE(png, pinfo, &entries, &count) && count <= 256) {
            info->paletteCount = count;
            for (int i = 0; i < count; ++i) {
                info->palette[3 * i] = entries[i].red;
                info->palette[3 * i + 1] = entries[i].green;
                info->palette[3 * i + 2] = entries[i].blue;
            }
        }
    }
    if ((uint64_t)info->width * info->height > maxPixels) {
        snprintf(message, capacity, "image of %ux%u exceeds the pixel limit", info->width, info->height);
        png_longjmp(png, 1);
    }
    if (info->bitDepth < 8) png_set_packing(png);
    if (info->bitDepth == 16) png_set_swap(png);
    if (info->interlaced) png_set_interlace_handling(png);
    png_read_update_info(png, pinfo);
    info->channels = png_get_channels(png, pinfo);
    if (!pixels) {
        png_destroy_read_struct(&png, &pinfo, NULL);
        fclose(file);
        return 0;
    }
    size_t rowBytes = png_get_rowbytes(png, pinfo);
    buffer = (uint8_t *)malloc(rowBytes * info->height + 1);
    rows = (png_bytep *)malloc(sizeof(png_bytep) * (info->height + 1));
    if (!buffer || !rows) { snprintf(message, capacity, "out of memory"); png_longjmp(png, 1); }
    for (uint32_t y = 0; y < info->height; ++y) rows[y] = buffer + y * rowBytes;
    png_read_image(png, rows);
    png_read_end(png, NULL);
    free(rows);
    png_destroy_read_struct(&png, &pinfo, NULL);
    fclose(file);
    *pixels = buffer;
    return 0;
}

/** Writes `pixels` (`height * width * channels` samples; 16-bit samples little-endian) as a PNG of
 *  `bitDepth` 8 or 16 with 1 (gray), 2 (gray+alpha), 3 (RGB) or 4 (RGBA) channels. Returns 0 on success. */
static inline int cpng_write(const char *path, uint32_t width, uint32_t height, int bitDepth, int channels,
                             const uint8_t *pixels, char *message, size_t capacity) {
    static const int types[5] = {0, PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_GRAY_ALPHA, PNG_COLOR_TYPE_RGB,
                                 PNG_COLOR_TYPE_RGB_ALPHA};
    if (channels < 1 || channels > 4 || (bitDepth != 8 && bitDepth != 16)) {
        snprintf(message, capacity, "unsupported PNG layout: %d channels at %d bits", channels, bitDepth);
        return 1;
    }
    FILE *file = fopen(path, "wb");
    if (!file) { snprintf(message, capacity, "cannot create file"); return 1; }
    CPNGErrorSink sink = {message, capacity};
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &sink, cpng_error, cpng_warning);
    png_infop pinfo = png ? png_create_info_struct(png) : NULL;
    if (!png || !pinfo) { fclose(file); snprintf(message, capacity, "libpng could not start"); return 1; }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &pinfo);
        fclose(file);
        return 1;
    }
    png_init_io(png, file);
    png_set_IHDR(png, pinfo, width, height, bitDepth, types[channels], PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_set_compression_level(png, 6);
    png_write_info(png, pinfo);
    if (bitDepth == 16) png_set_swap(png);
    size_t rowBytes = (size_t)width * channels * (bitDepth / 8);
    for (uint32_t y = 0; y < height; ++y) png_write_row(png, (png_const_bytep)(pixels + y * rowBytes));
    png_write_end(png, pinfo);
    png_destroy_write_struct(&png, &pinfo);
    int closed = fclose(file);
    if (closed != 0) { snprintf(message, capacity, "cannot finish writing the file"); return 1; }
    return 0;
}

#endif
