import CohortCore
@testable import CohortData
import CohortTestSupport
import XCTest

final class LoaderTests: XCTestCase {
    private func entries() -> [DatasetEntry] {
        let gray = TestPaths.fixture("png/MG_u16_64x48_gray.png"), rgb = TestPaths.fixture("png/US_u8_32x24_rgb.png")
        let mg = TestPaths.fixture("dicom/MG_u16s12_64x48_MONOCHROME1_RLE.dcm")
        return (0..<10).map { i in
            let path = [gray, rgb, mg][i % 3]
            return DatasetEntry(imageId: Int64(i + 1), path: path, label: i % 3 == 0 ? 1 : 0, laterality: i % 2 == 0 ? "R" : "L",
                                maskPaths: i % 3 == 0 ? [gray] : [], contentKey: "\(path)|\(i % 3)")
        }
    }

    private func settings() -> Preprocessing {
        var p = Preprocessing()
        p.height = 32; p.width = 32
        p.orientation = .laterality
        p.normalization = .imagenet
        return p
    }

    private func loader(threads: Int, cache: SampleCache? = nil, balanced: Bool = false) throws -> BatchLoader {
        var options = LoaderOptions()
        options.batchSize = 4
        options.seed = 11
        options.threads = threads
        options.classBalanced = balanced
        var policy = AugmentationPolicy()
        policy.horizontalFlip = 0.5; policy.rotationDegrees = 10; policy.noise = 0.02
        return try BatchLoader(entries: entries(), classCount: 2, provider: SampleProvider(preprocessing: settings(), cache: cache),
                               augmenter: Augmenter(policy: policy, classes: ["a", "b"]), options: options)
    }

    private func collect(_ loader: BatchLoader, epoch: Int) throws -> [Batch] {
        let iterator = loader.batches(epoch: epoch).makeIterator()
        var batches: [Batch] = []
        while let batch = iterator.next() { batches.append(batch) }
        if let error = iterator.error { throw error }
        return batches
    }

    func testBatchesDependOnlyOnSeedAndEpochNotOnThreads() throws {
        let one = try collect(try loader(threads: 1), epoch: 0), two = try collect(try loader(threads: 2), epoch: 0)
        XCTAssertTrue(one.map(\.samples) == two.map(\.samples))
        XCTAssertEqual(one.map(\.samples.count), [4, 4, 2])
        let next = try collect(try loader(threads: 2), epoch: 1)
        XCTAssertNotEqual(one.flatMap(\.samples).map(\.imageId), next.flatMap(\.samples).map(\.imageId), "each epoch reshuffles")
        let sample = one[0].samples[0]
        XCTAssertEqual([sample.image.height, sample.image.width, sample.image.channels], [32, 32, 3])
        XCTAssertTrue(one.flatMap(\.samples).contains { $0.mask != nil }, "masks travel with their images")
    }

