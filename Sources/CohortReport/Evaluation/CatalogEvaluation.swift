import CohortCatalog
import CohortMetrics
import Foundation

/// Evaluation inputs read from a catalog: a scoring run's predictions, the training run's history, the split.
public struct CatalogEvaluation {
    public let catalog: Catalog
    let runs: RunStore

    public init(catalog: Catalog) {
        self.catalog = catalog
        runs = RunStore(catalog: catalog)
    }

    /// The scoring run named (or numbered) `reference`. A training run's name stands for its latest scoring run.
    public func scoringRun(_ reference: String) throws -> RunRecord {
        let run = try runs.find(reference)
        guard run.kind == "train" else { return run }
        guard let scored = try runs.all().last(where: { $0.kind == "score" && $0.settings["training_run_id"] == String(run.id) }) else {
            throw ReportError(code: .input, message: "training run '\(reference)' has no scoring run yet; run `cohort score --catalog ... --split \(run.split ?? "SPLIT") --partition test --model \(run.folder ?? "RUN")/best.safetensors`")
        }
        return scored
    }

    /// The predictions of a scoring run. Unlabelled images are left out (counted in `unlabelled`). For two
    /// classes the problem is binary with `positive` (default: the second class in the checkpoint's order).
    public func predictions(run: RunRecord, name: String, positive: String?) throws -> (predictions: Predictions, unlabelled: Int) {
        guard run.kind == "score" else {
            throw ReportError(code: .input, message: "run \(run.id) '\(run.name)' is a \(run.kind) run; evaluate a scoring run")
        }
        var classes = (run.settings["classes"] ?? "").split(separator: ",").map(String.init)
        guard classes.count >= 2 else {
            throw ReportError(code: .input, message: "scoring run \(run.id) '\(run.name)' does not record its classes (scored by an older Cohort?); score again")
        }
        var order = Array(classes.indices)
        // A segmentation run's image truth is lesion / background whatever the classifiers call their classes.
        let positive = run.settings["training_task_output"] == "segmentation" ? nil : positive
        if let positive {
            guard let k = classes.firstIndex(of: positive) else {
                throw ReportError(code: .input, message: "--positive '\(positive)' is not a class of run '\(run.name)' (classes: \(classes.joined(separator: ", ")))")
            }
            guard classes.count == 2 else {
                throw ReportError(code: .input, message: "--positive applies to two-class runs; run '\(run.name)' has \(classes.count) classes")
            }
            if k == 0 { order = [1, 0] }
        }
        classes = order.map { classes[$0] }
        var ids: [String] = [], labels: [Int] = [], scores: [[Double]] = [], unlabelled = 0
        for row in try runs.predictions(run: run.id) {
            guard let label = row.label else { unlabelled += 1; continue }
            guard let k = classes.firstIndex(of: label) else {
                throw ReportError(code: .input, message: "image \(row.imageId) (\(row.path)) has label '\(label)', not one of the model's classes \(classes.joined(separator: ", "))")
            }
            guard row.scores.count == order.count else {
                throw ReportError(code: .input, message: "image \(row.imageId) has \(row.scores.count) scores for \(order.count) classes in run '\(run.name)'")
            }
            ids.append(row.path)
            labels.append(k)
            scores.append(order.map { row.scores[$0] })
        }
        guard !ids.isEmpty else { throw ReportError(code: .input, message: "scoring run \(run.id) '\(run.name)' has no labelled predictions") }
        var p = Predictions(name: name, ids: ids, labels: labels, classes: classes, scores: scores)
        p.source = "catalog run \(run.id) '\(run.name)'"
        p.sourceSha256 = run.settings["checkpoint_sha256"].map { "checkpoint " + $0 }
        return (p, unlabelled)
    }

