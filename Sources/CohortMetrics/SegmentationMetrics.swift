import Foundation

/// Agreement of one predicted binary mask with its reference.
///
/// Undefined cases follow one declared policy (README, "Segmentation metrics"):
/// - both masks empty: Dice and IoU 1, distances 0 (perfect agreement on "no lesion"); sensitivity and precision nil;
/// - reference empty, prediction not: Dice, IoU and precision 0; sensitivity and distances nil (no reference surface);
/// - prediction empty, reference not: Dice, IoU and sensitivity 0; precision and distances nil (no predicted surface).
/// Nil values are left out of means, and summaries count them.
public struct SegmentationScores: Sendable, Equatable {
    public var dice: Double, iou: Double
    /// Fraction of reference pixels predicted (pixel recall); nil when the reference is empty.
    public var sensitivity: Double?
    /// Fraction of predicted pixels in the reference; nil when the prediction is empty.
    public var precision: Double?
    /// 95th percentile Hausdorff distance between the two surfaces, in the unit of the spacing given.
    public var hausdorff95: Double?
    /// Average symmetric surface distance, in the unit of the spacing given.
    public var averageSurfaceDistance: Double?
    /// Foreground pixels of the reference and of the prediction.
    public var referencePixels: Int, predictedPixels: Int

    /// Scores as stored (e.g. read back from a catalog).
    public init(dice: Double, iou: Double, sensitivity: Double?, precision: Double?, hausdorff95: Double?, averageSurfaceDistance: Double?,
                referencePixels: Int, predictedPixels: Int) {
        (self.dice, self.iou, self.sensitivity, self.precision) = (dice, iou, sensitivity, precision)
        (self.hausdorff95, self.averageSurfaceDistance, self.referencePixels, self.predictedPixels) =
            (hausdorff95, averageSurfaceDistance, referencePixels, predictedPixels)
    }
}

/// Dice, IoU, pixel sensitivity and precision, HD95 and average surface distance of 2-D binary masks
/// (row-major `[height * width]`, true is foreground).
///
/// Surfaces are the foreground pixels with a 4-connected neighbour in the background, the outside of the image
/// counting as background (a binary erosion with the cross structuring element, as `scipy.ndimage.binary_erosion`
/// and MONAI's `get_mask_edges`). A surface distance is the Euclidean distance, with `spacing`, from a surface
/// pixel of one mask to the nearest surface pixel of the other. HD95 is the larger of the two directed 95th
/// percentiles (linear interpolation, as `numpy.percentile`); the average surface distance is the mean over both
/// directions' distances together (MONAI's `symmetric=True`).
public enum SegmentationMetrics {
    /// The scores of `predicted` against `reference`, both `height * width`; `spacing` is (row, column) size of a
    /// pixel (millimetres from (0028,0030) Pixel Spacing, or 1 for pixels).
    public static func scores(reference: [Bool], predicted: [Bool], height: Int, width: Int,
                              spacing: (row: Double, column: Double) = (1, 1)) -> SegmentationScores {
        precondition(reference.count == height * width && predicted.count == height * width,
                     "masks of \(reference.count) and \(predicted.count) pixels for \(height)x\(width)")
        let o = overlap(reference: reference, predicted: predicted)
        let (both, r, p) = (o.both, o.referencePixels, o.predictedPixels)
        var s = SegmentationScores(dice: o.dice, iou: o.iou, sensitivity: r > 0 ? Double(both) / Double(r) : nil,
                                   precision: p > 0 ? Double(both) / Double(p) : nil, hausdorff95: nil,
                                   averageSurfaceDistance: nil, referencePixels: r, predictedPixels: p)
        if r == 0 && p == 0 {
            (s.hausdorff95, s.averageSurfaceDistance) = (0, 0)
            return s
        }
        guard r > 0 && p > 0 else { return s }
        let referenceSurface = surface(reference, height: height, width: width)
        let predictedSurface = surface(predicted, height: height, width: width)
        let toReference = distances(from: predictedSurface, to: referenceSurface, height: height, width: width, spacing: spacing)
        let toPrediction = distances(from: referenceSurface, to: predictedSurface, height: height, width: width, spacing: spacing)
        s.hausdorff95 = max(Quantiles.linear(toReference.sorted(), 0.95), Quantiles.linear(toPrediction.sorted(), 0.95))
        s.averageSurfaceDistance = (toReference.reduce(0, +) + toPrediction.reduce(0, +)) / Double(toReference.count + toPrediction.count)
        return s
    }

