import CohortReport
import CohortTestSupport
import Foundation
import XCTest

/// Golden files for every generated artifact. Record new goldens with `COHORT_RECORD_GOLDEN=1 swift test`
/// and review the diff.
final class ReportGoldenTests: XCTestCase {
    private var goldenFolder: String { TestPaths.packageRoot.appendingPathComponent("Tests/CohortReportTests/Golden").path }
    private var recording: Bool { ProcessInfo.processInfo.environment["COHORT_RECORD_GOLDEN"] == "1" }

    private func binaryReport() throws -> EvaluationReport {
        var columns = PredictionColumns()
        columns.score = "p_malignant"
        columns.positive = "malignant"
        let models = try ["model_a", "model_b"].map { name in
            ModelEvaluation(try Predictions.load(csv: TestPaths.fixture("reports/\(name).csv"), name: name, columns: columns), resamples: 200, seed: 1)
        }
        let history = try TrainingHistory.load(csv: TestPaths.fixture("reports/history.csv"), name: "model_a")
        return EvaluationReport(title: "Synthetic binary evaluation", models: models, histories: [history],
                                provenance: Provenance(facts: [("inputs", "fixtures/reports")]))
    }

    private func multiclassReport() throws -> EvaluationReport {
        var columns = PredictionColumns()
        columns.probabilities = ["p_benign", "p_malignant", "p_normal"]
        let model = ModelEvaluation(try Predictions.load(csv: TestPaths.fixture("reports/multiclass.csv"), name: "cnn", columns: columns), resamples: 0)
        return EvaluationReport(title: "Synthetic three-class evaluation", models: [model], provenance: Provenance(facts: []))
    }

    private func check(_ report: EvaluationReport, prefix: String) throws {
        var renderer = ReportRenderer(report)
        renderer.bandResamples = 50
        renderer.seed = 1
        for file in try renderer.files() {
            let golden = goldenFolder + "/" + prefix + "/" + file.path
            if recording {
                try FileManager.default.createDirectory(atPath: (golden as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                try file.content.write(toFile: golden, atomically: true, encoding: .utf8)
                continue
            }
            let expected = try String(contentsOfFile: golden, encoding: .utf8)
            XCTAssertTrue(file.content == expected, "\(prefix)/\(file.path) differs from its golden file (COHORT_RECORD_GOLDEN=1 to update)")
        }
    }

    func testTheBinaryReportMatchesItsGoldenFiles() throws { try check(try binaryReport(), prefix: "binary") }

    func testTheMultiClassReportMatchesItsGoldenFiles() throws { try check(try multiclassReport(), prefix: "multiclass") }

    func testRenderingTwiceGivesTheSameBytes() throws {
        let a = try ReportRenderer(try binaryReport()).files(), b = try ReportRenderer(try binaryReport()).files()
        XCTAssertEqual(a.map(\.content), b.map(\.content))
    }

    func testTheHTMLIsSelfContained() throws {
        let html = try ReportRenderer(try binaryReport()).files().first { $0.path == "report.html" }!.content
        XCTAssertFalse(html.contains("<script"), "no scripts")
        XCTAssertFalse(html.contains("src=\"http") || html.contains("href=\"http"), "no external assets")
        XCTAssertEqual(html.components(separatedBy: "<svg ").count - 1, 7, "ROC, PR, calibration, 2 confusion matrices, loss and accuracy, inline")
    }
}
