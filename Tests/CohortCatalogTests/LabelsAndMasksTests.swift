import CohortCatalog
import CohortTestSupport
import GRDB
import XCTest

final class LabelsAndMasksTests: XCTestCase {
    private let gray = TestPaths.fixture("png/MG_u16_64x48_gray.png")   // 64x48
    private let rgb = TestPaths.fixture("png/US_u8_32x24_rgb.png")      // 32x24

    private func catalog(_ folder: TemporaryFolder, files: [String: String]) throws -> Catalog {
        for (target, source) in files { try folder.copy(source, to: "data/" + target) }
        let catalog = try Catalog(path: folder.file("c.sqlite"))
        _ = try Importer(catalog: catalog, options: ImportOptions(paths: [folder.file("data")])).run()
        return catalog
    }

    func testMasksPairByNameKeepOrdinalsAndLeaveTheImageList() throws {
        let folder = try TemporaryFolder()
        let catalog = try self.catalog(folder, files: ["a/x.png": gray, "a/x_mask.png": gray, "a/x_mask_1.png": gray,
                                                       "a/lonely_mask.png": gray])
        let result = try MaskAttacher(catalog: catalog).attach(suffix: "_mask")
        XCTAssertEqual(result.attached, 2)
        XCTAssertEqual(result.orphans, ["a/lonely_mask.png"])
        XCTAssertEqual(result.imagesWithSeveralMasks, 1)
        let ordinals = try catalog.read { db in try Int.fetchAll(db, sql: "SELECT ordinal FROM mask ORDER BY ordinal") }
        XCTAssertEqual(ordinals, [0, 1])
        XCTAssertEqual(try CatalogQueries(catalog: catalog).totals()["images"], 2, "x.png and the orphan stay images")
        let again = try MaskAttacher(catalog: catalog).attach(suffix: "_mask")
        XCTAssertEqual([again.attached, again.alreadyAttached], [0, 2])
    }

    func testAMaskOfAnotherSizeIsRefusedNamingBothFiles() throws {
        let folder = try TemporaryFolder()
        let catalog = try self.catalog(folder, files: ["b/y.png": rgb, "b/y_mask.png": gray])
        let result = try MaskAttacher(catalog: catalog).attach(suffix: "_mask")
        XCTAssertEqual(result.attached, 0)
        XCTAssertEqual(result.errors.count, 1)
        XCTAssertTrue(result.errors[0].contains("b/y_mask.png") && result.errors[0].contains("b/y.png"), result.errors[0])
        XCTAssertTrue(result.errors[0].contains("64x48") && result.errors[0].contains("32x24"), result.errors[0])
    }

    func testCSVLabelsJoinByPathAndReportWhatDidNotMatch() throws {
        let folder = try TemporaryFolder()
        let catalog = try self.catalog(folder, files: ["a/x.png": gray, "b/y.png": rgb, "c/z.png": gray, "d/z.png": rgb,
                                                       "e/w.png": rgb])
        let csv = folder.file("labels.csv")
        try """
            file,pathology,note
            a/x.png,MALIGNANT,"a note, with a comma"
            ./b/y.png,BENIGN_WITHOUT_CALLBACK,
            data/e/w.png,BENIGN,
            e/w.png,MALIGNANT,second finding
            z.png,BENIGN,
            missing/q.png,BENIGN,
            a/x.png,,empty value
            """.write(toFile: csv, atomically: true, encoding: .utf8)
        var options = LabelImportOptions(task: "pathology", valueColumn: "pathology", key: .path(column: "file"))
        options.valueMap = ["BENIGN_WITHOUT_CALLBACK": "BENIGN"]
        let result = try CSVLabelImporter(catalog: catalog).run(csvPath: csv, options: options)
        XCTAssertEqual(result.added, 2, "x and y")
        XCTAssertEqual(result.unmatched.map(\.line), [7])
        XCTAssertEqual(result.ambiguous.map(\.line), [6])
        XCTAssertEqual(result.conflicts.map(\.path), ["e/w.png"])
        XCTAssertEqual(result.emptyValues, 1)
        let values = try catalog.read { db in try String.fetchAll(db, sql: "SELECT value FROM label ORDER BY imageId") }
        XCTAssertEqual(values, ["MALIGNANT", "BENIGN"])

        options.priority = ["MALIGNANT", "BENIGN"]
        let again = try CSVLabelImporter(catalog: catalog).run(csvPath: csv, options: options)
        XCTAssertEqual([again.added, again.unchanged], [1, 2], "the priority settles w.png; x and y are unchanged")
    }

