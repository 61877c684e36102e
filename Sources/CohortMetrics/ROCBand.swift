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
        let order = Array(RadixSort.ascendingOrder(scores).reversed())
        let positive = order.map { labels[$0] == 1 }
        var groupEnds: [Int] = []
        for k in order.indices where k == order.count - 1 || scores[order[k + 1]] != scores[order[k]] { groupEnds.append(k + 1) }
        let positiveSlots = positive.indices.filter { positive[$0] }, negativeSlots = positive.indices.filter { !positive[$0] }
        let grid = (0...gridSize).map { Double($0) / Double(gridSize) }
        var samples = [[Double]](repeating: [], count: grid.count)
        var weights = [Double](repeating: 0, count: order.count)
        for r in 0..<resamples {
            var generator = SeededGenerator(seed: seed, stream: 0xB0B, UInt64(r))
            for i in weights.indices { weights[i] = 0 }
            for _ in positiveSlots { weights[positiveSlots[Int(generator.next() % UInt64(positiveSlots.count))]] += 1 }
            for _ in negativeSlots { weights[negativeSlots[Int(generator.next() % UInt64(negativeSlots.count))]] += 1 }
            // The curve's vertices, then the highest TPR reached at each grid FPR (step interpolation).
            var tp = 0.0, fp = 0.0, start = 0, g = 0
            let p = Double(positiveSlots.count), n = Double(negativeSlots.count)
            var tprAt = [Double](repeating: 0, count: grid.count)
            for end in groupEnds {
                for k in start..<end { if positive[k] { tp += weights[k] } else { fp += weights[k] } }
                start = end
                while g < grid.count && grid[g] < fp / n - 1e-12 { g += 1 }
                if g < grid.count { tprAt[g] = max(tprAt[g], tp / p) }
            }
            var best = 0.0
            for i in grid.indices { best = max(best, tprAt[i]); samples[i].append(best) }
        }
        let alpha = (1 - level) / 2
        let sorted = samples.map { $0.sorted() }
        return ROCBand(falsePositiveRates: grid, lower: sorted.map { Quantiles.linear($0, alpha) },
                       upper: sorted.map { Quantiles.linear($0, 1 - alpha) })
    }
}
