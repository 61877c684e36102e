import CohortMetrics
import Foundation

/// Renders an ``EvaluationReport`` into files: `report.html` (self-contained, inline SVG), one CSV per table,
/// `tables.tex` (booktabs) and standalone SVG figures under `figures/`.
public struct ReportRenderer {
    public let report: EvaluationReport
    /// Resamples and seed of the ROC confidence bands.
    public var bandResamples = 200, seed: UInt64 = 0

    public init(_ report: EvaluationReport) { self.report = report }

    /// The charts, by file name.
    public func figures() -> [(name: String, svg: String)] {
        var figures: [(String, String)] = []
        let models = report.models
        var roc = LineChart(title: "ROC curves", xLabel: "false positive rate", yLabel: "true positive rate",
                            series: models.flatMap { m in m.rocCurves.map { c in
                                let auc = m.predictions.isBinary ? " (AUC \(Format.fixed(m.auc ?? .nan)))" : ""
                                return LineChart.Series(name: c.name + auc,
                                                        points: zip(c.curve.falsePositiveRates, c.curve.truePositiveRates).map { ($0, $1) },
                                                        band: band(m).map { b in b.falsePositiveRates.indices.map { (b.falsePositiveRates[$0], b.lower[$0], b.upper[$0]) } })
                            } })
        roc.diagonal = true
        figures.append(("roc.svg", roc.svg))
        let pr = LineChart(title: "Precision-recall curves", xLabel: "recall", yLabel: "precision",
                           series: models.flatMap { m in m.prCurves.map { c in
                               LineChart.Series(name: "\(c.name) (AP \(Format.fixed(c.averagePrecision)))",
                                                points: zip(c.curve.recalls, c.curve.precisions).map { ($0, $1) })
                           } })
        figures.append(("pr.svg", pr.svg))
        let calibrated = models.filter { $0.calibration != nil }
        if !calibrated.isEmpty {
            var calibration = LineChart(title: "Calibration (reliability)", xLabel: "mean predicted probability", yLabel: "observed frequency",
                                        series: calibrated.map { m in
                                            LineChart.Series(name: "\(m.predictions.name) (ECE \(Format.fixed(m.ece ?? .nan)))",
                                                             points: m.calibration!.map { ($0.meanPredicted, $0.observed) })
                                        })
            calibration.diagonal = true
            figures.append(("calibration.svg", calibration.svg))
        }
        for (i, m) in models.enumerated() {
            figures.append(("confusion-\(i + 1).svg", Heatmap(title: "Confusion matrix: \(m.predictions.name)", classes: m.predictions.classes,
                                                              counts: m.confusion.counts).svg))
        }
        figures += historyFigures()
        if !report.segmentations.isEmpty {
            // The empirical distribution of per-image Dice on images with a lesion: one step curve per model.
            let series = report.segmentations.map { s -> LineChart.Series in
                let dice = s.images.filter { $0.scores.referencePixels > 0 }.map(\.scores.dice).sorted()
                var points: [(x: Double, y: Double)] = [(0, 0)]
                for (k, d) in dice.enumerated() { points += [(d, Double(k) / Double(dice.count)), (d, Double(k + 1) / Double(dice.count))] }
                points.append((1, 1))
                return LineChart.Series(name: "\(s.name) (median \(Format.fixed(s.lesionSummary.first?.median ?? .nan)))", points: points)
            }
            figures.append(("dice.svg", LineChart(title: "Dice per image (images with a lesion)", xLabel: "Dice",
                                                  yLabel: "fraction of images with Dice at most x", series: series).svg))
        }
        return figures
    }

    private func band(_ m: ModelEvaluation) -> ROCBand? {
        guard m.predictions.isBinary, bandResamples > 1 else { return nil }
        return ROCBand.bootstrap(labels: m.predictions.labels, scores: m.predictions.positiveScores, resamples: bandResamples, seed: seed)
    }

