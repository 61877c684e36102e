import CohortMetrics
import Foundation

/// Facts that let a reader trace every figure back to its inputs.
public struct Provenance: Sendable {
    /// `name: value` lines (inputs and their SHA-256, command line, seeds, versions...), in order.
    public var facts: [(String, String)]
    public init(facts: [(String, String)]) { self.facts = facts }
}

/// A whole evaluation: models (compared pairwise with DeLong's test when binary), training histories and
/// provenance, rendered as HTML, CSV, LaTeX and SVG. Rendering is deterministic.
public struct EvaluationReport: Sendable {
    public var title: String
    public var models: [ModelEvaluation]
    public var histories: [TrainingHistory]
    public var provenance: Provenance
    /// Per-partition summaries of the splits the models were evaluated on (from a catalog), shown with the dataset.
    public var splitTables: [Table] = []
    /// Segmentation models' agreement with the reference masks (their image scores are among `models`).
    public var segmentations: [SegmentationEvaluation] = []
    /// Pictures: best and worst masks, Grad-CAM galleries.
    public var galleries: [Gallery] = []

    public init(title: String, models: [ModelEvaluation], histories: [TrainingHistory] = [], provenance: Provenance) {
        self.title = title
        self.models = models
        self.histories = histories
        self.provenance = provenance
    }

