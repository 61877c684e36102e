import CohortMetrics
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
        let model = ModelEvaluation(try Predictions.load(csv: TestPaths.fixture("reports/multiclass.csv"), name: "cnn", columns: columns), resamples: 100, seed: 1)
        return EvaluationReport(title: "Synthetic three-class evaluation", models: [model], provenance: Provenance(facts: []))
    }

    /// The binary report with a segmentation model's per-image agreement and a gallery of two pictures.
    private func segmentationReport() throws -> EvaluationReport {
        var report = try binaryReport()
        report.title = "Synthetic segmentation evaluation"
        let scores = [(0.91, 1.5), (0.74, 4.0), (0.32, 20.5), (0.0, nil), (1.0, 0.0)].enumerated().map { k, value -> (id: String, scores: SegmentationScores) in
            let (dice, hd) = value
            let reference = k == 4 ? 0 : 100 + 10 * k
            return ("case-\(k).png", SegmentationScores(dice: dice, iou: dice / (2 - dice), sensitivity: reference > 0 ? dice : nil,
                                                     precision: dice > 0 ? dice : nil, hausdorff95: hd, averageSurfaceDistance: hd.map { $0 / 3 },
                                                     referencePixels: reference, predictedPixels: dice > 0 || k == 4 ? reference : 80))
        }
        let groups = [["pathology: benign"], ["pathology: malignant", "mask label: mass"], ["pathology: malignant"], ["pathology: benign"], ["pathology: normal"]]
        report.segmentations = [SegmentationEvaluation(name: "unet", images: scores, distanceUnit: "mm", resamples: 100, seed: 2, groups: groups)]
        report.galleries = [Gallery(title: "Segmentation: best and worst cases (unet)", note: "outlines",
                                    pictures: [Picture(caption: "best: case-0.png <b>", png: [0x89, 0x50, 0x4E, 0x47, 1, 2, 3]),
                                               Picture(caption: "worst: case-3.png", png: [0x89, 0x50, 0x4E, 0x47, 4])])]
        return report
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

    func testTheSegmentationReportMatchesItsGoldenFiles() throws {
        let report = try segmentationReport()
        try check(report, prefix: "segmentation")
        let html = try ReportRenderer(report).files().first { $0.path == "report.html" }!.content
        XCTAssertTrue(html.contains("best: case-0.png &lt;b&gt;"), "captions are escaped")
        XCTAssertTrue(html.contains("data:image/png;base64,iVBORwECAw=="), "pictures are embedded")
        XCTAssertEqual(ReportRenderer(report).pictureFiles().map(\.path), ["figures/gallery-1-1.png", "figures/gallery-1-2.png"])
        let lesion = report.segmentations[0].lesionSummary.first { $0.name == "dice" }!
        XCTAssertEqual(lesion.mean!, (0.91 + 0.74 + 0.32 + 0.0) / 4, accuracy: 1e-12, "the image without a lesion is not in the lesion summary")
        XCTAssertEqual(report.segmentations[0].allSummary.first { $0.name == "hd95" }!.undefined, 1)
    }

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
