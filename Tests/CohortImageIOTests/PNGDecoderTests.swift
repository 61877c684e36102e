import CCohortKernels
import CohortCore
import CohortImageIO
import CohortTestSupport
import Foundation
import XCTest

/// Cohort's PNG decoder against known pixels and against libpng: every colour type and depth it takes, every
/// filter type, IDAT split over several chunks; the files it must leave to libpng; damaged files. Its header read
/// (the headers-only import's) against libpng's header read of the same files.
final class PNGDecoderTests: XCTestCase {
    private var folder: TemporaryFolder!

    override func setUpWithError() throws { folder = try TemporaryFolder(prefix: "cohort-png") }
    override func tearDown() { folder = nil }  // removes the folder

    private static let fast = ReadOptions()
    private static let libpng: ReadOptions = { var o = ReadOptions(); o.pngFastPath = false; return o }()

    private static let libpngHeader: ReadOptions = { var o = ReadOptions(); o.readPixels = false; return o }()

    /// Checks that the header read from the file's first 132 bytes is libpng's header read of the file (or that
    /// it declines the file: `expectHeader` false).
    private func assertHeaderMatchesLibpng(_ bytes: [UInt8], path: String, expectHeader: Bool = true, _ label: String) throws {
        let header = PNGReader.header(head: Array(bytes.prefix(132)))
        guard expectHeader else { return XCTAssertNil(header, label) }
        let libpng = try PNGReader(options: Self.libpngHeader).read(path: path)
        XCTAssertEqual(header?.metadata, libpng.metadata, label)
        XCTAssertEqual(header?.photometric, libpng.photometric, label)
        XCTAssertNil(header?.pixels, label)
        XCTAssertNil(PNGReader.header(head: Array(bytes.prefix(32))), "\(label): 32 bytes end inside IHDR's CRC")
    }

    /// The status of Cohort's decoder on the file's bytes (OK or FALLBACK).
    private func ownDecoderStatus(_ bytes: [UInt8]) -> Int32 {
        var image = CCohortPNGImage()
        let status = bytes.withUnsafeBufferPointer { ccohort_png_decode($0.baseAddress, $0.count, 1 << 31, &image) }
        free(image.pixels)
        return status
    }

    func testEveryDepthColourTypeAndFilterDecodesToTheWrittenValues() throws {
        var generator = SeededGenerator(seed: 11)
        // (colour type, depth, channels)
        let layouts = [(0, 1, 1), (0, 2, 1), (0, 4, 1), (0, 8, 1), (0, 16, 1), (4, 8, 2), (4, 16, 2), (2, 8, 3), (2, 16, 3),
                       (6, 8, 4), (6, 16, 4)]
        for (colorType, depth, channels) in layouts {
            // Full-range noise, and a narrow range that makes the Paeth predictor's ties common.
            // Filters in turn row by row, or Paeth on every row (four-row groups at one byte per pixel).
            for (width, range, allPaeth) in [(1, 0, false), (7, 0, false), (33, 0, false), (64, 3, false), (5, 0, true), (64, 3, true), (130, 0, true)] {
                let height = 11
                let maximum = range > 0 ? min(range, (1 << depth) - 1) : (1 << depth) - 1
                let samples = (0..<(width * height * channels)).map { _ in Int.random(in: 0...maximum, using: &generator) }
                var png = SyntheticPNG(width: width, height: height, depth: depth, colorType: colorType, samples: samples)
                png.allPaeth = allPaeth
                let bytes = png.encoded(idatChunks: 3)
                let path = folder.file("c\(colorType)-d\(depth)-w\(width)-p\(allPaeth).png")
                try Data(bytes).write(to: URL(fileURLWithPath: path))
                let label = "colour type \(colorType), \(depth) bits, width \(width)\(allPaeth ? ", Paeth rows" : "")"
                XCTAssertEqual(ownDecoderStatus(bytes), Int32(CCOHORT_PNG_OK), label)
                try assertHeaderMatchesLibpng(bytes, path: path, label)
                let expected = PixelArray(format: depth == 16 ? .uint16 : .uint8, frames: 1, rows: height, columns: width,
                                          samplesPerPixel: channels, bytes: png.littleEndianSamples)
                for options in [Self.fast, Self.libpng] {
                    let image = try PNGReader(options: options).read(path: path)
                    XCTAssertEqual(image.pixels, expected, "\(label), fast path \(options.pngFastPath)")
                    XCTAssertEqual(image.photometric, [1: .monochrome2, 2: .grayAlpha, 3: .rgb, 4: .rgba][channels], label)
                    XCTAssertEqual(image.metadata.bitsStored, depth, label)
                }
            }
        }
    }

