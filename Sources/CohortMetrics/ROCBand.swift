import CohortCore
import Foundation

/// A pointwise confidence band of an ROC curve: at each false positive rate of a grid, percentile bounds of the
/// true positive rate over stratified bootstrap resamples (vertical averaging, Fawcett 2006).
public struct ROCBand: Sendable, Equatable {
    public var falsePositiveRates: [Double]
    public var lower: [Double], upper: [Double]

    /// The band from `resamples` resamples seeded by `seed`, on `gridSize + 1` evenly spaced false positive rates.
    public static func bootstrap(labels: [Int], scores: [Double], resamples: Int = 200, seed: UInt64 = 0, level: Double = 0.95,
                                 gridSize: Int = 50) -> ROCBand? {
        guard ROC.auc(labels: labels, scores: scores) != nil, resamples > 1 else { return nil }
        let sorted = SortedScores(labels: labels, scores: scores)
        let positive = sorted.positive
        let grid = (0...gridSize).map { Double($0) / Double(gridSize) }
        var samples = [[Double]](repeating: [], count: grid.count)
        var weights = [Double](repeating: 0, count: positive.count)
        for r in 0..<resamples {
            var generator = SeededGenerator(seed: seed, stream: 0xB0B, UInt64(r))
            sorted.resample(into: &weights, using: &generator)
            // The curve's vertices, then the highest TPR reached at each grid FPR (step interpolation).
            var tp = 0.0, fp = 0.0, start = 0, g = 0
            let p = Double(sorted.positiveSlots.count), n = Double(sorted.negativeSlots.count)
            var tprAt = [Double](repeating: 0, count: grid.count)
            for end in sorted.groupEnds {
                for k in start..<end { if positive[k] { tp += weights[k] } else { fp += weights[k] } }
                start = end
                while g < grid.count && grid[g] < fp / n - 1e-12 { g += 1 }
                if g < grid.count { tprAt[g] = max(tprAt[g], tp / p) }
            }
            var best = 0.0
            for i in grid.indices { best = max(best, tprAt[i]); samples[i].append(best) }
        }
        let alpha = (1 - level) / 2
        let ordered = samples.map { $0.sorted() }
        return ROCBand(falsePositiveRates: grid, lower: ordered.map { Quantiles.linear($0, alpha) },
                       upper: ordered.map { Quantiles.linear($0, 1 - alpha) })
    }
}
