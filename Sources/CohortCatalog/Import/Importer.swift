import CohortCore
import CohortIsolation
import Dispatch
import Foundation
import GRDB

/// Settings of one import.
public struct ImportOptions: Sendable {
    /// Files or folders to import.
    public var paths: [String]
    /// De-identify what the catalog stores (nil: store identifiers as found).
    public var pseudonymizer: Pseudonymizer?
    /// Worker threads (default: all cores).
    public var threads: Int = ProcessInfo.processInfo.activeProcessorCount
    /// Files per transaction.
    public var batchSize: Int = 64
    /// Hash files whose size and modification time are unchanged too (finds silent edits; slower).
    public var verifyUnchanged = false
    /// Decode every image (validates pixel data, gives pixel digests for duplicate detection across encodings).
    /// Without it only headers are read: much faster for indexing, duplicates are found by file content only.
    public var decodePixels = true
    /// The command line, recorded with the run.
    public var arguments: [String] = []
    /// Worker processes that decode the files (answering ``IsolatedProbe``), so that a decoder crash or hang costs
    /// one file; nil decodes in this process (faster to start, but a crashing decoder ends the import). Create it
    /// with `startNow: false`: it is started when the first file needs a decoder.
    public var isolation: WorkerPool?

    /// Creates options for `paths`.
    public init(paths: [String]) { self.paths = paths }
}

/// Progress of an import, reported after each committed batch.
public struct ImportProgress: Sendable {
    /// Files processed (including unchanged ones) and in all.
    public var filesDone: Int, filesTotal: Int
    /// Bytes processed and in all.
    public var bytesDone: Int64, bytesTotal: Int64
    /// Seconds since the import started.
    public var elapsedSeconds: Double
}

/// What an import did.
public struct ImportSummary: Sendable {
    /// The import run's id in the catalog.
    public var runId: Int64
    /// Files seen, new images, changed files, unchanged files, failures, skipped non-image files.
    public var seen = 0, added = 0, changed = 0, unchanged = 0, failed = 0, skipped = 0
    /// Bytes of the files read (unchanged files skipped without reading are not counted).
    public var bytesRead: Int64 = 0
    /// Wall-clock seconds.
    public var seconds = 0.0
    /// Groups of images (in the whole catalog) whose stored pixels are identical.
    public var duplicateGroups: [DuplicateGroup] = []
    /// The previous import run was interrupted and this one resumed it.
    public var resumedInterruptedRun = false
}

/// Imports image files into a catalog: in parallel, batch by batch in transactions, idempotent and resumable.
public struct Importer {
    let catalog: Catalog
    let options: ImportOptions

    /// Creates an importer.
    public init(catalog: Catalog, options: ImportOptions) {
        self.catalog = catalog
        self.options = options
    }

    /// Runs the import; `progress` is called after each batch on the calling thread.
    public func run(progress: (ImportProgress) -> Void = { _ in }) throws -> ImportSummary {
        let start = DispatchTime.now().uptimeNanoseconds
        let candidates = try ImportScan.candidates(for: options.paths)
        try DeidentificationGuard.check(catalog: catalog, pseudonymizer: options.pseudonymizer)
        var summary = try beginRun(roots: Set(candidates.map(\.root)).sorted())
        summary.seen = candidates.count
        let known = try knownFiles(roots: Set(candidates.map(\.root)))
        let bytesTotal = candidates.reduce(Int64(0)) { $0 + $1.size }
        // Files whose size and modification time match the catalog are not read again (unless verifying).
        let work = candidates.filter { candidate in
            let stat = known[candidate.root + "\u{0}" + candidate.relativePath]
            return options.verifyUnchanged || stat != [candidate.size, candidate.modifiedNanos]
        }
        summary.unchanged = candidates.count - work.count
        var done = summary.unchanged
        var bytesDone = bytesTotal - work.reduce(Int64(0)) { $0 + $1.size }
        let writer = ImportWriter(runId: summary.runId, pseudonymizer: options.pseudonymizer)
        let size = max(options.batchSize, 1)
        let batches = stride(from: 0, to: work.count, by: size).map { Array(work[$0..<min($0 + size, work.count)]) }
        // The next batch is probed on the worker threads while this one is written.
        var next = batches.first.map { first in Prefetch { Result { try probe(first) } } }
        for (index, batch) in batches.enumerated() {
            let outcomes = try next!.value().get()
            next = index + 1 < batches.count ? Prefetch { [batches] in Result { try probe(batches[index + 1]) } } : nil
            let tally = try write(batch, outcomes, known: known, writer: writer)
            summary.added += tally.added; summary.changed += tally.changed; summary.unchanged += tally.unchanged
            summary.failed += tally.failed; summary.skipped += tally.skipped
            let bytes = batch.reduce(Int64(0)) { $0 + $1.size }
            summary.bytesRead += bytes
            done += batch.count
            bytesDone += bytes
            try updateCounts(summary)
            progress(ImportProgress(filesDone: done, filesTotal: candidates.count, bytesDone: bytesDone,
                                    bytesTotal: bytesTotal, elapsedSeconds: Self.seconds(since: start)))
        }
        if batches.isEmpty {
            progress(ImportProgress(filesDone: done, filesTotal: candidates.count, bytesDone: bytesDone,
                                    bytesTotal: bytesTotal, elapsedSeconds: Self.seconds(since: start)))
        }
        summary.seconds = Self.seconds(since: start)
        try finishRun(summary)
        summary.duplicateGroups = try CatalogQueries(catalog: catalog).duplicatePixelGroups()
        return summary
    }

