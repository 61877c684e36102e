/* A PNG decoder for the common case, written from the PNG specification (ISO/IEC 15948, W3C PNG 2nd edition):
 * non-interlaced gray, gray+alpha, RGB and RGBA at 1-16 bits. The zlib stream is inflated in one call by libdeflate
 * (the whole image at once: the output size is known from IHDR) and rows are unfiltered here, Paeth without branches.
 * Anything else, and anything doubtful (a bad CRC, an unknown critical chunk, too little or too much image data),
 * returns CCOHORT_PNG_FALLBACK so the caller reads the file with libpng, whose result and error message stand. */
#include "CCohortKernels.h"

#include <libdeflate.h>
#include <stdlib.h>
#include <string.h>

static uint32_t be32(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }

static const uint8_t signature[8] = {137, 80, 78, 71, 13, 10, 26, 10};

/* libpng's default user limits: wider or taller images are its error to report. */
enum { PNG_DIMENSION_LIMIT = 1000000 };

static int channels_of(int colorType) {
    switch (colorType) {
    case 0: return 1;
    case 2: return 3;
    case 4: return 2;
    case 6: return 4;
    default: return 0;
    }
}

static void unfilter_sub(uint8_t *row, size_t n, size_t bpp) {
    for (size_t i = bpp; i < n; ++i) row[i] = (uint8_t)(row[i] + row[i - bpp]);
}

static void unfilter_up(uint8_t *row, const uint8_t *prev, size_t n) {
    for (size_t i = 0; i < n; ++i) row[i] = (uint8_t)(row[i] + prev[i]);
}

static void unfilter_average(uint8_t *row, const uint8_t *prev, size_t n, size_t bpp) {
    for (size_t i = 0; i < bpp && i < n; ++i) row[i] = (uint8_t)(row[i] + (prev[i] >> 1));
    for (size_t i = bpp; i < n; ++i) row[i] = (uint8_t)(row[i] + ((row[i - bpp] + prev[i]) >> 1));
}

/* The Paeth predictor: the neighbour (left a, up b, upper-left c) closest to a + b - c, ties in the order a, b, c.
 * Written as selects so noisy images (ultrasound speckle) cost no mispredicted branches. */
static inline int paeth(int a, int b, int c) {
    int pa = abs(b - c), pb = abs(a - c), pc = abs(a + b - 2 * c);
    int bc = pb <= pc ? b : c;
    return (pa <= pb && pa <= pc) ? a : bc;
}

static void unfilter_paeth(uint8_t *row, const uint8_t *prev, size_t n, size_t bpp) {
    for (size_t i = 0; i < bpp && i < n; ++i) row[i] = (uint8_t)(row[i] + prev[i]);
    if (bpp == 1) {
        int a = row[0], c = prev[0];
        for (size_t i = 1; i < n; ++i) {
            int b = prev[i];
            a = (uint8_t)(row[i] + paeth(a, b, c));
            row[i] = (uint8_t)a;
            c = b;
        }
        return;
    }
    for (size_t i = bpp; i < n; ++i) row[i] = (uint8_t)(row[i] + paeth(row[i - bpp], prev[i], prev[i - bpp]));
}

/* One byte of a Paeth row at one byte per pixel, from memory (the edges of paeth_rows4). */
static inline void paeth_byte(uint8_t *row, const uint8_t *prev, size_t i) {
    int a = i ? row[i - 1] : 0, c = i ? prev[i - 1] : 0;
    row[i] = (uint8_t)(row[i] + paeth(a, prev[i], c));
}

/* Four consecutive Paeth rows at one byte per pixel, as a wavefront: row k runs one byte behind row k-1, so byte i
 * of row k finds bytes i-1 and i of the row above already done. Each row's left-neighbour chain is serial; four of
 * them in flight at once keep the core busy where one row alone waits on its own latency. Needs n >= 4. */
static void paeth_rows4(uint8_t *r0, uint8_t *r1, uint8_t *r2, uint8_t *r3, const uint8_t *p, size_t n) {
    /* Prologue: steps t = 0..3 (row k at byte t - k). */
    for (size_t t = 0; t < 4; ++t) {
        paeth_byte(r0, p, t);
        if (t >= 1) paeth_byte(r1, r0, t - 1);
        if (t >= 2) paeth_byte(r2, r1, t - 2);
        if (t >= 3) paeth_byte(r3, r2, t - 3);
    }
    int a0 = r0[3], a1 = r1[2], a2 = r2[1], a3 = r3[0];
    for (size_t t = 4; t < n; ++t) {
        size_t i0 = t, i1 = t - 1, i2 = t - 2, i3 = t - 3;
        a0 = (uint8_t)(r0[i0] + paeth(a0, p[i0], p[i0 - 1]));
        r0[i0] = (uint8_t)a0;
        a1 = (uint8_t)(r1[i1] + paeth(a1, r0[i1], r0[i1 - 1]));
        r1[i1] = (uint8_t)a1;
        a2 = (uint8_t)(r2[i2] + paeth(a2, r1[i2], r1[i2 - 1]));
        r2[i2] = (uint8_t)a2;
        a3 = (uint8_t)(r3[i3] + paeth(a3, r2[i3], r2[i3 - 1]));
        r3[i3] = (uint8_t)a3;
    }
    /* Epilogue: rows 1..3 finish their last bytes. */
    for (size_t t = n; t < n + 3; ++t) {
        if (t - 1 < n) paeth_byte(r1, r0, t - 1);
        if (t - 2 < n) paeth_byte(r2, r1, t - 2);
        paeth_byte(r3, r2, t - 3);
    }
}

