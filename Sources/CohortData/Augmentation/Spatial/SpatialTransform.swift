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
        // Forward: flip, rotate, zoom about the centre, then shift. Inverse maps output to source.
        return Resampling.warp(image, height: image.height, width: image.width, interpolation: interpolation, fill: 0) { x, y in
            let ux = (x - cx - tx) / d.zoom, uy = (y - cy - ty) / d.zoom
            var sx = cosA * ux + sinA * uy, sy = -sinA * ux + cosA * uy
            if d.flipH { sx = -sx }
            if d.flipV { sy = -sy }
            return (sx + cx, sy + cy)
        }
    }
}
