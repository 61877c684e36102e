/// A frame ready to look at: intensities in `[0, 1]`, higher is brighter. `[rows, columns, channels]`, C order.
public struct DisplayImage: Sendable, Equatable {
    /// Image height in pixels.
    public let rows: Int
    /// Image width in pixels.
    public let columns: Int
    /// 1 (gray) or 3 (RGB).
    public let channels: Int
    /// `rows * columns * channels` values in `[0, 1]`.
    public var values: [Float]

    /// Creates a display image; `values` must match the shape.
    public init(rows: Int, columns: Int, channels: Int, values: [Float]) {
        precondition(values.count == rows * columns * channels,
                     "DisplayImage: \(values.count) values for \(rows)x\(columns)x\(channels)")
        self.rows = rows
        self.columns = columns
        self.channels = channels
        self.values = values
    }
}