    /// Probes a batch on all worker threads (throws only when the worker processes cannot start).
    private func probe(_ batch: [ImportCandidate]) throws -> [(outcome: ProbeOutcome, sha256: String?)] {
        let decode = options.decodePixels
        if let pool = options.isolation {
            return try IsolatedProbe.probe(batch, decodePixels: decode, pool: pool, threads: options.threads)
        }
        return ParallelMap.map(batch, threads: options.threads) { FileProbe.probe($0, decodePixels: decode) }
    }

    /// Writes a probed batch in one transaction.
    private func write(_ batch: [ImportCandidate], _ outcomes: [(outcome: ProbeOutcome, sha256: String?)],
                       known: [String: [Int64]], writer: ImportWriter) throws -> ImportWriter.Tally {
        try catalog.write { db in
            var tally = ImportWriter.Tally()
            let statements = RawStatements(db)
            for (candidate, result) in zip(batch, outcomes) {
                try writer.write(candidate, result.outcome, sha256: result.sha256,
                                 known: known[candidate.root + "\u{0}" + candidate.relativePath] != nil,
                                 in: db, statements: statements, tally: &tally)
            }
            return tally
        }
    }

    /// Size and modification time of every file already imported (or failed) under these roots.
    private func knownFiles(roots: Set<String>) throws -> [String: [Int64]] {
        try catalog.read { db in
            var known: [String: [Int64]] = [:]
            for root in roots {
                for table in ["file", "failure"] {
                    let rows = try Row.fetchAll(db, sql: "SELECT relativePath, size, modifiedNanos FROM \(table) WHERE root = ?",
                                                arguments: [root])
                    for row in rows {
                        known[root + "\u{0}" + (row["relativePath"] as String)] = [row["size"], row["modifiedNanos"]]
                    }
                }
            }
            return known
        }
    }

    private func beginRun(roots: [String]) throws -> ImportSummary {
        try catalog.write { db in
            let interrupted = try Bool.fetchOne(db, sql: "SELECT finishedAt IS NULL FROM importRun ORDER BY id DESC LIMIT 1") ?? false
            try db.execute(sql: """
                INSERT INTO importRun (toolVersion, arguments, roots, deidentified, startedAt) VALUES (?, ?, ?, ?, ?)
                """, arguments: [CohortVersion.string, options.arguments.joined(separator: " "),
                                 roots.joined(separator: "\n"), options.pseudonymizer != nil, Catalog.timestamp()])
            var summary = ImportSummary(runId: db.lastInsertedRowID)
            summary.resumedInterruptedRun = interrupted
            return summary
        }
    }

    private func updateCounts(_ s: ImportSummary) throws {
        try catalog.write { db in
            try db.execute(sql: """
                UPDATE importRun SET filesSeen = ?, filesAdded = ?, filesChanged = ?, filesUnchanged = ?,
                    filesFailed = ?, filesSkipped = ? WHERE id = ?
                """, arguments: [s.seen, s.added, s.changed, s.unchanged, s.failed, s.skipped, s.runId])
        }
    }

    private func finishRun(_ s: ImportSummary) throws {
        try updateCounts(s)
        try catalog.write { db in
            try db.execute(sql: "UPDATE importRun SET finishedAt = ? WHERE id = ?", arguments: [Catalog.timestamp(), s.runId])
        }
    }

    static func seconds(since start: UInt64) -> Double {
        Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }
}
