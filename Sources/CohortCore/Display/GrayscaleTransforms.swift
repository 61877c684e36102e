/// The grayscale display chain of an image: modality LUT, VOI choices and presentation (PS3.3 C.11).
///
/// Order matters and is fixed: stored value -> modality (rescale or LUT) -> VOI (window or LUT) ->
/// presentation (inversion), so that higher display values always mean brighter.
public struct GrayscaleTransforms: Sendable, Equatable, Codable {
    /// The modality stage: rescale from (0028,1053)/(0028,1052), or (0028,3000) Modality LUT Sequence.
    public enum Modality: Sendable, Equatable, Codable {
        case rescale(slope: Double, intercept: Double)
        case lut(LookupTable)

        /// Applies the stage to a stored value.
        @inlinable
        public func callAsFunction(_ x: Double) -> Double {
            switch self {
            case let .rescale(slope, intercept): return x * slope + intercept
            case let .lut(table): return table(x)
            }
        }
    }

    /// The modality stage; identity rescale when the file has neither attribute.
    public var modality: Modality = .rescale(slope: 1, intercept: 0)
    /// Windows in file order ((0028,1050) may hold several values).
    public var windows: [Window] = []
    /// VOI LUTs from (0028,3010) VOI LUT Sequence, in file order.
    public var voiLUTs: [LookupTable] = []
    /// Whether the presentation stage inverts: MONOCHROME1, or (2050,0020) Presentation LUT Shape INVERSE.
    public var invert: Bool = false

    /// Creates the identity chain.
    public init() {}
}

/// Which VOI stage to apply when building a display image.
public enum VOISelection: Sendable, Equatable, Codable {
    /// The file's first window, else its first VOI LUT, else ``minMax``.
    case automatic
    /// The file's window at this index (0-based).
    case window(Int)
    /// The file's VOI LUT at this index (0-based).
    case lut(Int)
    /// An explicit window given by the user, in modality units.
    case explicit(Window)
    /// A LINEAR_EXACT window spanning the frame's own minimum and maximum modality values.
    case minMax
}