    func testLabelsJoinByPatientSideAndViewThroughPseudonyms() throws {
        let folder = try TemporaryFolder()
        let key = Array("a de-identification key".utf8)
        let catalog = try Catalog(path: folder.file("c.sqlite"))
        var options = ImportOptions(paths: [TestPaths.fixture("phi")])
        options.pseudonymizer = try Pseudonymizer(key: key)
        _ = try Importer(catalog: catalog, options: options).run()
        let csv = folder.file("findings.csv")
        try """
            patient_id,left or right breast,image view,pathology
            PHI-ID-7731,LEFT,CC,MALIGNANT
            PHI-ID-7731,RIGHT,MLO,BENIGN
            PHI-ID-8842,LEFT,CC,BENIGN
            PHI-ID-8842,RIGHT,CC,BENIGN
            """.write(toFile: csv, atomically: true, encoding: .utf8)
        var labels = LabelImportOptions(task: "pathology", valueColumn: "pathology",
                                        key: .patientLateralityView(patient: "patient_id", laterality: "left or right breast", view: "image view"))
        XCTAssertThrowsError(try CSVLabelImporter(catalog: catalog).run(csvPath: csv, options: labels), "needs the key")
        labels.pseudonymizer = try Pseudonymizer(key: key)
        let result = try CSVLabelImporter(catalog: catalog).run(csvPath: csv, options: labels)
        XCTAssertEqual(result.added, 3)
        XCTAssertEqual(result.unmatched.map(\.line), [5])
        XCTAssertFalse(result.unmatched[0].key.contains("PHI"), "reports never echo patient IDs")
    }

    func testFolderLabelsUseTheParentFolder() throws {
        let folder = try TemporaryFolder()
        let catalog = try self.catalog(folder, files: ["benign/x.png": gray, "normal/y.png": rgb])
        let result = try FolderLabels(catalog: catalog).assign(task: "pathology")
        XCTAssertEqual(result.assigned, 2)
        let counts = try CatalogQueries(catalog: catalog).labelCounts()
        XCTAssertEqual(counts.map { "\($0.value)=\($0.count)" }, ["benign=1", "normal=1"])
    }

    func testADerivedTaskRenamesMappedValuesAndKeepsTheOthers() throws {
        let folder = try TemporaryFolder()
        let catalog = try self.catalog(folder, files: ["benign/x.png": gray, "malignant/m.png": rgb, "normal/y.png": rgb])
        _ = try FolderLabels(catalog: catalog).assign(task: "pathology")
        let result = try DerivedLabels(catalog: catalog).derive(task: "abnormal", from: "pathology", map: ["benign": "abnormal", "malignant": "abnormal"])
        XCTAssertEqual(result.assigned, 3)
        XCTAssertEqual(result.unmappedValues, ["normal"])
        let values = try catalog.read { db in try String.fetchAll(db, sql: "SELECT value FROM label WHERE task = 'abnormal' ORDER BY value") }
        XCTAssertEqual(values, ["abnormal", "abnormal", "normal"])
        XCTAssertEqual(try DerivedLabels(catalog: catalog).derive(task: "abnormal", from: "pathology", map: ["benign": "abnormal", "malignant": "abnormal"]).unchanged, 3,
                       "deriving again changes nothing")
        XCTAssertThrowsError(try DerivedLabels(catalog: catalog).derive(task: "t", from: "birads", map: [:])) { error in
            XCTAssertTrue("\(error)".contains("tasks here: abnormal, pathology"), "\(error)")
        }
    }

    func testCSVFieldsFollowRFC4180() throws {
        let table = try CSVFile(text: "\u{FEFF}a,b,c\r\n\"x, y\",\"say \"\"hi\"\"\",\n\"multi\nline\",2\n")
        XCTAssertEqual(table.header, ["a", "b", "c"])
        XCTAssertEqual(table.rows, [["x, y", "say \"hi\"", ""], ["multi\nline", "2", ""]])
    }
}
