// Pixel data access for the C shim: layout, decompression with DCMTK's codecs, native copies and
// encapsulated fragments (for codecs DCMTK lacks, such as JPEG 2000, decoded by the caller).
#include "FileHandle.hpp"

#include <dcmtk/dcmdata/dcpixel.h>
#include <dcmtk/dcmdata/dcpixseq.h>
#include <dcmtk/dcmdata/dcpxitem.h>

#include <new>

namespace {

DcmPixelSequence *encapsulatedSequence(CDCMFile *file) {
    uint32_t tag = 0;
    DcmElement *element = cdcm::findPixelElement(file->format.getDataset(), &tag);
    if (element == nullptr || tag != 0x7FE00010) return nullptr;
    DcmPixelData *pixelData = OFstatic_cast(DcmPixelData *, element);
    E_TransferSyntax xfer = EXS_Unknown;
    const DcmRepresentationParameter *parameter = nullptr;
    pixelData->getOriginalRepresentationKey(xfer, parameter);
    DcmPixelSequence *sequence = nullptr;
    if (pixelData->getEncapsulatedRepresentation(xfer, parameter, sequence).bad()) return nullptr;
    return sequence;
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
