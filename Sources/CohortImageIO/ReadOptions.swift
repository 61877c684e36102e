import CohortCore

/// How to read an image file.
public struct ReadOptions: Sendable, Equatable {
    /// Read pixels (false: header and geometry only, for fast indexing).
    public var readPixels: Bool = true
    /// How to treat recoverable irregularities (padding, missing attributes with safe defaults).
    public var leniency: Leniency = .warn
    /// Expand PALETTE COLOR images to RGB in the stored array (default: keep indices, as pydicom does).
    public var paletteToRGB: Bool = false
    /// Refuse images with more pixels than this (all frames), to bound memory on hostile files.
    public var maximumPixels: Int = 1 << 31
    /// Decode common PNGs with Cohort's own decoder (false: libpng for every file, as tests compare the two).
    public var pngFastPath: Bool = true

    /// Default options: pixels, warnings as values, palette indices kept.
    public init() {}

    /// Options for a header-only read.
    public static var headerOnly: ReadOptions {
        var options = ReadOptions()
        options.readPixels = false
        return options
    }
}
