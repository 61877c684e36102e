/// A DICOM lookup table: Modality LUT, VOI LUT or Presentation LUT (PS3.3 C.11.1.1, C.11.2.1.1).
///
/// Input values below ``firstMapped`` map to the first entry and values past the end to the last entry,
/// as the LUT Descriptor's definition requires.
public struct LookupTable: Sendable, Equatable, Codable {
    /// The input value mapped to `entries[0]` (second value of the LUT Descriptor).
    public var firstMapped: Int
    /// Bits per entry (third value of the LUT Descriptor), which sets the output range `0 ..< 2^bits`.
    public var bitsPerEntry: Int
    /// The table's output values.
    public var entries: [Double]
    /// (0028,3003) LUT Explanation, when present.
    public var explanation: String?

    /// Creates a table; `entries` must not be empty.
    public init(firstMapped: Int, bitsPerEntry: Int, entries: [Double], explanation: String? = nil) {
        precondition(!entries.isEmpty, "a lookup table needs at least one entry")
        self.firstMapped = firstMapped
        self.bitsPerEntry = bitsPerEntry
        self.entries = entries
        self.explanation = explanation
    }

    /// The output for input `value`, clamped at both ends of the table.
    @inlinable
    public func callAsFunction(_ value: Double) -> Double {
        let index = Int((value - Double(firstMapped)).rounded(.down))
        return entries[Swift.min(Swift.max(index, 0), entries.count - 1)]
    }

    /// Largest output the descriptor allows: `2^bitsPerEntry - 1`.
    public var outputMaximum: Double { Double((1 << Swift.min(Swift.max(bitsPerEntry, 1), 32)) - 1) }
}
