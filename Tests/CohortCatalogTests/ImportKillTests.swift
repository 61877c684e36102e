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
            // Killed before the first migration committed: no catalog table yet (each migration is a transaction, so
            // there is never half a schema, and no migration is recorded as applied); the next run creates them.
            if try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'image'") == 0 {
                if try db.tableExists("grdb_migrations") {
                    XCTAssertEqual(try Int.fetchOne(db, sql: "SELECT count(*) FROM grdb_migrations"), 0, "a migration recorded without its tables")
                }
                XCTAssertEqual(try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name != 'grdb_migrations'"), 0)
                return (0, 0)
            }
            XCTAssertEqual(try Int.fetchOne(db, sql: "SELECT count(*) FROM image LEFT JOIN file ON file.id = image.fileId WHERE file.id IS NULL"), 0)
            XCTAssertEqual(try Int.fetchOne(db, sql: "SELECT count(*) FROM (SELECT root, relativePath FROM file GROUP BY 1, 2 HAVING count(*) > 1)"), 0)
            return (try Int.fetchOne(db, sql: "SELECT count(*) FROM image")!, try Int.fetchOne(db, sql: "SELECT count(*) FROM file")!)
        }
    }

    /// Twenty SIGKILLs at random moments (in rounds: each round resumes until an import finishes by itself, then the
    /// next round starts a new catalog). After every kill the catalog passes `integrity_check` and holds no orphan
    /// or duplicate rows; every round ends with exactly the files given; no decoder worker outlives its import.
    func testKilledImportsResumeToTheSameCatalog() throws {
        guard let binary = TestPaths.cohortBinary else { throw XCTSkip("build the cohort binary first (swift build)") }
        let folder = try TemporaryFolder()
        let files = 1500
        let data = try manyFiles(folder, count: files)
        var generator = SeededGenerator(seed: 20261122)
        // Kill moments scale with how long a whole import takes on this machine (it varies several-fold).
        let started = Date()
        let probe = try startImport(binary, data: data, catalog: folder.file("timing.sqlite"))
        probe.waitUntilExit()
        let whole = Date().timeIntervalSince(started)
        var kills = 0, rounds = 0, progress: [Int] = []
        while kills < 20 && rounds < 40 {
            rounds += 1
            let catalog = folder.file("c\(rounds).sqlite")
            var finished = false
            for _ in 0..<40 where !finished {
                let process = try startImport(binary, data: data, catalog: catalog)
                usleep(UInt32(whole * 1e6 * (0.05 + 0.8 * generator.nextUnit())))
                let killed = process.isRunning
                if killed { kill(process.processIdentifier, SIGKILL); kills += 1 }
                process.waitUntilExit()
                if FileManager.default.fileExists(atPath: catalog) {
                    let counts = try check(catalog)
                    XCTAssertEqual(counts.images, counts.files)
                    XCTAssertLessThanOrEqual(counts.images, files)
                    progress.append(counts.images)
                }
                if !killed {
                    XCTAssertEqual(process.terminationStatus, 0)
                    finished = true
                }
            }
            let final = try startImport(binary, data: data, catalog: catalog)
            final.waitUntilExit()
            XCTAssertEqual(final.terminationStatus, 0)
            XCTAssertEqual(try check(catalog).images, files, "round \(rounds): no image lost or duplicated")
        }
        print("import killed \(kills) times in \(rounds) round(s); images after each run: \(progress)")
        XCTAssertGreaterThanOrEqual(kills, 20)
        usleep(300_000)
        XCTAssertEqual(try workersAlive(), 0, "decoder workers exit when their import is killed")
    }

    /// Running `cohort worker` processes whose executable is this build's binary.
    private func workersAlive() throws -> Int {
        guard let binary = TestPaths.cohortBinary else { return 0 }
        let pids = try FileManager.default.contentsOfDirectory(atPath: "/proc").filter { Int($0) != nil }
        return pids.filter { pid in
            guard let command = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
            let parts = command.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            return parts.count >= 2 && parts[0] == binary && parts[1] == "worker"
        }.count
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
