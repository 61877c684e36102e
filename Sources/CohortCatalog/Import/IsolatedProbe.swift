import CohortCore
import CohortIsolation
import Foundation

/// Probing files in worker processes (``WorkerPool``): a decoder that crashes or hangs on a file becomes that
/// file's failure, and the import goes on.
///
/// The pool's workers must answer kind ``IsolatedProbe/kind`` with ``IsolatedProbe/handle(_:)`` (`cohort worker`).
public enum IsolatedProbe {
    /// The request kind of a probe.
    public static let kind: UInt8 = 0x50  // "P"

    /// Files per request: one round trip serves several small files; a crash is then retried file by file.
    static let chunkSize = 8

    struct Request: Codable {
        var paths: [String]
        var decodePixels: Bool
    }

    struct Reply: Codable {
        var outcome: ProbeOutcome
        var sha256: String?
    }

    /// Answers a probe request inside a worker: one reply per path, in order.
    public static func handle(_ body: [UInt8]) -> [UInt8] {
        guard let request = try? JSONDecoder().decode(Request.self, from: Data(body)) else {
            return Array((try? JSONEncoder().encode([Reply]())) ?? Data())
        }
        let replies = request.paths.map { path -> Reply in
            guard let candidate = ImportScan.candidate(root: (path as NSString).deletingLastPathComponent,
                                                       relative: (path as NSString).lastPathComponent) else {
                return Reply(outcome: .failed(code: "cannotOpen", message: "the file vanished or is not a regular file"), sha256: nil)
            }
            let (outcome, sha256) = FileProbe.probe(candidate, decodePixels: request.decodePixels)
            return Reply(outcome: outcome, sha256: sha256)
        }
        return Array((try? JSONEncoder().encode(replies)) ?? Data())
    }

    /// Probes `batch` in the workers of `pool` on `threads` threads, a chunk of files per request.
    static func probe(_ batch: [ImportCandidate], decodePixels: Bool, pool: WorkerPool, threads: Int) -> [(outcome: ProbeOutcome, sha256: String?)] {
        let chunks = stride(from: 0, to: batch.count, by: chunkSize).map { Array(batch[$0..<min($0 + chunkSize, batch.count)]) }
        return ParallelMap.map(chunks, threads: threads) { probe($0, decodePixels: decodePixels, pool: pool) }.flatMap { $0 }
    }

    /// Probes `chunk` in one request; when the worker crashes or hangs on a chunk of several files, each again on
    /// its own, so that only the file responsible is blamed.
    static func probe(_ chunk: [ImportCandidate], decodePixels: Bool, pool: WorkerPool) -> [(outcome: ProbeOutcome, sha256: String?)] {
        let request = Request(paths: chunk.map(\.absolutePath), decodePixels: decodePixels)
        guard let body = try? JSONEncoder().encode(request) else {
            return chunk.map { _ in (.failed(code: "internal", message: "cannot encode the probe request"), nil) }
        }
        let reply = pool.call(WorkerRequest(kind: kind, body: Array(body)).bytes)
        if case .reply(let bytes) = reply, let replies = try? JSONDecoder().decode([Reply].self, from: Data(bytes)),
           replies.count == chunk.count {
            return replies.map { ($0.outcome, $0.sha256) }
        }
        if chunk.count > 1 { return chunk.flatMap { probe([$0], decodePixels: decodePixels, pool: pool) } }
        switch reply {
        case .reply:
            return [(.failed(code: "internal", message: "the decoder worker sent an unreadable reply"), nil)]
        case .crashed(let how):
            return [(.failed(code: "decoderCrashed",
                             message: "the decoder crashed on this file twice (worker \(how)); the file was skipped and the import went on"), nil)]
        case .timedOut(let seconds):
            return [(.failed(code: "decoderTimeout",
                             message: String(format: "decoding took longer than %.0f s; the worker was stopped and the file skipped (raise --decode-timeout if it is just large)", seconds)), nil)]
        }
    }
}