    private func historyFigures() -> [(name: String, svg: String)] {
        guard !report.histories.isEmpty else { return [] }
        func series(_ value: (TrainingHistory.Row) -> Double?) -> [LineChart.Series] {
            report.histories.flatMap { h in ["train", "validation"].compactMap { phase -> LineChart.Series? in
                let points = h.rows.filter { $0.phase == phase }.compactMap { r in value(r).map { (Double(r.epoch), $0) } }
                return points.isEmpty ? nil : LineChart.Series(name: "\(h.name) \(phase)", points: points, dashed: phase == "validation")
            } }
        }
        let epochs = Double(report.histories.flatMap { $0.rows.map(\.epoch) }.max() ?? 1)
        let losses = report.histories.flatMap { $0.rows.map(\.loss) }.filter { $0 > 0 }
        let low = pow(10, floor(log10(losses.min() ?? 0.01))), high = pow(10, ceil(log10(losses.max() ?? 1)))
        var loss = LineChart(title: "Training loss", xLabel: "epoch", yLabel: "loss (log scale)", series: series { $0.loss },
                             xRange: 1...max(epochs, 2), yRange: low...max(high, low * 10))
        loss.logY = true
        let accuracy = LineChart(title: "Training accuracy", xLabel: "epoch", yLabel: "accuracy", series: series { $0.accuracy },
                                 xRange: 1...max(epochs, 2))
        return [("loss.svg", loss.svg), ("accuracy.svg", accuracy.svg)]
    }

    /// All tables, by CSV file name.
    public func tables() throws -> [(name: String, table: Table)] {
        var tables = [("dataset.csv", report.datasetTable)]
        tables += report.splitTables.enumerated().map { ("split-\($0.offset + 1).csv", $0.element) }
        tables += [("summary.csv", report.summaryTable)]
        if report.models.contains(where: { $0.decisionIntervals != nil }) { tables.append(("intervals.csv", report.decisionIntervalTable)) }
        tables.append(("per_class.csv", report.perClassTable))
        if report.models.contains(where: { $0.operatingPoint != nil }) { tables.append(("operating_points.csv", report.operatingPointTable)) }
        if !report.segmentations.isEmpty { tables.append(("segmentation.csv", report.segmentationTable)) }
        let comparison = try report.comparisonTable()
        if !comparison.rows.isEmpty { tables.append(("comparisons.csv", comparison)) }
        for (i, m) in report.models.enumerated() { tables.append(("confusion-\(i + 1).csv", report.confusionTable(m))) }
        return tables
    }

    /// Every output file: relative path and content.
    public func files() throws -> [(path: String, content: String)] {
        let tables = try tables(), figures = figures()
        var files: [(String, String)] = [("report.html", html(tables: tables, figures: figures))]
        files += tables.map { ($0.name, $0.table.csv) }
        files.append(("tables.tex", "% Generated by Cohort \(Escaping.latex(CohortReportVersion.string)); needs \\usepackage{booktabs}\n" +
                                    tables.map { $0.table.latex }.joined(separator: "\n")))
        files += figures.map { ("figures/" + $0.name, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + $0.svg) }
        return files
    }

    /// The file of picture `picture` (0-based) of gallery `gallery` (0-based).
    static func picturePath(gallery: Int, picture: Int) -> String { "figures/gallery-\(gallery + 1)-\(picture + 1).png" }

    /// The gallery pictures as files: `figures/gallery-G-P.png`.
    public func pictureFiles() -> [(path: String, png: [UInt8])] {
        report.galleries.enumerated().flatMap { g, gallery in
            gallery.pictures.enumerated().map { (Self.picturePath(gallery: g, picture: $0.offset), $0.element.png) }
        }
    }

    /// Writes the files under `folder` (created), each atomically.
    public func write(to folder: String) throws -> [String] {
        let files = try files(), pictures = pictureFiles()
        do {
            try FileManager.default.createDirectory(atPath: folder + "/figures", withIntermediateDirectories: true)
            for file in files { try Data(file.content.utf8).write(to: URL(fileURLWithPath: folder + "/" + file.path), options: .atomic) }
            for picture in pictures { try Data(picture.png).write(to: URL(fileURLWithPath: folder + "/" + picture.path), options: .atomic) }
        } catch {
            throw ReportError(code: .output, message: "cannot write the report (\(error.localizedDescription))", path: folder)
        }
        return files.map(\.path) + pictures.map(\.path)
    }
}

/// The version string written into reports.
enum CohortReportVersion { static let string = "Cohort " + CohortVersionText.value }
