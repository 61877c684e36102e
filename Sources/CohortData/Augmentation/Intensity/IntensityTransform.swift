import CohortCore
import Foundation

/// Brightness, contrast, gamma, Gaussian blur and noise: applied to the image only, never to the mask.
public enum IntensityTransform {
    /// `image` under the intensity part of `d`.
    public static func apply(_ d: Augmenter.Draw, to image: FloatImage) -> FloatImage {
        var out = image
        if d.gamma != 1 {
            let g = Float(d.gamma)
            for i in out.values.indices { out.values[i] = powf(Swift.min(Swift.max(out.values[i], 0), 1), g) }
        }
        if d.contrast != 1 {
            let mean = out.values.reduce(0, +) / Float(Swift.max(out.values.count, 1))
            let c = Float(d.contrast)
            for i in out.values.indices { out.values[i] = (out.values[i] - mean) * c + mean }
        }
        if d.brightness != 0 {
            let b = Float(d.brightness)
            for i in out.values.indices { out.values[i] += b }
        }
        if d.blurSigma > 0.1 { out = gaussianBlur(out, sigma: d.blurSigma) }
        if d.noise > 0 {
            var generator = SeededGenerator(seed: d.noiseSeed)
            let s = Float(d.noise)
            for i in out.values.indices { out.values[i] += s * Float(generator.normal()) }
        }
        return out
    }

    /// Separable Gaussian blur (radius 3 sigma, edges clamped).
    public static func gaussianBlur(_ image: FloatImage, sigma: Double) -> FloatImage {
        let radius = Swift.max(1, Int((3 * sigma).rounded(.up)))
        var kernel = (-radius...radius).map { Float(exp(-Double($0 * $0) / (2 * sigma * sigma))) }
        let total = kernel.reduce(0, +)
        kernel = kernel.map { $0 / total }
        let w = image.width, h = image.height, c = image.channels
        var temp = image, out = image
        for y in 0..<h {
            for x in 0..<w {
                for k in 0..<c {
                    var sum: Float = 0
                    for (i, weight) in kernel.enumerated() {
                        let xx = Swift.min(Swift.max(x + i - radius, 0), w - 1)
                        sum += weight * image.values[(y * w + xx) * c + k]
                    }
                    temp.values[(y * w + x) * c + k] = sum
                }
            }
        }
        for y in 0..<h {
            for x in 0..<w {
                for k in 0..<c {
                    var sum: Float = 0
                    for (i, weight) in kernel.enumerated() {
                        let yy = Swift.min(Swift.max(y + i - radius, 0), h - 1)
                        sum += weight * temp.values[(yy * w + x) * c + k]
                    }
                    out.values[(y * w + x) * c + k] = sum
                }
            }
        }
        return out
    }
}
