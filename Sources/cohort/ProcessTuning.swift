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
        waitPassivelyInOpenMP()
        _ = mallopt(M_MMAP_THRESHOLD, 512 << 20)
        _ = mallopt(M_TRIM_THRESHOLD, Int32.max)  // training steps free and reuse gigabytes: keep them mapped
        #endif
    }

    /// Commands that run oneDNN primitives between Swift-parallel loops.
    static let computeCommands: Set<String> = ["train", "score", "bench", "pipeline", "explain", "evaluate", "report"]

    /// Makes libgomp's idle threads sleep instead of spinning. oneDNN's OpenMP threads otherwise spin after each
    /// primitive while Cohort's own loops want the same two cores (a U-Net step at 256x256: 2.09-2.15 s spinning,
    /// 1.83-1.87 s passive; ResNet-18 and simple-cnn unchanged). libgomp reads OMP_WAIT_POLICY when it is loaded,
    /// before `main`, so the process starts itself once more with the variable set; a user's own setting wins.
    static func waitPassivelyInOpenMP() {
        #if canImport(Glibc)
        let arguments = CommandLine.arguments
        guard arguments.count > 1, computeCommands.contains(arguments[1]), getenv("OMP_WAIT_POLICY") == nil else { return }
        setenv("OMP_WAIT_POLICY", "PASSIVE", 1)
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        // execv returns only on failure: go on as we are.
        #endif
    }
}
