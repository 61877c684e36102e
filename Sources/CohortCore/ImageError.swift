/// Errors raised by image transforms in CohortCore (as opposed to reading files, see `ImageIOError`).
public struct ImageError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure, to switch on.
    public enum Code: String, Sendable {
        case noPixels, frameOutOfRange, noSuchWindow, unsupported
    }

    /// The kind of failure.
    public var code: Code
    /// What went wrong and how to fix it.
    public var message: String

    /// Creates an error.
    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
