import CohortCore

/// Seeded mutations of seed files for fuzzing the readers: bit flips, interesting values (lengths, sizes and
/// signs that break parsers), inserted, deleted, duplicated and spliced ranges, truncation.
///
/// Most edits land in the first 4 KiB, where DICOM, PNG and TIFF keep the structure (tags, chunk lengths, IFDs)
/// that parsers trust; the rest hit pixel data. The same seed and seeds give the same mutants.
public struct Mutator: Sendable {
    /// The seed inputs.
    public let seeds: [[UInt8]]
    /// Seed indices by container (PNG, TIFF, other): each is drawn equally often, whatever the corpus holds most of.
    private let groups: [[Int]]
    private var generator: SeededGenerator

    /// Values that commonly break length and size checks, as 8, 16 and 32-bit quantities.
    static let interesting8: [UInt8] = [0, 1, 0x7f, 0x80, 0xff, 16, 32, 64]
    static let interesting16: [UInt16] = [0, 1, 0x7fff, 0x8000, 0xffff, 256, 512, 1024, 4096, 0xfffe]
    static let interesting32: [UInt32] = [0, 1, 0x7fff_ffff, 0x8000_0000, 0xffff_ffff, 0xffff_fffe, 0x10000, 0x100_0000, 65536 * 65535]

    /// Creates a mutator over non-empty `seeds`.
    public init(seeds: [[UInt8]], seed: UInt64) {
        precondition(!seeds.isEmpty && seeds.allSatisfy { !$0.isEmpty }, "Mutator: seeds must be non-empty files")
        self.seeds = seeds
        var byKind: [Int: [Int]] = [:]
        for (index, bytes) in seeds.enumerated() {
            let kind = Self.isPNG(bytes) ? 0 : (bytes.starts(with: [0x49, 0x49]) || bytes.starts(with: [0x4d, 0x4d])) ? 1 : 2
            byKind[kind, default: []].append(index)
        }
        groups = byKind.keys.sorted().map { byKind[$0]! }
        generator = SeededGenerator(seed: seed)
    }

    static func isPNG(_ bytes: [UInt8]) -> Bool { bytes.starts(with: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]) }

    /// The next mutant and the index of the seed it came from (stacked edits: one half the time, two a quarter...,
    /// at most eight; a mutant broken in many places mostly tests the first check it fails).
    public mutating func next() -> (bytes: [UInt8], seed: Int) {
        let group = groups[random(groups.count)]
        let index = group[random(group.count)]
        var bytes = seeds[index]
        var edits = 1
        while edits < 8 && random(2) == 0 { edits += 1 }
        for _ in 0..<edits { mutate(&bytes) }
        // PNG chunks carry CRCs that reject almost every mutant early; most mutants get them recomputed so the
        // parsers behind the check are reached too.
        if Self.isPNG(bytes) && random(4) != 0 { PNGChunks.recomputeCRCs(&bytes) }
        return (bytes.isEmpty ? [0] : bytes, index)
    }

    private mutating func random(_ bound: Int) -> Int { bound <= 1 ? 0 : Int(generator.next() % UInt64(bound)) }

    /// A position, three times in four within the structural head of the file.
    private mutating func position(in bytes: [UInt8]) -> Int {
        let head = min(bytes.count, 4096)
        return random(4) < 3 ? random(head) : random(bytes.count)
    }

    private mutating func mutate(_ bytes: inout [UInt8]) {
        guard !bytes.isEmpty else { return }
        let at = position(in: bytes)
        switch random(10) {
        case 0: bytes[at] ^= UInt8(1) << UInt8(random(8))
        case 1: bytes[at] = Self.interesting8[random(Self.interesting8.count)]
        case 2: write(UInt64(Self.interesting16[random(Self.interesting16.count)]), width: 2, at: at, in: &bytes)
        case 3: write(UInt64(Self.interesting32[random(Self.interesting32.count)]), width: 4, at: at, in: &bytes)
        case 4: bytes[at] = UInt8(truncatingIfNeeded: Int(bytes[at]) + random(33) - 16)
        case 5: bytes.insert(contentsOf: (0..<(1 + random(16))).map { _ in UInt8(truncatingIfNeeded: generator.next()) }, at: at)
        case 6: bytes.removeSubrange(at..<min(bytes.count, at + 1 + random(64)))
        case 7:
            let end = min(bytes.count, at + 1 + random(256))
            bytes.insert(contentsOf: Array(bytes[at..<end]), at: random(bytes.count))
        case 8: bytes.removeSubrange(min(bytes.count, 8 + random(bytes.count))...)
        default: splice(&bytes, at: at)
        }
    }

    /// Writes `value` as `width` bytes at `at`, little or big endian at random (DICOM and TIFF have both; PNG is big).
    private mutating func write(_ value: UInt64, width: Int, at: Int, in bytes: inout [UInt8]) {
        let bigEndian = random(2) == 0
        for k in 0..<width where at + k < bytes.count {
            let shift = 8 * (bigEndian ? width - 1 - k : k)
            bytes[at + k] = UInt8(truncatingIfNeeded: value >> UInt64(shift))
        }
    }

    /// Replaces the tail from `at` with the tail of another seed from a random point.
    private mutating func splice(_ bytes: inout [UInt8], at: Int) {
        let other = seeds[random(seeds.count)]
        let from = random(other.count)
        bytes.replaceSubrange(at..., with: other[from...].prefix(1 << 16))
    }
}
