/// The one error type of CohortImageIO: what failed, on which file, and how to fix it.
///
/// Messages never contain patient data; the C library's own text is kept in ``libraryMessage``.
public struct ImageIOError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure, to switch on.
    public enum Code: String, Sendable, Codable {
        case cannotOpen, unknownFormat, notDICOM, truncated, malformed, unsupportedTransferSyntax,
             unsupportedPixelLayout, noPixelData, decodeFailed, declaredLengthTooLarge, writeFailed,
             frameOutOfRange, leniency
    }

    /// The kind of failure.
    public var code: Code
    /// What went wrong and what to do about it.
    public var message: String
    /// The file involved, as the caller named it.
    public var path: String?
    /// The C library's own message (DCMTK, OpenJPEG, libpng, libtiff), when it gave one.
    public var libraryMessage: String?

    /// Creates an error.
    public init(code: Code, message: String, path: String? = nil, libraryMessage: String? = nil) {
        self.code = code
        self.message = message
        self.path = path
        self.libraryMessage = libraryMessage
    }

    public var description: String {
        var text = path.map { "\($0): " } ?? ""
        text += message
        if let libraryMessage, !libraryMessage.isEmpty { text += " (\(libraryMessage))" }
        return text
    }
}
