import GRDB
import GRDBSQLite

/// A statement prepared and run through SQLite's C API on a GRDB connection, for the few rows the importer writes
/// per file: GRDB's argument conversion (an existential and a dynamic cast per value) was about a third of the
/// writer's time in a profile of a BUSI import. Lives inside one write transaction (finalized when released, before
/// the connection can close).
final class RawStatement {
    /// A value to bind.
    enum Value {
        case null, integer(Int64), real(Double), text(String)

        init(_ value: String?) { self = value.map { .text($0) } ?? .null }
        init(_ value: Int?) { self = value.map { .integer(Int64($0)) } ?? .null }
        init(_ value: Int64?) { self = value.map { .integer($0) } ?? .null }
        init(_ value: Double?) { self = value.map { .real($0) } ?? .null }
    }

    private let handle: OpaquePointer
    private let connection: OpaquePointer

    /// Prepares `sql` on `db`'s connection.
    init(_ db: Database, sql: String) throws {
        guard let connection = db.sqliteConnection else { throw DatabaseError(resultCode: .SQLITE_MISUSE, message: "connection closed") }
        var statement: OpaquePointer?
        let code = sqlite3_prepare_v3(connection, sql, -1, 0, &statement, nil)
        guard code == SQLITE_OK, let statement else {
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(connection)), sql: sql)
        }
        self.connection = connection
        self.handle = statement
    }

    deinit { sqlite3_finalize(handle) }

    /// Runs the statement once with `values` (one per parameter, in order); returns the rows it changed.
    @discardableResult
    func run(_ values: [Value]) throws -> Int {
        defer {
            sqlite3_reset(handle)
            sqlite3_clear_bindings(handle)
        }
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            let code: Int32
            switch value {
            case .null: code = sqlite3_bind_null(handle, index)
            case .integer(let v): code = sqlite3_bind_int64(handle, index, v)
            case .real(let v): code = sqlite3_bind_double(handle, index, v)
            case .text(let v): code = sqlite3_bind_text(handle, index, v, -1, Self.transient)
            }
            guard code == SQLITE_OK else { throw error(code) }
        }
        let code = sqlite3_step(handle)
        guard code == SQLITE_DONE else { throw error(code) }
        return Int(sqlite3_changes(connection))
    }

    private func error(_ code: Int32) -> DatabaseError {
        DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(connection)),
                      sql: String(cString: sqlite3_sql(handle)))
    }

    /// SQLite's SQLITE_TRANSIENT (copy the bound text now), which the C macro defines as -1.
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
}

/// The raw statements of one write transaction, each prepared on first use.
final class RawStatements {
    private let db: Database
    private var prepared: [String: RawStatement] = [:]

    init(_ db: Database) { self.db = db }

    /// The statement for `sql` (prepared now if this is its first use).
    func callAsFunction(_ sql: String) throws -> RawStatement {
        if let statement = prepared[sql] { return statement }
        let statement = try RawStatement(db, sql: sql)
        prepared[sql] = statement
        return statement
    }
}
