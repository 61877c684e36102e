/// What a ratio with a zero denominator becomes (scikit-learn's `zero_division`).
public enum ZeroDivision: Sendable, Equatable {
    /// 0 (scikit-learn's default, with a warning there).
    case zero
    /// 1.
    case one
    /// NaN: undefined, shown as such in reports.
    case undefined

    func divide(_ a: Double, _ b: Double) -> Double {
        if b != 0 { return a / b }
        switch self { case .zero: return 0; case .one: return 1; case .undefined: return .nan }
    }
}

/// Counts of true class (rows) against predicted class (columns) for classes `0..<classCount`.
public struct ConfusionMatrix: Sendable, Equatable {
    public let classCount: Int
    /// `counts[true][predicted]`.
    public private(set) var counts: [[Int]]

    /// An empty matrix.
    public init(classCount: Int) {
        precondition(classCount >= 1, "a confusion matrix needs at least one class")
        self.classCount = classCount
        counts = Array(repeating: Array(repeating: 0, count: classCount), count: classCount)
    }

    /// The matrix of paired true and predicted labels (each in `0..<classCount`).
    public init(truth: [Int], predicted: [Int], classCount: Int) {
        precondition(truth.count == predicted.count, "truth (\(truth.count)) and predictions (\(predicted.count)) differ in length")
        self.init(classCount: classCount)
        for (t, p) in zip(truth, predicted) { add(truth: t, predicted: p) }
    }

    /// Counts one more sample (the streaming form).
    public mutating func add(truth: Int, predicted: Int) {
        precondition((0..<classCount).contains(truth) && (0..<classCount).contains(predicted),
                     "labels must be in 0..<\(classCount), got \(truth) and \(predicted)")
        counts[truth][predicted] += 1
    }

    /// Merges another matrix of the same classes (shards, batches).
    public mutating func merge(_ other: ConfusionMatrix) {
        precondition(other.classCount == classCount, "class counts differ")
        for t in 0..<classCount { for p in 0..<classCount { counts[t][p] += other.counts[t][p] } }
    }

    public var total: Int { counts.reduce(0) { $0 + $1.reduce(0, +) } }
    /// Samples of each true class.
    public var support: [Int] { counts.map { $0.reduce(0, +) } }
    /// Samples predicted as each class.
    public var predictedTotals: [Int] { (0..<classCount).map { p in counts.reduce(0) { $0 + $1[p] } } }

    /// Rows divided by their sums (recall per class on the diagonal); empty rows follow `zeroDivision`.
    public func rowNormalized(zeroDivision: ZeroDivision = .zero) -> [[Double]] {
        counts.map { row in
            let sum = Double(row.reduce(0, +))
            return row.map { zeroDivision.divide(Double($0), sum) }
        }
    }

    /// Share of correct predictions; NaN for an empty matrix.
    public var accuracy: Double { total == 0 ? .nan : Double((0..<classCount).reduce(0) { $0 + counts[$1][$1] }) / Double(total) }
}
