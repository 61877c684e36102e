import Foundation

/// A proportion with its Wilson score interval (Wilson 1927).
public struct Proportion: Sendable, Equatable {
    public var successes: Int, trials: Int
    public var interval: Interval

    /// The proportion `successes / trials` and its Wilson interval; NaN bounds when there are no trials.
    public init(successes: Int, trials: Int, level: Double = 0.95) {
        self.successes = successes
        self.trials = trials
        guard trials > 0 else {
            interval = Interval(estimate: .nan, lower: .nan, upper: .nan, level: level)
            return
        }
        let n = Double(trials), p = Double(successes) / n, z = Normal.quantile(0.5 + level / 2)
        let center = (p + z * z / (2 * n)) / (1 + z * z / n)
        let half = z / (1 + z * z / n) * (p * (1 - p) / n + z * z / (4 * n * n)).squareRoot()
        // At 0 and n successes the bounds are exactly 0 and 1 (rounding would leave 1e-17 there).
        interval = Interval(estimate: p, lower: successes == 0 ? 0 : max(0, center - half),
                            upper: successes == trials ? 1 : min(1, center + half), level: level)
    }
}

/// Binary decisions from scores at a threshold (score >= threshold is positive).
public struct OperatingPoint: Sendable, Equatable {
    public var threshold: Double
    public var truePositives: Int, falsePositives: Int, trueNegatives: Int, falseNegatives: Int
    /// Recall of positives and of negatives, with Wilson intervals.
    public var sensitivity: Proportion, specificity: Proportion
    public var accuracy: Double

    /// The operating point of binary labels (1 positive) and scores at `threshold`.
    public init(labels: [Int], scores: [Double], threshold: Double, level: Double = 0.95) {
        precondition(labels.count == scores.count, "labels and scores differ in length")
        var tp = 0, fp = 0, tn = 0, fn = 0
        for (label, score) in zip(labels, scores) {
            switch (label == 1, score >= threshold) {
            case (true, true): tp += 1
            case (false, true): fp += 1
            case (false, false): tn += 1
            case (true, false): fn += 1
            }
        }
        self.threshold = threshold
        (truePositives, falsePositives, trueNegatives, falseNegatives) = (tp, fp, tn, fn)
        sensitivity = Proportion(successes: tp, trials: tp + fn, level: level)
        specificity = Proportion(successes: tn, trials: tn + fp, level: level)
        accuracy = labels.isEmpty ? .nan : Double(tp + tn) / Double(labels.count)
    }
}

public enum Thresholds {
    /// The ROC threshold maximising Youden's J = sensitivity + specificity - 1 (the first, highest, on ties);
    /// nil when a class is absent.
    public static func youden(labels: [Int], scores: [Double]) -> Double? {
        guard let curve = ROC.curve(labels: labels, scores: scores, dropIntermediate: false) else { return nil }
        var best = 1, bestJ = -Double.infinity
        for i in 1..<curve.thresholds.count {
            let j = curve.truePositiveRates[i] - curve.falsePositiveRates[i]
            if j > bestJ { best = i; bestJ = j }
        }
        return curve.thresholds[best]
    }

    /// The highest threshold whose sensitivity is at least `sensitivity` (the most specific such point).
    public static func atSensitivity(_ sensitivity: Double, labels: [Int], scores: [Double]) -> Double? {
        guard let curve = ROC.curve(labels: labels, scores: scores, dropIntermediate: false) else { return nil }
        for i in 1..<curve.thresholds.count where curve.truePositiveRates[i] >= sensitivity - 1e-12 { return curve.thresholds[i] }
        return nil
    }
}
