import CohortCore
import Foundation

/// Prepared (pre-augmentation) samples on disk, keyed by image content and preprocessing, so later epochs and
/// later runs never decode the source files again. Only an index (about 100 bytes per entry) is kept in memory.
///
/// Entries live in append-only pack files (`pack-PID-RANDOM.cpk`), one per writing cache object, so filling the
/// cache creates one file rather than one per sample (creating files dominated the decoding epoch on ext4). A record
/// is a 96-byte header — `CHC3`, height, width, channels, mask flag, CRC-32 of the payload (UInt32 little-endian),
/// payload length (UInt64), the key (64 ASCII bytes) — then the payload: image values as float32 little-endian and
/// the mask as one byte per pixel (0 or 1). Opening the cache reads the record headers of every pack; a record cut
/// short by a kill, or whose payload fails its CRC when read, is a miss and is rebuilt into this object's own pack.
/// Two processes can share the folder: each appends to its own pack and sees the other's entries when it next opens
/// the cache. Writes run on a background queue (at most `pendingWrites` samples wait in memory), off the loader's path.
public final class SampleCache: @unchecked Sendable {
    /// The cache folder.
    public let folder: String
    private let writes = DispatchQueue(label: "cohort.sample-cache.writes")
    private let slots: DispatchSemaphore
    private let lock = NSLock()
    private var firstError: Error?
    /// Where each entry's record starts: the pack's descriptor and the record's offset.
    private var index: [String: (descriptor: Int32, offset: Int)] = [:]
    private var descriptors: [Int32] = []
    /// This object's own pack (created at the first store) and its length.
    private var own: (descriptor: Int32, length: Int)?

    /// Bytes of a record header; the magic `CHC3`.
    public static let headerSize = 96
    static let magic: UInt32 = 0x3343_4843

