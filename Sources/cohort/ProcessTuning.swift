import Foundation

#if canImport(Glibc)
/// glibc's `mallopt` (malloc.h is not part of the Glibc module); parameters from malloc.h.
@_silgen_name("mallopt") private func mallopt(_ parameter: Int32, _ value: Int32) -> Int32
private let M_TRIM_THRESHOLD: Int32 = -1
private let M_MMAP_THRESHOLD: Int32 = -3
#endif

/// Process-wide settings for a tool that decodes image after image.
enum ProcessTuning {
    /// Keeps freed image-sized blocks in the heap for the next image. By default glibc maps every block
    /// over its (adaptive, at most 32 MB) threshold afresh and the kernel zeroes each page on first touch;
    /// for mammograms that page-fault work costs more than RLE decoding itself. Peak memory is unchanged:
    /// the heap keeps at most what the largest image needed.
    static func apply() {
        #if canImport(Glibc)
        _ = mallopt(M_MMAP_THRESHOLD, 512 << 20)
        _ = mallopt(M_TRIM_THRESHOLD, Int32.max)  // training steps free and reuse gigabytes: keep them mapped
        #endif
    }
}
