import Foundation
import GRDB

/// Writes labels: one value per image and task, with its source, author and time.
enum LabelStore {
    /// What setting a label did.
    enum Change { case added, changed, unchanged }

    /// Sets the label of `imageId` for `task`, replacing a different earlier value.
    static func set(imageId: Int64, task: String, value: String, source: String, in db: Database) throws -> Change {
        if let current = try String.fetchOne(db, sql: "SELECT value FROM label WHERE imageId = ? AND task = ?",
                                             arguments: [imageId, task]) {
            if current == value { return .unchanged }
            try db.execute(sql: "UPDATE label SET value = ?, source = ?, createdBy = ?, createdAt = ? WHERE imageId = ? AND task = ?",
                           arguments: [value, source, author, Catalog.timestamp(), imageId, task])
            return .changed
        }
        try db.execute(sql: "INSERT INTO label (imageId, task, value, source, createdBy, createdAt) VALUES (?, ?, ?, ?, ?, ?)",
                       arguments: [imageId, task, value, source, author, Catalog.timestamp()])
        return .added
    }

    /// Who is labelling: the login name of the operator running the command.
    static var author: String { ProcessInfo.processInfo.environment["USER"] ?? "unknown" }
}

/// Labels from the folder layout (ImageFolder, BUSI): the class is the image's parent folder name.
public struct FolderLabels {
    let catalog: Catalog

    /// Creates the labeller.
    public init(catalog: Catalog) { self.catalog = catalog }

    /// What labelling from folders did.
    public struct Result: Sendable {
        /// Labels added or changed, already equal, and images directly under their root (no folder, no label).
        public var assigned = 0, unchanged = 0, withoutFolder = 0
    }

    /// Labels every image (not masks) under `task` with its parent folder's name.
    public func assign(task: String, source: String = "folders") throws -> Result {
        try catalog.write { db in
            var result = Result()
            let rows = try Row.fetchAll(db, sql: """
                SELECT image.id, file.relativePath FROM image JOIN file ON file.id = image.fileId WHERE image.role = 'image'
                """)
            for row in rows {
                let parts = (row["relativePath"] as String).split(separator: "/")
                guard parts.count >= 2 else { result.withoutFolder += 1; continue }
                switch try LabelStore.set(imageId: row["id"], task: task, value: String(parts[parts.count - 2]),
                                          source: source, in: db) {
                case .added, .changed: result.assigned += 1
                case .unchanged: result.unchanged += 1
                }
            }
            return result
        }
    }
}

/// A task derived from another by renaming its values (benign and malignant as abnormal, say), so that one split
/// serves several questions.
public struct DerivedLabels {
    let catalog: Catalog

    /// Creates the labeller.
    public init(catalog: Catalog) { self.catalog = catalog }

    /// What deriving did: labels added or changed, already equal, and the source task's values left as they were
    /// (no mapping named them).
    public struct Result: Sendable {
        public var assigned = 0, unchanged = 0
        public var unmappedValues: [String] = []
    }

    /// Labels every image labelled under `source` with `map[value] ?? value` under `task`. An unknown source task
    /// is an error listing the tasks.
    public func derive(task: String, from source: String, map: [String: String]) throws -> Result {
        guard task != source else { throw CatalogError(code: .invalidArgument, message: "derive a new task: '\(task)' is the source task") }
        return try catalog.write { db in
            let rows = try Row.fetchAll(db, sql: "SELECT imageId, value FROM label WHERE task = ? ORDER BY imageId", arguments: [source])
            guard !rows.isEmpty else {
                let tasks = try String.fetchAll(db, sql: "SELECT DISTINCT task FROM label ORDER BY task")
                throw CatalogError(code: .notFound, message: "no labels for task '\(source)'; tasks here: \(tasks.isEmpty ? "none" : tasks.joined(separator: ", "))")
            }
            var result = Result(), unmapped = Set<String>()
            for row in rows {
                let value: String = row["value"]
                if map[value] == nil { unmapped.insert(value) }
                switch try LabelStore.set(imageId: row["imageId"], task: task, value: map[value] ?? value, source: "derived:\(source)", in: db) {
                case .added, .changed: result.assigned += 1
                case .unchanged: result.unchanged += 1
                }
            }
            result.unmappedValues = unmapped.sorted()
            return result
        }
    }
}
