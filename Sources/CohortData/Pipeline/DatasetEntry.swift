import CohortCatalog
import Foundation
import GRDB

/// One image of a dataset: where it is, its label and masks, and what identifies its content.
public struct DatasetEntry: Sendable, Equatable, Codable {
    public var imageId: Int64
    /// Absolute path of the image file.
    public var path: String
    /// Class index into the dataset's classes (nil when unlabelled).
    public var label: Int?
    /// (0020,0062) laterality when known.
    public var laterality: String?
    /// Absolute paths of the image's masks (merged into one).
    public var maskPaths: [String]
    /// Pixel digest (or file digest) of the image and its masks: the cache key's content part.
    public var contentKey: String
    /// Study identity (catalog study id or Study Instance UID), for per-study aggregation of scores.
    public var study: String? = nil

    public init(imageId: Int64, path: String, label: Int?, laterality: String?, maskPaths: [String], contentKey: String, study: String? = nil) {
        (self.imageId, self.path, self.label, self.laterality, self.maskPaths, self.contentKey, self.study) =
            (imageId, path, label, laterality, maskPaths, contentKey, study)
    }
}

/// The entries of a split partition (or of the whole catalog) and the class names of the task.
public struct CatalogDataset: Sendable {
    public var entries: [DatasetEntry]
    /// Label values of the task in the split, sorted: class index i is `classes[i]`.
    public var classes: [String]

    /// Loads the images of `partition` of split `split`, labelled by the split's task, or by `task` (another task
    /// on the same partitions: its classes are the values it has on the split's images).
    public static func load(catalog: Catalog, split: String, partition: String, task: String? = nil) throws -> CatalogDataset {
        let summary = try SplitStore(catalog: catalog).summary(name: split)
        guard summary.partitions.contains(where: { $0.name == partition }) else {
            throw DataError(code: .configuration,
                            message: "split '\(split)' has no partition '\(partition)' (it has \(summary.partitions.map(\.name).joined(separator: ", ")))")
        }
        let labelTask = task ?? summary.task
        var classes = summary.classes
        if labelTask != summary.task {
            classes = try catalog.read { db in
                try String.fetchAll(db, sql: """
                    SELECT DISTINCT label.value FROM splitAssignment a JOIN split ON split.id = a.splitId
                    JOIN label ON label.imageId = a.imageId AND label.task = ? WHERE split.name = ? ORDER BY label.value
                    """, arguments: [labelTask, split])
            }
            guard !classes.isEmpty else {
                throw DataError(code: .configuration, message: "no image of split '\(split)' has a label for task '\(labelTask)' (cohort labels derive makes one)")
            }
        }
        let index = Dictionary(uniqueKeysWithValues: classes.enumerated().map { ($1, $0) })
        return try catalog.read { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT image.id, file.root, file.relativePath, image.laterality, label.value, image.studyId,
                       coalesce(image.pixelSha256, 'file:' || file.sha256) AS content,
                       (SELECT group_concat(mf.root || '/' || mf.relativePath, char(10)) FROM mask
                        JOIN image mi ON mi.id = mask.maskImageId JOIN file mf ON mf.id = mi.fileId
                        WHERE mask.imageId = image.id ORDER BY mask.ordinal) AS masks,
                       (SELECT group_concat(coalesce(mi.pixelSha256, mf.sha256), ',') FROM mask
                        JOIN image mi ON mi.id = mask.maskImageId JOIN file mf ON mf.id = mi.fileId
                        WHERE mask.imageId = image.id ORDER BY mask.ordinal) AS maskContent
                FROM splitAssignment a JOIN split ON split.id = a.splitId
                JOIN image ON image.id = a.imageId JOIN file ON file.id = image.fileId
                LEFT JOIN label ON label.imageId = image.id AND label.task = ?
                WHERE split.name = ? AND a.partition = ? ORDER BY image.id
                """, arguments: [labelTask, split, partition])
            let entries = rows.map { row -> DatasetEntry in
                // group_concat has no guaranteed order in SQLite 3.40: sort for stable cache keys.
                let masks = (row["masks"] as String?)?.split(separator: "\n").map(String.init).sorted() ?? []
                let maskContent = (row["maskContent"] as String?)?.split(separator: ",").sorted().joined(separator: ",")
                let content = (row["content"] as String) + (maskContent.map { "|masks:" + $0 } ?? "")
                return DatasetEntry(imageId: row["id"], path: (row["root"] as String) + "/" + (row["relativePath"] as String),
                                    label: (row["value"] as String?).flatMap { index[$0] }, laterality: row["laterality"],
                                    maskPaths: masks, contentKey: content, study: (row["studyId"] as Int64?).map { "study-\($0)" })
            }
            return CatalogDataset(entries: entries, classes: classes)
        }
    }
}

extension CatalogDataset {
    /// One image of the catalog by id, with its masks; labelled by `task` when given (the class list is then
    /// just that image's label).
    public static func single(catalog: Catalog, imageId: Int64, task: String?) throws -> CatalogDataset {
        try catalog.read { db in
            guard let row = try Row.fetchOne(db, sql: """
                SELECT image.id, file.root, file.relativePath, image.laterality,
                       coalesce(image.pixelSha256, 'file:' || file.sha256) AS content,
                       (SELECT value FROM label WHERE label.imageId = image.id AND label.task = ?) AS value
                FROM image JOIN file ON file.id = image.fileId WHERE image.id = ? AND image.role = 'image'
                """, arguments: [task, imageId]) else {
                throw DataError(code: .configuration, message: "no image with id \(imageId) in the catalog (cohort show lists ids)")
            }
            let masks = try Row.fetchAll(db, sql: """
                SELECT mf.root || '/' || mf.relativePath AS path, coalesce(mi.pixelSha256, mf.sha256) AS content FROM mask
                JOIN image mi ON mi.id = mask.maskImageId JOIN file mf ON mf.id = mi.fileId WHERE mask.imageId = ?
                ORDER BY mask.ordinal
                """, arguments: [imageId])
            let value: String? = row["value"]
            let content = (row["content"] as String) + (masks.isEmpty ? "" : "|masks:" + masks.map { $0["content"] as String }.sorted().joined(separator: ","))
            let entry = DatasetEntry(imageId: imageId, path: (row["root"] as String) + "/" + (row["relativePath"] as String),
                                     label: value == nil ? nil : 0, laterality: row["laterality"],
                                     maskPaths: masks.map { $0["path"] as String }.sorted(), contentKey: content)
            return CatalogDataset(entries: [entry], classes: value.map { [$0] } ?? [])
        }
    }
}

extension CatalogDataset {
    /// The same images without their masks (classification: masks are neither read nor cached).
    public func withoutMasks() -> CatalogDataset {
        var copy = self
        copy.entries = entries.map { entry in
            var e = entry
            e.maskPaths = []
            if let range = e.contentKey.range(of: "|masks:") { e.contentKey = String(e.contentKey[..<range.lowerBound]) }
            return e
        }
        return copy
    }
}
