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

    func run() throws { WorkerServer(crashOn: crashOn, memoryLimitMb: memoryLimitMb).serve() }
}

/// The worker's loop and settings, startable without ArgumentParser (workers start once per thread of every
/// import and scoring run, and parsing the whole command tree is a fifth of a worker's start-up).
struct WorkerServer {
    var crashOn: String?
    var memoryLimitMb: Int?

    /// The settings from `cohort worker`'s arguments, or nil when they are not exactly its two options (the
    /// parser then explains the mistake).
    static func fromArguments(_ arguments: [String]) -> WorkerServer? {
        var server = WorkerServer()
        var rest = arguments[...]
        while let name = rest.popFirst() {
            guard let value = rest.popFirst() else { return nil }
            switch name {
            case "--crash-on": server.crashOn = value
            case "--memory-limit-mb":
                guard let limit = Int(value) else { return nil }
                server.memoryLimitMb = limit
            default: return nil
            }
        }
        return server
    }

    /// Answers requests until the parent closes the socket.
    func serve() {
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
