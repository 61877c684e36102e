@testable import CohortFuzzing
import CohortTestSupport
import Foundation
import XCTest

/// The mutator's contracts and the regression inputs that fuzzing found.
final class FuzzingTests: XCTestCase {
    func testTheSameSeedGivesTheSameMutants() {
        let seeds: [[UInt8]] = [Array(repeating: 7, count: 300), Array(0..<200)]
        var a = Mutator(seeds: seeds, seed: 42), b = Mutator(seeds: seeds, seed: 42), c = Mutator(seeds: seeds, seed: 43)
        let first = (0..<50).map { _ in a.next().bytes }
        XCTAssertEqual(first, (0..<50).map { _ in b.next().bytes })
        XCTAssertNotEqual(first, (0..<50).map { _ in c.next().bytes })
        XCTAssertGreaterThan(Set(first).count, 40, "mutants differ from each other")
    }

    func testPNGChunkCRCsMatchTheStandardsValue() {
        // IEND has no data; its CRC is the fixed AE 42 60 82 at the end of every PNG.
        XCTAssertEqual(PNGChunks.crc(Array("IEND".utf8), 0..<4), 0xAE42_6082)
        var png: [UInt8] = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0] + Array("IEND".utf8) + [0, 0, 0, 0]
        PNGChunks.recomputeCRCs(&png)
        XCTAssertEqual(Array(png.suffix(4)), [0xAE, 0x42, 0x60, 0x82])
    }

    func testEachSeedKindIsDrawnWhateverTheCorpusHoldsMostOf() {
        let png: [UInt8] = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a] + Array(repeating: 1, count: 40)
        let tiff: [UInt8] = [0x49, 0x49, 0x2a, 0x00] + Array(repeating: 2, count: 40)
        var mutator = Mutator(seeds: Array(repeating: png, count: 98) + [tiff, Array(repeating: 3, count: 40)], seed: 1)
        let drawn = (0..<900).map { _ in mutator.next().seed }
        XCTAssertGreaterThan(drawn.filter { $0 == 98 }.count, 200, "the one TIFF seed gets about a third of the draws")
        XCTAssertGreaterThan(drawn.filter { $0 == 99 }.count, 200)
    }

    /// Inputs on which fuzzing once found a crash (rebuilt from our own fixtures by fixtures/generate.sh), read in
    /// this process: a regression crashes the test run itself. Former hangs (`hang_*`) and crashes inside libraries
    /// we cannot change (`crash_contained_*`) are read in worker processes by RobustnessTests instead.
    func testEveryFuzzRegressionInputIsRejectedOrDecodedWithoutCrashing() throws {
        let folder = TestPaths.fixture("fuzz")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder).sorted().filter { !$0.hasPrefix("hang_") && !$0.hasPrefix("crash_contained_") }
        XCTAssertFalse(names.isEmpty)
        for name in names {
            let outcome = FuzzTarget.exercise(path: folder + "/" + name)
            XCTAssertTrue(outcome == "decoded" || outcome.hasPrefix("rejected:"), "\(name): \(outcome)")
        }
    }

    /// A 3.2 GB image declared over 64x48 pixels of Deflate data once made the reader allocate it three times
    /// over (9.4 GB resident) before libtiff's first strip failed; it must fail before any image-sized buffer.
    func testAHugeDeclaredTIFFIsRejectedWithoutAllocatingTheImage() {
        func peakKilobytes() -> Int {
            var usage = rusage()
            getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
            return usage.ru_maxrss
        }
        let before = peakKilobytes()
        let outcome = FuzzTarget.exercise(path: TestPaths.fixture("fuzz/tiff_declares_40000x40000_over_64x48_deflate.tif"))
        XCTAssertTrue(outcome.hasPrefix("rejected:"), outcome)
        XCTAssertLessThan(peakKilobytes() - before, 256 << 10, "peak memory grew by more than 256 MB")
    }
}
