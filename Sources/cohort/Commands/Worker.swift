import ArgumentParser
import CohortCatalog
import CohortData
import CohortFuzzing
import CohortIsolation
import Foundation

/// `cohort worker`: the decoding worker that `import`, `score` and `fuzz` start (not for interactive use).
struct Worker: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Answer decoding requests from a parent cohort process on stdin/stdout (started by import, score and fuzz).",
        shouldDisplay: false
    )

    @Option(help: "Abort on any request that names a file containing this text (tests of crash isolation).") var crashOn: String?
    @Option(help: "Cap this process's data segment at this many MiB (allocations past it fail).") var memoryLimitMb: Int?

    func run() throws {
        if let limit = memoryLimitMb {
            var bound = rlimit(rlim_cur: rlim_t(limit) << 20, rlim_max: rlim_t(limit) << 20)
            _ = setrlimit(__rlimit_resource_t(RLIMIT_DATA.rawValue), &bound)
        }
        let trap = crashOn.map { Array($0.utf8) }
        WorkerLoop.serve { frame in
            if let trap, frame.count >= trap.count, Self.contains(frame, trap) { abort() }
            guard let request = WorkerRequest(frame: frame) else { return [] }
            switch request.kind {
            case IsolatedProbe.kind: return IsolatedProbe.handle(request.body)
            case IsolatedSamples.kind: return IsolatedSamples.handle(request.body)
            case IsolatedSamples.headerKind: return IsolatedSamples.handleHeader(request.body)
            case FuzzTarget.kind: return FuzzTarget.handle(request.body)
            default: return []
            }
        }
    }

    private static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty else { return false }
        return (0...(haystack.count - needle.count)).contains { start in haystack[start..<(start + needle.count)].elementsEqual(needle) }
    }
}
