import CohortCore
import Foundation
import GRDB

/// One epoch's metrics of one phase, as stored per run (so curves of several runs can be overlaid by a query).
public struct EpochRecord: Sendable, Equatable {
    public var epoch: Int
    public var phase: String
    public var loss: Double
    public var accuracy: Double?, precision: Double?, recall: Double?, f1: Double?, auc: Double?
    public var learningRate: Double?, seconds: Double?
    /// Segmentation runs: mean Dice and IoU over the phase's images (nil for classifiers).
    public var dice: Double?, iou: Double?

    public init(epoch: Int, phase: String, loss: Double, accuracy: Double? = nil, precision: Double? = nil, recall: Double? = nil,
                f1: Double? = nil, auc: Double? = nil, learningRate: Double? = nil, seconds: Double? = nil, dice: Double? = nil, iou: Double? = nil) {
        (self.epoch, self.phase, self.loss, self.accuracy, self.precision, self.recall, self.f1, self.auc, self.learningRate, self.seconds) =
            (epoch, phase, loss, accuracy, precision, recall, f1, auc, learningRate, seconds)
        (self.dice, self.iou) = (dice, iou)
    }
}

/// One image's segmentation outcome in a scoring run (nil metrics: undefined, or no reference mask).
public struct MaskResultRecord: Sendable, Equatable {
    public var imageId: Int64
    public var maskPath: String?
    public var predictedPixels: Int
    public var referencePixels: Int?
    public var dice: Double?, iou: Double?, sensitivity: Double?, precision: Double?, hd95: Double?, asd: Double?
    public var distanceUnit: String?

    public init(imageId: Int64, maskPath: String?, predictedPixels: Int, referencePixels: Int?, dice: Double?, iou: Double?,
                sensitivity: Double?, precision: Double?, hd95: Double?, asd: Double?, distanceUnit: String?) {
        (self.imageId, self.maskPath, self.predictedPixels, self.referencePixels) = (imageId, maskPath, predictedPixels, referencePixels)
        (self.dice, self.iou, self.sensitivity, self.precision, self.hd95, self.asd, self.distanceUnit) =
            (dice, iou, sensitivity, precision, hd95, asd, distanceUnit)
    }
}

/// Training and scoring runs in the catalog: configuration, status, per-epoch history, predictions.
public struct RunStore {
    let catalog: Catalog

    public init(catalog: Catalog) { self.catalog = catalog }

    /// Starts a run and returns its id.
    public func begin(name: String, kind: String, configuration: String, split: String?, task: String?, model: String?,
                      seed: UInt64?, inputHash: String?, folder: String?) throws -> Int64 {
        try catalog.write { db in
            try db.execute(sql: """
                INSERT INTO run (name, kind, configuration, splitName, task, model, seed, toolVersion, inputHash, folder, status, startedAt)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'running', ?)
                """, arguments: [name, kind, configuration, split, task, model, seed.map { Int64(bitPattern: $0) },
                                 CohortVersion.string, inputHash, folder, Catalog.timestamp()])
            return db.lastInsertedRowID
        }
    }

