/// How a reader treats a recoverable problem in a file: fail, report it as a warning, or say nothing.
public enum Leniency: String, Sendable, Codable, CaseIterable {
    /// Any irregularity is an error.
    case strict
    /// Irregularities are returned as ``ImageWarning`` values and reading goes on.
    case warn
    /// Irregularities are repaired silently.
    case ignore
}

/// A recoverable irregularity found while reading or transforming an image, returned as a value.
public struct ImageWarning: Sendable, Equatable, Codable, CustomStringConvertible {
    /// A stable identifier to switch on, such as `pixelDataPadded` or `inconsistentPresentationLUT`.
    public var code: String
    /// What was found and what was done about it.
    public var message: String

    /// Creates a warning.
    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}
