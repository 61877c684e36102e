import Foundation
import GRDB

/// A stored split, partition by partition.
public struct SplitSummary: Sendable {
    /// Counts of one partition.
    public struct Partition: Sendable {
        public var name: String
        public var ratio: Double
        public var images: Int
        /// Images per label value.
        public var classCounts: [String: Int]
        /// Distinct patients (0 when the catalog has no patient IDs).
        public var patients: Int
        /// Distinct groups kept together.
        public var groups: Int
    }

    public var name: String, task: String, grouping: String
    public var seed: UInt64
    public var folds: Int?
    public var algorithmVersion: Int
    public var partitions: [Partition]
    /// All label values of the task, sorted.
    public var classes: [String]
}

/// A leak: one patient or one pixel content in several partitions.
public struct SplitLeak: Sendable, Equatable {
    /// `patient`, `study` or `duplicate pixels`.
    public var kind: String
    /// Number of entities of that kind that span partitions.
    public var count: Int
    /// The partitions involved, e.g. `train+test`, for the first few.
    public var examples: [String]
}

extension SplitStore {
    /// Loads the split `name` with per-partition counts.
    public func summary(name: String) throws -> SplitSummary {
        try catalog.read { db in
            guard let split = try Row.fetchOne(db, sql: "SELECT * FROM split WHERE name = ?", arguments: [name]) else {
                let names = try String.fetchAll(db, sql: "SELECT name FROM split ORDER BY name")
                throw CatalogError(code: .notFound, message: "no split named '\(name)'" +
                                   (names.isEmpty ? "; create one with `cohort split create`" : "; splits here: \(names.joined(separator: ", "))"))
            }
            let id: Int64 = split["id"]
            let names = (split["partitions"] as String).split(separator: ",").map(String.init)
            let ratios = (split["ratios"] as String).split(separator: ",").map { Double($0) ?? 0 }
            let total = ratios.reduce(0, +)
            var partitions: [SplitSummary.Partition] = []
            for (index, partition) in names.enumerated() {
                let counts = try Row.fetchAll(db, sql: """
                    SELECT label.value, count(*) AS n FROM splitAssignment a
                    JOIN label ON label.imageId = a.imageId AND label.task = ? WHERE a.splitId = ? AND a.partition = ?
                    GROUP BY label.value
                    """, arguments: [split["task"], id, partition])
                let stats = try Row.fetchOne(db, sql: """
                    SELECT count(*) AS images, count(DISTINCT image.patientId) AS patients, count(DISTINCT a.groupKey) AS groups
                    FROM splitAssignment a JOIN image ON image.id = a.imageId WHERE a.splitId = ? AND a.partition = ?
                    """, arguments: [id, partition])!
                partitions.append(SplitSummary.Partition(
                    name: partition, ratio: total > 0 ? ratios[index] / total : 0, images: stats["images"],
                    classCounts: Dictionary(uniqueKeysWithValues: counts.map { ($0["value"] as String, $0["n"] as Int) }),
                    patients: stats["patients"], groups: stats["groups"]))
            }
            let classes = Set(partitions.flatMap(\.classCounts.keys)).sorted()
            return SplitSummary(name: name, task: split["task"], grouping: split["groupBy"],
                                seed: UInt64(bitPattern: split["seed"] as Int64), folds: split["folds"],
                                algorithmVersion: split["algorithmVersion"], partitions: partitions, classes: classes)
        }
    }

    /// Every leak of split `name`: patients, studies and identical pixel contents found in two or more
    /// partitions, whatever grouping the split was made with. Empty means no leakage.
    public func leaks(name: String) throws -> [SplitLeak] {
        _ = try summary(name: name)  // existence check with a helpful error
        return try catalog.read { db in
            let id = try Int64.fetchOne(db, sql: "SELECT id FROM split WHERE name = ?", arguments: [name])!
            let checks = [
                ("patient", "image.patientId"),
                ("study", "image.studyId"),
                ("duplicate pixels", "coalesce(image.pixelSha256, 'file:' || file.sha256)"),
            ]
            var leaks: [SplitLeak] = []
            for (kind, column) in checks {
                let rows = try String.fetchAll(db, sql: """
                    SELECT group_concat(DISTINCT a.partition) FROM splitAssignment a JOIN image ON image.id = a.imageId
                    JOIN file ON file.id = image.fileId WHERE a.splitId = ? AND \(column) IS NOT NULL
                    GROUP BY \(column) HAVING count(DISTINCT a.partition) > 1
                    """, arguments: [id])
                if !rows.isEmpty {
                    leaks.append(SplitLeak(kind: kind, count: rows.count,
                                           examples: Array(rows.prefix(5)).map { $0.replacingOccurrences(of: ",", with: "+") }))
                }
            }
            return leaks
        }
    }

    /// Image ids of one partition of split `name`, sorted.
    public func images(split name: String, partition: String) throws -> [Int64] {
        try catalog.read { db in
            try Int64.fetchAll(db, sql: """
                SELECT a.imageId FROM splitAssignment a JOIN split ON split.id = a.splitId
                WHERE split.name = ? AND a.partition = ? ORDER BY a.imageId
                """, arguments: [name, partition])
        }
    }

    /// Names of the stored splits.
    public func names() throws -> [String] {
        try catalog.read { db in try String.fetchAll(db, sql: "SELECT name FROM split ORDER BY name") }
    }
}
