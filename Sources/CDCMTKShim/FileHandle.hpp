// Internal: the struct behind CDCMFile and helpers shared by the shim's translation units.
#ifndef CDCMTK_SHIM_FILEHANDLE_HPP
#define CDCMTK_SHIM_FILEHANDLE_HPP

#include "CDCMTKShim.h"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dctk.h>

#include <cstring>
#include <string>

struct CDCMFile {
    DcmFileFormat format;
    unsigned long long fileSize = 0;
    std::string path;
};

namespace cdcm {

/// Copies `text` into a caller buffer, always NUL-terminated, truncating when needed.
inline void copyMessage(const std::string &text, char *buffer, size_t capacity) {
    if (buffer == nullptr || capacity == 0) return;
    size_t n = text.size() < capacity - 1 ? text.size() : capacity - 1;
    std::memcpy(buffer, text.data(), n);
    buffer[n] = '\0';
}

/// Silences DCMTK's logger and registers the decoders, once per process.
void initialize();

/// Finds the element at `path`, entering sequences item by item.
DcmElement *findElement(DcmItem *root, CDCMPath path);

/// Finds the pixel data element: (7FE0,0010) Pixel Data, else Float or Double Float Pixel Data.
DcmElement *findPixelElement(DcmDataset *dataset, uint32_t *tagOut);

/// Saves `file` in `syntax` to `path` through a temporary name and a rename, so a reader never sees half a
/// file; on failure nothing is left behind and the message says why.
CDCMStatus saveAtomically(DcmFileFormat &file, const char *path, E_TransferSyntax syntax, char *message, size_t capacity);

}  // namespace cdcm

#endif