    /// Records (or replaces, when resuming) one epoch of one phase.
    public func record(run: Int64, _ e: EpochRecord) throws {
        try catalog.write { db in
            try db.execute(sql: """
                INSERT OR REPLACE INTO runEpoch (runId, epoch, phase, loss, accuracy, precision, recall, f1, auc, learningRate, seconds, dice, iou)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [run, e.epoch, e.phase, e.loss, e.accuracy, e.precision, e.recall, e.f1, e.auc, e.learningRate, e.seconds, e.dice, e.iou])
        }
    }

    /// Marks a run finished (or stopped/failed) with its best epoch.
    public func finish(run: Int64, status: String, bestEpoch: Int?) throws {
        try catalog.write { db in
            try db.execute(sql: "UPDATE run SET status = ?, bestEpoch = ?, finishedAt = ? WHERE id = ?",
                           arguments: [status, bestEpoch, Catalog.timestamp(), run])
        }
    }

    /// The per-epoch history of a run, by epoch then phase.
    public func history(run: Int64) throws -> [EpochRecord] {
        try catalog.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM runEpoch WHERE runId = ? ORDER BY epoch, phase", arguments: [run]).map {
                EpochRecord(epoch: $0["epoch"], phase: $0["phase"], loss: $0["loss"], accuracy: $0["accuracy"], precision: $0["precision"],
                            recall: $0["recall"], f1: $0["f1"], auc: $0["auc"], learningRate: $0["learningRate"], seconds: $0["seconds"],
                            dice: $0["dice"], iou: $0["iou"])
            }
        }
    }

    /// Stores class probabilities per image.
    public func storePredictions(run: Int64, _ rows: [(imageId: Int64, label: String?, scores: [Double])]) throws {
        try catalog.write { db in
            let statement = try db.cachedStatement(sql: "INSERT OR REPLACE INTO prediction (runId, imageId, label, scores) VALUES (?, ?, ?, ?)")
            for r in rows {
                try statement.execute(arguments: [run, r.imageId, r.label, r.scores.map { String(format: "%.6f", $0) }.joined(separator: ",")])
            }
        }
    }

    /// Stores per-image segmentation outcomes of a scoring run (table maskResult).
    public func storeMaskResults(run: Int64, _ rows: [MaskResultRecord]) throws {
        try catalog.write { db in
            let statement = try db.cachedStatement(sql: """
                INSERT OR REPLACE INTO maskResult (runId, imageId, maskPath, predictedPixels, referencePixels, dice, iou, sensitivity,
                precision, hd95, asd, distanceUnit) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            for r in rows {
                try statement.execute(arguments: [run, r.imageId, r.maskPath, r.predictedPixels, r.referencePixels, r.dice, r.iou, r.sensitivity,
                                                  r.precision, r.hd95, r.asd, r.distanceUnit])
            }
        }
    }

    /// A scoring run's per-image segmentation outcomes, by image id, with the image's path below its import root.
    public func maskResults(run: Int64) throws -> [(path: String, result: MaskResultRecord)] {
        try catalog.read { db in
            try Row.fetchAll(db, sql: """
                SELECT m.*, f.relativePath AS path FROM maskResult m JOIN image i ON i.id = m.imageId JOIN file f ON f.id = i.fileId
                WHERE m.runId = ? ORDER BY m.imageId
                """, arguments: [run]).map { row in
                (row["path"], MaskResultRecord(imageId: row["imageId"], maskPath: row["maskPath"], predictedPixels: row["predictedPixels"],
                                               referencePixels: row["referencePixels"], dice: row["dice"], iou: row["iou"],
                                               sensitivity: row["sensitivity"], precision: row["precision"], hd95: row["hd95"], asd: row["asd"],
                                               distanceUnit: row["distanceUnit"]))
            }
        }
    }

    /// The classes a scoring run's mask results can be grouped by: each image's label under the task of split
    /// `split` (when given and labelled), and the distinct labels of each image's reference masks.
    public func maskResultClasses(run: Int64, split: String?) throws -> (task: String?, classes: [Int64: String], maskLabels: [Int64: [String]]) {
        try catalog.read { db in
            let task = try split.flatMap { try String.fetchOne(db, sql: "SELECT task FROM split WHERE name = ?", arguments: [$0]) }
            var classes: [Int64: String] = [:], maskLabels: [Int64: [String]] = [:]
            if let task {
                for row in try Row.fetchAll(db, sql: """
                    SELECT l.imageId, l.value FROM label l JOIN maskResult m ON m.imageId = l.imageId AND m.runId = ? WHERE l.task = ?
                    """, arguments: [run, task]) {
                    classes[row["imageId"]] = row["value"]
                }
            }
            for row in try Row.fetchAll(db, sql: """
                SELECT DISTINCT k.imageId, k.label FROM mask k JOIN maskResult m ON m.imageId = k.imageId AND m.runId = ? ORDER BY k.label
                """, arguments: [run]) {
                maskLabels[row["imageId"], default: []].append(row["label"])
            }
            return (task, classes, maskLabels)
        }
    }

    /// The id of the latest run with this name, if any.
    public func latest(name: String) throws -> Int64? {
        try catalog.read { db in try Int64.fetchOne(db, sql: "SELECT id FROM run WHERE name = ? ORDER BY id DESC LIMIT 1", arguments: [name]) }
    }
}

/// A run as stored: what it was, on which split, with which configuration.
public struct RunRecord: Sendable {
    public var id: Int64
    public var name: String, kind: String, status: String
    /// The full configuration as JSON text.
    public var configuration: String
    public var split: String?, task: String?, model: String?
    public var seed: UInt64?
    public var toolVersion: String, inputHash: String?, folder: String?
    public var bestEpoch: Int?
    public var startedAt: String, finishedAt: String?

