@testable import CohortCatalog
import CohortCore
import CohortTestSupport
import GRDB
import XCTest

final class SplitTests: XCTestCase {
    /// `count` synthetic images of about count/3 patients (1 to 5 images each), 3 imbalanced classes with the
    /// class mostly shared within a patient, and a few duplicate contents across patients.
    private func synthetic(count: Int, seed: UInt64) -> [SplitItem] {
        var generator = SeededGenerator(seed: seed)
        var items: [SplitItem] = []
        var patient = 0
        while items.count < count {
            patient += 1
            let size = 1 + Int(generator.next() % 5)
            let u = generator.nextUnit()
            let label = u < 0.6 ? "benign" : u < 0.9 ? "malignant" : "normal"
            for _ in 0..<size where items.count < count {
                var keys = ["patient:\(patient)", "content:\(items.count)"]
                if generator.nextUnit() < 0.01 { keys.append("content:dup\(generator.next() % 10)") }
                items.append(SplitItem(imageId: Int64(items.count), label: label, groupKeys: keys))
            }
        }
        return items
    }

    func testNoGroupIsDividedAndLinkedKeysJoinGroupsTransitively() {
        let items = synthetic(count: 3000, seed: 1)
        let assignment = StratifiedGroupSplitter.assign(items, ratios: [0.72, 0.12, 0.16], seed: 42)
        XCTAssertEqual(assignment.count, items.count)
        var partitionOfKey: [String: Int] = [:]
        for item in items {
            let partition = assignment[item.imageId]!.partition
            for key in item.groupKeys {
                if let other = partitionOfKey[key] { XCTAssertEqual(other, partition, "\(key) is in two partitions") }
                partitionOfKey[key] = partition
            }
        }
        let chain = [SplitItem(imageId: 1, label: "a", groupKeys: ["x"]), SplitItem(imageId: 2, label: "a", groupKeys: ["x", "y"]),
                     SplitItem(imageId: 3, label: "b", groupKeys: ["y"]), SplitItem(imageId: 4, label: "b", groupKeys: ["z"])]
        XCTAssertEqual(StratifiedGroupSplitter.formGroups(chain).map { $0.members.map(\.imageId) }, [[1, 2, 3], [4]])
    }

    /// Stated bound: with groups of at most 5 images among thousands, each partition's size is within 1
    /// percentage point of its ratio and each class share within 2 points of the whole set's.
    func testSizesAndClassProportionsStayWithinTheStatedBound() {
        for seed in 0..<5 as Range<UInt64> {
            let items = synthetic(count: 3000, seed: 100 + seed)
            let ratios = [0.72, 0.12, 0.16]
            let assignment = StratifiedGroupSplitter.assign(items, ratios: ratios, seed: seed)
            let overall = Dictionary(grouping: items, by: \.label).mapValues { Double($0.count) / Double(items.count) }
            for (p, ratio) in ratios.enumerated() {
                let members = items.filter { assignment[$0.imageId]!.partition == p }
                XCTAssertEqual(Double(members.count) / Double(items.count), ratio, accuracy: 0.01)
                for (label, share) in overall {
                    let local = Double(members.filter { $0.label == label }.count) / Double(members.count)
                    XCTAssertEqual(local, share, accuracy: 0.02, "partition \(p), class \(label), seed \(seed)")
                }
            }
        }
    }

    func testTheSameSeedGivesTheSameSplitAndAnotherSeedAnother() {
        let items = synthetic(count: 500, seed: 3)
        let a = StratifiedGroupSplitter.assign(items, ratios: [0.8, 0.2], seed: 9)
        let b = StratifiedGroupSplitter.assign(items.reversed(), ratios: [0.8, 0.2], seed: 9)
        let c = StratifiedGroupSplitter.assign(items, ratios: [0.8, 0.2], seed: 10)
        XCTAssertEqual(a, b, "input order does not matter")
        XCTAssertNotEqual(a, c)
    }

    func testStoredSplitsAreCheckedForLeaksWhateverTheirGrouping() throws {
        let folder = try TemporaryFolder()
        let catalog = try Catalog(path: folder.file("c.sqlite"))
        _ = try Importer(catalog: catalog, options: ImportOptions(paths: [TestPaths.fixture("phi"), TestPaths.fixture("dicom")])).run()
        _ = try catalog.write { db in try db.execute(sql: "INSERT INTO label (imageId, task, value, source, createdBy, createdAt) SELECT id, 'side', coalesce(laterality, 'none'), 'test', 'test', 'now' FROM image") }
        let store = SplitStore(catalog: catalog)
        var request = SplitRequest(name: "s", task: "side", partitions: ["train", "test"], ratios: [0.5, 0.5])
        request.seed = 4
        let created = try store.create(request)
        XCTAssertEqual(created.assigned, 14)
        XCTAssertEqual(try store.leaks(name: "s"), [])
        XCTAssertThrowsError(try store.create(request), "a second split of the same name needs replace")
        // Move one image of the two-image patient to the other partition: the check must see it.
        try catalog.write { db in
            try db.execute(sql: """
                UPDATE splitAssignment SET partition = CASE partition WHEN 'train' THEN 'test' ELSE 'train' END
                WHERE imageId = (SELECT image.id FROM image JOIN patient ON patient.id = image.patientId
                                 WHERE patient.patientKey = 'PHI-ID-7731' ORDER BY image.id LIMIT 1)
                """)
        }
        let leaks = try store.leaks(name: "s")
        // The three PHI fixtures also share identical pixels, so that leak shows too.
        XCTAssertEqual(leaks.map(\.kind), ["patient", "study", "duplicate pixels"])
        XCTAssertEqual(leaks.first.map { Set($0.examples[0].split(separator: "+")) }, ["train", "test"])
        let summary = try store.summary(name: "s")
        XCTAssertEqual(summary.partitions.map(\.images).reduce(0, +), 14)
        XCTAssertEqual(summary.seed, 4)
    }
}
