import CohortIsolation
import Foundation

/// Probing files in worker processes (``WorkerPool``): a decoder that crashes or hangs on a file becomes that
/// file's failure, and the import goes on.
///
/// The pool's workers must answer kind ``IsolatedProbe/kind`` with ``IsolatedProbe/handle(_:)`` (`cohort worker`).
public enum IsolatedProbe {
    /// The request kind of a probe.
    public static let kind: UInt8 = 0x50  // "P"

    struct Request: Codable {
        var path: String
        var decodePixels: Bool
    }

    struct Reply: Codable {
        var outcome: ProbeOutcome
        var sha256: String?
    }

    /// Answers a probe request inside a worker.
    public static func handle(_ body: [UInt8]) -> [UInt8] {
        let reply: Reply
        if let request = try? JSONDecoder().decode(Request.self, from: Data(body)) {
            let candidate = ImportScan.candidate(root: (request.path as NSString).deletingLastPathComponent,
                                                 relative: (request.path as NSString).lastPathComponent)
            if let candidate {
                let (outcome, sha256) = FileProbe.probe(candidate, decodePixels: request.decodePixels)
                reply = Reply(outcome: outcome, sha256: sha256)
            } else {
                reply = Reply(outcome: .failed(code: "cannotOpen", message: "the file vanished or is not a regular file"), sha256: nil)
            }
        } else {
            reply = Reply(outcome: .failed(code: "internal", message: "the worker received a malformed probe request"), sha256: nil)
        }
        return Array((try? JSONEncoder().encode(reply)) ?? Data())
    }

    /// Probes `candidate` in a worker of `pool`.
    static func probe(_ candidate: ImportCandidate, decodePixels: Bool, pool: WorkerPool) -> (outcome: ProbeOutcome, sha256: String?) {
        let request = Request(path: candidate.absolutePath, decodePixels: decodePixels)
        guard let body = try? JSONEncoder().encode(request) else {
            return (.failed(code: "internal", message: "cannot encode the probe request"), nil)
        }
        switch pool.call(WorkerRequest(kind: kind, body: Array(body)).bytes) {
        case .reply(let bytes):
            guard let reply = try? JSONDecoder().decode(Reply.self, from: Data(bytes)) else {
                return (.failed(code: "internal", message: "the decoder worker sent an unreadable reply"), nil)
            }
            return (reply.outcome, reply.sha256)
        case .crashed(let how):
            return (.failed(code: "decoderCrashed",
                            message: "the decoder crashed on this file twice (worker \(how)); the file was skipped and the import went on"), nil)
        case .timedOut(let seconds):
            return (.failed(code: "decoderTimeout",
                            message: String(format: "decoding took longer than %.0f s; the worker was stopped and the file skipped (raise --decode-timeout if it is just large)", seconds)), nil)
        }
    }
}
