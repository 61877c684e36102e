import CohortCore

/// Pictures for people: a heat map or masks drawn over a gray image, as 8-bit RGB pixels.
public enum Overlay {
    /// A perceptually ordered heat colour of `t` in [0, 1]: black-blue at 0 through red and yellow to white-ish at 1
    /// (piecewise linear through blue, magenta, red, orange, yellow).
    public static func heatColor(_ t: Float) -> (Float, Float, Float) {
        let stops: [(Float, Float, Float)] = [(0, 0, 0.3), (0.5, 0, 0.7), (0.9, 0.1, 0.2), (1, 0.55, 0), (1, 1, 0.2)]
        let x = min(max(t, 0), 1) * Float(stops.count - 1)
        let i = min(Int(x), stops.count - 2), f = x - Float(i)
        let (a, b) = (stops[i], stops[i + 1])
        return (a.0 + (b.0 - a.0) * f, a.1 + (b.1 - a.1) * f, a.2 + (b.2 - a.2) * f)
    }

    /// `gray` (`[H, W, 1]` in [0, 1]) with `heat` (same size, [0, 1]) blended over it: opacity grows with the heat,
    /// up to `opacity`, so cold regions show the image.
    public static func heatmap(_ gray: FloatImage, _ heat: FloatImage, opacity: Float = 0.6) -> PixelArray {
        precondition(gray.height == heat.height && gray.width == heat.width, "heat map \(heat.width)x\(heat.height) over \(gray.width)x\(gray.height)")
        var bytes = [UInt8](repeating: 0, count: gray.height * gray.width * 3)
        for p in 0..<(gray.height * gray.width) {
            let g = gray.values[p * gray.channels], t = heat.values[p]
            let (r, gg, b) = heatColor(t)
            let a = opacity * min(max(t, 0), 1)
            for (k, c) in [r, gg, b].enumerated() { bytes[p * 3 + k] = UInt8((min(max(g * (1 - a) + c * a, 0), 1) * 255).rounded()) }
        }
        return PixelArray(format: .uint8, frames: 1, rows: gray.height, columns: gray.width, samplesPerPixel: 3, bytes: bytes)
    }

    /// `gray` with the outline of `truth` in green and of `predicted` in red (yellow where they coincide); masks are
    /// row-major booleans of the image's size.
    public static func outlines(_ gray: FloatImage, truth: [Bool]?, predicted: [Bool]?) -> PixelArray {
        let (h, w) = (gray.height, gray.width)
        func edge(_ m: [Bool]?) -> [Bool] {
            guard let m else { return [Bool](repeating: false, count: h * w) }
            return (0..<(h * w)).map { i in
                guard m[i] else { return false }
                let (y, x) = (i / w, i % w)
                return y == 0 || x == 0 || y == h - 1 || x == w - 1 || !m[i - 1] || !m[i + 1] || !m[i - w] || !m[i + w]
            }
        }
        let (t, p) = (dilated(edge(truth), h, w), dilated(edge(predicted), h, w))
        var bytes = [UInt8](repeating: 0, count: h * w * 3)
        for i in 0..<(h * w) {
            let g = UInt8((min(max(gray.values[i * gray.channels], 0), 1) * 255).rounded())
            bytes[i * 3] = p[i] ? 255 : (t[i] ? 0 : g)
            bytes[i * 3 + 1] = t[i] ? 255 : (p[i] ? 40 : g)
            bytes[i * 3 + 2] = t[i] || p[i] ? 0 : g
        }
        return PixelArray(format: .uint8, frames: 1, rows: h, columns: w, samplesPerPixel: 3, bytes: bytes)
    }

    /// Thickens outlines in images larger than 300 pixels so they stay visible when shown small.
    static func dilated(_ m: [Bool], _ h: Int, _ w: Int) -> [Bool] {
        let r = max(h, w) > 300 ? max(h, w) / 300 : 0
        guard r > 0 else { return m }
        var out = m
        for i in 0..<(h * w) where m[i] {
            let (y, x) = (i / w, i % w)
            for dy in -r...r { for dx in -r...r where (0..<h).contains(y + dy) && (0..<w).contains(x + dx) { out[(y + dy) * w + x + dx] = true } }
        }
        return out
    }
}
