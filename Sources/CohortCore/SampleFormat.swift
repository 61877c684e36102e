/// The numeric type of one stored sample, as it sits in a ``PixelArray``'s bytes (little-endian).
public enum SampleFormat: String, Sendable, Codable, CaseIterable {
    case uint8, int8, uint16, int16, uint32, int32, float32, float64

    /// Bytes per sample.
    public var byteCount: Int {
        switch self {
        case .uint8, .int8: return 1
        case .uint16, .int16: return 2
        case .uint32, .int32, .float32: return 4
        case .float64: return 8
        }
    }

    /// Whether the type can hold negative values.
    public var isSigned: Bool {
        switch self {
        case .int8, .int16, .int32, .float32, .float64: return true
        case .uint8, .uint16, .uint32: return false
        }
    }

    /// Whether the type is a floating-point type.
    public var isFloatingPoint: Bool { self == .float32 || self == .float64 }

    /// The unsigned or signed integer format of `bits` bits (8, 16 or 32), or nil for other widths.
    public static func integer(bits: Int, signed: Bool) -> SampleFormat? {
        switch (bits, signed) {
        case (8, false): return .uint8
        case (8, true): return .int8
        case (16, false): return .uint16
        case (16, true): return .int16
        case (32, false): return .uint32
        case (32, true): return .int32
        default: return nil
        }
    }

    /// The numpy dtype name of this format (as pydicom and tifffile report it).
    public var numpyName: String { rawValue }
}
