import CohortCore
import Foundation

/// Percentile bootstrap intervals of the metrics of decisions (accuracy, balanced accuracy, macro and weighted F1),
/// for binary and multi-class models alike: the samples are resampled within each true class (every class keeps its
/// count, as in the AUC bootstrap), the confusion matrix of each resample gives the metrics by the same definitions
/// as ``ClassificationReport`` (zero for an undefined precision or recall), and the interval is the percentile range.
public enum DecisionBootstrap {
    /// The four intervals (each with its point estimate on the original samples).
    public struct Intervals: Sendable, Equatable {
        public var accuracy: Interval, balancedAccuracy: Interval, macroF1: Interval, weightedF1: Interval
    }

    /// Intervals from `resamples` resamples, resample r drawn from `SeededGenerator(seed:stream: r)` (so the
    /// figures do not depend on the thread count). Nil without samples or resamples.
    public static func intervals(truth: [Int], predicted: [Int], classCount: Int, resamples: Int = 1000, seed: UInt64 = 0,
                                 level: Double = 0.95, threads: Int = ProcessInfo.processInfo.activeProcessorCount) -> Intervals? {
        guard !truth.isEmpty, resamples > 0, truth.count == predicted.count else { return nil }
        let estimate = metrics(ConfusionMatrix(truth: truth, predicted: predicted, classCount: classCount))
        let byClass = (0..<classCount).map { c in truth.indices.filter { truth[$0] == c }.map { predicted[$0] } }
        let values = ParallelMap.map(Array(0..<resamples), threads: threads) { r -> [Double] in
            var generator = SeededGenerator(seed: seed, stream: UInt64(r))
            var confusion = ConfusionMatrix(classCount: classCount)
            for (c, decisions) in byClass.enumerated() {
                for _ in decisions.indices { confusion.add(truth: c, predicted: decisions[Int(generator.next() % UInt64(decisions.count))]) }
            }
            return metrics(confusion)
        }
        let alpha = (1 - level) / 2
        func interval(_ k: Int) -> Interval {
            let sorted = values.map { $0[k] }.sorted()
            return Interval(estimate: estimate[k], lower: Quantiles.linear(sorted, alpha), upper: Quantiles.linear(sorted, 1 - alpha), level: level)
        }
        return Intervals(accuracy: interval(0), balancedAccuracy: interval(1), macroF1: interval(2), weightedF1: interval(3))
    }

    /// Accuracy, balanced accuracy, macro F1, weighted F1 of one matrix.
    private static func metrics(_ m: ConfusionMatrix) -> [Double] {
        let report = ClassificationReport(m, zeroDivision: .zero)
        return [report.accuracy, Agreement.balancedAccuracy(m), report.macro.f1, report.weighted.f1]
    }
}
