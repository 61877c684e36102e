// Loading, closing and element look-up for the C shim. Every extern "C" body catches C++ exceptions.
#include "FileHandle.hpp"

#include <cstdio>

#include <dcmtk/dcmdata/dcrledrg.h>
#include <dcmtk/dcmjpeg/djdecode.h>
#include <dcmtk/dcmjpls/djdecode.h>
#include <dcmtk/oflog/oflog.h>

#include <mutex>
#include <new>
#include <sys/stat.h>

namespace cdcm {

void initialize() {
    static std::once_flag once;
    std::call_once(once, [] {
        OFLog::configure(OFLogger::OFF_LOG_LEVEL);
        DJDecoderRegistration::registerCodecs();
        DJLSDecoderRegistration::registerCodecs();
        DcmRLEDecoderRegistration::registerCodecs();
    });
}

CDCMStatus saveAtomically(DcmFileFormat &file, const char *path, E_TransferSyntax syntax, char *message, size_t capacity) {
    std::string temporary = std::string(path) + ".partial";
    OFCondition status = file.saveFile(temporary.c_str(), syntax);
    if (status.bad()) {
        std::remove(temporary.c_str());
        copyMessage(std::string("save: ") + status.text(), message, capacity);
        return CDCM_INTERNAL;
    }
    if (std::rename(temporary.c_str(), path) != 0) {
        std::remove(temporary.c_str());
        copyMessage(std::string("cannot rename to ") + path, message, capacity);
        return CDCM_INTERNAL;
    }
    return CDCM_OK;
}

DcmElement *findElement(DcmItem *root, CDCMPath path) {
    DcmItem *item = root;
    for (int level = 0; level < path.depth; ++level) {
        DcmTagKey key(static_cast<Uint16>(path.tags[level] >> 16), static_cast<Uint16>(path.tags[level] & 0xFFFF));
        if (level == path.depth - 1) {
            DcmElement *element = nullptr;
            if (item->findAndGetElement(key, element, OFFalse).bad()) return nullptr;
            return element;
        }
        DcmItem *next = nullptr;
        if (item->findAndGetSequenceItem(key, next, static_cast<signed long>(path.items[level]), OFFalse).bad()) {
            return nullptr;
        }
        item = next;
    }
    return nullptr;
}

DcmElement *findPixelElement(DcmDataset *dataset, uint32_t *tagOut) {
    const DcmTagKey keys[] = {DCM_PixelData, DCM_FloatPixelData, DCM_DoubleFloatPixelData};
    for (const DcmTagKey &key : keys) {
        DcmElement *element = nullptr;
        if (dataset->findAndGetElement(key, element, OFFalse).good() && element != nullptr) {
            if (tagOut) *tagOut = (static_cast<uint32_t>(key.getGroup()) << 16) | key.getElement();
            return element;
        }
    }
    return nullptr;
}

}  // namespace cdcm

extern "C" CDCMStatus cdcm_open(const char *path, int headerOnly, CDCMFile **out, char *message, size_t capacity) {
    *out = nullptr;
    try {
        cdcm::initialize();
        struct stat info;
        if (stat(path, &info) != 0) {
            cdcm::copyMessage("cannot open file", message, capacity);
            return CDCM_READ_FAILED;
        }
        CDCMFile *file = new CDCMFile();
        file->fileSize = static_cast<unsigned long long>(info.st_size);
        file->path = path;
        OFCondition status = headerOnly
            ? file->format.loadFileUntilTag(path, EXS_Unknown, EGL_noChange, DCM_MaxReadLength, ERM_autoDetect,
                                            DCM_PixelData)
            : file->format.loadFile(path, EXS_Unknown, EGL_noChange, DCM_MaxReadLength, ERM_autoDetect);
        if (status.bad()) {
            cdcm::copyMessage(status.text(), message, capacity);
            bool notDicom = status == EC_InvalidStream || status == EC_ItemEnd || status == EC_UnknownVR ||
                            file->format.getDataset()->card() == 0;
            delete file;
            return notDicom ? CDCM_NOT_DICOM : CDCM_READ_FAILED;
        }
        *out = file;
        return CDCM_OK;
    } catch (const std::bad_alloc &) {
        cdcm::copyMessage("out of memory while parsing (absurd declared length?)", message, capacity);
        return CDCM_TOO_LARGE;
    } catch (const std::exception &error) {
        cdcm::copyMessage(error.what(), message, capacity);
        return CDCM_INTERNAL;
    } catch (...) {
        cdcm::copyMessage("unknown C++ exception in DCMTK", message, capacity);
        return CDCM_INTERNAL;
    }
}

extern "C" void cdcm_close(CDCMFile *file) {
    try {
        delete file;
    } catch (...) {
    }
}

