/// The one error type of CohortIsolation: a worker process that could not be started or spoke out of turn.
///
/// What happens to a request inside a worker (a crash, a hang) is not an error but a ``WorkerReply``.
public struct IsolationError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure, to switch on.
    public enum Code: String, Sendable {
        /// `posix_spawn` or `socketpair` failed, or the worker did not greet within its start-up time.
        case cannotStart
        /// The worker answered with a frame that is not a valid reply.
        case protocolViolation
    }

    /// The kind of failure.
    public var code: Code
    /// What went wrong and what to do about it.
    public var message: String

    /// Creates an error.
    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