    func testPaletteInterlacedAndDamagedFilesAreLeftToLibpng() throws {
        let samples = (0..<(9 * 5)).map { $0 % 4 }
        var palette = SyntheticPNG(width: 9, height: 5, depth: 8, colorType: 3, samples: samples)
        palette.extraChunks = [("PLTE", [UInt8](repeating: 200, count: 12))]
        XCTAssertEqual(ownDecoderStatus(palette.encoded(idatChunks: 1)), Int32(CCOHORT_PNG_FALLBACK), "palette")
        var interlaced = SyntheticPNG(width: 9, height: 5, depth: 8, colorType: 0, samples: samples)
        interlaced.interlace = 1
        XCTAssertEqual(ownDecoderStatus(interlaced.encoded(idatChunks: 1)), Int32(CCOHORT_PNG_FALLBACK), "interlaced")
        // Headers: an interlaced file's header is read from its first bytes, a palette file's is left to libpng.
        for (name, png, expectHeader) in [("interlaced", interlaced, true), ("palette", palette, false)] {
            let path = folder.file("\(name)-header.png")
            try Data(png.encoded(idatChunks: 1)).write(to: URL(fileURLWithPath: path))
            try assertHeaderMatchesLibpng(png.encoded(idatChunks: 1), path: path, expectHeader: expectHeader, name)
        }

        let good = SyntheticPNG(width: 9, height: 5, depth: 8, colorType: 0, samples: samples).encoded(idatChunks: 2)
        XCTAssertEqual(ownDecoderStatus(good), Int32(CCOHORT_PNG_OK))
        var badCRC = good
        badCRC[8 + 8 + 13] ^= 0x40                           // the IHDR chunk's CRC
        var shortData = SyntheticPNG(width: 9, height: 5, depth: 8, colorType: 0, samples: samples)
        shortData.dropLastRow = true
        var unknownCritical = SyntheticPNG(width: 9, height: 5, depth: 8, colorType: 0, samples: samples)
        unknownCritical.extraChunks = [("CoHo", [1, 2, 3])]
        let truncated = Array(good.prefix(good.count - 12))   // IEND missing
        XCTAssertNil(PNGReader.header(head: Array(badCRC.prefix(132))), "a damaged IHDR is left to libpng")
        for (name, bytes) in [("bad CRC", badCRC), ("too little image data", shortData.encoded(idatChunks: 1)),
                              ("unknown critical chunk", unknownCritical.encoded(idatChunks: 1)), ("no IEND", truncated)] {
            XCTAssertEqual(ownDecoderStatus(bytes), Int32(CCOHORT_PNG_FALLBACK), name)
            let path = folder.file("damaged.png")
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            // Whatever libpng makes of it is the answer, with the fast path on or off.
            let viaFastPath = Result { try PNGReader(options: Self.fast).read(path: path).pixels }
            let viaLibpng = Result { try PNGReader(options: Self.libpng).read(path: path).pixels }
            switch (viaFastPath, viaLibpng) {
            case let (.success(a), .success(b)): XCTAssertEqual(a, b, name)
            case let (.failure(a), .failure(b)): XCTAssertEqual((a as? ImageIOError)?.code, (b as? ImageIOError)?.code, name)
            default: XCTFail("\(name): the fast path and libpng disagree on whether the file reads")
            }
        }
    }

    func testTheWritersFilesAndEveryBUSIImageDecodeAsLibpngDecodesThem() throws {
        var paths: [String] = []
        for (format, samples) in [(SampleFormat.uint8, 1), (.uint16, 1), (.uint8, 3), (.uint16, 4)] {
            let path = folder.file("written-\(format)-\(samples).png")
            try PNGWriter.write(SyntheticImages.ramp(format: format, rows: 40, columns: 57, samples: samples), to: path)
            paths.append(path)
        }
        var skipped: String?
        if let shared = TestPaths.sharedData {
            let busi = shared.appendingPathComponent("busi")
            let walker = FileManager.default.enumerator(atPath: busi.path)
            while let relative = walker?.nextObject() as? String {
                if relative.hasSuffix(".png") { paths.append(busi.path + "/" + relative) }
            }
            XCTAssertGreaterThan(paths.count, 1500, "BUSI holds 1,578 PNG files")
        } else {
            skipped = TestPaths.sharedDataMissing
        }
        var own = 0
        for path in paths {
            let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
            if ownDecoderStatus(bytes) == Int32(CCOHORT_PNG_OK) { own += 1 }
            let a = try PNGReader(options: Self.fast).read(path: path), b = try PNGReader(options: Self.libpng).read(path: path)
            XCTAssertEqual(a.pixels.map { SHA256.hex($0.bytes) }, b.pixels.map { SHA256.hex($0.bytes) }, path)
            XCTAssertEqual(a.photometric, b.photometric, path)
            XCTAssertEqual(a.metadata.bitsStored, b.metadata.bitsStored, path)
            try assertHeaderMatchesLibpng(bytes, path: path, path)
        }
        XCTAssertEqual(own, paths.count, "every one of these files is one the own decoder takes")
        if let skipped { throw XCTSkip("the writer's files match; " + skipped) }
    }
}