    /// A segmentation scoring run's per-image agreement with the reference masks (nil for classifier runs or when
    /// no image had a reference).
    public func segmentation(run: RunRecord, name: String, resamples: Int, seed: UInt64) throws -> SegmentationEvaluation? {
        let rows = try runs.maskResults(run: run.id).filter { $0.result.referencePixels != nil }
        guard !rows.isEmpty else { return nil }
        let images = rows.map { row -> (id: String, scores: SegmentationScores) in
            let r = row.result
            return (row.path, SegmentationScores(dice: r.dice ?? .nan, iou: r.iou ?? .nan, sensitivity: r.sensitivity, precision: r.precision,
                                                 hausdorff95: r.hd95, averageSurfaceDistance: r.asd, referencePixels: r.referencePixels ?? 0,
                                                 predictedPixels: r.predictedPixels))
        }
        let unit = Set(rows.compactMap(\.result.distanceUnit)).sorted().joined(separator: "/")
        // Per-class rows: by the image's label under the split's task, and by mask label when masks have several.
        let (task, classes, maskLabels) = try runs.maskResultClasses(run: run.id, split: run.split)
        let byClass = Set(classes.values).count > 1, byMaskLabel = Set(maskLabels.values.joined()).count > 1
        let groups = rows.map { row -> [String] in
            let id = row.result.imageId
            return (byClass ? classes[id].map { ["\(task ?? "class"): \($0)"] } ?? [] : [])
                + (byMaskLabel ? (maskLabels[id] ?? []).map { "mask label: \($0)" } : [])
        }
        return SegmentationEvaluation(name: name, images: images, distanceUnit: unit, resamples: resamples, seed: seed, groups: groups)
    }

    /// The training run whose checkpoint a scoring run used, when it is in this catalog.
    public func trainingRun(behind run: RunRecord) -> RunRecord? {
        run.settings["training_run_id"].flatMap { try? runs.find($0, kind: "train") }
    }

    /// The per-epoch history of `training` (the run behind a scoring run).
    public func history(of training: RunRecord, name: String) throws -> TrainingHistory? {
        let rows = try runs.history(run: training.id).map { TrainingHistory.Row(epoch: $0.epoch, phase: $0.phase, loss: $0.loss, accuracy: $0.accuracy) }
        return rows.isEmpty ? nil : TrainingHistory(name: name, rows: rows)
    }

    /// Provenance lines of a scoring run and the training run behind it.
    public func provenance(of run: RunRecord, training: RunRecord?, name: String) -> [(String, String)] {
        let s = run.settings
        var facts: [(String, String)] = [
            ("\(name): scoring run", "\(run.id) '\(run.name)' on split \(run.split ?? "-") partition \(s["partition"] ?? "-"), \(run.finishedAt ?? run.startedAt), Cohort \(run.toolVersion)"),
            ("\(name): checkpoint", "\(s["checkpoint"] ?? "-") sha256 \(s["checkpoint_sha256"] ?? "-") (epoch \(s["training_epoch"] ?? "-"), test-time flips \(s["tta"] == "1" ? "on" : "off"))"),
        ]
        if let training {
            facts.append(("\(name): training run", "\(training.id) '\(training.name)' \(training.model ?? "") seed \(training.seed.map(String.init) ?? "-"), best epoch \(training.bestEpoch.map(String.init) ?? "-"), inputs sha256 \(training.inputHash ?? "-"), Cohort \(training.toolVersion)"))
            facts.append(("\(name): training configuration", training.configuration))
        }
        return facts
    }

    /// Per-partition class counts, images and patients of a split, with its identity.
    public func splitTable(_ name: String) throws -> (table: Table, identity: String) {
        let summary = try SplitStore(catalog: catalog).summary(name: name)
        let header = ["partition", "images", "patients", "groups"] + summary.classes
        let rows = summary.partitions.map { p -> [Table.Cell] in
            [.text(p.name), .integer(p.images), .integer(p.patients), .integer(p.groups)] + summary.classes.map { .integer(p.classCounts[$0] ?? 0) }
        }
        let identity = "'\(summary.name)' task \(summary.task), grouped by \(summary.grouping), seed \(summary.seed), algorithm v\(summary.algorithmVersion)"
            + (summary.folds.map { ", \($0) folds" } ?? "")
        return (Table(title: "Split '\(summary.name)' by partition (task \(summary.task))", header: header, rows: rows), identity)
    }
}
