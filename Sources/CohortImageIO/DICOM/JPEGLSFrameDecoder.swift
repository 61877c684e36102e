import CCohortKernels
import CohortCore

/// Decodes JPEG-LS frames (one fragment each) with Cohort's own decoder instead of DCMTK's bundled CharLS, which
/// aborts the process on an assertion for some damaged scans (found by `cohort fuzz`).
///
/// Streams the decoder does not handle (interleaved scans, mapping tables, point transforms) give nil, and the
/// caller falls back to DCMTK; damaged streams throw.
struct JPEGLSFrameDecoder {
    let file: DicomFile
    let attributes: PixelAttributes
    let format: SampleFormat

    static let syntaxes: Set<String> = ["1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.4.81"]

    func decode() throws -> PixelArray? {
        let a = attributes
        guard format.byteCount <= 2, !format.isFloatingPoint else { return nil }
        let samples = a.rows * a.columns * a.samplesPerPixel
        var values = [UInt16](repeating: 0, count: samples)
        var bytes = [UInt8](repeating: 0, count: samples * a.frames * format.byteCount)
        for frame in 0..<a.frames {
            guard try decodeFrame(frame, into: &values) else { return nil }
            let start = frame * samples * format.byteCount
            bytes.withUnsafeMutableBytes { out in
                if format.byteCount == 1 {
                    for i in 0..<samples { out[start + i] = UInt8(truncatingIfNeeded: values[i]) }
                } else {
                    for i in 0..<samples {
                        out[start + 2 * i] = UInt8(truncatingIfNeeded: values[i])
                        out[start + 2 * i + 1] = UInt8(truncatingIfNeeded: values[i] >> 8)
                    }
                }
            }
        }
        if a.isSigned, a.bitsStored < a.bitsAllocated { NativeLayout.signExtend(&bytes, format: format, bitsStored: a.bitsStored) }
        return PixelArray(format: format, frames: a.frames, rows: a.rows, columns: a.columns,
                          samplesPerPixel: a.samplesPerPixel, bytes: bytes)
    }

    /// Decodes frame `index` into `values`; false when the stream needs another decoder.
    private func decodeFrame(_ index: Int, into values: inout [UInt16]) throws -> Bool {
        var message = [CChar](repeating: 0, count: 256)
        var width: Int32 = 0, height: Int32 = 0, components: Int32 = 0, precision: Int32 = 0
        let capacity = values.count
        let status = try file.withFragment(index) { fragment in
            values.withUnsafeMutableBufferPointer { out in
                ccohort_jpegls_decode(fragment.baseAddress, fragment.count, out.baseAddress, capacity, &width, &height,
                                      &components, &precision, &message, message.count)
            }
        }
        if status == Int32(CCOHORT_JPEGLS_UNSUPPORTED) { return false }
        guard status == Int32(CCOHORT_JPEGLS_OK) else {
            throw ImageIOError(code: .decodeFailed, message: "frame \(index): the compressed pixel data is corrupt", path: file.path,
                               libraryMessage: String(cString: message))
        }
        let a = attributes
        guard Int(width) == a.columns, Int(height) == a.rows, Int(components) == a.samplesPerPixel, Int(precision) <= a.bitsAllocated else {
            throw ImageIOError(code: .decodeFailed,
                               message: "frame \(index): the JPEG-LS frame is \(width)x\(height) with \(components) component(s) of \(precision) bits, " +
                                        "but the header declares \(a.columns)x\(a.rows) with \(a.samplesPerPixel) of \(a.bitsAllocated) bits",
                               path: file.path)
        }
        return true
    }
}
