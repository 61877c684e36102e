/// How one request to an isolated worker process ended.
public enum WorkerReply: Sendable, Equatable {
    /// The worker answered.
    case reply([UInt8])
    /// The worker died while handling the request (twice, when the pool retries): how it died, in words.
    case crashed(description: String)
    /// No answer within the time limit; the worker was killed.
    case timedOut(seconds: Double)
}

/// A request for a worker: a one-byte kind that picks the handler, then the handler's own bytes.
public struct WorkerRequest: Sendable {
    /// Which handler answers (each module that serves requests owns one kind).
    public var kind: UInt8
    /// The handler's input.
    public var body: [UInt8]

    /// Creates a request.
    public init(kind: UInt8, body: [UInt8]) {
        self.kind = kind
        self.body = body
    }

    /// The frame sent to the worker.
    public var bytes: [UInt8] { [kind] + body }

    /// Splits a received frame (nil when empty).
    public init?(frame: [UInt8]) {
        guard let first = frame.first else { return nil }
        kind = first
        body = Array(frame.dropFirst())
    }
}