    /// A cache in `folder` (created when needed); `pendingWrites` bounds the samples queued for writing.
    public init(folder: String, pendingWrites: Int = 16) {
        self.folder = folder
        slots = DispatchSemaphore(value: pendingWrites)
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { $0.hasSuffix(".cpk") }.sorted()
        for name in names {
            let descriptor = open(folder + "/" + name, O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else { continue }
            descriptors.append(descriptor)
            scan(descriptor)
        }
    }

    // Queued writes hold the object, so it goes only when they are done.
    deinit { for descriptor in descriptors { close(descriptor) } }

    /// Entries the index knows (those read when the cache was opened plus those stored since).
    public var entryCount: Int {
        lock.lock()
        defer { lock.unlock() }
        return index.count
    }

    /// Reads the record headers of a pack into the index (earlier records win); stops at a record cut short.
    private func scan(_ descriptor: Int32) {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { return }
        let size = Int(info.st_size)
        var offset = 0
        var header = [UInt8](repeating: 0, count: Self.headerSize)
        while offset + Self.headerSize <= size {
            guard header.withUnsafeMutableBytes({ pread(descriptor, $0.baseAddress, Self.headerSize, off_t(offset)) }) == Self.headerSize,
                  let record = Self.parse(header), offset + Self.headerSize + record.payload <= size else { return }
            if index[record.key] == nil { index[record.key] = (descriptor, offset) }
            offset += Self.headerSize + record.payload
        }
    }

    private struct Header { var height, width, channels: Int; var hasMask: Bool; var crc: UInt32; var payload: Int; var key: String }

    private static func parse(_ bytes: [UInt8]) -> Header? {
        bytes.withUnsafeBytes { raw -> Header? in
            func word(_ i: Int) -> Int { Int(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))) }
            guard UInt32(word(0)) == magic else { return nil }
            let (h, w, c, hasMask) = (word(1), word(2), word(3), word(4) == 1)
            let payload = Int(UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 24, as: UInt64.self)))
            guard h > 0, w > 0, c > 0, payload == 4 * h * w * c + (hasMask ? h * w : 0) else { return nil }
            return Header(height: h, width: w, channels: c, hasMask: hasMask, crc: UInt32(word(5)), payload: payload,
                          key: String(decoding: raw[32..<96], as: UTF8.self))
        }
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

    /// The cached image and mask for `key`, or nil (absent, cut short or damaged entries count as misses).
    public func load(_ key: String) -> (FloatImage, FloatImage?)? {
        lock.lock()
        let location = index[key]
        lock.unlock()
        guard let (descriptor, offset) = location else { return nil }
        var headerBytes = [UInt8](repeating: 0, count: Self.headerSize)
        guard headerBytes.withUnsafeMutableBytes({ pread(descriptor, $0.baseAddress, Self.headerSize, off_t(offset)) }) == Self.headerSize,
              let header = Self.parse(headerBytes), header.key == key else { return miss(key) }
        let (h, w, c) = (header.height, header.width, header.channels)
        let imageCount = h * w * c, maskCount = header.hasMask ? h * w : 0
        let start = off_t(offset + Self.headerSize)
        var crc: UInt32 = 0, complete = true
        let values = [Float](unsafeUninitializedCapacity: imageCount) { buffer, initialized in
            let raw = UnsafeMutableRawBufferPointer(buffer)
            complete = pread(descriptor, raw.baseAddress, raw.count, start) == raw.count
            if complete { crc = CRC32.checksum(UnsafeRawBufferPointer(raw)) }
            initialized = imageCount
        }
        guard complete else { return miss(key) }
        var mask: FloatImage?
        if header.hasMask {
            var bytes = [UInt8](repeating: 0, count: maskCount)
            let read = bytes.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, maskCount, start + off_t(4 * imageCount)) }
            guard read == maskCount else { return miss(key) }
            crc = bytes.withUnsafeBytes { CRC32.checksum($0, continuing: crc) }
            mask = FloatImage(height: h, width: w, channels: 1, values: bytes.map { Float($0) })
        }
        guard crc == header.crc else { return miss(key) }
        return (FloatImage(height: h, width: w, channels: c, values: values), mask)
    }

    /// Forgets a damaged entry, so the caller's rebuilt sample replaces it.
    private func miss(_ key: String) -> (FloatImage, FloatImage?)? {
        lock.lock()
        index[key] = nil
        lock.unlock()
        return nil
    }

    /// Appends an entry to this object's pack; it becomes visible to ``load(_:)`` once wholly written. Errors are
    /// reported, never half-visible entries.
    public func store(_ key: String, image: FloatImage, mask: FloatImage?) throws {
        let keyBytes = Array(key.utf8)
        guard keyBytes.count == 64 else { throw DataError(code: .cache, message: "cache keys are 64 characters (SHA-256 hex), not '\(key)'", path: folder) }
        let maskBytes = mask.map { $0.values.map { $0 > 0.5 ? UInt8(1) : 0 } } ?? []
        var record = [UInt8](repeating: 0, count: Self.headerSize)
        var crc = image.values.withUnsafeBytes { CRC32.checksum($0) }
        if mask != nil { crc = maskBytes.withUnsafeBytes { CRC32.checksum($0, continuing: crc) } }
        let payload = 4 * image.values.count + maskBytes.count
        record.withUnsafeMutableBytes { raw in
            for (i, word) in [Int(Self.magic), image.height, image.width, image.channels, mask == nil ? 0 : 1, Int(crc)].enumerated() {
                raw.storeBytes(of: UInt32(truncatingIfNeeded: word).littleEndian, toByteOffset: 4 * i, as: UInt32.self)
            }
            raw.storeBytes(of: UInt64(payload).littleEndian, toByteOffset: 24, as: UInt64.self)
        }
        record.replaceSubrange(32..<96, with: keyBytes)
        image.values.withUnsafeBytes { record.append(contentsOf: $0) }
        record += maskBytes

        lock.lock()
        defer { lock.unlock() }
        // Two loader threads can miss the same key at once and both store it: the second record would only waste
        // space (the index keeps the first), and a test that cut the pack's last record found it still indexed.
        guard index[key] == nil else { return }
        let pack = try ownPack()
        let written = record.withUnsafeBytes { pwrite(pack.descriptor, $0.baseAddress, $0.count, off_t(pack.length)) }
        guard written == record.count else {
            let reason = written < 0 ? String(cString: strerror(errno)) : "short write"
            // A partial record stays beyond the recorded length; the next append overwrites it.
            throw DataError(code: .cache, message: "cannot write the sample cache (\(reason)); check free space or pass another cache folder", path: folder)
        }
        index[key] = (pack.descriptor, pack.length)
        own = (pack.descriptor, pack.length + record.count)
    }

    /// This object's pack, created on first use (caller holds the lock).
    private func ownPack() throws -> (descriptor: Int32, length: Int) {
        if let own { return own }
        do { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) } catch {
            throw DataError(code: .cache, message: "cannot create the sample cache folder (\(error.localizedDescription)); pass another cache folder", path: folder)
        }
        let path = folder + "/pack-\(getpid())-\(String(UInt64.random(in: 0...UInt64.max), radix: 16)).cpk"
        let descriptor = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw DataError(code: .cache, message: "cannot create a sample cache pack (\(String(cString: strerror(errno)))); check permissions or pass another cache folder", path: path)
        }
        descriptors.append(descriptor)
        own = (descriptor, 0)
        return (descriptor, 0)
    }
}