extern "C" CDCMStatus cdcm_transfer_syntax(CDCMFile *file, char *buffer, size_t capacity) {
    try {
        OFString uid;
        if (file->format.getMetaInfo()->findAndGetOFString(DCM_TransferSyntaxUID, uid).good() && !uid.empty()) {
            cdcm::copyMessage(uid.c_str(), buffer, capacity);
            return CDCM_OK;
        }
        DcmXfer detected(file->format.getDataset()->getOriginalXfer());
        if (detected.getXfer() == EXS_Unknown) return CDCM_NOT_FOUND;
        cdcm::copyMessage(detected.getXferID(), buffer, capacity);
        return CDCM_OK;
    } catch (...) {
        return CDCM_INTERNAL;
    }
}

extern "C" CDCMStatus cdcm_string(CDCMFile *file, CDCMPath path, char *buffer, size_t capacity, size_t *needed) {
    try {
        DcmItem *root = file->format.getDataset();
        if (path.depth == 1 && (path.tags[0] >> 16) == 0x0002) root = file->format.getMetaInfo();
        DcmElement *element = cdcm::findElement(root, path);
        if (element == nullptr) return CDCM_NOT_FOUND;
        if (element->getLength() > file->fileSize + 1024) return CDCM_TOO_LARGE;
        OFString value;
        DcmEVR vr = element->getVR();
        if (vr == EVR_UN || vr == EVR_OB) {
            // Text attributes stored with VR UN (implicit-VR origins, unknown private dictionaries) come back
            // from getOFStringArray as hex; the caller wants the characters, padding trimmed.
            Uint8 *bytes = nullptr;
            if (element->getUint8Array(bytes).bad()) return CDCM_NOT_FOUND;
            size_t length = element->getLength();
            if (bytes == nullptr) length = 0;
            while (length > 0 && (bytes[length - 1] == 0 || bytes[length - 1] == ' ')) --length;
            value.assign(reinterpret_cast<const char *>(bytes), length);
        } else if (element->getOFStringArray(value).bad()) {
            return CDCM_NOT_FOUND;
        }
        *needed = value.size() + 1;
        if (value.size() + 1 > capacity) return CDCM_BUFFER_TOO_SMALL;
        cdcm::copyMessage(value.c_str(), buffer, capacity);
        return CDCM_OK;
    } catch (...) {
        return CDCM_INTERNAL;
    }
}

extern "C" CDCMStatus cdcm_item_count(CDCMFile *file, CDCMPath path, size_t *count) {
    try {
        DcmItem *item = file->format.getDataset();
        for (int level = 0; level < path.depth; ++level) {
            DcmTagKey key(static_cast<Uint16>(path.tags[level] >> 16), static_cast<Uint16>(path.tags[level] & 0xFFFF));
            if (level == path.depth - 1) {
                DcmSequenceOfItems *sequence = nullptr;
                if (item->findAndGetSequence(key, sequence, OFFalse).bad() || sequence == nullptr) return CDCM_NOT_FOUND;
                *count = sequence->card();
                return CDCM_OK;
            }
            DcmItem *next = nullptr;
            if (item->findAndGetSequenceItem(key, next, static_cast<signed long>(path.items[level]), OFFalse).bad()) {
                return CDCM_NOT_FOUND;
            }
            item = next;
        }
        return CDCM_NOT_FOUND;
    } catch (...) {
        return CDCM_INTERNAL;
    }
}

extern "C" CDCMStatus cdcm_words(CDCMFile *file, CDCMPath path, uint16_t *buffer, size_t capacity, size_t *count) {
    try {
        DcmElement *element = cdcm::findElement(file->format.getDataset(), path);
        if (element == nullptr) return CDCM_NOT_FOUND;
        if (element->getLength() > file->fileSize + 1024) return CDCM_TOO_LARGE;
        DcmEVR vr = element->getTag().getEVR();
        if (vr == EVR_OB) {
            Uint8 *bytes = nullptr;
            if (element->getUint8Array(bytes).bad() || bytes == nullptr) return CDCM_NOT_FOUND;
            size_t n = element->getLength();
            *count = n;
            if (n > capacity) return CDCM_BUFFER_TOO_SMALL;
            for (size_t i = 0; i < n; ++i) buffer[i] = bytes[i];
            return CDCM_OK;
        }
        Uint16 *words = nullptr;
        if (element->getUint16Array(words).good() && words != nullptr) {
            size_t n = element->getLength() / 2;
            *count = n;
            if (n > capacity) return CDCM_BUFFER_TOO_SMALL;
            std::memcpy(buffer, words, n * 2);
            return CDCM_OK;
        }
        Sint16 *signedWords = nullptr;
        if (element->getSint16Array(signedWords).good() && signedWords != nullptr) {
            size_t n = element->getLength() / 2;
            *count = n;
            if (n > capacity) return CDCM_BUFFER_TOO_SMALL;
            std::memcpy(buffer, signedWords, n * 2);
            return CDCM_OK;
        }
        return CDCM_NOT_FOUND;
    } catch (...) {
        return CDCM_INTERNAL;
    }
}
