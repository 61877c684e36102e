import CohortCore
import Foundation
import GRDB

/// What keeps images together in a split.
public enum SplitGrouping: String, CaseIterable, Sendable {
    /// Images of one patient (and identical pixels) stay together.
    case patient
    /// Images of one study (and identical pixels) stay together.
    case study
    /// Only identical pixels stay together.
    case none
}

/// How to make a split.
public struct SplitRequest: Sendable {
    public var name: String
    public var task: String
    /// Partition names and their ratios (same order).
    public var partitions: [String]
    public var ratios: [Double]
    public var grouping: SplitGrouping = .patient
    public var seed: UInt64 = 0
    /// Set for k-fold splits (partitions are then `fold1`...`foldK`).
    public var folds: Int?

    /// A train/validation/test (or any named) split.
    public init(name: String, task: String, partitions: [String], ratios: [Double]) {
        self.name = name
        self.task = task
        self.partitions = partitions
        self.ratios = ratios
    }

    /// A k-fold split: `k` partitions of equal ratio.
    public static func kFold(name: String, task: String, folds: Int) -> SplitRequest {
        var request = SplitRequest(name: name, task: task, partitions: (1...folds).map { "fold\($0)" },
                                   ratios: Array(repeating: 1, count: folds))
        request.folds = folds
        return request
    }
}

/// Creates, describes and checks the splits stored in a catalog.
public struct SplitStore {
    let catalog: Catalog

    /// Creates the store.
    public init(catalog: Catalog) { self.catalog = catalog }

    /// What creating a split found out about the data.
    public struct Creation: Sendable {
        /// Images assigned, labelled images without a patient (or study) ID, unlabelled images left out.
        public var assigned = 0, withoutGroupID = 0, unlabelled = 0
        /// Number of groups the images formed.
        public var groups = 0
    }

    /// Computes and stores a split; refuses to overwrite an existing split of that name unless `replace`.
    public func create(_ request: SplitRequest, replace: Bool = false) throws -> Creation {
        guard request.partitions.count == request.ratios.count, request.partitions.count >= 2,
              request.ratios.allSatisfy({ $0 >= 0 }), request.ratios.reduce(0, +) > 0 else {
            throw CatalogError(code: .invalidArgument,
                               message: "a split needs two or more partitions with non-negative ratios (got \(request.ratios))")
        }
        return try catalog.write { db in
            if let existing = try Int64.fetchOne(db, sql: "SELECT id FROM split WHERE name = ?", arguments: [request.name]) {
                guard replace else {
                    throw CatalogError(code: .invalidArgument,
                                       message: "a split named '\(request.name)' exists; choose another name or pass --replace")
                }
                try db.execute(sql: "DELETE FROM split WHERE id = ?", arguments: [existing])
            }
            let (items, creation) = try Self.items(for: request, in: db)
            guard !items.isEmpty else {
                throw CatalogError(code: .notFound, message: "no image has a label for task '\(request.task)'; label images first (cohort labels)")
            }
            let assignment = StratifiedGroupSplitter.assign(items, ratios: request.ratios, seed: request.seed)
            try db.execute(sql: """
                INSERT INTO split (name, task, partitions, ratios, groupBy, seed, folds, algorithmVersion, createdAt)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [request.name, request.task, request.partitions.joined(separator: ","),
                                 request.ratios.map { "\($0)" }.joined(separator: ","), request.grouping.rawValue,
                                 Int64(bitPattern: request.seed), request.folds, StratifiedGroupSplitter.algorithmVersion,
                                 Catalog.timestamp()])
            let splitId = db.lastInsertedRowID
            let insert = try db.cachedStatement(sql: "INSERT INTO splitAssignment (splitId, imageId, partition, groupKey) VALUES (?, ?, ?, ?)")
            for (imageId, a) in assignment.sorted(by: { $0.key < $1.key }) {
                try insert.execute(arguments: [splitId, imageId, request.partitions[a.partition], a.groupKey])
            }
            var result = creation
            result.assigned = assignment.count
            result.groups = Set(assignment.values.map(\.groupKey)).count
            return result
        }
    }

    /// Labelled images of the task with their group keys: the patient/study (when grouping by it and known) and
    /// the duplicate key (stored pixels, or file content for headers-only imports). Sorted by image id.
    static func items(for request: SplitRequest, in db: Database) throws -> ([SplitItem], Creation) {
        var creation = Creation()
        creation.unlabelled = try Int.fetchOne(db, sql: """
            SELECT count(*) FROM image WHERE role = 'image' AND id NOT IN (SELECT imageId FROM label WHERE task = ?)
            """, arguments: [request.task]) ?? 0
        let rows = try Row.fetchAll(db, sql: """
            SELECT image.id, label.value, image.patientId, image.studyId,
                   coalesce(image.pixelSha256, 'file:' || file.sha256) AS content
            FROM image JOIN label ON label.imageId = image.id AND label.task = ? JOIN file ON file.id = image.fileId
            WHERE image.role = 'image' ORDER BY image.id
            """, arguments: [request.task])
        let items = rows.map { row -> SplitItem in
            let id: Int64 = row["id"]
            var keys = ["content:" + (row["content"] as String)]
            let groupID: Int64? = request.grouping == .patient ? row["patientId"] : request.grouping == .study ? row["studyId"] : nil
            if let groupID {
                keys.append("\(request.grouping.rawValue):\(groupID)")
            } else {
                if request.grouping != .none { creation.withoutGroupID += 1 }
                keys.append("image:\(id)")
            }
            return SplitItem(imageId: id, label: row["value"], groupKeys: keys)
        }
        return (items, creation)
    }
}
