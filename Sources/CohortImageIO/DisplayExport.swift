import CohortCore

/// Turns display images into writable pixel arrays.
public enum DisplayExport {
    /// Quantises `[0, 1]` intensities to unsigned 8 or 16-bit samples (round half up).
    public static func integers(_ image: DisplayImage, bits: Int) -> PixelArray {
        precondition(bits == 8 || bits == 16, "bits must be 8 or 16, got \(bits)")
        let maximum = Float((1 << bits) - 1)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(image.values.count * bits / 8)
        for v in image.values {
            let q = UInt16(Swift.min(Swift.max(v, 0), 1) * maximum + 0.5)
            bytes.append(UInt8(q & 0xFF))
            if bits == 16 { bytes.append(UInt8(q >> 8)) }
        }
        return PixelArray(format: bits == 8 ? .uint8 : .uint16, frames: 1, rows: image.rows, columns: image.columns,
                          samplesPerPixel: image.channels, bytes: bytes)
    }

    /// The intensities as float32 samples.
    public static func float32(_ image: DisplayImage) -> PixelArray {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(image.values.count * 4)
        for v in image.values { withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes += $0 } }
        return PixelArray(format: .float32, frames: 1, rows: image.rows, columns: image.columns,
                          samplesPerPixel: image.channels, bytes: bytes)
    }
}
