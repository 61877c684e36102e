@testable import CohortCatalog
import CohortCore
import CohortIsolation
import CohortTestSupport
import GRDB
import XCTest

/// Where an isolated import does its work: hashing and PNG headers in the importing process, decoders in workers
/// started only when a file needs one; and the writer's fast path for paths the catalog did not know.
final class ImportRoutingTests: XCTestCase {
    /// A pool whose workers can never start: any file sent to a worker makes the import fail.
    private func unstartablePool() throws -> WorkerPool {
        try WorkerPool(executable: "/nonexistent/cohort", arguments: ["worker"], startNow: false)
    }

    func testAHeadersOnlyPNGImportNeedsNoWorkerAndAWorkerThatCannotStartFailsTheImport() throws {
        let folder = try TemporaryFolder()
        try folder.copy(TestPaths.fixture("png/MG_u16_64x48_gray.png"), to: "png/a.png")
        try folder.copy(TestPaths.fixture("png/US_u8_32x24_rgb.png"), to: "png/b.png")
        try folder.copy(TestPaths.fixture("dicom/OT_u8_32x32_3frames_RLE.dcm"), to: "dicom/ot.dcm")
        let catalog = try Catalog(path: folder.file("c.sqlite"))
        let pool = try unstartablePool()
        var options = ImportOptions(paths: [folder.file("png")])
        options.decodePixels = false
        options.isolation = pool
        let summary = try Importer(catalog: catalog, options: options).run()
        XCTAssertEqual([summary.added, summary.failed], [2, 0])
        XCTAssertEqual(pool.statistics.workersStarted, 0)
        let rows = try catalog.read { db in
            try Row.fetchAll(db, sql: "SELECT rows, columns, bitsStored, samplesPerPixel, photometric FROM image ORDER BY id")
        }
        XCTAssertEqual(rows.map { [$0["rows"], $0["columns"], $0["bitsStored"], $0["samplesPerPixel"]] as [Int] }, [[48, 64, 16, 1], [24, 32, 8, 3]])
        XCTAssertEqual(rows.map { $0["photometric"] as String }, ["MONOCHROME2", "RGB"])

        // A DICOM header needs DCMTK, so a worker: it cannot start, and that is the import's error, not the file's.
        options.paths = [folder.file("dicom")]
        XCTAssertThrowsError(try Importer(catalog: catalog, options: options).run()) { error in
            XCTAssertTrue("\(error)".contains("/nonexistent/cohort"), "\(error)")
        }
        XCTAssertEqual(try catalog.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM failure") }, 0)
        // Decoding pixels needs the decoders, PNG included.
        options.paths = [folder.file("png")]
        options.decodePixels = true
        options.verifyUnchanged = true
        XCTAssertThrowsError(try Importer(catalog: catalog, options: options).run())
    }

    func testANewPathThatAnotherImportWroteMeanwhileIsTreatedAsKnown() throws {
        let folder = try TemporaryFolder()
        let path = try folder.copy(TestPaths.fixture("png/MG_u16_64x48_gray.png"), to: "data/a.png")
        let catalog = try Catalog(path: folder.file("c.sqlite"))
        let candidate = try XCTUnwrap(ImportScan.candidate(root: folder.file("data"), relative: "a.png"))
        let (outcome, sha256) = FileProbe.probe(candidate, decodePixels: true)
        let writer = ImportWriter(runId: 1, pseudonymizer: nil)
        let tallies = try catalog.write { db -> [ImportWriter.Tally] in
            try db.execute(sql: "INSERT INTO importRun (toolVersion, arguments, roots, deidentified, startedAt) VALUES ('t', '', '', 0, 'now')")
            let statements = RawStatements(db)
            // Both writes believe the path is new (as two imports that began before either wrote it would).
            return try (0..<2).map { _ in
                var tally = ImportWriter.Tally()
                try writer.write(candidate, outcome, sha256: sha256, known: false, in: db, statements: statements, tally: &tally)
                return tally
            }
        }
        XCTAssertEqual(tallies.map(\.added), [1, 0])
        XCTAssertEqual(tallies.map(\.unchanged), [0, 1])
        let counts = try catalog.read { db in
            [try Int.fetchOne(db, sql: "SELECT count(*) FROM file") ?? -1, try Int.fetchOne(db, sql: "SELECT count(*) FROM image") ?? -1]
        }
        XCTAssertEqual(counts, [1, 1])
        let stored = try catalog.read { db in try Row.fetchOne(db, sql: "SELECT sha256, size FROM file") }
        XCTAssertEqual(stored?["sha256"], SHA256.hex([UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))))
        XCTAssertEqual(stored?["size"], candidate.size)
    }
}
