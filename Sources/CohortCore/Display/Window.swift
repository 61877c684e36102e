import Foundation

/// A VOI window: centre, width and function (PS3.3 C.11.2.1.2, (0028,1050), (0028,1051), (0028,1056)).
public struct Window: Sendable, Equatable, Codable {
    /// The VOI LUT Function of (0028,1056); `LINEAR` when absent.
    public enum Function: String, Sendable, Codable, CaseIterable {
        case linear = "LINEAR"
        case linearExact = "LINEAR_EXACT"
        case sigmoid = "SIGMOID"
    }

    /// (0028,1050) Window Center, in modality units.
    public var center: Double
    /// (0028,1051) Window Width, in modality units; at least 1 for LINEAR, positive otherwise.
    public var width: Double
    /// (0028,1056) VOI LUT Function.
    public var function: Function
    /// (0028,1055) Window Center & Width Explanation, when present.
    public var explanation: String?

    /// Creates a window.
    public init(center: Double, width: Double, function: Function = .linear, explanation: String? = nil) {
        self.center = center
        self.width = width
        self.function = function
        self.explanation = explanation
    }

    /// Maps a modality value to display intensity in `[0, 1]`.
    ///
    /// LINEAR follows PS3.3 C.11.2.1.2.1 (the `c - 0.5`, `w - 1` form, width clamped to at least 1);
    /// LINEAR_EXACT C.11.2.1.3.2; SIGMOID C.11.2.1.3.1: `1 / (1 + exp(-4 (x - c) / w))`.
    @inlinable
    public func callAsFunction(_ x: Double) -> Double {
        switch function {
        case .linear:
            let w = Swift.max(width, 1)
            if x <= center - 0.5 - (w - 1) / 2 { return 0 }
            if x > center - 0.5 + (w - 1) / 2 { return 1 }
            return w == 1 ? 1 : (x - (center - 0.5)) / (w - 1) + 0.5
        case .linearExact:
            let w = Swift.max(width, .leastNonzeroMagnitude)
            if x <= center - w / 2 { return 0 }
            if x > center + w / 2 { return 1 }
            return (x - center) / w + 0.5
        case .sigmoid:
            let w = Swift.max(width, .leastNonzeroMagnitude)
            return 1 / (1 + Foundation.exp(-4 * (x - center) / w))
        }
    }
}
