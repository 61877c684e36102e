import CohortCore
import Foundation

/// Flips, rotation, zoom and shift combined into one affine map about the image centre, resampled once.
public enum SpatialTransform {
    /// `image` under the spatial part of `d` (same size; uncovered pixels become 0).
    public static func apply(_ d: Augmenter.Draw, to image: FloatImage, interpolation: Resampling.Interpolation) -> FloatImage {
        let cx = Double(image.width - 1) / 2, cy = Double(image.height - 1) / 2
        let angle = d.degrees * Double.pi / 180
        let cosA = cos(angle), sinA = sin(angle)
        let tx = d.shiftX * Double(image.width), ty = d.shiftY * Double(image.height)
        // Forward: flip, rotate, zoom about the centre, then shift. The inverse maps output to source:
        // source - centre = F R^-1 (output - centre - shift) / zoom, F the flips.
        let fx = d.flipH ? -1.0 : 1, fy = d.flipV ? -1.0 : 1
        let a = fx * cosA / d.zoom, b = fx * sinA / d.zoom, dd = -fy * sinA / d.zoom, e = fy * cosA / d.zoom
        let affine = Resampling.Affine(a: a, b: b, c: cx - a * (cx + tx) - b * (cy + ty),
                                       d: dd, e: e, f: cy - dd * (cx + tx) - e * (cy + ty))
        return Resampling.warp(image, height: image.height, width: image.width, interpolation: interpolation, fill: 0, affine: affine)
    }
}
