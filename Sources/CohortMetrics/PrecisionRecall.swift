/// A precision-recall curve, as scikit-learn's `precision_recall_curve`: thresholds increasing, precision and
/// recall with one extra final point (precision 1, recall 0).
public struct PrecisionRecallCurve: Sendable, Equatable {
    public var precisions: [Double], recalls: [Double], thresholds: [Double]
}

public enum PrecisionRecall {
    /// The curve of binary labels and scores; nil when there is no positive (recall undefined).
    public static func curve(labels: [Int], scores: [Double]) -> PrecisionRecallCurve? {
        let counts = ThresholdCounts(labels: labels, scores: scores)
        guard let positives = counts.truePositives.last, positives > 0 else { return nil }
        var precisions: [Double] = [], recalls: [Double] = [], thresholds: [Double] = []
        // Every distinct score is a threshold (scikit-learn >= 1.1 keeps those past full recall too).
        for i in counts.thresholds.indices {
            let tp = counts.truePositives[i], fp = counts.falsePositives[i]
            precisions.append(tp + fp > 0 ? tp / (tp + fp) : 0)
            recalls.append(tp / positives)
            thresholds.append(counts.thresholds[i])
        }
        return PrecisionRecallCurve(precisions: precisions.reversed() + [1], recalls: recalls.reversed() + [0],
                                    thresholds: thresholds.reversed())
    }

    /// Average precision: sum over thresholds of (R_n - R_{n-1}) P_n, no interpolation (scikit-learn's
    /// `average_precision_score`). Nil without positives.
    public static func averagePrecision(labels: [Int], scores: [Double]) -> Double? {
        guard let c = curve(labels: labels, scores: scores) else { return nil }
        var ap = 0.0
        for i in 0..<(c.recalls.count - 1) { ap += (c.recalls[i] - c.recalls[i + 1]) * c.precisions[i] }
        return ap
    }
}
