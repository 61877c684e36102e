/// The one error type of the data pipeline: what went wrong, how to fix it, and the file involved.
public struct DataError: Error, CustomStringConvertible, Sendable {
    /// What kind of failure this is.
    public enum Code: String, Sendable { case unreadableImage, maskMismatch, cache, configuration, emptyDataset }

    public var code: Code
    public var message: String
    /// The image or configuration file involved.
    public var path: String?

    public init(code: Code, message: String, path: String? = nil) {
        self.code = code
        self.message = message
        self.path = path
    }

    public var description: String { path.map { "\($0): \(message)" } ?? message }
}
