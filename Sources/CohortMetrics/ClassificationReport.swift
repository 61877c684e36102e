/// Per-class precision, recall, F1 and support, with macro, micro and weighted averages (scikit-learn's
/// `precision_recall_fscore_support` and `classification_report`).
public struct ClassificationReport: Sendable, Equatable {
    /// Scores of one class, or one average.
    public struct Scores: Sendable, Equatable {
        public var precision: Double, recall: Double, f1: Double
        public var support: Int
    }

    public var perClass: [Scores]
    public var macro: Scores, micro: Scores, weighted: Scores
    public var accuracy: Double

    /// The report of a confusion matrix; ratios with zero denominators follow `zeroDivision`. Averages
    /// include every class `0..<classCount` (classes absent from both truth and predictions count as in
    /// scikit-learn when listed in `labels`).
    public init(_ m: ConfusionMatrix, zeroDivision: ZeroDivision = .zero) {
        let predicted = m.predictedTotals, support = m.support
        let classes = (0..<m.classCount).map { k -> Scores in
            let tp = Double(m.counts[k][k])
            let precision = zeroDivision.divide(tp, Double(predicted[k]))
            let recall = zeroDivision.divide(tp, Double(support[k]))
            // F1 from counts (2TP / (2TP + FP + FN)), which is what scikit-learn computes.
            let f1 = zeroDivision.divide(2 * tp, Double(predicted[k] + support[k]))
            return Scores(precision: precision, recall: recall, f1: f1, support: support[k])
        }
        let n = classes.count, total = support.reduce(0, +)
        func mean(_ path: KeyPath<Scores, Double>) -> Double { classes.reduce(0) { $0 + $1[keyPath: path] } / Double(n) }
        func weightedMean(_ path: KeyPath<Scores, Double>) -> Double {
            total == 0 ? zeroDivision.divide(0, 0) : classes.reduce(0) { $0 + $1[keyPath: path] * Double($1.support) } / Double(total)
        }
        perClass = classes
        macro = Scores(precision: mean(\.precision), recall: mean(\.recall), f1: mean(\.f1), support: total)
        weighted = Scores(precision: weightedMean(\.precision), recall: weightedMean(\.recall), f1: weightedMean(\.f1), support: total)
        let correct = Double((0..<m.classCount).reduce(0) { $0 + m.counts[$1][$1] })
        let microP = zeroDivision.divide(correct, Double(predicted.reduce(0, +)))
        let microR = zeroDivision.divide(correct, Double(total))
        micro = Scores(precision: microP, recall: microR, f1: zeroDivision.divide(2 * correct, Double(predicted.reduce(0, +) + total)),
                       support: total)
        accuracy = m.accuracy
    }
}

/// Agreement statistics of a confusion matrix.
public enum Agreement {
    /// Mean of per-class recalls over classes present in the truth (scikit-learn's `balanced_accuracy_score`).
    public static func balancedAccuracy(_ m: ConfusionMatrix) -> Double {
        let recalls = (0..<m.classCount).compactMap { k -> Double? in
            let s = m.support[k]
            return s > 0 ? Double(m.counts[k][k]) / Double(s) : nil
        }
        return recalls.isEmpty ? .nan : recalls.reduce(0, +) / Double(recalls.count)
    }

    /// Matthews correlation coefficient, multi-class form (Gorodkin 2004), as scikit-learn: 0 when undefined.
    public static func matthews(_ m: ConfusionMatrix) -> Double {
        let t = m.support.map(Double.init), p = m.predictedTotals.map(Double.init)
        let s = Double(m.total), c = Double((0..<m.classCount).reduce(0) { $0 + m.counts[$1][$1] })
        let dot = zip(t, p).reduce(0) { $0 + $1.0 * $1.1 }
        let covYtYp = c * s - dot
        let covYpYp = s * s - p.reduce(0) { $0 + $1 * $1 }, covYtYt = s * s - t.reduce(0) { $0 + $1 * $1 }
        guard covYpYp * covYtYt != 0 else { return 0 }
        return covYtYp / (covYtYt * covYpYp).squareRoot()
    }

    /// Cohen's kappa (1960): agreement beyond chance between truth and predictions; NaN when undefined
    /// (expected agreement 1).
    public static func cohensKappa(_ m: ConfusionMatrix) -> Double {
        let n = Double(m.total)
        guard n > 0 else { return .nan }
        let observed = Double((0..<m.classCount).reduce(0) { $0 + m.counts[$1][$1] }) / n
        let expected = zip(m.support, m.predictedTotals).reduce(0.0) { $0 + Double($1.0) * Double($1.1) } / (n * n)
        return expected == 1 ? .nan : (observed - expected) / (1 - expected)
    }
}
