import CohortMetrics

/// Every metric of one model's predictions, computed once for all output formats.
public struct ModelEvaluation: Sendable {
    public var predictions: Predictions
    /// Binary: AUC with DeLong and bootstrap intervals; multi-class: one-vs-rest macro AUC (no interval).
    public var auc: Double?
    public var aucWeighted: Double?
    public var delong: Interval?, bootstrap: Interval?
    /// ROC curves: binary one curve; multi-class one-vs-rest per class.
    public var rocCurves: [(name: String, curve: ROCCurve)]
    public var prCurves: [(name: String, curve: PrecisionRecallCurve, averagePrecision: Double)]
    public var confusion: ConfusionMatrix
    public var report: ClassificationReport
    public var balancedAccuracy: Double, mcc: Double, kappa: Double
    /// Binary only: operating point at `threshold`, Youden threshold, calibration.
    public var threshold: Double?
    public var operatingPoint: OperatingPoint?
    public var youden: Double?
    public var calibration: [Calibration.Bin]?
    public var brier: Double?, ece: Double?
    /// Accuracy, balanced accuracy, macro and weighted F1 with percentile bootstrap intervals (resampled within each
    /// true class); nil without resamples.
    public var decisionIntervals: DecisionBootstrap.Intervals?

    /// Evaluates `predictions`: decisions at `threshold` (binary) or by the highest score (multi-class);
    /// bootstrap intervals from `resamples` resamples seeded by `seed`.
    public init(_ p: Predictions, threshold: Double = 0.5, resamples: Int = 1000, seed: UInt64 = 0) {
        predictions = p
        let k = p.classes.count
        let predicted: [Int]
        if p.isBinary {
            let s = p.positiveScores
            auc = ROC.auc(labels: p.labels, scores: s)
            delong = AUCConfidence.delong(labels: p.labels, scores: s)
            bootstrap = resamples > 0 ? AUCConfidence.bootstrap(labels: p.labels, scores: s, resamples: resamples, seed: seed) : nil
            rocCurves = ROC.curve(labels: p.labels, scores: s).map { [(p.name, $0)] } ?? []
            prCurves = PrecisionRecall.curve(labels: p.labels, scores: s).map {
                [(p.name, $0, PrecisionRecall.averagePrecision(labels: p.labels, scores: s) ?? .nan)]
            } ?? []
            self.threshold = threshold
            operatingPoint = OperatingPoint(labels: p.labels, scores: s, threshold: threshold)
            youden = Thresholds.youden(labels: p.labels, scores: s)
            let probabilities = s.allSatisfy { $0 >= 0 && $0 <= 1 }
            calibration = probabilities ? Calibration.reliability(labels: p.labels, probabilities: s) : nil
            brier = probabilities ? Calibration.brierScore(labels: p.labels, probabilities: s) : nil
            ece = probabilities ? Calibration.expectedCalibrationError(labels: p.labels, probabilities: s) : nil
            predicted = s.map { $0 >= threshold ? 1 : 0 }
        } else {
            auc = ROC.oneVsRestAUC(labels: p.labels, probabilities: p.scores, weighted: false)
            aucWeighted = ROC.oneVsRestAUC(labels: p.labels, probabilities: p.scores, weighted: true)
            rocCurves = (0..<k).compactMap { c in
                ROC.curve(labels: p.labels.map { $0 == c ? 1 : 0 }, scores: p.scores.map { $0[c] }).map { ("\(p.name): \(p.classes[c])", $0) }
            }
            prCurves = (0..<k).compactMap { c in
                let binary = p.labels.map { $0 == c ? 1 : 0 }, scores = p.scores.map { $0[c] }
                return PrecisionRecall.curve(labels: binary, scores: scores).map {
                    ("\(p.name): \(p.classes[c])", $0, PrecisionRecall.averagePrecision(labels: binary, scores: scores) ?? .nan)
                }
            }
            predicted = p.scores.map { row in row.indices.max { row[$0] < row[$1] } ?? 0 }
        }
        confusion = ConfusionMatrix(truth: p.labels, predicted: predicted, classCount: p.isBinary ? 2 : k)
        decisionIntervals = DecisionBootstrap.intervals(truth: p.labels, predicted: predicted, classCount: confusion.classCount,
                                                        resamples: resamples, seed: seed)
        report = ClassificationReport(confusion, zeroDivision: .zero)
        balancedAccuracy = Agreement.balancedAccuracy(confusion)
        mcc = Agreement.matthews(confusion)
        kappa = Agreement.cohensKappa(confusion)
    }
}
