/// Stored sample values of an image: `[frames, rows, columns, samplesPerPixel]`, C order, little-endian.
///
/// This is the layout pydicom's `pixel_array` and tifffile's `imread` return, so a SHA-256 of ``bytes``
/// can be compared with theirs. Nothing is applied to the values: no rescale, no window, no inversion.
public struct PixelArray: Sendable, Equatable {
    /// The numeric type of each sample.
    public let format: SampleFormat
    /// Number of frames (pages); at least 1.
    public let frames: Int
    /// Image height in pixels.
    public let rows: Int
    /// Image width in pixels.
    public let columns: Int
    /// Samples per pixel: 1 (gray, palette index) or 3 (RGB); 4 for RGBA from PNG.
    public let samplesPerPixel: Int
    /// The samples, `frames * rows * columns * samplesPerPixel * format.byteCount` bytes.
    public internal(set) var bytes: [UInt8]

    /// Creates an array over `bytes`; the byte count must match the shape exactly.
    public init(format: SampleFormat, frames: Int, rows: Int, columns: Int, samplesPerPixel: Int, bytes: [UInt8]) {
        let expected = frames * rows * columns * samplesPerPixel * format.byteCount
        precondition(bytes.count == expected,
                     "PixelArray: \(bytes.count) bytes for shape \(frames)x\(rows)x\(columns)x\(samplesPerPixel) \(format), expected \(expected)")
        self.format = format
        self.frames = frames
        self.rows = rows
        self.columns = columns
        self.samplesPerPixel = samplesPerPixel
        self.bytes = bytes
    }

    /// Creates a zero-filled array of the given shape.
    public init(format: SampleFormat, frames: Int = 1, rows: Int, columns: Int, samplesPerPixel: Int = 1) {
        self.init(format: format, frames: frames, rows: rows, columns: columns, samplesPerPixel: samplesPerPixel,
                  bytes: [UInt8](repeating: 0, count: frames * rows * columns * samplesPerPixel * format.byteCount))
    }

    /// Samples in one frame.
    public var samplesPerFrame: Int { rows * columns * samplesPerPixel }

    /// Total number of samples.
    public var sampleCount: Int { frames * samplesPerFrame }

    /// The shape as pydicom prints it: frames only when more than one, samples only when more than one.
    public var pydicomShape: [Int] {
        var shape: [Int] = []
        if frames > 1 { shape.append(frames) }
        shape += [rows, columns]
        if samplesPerPixel > 1 { shape.append(samplesPerPixel) }
        return shape
    }

    /// Sample `index` (in C order over the whole array) as a Double.
    @inlinable
    public func value(at index: Int) -> Double {
        bytes.withUnsafeBytes { raw in PixelArray.load(raw, format, index) }
    }

    /// The sample at a position as a Double.
    public func value(frame: Int = 0, row: Int, column: Int, sample: Int = 0) -> Double {
        value(at: ((frame * rows + row) * columns + column) * samplesPerPixel + sample)
    }

    /// Reads sample `index` of `format` from raw little-endian bytes.
    @inlinable
    public static func load(_ raw: UnsafeRawBufferPointer, _ format: SampleFormat, _ index: Int) -> Double {
        switch format {
        case .uint8: return Double(raw[index])
        case .int8: return Double(Int8(bitPattern: raw[index]))
        case .uint16: return Double(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: index * 2, as: UInt16.self)))
        case .int16: return Double(Int16(littleEndian: raw.loadUnaligned(fromByteOffset: index * 2, as: Int16.self)))
        case .uint32: return Double(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: index * 4, as: UInt32.self)))
        case .int32: return Double(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: index * 4, as: Int32.self)))
        case .float32:
            let bits = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: index * 4, as: UInt32.self))
            return Double(Float(bitPattern: bits))
        case .float64:
            let bits = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: index * 8, as: UInt64.self))
            return Double(bitPattern: bits)
        }
    }

    /// All samples converted to Double (convenient for small images and tests).
    public func doubles() -> [Double] {
        bytes.withUnsafeBytes { raw in (0..<sampleCount).map { PixelArray.load(raw, format, $0) } }
    }

    /// Frame `index` as a one-frame array.
    public func frame(_ index: Int) -> PixelArray {
        precondition(index >= 0 && index < frames, "frame \(index) out of range 0..<\(frames)")
        let size = samplesPerFrame * format.byteCount
        return PixelArray(format: format, frames: 1, rows: rows, columns: columns, samplesPerPixel: samplesPerPixel,
                          bytes: Array(bytes[(index * size)..<((index + 1) * size)]))
    }

    /// Minimum, maximum and mean over all samples; nil for an empty array.
    public func statistics() -> (min: Double, max: Double, mean: Double)? {
        guard sampleCount > 0 else { return nil }
        return bytes.withUnsafeBytes { raw in
            var low = Double.infinity, high = -Double.infinity, sum = 0.0
            for index in 0..<sampleCount {
                let v = PixelArray.load(raw, format, index)
                low = Swift.min(low, v)
                high = Swift.max(high, v)
                sum += v
            }
            return (low, high, sum / Double(sampleCount))
        }
    }
}
