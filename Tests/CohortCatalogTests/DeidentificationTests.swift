@testable import CohortCatalog
import CohortTestSupport
import GRDB
import XCTest

final class DeidentificationTests: XCTestCase {
    private let key = Array("0123456789abcdef-test-key".utf8)

    private func planted() throws -> [String] {
        try String(contentsOfFile: TestPaths.fixture("phi/planted.txt"), encoding: .utf8)
            .split(separator: "\n").map(String.init).filter { !$0.hasPrefix("#") && !$0.isEmpty }
    }

    private func importPHI(into folder: TemporaryFolder, key: [UInt8]) throws -> Catalog {
        let catalog = try Catalog(path: folder.file("catalog/c.sqlite"))
        var options = ImportOptions(paths: [TestPaths.fixture("phi")])
        options.pseudonymizer = try Pseudonymizer(key: key)
        let summary = try Importer(catalog: catalog, options: options).run()
        XCTAssertEqual(summary.added, 3)
        return catalog
    }

    func testADeidentifiedImportStoresNoneOfThePlantedIdentifiers() throws {
        let folder = try TemporaryFolder()
        let catalog = try importPHI(into: folder, key: key)
        let strings = try planted()
        XCTAssertGreaterThanOrEqual(strings.count, 10)
        // Every byte of the catalog: database, WAL and shared-memory files (before and after a checkpoint).
        for pass in 0..<2 {
            for name in try FileManager.default.contentsOfDirectory(atPath: folder.file("catalog")) {
                let data = try Data(contentsOf: URL(fileURLWithPath: folder.file("catalog/\(name)")))
                for value in strings {
                    XCTAssertNil(data.range(of: Data(value.utf8)), "\(value) found in \(name) (pass \(pass))")
                }
            }
            try catalog.checkpoint()
        }
    }

    /// The control for the test above: the same search finds the identifiers when they are stored.
    func testWithoutDeidentificationTheSearchFindsTheIdentifiers() throws {
        let folder = try TemporaryFolder()
        let catalog = try Catalog(path: folder.file("catalog/c.sqlite"))
        _ = try Importer(catalog: catalog, options: ImportOptions(paths: [TestPaths.fixture("phi")])).run()
        try catalog.checkpoint()
        let data = try Data(contentsOf: URL(fileURLWithPath: catalog.path))
        for value in ["PHI-ID-7731", "19511203", "ACC-PHI-5521", "1.2.826.0.1.3680043.10.1435.77.1", "20240517"] {
            XCTAssertNotNil(data.range(of: Data(value.utf8)), "\(value) should be stored without --deidentify")
        }
    }

    func testPseudonymsKeepPatientsStudiesAndIntervalsTogether() throws {
        let folder = try TemporaryFolder()
        let catalog = try importPHI(into: folder, key: key)
        let rows = try catalog.read { db in
            try Row.fetchAll(db, sql: """
                SELECT patient.patientKey, patient.isPseudonym, patient.sex, patient.birthDate, study.studyInstanceUID,
                       study.studyDate, study.accessionNumber FROM image JOIN patient ON patient.id = image.patientId
                JOIN study ON study.id = image.studyId ORDER BY image.sopInstanceUID
                """)
        }
        XCTAssertEqual(rows.count, 3)
        let pseudonymizer = try Pseudonymizer(key: key)
        XCTAssertEqual(rows[0]["patientKey"] as String, pseudonymizer.patientKey("PHI-ID-7731"))
        XCTAssertEqual(Set(rows.map { $0["patientKey"] as String }).count, 2, "two patients")
        XCTAssertEqual(Set(rows.map { $0["studyInstanceUID"] as String }).count, 2, "two studies")
        for row in rows {
            XCTAssertEqual(row["isPseudonym"] as Bool, true)
            XCTAssertNil(row["sex"] as String?)
            XCTAssertNil(row["birthDate"] as String?)
            XCTAssertNil(row["accessionNumber"] as String?)
            let uid: String = row["studyInstanceUID"]
            XCTAssertTrue(uid.hasPrefix("2.25.") && uid.count <= 64 && uid.dropFirst(5).allSatisfy(\.isNumber), uid)
            let date: String = row["studyDate"]
            XCTAssertEqual(date.count, 8)
        }
    }

