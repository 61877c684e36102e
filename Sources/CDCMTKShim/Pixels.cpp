// Pixel data access for the C shim: layout, decompression with DCMTK's codecs, native copies and
// encapsulated fragments (for codecs DCMTK lacks, such as JPEG 2000, decoded by the caller).
#include "FileHandle.hpp"

#include <dcmtk/dcmdata/dcpixel.h>
#include <dcmtk/dcmdata/dcpixseq.h>
#include <dcmtk/dcmdata/dcpxitem.h>

#include <new>

#include <fcntl.h>
#include <unistd.h>

namespace {

DcmPixelSequence *encapsulatedSequence(CDCMFile *file) {
    uint32_t tag = 0;
    DcmElement *element = cdcm::findPixelElement(file->format.getDataset(), &tag);
    // A damaged file can give (7FE0,0010) another VR, and DCMTK then makes it another class: only a real
    // DcmPixelData may be cast to one (a mutated VR once crashed here).
    if (element == nullptr || tag != 0x7FE00010 || element->ident() != EVR_PixelData) return nullptr;
    DcmPixelData *pixelData = OFstatic_cast(DcmPixelData *, element);
    E_TransferSyntax xfer = EXS_Unknown;
    const DcmRepresentationParameter *parameter = nullptr;
    pixelData->getOriginalRepresentationKey(xfer, parameter);
    DcmPixelSequence *sequence = nullptr;
    if (pixelData->getEncapsulatedRepresentation(xfer, parameter, sequence).bad()) return nullptr;
    return sequence;
}

// What scanning the first JPEG fragment for its frame header found.
struct JPEGFrameScan {
    bool loops = false;          // DCMTK's own scan would never end (see below)
    unsigned height = 0, width = 0;  // from the start-of-frame segment; 0 when none was reached
};

// Walks the first JPEG fragment the way DCMTK's dcmjpeg scans it for the sample precision (marker by marker
// until a start-of-frame). DCMTK 3.6.7 does not advance past a TEM marker (0xFF01), so a damaged stream holding
// one there hangs its decoder: that is reported as `loops`. Segment markers advance by their 16-bit length plus
// two, RSTn/SOI/EOI and reserved markers by two, fill bytes by one; anything else ends the walk.
JPEGFrameScan scanJPEGFrame(const Uint8 *data, Uint32 length) {
    JPEGFrameScan scan;
    Uint32 offset = 0;
    while (data != nullptr && offset + 4 < length) {
        unsigned marker = (unsigned(data[offset]) << 8) | data[offset + 1];
        unsigned segment = (unsigned(data[offset + 2]) << 8) | data[offset + 3];
        bool frameStart = marker >= 0xFFC0 && marker <= 0xFFCF && marker != 0xFFC4 && marker != 0xFFC8 && marker != 0xFFCC;
        if (frameStart) {
            // SOFn: length, precision, lines (height), samples per line (width), components (ITU-T T.81 B.2.2).
            if (offset + 9 <= length) {
                scan.height = (unsigned(data[offset + 5]) << 8) | data[offset + 6];
                scan.width = (unsigned(data[offset + 7]) << 8) | data[offset + 8];
            }
            return scan;
        }
        if (marker == 0xFF01) {
            scan.loops = true;
            return scan;
        }
        if (marker == 0xFFC4 || marker == 0xFFC8 || marker == 0xFFCC || (marker >= 0xFFDA && marker <= 0xFFFE)) {
            offset += segment + 2;
        } else if ((marker >= 0xFFD0 && marker <= 0xFFD9) || (marker >= 0xFF03 && marker <= 0xFFBF)) {
            offset += 2;
        } else if (marker == 0xFFFF) {
            offset += 1;
        } else {
            return scan;
        }
    }
    return scan;
}

// Checks a JPEG-compressed dataset (a dcmjpeg syntax) before DCMTK decodes it: its first fragment must not hang
// DCMTK's scan, and its frame size must be the one Rows and Columns declare (DCMTK would otherwise allocate the
// declared size and leave what the stream does not cover zero). Returns a message, or nullptr when fine.
const char *jpegFragmentProblem(CDCMFile *file) {
    DcmDataset *dataset = file->format.getDataset();
    E_TransferSyntax xfer = dataset->getOriginalXfer();
    if (xfer == EXS_Unknown || DcmXfer(xfer).getJPEGProcess8Bit() == 0) return nullptr;
    DcmPixelSequence *sequence = encapsulatedSequence(file);
    DcmPixelItem *item = nullptr;
    Uint8 *data = nullptr;
    if (sequence == nullptr || sequence->getItem(item, 1).bad() || item == nullptr) return nullptr;
    if (item->getUint8Array(data).bad() || data == nullptr) return nullptr;
    JPEGFrameScan scan = scanJPEGFrame(data, item->getLength());
    if (scan.loops) return "the JPEG stream has a TEM marker (FF01) before its frame header, on which DCMTK's decoder would never finish";
    Uint16 rows = 0, columns = 0;
    dataset->findAndGetUint16(DCM_Rows, rows);
    dataset->findAndGetUint16(DCM_Columns, columns);
    if (scan.height != 0 && scan.width != 0 && (scan.height != rows || scan.width != columns)) {
        return "the JPEG frame's size differs from Rows and Columns in the DICOM header";
    }
    return nullptr;
}

}  // namespace

