import CohortCore
import CohortIsolation
import Foundation

/// Probing files with their decoders in worker processes (``WorkerPool``): a decoder that crashes or hangs on a
/// file becomes that file's failure, and the import goes on.
///
/// Hashing, format detection and (in a headers-only import) PNG headers are Cohort's own code and run in the
/// importing process; only files that need a decoder library go to a worker. The pool is started when the first
/// such file comes, so a headers-only import of PNG files starts no worker at all.
///
/// The pool's workers must answer kind ``IsolatedProbe/kind`` with ``IsolatedProbe/handle(_:)`` (`cohort worker`).
public enum IsolatedProbe {
    /// The request kind of a probe.
    public static let kind: UInt8 = 0x50  // "P"

    /// Files per request: one round trip serves several small files; a crash is then retried file by file.
    static let chunkSize = 8

    struct Request: Codable {
        struct File: Codable {
            var path: String
            var format: ImageFileFormat
            var sha256: String
        }
        var files: [File]
        var decodePixels: Bool
    }

    /// Answers a probe request inside a worker: one outcome per file, in order.
    public static func handle(_ body: [UInt8]) -> [UInt8] {
        guard let request = try? JSONDecoder().decode(Request.self, from: Data(body)) else {
            return Array((try? JSONEncoder().encode([ProbeOutcome]())) ?? Data())
        }
        let outcomes = request.files.map {
            FileProbe.read(path: $0.path, format: $0.format, sha256: $0.sha256, decodePixels: request.decodePixels)
        }
        return Array((try? JSONEncoder().encode(outcomes)) ?? Data())
    }

    /// Probes `batch` on `threads` threads, files that need a decoder in the workers of `pool`, a chunk of files per
    /// request. Throws only when the pool's workers cannot start.
    static func probe(_ batch: [ImportCandidate], decodePixels: Bool, pool: WorkerPool, threads: Int) throws -> [(outcome: ProbeOutcome, sha256: String?)] {
        let identified = ParallelMap.map(batch, threads: threads) { FileProbe.identify($0, decodePixels: decodePixels) }
        var results: [(outcome: ProbeOutcome, sha256: String?)] = []
        var pending: [(index: Int, file: Request.File)] = []
        for (index, (candidate, found)) in zip(batch, identified).enumerated() {
            switch found {
            case .finished(let outcome, let sha256):
                results.append((outcome, sha256))
            case .needsReader(let format, let sha256):
                results.append((.notImage, sha256))  // replaced below
                pending.append((index, Request.File(path: candidate.absolutePath, format: format, sha256: sha256)))
            }
        }
        guard !pending.isEmpty else { return results }
        try pool.start()
        let chunks = stride(from: 0, to: pending.count, by: chunkSize).map { Array(pending[$0..<min($0 + chunkSize, pending.count)]) }
        let outcomes = ParallelMap.map(chunks, threads: threads) { chunk in
            probe(chunk.map(\.file), decodePixels: decodePixels, pool: pool)
        }
        for (entry, outcome) in zip(pending, outcomes.flatMap { $0 }) { results[entry.index].outcome = outcome }
        return results
    }

    /// Reads `files` in one request; when the worker crashes or hangs on a chunk of several files, each again on its
    /// own, so that only the file responsible is blamed.
    static func probe(_ files: [Request.File], decodePixels: Bool, pool: WorkerPool) -> [ProbeOutcome] {
        guard let body = try? JSONEncoder().encode(Request(files: files, decodePixels: decodePixels)) else {
            return files.map { _ in .failed(code: "internal", message: "cannot encode the probe request") }
        }
        let reply = pool.call(WorkerRequest(kind: kind, body: Array(body)).bytes)
        if case .reply(let bytes) = reply, let outcomes = try? JSONDecoder().decode([ProbeOutcome].self, from: Data(bytes)),
           outcomes.count == files.count {
            return outcomes
        }
        if files.count > 1 { return files.flatMap { probe([$0], decodePixels: decodePixels, pool: pool) } }
        switch reply {
        case .reply:
            return [.failed(code: "internal", message: "the decoder worker sent an unreadable reply")]
        case .crashed(let how):
            return [.failed(code: "decoderCrashed",
                            message: "the decoder crashed on this file twice (worker \(how)); the file was skipped and the import went on")]
        case .timedOut(let seconds):
            return [.failed(code: "decoderTimeout",
                            message: String(format: "decoding took longer than %.0f s; the worker was stopped and the file skipped (raise --decode-timeout if it is just large)", seconds))]
        }
    }
}
