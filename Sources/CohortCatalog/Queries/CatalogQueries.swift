import Foundation
import GRDB

/// Images whose stored pixel values are identical (same digest), with their labels.
public struct DuplicateGroup: Sendable, Equatable {
    /// One member of a duplicate group.
    public struct Member: Sendable, Equatable {
        /// Image id in the catalog.
        public var imageId: Int64
        /// File path relative to its import root.
        public var relativePath: String
        /// Labels of the image as `task=value`, sorted.
        public var labels: [String]
    }

    /// SHA-256 of the stored values (or `file:` and the file's SHA-256 for images imported headers-only).
    public var pixelSha256: String
    /// The images sharing them, by path.
    public var members: [Member]

    /// Whether two members carry different values for the same task.
    public var hasConflictingLabels: Bool {
        var byTask: [String: Set<String>] = [:]
        for label in members.flatMap(\.labels) {
            let parts = label.split(separator: "=", maxSplits: 1).map(String.init)
            if parts.count == 2 { byTask[parts[0], default: []].insert(parts[1]) }
        }
        return byTask.values.contains { $0.count > 1 }
    }
}

/// Read-only questions asked of a catalog (by the CLI and by later stages).
public struct CatalogQueries {
    let catalog: Catalog

    /// Creates a query helper.
    public init(catalog: Catalog) { self.catalog = catalog }

    /// Groups of two or more images (role `image`) with identical stored pixels, ordered by first path.
    public func duplicatePixelGroups() throws -> [DuplicateGroup] {
        try catalog.read { db in
            // Images decoded at import compare by stored values; headers-only imports by file content.
            let key = "coalesce(image.pixelSha256, 'file:' || file.sha256)"
            let rows = try Row.fetchAll(db, sql: """
                SELECT image.id, \(key) AS pixelSha256, file.relativePath,
                       (SELECT group_concat(task || '=' || value, char(10)) FROM label WHERE label.imageId = image.id) AS labels
                FROM image JOIN file ON file.id = image.fileId
                WHERE image.role = 'image' AND \(key) IN (
                    SELECT \(key) FROM image JOIN file ON file.id = image.fileId WHERE image.role = 'image'
                    GROUP BY 1 HAVING count(*) > 1)
                ORDER BY 2, file.relativePath
                """)
            var groups: [String: [DuplicateGroup.Member]] = [:]
            for row in rows {
                let labels = (row["labels"] as String?)?.split(separator: "\n").map(String.init).sorted() ?? []
                groups[row["pixelSha256"], default: []].append(
                    DuplicateGroup.Member(imageId: row["id"], relativePath: row["relativePath"], labels: labels))
            }
            return groups.map { DuplicateGroup(pixelSha256: $0.key, members: $0.value) }
                .sorted { $0.members[0].relativePath < $1.members[0].relativePath }
        }
    }

