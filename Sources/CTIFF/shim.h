/* CTIFF: typed wrappers for libtiff's variadic field accessors and per-handle error capture.
 * TIFFGetField and TIFFSetField are variadic, which Swift cannot call; each wrapper fixes one type. */
#ifndef CTIFF_SHIM_H
#define CTIFF_SHIM_H

#include <tiffio.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/** Collects libtiff's error and warning text for one handle. */
typedef struct {
    char error[512];
    char warning[512];
} CTIFFMessages;

static int ctiff_on_error(TIFF *tiff, void *user, const char *module, const char *format, va_list args) {
    (void)tiff; (void)module;
    CTIFFMessages *messages = (CTIFFMessages *)user;
    if (messages && messages->error[0] == '\0') vsnprintf(messages->error, sizeof messages->error, format, args);
    return 1;
}

static int ctiff_on_warning(TIFF *tiff, void *user, const char *module, const char *format, va_list args) {
    (void)tiff; (void)module;
    CTIFFMessages *messages = (CTIFFMessages *)user;
    if (messages && messages->warning[0] == '\0') vsnprintf(messages->warning, sizeof messages->warning, format, args);
    return 1;
}

/** Opens `path` in `mode` ("r", "w", "w8" for BigTIFF) with handlers writing into `messages`. */
static inline TIFF *ctiff_open(const char *path, const char *mode, CTIFFMessages *messages) {
    memset(messages, 0, sizeof *messages);
    TIFFOpenOptions *options = TIFFOpenOptionsAlloc();
    if (!options) return NULL;
    TIFFOpenOptionsSetErrorHandlerExtR(options, ctiff_on_error, messages);
    TIFFOpenOptionsSetWarningHandlerExtR(options, ctiff_on_warning, messages);
    TIFF *tiff = TIFFOpenExt(path, mode, options);
    TIFFOpenOptionsFree(options);
    return tiff;
}

static inline int ctiff_get_u16(TIFF *tiff, uint32_t tag, uint16_t *value) { return TIFFGetField(tiff, tag, value); }
static inline int ctiff_get_u32(TIFF *tiff, uint32_t tag, uint32_t *value) { return TIFFGetField(tiff, tag, value); }
static inline int ctiff_get_u16_defaulted(TIFF *tiff, uint32_t tag, uint16_t *value) {
    return TIFFGetFieldDefaulted(tiff, tag, value);
}
static inline int ctiff_get_colormap(TIFF *tiff, uint16_t **red, uint16_t **green, uint16_t **blue) {
    return TIFFGetField(tiff, TIFFTAG_COLORMAP, red, green, blue);
}
static inline int ctiff_set_u16(TIFF *tiff, uint32_t tag, uint16_t value) { return TIFFSetField(tiff, tag, (int)value); }
static inline int ctiff_set_u32(TIFF *tiff, uint32_t tag, uint32_t value) { return TIFFSetField(tiff, tag, value); }
static inline int ctiff_set_int(TIFF *tiff, uint32_t tag, int value) { return TIFFSetField(tiff, tag, value); }

#endif