/* Unfilters `height` rows of `1 + rowBytes` bytes in place (filter byte first). 0 on success, -1 on a bad filter. */
static int unfilter(uint8_t *data, uint32_t height, size_t rowBytes, size_t bpp, uint8_t *zeros) {
    const uint8_t *prev = zeros;
    size_t stride = rowBytes + 1;
    for (uint32_t y = 0; y < height; ++y) {
        uint8_t *line = data + (size_t)y * stride;
        uint8_t *row = line + 1;
        if (bpp == 1 && rowBytes >= 4 && y + 4 <= height && line[0] == 4 && line[stride] == 4 && line[2 * stride] == 4 &&
            line[3 * stride] == 4) {
            paeth_rows4(row, row + stride, row + 2 * stride, row + 3 * stride, prev, rowBytes);
            y += 3;
            prev = row + 3 * stride;
            continue;
        }
        switch (line[0]) {
        case 0: break;
        case 1: unfilter_sub(row, rowBytes, bpp); break;
        case 2: unfilter_up(row, prev, rowBytes); break;
        case 3: unfilter_average(row, prev, rowBytes, bpp); break;
        case 4: unfilter_paeth(row, prev, rowBytes, bpp); break;
        default: return -1;
        }
        prev = row;
    }
    return 0;
}

/* The 13 bytes of IHDR into `header` (pixels untouched); 0 unless they describe gray (1-16 bits), gray+alpha, RGB or
 * RGBA (8/16 bits) within libpng's dimension limits, with standard compression and filtering, interlaced only when
 * `allowInterlace`. Palette images return 0 (libpng reads them). */
static int read_ihdr(const uint8_t *body, int allowInterlace, CCohortPNGImage *header) {
    header->width = be32(body);
    header->height = be32(body + 4);
    header->bitDepth = body[8];
    header->colorType = body[9];
    header->channels = channels_of(header->colorType);
    if (header->width == 0 || header->height == 0 || header->width > PNG_DIMENSION_LIMIT || header->height > PNG_DIMENSION_LIMIT) return 0;
    if (header->channels == 0 || body[10] != 0 || body[11] != 0 || body[12] > (allowInterlace ? 1 : 0)) return 0;
    int depth = header->bitDepth;
    return depth == 8 || depth == 16 || (header->colorType == 0 && (depth == 1 || depth == 2 || depth == 4));
}

