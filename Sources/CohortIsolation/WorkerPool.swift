import Foundation

/// Child processes that run requests which might crash or hang (decoding files from strangers), so that a
/// segfault or abort in a C library costs one request, not the whole job.
///
/// Each caller thread borrows an idle worker (or starts one) for one request; a worker that dies or times out is
/// discarded and replaced on the next request. A request whose worker crashed is tried once more in a fresh worker,
/// so only a crash that repeats is blamed on the request. Safe to call from many threads at once.
public final class WorkerPool: @unchecked Sendable {
    /// The program and arguments that start a worker (one that runs ``WorkerLoop/serve(_:)``).
    public let executable: String
    public let arguments: [String]
    /// Time limit per request in seconds (nil: none).
    public let timeoutSeconds: Double?
    private let lock = NSLock()
    private var idle: [WorkerProcess] = []
    private var crashes = 0, timeouts = 0, started = 0
    private let size: Int
    private var startedUp = false
    private let startLock = NSLock()

    /// A pool of `size` workers to begin with (more are started later if more callers come). With `startNow` they
    /// start here, in parallel, so that a worker that cannot start is an error here rather than on every request;
    /// without, ``start()`` starts them (a job that may need no worker at all then pays nothing).
    public init(executable: String, arguments: [String], timeoutSeconds: Double? = nil, size: Int = 1, startNow: Bool = true) throws {
        self.executable = executable
        self.arguments = arguments
        self.timeoutSeconds = timeoutSeconds
        self.size = max(size, 1)
        if startNow { try start() }
    }

    /// Starts the first workers unless they have been started (by `startNow` or an earlier call); throws when a
    /// worker cannot start. Safe to call from many threads: one starts them, the others wait.
    public func start() throws {
        startLock.lock()
        defer { startLock.unlock() }
        guard !startedUp else { return }
        let workers = try (0..<size).map { _ in try WorkerProcess(executable: executable, arguments: arguments) }
        for worker in workers { try worker.awaitGreeting(seconds: Self.startupSeconds) }
        lock.lock()
        idle += workers
        started += workers.count
        lock.unlock()
        startedUp = true
    }

    /// How long a worker may take to start and greet.
    static let startupSeconds = 60.0

    deinit {
        for worker in idle { worker.finish() }
    }

    /// The running binary, for a pool of workers that are this same program: `/proc/self/exe` itself on Linux, which
    /// the spawned child resolves to the parent's own file even after that file was replaced or deleted (a rebuild
    /// or an upgrade during a long job), so late workers are always the parent's version. The link's target path
    /// (once used here) then reads "... (deleted)" and cannot be started.
    public static var currentExecutable: String {
        FileManager.default.fileExists(atPath: "/proc/self/exe") ? "/proc/self/exe" : CommandLine.arguments[0]
    }

    /// Runs `request` in a worker; `timeoutSeconds` overrides the pool's limit for this request.
    public func call(_ request: [UInt8], timeoutSeconds: Double? = nil) -> WorkerReply {
        let limit = timeoutSeconds ?? self.timeoutSeconds
        var outcome = attempt(request, limit: limit)
        if case .crashed = outcome { outcome = attempt(request, limit: limit) }
        lock.lock()
        switch outcome {
        case .crashed: crashes += 1
        case .timedOut: timeouts += 1
        case .reply: break
        }
        lock.unlock()
        return outcome
    }

    /// Requests that crashed twice, requests that timed out, and workers started so far.
    public var statistics: (crashes: Int, timeouts: Int, workersStarted: Int) {
        lock.lock()
        defer { lock.unlock() }
        return (crashes, timeouts, started)
    }

    private func attempt(_ request: [UInt8], limit: Double?) -> WorkerReply {
        let worker: WorkerProcess
        do { worker = try borrow() } catch { return .crashed(description: "could not start a worker: \(error)") }
        let outcome = worker.call(request, timeoutSeconds: limit)
        if case .reply = outcome {
            lock.lock()
            idle.append(worker)
            lock.unlock()
        }
        return outcome
    }

    private func borrow() throws -> WorkerProcess {
        lock.lock()
        if let worker = idle.popLast() {
            lock.unlock()
            return worker
        }
        lock.unlock()
        return try spawn()
    }

    private func spawn() throws -> WorkerProcess {
        let worker = try WorkerProcess(executable: executable, arguments: arguments)
        try worker.awaitGreeting(seconds: Self.startupSeconds)
        lock.lock()
        started += 1
        lock.unlock()
        return worker
    }
}