    /// DeLong comparisons of every pair of binary models scored on the same samples (matched by id).
    public func comparisons() throws -> [(a: String, b: String, result: AUCComparison)] {
        var out: [(String, String, AUCComparison)] = []
        let binary = models.filter { $0.predictions.isBinary }
        for i in binary.indices {
            for j in binary.indices where j > i {
                let a = binary[i].predictions, b = binary[j].predictions
                let position = Dictionary(b.ids.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
                guard a.ids.allSatisfy({ position[$0] != nil }), a.ids.count == b.ids.count else {
                    throw ReportError(code: .mismatch, message: "models '\(a.name)' and '\(b.name)' do not score the same samples (ids differ); DeLong's test needs paired scores")
                }
                let bScores = a.ids.map { b.positiveScores[position[$0]!] }
                let bLabels = a.ids.map { b.labels[position[$0]!] }
                guard bLabels == a.labels else {
                    throw ReportError(code: .mismatch, message: "models '\(a.name)' and '\(b.name)' disagree on the true labels of the same ids")
                }
                if let c = AUCConfidence.compare(labels: a.labels, scoresA: a.positiveScores, scoresB: bScores) { out.append((a.name, b.name, c)) }
            }
        }
        return out
    }

    // MARK: Tables

    /// One row per model: sample count, AUC with both intervals, AP, accuracy, balanced accuracy, MCC, kappa,
    /// macro and weighted F1, Brier, ECE.
    public var summaryTable: Table {
        let header = ["model", "n", "AUC", "AUC 95% CI (DeLong)", "AUC 95% CI (bootstrap)", "AP", "accuracy",
                      "balanced accuracy", "MCC", "kappa", "macro F1", "weighted F1", "Brier", "ECE"]
        let rows = models.map { m -> [Table.Cell] in
            func n(_ v: Double?) -> Table.Cell { .number(v ?? .nan, digits: 3) }
            func interval(_ i: Interval?) -> Table.Cell { .text(i.map { "\(Format.fixed($0.lower)) to \(Format.fixed($0.upper))" } ?? "n/a") }
            let ap = m.predictions.isBinary ? m.prCurves.first?.averagePrecision : nil
            return [.text(m.predictions.name), .integer(m.predictions.labels.count), n(m.auc), interval(m.delong), interval(m.bootstrap),
                    n(ap), n(m.report.accuracy), n(m.balancedAccuracy), n(m.mcc), n(m.kappa), n(m.report.macro.f1),
                    n(m.report.weighted.f1), n(m.brier), n(m.ece)]
        }
        return Table(title: "Model summary", header: header, rows: rows)
    }

    /// Accuracy, balanced accuracy, macro and weighted F1 of every model with their 95% bootstrap intervals.
    public var decisionIntervalTable: Table {
        let rows = models.compactMap { m -> [Table.Cell]? in
            guard let d = m.decisionIntervals else { return nil }
            func pair(_ i: Interval) -> [Table.Cell] { [.number(i.estimate, digits: 3), .text("\(Format.fixed(i.lower)) to \(Format.fixed(i.upper))")] }
            return [.text(m.predictions.name), .integer(m.predictions.labels.count)] + pair(d.accuracy) + pair(d.balancedAccuracy)
                + pair(d.macroF1) + pair(d.weightedF1)
        }
        return Table(title: "Decisions with 95% bootstrap intervals",
                     header: ["model", "n", "accuracy", "95% CI", "balanced accuracy", "95% CI", "macro F1", "95% CI", "weighted F1", "95% CI"],
                     rows: rows)
    }

    /// Per-class precision, recall, F1 and support of every model, with macro, micro and weighted averages.
    public var perClassTable: Table {
        var rows: [[Table.Cell]] = []
        for m in models {
            let r = m.report
            for (k, s) in r.perClass.enumerated() {
                rows.append([.text(m.predictions.name), .text(m.predictions.classes[k]), .number(s.precision, digits: 3),
                             .number(s.recall, digits: 3), .number(s.f1, digits: 3), .integer(s.support)])
            }
            for (name, s) in [("macro avg", r.macro), ("micro avg", r.micro), ("weighted avg", r.weighted)] {
                rows.append([.text(m.predictions.name), .text(name), .number(s.precision, digits: 3), .number(s.recall, digits: 3),
                             .number(s.f1, digits: 3), .integer(s.support)])
            }
        }
        return Table(title: "Per-class precision, recall and F1", header: ["model", "class", "precision", "recall", "F1", "support"], rows: rows)
    }

    /// Binary models: sensitivity and specificity with Wilson intervals at the decision threshold, and the
    /// Youden-optimal threshold.
    public var operatingPointTable: Table {
        let rows = models.compactMap { m -> [Table.Cell]? in
            guard let op = m.operatingPoint else { return nil }
            func w(_ p: Proportion) -> Table.Cell { .text("\(Format.fixed(p.interval.estimate)) (\(Format.fixed(p.interval.lower)) to \(Format.fixed(p.interval.upper)))") }
            return [.text(m.predictions.name), .number(op.threshold, digits: 3), w(op.sensitivity), w(op.specificity),
                    .integer(op.truePositives), .integer(op.falsePositives), .integer(op.trueNegatives), .integer(op.falseNegatives),
                    .number(m.youden ?? .nan, digits: 3)]
        }
        return Table(title: "Operating points (95% Wilson intervals)",
                     header: ["model", "threshold", "sensitivity", "specificity", "TP", "FP", "TN", "FN", "Youden threshold"], rows: rows)
    }

    /// DeLong comparisons as a table.
    public func comparisonTable() throws -> Table {
        let rows = try comparisons().map { c -> [Table.Cell] in
            [.text(c.a), .text(c.b), .number(c.result.aucA, digits: 3), .number(c.result.aucB, digits: 3),
             .number(c.result.difference, digits: 3),
             .text("\(Format.fixed(c.result.differenceInterval.lower)) to \(Format.fixed(c.result.differenceInterval.upper))"),
             .number(c.result.z, digits: 2), .text(c.result.pValue < 0.0001 ? "<0.0001" : Format.fixed(c.result.pValue, 4))]
        }
        return Table(title: "Paired AUC comparison (DeLong et al. 1988)",
                     header: ["model A", "model B", "AUC A", "AUC B", "difference", "95% CI", "z", "p"], rows: rows)
    }

    /// Class counts of the evaluated samples (from the first model).
    public var datasetTable: Table {
        guard let p = models.first?.predictions else { return Table(title: "Dataset", header: [], rows: []) }
        let rows = p.classes.indices.map { k -> [Table.Cell] in
            let n = p.labels.filter { $0 == k }.count
            return [.text(p.classes[k]), .integer(n), .number(100 * Double(n) / Double(max(p.labels.count, 1)), digits: 1)]
        } + [[.text("all"), .integer(p.labels.count), .number(100, digits: 1)]]
        return Table(title: "Evaluated samples by class", header: ["class", "samples", "%"], rows: rows)
    }

    /// Confusion matrix of one model as a table.
    public func confusionTable(_ m: ModelEvaluation) -> Table {
        let classes = m.predictions.classes
        let rows = classes.indices.map { t in [.text(classes[t])] + m.confusion.counts[t].map { Table.Cell.integer($0) } }
        return Table(title: "Confusion matrix: \(m.predictions.name) (rows true, columns predicted)",
                     header: ["true \\ predicted"] + classes, rows: rows)
    }
}
