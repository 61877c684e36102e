import CohortCore

/// Small deterministic pixel arrays for round-trip and transform tests.
public enum SyntheticImages {
    /// A `[frames, rows, columns, samples]` array whose samples cover the format's range in a fixed pattern.
    public static func ramp(format: SampleFormat, rows: Int, columns: Int, samples: Int = 1, frames: Int = 1) -> PixelArray {
        let count = frames * rows * columns * samples
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count * format.byteCount)
        for i in 0..<count {
            let k = UInt64(i &* 2654435761 % 1_000_003)
            switch format {
            case .uint8, .int8: bytes.append(UInt8(truncatingIfNeeded: k))
            case .uint16, .int16: bytes += [UInt8(truncatingIfNeeded: k), UInt8(truncatingIfNeeded: k >> 8)]
            case .uint32, .int32: for s in 0..<4 { bytes.append(UInt8(truncatingIfNeeded: (k &* 977) >> UInt64(8 * s))) }
            case .float32: withUnsafeBytes(of: (Float(k) / 1000 - 300).bitPattern.littleEndian) { bytes += $0 }
            case .float64: withUnsafeBytes(of: (Double(k) / 1000 - 300).bitPattern.littleEndian) { bytes += $0 }
            }
        }
        return PixelArray(format: format, frames: frames, rows: rows, columns: columns, samplesPerPixel: samples,
                          bytes: bytes)
    }
}