    /// Dice and IoU of two masks of the same length, with their pixel counts (both empty: Dice and IoU 1, the
    /// policy of ``SegmentationScores``); the cheap part of ``scores(reference:predicted:height:width:spacing:)``.
    public static func overlap(reference: [Bool], predicted: [Bool]) -> (dice: Double, iou: Double, both: Int, referencePixels: Int, predictedPixels: Int) {
        precondition(reference.count == predicted.count, "masks of \(reference.count) and \(predicted.count) pixels")
        var both = 0, r = 0, p = 0
        for i in reference.indices {
            if reference[i] { r += 1 }
            if predicted[i] { p += 1 }
            if reference[i] && predicted[i] { both += 1 }
        }
        guard r + p > 0 else { return (1, 1, 0, 0, 0) }
        return (2 * Double(both) / Double(r + p), Double(both) / Double(r + p - both), both, r, p)
    }

    /// Foreground pixels with a 4-neighbour in the background or outside the image.
    public static func surface(_ mask: [Bool], height: Int, width: Int) -> [Bool] {
        var out = [Bool](repeating: false, count: mask.count)
        for y in 0..<height {
            for x in 0..<width where mask[y * width + x] {
                let interior = y > 0 && y < height - 1 && x > 0 && x < width - 1
                    && mask[(y - 1) * width + x] && mask[(y + 1) * width + x] && mask[y * width + x - 1] && mask[y * width + x + 1]
                out[y * width + x] = !interior
            }
        }
        return out
    }

    /// Distances from each `from` pixel to the nearest `to` pixel (exact, through the squared distance transform).
    static func distances(from: [Bool], to: [Bool], height: Int, width: Int, spacing: (row: Double, column: Double)) -> [Double] {
        let field = DistanceTransform.squaredDistances(to: to, height: height, width: width, spacing: spacing)
        return from.indices.filter { from[$0] }.map { field[$0].squareRoot() }
    }
}

/// Exact squared Euclidean distance transform of a 2-D point set with anisotropic spacing
/// (Felzenszwalb & Huttenlocher 2012, "Distance Transforms of Sampled Functions": separable lower envelopes of
/// parabolas, O(pixels)).
enum DistanceTransform {
    /// For every pixel, the squared distance to the nearest `true` pixel of `sites` (infinity when there is none).
    static func squaredDistances(to sites: [Bool], height: Int, width: Int, spacing: (row: Double, column: Double)) -> [Double] {
        var grid = sites.map { $0 ? 0.0 : Double.infinity }
        var line = [Double](repeating: 0, count: max(height, width))
        for x in 0..<width {
            for y in 0..<height { line[y] = grid[y * width + x] }
            let out = envelope(Array(line[0..<height]), step: spacing.row)
            for y in 0..<height { grid[y * width + x] = out[y] }
        }
        for y in 0..<height {
            let out = envelope(Array(grid[(y * width)..<((y + 1) * width)]), step: spacing.column)
            for x in 0..<width { grid[y * width + x] = out[x] }
        }
        return grid
    }

    /// `d(i) = min_j (step * (i - j))^2 + f(j)` over the finite samples of `f`.
    static func envelope(_ f: [Double], step: Double) -> [Double] {
        let sites = f.indices.filter { f[$0].isFinite }
        guard !sites.isEmpty else { return f }
        var vertices: [Int] = [], bounds: [Double] = []
        func position(_ i: Int) -> Double { Double(i) * step }
        func crossing(_ q: Int, _ r: Int) -> Double {
            ((f[r] + position(r) * position(r)) - (f[q] + position(q) * position(q))) / (2 * (position(r) - position(q)))
        }
        for q in sites {
            while let last = vertices.last, let bound = bounds.last, crossing(last, q) <= bound {
                vertices.removeLast()
                bounds.removeLast()
            }
            bounds.append(vertices.last.map { crossing($0, q) } ?? -Double.infinity)
            vertices.append(q)
        }
        var out = f, k = 0
        for i in f.indices {
            while k + 1 < vertices.count && bounds[k + 1] < position(i) { k += 1 }
            let d = position(i) - position(vertices[k])
            out[i] = d * d + f[vertices[k]]
        }
        return out
    }
}
