// Writing new DICOM files (synthetic studies) with DCMTK's encoders. Every extern "C" body catches C++ exceptions.
#include "FileHandle.hpp"

#include <dcmtk/dcmdata/dcpixel.h>
#include <dcmtk/dcmdata/dcpixseq.h>
#include <dcmtk/dcmdata/dcpxitem.h>
#include <dcmtk/dcmdata/dcrleerg.h>
#include <dcmtk/dcmjpeg/djencode.h>
#include <dcmtk/dcmjpls/djencode.h>

#include <cstdio>
#include <mutex>
#include <new>

namespace {

void registerEncoders() {
    static std::once_flag once;
    std::call_once(once, [] {
        DJEncoderRegistration::registerCodecs();
        DJLSEncoderRegistration::registerCodecs();
        DcmRLEEncoderRegistration::registerCodecs();
    });
}

/// Zeroes the pad byte after a JPEG stream's EOI marker in every fragment. DCMTK's JPEG-LS encoder leaves that byte
/// of an odd-length stream uninitialised, so the same image gave different files from run to run.
void zeroFragmentPadding(DcmDataset *data) {
    DcmElement *element = nullptr;
    if (data->findAndGetElement(DCM_PixelData, element).bad() || element == nullptr) return;
    DcmPixelSequence *sequence = nullptr;
    if (static_cast<DcmPixelData *>(element)->getEncapsulatedRepresentation(data->getCurrentXfer(), nullptr, sequence).bad() ||
        sequence == nullptr) return;
    for (unsigned long i = 1; i < sequence->card(); ++i) {
        DcmPixelItem *item = nullptr;
        Uint8 *bytes = nullptr;
        if (sequence->getItem(item, i).bad() || item == nullptr || item->getUint8Array(bytes).bad() || bytes == nullptr) continue;
        const Uint32 length = item->getLength();
        if (length >= 3 && length % 2 == 0 && bytes[length - 3] == 0xFF && bytes[length - 2] == 0xD9) bytes[length - 1] = 0;
    }
}

CDCMStatus fail(const OFCondition &condition, const char *what, char *message, size_t capacity) {
    cdcm::copyMessage(std::string(what) + ": " + condition.text(), message, capacity);
    return CDCM_INTERNAL;
}

}  // namespace

extern "C" CDCMStatus cdcm_write_gray16(const char *path, const CDCMStringElement *elements, size_t elementCount,
                                        uint16_t rows, uint16_t columns, uint16_t bitsStored, const char *photometric,
                                        const uint16_t *pixels, const char *transferSyntaxUID, char *message,
                                        size_t capacity) {
    try {
        cdcm::initialize();
        registerEncoders();
        DcmXfer transfer(transferSyntaxUID);
        E_TransferSyntax syntax = transfer.getXfer();
        if (syntax == EXS_Unknown) {
            cdcm::copyMessage(std::string("unknown transfer syntax ") + transferSyntaxUID, message, capacity);
            return CDCM_UNSUPPORTED;
        }
        DcmFileFormat file;
        DcmDataset *data = file.getDataset();
        for (size_t i = 0; i < elementCount; ++i) {
            DcmTagKey key(static_cast<Uint16>(elements[i].tag >> 16), static_cast<Uint16>(elements[i].tag & 0xFFFF));
            OFCondition status = data->putAndInsertString(key, elements[i].value);
            if (status.bad()) return fail(status, "element", message, capacity);
        }
        const Uint16 stored = bitsStored;
        OFCondition status = data->putAndInsertUint16(DCM_SamplesPerPixel, 1);
        if (status.good()) status = data->putAndInsertString(DCM_PhotometricInterpretation, photometric);
        if (status.good()) status = data->putAndInsertUint16(DCM_Rows, rows);
        if (status.good()) status = data->putAndInsertUint16(DCM_Columns, columns);
        if (status.good()) status = data->putAndInsertUint16(DCM_BitsAllocated, 16);
        if (status.good()) status = data->putAndInsertUint16(DCM_BitsStored, stored);
        if (status.good()) status = data->putAndInsertUint16(DCM_HighBit, static_cast<Uint16>(stored - 1));
        if (status.good()) status = data->putAndInsertUint16(DCM_PixelRepresentation, 0);
        if (status.good()) status = data->putAndInsertUint16Array(DCM_PixelData, pixels, static_cast<unsigned long>(rows) * columns);
        if (status.bad()) return fail(status, "pixel module", message, capacity);
        if (transfer.isEncapsulated()) {
            status = data->chooseRepresentation(syntax, nullptr);
            if (status.bad() || !data->canWriteXfer(syntax)) {
                cdcm::copyMessage(std::string("DCMTK cannot encode ") + transfer.getXferName() + ": " + status.text(), message, capacity);
                return CDCM_UNSUPPORTED;
            }
            zeroFragmentPadding(data);
        }
        return cdcm::saveAtomically(file, path, syntax, message, capacity);
    } catch (const std::bad_alloc &) {
        cdcm::copyMessage("out of memory", message, capacity);
        return CDCM_INTERNAL;
    } catch (...) {
        cdcm::copyMessage("unexpected C++ exception in DCMTK", message, capacity);
        return CDCM_INTERNAL;
    }
}
