/// The one error type of the catalog: what went wrong, how to fix it, and the record or file involved.
///
/// Messages never carry patient data; file paths are relative to their import root.
public struct CatalogError: Error, CustomStringConvertible, Sendable {
    /// What kind of failure this is, to switch on.
    public enum Code: String, Sendable {
        case cannotOpen, schema, database, notFound, invalidArgument, deidentification, labels, masks
    }

    /// The kind of failure.
    public var code: Code
    /// What went wrong and what to do about it.
    public var message: String
    /// The catalog file, CSV file or image file involved, if any.
    public var path: String?

    /// Creates an error.
    public init(code: Code, message: String, path: String? = nil) {
        self.code = code
        self.message = message
        self.path = path
    }

    public var description: String { path.map { "\($0): \(message)" } ?? message }
}
