import CohortCore
import CohortMetrics
import XCTest

/// Properties every metric in the registry must have, on random binary cases.
final class MetricPropertyTests: XCTestCase {
    /// A metric of binary labels and scores in [0, 1], with its declared range and undefined behaviour.
    struct Metric {
        var name: String
        var range: ClosedRange<Double>
        /// Value on a perfect prediction (scores equal to the labels).
        var perfect: Double
        var compute: ([Int], [Double]) -> Double?
    }

    static func decisions(_ scores: [Double]) -> [Int] { scores.map { $0 >= 0.5 ? 1 : 0 } }
    static func matrix(_ labels: [Int], _ scores: [Double]) -> ConfusionMatrix {
        ConfusionMatrix(truth: labels, predicted: decisions(scores), classCount: 2)
    }

    let registry: [Metric] = [
        Metric(name: "auc", range: 0...1, perfect: 1) { ROC.auc(labels: $0, scores: $1) },
        Metric(name: "average precision", range: 0...1, perfect: 1) { PrecisionRecall.averagePrecision(labels: $0, scores: $1) },
        Metric(name: "brier", range: 0...1, perfect: 0) { Calibration.brierScore(labels: $0, probabilities: $1) },
        Metric(name: "ece", range: 0...1, perfect: 0) { Calibration.expectedCalibrationError(labels: $0, probabilities: $1) },
        Metric(name: "accuracy", range: 0...1, perfect: 1) { matrix($0, $1).accuracy },
        Metric(name: "balanced accuracy", range: 0...1, perfect: 1) { Agreement.balancedAccuracy(matrix($0, $1)) },
        Metric(name: "mcc", range: -1...1, perfect: 1) { Agreement.matthews(matrix($0, $1)) },
        Metric(name: "kappa", range: -1...1, perfect: 1) { Agreement.cohensKappa(matrix($0, $1)) },
        Metric(name: "macro f1", range: 0...1, perfect: 1) { ClassificationReport(matrix($0, $1)).macro.f1 },
        Metric(name: "weighted recall", range: 0...1, perfect: 1) { ClassificationReport(matrix($0, $1)).weighted.recall },
        Metric(name: "delong lower", range: 0...1, perfect: 1) { AUCConfidence.delong(labels: $0, scores: $1)?.lower },
    ]

    private func randomCase(_ generator: inout SeededGenerator, n: Int) -> ([Int], [Double]) {
        var labels = (0..<n).map { _ in generator.nextUnit() < 0.3 ? 1 : 0 }
        labels[0] = 1
        labels[1] = 0
        let scores = labels.map { l in min(1, max(0, (generator.nextUnit() * 10).rounded() / 10 * 0.7 + Double(l) * 0.3 * generator.nextUnit())) }
        return (labels, scores)
    }

    func testEveryMetricStaysWithinItsBoundsAndIgnoresSampleOrder() {
        var generator = SeededGenerator(seed: 1)
        for _ in 0..<50 {
            let (labels, scores) = randomCase(&generator, n: 5 + Int(generator.next() % 200))
            var order = Array(labels.indices)
            order.shuffle(using: &generator)
            for metric in registry {
                guard let value = metric.compute(labels, scores) else { XCTFail("\(metric.name) undefined on two classes"); continue }
                XCTAssertTrue(metric.range.contains(value), "\(metric.name) = \(value)")
                let shuffled = metric.compute(order.map { labels[$0] }, order.map { scores[$0] })!
                XCTAssertEqual(shuffled, value, accuracy: 1e-12, "\(metric.name) depends on sample order")
            }
        }
    }

    func testEveryMetricReachesItsPerfectValueOnAPerfectPrediction() {
        let labels = [1, 0, 0, 1, 1, 0, 0, 0]
        let scores = labels.map(Double.init)
        for metric in registry {
            XCTAssertEqual(metric.compute(labels, scores) ?? .nan, metric.perfect, accuracy: 1e-12, metric.name)
        }
    }

    func testAUCIsSymmetricAndUndefinedWithOneClass() {
        var generator = SeededGenerator(seed: 2)
        for _ in 0..<20 {
            let (labels, scores) = randomCase(&generator, n: 60)
            let auc = ROC.auc(labels: labels, scores: scores)!
            XCTAssertEqual(ROC.auc(labels: labels, scores: scores.map { -$0 })!, 1 - auc, accuracy: 1e-12)
            XCTAssertEqual(ROC.auc(labels: labels.map { 1 - $0 }, scores: scores.map { -$0 })!, auc, accuracy: 1e-12)
            XCTAssertEqual(ROC.auc(labels: labels, scores: scores.map { 3 * $0 + 1 })!, auc, accuracy: 1e-12, "monotone transforms keep AUC")
        }
        XCTAssertNil(ROC.auc(labels: [0, 0, 0], scores: [0.1, 0.2, 0.3]))
        XCTAssertNil(PrecisionRecall.averagePrecision(labels: [0, 0], scores: [0.1, 0.2]))
        XCTAssertEqual(ROC.auc(labels: [1, 0, 1, 0], scores: [0.5, 0.5, 0.5, 0.5]), 0.5, "all ties give one half")
    }

    func testConfusionMetricsDoNotDependOnClassNames() {
        let truth = [0, 1, 2, 2, 1, 0, 2, 1, 1, 0, 2]
        let predicted = [0, 2, 2, 1, 1, 0, 2, 0, 1, 1, 2]
        let relabel = [2, 0, 1]
        let a = ConfusionMatrix(truth: truth, predicted: predicted, classCount: 3)
        let b = ConfusionMatrix(truth: truth.map { relabel[$0] }, predicted: predicted.map { relabel[$0] }, classCount: 3)
        XCTAssertEqual(a.accuracy, b.accuracy)
        XCTAssertEqual(Agreement.matthews(a), Agreement.matthews(b), accuracy: 1e-12)
        XCTAssertEqual(Agreement.cohensKappa(a), Agreement.cohensKappa(b), accuracy: 1e-12)
        XCTAssertEqual(ClassificationReport(a).macro.f1, ClassificationReport(b).macro.f1, accuracy: 1e-12)
        XCTAssertEqual(ClassificationReport(a).weighted.f1, ClassificationReport(b).weighted.f1, accuracy: 1e-12)
    }

    func testZeroDivisionPolicyIsExplicit() {
        // Class 2 is never predicted and never true: its precision and recall have zero denominators.
        let m = ConfusionMatrix(truth: [0, 1, 0], predicted: [0, 1, 1], classCount: 3)
        XCTAssertEqual(ClassificationReport(m, zeroDivision: .zero).perClass[2].precision, 0)
        XCTAssertEqual(ClassificationReport(m, zeroDivision: .one).perClass[2].recall, 1)
        XCTAssertTrue(ClassificationReport(m, zeroDivision: .undefined).perClass[2].f1.isNaN)
        XCTAssertTrue(Agreement.cohensKappa(ConfusionMatrix(truth: [1, 1], predicted: [1, 1], classCount: 2)).isNaN,
                      "kappa is undefined when chance agreement is 1")
    }
}
