import CDCMTKShim
import CohortCore
import Foundation

/// Writes new DICOM files through DCMTK: single-frame 16-bit grayscale images with the caller's attributes,
/// in any transfer syntax DCMTK encodes (native little endian, RLE, JPEG lossless SV1, JPEG-LS lossless).
public enum DicomWriter {
    /// Transfer syntaxes the writer can produce.
    public enum Syntax: String, CaseIterable, Sendable {
        case explicitLittle = "1.2.840.10008.1.2.1"
        case implicitLittle = "1.2.840.10008.1.2"
        case rle = "1.2.840.10008.1.2.5"
        case jpegLossless = "1.2.840.10008.1.2.4.70"
        case jpegLSLossless = "1.2.840.10008.1.2.4.80"
    }

    /// Writes `pixels` (rows x columns, unsigned, `bitsStored` significant bits) with `attributes` (tag -> value,
    /// e.g. `0x0010_0020: "PAT-001"`) to `path`, atomically.
    public static func writeGray16(_ pixels: [UInt16], rows: Int, columns: Int, bitsStored: Int, photometric: Photometric,
                                   attributes: [(tag: UInt32, value: String)], syntax: Syntax, to path: String) throws {
        guard photometric == .monochrome1 || photometric == .monochrome2 else {
            throw ImageIOError(code: .writeFailed, message: "grayscale files are MONOCHROME1 or MONOCHROME2, not \(photometric.rawValue)", path: path)
        }
        guard pixels.count == rows * columns, rows > 0, columns > 0, rows <= 65535, columns <= 65535, (1...16).contains(bitsStored) else {
            throw ImageIOError(code: .writeFailed, message: "a \(rows)x\(columns) image needs \(rows * columns) pixels, got \(pixels.count)", path: path)
        }
        let values = attributes.map { strdup($0.value) }
        defer { values.forEach { free($0) } }
        let elements = zip(attributes, values).map { CDCMStringElement(tag: $0.0.tag, value: UnsafePointer($0.1)) }
        var message = [CChar](repeating: 0, count: 512)
        let status = cdcm_write_gray16(path, elements, elements.count, UInt16(rows), UInt16(columns), UInt16(bitsStored), photometric.rawValue,
                                       pixels, syntax.rawValue, &message, message.count)
        guard status == CDCM_OK else {
            throw ImageIOError(code: .writeFailed, message: "DCMTK could not write the file; check the folder is writable",
                               path: path, libraryMessage: String(cString: message))
        }
    }
}