    /// Counts of images (role `image`) by a column, most frequent first; NULL shows as `(none)`.
    public func imageCounts(by column: StatsColumn) throws -> [(value: String, count: Int)] {
        try catalog.read { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT coalesce(\(column.expression), '(none)') AS value, count(*) AS n
                FROM image \(column.join) WHERE image.role = 'image' GROUP BY 1 ORDER BY n DESC, value
                """)
            return rows.map { (value: $0["value"], count: $0["n"]) }
        }
    }

    /// Label counts per task and value.
    public func labelCounts() throws -> [(task: String, value: String, count: Int)] {
        try catalog.read { db in
            try Row.fetchAll(db, sql: "SELECT task, value, count(*) AS n FROM label GROUP BY task, value ORDER BY task, n DESC, value")
                .map { (task: $0["task"], value: $0["value"], count: $0["n"]) }
        }
    }

    /// Totals: images, masks, patients, studies, failures (skipped non-pixel objects excluded).
    public func totals() throws -> [String: Int] {
        try catalog.read { db in
            var out: [String: Int] = [:]
            let queries = [
                "images": "SELECT count(*) FROM image WHERE role = 'image'",
                "masks": "SELECT count(*) FROM mask",
                "patients": "SELECT count(*) FROM patient",
                "studies": "SELECT count(*) FROM study",
                "failures": "SELECT count(*) FROM failure WHERE code <> 'noPixelData'",
                "non-image objects": "SELECT count(*) FROM failure WHERE code = 'noPixelData'",
            ]
            for (name, sql) in queries { out[name] = try Int.fetchOne(db, sql: sql) ?? 0 }
            return out
        }
    }

    /// Recorded failures, by path.
    public func failures(includeNonImages: Bool = false) throws -> [(path: String, code: String, message: String)] {
        try catalog.read { db in
            try Row.fetchAll(db, sql: """
                SELECT relativePath, code, message FROM failure \(includeNonImages ? "" : "WHERE code <> 'noPixelData'")
                ORDER BY root, relativePath
                """).map { (path: $0["relativePath"], code: $0["code"], message: $0["message"]) }
        }
    }
}

/// Columns `cohort stats` groups images by.
public enum StatsColumn: String, CaseIterable, Sendable {
    case format, modality, laterality, view, manufacturer, presentationIntent = "presentation-intent"

    var expression: String {
        switch self {
        case .format: return "file.format"
        case .presentationIntent: return "image.presentationIntent"
        default: return "image.\(rawValue)"
        }
    }

    var join: String { self == .format ? "JOIN file ON file.id = image.fileId" : "" }
}

extension CatalogQueries {
    /// Every stored fact of image `id` as name/value pairs (file, image columns, patient/study/series keys,
    /// labels, masks), or nil when there is no such image.
    public func imageDetails(id: Int64) throws -> [(name: String, value: String)]? {
        try catalog.read { db in
            guard let row = try Row.fetchOne(db, sql: """
                SELECT image.*, file.root, file.relativePath, file.size, file.sha256, file.format,
                       patient.patientKey, study.studyInstanceUID, study.studyDate, series.seriesInstanceUID
                FROM image JOIN file ON file.id = image.fileId LEFT JOIN patient ON patient.id = image.patientId
                LEFT JOIN study ON study.id = image.studyId LEFT JOIN series ON series.id = image.seriesId
                WHERE image.id = ?
                """, arguments: [id]) else { return nil }
            var out: [(name: String, value: String)] = []
            for (name, value) in row where !value.isNull && name != "fileId" {
                out.append((name, value.description.trimmingCharacters(in: CharacterSet(charactersIn: "\""))))
            }
            for label in try Row.fetchAll(db, sql: "SELECT task, value, source FROM label WHERE imageId = ? ORDER BY task", arguments: [id]) {
                out.append(("label." + (label["task"] as String), "\(label["value"] as String) (from \(label["source"] as String))"))
            }
            for mask in try Row.fetchAll(db, sql: """
                SELECT mask.label, mask.ordinal, mask.foregroundFraction, file.relativePath FROM mask
                JOIN image ON image.id = mask.maskImageId JOIN file ON file.id = image.fileId
                WHERE mask.imageId = ? ORDER BY mask.ordinal
                """, arguments: [id]) {
                out.append(("mask", String(format: "%@ %@ (foreground %.4f)", mask["relativePath"] as String,
                                           mask["label"] as String, mask["foregroundFraction"] as Double)))
            }
            return out
        }
    }

    /// The image id of a file path relative to its root (for `cohort show PATH`).
    public func imageId(relativePath: String) throws -> Int64? {
        try catalog.read { db in
            try Int64.fetchOne(db, sql: "SELECT image.id FROM image JOIN file ON file.id = image.fileId WHERE file.relativePath = ? OR file.relativePath LIKE ? ESCAPE '\\'",
                               arguments: [relativePath, "%/" + relativePath.replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_")])
        }
    }
}