extern "C" CDCMStatus cdcm_pixel_layout(CDCMFile *file, uint32_t *tag, int *encapsulated, size_t *fragments,
                                        uint32_t *length) {
    try {
        DcmElement *element = cdcm::findPixelElement(file->format.getDataset(), tag);
        if (element == nullptr) return CDCM_NOT_FOUND;
        *length = element->getLength();
        DcmPixelSequence *sequence = encapsulatedSequence(file);
        *encapsulated = sequence != nullptr ? 1 : 0;
        *fragments = sequence != nullptr && sequence->card() > 0 ? sequence->card() - 1 : 0;
        return CDCM_OK;
    } catch (...) {
        return CDCM_INTERNAL;
    }
}

extern "C" CDCMStatus cdcm_decompress(CDCMFile *file, char *message, size_t capacity) {
    try {
        DcmDataset *dataset = file->format.getDataset();
        if (const char *problem = jpegFragmentProblem(file)) {
            cdcm::copyMessage(problem, message, capacity);
            return CDCM_DECODE_FAILED;
        }
        OFCondition status = dataset->chooseRepresentation(EXS_LittleEndianExplicit, nullptr);
        if (status.bad()) {
            cdcm::copyMessage(status.text(), message, capacity);
            return status == EC_CannotChangeRepresentation ? CDCM_UNSUPPORTED : CDCM_DECODE_FAILED;
        }
        return CDCM_OK;
    } catch (const std::bad_alloc &) {
        cdcm::copyMessage("out of memory while decompressing", message, capacity);
        return CDCM_TOO_LARGE;
    } catch (const std::exception &error) {
        cdcm::copyMessage(error.what(), message, capacity);
        return CDCM_INTERNAL;
    } catch (...) {
        cdcm::copyMessage("unknown C++ exception in a DCMTK codec", message, capacity);
        return CDCM_INTERNAL;
    }
}