    /// The configuration's top-level string and number values (`[:]` when it is not a JSON object).
    public var settings: [String: String] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(configuration.utf8)) as? [String: Any] else { return [:] }
        return object.compactMapValues { value in
            switch value {
            case let s as String: return s
            case let n as NSNumber: return n.stringValue
            case let a as [Any]: return a.map { "\($0)" }.joined(separator: ",")
            default: return nil
            }
        }
    }
}

extension RunStore {
    /// The run with this id, or the latest run with this name (of `kind` when given). Errors list what exists.
    public func find(_ nameOrId: String, kind: String? = nil) throws -> RunRecord {
        try catalog.read { db in
            // `kind IS NULL` when no kind is asked for: every run.
            let kindFilter = " AND (? IS NULL OR kind = ?)"
            var row = try Row.fetchOne(db, sql: "SELECT * FROM run WHERE name = ?\(kindFilter) ORDER BY id DESC LIMIT 1",
                                       arguments: [nameOrId, kind, kind])
            if row == nil, let id = Int64(nameOrId) {
                row = try Row.fetchOne(db, sql: "SELECT * FROM run WHERE id = ?\(kindFilter)", arguments: [id, kind, kind])
            }
            guard let row else {
                let names = try String.fetchAll(db, sql: "SELECT DISTINCT name FROM run WHERE 1\(kindFilter) ORDER BY name", arguments: [kind, kind])
                throw CatalogError(code: .notFound, message: "no \(kind.map { $0 + " " } ?? "")run named '\(nameOrId)'" +
                                   (names.isEmpty ? "; the catalog has none yet" : "; runs here: \(names.joined(separator: ", "))"))
            }
            return Self.record(row)
        }
    }

    /// Every run, oldest first.
    public func all() throws -> [RunRecord] {
        try catalog.read { db in try Row.fetchAll(db, sql: "SELECT * FROM run ORDER BY id").map(Self.record) }
    }

    static func record(_ row: Row) -> RunRecord {
        RunRecord(id: row["id"], name: row["name"], kind: row["kind"], status: row["status"], configuration: row["configuration"],
                  split: row["splitName"], task: row["task"], model: row["model"], seed: (row["seed"] as Int64?).map { UInt64(bitPattern: $0) },
                  toolVersion: row["toolVersion"], inputHash: row["inputHash"], folder: row["folder"], bestEpoch: row["bestEpoch"],
                  startedAt: row["startedAt"], finishedAt: row["finishedAt"])
    }

    /// A run's stored predictions by image: the image's path relative to its import root, the true label (nil when
    /// unlabelled) and the class probabilities.
    public func predictions(run: Int64) throws -> [(imageId: Int64, path: String, label: String?, scores: [Double])] {
        try catalog.read { db in
            try Row.fetchAll(db, sql: """
                SELECT p.imageId, p.label, p.scores, f.relativePath AS path FROM prediction p JOIN image i ON i.id = p.imageId
                JOIN file f ON f.id = i.fileId WHERE p.runId = ? ORDER BY p.imageId
                """, arguments: [run]).map { row in
                let scores = (row["scores"] as String).split(separator: ",").compactMap { Double($0) }
                return (row["imageId"], row["path"], row["label"], scores)
            }
        }
    }
}
