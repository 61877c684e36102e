import CCohortKernels
import CohortCore

/// Geometric resampling of ``FloatImage``s: bilinear for images, nearest neighbour for masks.
///
/// Pixel centres sit at half-integer coordinates (the `align_corners=False` convention of PyTorch), so resizing
/// by an integer factor and back is symmetric.
public enum Resampling {
    /// Interpolation for ``warp(_:height:width:inverse:interpolation:fill:)``.
    public enum Interpolation: Sendable { case bilinear, nearest }

    /// `image` resized to `height` x `width` (stretching when the aspect differs).
    public static func resize(_ image: FloatImage, height: Int, width: Int, interpolation: Interpolation) -> FloatImage {
        let sy = Double(image.height) / Double(height), sx = Double(image.width) / Double(width)
        return warp(image, height: height, width: width, interpolation: interpolation, fill: 0,
                    affine: Affine(a: sx, b: 0, c: 0.5 * sx - 0.5, d: 0, e: sy, f: 0.5 * sy - 0.5))
    }

    /// An affine map from output pixel (x, y) to source coordinates: `(a x + b y + c, d x + e y + f)`.
    public struct Affine: Sendable, Equatable {
        public var a, b, c, d, e, f: Double
        public init(a: Double, b: Double, c: Double, d: Double, e: Double, f: Double) {
            (self.a, self.b, self.c, self.d, self.e, self.f) = (a, b, c, d, e, f)
        }
    }

    /// An output image of `height` x `width` whose pixel (x, y) takes the source value at `affine(x, y)`
    /// (source coordinates of the pixel centre); outside the source it is `fill`.
    public static func warp(_ image: FloatImage, height: Int, width: Int, interpolation: Interpolation, fill: Float,
                            affine m: Affine) -> FloatImage {
        let c = image.channels, w = image.width, h = image.height
        if interpolation == .bilinear, c == 1 { return warpGrayBilinear(image, height: height, width: width, fill: fill, affine: m) }
        var out = [Float](repeating: fill, count: height * width * c)
        image.values.withUnsafeBufferPointer { source in
            out.withUnsafeMutableBufferPointer { target in
                guard let src = source.baseAddress, let dst = target.baseAddress else { return }
                for y in 0..<height {
                    let rowX = m.b * Double(y) + m.c, rowY = m.e * Double(y) + m.f
                    for x in 0..<width {
                        let sx = rowX + m.a * Double(x), sy = rowY + m.d * Double(x)
                        let base = (y * width + x) * c
                        if interpolation == .nearest {
                            let ix = Int((sx + 0.5).rounded(.down)), iy = Int((sy + 0.5).rounded(.down))
                            if ix < 0 || iy < 0 || ix >= w || iy >= h { continue }
                            let s = (iy * w + ix) * c
                            for k in 0..<c { dst[base + k] = src[s + k] }
                            continue
                        }
                        // Inside the source's pixel area, clamp to the edge (PyTorch's resize); outside, fill.
                        if sx < -0.5 || sy < -0.5 || sx > Double(w) - 0.5 || sy > Double(h) - 0.5 { continue }
                        let cx = Swift.min(Swift.max(sx, 0), Double(w - 1)), cy = Swift.min(Swift.max(sy, 0), Double(h - 1))
                        let x0 = Int(cx), y0 = Int(cy), x1 = Swift.min(x0 + 1, w - 1), y1 = Swift.min(y0 + 1, h - 1)
                        let fx = Float(cx - Double(x0)), fy = Float(cy - Double(y0))
                        let p00 = (y0 * w + x0) * c, p01 = (y0 * w + x1) * c, p10 = (y1 * w + x0) * c, p11 = (y1 * w + x1) * c
                        for k in 0..<c {
                            let top = src[p00 + k] + (src[p01 + k] - src[p00 + k]) * fx
                            let bottom = src[p10 + k] + (src[p11 + k] - src[p10 + k]) * fx
                            dst[base + k] = top + (bottom - top) * fy
                        }
                    }
                }
            }
        }
        return FloatImage(height: height, width: width, channels: c, values: out)
    }

    /// ``warp(_:height:width:interpolation:fill:affine:)`` for one channel, bilinear, the common case of every gray
    /// image's resize and augmentation: the same arithmetic (the same values to the last bit) in C
    /// (`ccohort_warp_gray_bilinear`), without the channel loop and the overflow checks of the conversions.
    private static func warpGrayBilinear(_ image: FloatImage, height: Int, width: Int, fill: Float, affine m: Affine) -> FloatImage {
        let w = image.width, h = image.height
        guard w > 0, h > 0, height > 0, width > 0 else {
            return FloatImage(height: height, width: width, channels: 1, values: [Float](repeating: fill, count: Swift.max(height * width, 0)))
        }
        if m.b == 0, m.d == 0 { return resizeGrayBilinear(image, height: height, width: width, fill: fill, affine: m) }
        let values = [Float](unsafeUninitializedCapacity: height * width) { target, initialized in
            image.values.withUnsafeBufferPointer { source in
                [m.a, m.b, m.c, m.d, m.e, m.f].withUnsafeBufferPointer { map in
                    ccohort_warp_gray_bilinear(source.baseAddress, Int64(w), Int64(h), target.baseAddress, Int64(width), Int64(height), fill, map.baseAddress)
                }
            }
            initialized = height * width
        }
        return FloatImage(height: height, width: width, channels: 1, values: values)
    }