extern "C" CDCMStatus cdcm_native_pixels(CDCMFile *file, uint8_t *buffer, size_t capacity, size_t *needed,
                                         int *wordSize) {
    try {
        uint32_t tag = 0;
        DcmElement *element = cdcm::findPixelElement(file->format.getDataset(), &tag);
        if (element == nullptr) return CDCM_NO_PIXEL_DATA;
        size_t length = element->getLength();
        if (length == DCM_UndefinedLength) return CDCM_DECODE_FAILED;
        // A value cannot be longer than the file it came from unless a codec (or inflation) produced it.
        E_TransferSyntax original = file->format.getDataset()->getOriginalXfer();
        bool expanded = original == EXS_DeflatedLittleEndianExplicit ||
                        (original != EXS_Unknown && DcmXfer(original).isEncapsulated());
        if (!element->isLeaf() || (!expanded && length > file->fileSize)) {
            return CDCM_TOO_LARGE;
        }
        *needed = length;
        if (length > capacity) return CDCM_BUFFER_TOO_SMALL;
        DcmEVR vr = element->getTag().getEVR();
        if (tag == 0x7FE00008) {
            Float32 *floats = nullptr;
            if (element->getFloat32Array(floats).bad() || floats == nullptr) return CDCM_READ_FAILED;
            std::memcpy(buffer, floats, length);
            *wordSize = 4;
        } else if (tag == 0x7FE00009) {
            Float64 *doubles = nullptr;
            if (element->getFloat64Array(doubles).bad() || doubles == nullptr) return CDCM_READ_FAILED;
            std::memcpy(buffer, doubles, length);
            *wordSize = 8;
        } else if (vr == EVR_OB) {
            Uint8 *bytes = nullptr;
            if (element->getUint8Array(bytes).bad() || bytes == nullptr) return CDCM_READ_FAILED;
            std::memcpy(buffer, bytes, length);
            *wordSize = 1;
        } else {
            Uint16 *words = nullptr;
            if (element->getUint16Array(words).bad() || words == nullptr) return CDCM_READ_FAILED;
            std::memcpy(buffer, words, length);
            *wordSize = 2;
        }
        return CDCM_OK;
    } catch (const std::bad_alloc &) {
        return CDCM_TOO_LARGE;
    } catch (...) {
        return CDCM_INTERNAL;
    }
}

extern "C" CDCMStatus cdcm_native_pixels_direct(CDCMFile *file, uint8_t *buffer, size_t capacity,
                                                size_t *needed, int *wordSize) {
    try {
        DcmDataset *dataset = file->format.getDataset();
        E_TransferSyntax xfer = dataset->getOriginalXfer();
        bool littleHost = gLocalByteOrder == EBO_LittleEndian;
        if (!littleHost || (xfer != EXS_LittleEndianImplicit && xfer != EXS_LittleEndianExplicit)) {
            return CDCM_UNSUPPORTED;
        }
        uint32_t tag = 0;
        DcmElement *element = cdcm::findPixelElement(dataset, &tag);
        unsigned long count = dataset->card();
        if (element == nullptr || tag != 0x7FE00010 || count == 0 || dataset->getElement(count - 1) != element ||
            element->valueLoaded() || !element->isLeaf()) {
            return CDCM_UNSUPPORTED;
        }
        DcmEVR vr = element->getTag().getEVR();
        uint32_t length = element->getLength();
        if ((vr != EVR_OW && vr != EVR_OB) || length == DCM_UndefinedLength || length == 0) return CDCM_UNSUPPORTED;
        bool explicitVR = xfer == EXS_LittleEndianExplicit;
        unsigned long long headerSize = explicitVR ? 12 : 8;
        if (file->fileSize < length + headerSize) return CDCM_UNSUPPORTED;
        unsigned long long offset = file->fileSize - length;
        *needed = length;
        *wordSize = vr == EVR_OB ? 1 : 2;
        if (buffer == nullptr || length > capacity) return CDCM_BUFFER_TOO_SMALL;
        int fd = ::open(file->path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) return CDCM_UNSUPPORTED;
        // The element header just before the value must be (7FE0,0010) with this length, or we guessed wrong.
        uint8_t header[12];
        bool ok = ::pread(fd, header, headerSize, static_cast<off_t>(offset - headerSize)) == ssize_t(headerSize);
        const uint8_t tagBytes[4] = {0xE0, 0x7F, 0x10, 0x00};
        ok = ok && std::memcmp(header, tagBytes, 4) == 0;
        const uint8_t *lengthBytes = header + headerSize - 4;
        uint32_t declared = uint32_t(lengthBytes[0]) | (uint32_t(lengthBytes[1]) << 8) |
                            (uint32_t(lengthBytes[2]) << 16) | (uint32_t(lengthBytes[3]) << 24);
        ok = ok && declared == length;
        if (ok && explicitVR) ok = header[4] == 'O' && (header[5] == 'W' || header[5] == 'B') && header[6] == 0 && header[7] == 0;
        size_t done = 0;
        while (ok && done < length) {
            ssize_t got = ::pread(fd, buffer + done, length - done, static_cast<off_t>(offset + done));
            if (got <= 0) { ok = false; break; }
            done += static_cast<size_t>(got);
        }
        ::close(fd);
        return ok ? CDCM_OK : CDCM_UNSUPPORTED;
    } catch (...) {
        return CDCM_UNSUPPORTED;
    }
}

