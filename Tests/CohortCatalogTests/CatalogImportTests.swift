import CohortCatalog
import CohortTestSupport
import GRDB
import XCTest

final class CatalogImportTests: XCTestCase {
    private func fixtureTree(_ folder: TemporaryFolder) throws -> String {
        let root = folder.file("data")
        for sub in ["dicom", "png", "tiff", "bad"] {
            for name in try FileManager.default.contentsOfDirectory(atPath: TestPaths.fixture(sub)) {
                try folder.copy(TestPaths.fixture("\(sub)/\(name)"), to: "data/\(sub)/\(name)")
            }
        }
        try "notes, not an image".write(toFile: folder.file("data/README.txt"), atomically: true, encoding: .utf8)
        return root
    }

    private func count(_ catalog: Catalog, _ sql: String) throws -> Int {
        try catalog.read { db in try Int.fetchOne(db, sql: sql) ?? -1 }
    }

    func testImportingTheFixturesTwiceAddsNothingTheSecondTime() throws {
        let folder = try TemporaryFolder()
        let root = try fixtureTree(folder)
        let catalog = try Catalog(path: folder.file("catalogs/c.sqlite"))
        let first = try Importer(catalog: catalog, options: ImportOptions(paths: [root])).run()
        XCTAssertEqual(first.added, 15, "11 DICOM, 2 PNG, 2 TIFF fixtures")
        XCTAssertEqual(first.failed, 6, "every file in fixtures/bad is a failure")
        XCTAssertEqual(first.skipped, 1, "the README is skipped, not a failure")
        let second = try Importer(catalog: catalog, options: ImportOptions(paths: [root])).run()
        XCTAssertEqual([second.added, second.changed, second.failed], [0, 0, 0])
        XCTAssertEqual(second.unchanged, 21)
        var verified = ImportOptions(paths: [root])
        verified.verifyUnchanged = true
        let third = try Importer(catalog: catalog, options: verified).run()
        XCTAssertEqual([third.added, third.changed], [0, 0], "hashing again finds the same content")
        XCTAssertEqual(try count(catalog, "SELECT count(*) FROM image"), 15)
        XCTAssertEqual(try count(catalog, "SELECT count(*) FROM failure"), 6)
        XCTAssertEqual(try count(catalog, "SELECT count(*) FROM importRun WHERE finishedAt IS NOT NULL"), 3)
    }

    func testFailuresNameTheFileRelativeToTheRootAndSayWhy() throws {
        let folder = try TemporaryFolder()
        let root = try fixtureTree(folder)
        let catalog = try Catalog(path: folder.file("c.sqlite"))
        _ = try Importer(catalog: catalog, options: ImportOptions(paths: [root])).run()
        let failures = try CatalogQueries(catalog: catalog).failures()
        XCTAssertEqual(failures.map(\.path).sorted(), ["bad/absurd_length.dcm", "bad/not_an_image.dcm", "bad/truncated.png",
                                                     "bad/truncated.tif", "bad/truncated_header.dcm", "bad/truncated_pixels.dcm"])
        for failure in failures {
            XCTAssertFalse(failure.message.isEmpty)
            XCTAssertFalse(failure.message.contains(folder.path), "messages hold no absolute paths: \(failure.message)")
        }
    }

    func testAChangedFileIsDetectedByHashAndRecorded() throws {
        let folder = try TemporaryFolder()
        let image = try folder.copy(TestPaths.fixture("png/MG_u16_64x48_gray.png"), to: "data/a.png")
        let catalog = try Catalog(path: folder.file("c.sqlite"))
        _ = try Importer(catalog: catalog, options: ImportOptions(paths: [folder.file("data")])).run()
        let before = try catalog.read { db in try Int64.fetchOne(db, sql: "SELECT id FROM image") }
        try FileManager.default.removeItem(atPath: image)
        try folder.copy(TestPaths.fixture("tiff/MG_u16_64x48_gray.tif"), to: "data/a.png")
        let summary = try Importer(catalog: catalog, options: ImportOptions(paths: [folder.file("data")])).run()
        XCTAssertEqual([summary.added, summary.changed], [0, 1])
        XCTAssertEqual(try count(catalog, "SELECT count(*) FROM fileChange"), 1)
        XCTAssertEqual(try catalog.read { db in try String.fetchOne(db, sql: "SELECT format FROM file") }, "tiff")
        XCTAssertEqual(try catalog.read { db in try Int64.fetchOne(db, sql: "SELECT id FROM image") }, before,
                       "the image keeps its id (and so its labels)")
    }

