import CohortCore
import Foundation

/// Prepared (pre-augmentation) samples on disk, keyed by image content and preprocessing, so later epochs and
/// later runs never decode the source files again. Nothing is kept in memory.
///
/// One file per sample: a 24-byte header (`CHC2`, height, width, channels, mask flag as UInt32 little-endian,
/// 4 reserved bytes), the image values as float32 little-endian, then the mask as one byte per pixel (0 or 1).
/// Files are written to a temporary name and renamed, so a killed process never leaves a half-written entry.
/// Writes run on a background queue (at most `pendingWrites` samples wait in memory), off the loader's path.
public final class SampleCache: @unchecked Sendable {
    /// The cache folder.
    public let folder: String
    private let writes = DispatchQueue(label: "cohort.sample-cache.writes")
    private let slots: DispatchSemaphore
    private let lock = NSLock()
    private var firstError: Error?

    /// A cache in `folder` (created when needed); `pendingWrites` bounds the samples queued for writing.
    public init(folder: String, pendingWrites: Int = 16) {
        self.folder = folder
        slots = DispatchSemaphore(value: pendingWrites)
    }

    /// Waits for queued writes; throws the first write error met (the cache is then incomplete, not corrupt).
    public func flush() throws {
        writes.sync {}
        lock.lock()
        defer { lock.unlock() }
        if let firstError { throw firstError }
    }

    /// Queues an entry for writing (see ``store(_:image:mask:)``); errors surface in ``flush()``.
    public func storeInBackground(_ key: String, image: FloatImage, mask: FloatImage?) {
        slots.wait()
        writes.async {
            defer { self.slots.signal() }
            do { try self.store(key, image: image, mask: mask) } catch {
                self.lock.lock()
                if self.firstError == nil { self.firstError = error }
                self.lock.unlock()
            }
        }
    }

    /// The cache key of an entry under a preprocessing: content, the metadata preprocessing reads (laterality,
    /// for orientation) and the settings.
    public static func key(_ entry: DatasetEntry, preprocessing: Preprocessing) -> String {
        SHA256.hex(Array("\(entry.contentKey)|laterality=\(entry.laterality ?? "")|\(preprocessing.canonicalDescription)".utf8))
    }

    private func path(_ key: String) -> String { "\(folder)/\(key.prefix(2))/\(key).f32" }

    /// The cached image and mask for `key`, or nil (absent or unreadable entries count as misses).
    public func load(_ key: String) -> (FloatImage, FloatImage?)? {
        guard let data = FileManager.default.contents(atPath: path(key)), data.count >= 24 else { return nil }
        return data.withUnsafeBytes { raw -> (FloatImage, FloatImage?)? in
            guard raw.loadUnaligned(as: UInt32.self) == UInt32(littleEndian: 0x3243_4843) else { return nil }
            let header = (1..<5).map { Int(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
            let (h, w, c, hasMask) = (header[0], header[1], header[2], header[3] == 1)
            let imageCount = h * w * c, maskCount = hasMask ? h * w : 0
            guard data.count == 24 + 4 * imageCount + maskCount else { return nil }
            let floats = raw.baseAddress!.advanced(by: 24)
            var values = [Float](repeating: 0, count: imageCount)
            values.withUnsafeMutableBytes { $0.copyMemory(from: UnsafeRawBufferPointer(start: floats, count: 4 * imageCount)) }
            var mask: FloatImage?
            if hasMask {
                let bytes = UnsafeRawBufferPointer(start: floats + 4 * imageCount, count: maskCount)
                mask = FloatImage(height: h, width: w, channels: 1, values: bytes.map { Float($0) })
            }
            return (FloatImage(height: h, width: w, channels: c, values: values), mask)
        }
    }

    /// Stores an entry (atomically); errors are reported, never half-written files.
    public func store(_ key: String, image: FloatImage, mask: FloatImage?) throws {
        var data = Data(capacity: 24 + 4 * image.values.count + (mask?.values.count ?? 0))
        for word in [0x3243_4843, image.height, image.width, image.channels, mask == nil ? 0 : 1, 0] {
            withUnsafeBytes(of: UInt32(truncatingIfNeeded: word).littleEndian) { data.append(contentsOf: $0) }
        }
        image.values.withUnsafeBytes { data.append(contentsOf: $0) }
        if let mask { data.append(contentsOf: mask.values.map { $0 > 0.5 ? UInt8(1) : 0 }) }
        let target = path(key)
        let directory = (target as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let temporary = target + ".tmp-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
            try data.write(to: URL(fileURLWithPath: temporary))
            guard rename(temporary, target) == 0 else {
                try? FileManager.default.removeItem(atPath: temporary)
                throw DataError(code: .cache, message: "cannot move the cache entry into place", path: target)
            }
        } catch let error as DataError {
            throw error
        } catch {
            throw DataError(code: .cache, message: "cannot write the sample cache (\(error.localizedDescription)); check free space or pass another cache folder", path: directory)
        }
    }
}
