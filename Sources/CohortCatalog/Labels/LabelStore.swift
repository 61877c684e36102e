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