    func testTheSameKeyGivesTheSamePseudonymsAndAnotherKeyDoesNot() throws {
        let a = try Pseudonymizer(key: key), b = try Pseudonymizer(key: key), c = try Pseudonymizer(key: Array("another-key-of-16-bytes".utf8))
        XCTAssertEqual(a.patientKey("123"), b.patientKey("123"))
        XCTAssertNotEqual(a.patientKey("123"), c.patientKey("123"))
        XCTAssertNotEqual(a.patientKey("123"), a.patientKey("124"))
        XCTAssertEqual(a.uid("1.2.3"), b.uid("1.2.3"))
        XCTAssertThrowsError(try Pseudonymizer(key: [1, 2, 3]), "short keys are refused")
    }

    func testDateShiftsKeepIntervalsWithinAPatient() throws {
        let p = try Pseudonymizer(key: key)
        let first = try XCTUnwrap(p.shiftedDate("20240517", patientID: "X")), second = try XCTUnwrap(p.shiftedDate("20240601", patientID: "X"))
        XCTAssertEqual(Pseudonymizer.dayNumber(second)! - Pseudonymizer.dayNumber(first)!, 15)
        XCTAssertLessThan(first, "20240517")
        XCTAssertNil(p.shiftedDate("2024-5", patientID: "X"))
    }

    func testCalendarArithmeticRoundTripsAndKnowsLeapYears() {
        XCTAssertEqual(Pseudonymizer.dayNumber("19700101"), 0)
        XCTAssertEqual(Pseudonymizer.dayNumber("20000301")! - Pseudonymizer.dayNumber("20000228")!, 2)
        XCTAssertEqual(Pseudonymizer.dayNumber("19000301")! - Pseudonymizer.dayNumber("19000228")!, 1)
        for day in stride(from: -40_000, to: 40_000, by: 97) {
            XCTAssertEqual(Pseudonymizer.dayNumber(Pseudonymizer.date(fromDayNumber: day)), day)
        }
    }

    func testTwoHundredFiftySixBitValuesPrintInDecimal() {
        XCTAssertEqual(Pseudonymizer.decimal([0x01, 0x00]), "256")
        XCTAssertEqual(Pseudonymizer.decimal([UInt8](repeating: 0xFF, count: 16)), "340282366920938463463374607431768211455")
    }

    func testMixingIdentifiedAndDeidentifiedImportsIsRefused() throws {
        let folder = try TemporaryFolder()
        let catalog = try importPHI(into: folder, key: key)
        XCTAssertThrowsError(try Importer(catalog: catalog, options: ImportOptions(paths: [TestPaths.fixture("png")])).run()) {
            XCTAssertEqual(($0 as? CatalogError)?.code, .deidentification)
        }
        var other = ImportOptions(paths: [TestPaths.fixture("png")])
        other.pseudonymizer = try Pseudonymizer(key: Array("a different key, 16+ bytes".utf8))
        XCTAssertThrowsError(try Importer(catalog: catalog, options: other).run()) {
            XCTAssertEqual(($0 as? CatalogError)?.code, .deidentification)
        }
        let plain = try Catalog(path: folder.file("plain.sqlite"))
        _ = try Importer(catalog: plain, options: ImportOptions(paths: [TestPaths.fixture("png")])).run()
        var late = ImportOptions(paths: [TestPaths.fixture("phi")])
        late.pseudonymizer = try Pseudonymizer(key: key)
        XCTAssertThrowsError(try Importer(catalog: plain, options: late).run())
    }
}
