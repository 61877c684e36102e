import CohortMetrics
import CohortTestSupport
import Foundation
import XCTest

/// Values computed by scikit-learn (fixtures/metrics/generate_sklearn.py) for random cases with ties,
/// imbalance, a class never predicted and a single class.
final class ScikitLearnCrossCheckTests: XCTestCase {
    private struct Fixture: Decodable {
        var sklearn_version: String
        var cases: [Case]
    }

    private struct Case: Decodable {
        var name: String, kind: String
        var labels: [Int]
        var scores: [Double]?
        var probabilities: [[Double]]?
        var auc: Double?, ap: Double?, brier: Double?
        var roc: [String: [Double]]?, pr: [String: [Double]]?, calibration: [String: [Double]]?
        var auc_ovr_macro: Double?, auc_ovr_weighted: Double?
        var predicted: [Int], classes: Int
        var confusion: [[Int]]
        var precision: [Double], recall: [Double], f1: [Double], support: [Int]
        var macro: [Double], micro: [Double], weighted: [Double]
        var accuracy: Double, mcc: Double
        var kappa: Double?
        var balanced_accuracy: Double?
    }

    private func load() throws -> Fixture {
        let data = try Data(contentsOf: URL(fileURLWithPath: TestPaths.fixture("metrics/sklearn_cases.json")))
        return try JSONDecoder().decode(Fixture.self, from: data)
    }

    private func close(_ a: [Double], _ b: [Double], _ tolerance: Double, _ what: String) {
        XCTAssertEqual(a.count, b.count, "\(what): lengths")
        for (x, y) in zip(a, b) { XCTAssertEqual(x, y, accuracy: tolerance, what) }
    }

    func testBinaryMetricsMatchScikitLearn() throws {
        for c in try load().cases where c.kind == "binary" {
            let scores = c.scores!
            if let expected = c.auc {
                XCTAssertEqual(try XCTUnwrap(ROC.auc(labels: c.labels, scores: scores)), expected, accuracy: 1e-9, c.name)
                let curve = try XCTUnwrap(ROC.curve(labels: c.labels, scores: scores))
                close(curve.falsePositiveRates, c.roc!["fpr"]!, 1e-12, "\(c.name) fpr")
                close(curve.truePositiveRates, c.roc!["tpr"]!, 1e-12, "\(c.name) tpr")
                close(Array(curve.thresholds.dropFirst()), c.roc!["thresholds"]!, 1e-12, "\(c.name) thresholds")
                XCTAssertEqual(try XCTUnwrap(PrecisionRecall.averagePrecision(labels: c.labels, scores: scores)), c.ap!, accuracy: 1e-9, c.name)
                let pr = try XCTUnwrap(PrecisionRecall.curve(labels: c.labels, scores: scores))
                close(pr.precisions, c.pr!["precision"]!, 1e-12, "\(c.name) precision")
                close(pr.recalls, c.pr!["recall"]!, 1e-12, "\(c.name) recall")
                close(pr.thresholds, c.pr!["thresholds"]!, 1e-12, "\(c.name) pr thresholds")
                XCTAssertEqual(Calibration.brierScore(labels: c.labels, probabilities: scores), c.brier!, accuracy: 1e-12, c.name)
                let bins = Calibration.reliability(labels: c.labels, probabilities: scores)
                close(bins.map(\.observed), c.calibration!["observed"]!, 1e-12, "\(c.name) calibration")
                close(bins.map(\.meanPredicted), c.calibration!["predicted"]!, 1e-12, "\(c.name) calibration")
            } else {
                XCTAssertNil(ROC.auc(labels: c.labels, scores: scores), "\(c.name): AUC is undefined with one class")
                XCTAssertNil(AUCConfidence.delong(labels: c.labels, scores: scores))
            }
            try checkClassification(c)
        }
    }

    func testMultiClassMetricsMatchScikitLearn() throws {
        for c in try load().cases where c.kind == "multiclass" {
            let p = c.probabilities!
            XCTAssertEqual(try XCTUnwrap(ROC.oneVsRestAUC(labels: c.labels, probabilities: p, weighted: false)), c.auc_ovr_macro!, accuracy: 1e-9, c.name)
            XCTAssertEqual(try XCTUnwrap(ROC.oneVsRestAUC(labels: c.labels, probabilities: p, weighted: true)), c.auc_ovr_weighted!, accuracy: 1e-9, c.name)
            try checkClassification(c)
        }
    }

    private func checkClassification(_ c: Case) throws {
        let m = ConfusionMatrix(truth: c.labels, predicted: c.predicted, classCount: c.classes)
        XCTAssertEqual(m.counts, c.confusion, "\(c.name): confusion matrices match exactly")
        let report = ClassificationReport(m, zeroDivision: .zero)
        close(report.perClass.map(\.precision), c.precision, 1e-12, "\(c.name) precision")
        close(report.perClass.map(\.recall), c.recall, 1e-12, "\(c.name) recall")
        close(report.perClass.map(\.f1), c.f1, 1e-12, "\(c.name) f1")
        XCTAssertEqual(report.perClass.map(\.support), c.support)
        for (mine, theirs, name) in [(report.macro, c.macro, "macro"), (report.micro, c.micro, "micro"), (report.weighted, c.weighted, "weighted")] {
            close([mine.precision, mine.recall, mine.f1], theirs, 1e-12, "\(c.name) \(name)")
        }
        XCTAssertEqual(report.accuracy, c.accuracy, accuracy: 1e-12)
        XCTAssertEqual(Agreement.matthews(m), c.mcc, accuracy: 1e-12, c.name)
        if let kappa = c.kappa { XCTAssertEqual(Agreement.cohensKappa(m), kappa, accuracy: 1e-12, c.name) }
        if let balanced = c.balanced_accuracy { XCTAssertEqual(Agreement.balancedAccuracy(m), balanced, accuracy: 1e-12, c.name) }
    }
}
