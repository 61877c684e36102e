/// Calibration of predicted probabilities for binary labels.
public enum Calibration {
    /// Mean squared difference between probability and outcome (scikit-learn's `brier_score_loss`).
    public static func brierScore(labels: [Int], probabilities: [Double]) -> Double {
        precondition(labels.count == probabilities.count, "labels and probabilities differ in length")
        guard !labels.isEmpty else { return .nan }
        return zip(labels, probabilities).reduce(0) { $0 + ($1.1 - ($1.0 == 1 ? 1 : 0)) * ($1.1 - ($1.0 == 1 ? 1 : 0)) } / Double(labels.count)
    }

    /// One bin of a reliability curve.
    public struct Bin: Sendable, Equatable {
        /// Mean predicted probability, observed positive share, and sample count of the bin.
        public var meanPredicted: Double, observed: Double
        public var count: Int
    }

    /// Non-empty bins of `binCount` equal-width bins over [0, 1] (scikit-learn's `calibration_curve` with
    /// `strategy="uniform"`: a value on an edge belongs to the lower bin, edges computed as `i * (1 / binCount)`
    /// like NumPy's `linspace`).
    public static func reliability(labels: [Int], probabilities: [Double], binCount: Int = 10) -> [Bin] {
        precondition(binCount >= 1, "need at least one bin")
        var sums = [Double](repeating: 0, count: binCount), positives = [Double](repeating: 0, count: binCount)
        var counts = [Int](repeating: 0, count: binCount)
        for (label, p) in zip(labels, probabilities) {
            precondition(p >= 0 && p <= 1, "probabilities must be in [0, 1], got \(p)")
            let step = 1 / Double(binCount)
            var bin = min(Int(p * Double(binCount)), binCount - 1)
            while bin > 0 && Double(bin) * step >= p { bin -= 1 }
            while bin < binCount - 1 && Double(bin + 1) * step < p { bin += 1 }
            sums[bin] += p
            positives[bin] += label == 1 ? 1 : 0
            counts[bin] += 1
        }
        return (0..<binCount).filter { counts[$0] > 0 }.map {
            Bin(meanPredicted: sums[$0] / Double(counts[$0]), observed: positives[$0] / Double(counts[$0]), count: counts[$0])
        }
    }

    /// Expected calibration error: bin-size-weighted mean |observed - predicted| over equal-width bins.
    public static func expectedCalibrationError(labels: [Int], probabilities: [Double], binCount: Int = 10) -> Double {
        let bins = reliability(labels: labels, probabilities: probabilities, binCount: binCount)
        let n = Double(bins.reduce(0) { $0 + $1.count })
        return n == 0 ? .nan : bins.reduce(0) { $0 + Double($1.count) * abs($1.observed - $1.meanPredicted) } / n
    }
}

/// Collects labels and scores batch by batch (scoring shards, training epochs) for the metrics above.
public struct ScoreAccumulator: Sendable {
    public private(set) var labels: [Int] = []
    public private(set) var scores: [Double] = []

    public init() {}

    /// Adds a batch.
    public mutating func add(labels: [Int], scores: [Double]) {
        precondition(labels.count == scores.count, "labels and scores differ in length")
        self.labels += labels
        self.scores += scores
    }

    /// Merges another accumulator (shard outputs).
    public mutating func merge(_ other: ScoreAccumulator) { add(labels: other.labels, scores: other.scores) }

    public var auc: Double? { ROC.auc(labels: labels, scores: scores) }
}
