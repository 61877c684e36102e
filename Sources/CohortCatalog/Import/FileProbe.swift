import CCohortKernels
import CohortCore
import CohortImageIO
import Foundation

/// What importing one file found.
enum ProbeOutcome: Sendable, Codable {
    /// Not an image format, and not named like one: ignored without a record (README, CSV, licence files).
    case notImage
    /// An image file that could not be read, or a DICOM object without pixels (`code` says which).
    case failed(code: String, message: String)
    /// A readable image.
    case image(ImageFacts)
}

/// The facts of a readable image file that become catalog rows.
struct ImageFacts: Sendable, Codable {
    let sha256: String
    let metadata: ImageMetadata
    let photometric: String
    /// Digest of the stored values and share of non-zero samples (nil in a headers-only import).
    let pixelSha256: String?
    let nonzeroFraction: Double?
}

/// Reads one file for the importer: content hash, metadata, stored pixels (digest and non-zero share).
/// Runs on worker threads; touches no shared state.
///
/// Two steps: ``identify(_:decodePixels:)`` uses Cohort's own code only (hashing, format detection, PNG headers),
/// so it runs in the importing process; ``read(path:format:sha256:decodePixels:)`` calls the decoder libraries
/// and runs in a worker process when the import is isolated.
enum FileProbe {
    /// Extensions that mark a file as meant to be an image: an undetectable file with one of these is a failure.
    static let imageExtensions: Set<String> = ["dcm", "dicom", "dic", "ima", "png", "tif", "tiff"]

    /// What hashing a file and looking at its first bytes decided.
    enum Identified {
        /// Nothing more to read: not an image, unreadable, or an image whose header its first bytes gave.
        case finished(ProbeOutcome, sha256: String?)
        /// An image file of `format` whose reader must run.
        case needsReader(ImageFileFormat, sha256: String)
    }

    static func probe(_ candidate: ImportCandidate, decodePixels: Bool = true) -> (outcome: ProbeOutcome, sha256: String?) {
        switch identify(candidate, decodePixels: decodePixels) {
        case .finished(let outcome, let sha256):
            return (outcome, sha256)
        case .needsReader(let format, let sha256):
            return (read(path: candidate.absolutePath, format: format, sha256: sha256, decodePixels: decodePixels), sha256)
        }
    }

    /// Hashes the file and detects its format; without `decodePixels`, a PNG's header is taken from its first bytes
    /// (palette and damaged headers excepted, which go to libpng).
    static func identify(_ candidate: ImportCandidate, decodePixels: Bool) -> Identified {
        let path = candidate.absolutePath
        guard let (sha256, head) = try? contentHash(path: path, sizeHint: candidate.size) else {
            return .finished(.failed(code: "cannotOpen", message: "cannot read the file; check permissions"), sha256: nil)
        }
        let named = imageExtensions.contains((path as NSString).pathExtension.lowercased())
        guard let format = ImageFiles.detectFormat(head: head) else {
            if !named { return .finished(.notImage, sha256: sha256) }
            return .finished(.failed(code: ImageIOError.Code.unknownFormat.rawValue,
                                     message: "not a DICOM, PNG or TIFF file despite its extension"), sha256: sha256)
        }
        if !decodePixels, format == .png, let image = PNGReader.header(head: head) {
            return .finished(outcome(image, sha256: sha256, decodePixels: false), sha256: sha256)
        }
        return .needsReader(format, sha256: sha256)
    }

    /// Reads the image file at `path`, of `format` and with content hash `sha256`, through its decoder library.
    static func read(path: String, format: ImageFileFormat, sha256: String, decodePixels: Bool) -> ProbeOutcome {
        do {
            var options = ReadOptions()
            options.readPixels = decodePixels
            return outcome(try ImageFiles.read(path: path, format: format, options: options), sha256: sha256, decodePixels: decodePixels)
        } catch let error as ImageIOError {
            // The message without the absolute path: the catalog stores paths relative to the root.
            return .failed(code: error.code.rawValue, message: error.message)
        } catch {
            return .failed(code: "internal", message: "\(error)")
        }
    }

    private static func outcome(_ image: MedicalImage, sha256: String, decodePixels: Bool) -> ProbeOutcome {
        let m = image.metadata
        guard image.pixels != nil || (!decodePixels && m.rows > 0 && m.columns > 0) else {
            return .failed(code: ImageIOError.Code.noPixelData.rawValue, message: "no pixel data")
        }
        return .image(ImageFacts(sha256: sha256, metadata: m, photometric: image.photometric.rawValue,
                                 pixelSha256: image.pixels.map { SHA256.hex($0.bytes) },
                                 nonzeroFraction: image.pixels.map(nonzeroFraction)))
    }

    /// SHA-256 of the file's bytes and its first 132 bytes (for format detection), read in chunks of up to 1 MB
    /// (`sizeHint`, the size the scan saw, keeps the buffer small for small files: a fresh 1 MB buffer per file
    /// cost page faults on every one).
    static func contentHash(path: String, sizeHint: Int64 = 1 << 20) throws -> (String, [UInt8]) {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw CatalogError(code: .notFound, message: "cannot open", path: path) }
        defer { close(descriptor) }
        let capacity = Int(min(max(sizeHint + 1, 4096), 1 << 20))
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 64)
        defer { buffer.deallocate() }
        var hasher = SHA256()
        var head: [UInt8] = []
        while true {
            let count = Glibc.read(descriptor, buffer, capacity)
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { throw CatalogError(code: .notFound, message: "read failed", path: path) }
            if count == 0 { break }
            let chunk = UnsafeRawBufferPointer(start: buffer, count: count)
            if head.count < 132 { head += chunk.prefix(132 - head.count) }
            hasher.update(chunk)
        }
        return (hasher.finalize().hexString, head)
    }

    /// Share of samples whose value is not zero (the foreground of a mask).
    static func nonzeroFraction(_ pixels: PixelArray) -> Double {
        let width = pixels.format.byteCount
        let total = pixels.bytes.count / max(width, 1)
        guard total > 0, [1, 2, 4, 8].contains(width) else { return 0 }
        let nonzero = pixels.bytes.withUnsafeBufferPointer { ccohort_count_nonzero($0.baseAddress, total, Int32(width)) }
        return Double(nonzero) / Double(total)
    }
}
