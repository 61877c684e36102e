import CDCMTKShim
import CohortCore
import Foundation

/// Writes DICOM Segmentation objects (PS3.3 A.51, Segmentation IOD) through DCMTK's dcmseg, so viewers and
/// toolkits such as highdicom read a model's masks with their source images.
public enum DicomSegmentationWriter {
    /// Writes a binary segmentation of the DICOM image at `source` to `path`, atomically: `mask` is row-major
    /// `rows * columns` (true is lesion) and must match the source's size. One segment labelled `label`
    /// (SNOMED CT category "Morphologically Altered Structure", type "Mass"), algorithm type AUTOMATIC named
    /// `algorithm`; patient, study and frame of reference are the source's, and the frame references it.
    public static func writeBinary(source: String, mask: [Bool], rows: Int, columns: Int, label: String = "lesion",
                                   algorithm: String, to path: String) throws {
        try write(source: source, values: mask.map { UInt8($0 ? 1 : 0) }, fractional: false, rows: rows, columns: columns,
                  label: label, algorithm: algorithm, to: path)
    }

    /// The same as ``writeBinary(source:mask:rows:columns:label:algorithm:to:)`` for a probability map: Segmentation
    /// Type FRACTIONAL, Fractional Type PROBABILITY (Maximum Fractional Value 255); `probability` is row-major, each
    /// value the lesion probability times 255 (the bytes of the probability PNG beside it).
    public static func writeProbability(source: String, probability: [UInt8], rows: Int, columns: Int, label: String = "lesion",
                                        algorithm: String, to path: String) throws {
        try write(source: source, values: probability, fractional: true, rows: rows, columns: columns, label: label, algorithm: algorithm,
                  to: path)
    }

    private static func write(source: String, values: [UInt8], fractional: Bool, rows: Int, columns: Int, label: String,
                              algorithm: String, to path: String) throws {
        guard values.count == rows * columns, (1...65535).contains(rows), (1...65535).contains(columns) else {
            throw ImageIOError(code: .writeFailed, message: "a \(rows)x\(columns) mask needs \(rows * columns) values, got \(values.count)", path: path)
        }
        var message = [CChar](repeating: 0, count: 512)
        let status = cdcm_write_segmentation(source, path, values, UInt16(rows), UInt16(columns), fractional ? 1 : 0, label, algorithm,
                                             CohortVersion.string, &message, message.count)
        guard status == CDCM_OK else {
            throw ImageIOError(code: .writeFailed, message: "DCMTK could not write the DICOM Segmentation", path: path,
                               libraryMessage: String(cString: message))
        }
    }
}
