import CohortCore
import Foundation

/// The mean of one segmentation metric over images, with a percentile bootstrap interval.
public struct MetricSummary: Sendable, Equatable {
    public var name: String
    /// Mean over the images where the metric is defined (nil when it is defined for none).
    public var mean: Double?
    public var median: Double?
    /// Percentile bootstrap interval of the mean (images resampled with replacement); nil without resamples.
    public var interval: Interval?
    /// Images where the metric is defined, and where it is not (see ``SegmentationScores``'s policy).
    public var defined: Int, undefined: Int
}

extension SegmentationMetrics {
    /// Summaries of Dice, IoU, sensitivity, precision, HD95 and average surface distance over `scores`, with
    /// `resamples` bootstrap resamples of the images drawn from `SeededGenerator(seed)`.
    public static func summarize(_ scores: [SegmentationScores], resamples: Int = 1000, seed: UInt64 = 0,
                                 level: Double = 0.95) -> [MetricSummary] {
        let columns: [(String, (SegmentationScores) -> Double?)] = [
            ("dice", { $0.dice }), ("iou", { $0.iou }), ("sensitivity", { $0.sensitivity }), ("precision", { $0.precision }),
            ("hd95", { $0.hausdorff95 }), ("asd", { $0.averageSurfaceDistance }),
        ]
        return columns.enumerated().map { index, column in
            let values = scores.compactMap(column.1)
            return summary(column.0, values, undefined: scores.count - values.count, resamples: resamples,
                           seed: seed &+ UInt64(index), level: level)
        }
    }

    /// The summary of plain values (mean, median, bootstrap interval of the mean).
    public static func summary(_ name: String, _ values: [Double], undefined: Int = 0, resamples: Int = 1000, seed: UInt64 = 0,
                               level: Double = 0.95) -> MetricSummary {
        guard !values.isEmpty else { return MetricSummary(name: name, mean: nil, median: nil, interval: nil, defined: 0, undefined: undefined) }
        let mean = values.reduce(0, +) / Double(values.count)
        var interval: Interval?
        if resamples > 0 {
            var means = (0..<resamples).map { r -> Double in
                var generator = SeededGenerator(seed: seed, stream: 0x5E6, UInt64(r))
                var total = 0.0
                for _ in values.indices { total += values[Int(generator.next() % UInt64(values.count))] }
                return total / Double(values.count)
            }
            means.sort()
            let alpha = (1 - level) / 2
            interval = Interval(estimate: mean, lower: Quantiles.linear(means, alpha), upper: Quantiles.linear(means, 1 - alpha), level: level)
        }
        return MetricSummary(name: name, mean: mean, median: Quantiles.linear(values.sorted(), 0.5), interval: interval,
                             defined: values.count, undefined: undefined)
    }
}
