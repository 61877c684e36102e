import ArgumentParser
import CohortCatalog
import CohortMetrics
import CohortReport
import Foundation

/// Options shared by `cohort evaluate` and `cohort report`: where predictions come from and how to read them.
struct EvaluationOptions: ParsableArguments {
    @Argument(help: ArgumentHelp("Prediction CSV files, as NAME=FILE or FILE (named after the file).", valueName: "predictions"))
    var predictions: [String] = []
    @Option(name: .customLong("run"), help: ArgumentHelp("""
        A scoring run in the catalog (its name, id, or a training run's name for its latest scoring), as NAME=RUN or RUN; \
        repeatable. Brings the split's partitions, the training history and the run's provenance into the report.
        """, valueName: "run"))
    var runs: [String] = []
    @Option(help: "Catalog holding the --run runs.") var catalog: String = Catalog.defaultPath
    @Option(help: "Column of true labels.") var labelColumn = "label"
    @Option(help: "Binary problems: column of the positive class's score.") var scoreColumn: String?
    @Option(help: ArgumentHelp("Multi-class problems: probability columns, comma-separated (p_NAME gives class NAME).", valueName: "c1,c2,..."))
    var probabilityColumns: String?
    @Option(help: "Binary problems: the label value of the positive class (default 1).") var positive: String?
    @Option(help: "Column identifying samples, to pair models (default: id when present, else row order).") var idColumn: String?
    @Option(help: "Binary decision threshold on the score.") var threshold = 0.5
    @Option(help: "Bootstrap resamples for AUC intervals (0 skips the bootstrap).") var resamples = 1000
    @Option(help: "Seed of the bootstrap and the ROC bands.") var seed: UInt64 = 0
    @Option(name: .customLong("history"), help: ArgumentHelp("Training history CSV (epoch, phase, loss, accuracy) as NAME=FILE; repeatable.", valueName: "history"))
    var histories: [String] = []
    @Option(help: "Report title.") var title = "Evaluation"
    @Option(help: "Catalog runs: pictures per kind in the report (best/worst masks, Grad-CAM true/false positives); 0 for none.")
    var pictures = 3

    static func split(_ argument: String) -> (String, String) {
        if let eq = argument.firstIndex(of: "="), !argument[..<eq].contains("/") {
            return (String(argument[..<eq]), String(argument[argument.index(after: eq)...]))
        }
        return (((argument as NSString).lastPathComponent as NSString).deletingPathExtension, argument)
    }

    func report() throws -> EvaluationReport {
        var columns = PredictionColumns()
        columns.label = labelColumn
        columns.score = scoreColumn
        columns.probabilities = probabilityColumns?.split(separator: ",").map { String($0) } ?? []
        columns.positive = positive
        columns.id = idColumn
        guard !predictions.isEmpty || !runs.isEmpty else {
            throw ValidationError("give prediction CSV files, or --run NAME with --catalog (see cohort evaluate --help)")
        }
        if !predictions.isEmpty && scoreColumn == nil && columns.probabilities.isEmpty {
            throw ValidationError("give --score-column (binary) or --probability-columns (multi-class) for the CSV files")
        }
        var models = try predictions.map { argument -> ModelEvaluation in
            let (name, path) = Self.split(argument)
            return ModelEvaluation(try Predictions.load(csv: path, name: name, columns: columns), threshold: threshold,
                                   resamples: resamples, seed: seed)
        }
        var loadedHistories = try histories.map { argument -> TrainingHistory in
            let (name, path) = Self.split(argument)
            return try TrainingHistory.load(csv: path, name: name)
        }
        var facts: [(String, String)] = models.map { m in
            ("predictions: \(m.predictions.name)", "\(m.predictions.source ?? "") sha256 \(m.predictions.sourceSha256 ?? "")")
        }
        var splitTables: [Table] = [], segmentations: [SegmentationEvaluation] = [], galleries: [Gallery] = []
        if !runs.isEmpty {
            guard FileManager.default.fileExists(atPath: catalog) else {
                throw ValidationError("no catalog at \(catalog); give --catalog PATH")
            }
            let source = CatalogEvaluation(catalog: try Catalog(path: catalog))
            facts.append(("catalog", (catalog as NSString).standardizingPath))
            var splitsSeen: Set<String> = []
            for argument in runs {
                let explicit = argument.firstIndex(of: "=").map { (String(argument[..<$0]), String(argument[argument.index(after: $0)...])) }
                let run = try source.scoringRun(explicit?.1 ?? argument)
                let name = explicit?.0 ?? run.settings["training_run_name"] ?? run.name
                let (loaded, unlabelled) = try source.predictions(run: run, name: name, positive: positive)
                if unlabelled > 0 { FileHandle.standardError.write(Data("note: \(name): \(unlabelled) unlabelled image(s) left out\n".utf8)) }
                models.append(ModelEvaluation(loaded, threshold: threshold, resamples: resamples, seed: seed))
                let training = source.trainingRun(behind: run)
                if histories.isEmpty, let training, let history = try source.history(of: training, name: name) { loadedHistories.append(history) }
                facts += source.provenance(of: run, training: training, name: name)
                if let segmentation = try source.segmentation(run: run, name: name, resamples: resamples, seed: seed) {
                    segmentations.append(segmentation)
                }
                if pictures > 0 {
                    let gallery = try ReportPictures.maskGallery(catalog: source.catalog, run: run, name: name, count: pictures)
                        ?? ReportPictures.explanationGallery(catalog: source.catalog, run: run, name: name, count: pictures, positive: positive)
                    if let gallery { galleries.append(gallery) }
                }
                if let split = run.split, splitsSeen.insert(split).inserted {
                    let (table, identity) = try source.splitTable(split)
                    splitTables.append(table)
                    facts.append(("split", identity))
                }
            }
        }
        facts += [("threshold", Format.fixed(threshold, 3)), ("bootstrap", "\(resamples) resamples, seed \(seed)"),
                  ("command", (["cohort"] + CommandLine.arguments.dropFirst()).joined(separator: " "))]
        var report = EvaluationReport(title: title, models: models, histories: loadedHistories, provenance: Provenance(facts: facts))
        report.splitTables = splitTables
        (report.segmentations, report.galleries) = (segmentations, galleries)
        return report
    }
}