    func testTheCacheGivesTheSameSamplesWithoutDecodingAgain() throws {
        let folder = try TemporaryFolder()
        let cache = SampleCache(folder: folder.path)
        let first = try collect(try loader(threads: 2, cache: cache), epoch: 0)
        try cache.flush()
        XCTAssertEqual(cache.entryCount, 6, "one entry per distinct content, laterality and preprocessing")
        let packs = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".cpk") }
        XCTAssertEqual(packs.count, 1, "one pack file, not a file per sample")
        // One record per entry, even when two loader threads missed the same key at once and both stored it.
        let packBytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: folder.path + "/" + packs[0])))
        var records = 0, offset = 0
        while offset + SampleCache.headerSize <= packBytes.count {
            let payload = packBytes[(offset + 24)..<(offset + 32)].reversed().reduce(0) { $0 << 8 | Int($1) }  // UInt64 LE
            offset += SampleCache.headerSize + payload
            records += 1
        }
        XCTAssertEqual([records, offset], [6, packBytes.count], "six whole records and nothing else")
        // A cache opened afresh finds every entry, and gives the same samples without the source files.
        let reopened = SampleCache(folder: folder.path)
        XCTAssertEqual(reopened.entryCount, 6)
        let second = try collect(try loader(threads: 2, cache: reopened), epoch: 0)
        XCTAssertTrue(first.map(\.samples) == second.map(\.samples))

        // Damage: one payload byte changed, and the pack cut short inside its last record. The damaged entry fails
        // its CRC and the cut one is not indexed; both are rebuilt from the source files, the rest still load.
        let pack = folder.path + "/" + packs[0]
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: pack)))
        bytes[SampleCache.headerSize + 100] ^= 0x01
        try Data(bytes.prefix(bytes.count - 10)).write(to: URL(fileURLWithPath: pack))
        let damaged = SampleCache(folder: folder.path)
        XCTAssertEqual(damaged.entryCount, 5, "the record cut short is not indexed")
        let third = try collect(try loader(threads: 1, cache: damaged), epoch: 0)
        XCTAssertTrue(first.map(\.samples) == third.map(\.samples))
        try damaged.flush()
        XCTAssertEqual(SampleCache(folder: folder.path).entryCount, 6, "the rebuilt entries went to a second pack")
    }

    func testClassBalancedSamplingDrawsClassesEvenly() throws {
        let balanced = try loader(threads: 1, balanced: true)
        var counts = [0, 0]
        for epoch in 0..<200 { for index in balanced.order(epoch: epoch) { counts[balanced.entries[index].label!] += 1 } }
        let share = Double(counts[1]) / Double(counts[0] + counts[1])
        XCTAssertEqual(share, 0.5, accuracy: 0.03, "class 1 is 4 of 10 entries but half of the draws")
    }

    func testAnUnreadableFileEndsTheEpochWithAnErrorNamingIt() throws {
        var list = entries()
        list[2].path = TestPaths.fixture("bad/truncated.png")
        list[2].contentKey = "bad"
        var options = LoaderOptions()
        options.batchSize = 4
        options.shuffle = false
        let loader = try BatchLoader(entries: list, classCount: 2, provider: SampleProvider(preprocessing: settings(), cache: nil),
                                     augmenter: nil, options: options)
        let iterator = loader.batches(epoch: 0).makeIterator()
        XCTAssertNil(iterator.next())
        XCTAssertTrue(String(describing: iterator.error!).contains("truncated.png"))
    }

    func testDataSettingsComeFromYAMLAndUnknownKeysAreRefused() throws {
        let folder = try TemporaryFolder()
        let path = folder.file("experiment.yaml")
        try """
            data:
              size: [256, 192]
              resize: pad
              intensity: window
              window: [2048, 4096]
              orientation: auto
              normalization: imagenet
              augmentation:
                horizontal_flip: 0.5
                per_class:
                  malignant: {horizontal_flip: 0.9, rotation_degrees: 15}
              batch_size: 32
              seed: 7
              class_balanced: true
            """.write(toFile: path, atomically: true, encoding: .utf8)
        let s = try DataSettings.load(yamlFile: path)
        XCTAssertEqual([s.preprocessing.height, s.preprocessing.width], [256, 192])
        XCTAssertEqual(s.preprocessing.intensity, .window(center: 2048, width: 4096))
        XCTAssertEqual(s.preprocessing.outputChannels, 3)
        XCTAssertEqual(s.augmentation.horizontalFlip, 0.5)
        XCTAssertEqual(s.augmentation.policy(for: "malignant").rotationDegrees, 15)
        XCTAssertEqual([s.loader.batchSize, Int(s.loader.seed)], [32, 7])
        XCTAssertTrue(s.loader.classBalanced)
        try "data:\n  sise: [1, 2]\n".write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try DataSettings.load(yamlFile: path)) { XCTAssertTrue("\($0)".contains("data.sise")) }
        try "data:\n  augmentation: {horizontal_flip: 1.5}\n".write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try DataSettings.load(yamlFile: path))
    }
}
