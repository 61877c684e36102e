import CohortCore
import Foundation

/// Entry point for reading any supported file: detects the format from content and dispatches.
public enum ImageFiles {
    /// Detects the format of the file at `path` from its first bytes, or nil when it is none we read.
    ///
    /// DICOM: `DICM` at offset 128, or (without preamble) a plausible group 0002/0008 tag at offset 0.
    /// PNG: its 8-byte signature. TIFF: `II*\0`, `MM\0*` or the BigTIFF variants.
    public static func detectFormat(path: String) -> ImageFileFormat? {
        // POSIX reads: Foundation's FileHandle traps on directories and unreadable special files.
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        var head = [UInt8](repeating: 0, count: 132)
        let count = head.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, 132) }
        guard count > 0 else { return nil }
        return detectFormat(head: Array(head.prefix(count)))
    }

    /// Detects the format from the first (up to 132) bytes of a file.
    public static func detectFormat(head: [UInt8]) -> ImageFileFormat? {
        if head.count >= 132 && head[128] == 0x44 && head[129] == 0x49 && head[130] == 0x43 && head[131] == 0x4D {
            return .dicom
        }
        if head.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .png }
        if head.starts(with: [0x49, 0x49, 0x2A, 0x00]) || head.starts(with: [0x4D, 0x4D, 0x00, 0x2A])
            || head.starts(with: [0x49, 0x49, 0x2B, 0x00]) || head.starts(with: [0x4D, 0x4D, 0x00, 0x2B]) {
            return .tiff
        }
        if looksLikeRawDataSet(head) { return .dicom }
        return nil
    }

    /// Reads the image at `path` with `options`, whatever its format.
    public static func read(path: String, options: ReadOptions = ReadOptions()) throws -> MedicalImage {
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw ImageIOError(code: .cannotOpen, message: "cannot open the file: check that it exists and is readable",
                               path: path)
        }
        return try read(path: path, format: detectFormat(path: path), options: options)
    }

    /// Reads the image at `path` whose format the caller detected already (from ``detectFormat(head:)``).
    public static func read(path: String, format: ImageFileFormat?, options: ReadOptions = ReadOptions()) throws -> MedicalImage {
        switch format {
        case .dicom: return try DicomReader(options: options).read(path: path)
        case .png: return try PNGReader(options: options).read(path: path)
        case .tiff: return try TIFFReader(options: options).read(path: path)
        case nil:
            throw ImageIOError(code: .unknownFormat,
                               message: "not a DICOM, PNG or TIFF file (format is detected from content, not the extension)",
                               path: path)
        }
    }

    /// A data set without preamble starts with a small even group (0002 or 0008 usually), a VR or a length.
    private static func looksLikeRawDataSet(_ head: [UInt8]) -> Bool {
        guard head.count >= 8 else { return false }
        let group = UInt16(head[0]) | UInt16(head[1]) << 8
        let bigEndianGroup = UInt16(head[0]) << 8 | UInt16(head[1])
        let plausible: Set<UInt16> = [0x0002, 0x0008, 0x0010, 0x0018, 0x0020, 0x0028]
        guard plausible.contains(group) || plausible.contains(bigEndianGroup) else { return false }
        let vr = String(decoding: head[4..<6], as: UTF8.self)
        let knownVRs: Set<String> = ["AE", "AS", "AT", "CS", "DA", "DS", "DT", "FL", "FD", "IS", "LO", "LT", "OB",
                                     "OD", "OF", "OW", "PN", "SH", "SL", "SQ", "SS", "ST", "TM", "UI", "UL", "UN",
                                     "US", "UT", "UC", "UR", "OL", "OV", "SV", "UV"]
        if knownVRs.contains(vr) { return true }
        let length = UInt32(head[4]) | UInt32(head[5]) << 8 | UInt32(head[6]) << 16 | UInt32(head[7]) << 24
        return length < 1 << 16
    }
}
