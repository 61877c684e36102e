import CohortCore
import CohortImageIO
import CohortIsolation
import Foundation

/// Samples prepared for scoring in worker processes (``WorkerPool``): a decoder that crashes or hangs on an
/// image becomes that image's failure, and scoring goes on.
///
/// The pool's workers must answer kind ``IsolatedSamples/kind`` with ``IsolatedSamples/handle(_:)``
/// (`cohort worker`). A reply is a 4-byte little-endian header length, a JSON header, then the image's
/// `height * width * channels` Float32 values (little endian, `[H, W, C]`).
public enum IsolatedSamples {
    /// The request kind of a prepared sample.
    public static let kind: UInt8 = 0x53  // "S"

    struct Request: Codable {
        var entry: DatasetEntry
        var preprocessing: Preprocessing
    }

    struct Header: Codable {
        var error: String?
        var height = 0, width = 0, channels = 0
        var geometry: PreparedGeometry?
    }

    /// Answers a sample request inside a worker: the entry's image read, prepared and finished (normalised).
    public static func handle(_ body: [UInt8]) -> [UInt8] {
        guard let request = try? JSONDecoder().decode(Request.self, from: Data(body)) else {
            return encode(Header(error: "the worker received a malformed sample request"), values: [])
        }
        let provider = SampleProvider(preprocessing: request.preprocessing, cache: nil)
        do {
            let (image, geometry) = try provider.finishedForScoring(request.entry)
            return encode(Header(height: image.height, width: image.width, channels: image.channels, geometry: geometry), values: image.values)
        } catch {
            return encode(Header(error: "\(error)"), values: [])
        }
    }

    /// The finished image of `entry` and its geometry (as ``SampleProvider/finishedForScoring(_:)`` gives them),
    /// prepared in a worker of `pool`.
    public static func finishedImage(_ entry: DatasetEntry, preprocessing: Preprocessing, pool: WorkerPool) throws -> (image: FloatImage, geometry: PreparedGeometry) {
        let body = try JSONEncoder().encode(Request(entry: entry, preprocessing: preprocessing))
        switch pool.call(WorkerRequest(kind: kind, body: Array(body)).bytes) {
        case .reply(let bytes):
            return try decode(bytes, path: entry.path)
        case .crashed(let how):
            throw DataError(code: .unreadableImage,
                            message: "the decoder crashed on this image twice (worker \(how)); it was skipped", path: entry.path)
        case .timedOut(let seconds):
            throw DataError(code: .unreadableImage,
                            message: String(format: "reading the image took longer than %.0f s; the worker was stopped and the image skipped", seconds),
                            path: entry.path)
        }
    }

    /// The request kind of a header read (laterality and study of a file to score).
    public static let headerKind: UInt8 = 0x48  // "H"

    /// What a header read gives: nil fields when the file is no image or its header is unreadable.
    public struct HeaderFacts: Codable, Sendable {
        public var isImage = false
        public var laterality: String?
        public var studyInstanceUID: String?
    }

    /// Answers a header request (the body is the file's path) inside a worker.
    public static func handleHeader(_ body: [UInt8]) -> [UInt8] {
        Array((try? JSONEncoder().encode(headerFacts(path: String(decoding: body, as: UTF8.self)))) ?? Data())
    }

    /// The header facts of `path`, read in this process.
    public static func headerFacts(path: String) -> HeaderFacts {
        guard ImageFiles.detectFormat(path: path) != nil else { return HeaderFacts() }
        var options = ReadOptions()
        options.readPixels = false
        let metadata = try? ImageFiles.read(path: path, options: options).metadata
        return HeaderFacts(isImage: true, laterality: metadata?.laterality, studyInstanceUID: metadata?.studyInstanceUID)
    }

    /// The header facts of `path`, read in a worker of `pool` (a file whose header crashes the reader is no image).
    public static func headerFacts(path: String, pool: WorkerPool) -> HeaderFacts {
        guard case .reply(let bytes) = pool.call(WorkerRequest(kind: headerKind, body: Array(path.utf8)).bytes),
              let facts = try? JSONDecoder().decode(HeaderFacts.self, from: Data(bytes)) else { return HeaderFacts(isImage: true) }
        return facts
    }

    private static func encode(_ header: Header, values: [Float]) -> [UInt8] {
        let json = Array((try? JSONEncoder().encode(header)) ?? Data())
        var length = UInt32(json.count).littleEndian
        var out = withUnsafeBytes(of: &length) { Array($0) } + json
        values.withUnsafeBytes { out.append(contentsOf: $0) }
        return out
    }

    private static func decode(_ bytes: [UInt8], path: String) throws -> (image: FloatImage, geometry: PreparedGeometry) {
        let malformed = DataError(code: .unreadableImage, message: "the decoder worker sent an unreadable reply", path: path)
        guard bytes.count >= 4 else { throw malformed }
        let length = Int(bytes[0]) | Int(bytes[1]) << 8 | Int(bytes[2]) << 16 | Int(bytes[3]) << 24
        guard length <= bytes.count - 4,
              let header = try? JSONDecoder().decode(Header.self, from: Data(bytes[4..<(4 + length)])) else { throw malformed }
        if let message = header.error { throw DataError(code: .unreadableImage, message: message, path: nil) }
        let count = header.height * header.width * header.channels
        guard header.height > 0, header.width > 0, header.channels > 0, bytes.count - 4 - length == count * 4 else { throw malformed }
        var values = [Float](repeating: 0, count: count)
        values.withUnsafeMutableBytes { target in
            bytes.withUnsafeBytes { source in
                target.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[(4 + length)...]))
            }
        }
        guard let geometry = header.geometry else { throw malformed }
        return (FloatImage(height: header.height, width: header.width, channels: header.channels, values: values), geometry)
    }
}