int ccohort_png_decode(const uint8_t *data, size_t size, uint64_t maxPixels, CCohortPNGImage *image) {
    memset(image, 0, sizeof(*image));
    if (size < 8 + 25 || memcmp(data, signature, 8) != 0) return CCOHORT_PNG_FALLBACK;
    size_t at = 8;
    uint32_t width = 0, height = 0;
    int depth = 0, colorType = -1, channels = 0, sawIDAT = 0, idatEnded = 0, sawEnd = 0;
    size_t idatTotal = 0, idatChunks = 0;
    const uint8_t *firstIDAT = NULL;
    /* First pass: walk and check every chunk, learn the header and the IDAT extent. */
    while (at + 12 <= size) {
        uint32_t length = be32(data + at);
        const uint8_t *type = data + at + 4;
        if (length > 0x7fffffffu || length > size - at - 12) return CCOHORT_PNG_FALLBACK;
        const uint8_t *body = data + at + 8;
        if (libdeflate_crc32(0, type, 4 + (size_t)length) != be32(body + length)) return CCOHORT_PNG_FALLBACK;
        int isIDAT = memcmp(type, "IDAT", 4) == 0;
        if (at == 8) {
            CCohortPNGImage header;
            if (memcmp(type, "IHDR", 4) != 0 || length != 13 || !read_ihdr(body, 0, &header)) return CCOHORT_PNG_FALLBACK;
            width = header.width;
            height = header.height;
            depth = header.bitDepth;
            colorType = header.colorType;
            channels = header.channels;
        } else if (memcmp(type, "IEND", 4) == 0) {
            sawEnd = 1;
            break;
        } else if (isIDAT) {
            if (idatEnded) return CCOHORT_PNG_FALLBACK;
            if (!sawIDAT) firstIDAT = body;
            sawIDAT = 1;
            idatTotal += length;
            ++idatChunks;
        } else {
            if (memcmp(type, "IHDR", 4) == 0 || memcmp(type, "PLTE", 4) == 0) return CCOHORT_PNG_FALLBACK;
            if (!(type[0] & 0x20)) return CCOHORT_PNG_FALLBACK;                    /* unknown critical chunk */
            if (sawIDAT) idatEnded = 1;
        }
        at += 12 + (size_t)length;
    }
    if (!sawEnd || !sawIDAT || idatTotal < 2) return CCOHORT_PNG_FALLBACK;
    if ((uint64_t)width * height > maxPixels) return CCOHORT_PNG_FALLBACK;
    size_t bitsPerPixel = (size_t)channels * (size_t)depth;
    size_t rowBytes = ((size_t)width * bitsPerPixel + 7) / 8;
    size_t bpp = bitsPerPixel < 8 ? 1 : bitsPerPixel / 8;
    size_t filteredSize = (size_t)height * (rowBytes + 1);
    size_t sampleBytes = depth == 16 ? 2 : 1;
    size_t outRow = (size_t)width * channels * sampleBytes;

    /* The zlib stream: one IDAT is used where it lies, several are joined. */
    uint8_t *joined = NULL;
    const uint8_t *stream = firstIDAT;
    if (idatChunks > 1) {
        joined = (uint8_t *)malloc(idatTotal);
        if (!joined) return CCOHORT_PNG_FALLBACK;
        size_t filled = 0;
        for (size_t p = 8; p + 12 <= size;) {
            uint32_t length = be32(data + p);
            if (memcmp(data + p + 4, "IDAT", 4) == 0) {
                memcpy(joined + filled, data + p + 8, length);
                filled += length;
            } else if (memcmp(data + p + 4, "IEND", 4) == 0) {
                break;
            }
            p += 12 + (size_t)length;
        }
        stream = joined;
    }
    uint8_t *filtered = (uint8_t *)malloc(filteredSize);
    uint8_t *zeros = (uint8_t *)calloc(rowBytes + 1, 1);
    uint8_t *pixels = (uint8_t *)malloc((size_t)height * outRow + 1);
    struct libdeflate_decompressor *inflater = libdeflate_alloc_decompressor();
    int status = CCOHORT_PNG_FALLBACK;
    if (filtered && zeros && pixels && inflater &&
        libdeflate_zlib_decompress(inflater, stream, idatTotal, filtered, filteredSize, NULL) == LIBDEFLATE_SUCCESS &&
        unfilter(filtered, height, rowBytes, bpp, zeros) == 0) {
        for (uint32_t y = 0; y < height; ++y) {
            const uint8_t *row = filtered + (size_t)y * (rowBytes + 1) + 1;
            uint8_t *out = pixels + (size_t)y * outRow;
            if (depth == 8) {
                memcpy(out, row, outRow);
            } else if (depth == 16) {
                for (size_t i = 0; i < outRow; i += 2) { out[i] = row[i + 1]; out[i + 1] = row[i]; }
            } else {
                int perByte = 8 / depth, mask = (1 << depth) - 1;
                for (uint32_t x = 0; x < width; ++x) {
                    int shift = 8 - depth * (int)(x % (uint32_t)perByte + 1);
                    out[x] = (uint8_t)((row[x / (uint32_t)perByte] >> shift) & mask);
                }
            }
        }
        status = CCOHORT_PNG_OK;
    }
    if (inflater) libdeflate_free_decompressor(inflater);
    free(joined);
    free(filtered);
    free(zeros);
    if (status != CCOHORT_PNG_OK) {
        free(pixels);
        return status;
    }
    image->width = width;
    image->height = height;
    image->bitDepth = depth;
    image->colorType = colorType;
    image->channels = channels;
    image->pixels = pixels;
    return CCOHORT_PNG_OK;
}

uint32_t ccohort_crc32(uint32_t crc, const void *data, size_t size) { return libdeflate_crc32(crc, data, size); }

int ccohort_png_header(const uint8_t *data, size_t size, uint64_t maxPixels, CCohortPNGImage *header) {
    memset(header, 0, sizeof(*header));
    if (size < 8 + 25 || memcmp(data, signature, 8) != 0) return CCOHORT_PNG_FALLBACK;
    if (be32(data + 8) != 13 || memcmp(data + 12, "IHDR", 4) != 0) return CCOHORT_PNG_FALLBACK;
    if (libdeflate_crc32(0, data + 12, 4 + 13) != be32(data + 16 + 13)) return CCOHORT_PNG_FALLBACK;
    CCohortPNGImage parsed;
    if (!read_ihdr(data + 16, 1, &parsed) || (uint64_t)parsed.width * parsed.height > maxPixels) return CCOHORT_PNG_FALLBACK;
    parsed.pixels = NULL;
    *header = parsed;
    return CCOHORT_PNG_OK;
}
