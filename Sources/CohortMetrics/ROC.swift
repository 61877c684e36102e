import Foundation

/// A receiver operating characteristic curve: false and true positive rates at each distinct threshold.
///
/// Same points as scikit-learn's `roc_curve`: thresholds in decreasing order, the first one `+infinity` (nothing
/// predicted positive), tied scores forming one point; with `dropIntermediate`, collinear points are removed.
public struct ROCCurve: Sendable, Equatable {
    public var falsePositiveRates: [Double]
    public var truePositiveRates: [Double]
    public var thresholds: [Double]
}

/// Counts of positives and negatives at or above each distinct score, scores in decreasing order.
struct ThresholdCounts {
    /// Distinct scores, decreasing.
    var thresholds: [Double] = []
    /// Cumulative true and false positives when predicting positive at score >= threshold.
    var truePositives: [Double] = [], falsePositives: [Double] = []

    /// From binary labels (1 positive) and scores, optionally weighted.
    init(labels: [Int], scores: [Double], weights: [Double]? = nil) {
        precondition(labels.count == scores.count, "labels (\(labels.count)) and scores (\(scores.count)) differ in length")
        precondition(!scores.contains { $0.isNaN }, "scores contain NaN")
        let order = Array(RadixSort.ascendingOrder(scores).reversed())
        var tp = 0.0, fp = 0.0
        for (k, i) in order.enumerated() {
            let w = weights?[i] ?? 1
            if labels[i] == 1 { tp += w } else { fp += w }
            if k == order.count - 1 || scores[order[k + 1]] != scores[i] {
                thresholds.append(scores[i])
                truePositives.append(tp)
                falsePositives.append(fp)
            }
        }
    }
}

public enum ROC {
    /// The ROC curve of binary `labels` (1 positive, anything else negative) and `scores` (higher means more
    /// likely positive). Nil when either class is absent (the rates are undefined).
    public static func curve(labels: [Int], scores: [Double], dropIntermediate: Bool = true) -> ROCCurve? {
        let counts = ThresholdCounts(labels: labels, scores: scores)
        guard let positives = counts.truePositives.last, let negatives = counts.falsePositives.last,
              positives > 0, negatives > 0 else { return nil }
        var tps = counts.truePositives, fps = counts.falsePositives, thresholds = counts.thresholds
        if dropIntermediate && tps.count > 2 {
            // Keep the ends and every point where the slope changes (scikit-learn's rule, applied before the
            // origin is prepended).
            var keep = [0]
            for i in 1..<(tps.count - 1) {
                let d2fps = fps[i + 1] - 2 * fps[i] + fps[i - 1], d2tps = tps[i + 1] - 2 * tps[i] + tps[i - 1]
                if d2fps != 0 || d2tps != 0 { keep.append(i) }
            }
            keep.append(tps.count - 1)
            tps = keep.map { tps[$0] }
            fps = keep.map { fps[$0] }
            thresholds = keep.map { thresholds[$0] }
        }
        tps.insert(0, at: 0)
        fps.insert(0, at: 0)
        thresholds.insert(.infinity, at: 0)
        return ROCCurve(falsePositiveRates: fps.map { $0 / negatives }, truePositiveRates: tps.map { $0 / positives },
                        thresholds: thresholds)
    }

    /// Area under the ROC curve: the probability that a random positive scores above a random negative, ties
    /// counting one half (exact, like scikit-learn's `roc_auc_score`). Nil when either class is absent.
    public static func auc(labels: [Int], scores: [Double]) -> Double? {
        let counts = ThresholdCounts(labels: labels, scores: scores)
        guard let positives = counts.truePositives.last, let negatives = counts.falsePositives.last,
              positives > 0, negatives > 0 else { return nil }
        var area = 0.0, previousTP = 0.0, previousFP = 0.0
        for (tp, fp) in zip(counts.truePositives, counts.falsePositives) {
            area += (fp - previousFP) * (tp + previousTP) / 2
            previousTP = tp
            previousFP = fp
        }
        return area / (positives * negatives)
    }

    /// One-vs-rest AUC of a multi-class problem: `probabilities[i][k]` is sample i's score for class k.
    /// `macro` averages the per-class AUCs, `weighted` weights them by class prevalence. Classes absent from
    /// `labels` make the average undefined (nil), as scikit-learn refuses them.
    public static func oneVsRestAUC(labels: [Int], probabilities: [[Double]], weighted: Bool) -> Double? {
        let classes = probabilities.first?.count ?? 0
        guard classes >= 2 else { return nil }
        var total = 0.0, weightSum = 0.0
        for k in 0..<classes {
            let binary = labels.map { $0 == k ? 1 : 0 }
            guard let area = auc(labels: binary, scores: probabilities.map { $0[k] }) else { return nil }
            let weight = weighted ? Double(binary.reduce(0, +)) : 1
            total += weight * area
            weightSum += weight
        }
        return total / weightSum
    }
}
