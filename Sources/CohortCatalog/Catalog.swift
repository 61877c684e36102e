import Foundation
import GRDB

/// A catalog: one SQLite file (WAL mode) holding patients, studies, images, labels, masks and import runs.
///
/// Readers see a consistent snapshot while an import writes; every write is a transaction, so a killed process
/// leaves the last committed state behind.
public final class Catalog: @unchecked Sendable {
    /// The default location, relative to the working directory.
    public static let defaultPath = "catalogs/default.sqlite"

    /// Path of the SQLite file.
    public let path: String
    let pool: DatabasePool

    /// Opens (creating when absent, with its folder) the catalog at `path` and brings its schema up to date.
    public init(path: String = Catalog.defaultPath) throws {
        self.path = path
        let folder = (path as NSString).deletingLastPathComponent
        if !folder.isEmpty { try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
        var configuration = Configuration()
        configuration.busyMode = .timeout(60)  // a second importer waits for the writer instead of failing
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = NORMAL") }
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            try CatalogSchema.migrator.migrate(pool)
        } catch let error as DatabaseError {
            throw CatalogError(code: .cannotOpen,
                               message: "cannot open the catalog (\(error.message ?? "\(error.resultCode)")); check the path and that the file is a Cohort catalog",
                               path: path)
        }
    }

    /// Runs `body` in a read-only snapshot.
    public func read<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try pool.read(body) } catch let error as DatabaseError { throw Self.wrap(error, path: path) }
    }

    /// Runs `body` in one write transaction (all or nothing).
    public func write<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try pool.write(body) } catch let error as DatabaseError { throw Self.wrap(error, path: path) }
    }

    /// Moves the write-ahead log into the database file and empties the log (for copying the catalog as one file).
    public func checkpoint() throws {
        do { _ = try pool.writeWithoutTransaction { db in try db.checkpoint(.truncate) } } catch let error as DatabaseError {
            throw Self.wrap(error, path: path)
        }
    }

    /// The names of applied migrations, oldest first.
    public func appliedMigrations() throws -> [String] {
        try read { db in try CatalogSchema.migrator.appliedMigrations(db) }
    }

    static func wrap(_ error: DatabaseError, path: String) -> CatalogError {
        CatalogError(code: .database, message: "SQLite: \(error.message ?? "error \(error.resultCode)")", path: path)
    }

    /// Now as an ISO 8601 UTC timestamp (what the catalog stores for times).
    static func timestamp(_ date: Date = Date()) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }
}
