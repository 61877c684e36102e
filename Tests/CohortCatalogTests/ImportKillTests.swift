import CohortCatalog
import CohortCore
import CohortTestSupport
import Foundation
import GRDB
import XCTest

/// Imports killed with SIGKILL at arbitrary moments, and imports running side by side, run by the built binary.
final class ImportKillTests: XCTestCase {
    /// `count` links to the fixture images under distinct names (identical content is fine here).
    private func manyFiles(_ folder: TemporaryFolder, count: Int) throws -> String {
        var sources: [String] = []
        for sub in ["dicom", "png", "tiff"] {
            sources += try FileManager.default.contentsOfDirectory(atPath: TestPaths.fixture(sub)).sorted().map { TestPaths.fixture("\(sub)/\($0)") }
        }
        for i in 0..<count {
            let source = sources[i % sources.count]
            try FileManager.default.createSymbolicLink(atPath: folder.file(String(format: "data/d%02d/f%04d_%@", i / 100, i, (source as NSString).lastPathComponent)),
                                                       withDestinationPath: source)
        }
        return folder.file("data")
    }

    private func startImport(_ binary: String, data: String, catalog: String) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["import", data, "--catalog", catalog, "--quiet"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    private func check(_ path: String) throws -> (images: Int, files: Int) {
        let queue = try DatabaseQueue(path: path)
        return try queue.read { db in
            XCTAssertEqual(try String.fetchOne(db, sql: "PRAGMA integrity_check"), "ok")
            XCTAssertEqual(try Int.fetchOne(db, sql: "SELECT count(*) FROM image LEFT JOIN file ON file.id = image.fileId WHERE file.id IS NULL"), 0)
            XCTAssertEqual(try Int.fetchOne(db, sql: "SELECT count(*) FROM (SELECT root, relativePath FROM file GROUP BY 1, 2 HAVING count(*) > 1)"), 0)
            return (try Int.fetchOne(db, sql: "SELECT count(*) FROM image")!, try Int.fetchOne(db, sql: "SELECT count(*) FROM file")!)
        }
    }

    func testKilledImportsResumeToTheSameCatalog() throws {
        guard let binary = TestPaths.cohortBinary else { throw XCTSkip("build the cohort binary first (swift build)") }
        let folder = try TemporaryFolder()
        let files = 1500
        let data = try manyFiles(folder, count: files)
        let catalog = folder.file("c.sqlite")
        var generator = SeededGenerator(seed: 20261122)
        var interrupted = 0
        // Kill each run at a random moment; every run commits some batches, until one finishes by itself.
        for _ in 0..<40 {
            let process = try startImport(binary, data: data, catalog: catalog)
            usleep(UInt32(30_000 + generator.next() % 200_000))
            let killed = process.isRunning
            if killed { kill(process.processIdentifier, SIGKILL); interrupted += 1 }
            process.waitUntilExit()
            if FileManager.default.fileExists(atPath: catalog) {
                let counts = try check(catalog)
                XCTAssertEqual(counts.images, counts.files)
                XCTAssertLessThanOrEqual(counts.images, files)
            }
            if !killed {
                XCTAssertEqual(process.terminationStatus, 0)
                break
            }
        }
        print("import killed \(interrupted) times before one finished")
        XCTAssertGreaterThanOrEqual(interrupted, 3, "imports must have been killed mid-way several times")
        let final = try startImport(binary, data: data, catalog: catalog)
        final.waitUntilExit()
        XCTAssertEqual(final.terminationStatus, 0)
        let counts = try check(catalog)
        XCTAssertEqual(counts.images, files, "no image lost or duplicated after \(interrupted) kills")
    }

    func testTheCatalogAnswersQueriesWhileAnImportRuns() throws {
        guard let binary = TestPaths.cohortBinary else { throw XCTSkip("build the cohort binary first (swift build)") }
        let folder = try TemporaryFolder()
        let data = try manyFiles(folder, count: 1500)
        let path = folder.file("c.sqlite")
        let catalog = try Catalog(path: path)
        let process = try startImport(binary, data: data, catalog: path)
        var seen: [Int] = []
        while process.isRunning {
            seen.append(try CatalogQueries(catalog: catalog).totals()["images"] ?? -1)
            usleep(20_000)
        }
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0)
        XCTAssertEqual(seen, seen.sorted(), "readers see committed batches only, in order")
        XCTAssertGreaterThan(Set(seen).count, 2, "several intermediate states were readable: \(Set(seen).sorted())")
        XCTAssertEqual(try CatalogQueries(catalog: catalog).totals()["images"], 1500)
    }

    func testTwoImportsIntoOneCatalogAtOnceNeitherCorruptNorDuplicate() throws {
        guard let binary = TestPaths.cohortBinary else { throw XCTSkip("build the cohort binary first (swift build)") }
        let folder = try TemporaryFolder()
        let data = try manyFiles(folder, count: 300)
        let catalog = folder.file("c.sqlite")
        _ = try Catalog(path: catalog)  // created once, so both processes find the schema
        let a = try startImport(binary, data: data, catalog: catalog), b = try startImport(binary, data: data, catalog: catalog)
        a.waitUntilExit()
        b.waitUntilExit()
        XCTAssertEqual([a.terminationStatus, b.terminationStatus], [0, 0])
        let counts = try check(catalog)
        XCTAssertEqual(counts.images, 300)
    }
}