/// A PNG built by hand: samples filtered row by row (filter types in turn), zlib stream of stored blocks.
private struct SyntheticPNG {
    var width, height, depth, colorType: Int
    var samples: [Int]
    var interlace = 0
    var extraChunks: [(String, [UInt8])] = []
    var dropLastRow = false
    var allPaeth = false

    init(width: Int, height: Int, depth: Int, colorType: Int, samples: [Int]) {
        (self.width, self.height, self.depth, self.colorType, self.samples) = (width, height, depth, colorType, samples)
    }

    private var channels: Int { [0: 1, 2: 3, 3: 1, 4: 2, 6: 4][colorType]! }

    /// Samples as the reader returns them: a byte each up to 8 bits, little-endian pairs at 16.
    var littleEndianSamples: [UInt8] {
        depth == 16 ? samples.flatMap { [UInt8($0 & 0xff), UInt8($0 >> 8)] } : samples.map { UInt8($0) }
    }

    private func rowBytes(_ y: Int) -> [UInt8] {
        let row = samples[(y * width * channels)..<((y + 1) * width * channels)]
        switch depth {
        case 16: return row.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xff)] }
        case 8: return row.map { UInt8($0) }
        default:
            var out = [UInt8](repeating: 0, count: (row.count * depth + 7) / 8)
            for (i, v) in row.enumerated() { out[i * depth / 8] |= UInt8(v << (8 - depth - (i * depth) % 8)) }
            return out
        }
    }

    private func filtered() -> [UInt8] {
        let bpp = max(1, channels * depth / 8)
        var out: [UInt8] = [], previous = [UInt8](repeating: 0, count: rowBytes(0).count)
        for y in 0..<(dropLastRow ? height - 1 : height) {
            let raw = rowBytes(y), filter = allPaeth ? 4 : y % 5
            out.append(UInt8(filter))
            for i in raw.indices {
                let a = i >= bpp ? Int(raw[i - bpp]) : 0, b = Int(previous[i]), c = i >= bpp ? Int(previous[i - bpp]) : 0
                let p = a + b - c, (pa, pb, pc) = (abs(p - a), abs(p - b), abs(p - c))
                let predictor = [0, a, b, (a + b) / 2, pa <= pb && pa <= pc ? a : (pb <= pc ? b : c)][filter]
                out.append(UInt8((Int(raw[i]) - predictor) & 0xff))
            }
            previous = raw
        }
        return out
    }

    private static func zlibStored(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x78, 0x01]
        var at = 0
        repeat {
            let n = min(65535, data.count - at), final: UInt8 = at + n == data.count ? 1 : 0
            out += [final, UInt8(n & 0xff), UInt8(n >> 8), UInt8(~n & 0xff), UInt8((~n >> 8) & 0xff)]
            out += data[at..<(at + n)]
            at += n
        } while at < data.count
        var (s1, s2) = (UInt32(1), UInt32(0))
        for byte in data { s1 = (s1 + UInt32(byte)) % 65521; s2 = (s2 + s1) % 65521 }
        let adler = s2 << 16 | s1
        return out + [24, 16, 8, 0].map { UInt8((adler >> $0) & 0xff) }
    }

    private static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc = UInt32.max
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }

    private static func chunk(_ type: String, _ body: [UInt8]) -> [UInt8] {
        let typed = Array(type.utf8) + body
        func be(_ v: UInt32) -> [UInt8] { [24, 16, 8, 0].map { UInt8((v >> $0) & 0xff) } }
        return be(UInt32(body.count)) + typed + be(crc32(typed))
    }

    func encoded(idatChunks: Int) -> [UInt8] {
        func be(_ v: Int) -> [UInt8] { [24, 16, 8, 0].map { UInt8((v >> $0) & 0xff) } }
        var out: [UInt8] = [137, 80, 78, 71, 13, 10, 26, 10]
        out += Self.chunk("IHDR", be(width) + be(height) + [UInt8(depth), UInt8(colorType), 0, 0, UInt8(interlace)])
        out += Self.chunk("tEXt", Array("Comment\u{0}synthetic".utf8))
        for (type, body) in extraChunks { out += Self.chunk(type, body) }
        let stream = Self.zlibStored(filtered())
        let piece = (stream.count + idatChunks - 1) / idatChunks
        for start in stride(from: 0, to: stream.count, by: piece) {
            out += Self.chunk("IDAT", Array(stream[start..<min(stream.count, start + piece)]))
        }
        return out + Self.chunk("IEND", [])
    }
}
