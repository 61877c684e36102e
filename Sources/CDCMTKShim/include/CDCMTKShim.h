/* CDCMTKShim: the small C surface Cohort uses from DCMTK.
 *
 * Handles are opaque; every call returns a status and, where useful, DCMTK's own message in a caller
 * buffer. No C++ type or exception crosses this header: every body catches and converts them.
 */
#ifndef CDCMTK_SHIM_H
#define CDCMTK_SHIM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** One loaded DICOM file (dataset plus file meta information), owned by the caller. */
typedef struct CDCMFile CDCMFile;

/** Outcome of a shim call. */
typedef enum {
    CDCM_OK = 0,
    CDCM_NOT_DICOM = 1,         /**< the bytes are not a DICOM file or data set */
    CDCM_READ_FAILED = 2,       /**< I/O error, truncated file or malformed encoding */
    CDCM_NOT_FOUND = 3,         /**< the element or item does not exist */
    CDCM_NO_PIXEL_DATA = 4,     /**< no (7FE0,0010/0008/0009) element */
    CDCM_DECODE_FAILED = 5,     /**< the codec rejected the compressed stream */
    CDCM_UNSUPPORTED = 6,       /**< no codec for this transfer syntax in DCMTK */
    CDCM_BUFFER_TOO_SMALL = 7,  /**< call again with the size reported in `needed` */
    CDCM_TOO_LARGE = 8,         /**< a declared length exceeds what the file can hold */
    CDCM_INTERNAL = 9           /**< an exception or allocation failure inside DCMTK */
} CDCMStatus;

/** Address of an element: `depth` tags (group << 16 | element). Every tag but the last names a sequence,
 *  entered at the item with the same index in `items`. */
typedef struct {
    const uint32_t *tags;
    const uint32_t *items;
    int depth;
} CDCMPath;

/** Loads `path`, with or without preamble and file meta information. With `headerOnly`, stops before the
 *  pixel data. On failure `*out` is NULL and `message` holds DCMTK's text. */
CDCMStatus cdcm_open(const char *path, int headerOnly, CDCMFile **out, char *message, size_t capacity);

/** Frees a file returned by cdcm_open; NULL is ignored. */
void cdcm_close(CDCMFile *file);

/** The transfer syntax UID the data set was encoded in, as found in the meta header or detected. */
CDCMStatus cdcm_transfer_syntax(CDCMFile *file, char *buffer, size_t capacity);

/** All values of an element as one string, multiple values separated by a backslash. */
CDCMStatus cdcm_string(CDCMFile *file, CDCMPath path, char *buffer, size_t capacity, size_t *needed);

/** Number of items in the sequence at `path`. */
CDCMStatus cdcm_item_count(CDCMFile *file, CDCMPath path, size_t *count);

/** The values of a US, SS, OW or OB element as 16-bit words in host order (LUT data, descriptors). */
CDCMStatus cdcm_words(CDCMFile *file, CDCMPath path, uint16_t *buffer, size_t capacity, size_t *count);

/** Describes the pixel data element: which tag holds it, whether it is encapsulated, its fragment count
 *  (without the offset table) and its declared length in bytes (0xFFFFFFFF when undefined). */
CDCMStatus cdcm_pixel_layout(CDCMFile *file, uint32_t *tag, int *encapsulated, size_t *fragments,
                             uint32_t *length);

/** Decompresses encapsulated pixel data with DCMTK's codecs (JPEG, JPEG-LS, RLE) into native form. */
CDCMStatus cdcm_decompress(CDCMFile *file, char *message, size_t capacity);

/** Copies native pixel data: 16-bit words in host order for OW, bytes for OB, floats for OF/OD. */
CDCMStatus cdcm_native_pixels(CDCMFile *file, uint8_t *buffer, size_t capacity, size_t *needed,
                              int *wordSize);

/** Reads native Pixel Data straight from the file into `buffer` when DCMTK has not loaded it and the file is
 *  little endian, not deflated, with Pixel Data as its last element (checked against the element header in
 *  the file). Saves DCMTK's copy of the value; CDCM_UNSUPPORTED means "use cdcm_native_pixels". */
CDCMStatus cdcm_native_pixels_direct(CDCMFile *file, uint8_t *buffer, size_t capacity, size_t *needed,
                                     int *wordSize);

/** Copies encapsulated fragment `index` (0-based, after the offset table). */
CDCMStatus cdcm_fragment(CDCMFile *file, size_t index, uint8_t *buffer, size_t capacity, size_t *needed);

/** Points at encapsulated fragment `index` inside DCMTK's memory, loading it if needed; valid until the file
 *  is closed or decompressed. Saves a copy for decoders that only read the fragment. */
CDCMStatus cdcm_fragment_view(CDCMFile *file, size_t index, const uint8_t **data, size_t *length);

/** Copies the Basic Offset Table (may be empty). */
CDCMStatus cdcm_offset_table(CDCMFile *file, uint32_t *buffer, size_t capacity, size_t *count);

/** One string-valued element of a new data set: tag (group << 16 | element) and its value (backslash-separated
 *  for several values). The VR comes from DCMTK's dictionary. */
typedef struct {
    uint32_t tag;
    const char *value;
} CDCMStringElement;

/** Writes a single-frame 16-bit grayscale image as a DICOM Part 10 file: `elements` (patient, study, series,
 *  instance attributes), the image pixel module from `rows`, `columns`, `bitsStored`, `photometric`
 *  (MONOCHROME1/2), unsigned `pixels` (rows * columns words), encoded in `transferSyntaxUID` (native, RLE,
 *  JPEG lossless SV1 or JPEG-LS lossless; DCMTK's encoders). The file is written to a temporary name and
 *  renamed, so a reader never sees half a file. */
CDCMStatus cdcm_write_gray16(const char *path, const CDCMStringElement *elements, size_t elementCount,
                             uint16_t rows, uint16_t columns, uint16_t bitsStored, const char *photometric,
                             const uint16_t *pixels, const char *transferSyntaxUID, char *message, size_t capacity);

/** Writes a DICOM Segmentation (one segment: a lesion found automatically by `algorithmName`) of the DICOM image
 *  at `sourcePath` to `outputPath`: `mask` is rows * columns bytes and must match the source's size. Binary
 *  (`fractional` 0: 1 is lesion) or FRACTIONAL of type PROBABILITY (`fractional` 1: the lesion probability times
 *  255, Maximum Fractional Value 255). Patient, study and frame of reference come from the source, which the frame
 *  references (Derivation Image Sequence). Written to a temporary name and renamed. */
CDCMStatus cdcm_write_segmentation(const char *sourcePath, const char *outputPath, const uint8_t *mask, uint16_t rows,
                                   uint16_t columns, int fractional, const char *segmentLabel, const char *algorithmName,
                                   const char *softwareVersion, char *message, size_t capacity);

#ifdef __cplusplus
}
#endif

#endif
