/// How stored samples map to colour, after decoding (PS3.3 C.7.6.3.1.2 Photometric Interpretation).
///
/// Readers convert YBR encodings to ``rgb`` (as pydicom does), so the stored array is one of these.
public enum Photometric: String, Sendable, Codable {
    /// Gray, minimum sample is white (mammography detectors often write this).
    case monochrome1 = "MONOCHROME1"
    /// Gray, minimum sample is black.
    case monochrome2 = "MONOCHROME2"
    /// Three samples: red, green, blue.
    case rgb = "RGB"
    /// One sample indexing a colour palette.
    case palette = "PALETTE COLOR"
    /// Four samples: red, green, blue, alpha (PNG only).
    case rgba = "RGBA"
    /// Two samples: gray and alpha (PNG only).
    case grayAlpha = "GRAY_ALPHA"

    /// Whether the image is a single gray channel.
    public var isMonochrome: Bool { self == .monochrome1 || self == .monochrome2 }
}

/// A colour lookup table for ``Photometric/palette`` images (PS3.3 C.7.6.3.1.5).
public struct ColorPalette: Sendable, Equatable {
    /// Stored value mapped to the first entry.
    public var firstMapped: Int
    /// Bits per entry (8 or 16).
    public var bitsPerEntry: Int
    /// Red, green and blue entries, equal lengths.
    public var red: [UInt16], green: [UInt16], blue: [UInt16]

    /// Creates a palette; the three channels must have the same number of entries.
    public init(firstMapped: Int, bitsPerEntry: Int, red: [UInt16], green: [UInt16], blue: [UInt16]) {
        precondition(red.count == green.count && green.count == blue.count, "palette channels differ in length")
        self.firstMapped = firstMapped
        self.bitsPerEntry = bitsPerEntry
        self.red = red
        self.green = green
        self.blue = blue
    }

    /// The entry for stored value `index`, clamped to the table as PS3.3 C.7.6.3.1.5 requires.
    public func entry(for value: Int) -> (UInt16, UInt16, UInt16) {
        let i = Swift.min(Swift.max(value - firstMapped, 0), red.count - 1)
        return (red[i], green[i], blue[i])
    }
}