/// `cohort evaluate`: metrics with confidence intervals on the terminal.
struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Metrics with confidence intervals for one or more models' predictions (CSV).",
        discussion: """
            Binary problems give AUC with DeLong and bootstrap 95% intervals, average precision, sensitivity and \
            specificity with Wilson intervals at the threshold, the Youden threshold, calibration and a DeLong \
            test between every pair of models (paired by the id column). Multi-class problems give one-vs-rest \
            AUC and per-class precision, recall and F1 with macro, micro and weighted averages.

            Examples:
              cohort evaluate cnn=cnn.csv resnet=resnet.csv --score-column p_malignant --positive malignant
              cohort evaluate preds.csv --probability-columns p_benign,p_malignant,p_normal --out report/
              cohort evaluate --catalog catalogs/busi.sqlite --run cnn --run resnet --out report/
            """
    )

    @OptionGroup var options: EvaluationOptions
    @Option(help: ArgumentHelp("Also write the full report (HTML, CSV, LaTeX, SVG) into this folder.", valueName: "folder")) var out: String?

    func run() throws {
        let report = try options.report()
        for table in [report.datasetTable] + report.splitTables + [report.summaryTable, report.perClassTable] { TextTable.print(table) }
        if report.models.contains(where: { $0.operatingPoint != nil }) { TextTable.print(report.operatingPointTable) }
        if !report.segmentations.isEmpty { TextTable.print(report.segmentationTable) }
        let comparisons = try report.comparisonTable()
        if !comparisons.rows.isEmpty { TextTable.print(comparisons) }
        if let out {
            let written = try ReportRenderer(report).write(to: out)
            print("wrote \(written.count) files to \(out)/ (open \(out)/report.html)")
        }
    }
}

/// `cohort report`: the paper-ready report.
struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a self-contained HTML report with CSV tables, LaTeX (booktabs) tables and SVG figures.",
        discussion: """
            report.html holds the dataset summary, ROC curves with bootstrap bands (all models overlaid), PR curves, \
            confusion-matrix heatmaps, per-class tables, operating points, calibration, training curves (--history), \
            the DeLong comparison and provenance (input hashes, seeds, command line, version). Output is \
            deterministic: the same inputs give the same bytes.

            Example:
              cohort report cnn=cnn.csv resnet=resnet.csv --score-column p_malignant --positive malignant \\
                  --history cnn=cnn_history.csv --out results/
              cohort report --catalog catalogs/busi.sqlite --run cnn --run resnet --out results/
            """
    )

    @OptionGroup var options: EvaluationOptions
    @Option(help: ArgumentHelp("Output folder.", valueName: "folder")) var out: String

    func run() throws {
        let written = try ReportRenderer(options.report()).write(to: out)
        for path in written { print("\(out)/\(path)") }
    }
}

/// Tables as aligned plain text for the terminal.
enum TextTable {
    static func print(_ table: Table) {
        let rows = [table.header] + table.rows.map { $0.map { cell -> String in
            switch cell {
            case .text(let t): return t
            case let .number(v, digits): return Format.fixed(v, digits)
            case .integer(let i): return String(i)
            }
        } }
        let widths = table.header.indices.map { c in rows.map { $0[c].count }.max() ?? 0 }
        Swift.print("\n" + table.title)
        for row in rows { Swift.print(row.enumerated().map { $0.element.padding(toLength: widths[$0.offset], withPad: " ", startingAt: 0) }.joined(separator: "  ")) }
    }
}