    func testIdenticalPixelsUnderTwoNamesAreReportedOnce() throws {
        let folder = try TemporaryFolder()
        try folder.copy(TestPaths.fixture("png/MG_u16_64x48_gray.png"), to: "data/benign/x.png")
        try folder.copy(TestPaths.fixture("tiff/MG_u16_64x48_gray.tif"), to: "data/malignant/y.tif")
        try folder.copy(TestPaths.fixture("png/US_u8_32x24_rgb.png"), to: "data/benign/z.png")
        let catalog = try Catalog(path: folder.file("c.sqlite"))
        let summary = try Importer(catalog: catalog, options: ImportOptions(paths: [folder.file("data")])).run()
        XCTAssertEqual(summary.duplicateGroups.count, 1, "a PNG and a TIFF with the same stored values")
        XCTAssertEqual(summary.duplicateGroups.first?.members.map(\.relativePath), ["benign/x.png", "malignant/y.tif"])
        _ = try FolderLabels(catalog: catalog).assign(task: "pathology")
        let groups = try CatalogQueries(catalog: catalog).duplicatePixelGroups()
        XCTAssertEqual(groups.first?.hasConflictingLabels, true)
    }

    func testTheSchemaIsBuiltByNamedMigrations() throws {
        let folder = try TemporaryFolder()
        let catalog = try Catalog(path: folder.file("c.sqlite"))
        XCTAssertEqual(try catalog.appliedMigrations(), ["v1 patients, studies, series, files, images, labels, masks, runs, failures",
                                                        "v2 splits and their assignments",
                                                        "v3 training runs, per-epoch history and predictions",
                                                        "v4 segmentation: per-epoch Dice and IoU, per-image mask results"])
        let journal = try catalog.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") }
        XCTAssertEqual(journal, "wal")
    }

    func testMammographyFieldsAndTheHierarchyAreStored() throws {
        let folder = try TemporaryFolder()
        try folder.copy(TestPaths.fixture("dicom/MG_u16s12_64x48_MONOCHROME1_RLE.dcm"), to: "data/mg1.dcm")
        try folder.copy(TestPaths.fixture("dicom/MG_u16s12_64x48_MONOCHROME2_SIGMOID_JPEGLS.dcm"), to: "data/mg2.dcm")
        let catalog = try Catalog(path: folder.file("c.sqlite"))
        _ = try Importer(catalog: catalog, options: ImportOptions(paths: [folder.file("data")])).run()
        let rows = try catalog.read { db in
            try Row.fetchAll(db, sql: """
                SELECT laterality, view, presentationIntent, manufacturer, pixelSpacingRow, patient.patientKey
                FROM image JOIN patient ON patient.id = image.patientId ORDER BY image.id
                """)
        }
        XCTAssertEqual(rows.map { $0["laterality"] as String }, ["L", "R"])
        XCTAssertEqual(rows.map { $0["view"] as String }, ["MLO", "CC"])
        XCTAssertEqual(rows.map { $0["presentationIntent"] as String }, ["FOR PRESENTATION", "FOR PRESENTATION"])
        XCTAssertEqual(rows.map { $0["manufacturer"] as String }, ["Cohort Synthetic", "Cohort Synthetic"])
        XCTAssertEqual(rows.map { $0["pixelSpacingRow"] as Double }, [0.1, 0.1])
        XCTAssertEqual(rows.map { $0["patientKey"] as String }, ["SYN0001", "SYN0002"])
    }

    func testAHeadersOnlyImportSkipsPixelsButStillFindsObjectsWithoutThem() throws {
        let folder = try TemporaryFolder()
        try folder.copy(TestPaths.fixture("png/MG_u16_64x48_gray.png"), to: "data/x.png")
        try folder.copy(TestPaths.fixture("png/MG_u16_64x48_gray.png"), to: "data/x_mask.png")
        try folder.copy(TestPaths.fixture("dicom/OT_u8_32x32_3frames_RLE.dcm"), to: "data/ot.dcm")
        if let shared = TestPaths.sharedData {  // a structured report: a DICOM object without pixels
            try folder.copy(shared.appendingPathComponent("dicom/pydicom-wheel-3.0.2/test-SR.dcm").path, to: "data/sr.dcm")
        }
        let catalog = try Catalog(path: folder.file("c.sqlite"))
        var options = ImportOptions(paths: [folder.file("data")])
        options.decodePixels = false
        let summary = try Importer(catalog: catalog, options: options).run()
        XCTAssertEqual(summary.added, 3)
        XCTAssertEqual(try count(catalog, "SELECT count(*) FROM image WHERE pixelSha256 IS NULL"), 3)
        XCTAssertEqual(try count(catalog, "SELECT frames FROM image JOIN file ON file.id = image.fileId WHERE relativePath = 'ot.dcm'"), 3)
        if TestPaths.sharedData != nil { XCTAssertEqual(try count(catalog, "SELECT count(*) FROM failure WHERE code = 'noPixelData'"), 1) }
        XCTAssertEqual(summary.duplicateGroups.count, 1, "identical files are duplicates by content")
        XCTAssertEqual(try MaskAttacher(catalog: catalog).attach(suffix: "_mask").attached, 1)
        let fraction = try catalog.read { db in try Double.fetchOne(db, sql: "SELECT foregroundFraction FROM mask") }
        XCTAssertGreaterThan(fraction ?? 0, 0.5, "the mask is decoded when it is attached")
    }
}
