import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One child process that answers requests on a socket pair (its stdin and stdout), started with `posix_spawn`.
///
/// The child's stderr goes to /dev/null: a decoder's own complaints never reach the terminal, logs or reports.
final class WorkerProcess {
    let pid: pid_t
    let channel: FrameChannel
    private var reaped = false

    /// The greeting a worker sends once it is ready (``WorkerLoop`` sends it).
    static let greeting = Array("cohort-worker/1".utf8)

    /// Starts `executable` with `arguments`; ``awaitGreeting(seconds:)`` must succeed before the first call.
    init(executable: String, arguments: [String]) throws {
        var sockets: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &sockets) == 0 else {
            throw IsolationError(code: .cannotStart, message: "cannot create a socket pair for a worker process (errno \(errno))")
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, sockets[1], 0)
        posix_spawn_file_actions_adddup2(&actions, sockets[1], 1)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        // Started through /proc/self/exe (``WorkerPool/currentExecutable``), a worker still shows the binary's path as
        // its name (`ps`, /proc/PID/cmdline), whatever the link resolves to now.
        let name = executable == "/proc/self/exe" ? ((try? FileManager.default.destinationOfSymbolicLink(atPath: executable)) ?? executable) : executable
        let argv: [UnsafeMutablePointer<CChar>?] = ([name] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var child: pid_t = 0
        let status = posix_spawn(&child, executable, &actions, nil, argv, environ)
        close(sockets[1])
        guard status == 0 else {
            close(sockets[0])
            throw IsolationError(code: .cannotStart,
                                 message: "cannot start the worker process \(executable): \(String(cString: strerror(status)))")
        }
        pid = child
        channel = FrameChannel(descriptor: sockets[0])
        description = ([executable] + arguments).joined(separator: " ")
    }

    /// The command line, for messages.
    private let description: String

    /// Waits up to `seconds` for the worker's greeting (so several workers can start at once, then be awaited).
    func awaitGreeting(seconds: Double) throws {
        let deadline = FrameChannel.monotonicNanoseconds() + UInt64(seconds * 1e9)
        guard case .frame(let hello) = channel.receive(deadline: deadline), hello == Self.greeting else {
            stop()
            throw IsolationError(code: .cannotStart,
                                 message: "the worker process \(description) did not start; is it a cohort binary of the same version?")
        }
    }

    deinit { stop() }

    /// Sends `request` and waits up to `timeoutSeconds` for the reply.
    func call(_ request: [UInt8], timeoutSeconds: Double?) -> WorkerReply {
        let deadline = timeoutSeconds.map { FrameChannel.monotonicNanoseconds() + UInt64(max($0, 0) * 1e9) }
        guard channel.send(request) else { return .crashed(description: terminationDescription()) }
        switch channel.receive(deadline: deadline) {
        case .frame(let reply): return .reply(reply)
        case .closed: return .crashed(description: terminationDescription())
        case .crashReport(let words):
            // "SIGABRT in libdcmtkcharls.so.17 < ...": the library part names where it died.
            let place = words.range(of: " in ").map { String(words[$0.lowerBound...]) } ?? ""
            return .crashed(description: terminationDescription() + place)
        case .timedOut:
            stop()
            return .timedOut(seconds: timeoutSeconds ?? 0)
        case .malformed(let length):
            stop()
            return .crashed(description: "sent a malformed reply (declared \(length) bytes)")
        }
    }

    /// Kills the child (if it still runs) and reaps it.
    func stop() { _ = reap(killing: true) }

    /// Closes the socket so the child's loop ends, then reaps it (it exits on its own).
    func finish() { _ = reap(killing: false) }

    /// How the child ended, once its socket closed: "killed by SIGSEGV", "exited with status 3".
    private func terminationDescription() -> String { Self.describe(status: reap(killing: false)) }

    /// Closes the socket, optionally kills the child, and waits for it once; the wait status (0 if already reaped).
    private func reap(killing: Bool) -> Int32 {
        guard !reaped else { return 0 }
        close(channel.descriptor)
        if killing { kill(pid, SIGKILL) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        reaped = true
        return status
    }

    /// A wait status in words (the `WIFSIGNALED`/`WEXITSTATUS` encoding of Linux).
    static func describe(status: Int32) -> String {
        let signal = status & 0x7f
        if signal == 0 { return "exited with status \((status >> 8) & 0xff)" }
        let names: [Int32: String] = [SIGSEGV: "SIGSEGV", SIGABRT: "SIGABRT", SIGBUS: "SIGBUS", SIGFPE: "SIGFPE",
                                      SIGILL: "SIGILL", SIGKILL: "SIGKILL", SIGTRAP: "SIGTRAP", SIGTERM: "SIGTERM"]
        let name = names[signal] ?? "signal \(signal)"
        return signal == SIGKILL ? "killed by \(name) (out of memory?)" : "killed by \(name)"
    }
}