    /// ``warpGrayBilinear(_:height:width:fill:affine:)`` for an axis-aligned map (resizing, letterboxing): source
    /// columns and rows depend on the output column or row alone, so they are worked out once per column and per row.
    /// Same arithmetic as the general loop, so the same values.
    private static func resizeGrayBilinear(_ image: FloatImage, height: Int, width: Int, fill: Float, affine m: Affine) -> FloatImage {
        let w = image.width, h = image.height
        let right = Double(w) - 0.5, bottom = Double(h) - 0.5, lastX = Double(w - 1), lastY = Double(h - 1)
        // Per column: source columns, weight, and whether the column lies outside the source.
        var x0s = [Int](repeating: 0, count: width), x1s = x0s, fxs = [Float](repeating: 0, count: width), outsideX = [Bool](repeating: false, count: width)
        for x in 0..<width {
            let sx = m.c + m.a * Double(x)
            outsideX[x] = sx < -0.5 || sx > right
            let cx = Swift.min(Swift.max(sx, 0), lastX)
            x0s[x] = Int(cx)
            x1s[x] = Swift.min(x0s[x] + 1, w - 1)
            fxs[x] = Float(cx - Double(x0s[x]))
        }
        let values = [Float](unsafeUninitializedCapacity: height * width) { target, initialized in
            image.values.withUnsafeBufferPointer { source in
                guard let src = source.baseAddress, let dst = target.baseAddress else { return }
                for y in 0..<height {
                    let sy = m.e * Double(y) + m.f
                    let row = dst + y * width
                    if sy < -0.5 || sy > bottom {
                        for x in 0..<width { row[x] = fill }
                        continue
                    }
                    let cy = Swift.min(Swift.max(sy, 0), lastY)
                    let y0 = Int(cy), y1 = Swift.min(y0 + 1, h - 1), fy = Float(cy - Double(y0))
                    let r0 = src + y0 * w, r1 = src + y1 * w
                    for x in 0..<width {
                        if outsideX[x] { row[x] = fill; continue }
                        let x0 = x0s[x], x1 = x1s[x], fx = fxs[x]
                        let top = r0[x0] + (r0[x1] - r0[x0]) * fx
                        let lower = r1[x0] + (r1[x1] - r1[x0]) * fx
                        row[x] = top + (lower - top) * fy
                    }
                }
            }
            initialized = height * width
        }
        return FloatImage(height: height, width: width, channels: 1, values: values)
    }

    /// `image` scaled to fit inside `height` x `width` keeping its aspect, centred, the rest `fill`.
    public static func letterbox(_ image: FloatImage, height: Int, width: Int, interpolation: Interpolation,
                                 fill: Float = 0) -> FloatImage {
        let (top, left, h, w) = letterboxPlacement(height: image.height, width: image.width, into: height, width)
        let scaled = resize(image, height: h, width: w, interpolation: interpolation)
        return crop(scaled, top: -top, left: -left, height: height, width: width, fill: fill)
    }

    /// Where ``letterbox(_:height:width:interpolation:fill:)`` puts a `height` x `width` image in a grid of
    /// `gridHeight` x `gridWidth`: (top, left, height, width) of the scaled content.
    public static func letterboxPlacement(height: Int, width: Int, into gridHeight: Int, _ gridWidth: Int) -> (Int, Int, Int, Int) {
        let scale = Swift.min(Double(gridHeight) / Double(height), Double(gridWidth) / Double(width))
        let h = Swift.max(1, Int((Double(height) * scale).rounded())), w = Swift.max(1, Int((Double(width) * scale).rounded()))
        return ((gridHeight - h) / 2, (gridWidth - w) / 2, h, w)
    }

    /// The window `[top, top+height) x [left, left+width)` of `image`; parts outside are `fill`.
    public static func crop(_ image: FloatImage, top: Int, left: Int, height: Int, width: Int, fill: Float = 0) -> FloatImage {
        let c = image.channels
        var out = FloatImage(height: height, width: width, channels: c, repeating: fill)
        for y in 0..<height {
            let sy = y + top
            guard sy >= 0 && sy < image.height else { continue }
            let x0 = Swift.max(0, -left), x1 = Swift.min(width, image.width - left)
            guard x0 < x1 else { continue }
            let from = (sy * image.width + x0 + left) * c, to = (y * width + x0) * c
            out.values.replaceSubrange(to..<(to + (x1 - x0) * c), with: image.values[from..<(from + (x1 - x0) * c)])
        }
        return out
    }

    /// `image` mirrored left-right.
    public static func flippedHorizontally(_ image: FloatImage) -> FloatImage {
        var out = image
        let c = image.channels
        for y in 0..<image.height {
            for x in 0..<image.width {
                for k in 0..<c { out.values[(y * image.width + x) * c + k] = image.values[(y * image.width + image.width - 1 - x) * c + k] }
            }
        }
        return out
    }

    /// `image` mirrored top-bottom.
    public static func flippedVertically(_ image: FloatImage) -> FloatImage {
        var out = image
        let row = image.width * image.channels
        for y in 0..<image.height {
            out.values.replaceSubrange(y * row..<(y + 1) * row, with: image.values[(image.height - 1 - y) * row..<(image.height - y) * row])
        }
        return out
    }
}