extern "C" CDCMStatus cdcm_fragment(CDCMFile *file, size_t index, uint8_t *buffer, size_t capacity,
                                    size_t *needed) {
    try {
        DcmPixelSequence *sequence = encapsulatedSequence(file);
        if (sequence == nullptr) return CDCM_NO_PIXEL_DATA;
        DcmPixelItem *item = nullptr;
        if (sequence->getItem(item, static_cast<unsigned long>(index + 1)).bad() || item == nullptr) {
            return CDCM_NOT_FOUND;
        }
        size_t length = item->getLength();
        if (length > file->fileSize) return CDCM_TOO_LARGE;
        *needed = length;
        if (length > capacity) return CDCM_BUFFER_TOO_SMALL;
        if (length == 0) return CDCM_OK;
        Uint8 *bytes = nullptr;
        if (item->getUint8Array(bytes).bad() || bytes == nullptr) return CDCM_READ_FAILED;
        std::memcpy(buffer, bytes, length);
        return CDCM_OK;
    } catch (const std::bad_alloc &) {
        return CDCM_TOO_LARGE;
    } catch (...) {
        return CDCM_INTERNAL;
    }
}

extern "C" CDCMStatus cdcm_fragment_view(CDCMFile *file, size_t index, const uint8_t **data, size_t *length) {
    try {
        *data = nullptr;
        *length = 0;
        DcmPixelSequence *sequence = encapsulatedSequence(file);
        if (sequence == nullptr) return CDCM_NO_PIXEL_DATA;
        DcmPixelItem *item = nullptr;
        if (sequence->getItem(item, static_cast<unsigned long>(index + 1)).bad() || item == nullptr) {
            return CDCM_NOT_FOUND;
        }
        size_t size = item->getLength();
        if (size > file->fileSize) return CDCM_TOO_LARGE;
        if (size == 0) return CDCM_OK;
        Uint8 *bytes = nullptr;
        if (item->getUint8Array(bytes).bad() || bytes == nullptr) return CDCM_READ_FAILED;
        *data = bytes;
        *length = size;
        return CDCM_OK;
    } catch (const std::bad_alloc &) {
        return CDCM_TOO_LARGE;
    } catch (...) {
        return CDCM_INTERNAL;
    }
}

extern "C" CDCMStatus cdcm_offset_table(CDCMFile *file, uint32_t *buffer, size_t capacity, size_t *count) {
    try {
        DcmPixelSequence *sequence = encapsulatedSequence(file);
        if (sequence == nullptr) return CDCM_NO_PIXEL_DATA;
        DcmPixelItem *item = nullptr;
        if (sequence->getItem(item, 0).bad() || item == nullptr) return CDCM_NOT_FOUND;
        size_t length = item->getLength();
        if (length > file->fileSize) return CDCM_TOO_LARGE;
        *count = length / 4;
        if (*count > capacity) return CDCM_BUFFER_TOO_SMALL;
        if (length == 0) return CDCM_OK;
        Uint8 *bytes = nullptr;
        if (item->getUint8Array(bytes).bad() || bytes == nullptr) return CDCM_READ_FAILED;
        for (size_t i = 0; i < *count; ++i) {
            const Uint8 *p = bytes + 4 * i;
            buffer[i] = uint32_t(p[0]) | (uint32_t(p[1]) << 8) | (uint32_t(p[2]) << 16) | (uint32_t(p[3]) << 24);
        }
        return CDCM_OK;
    } catch (...) {
        return CDCM_INTERNAL;
    }
}
