import CohortCore

/// A contact sheet of samples: gray images in [0, 1] with masks tinted red, tiled in rows, as 8-bit RGB.
public enum PreviewGrid {
    /// `samples` (prepared or augmented, before normalisation) tiled `columns` wide with a 2-pixel gap.
    public static func render(_ samples: [Sample], columns: Int) -> PixelArray {
        precondition(!samples.isEmpty && columns > 0, "PreviewGrid: nothing to render")
        let h = samples[0].image.height, w = samples[0].image.width, gap = 2
        let rows = (samples.count + columns - 1) / columns
        let height = rows * h + (rows - 1) * gap, width = columns * w + (columns - 1) * gap
        var bytes = [UInt8](repeating: 40, count: height * width * 3)
        for (index, sample) in samples.enumerated() {
            let top = (index / columns) * (h + gap), left = (index % columns) * (w + gap)
            for y in 0..<h {
                for x in 0..<w {
                    let v = Swift.min(Swift.max(sample.image[y, x, 0], 0), 1)
                    var rgb = [v, v, v]
                    if let mask = sample.mask, mask[y, x, 0] > 0.5 { rgb = [0.6 * v + 0.4, 0.6 * v, 0.6 * v] }
                    let o = ((top + y) * width + left + x) * 3
                    for k in 0..<3 { bytes[o + k] = UInt8((rgb[k] * 255).rounded()) }
                }
            }
        }
        return PixelArray(format: .uint8, frames: 1, rows: height, columns: width, samplesPerPixel: 3, bytes: bytes)
    }
}
