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

    public init(epoch: Int, phase: String, loss: Double, accuracy: Double? = nil, precision: Double? = nil, recall: Double? = nil,
                f1: Double? = nil, auc: Double? = nil, learningRate: Double? = nil, seconds: Double? = nil) {
        (self.epoch, self.phase, self.loss, self.accuracy, self.precision, self.recall, self.f1, self.auc, self.learningRate, self.seconds) =
            (epoch, phase, loss, accuracy, precision, recall, f1, auc, learningRate, seconds)
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
                INSERT OR REPLACE INTO runEpoch (runId, epoch, phase, loss, accuracy, precision, recall, f1, auc, learningRate, seconds)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [run, e.epoch, e.phase, e.loss, e.accuracy, e.precision, e.recall, e.f1, e.auc, e.learningRate, e.seconds])
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
                            recall: $0["recall"], f1: $0["f1"], auc: $0["auc"], learningRate: $0["learningRate"], seconds: $0["seconds"])
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

    /// The id of the latest run with this name, if any.
    public func latest(name: String) throws -> Int64? {
        try catalog.read { db in try Int64.fetchOne(db, sql: "SELECT id FROM run WHERE name = ? ORDER BY id DESC LIMIT 1", arguments: [name]) }
    }
}
