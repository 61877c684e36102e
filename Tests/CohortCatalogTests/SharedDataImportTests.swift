import CohortCatalog
import CohortTestSupport
import GRDB
import XCTest

/// The acceptance checks on real data in ../shared (skipped when it is absent).
final class SharedDataImportTests: XCTestCase {
    func testBUSIImportsAs780ImagesWith798MasksAndTheConflictingDuplicate() throws {
        guard let shared = TestPaths.sharedData else { throw XCTSkip(TestPaths.sharedDataMissing) }
        let folder = try TemporaryFolder()
        let catalog = try Catalog(path: folder.file("busi.sqlite"))
        let busi = shared.appendingPathComponent("busi").path
        let first = try Importer(catalog: catalog, options: ImportOptions(paths: [busi])).run()
        XCTAssertEqual(first.added, 1578, "780 images and 798 masks")
        XCTAssertEqual(first.failed, 0)
        let masks = try MaskAttacher(catalog: catalog).attach(suffix: "_mask")
        XCTAssertEqual(masks.attached, 798)
        XCTAssertEqual(masks.imagesWithSeveralMasks, 17)
        XCTAssertEqual(try FolderLabels(catalog: catalog).assign(task: "pathology").assigned, 780)
        let counts = try CatalogQueries(catalog: catalog).labelCounts()
        XCTAssertEqual(counts.map { "\($0.value)=\($0.count)" }, ["benign=437", "malignant=210", "normal=133"])
        let duplicates = try CatalogQueries(catalog: catalog).duplicatePixelGroups()
        XCTAssertEqual(duplicates.map { $0.members.map(\.relativePath) },
                       [["Dataset_BUSI_with_GT/benign/benign (433).png", "Dataset_BUSI_with_GT/malignant/malignant (145).png"]])
        XCTAssertEqual(duplicates.first?.hasConflictingLabels, true)

        // The paper's 72/12/16 stratified split: no duplicate content across partitions, proportions kept.
        var request = SplitRequest(name: "paper", task: "pathology", partitions: ["train", "validation", "test"], ratios: [0.72, 0.12, 0.16])
        request.seed = 7
        let created = try SplitStore(catalog: catalog).create(request)
        XCTAssertEqual(created.withoutGroupID, 780, "BUSI has no patient IDs")
        XCTAssertEqual(created.groups, 779, "the duplicate pair is one group")
        XCTAssertEqual(try SplitStore(catalog: catalog).leaks(name: "paper"), [])
        let summary = try SplitStore(catalog: catalog).summary(name: "paper")
        XCTAssertEqual(summary.partitions.map(\.images), [562, 93, 125])
        for partition in summary.partitions {
            XCTAssertEqual(Double(partition.classCounts["malignant"] ?? 0) / Double(partition.images), 210.0 / 780, accuracy: 0.01)
        }

        let second = try Importer(catalog: catalog, options: ImportOptions(paths: [busi])).run()
        XCTAssertEqual([second.added, second.changed, second.failed], [0, 0, 0])
        XCTAssertEqual(try MaskAttacher(catalog: catalog).attach(suffix: "_mask").attached, 0)
        XCTAssertEqual(try FolderLabels(catalog: catalog).assign(task: "pathology").assigned, 0)
    }

    func testSharedDICOMFilesBecomeImagesOrRecordedFailures() throws {
        guard let shared = TestPaths.sharedData else { throw XCTSkip(TestPaths.sharedDataMissing) }
        let folder = try TemporaryFolder()
        let catalog = try Catalog(path: folder.file("dicom.sqlite"))
        let root = shared.appendingPathComponent("dicom").path
        let summary = try Importer(catalog: catalog, options: ImportOptions(paths: [root])).run()
        let reference = CSVTable(text: try String(contentsOfFile: root + "/reference.csv", encoding: .utf8))
        let (images, failures) = try catalog.read { db in
            (Set(try String.fetchAll(db, sql: "SELECT relativePath FROM file")),
             Dictionary(uniqueKeysWithValues: try Row.fetchAll(db, sql: "SELECT relativePath, code FROM failure")
                .map { ($0["relativePath"] as String, $0["code"] as String) }))
        }
        // Known gaps of the reader (see DicomConformanceTests): pydicom decodes these, Cohort records a failure.
        let knownGaps: Set<String> = ["pydicom-data/JLSL_08_07_0_1F.dcm", "pydicom-wheel-3.0.2/SC_rgb_jpeg.dcm"]
        // pydicom's reference marks (7FE0,0009) Double Float Pixel Data as no pixels; Cohort reads it.
        let floatPixelData: Set<String> = ["pydicom-data/parametric_map_double_float.dcm"]
        var checked = 0
        for row in reference.rows {
            let path = row["path"]!
            switch row["decode"]! {
            case "ok" where !knownGaps.contains(path):
                XCTAssertTrue(images.contains(path), "\(path) decodes with pydicom and must be an image")
            case "no-pixels" where !floatPixelData.contains(path):
                XCTAssertFalse(images.contains(path), "\(path) has no pixel data")
            default:
                XCTAssertTrue(images.contains(path) || failures[path] != nil, "\(path) must be an image or a recorded failure")
            }
            checked += 1
        }
        XCTAssertEqual(checked, 394)
        XCTAssertEqual(images.count + failures.count + summary.skipped - failures.values.filter { $0 == "noPixelData" }.count,
                       summary.seen, "every file is accounted for")
        let again = try Importer(catalog: catalog, options: ImportOptions(paths: [root])).run()
        XCTAssertEqual([again.added, again.changed, again.failed], [0, 0, 0])
    }
}
